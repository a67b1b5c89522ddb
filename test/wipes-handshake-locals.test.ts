/**
 * Wipe of the server handshake's dummy key (issue 13, SPEC.md §5.4): respond() draws a random
 * 32-byte dummy for every message 1 (used as the PSK when the key id is unknown) and must zero it
 * once its copy is taken. The dummy never leaves respond(), so this file wraps the real
 * randomBytes (vi.mock keeps its implementation) to keep a reference to each array it returns.
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Encoding from '../bindings/e2e2/encoding.js';

const drawn: Uint8Array[] = [];
vi.mock('../bindings/e2e2/encoding.js', async (importOriginal) => {
  const real = await importOriginal<typeof Encoding>();
  return {
    ...real,
    randomBytes: (length: number) => {
      const out = real.randomBytes(length);
      drawn.push(out);
      return out;
    },
  };
});

const { createClientHandshake, createServerHandshake, generateApiKey } = await import('../bindings/index.js');
const KEY = generateApiKey();

describe('server dummy key', () => {
  it('is drawn and zeroed for an unknown and for a known key id alike', async () => {
    for (const resolved of [undefined, KEY.secret]) {
      const message1 = createClientHandshake({ apiKey: KEY.token }).writeMessage1();
      drawn.length = 0;
      const { session } = await createServerHandshake({ resolveKey: () => resolved }).respond(message1);
      expect(drawn.length).toBe(1);
      expect(drawn[0]!.length).toBe(32);
      expect(drawn[0]!.every((b) => b === 0)).toBe(true);
      expect(session.state).toBe('pending');
    }
  });
});
