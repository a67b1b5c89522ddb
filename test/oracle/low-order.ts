/**
 * The small-order X25519 u-coordinates (7 points, each also with bit 255 set: 14 encodings), read from
 * ../shared/vectors/x25519_low_order_points.json (never copied into this repo). X25519 with any scalar on
 * them yields all zeros (RFC 7748 §6.1), which a Noise DH must refuse. Undefined (with a printed reason)
 * when ../shared is absent; the suites that need them are then skipped.
 */
import { loadSharedVectors, unhex } from '../helpers/vectors.js';

interface LowOrderFile {
  points: Array<{ name: string; u: string; u_high_bit_set: string }>;
}

const file = loadSharedVectors<LowOrderFile>('x25519_low_order_points.json');

export const LOW_ORDER_POINTS: Uint8Array[] | undefined = file?.points.flatMap((p) => [unhex(p.u), unhex(p.u_high_bit_set)]);
