/**
 * The constant-time arithmetic of assembly/mlkem-*.ts, checked exhaustively on a model of the WASM instructions:
 * Compress_d by multiply-and-shift equals round(2^d x / q) mod 2^d for every x in [0, q) (FIPS 203 §4.2.1, with the
 * constants of assembly/constants.ts); Barrett reduction stays in [-1665, 1663] for every i16, and Barrett
 * multiplication by every constant stays within q for the extreme i16 inputs (its error grows with |a|, so they are
 * the worst case). The KEM results themselves are checked against noble and Wycheproof elsewhere.
 */
import { describe, expect, it } from 'vitest';
import {
  MLKEM_BARRETT_MUL, MLKEM_COMPRESS10_MUL, MLKEM_COMPRESS10_SHIFT, MLKEM_COMPRESS4_MUL, MLKEM_COMPRESS4_SHIFT, MLKEM_Q,
} from '../assembly/constants.js';

const Q = MLKEM_Q;
/** round(2^d x / q) mod 2^d with exact integer arithmetic (2^d x / q is never a half-integer: q is odd). */
const compressExact = (x: number, d: number) => Math.floor((2 * x * 2 ** d + Q) / (2 * Q)) % 2 ** d;
/** i16x8.q15mulr_sat_s: (a b + 2^14) >> 15, saturated to i16. */
const q15mulr = (a: number, b: number) => Math.min(32767, Math.max(-32768, Math.floor((a * b + 0x4000) / 0x8000)));
/** Wrap to i16, as i16x8 add, sub and mul do. */
const i16 = (x: number) => ((x % 65536) + 65536 + 32768) % 65536 - 32768;

describe('ML-KEM arithmetic model', () => {
  it('Compress_10, Compress_4 and Compress_1 are exact for every x in [0, q)', () => {
    for (let x = 0; x < Q; x++) {
      const c10 = Number((((BigInt(x) << 10n) + 1665n) * BigInt(MLKEM_COMPRESS10_MUL)) >> BigInt(MLKEM_COMPRESS10_SHIFT)) & 0x3ff;
      // d = 4 and d = 1 wrap the product to 32 bits before shifting, as the u32 arithmetic in WASM does.
      const c4 = Number(((BigInt((x << 4) + 1665) * BigInt(MLKEM_COMPRESS4_MUL)) & 0xffffffffn) >> BigInt(MLKEM_COMPRESS4_SHIFT)) & 15;
      const c1 = Number(((BigInt((x << 1) + 1665) * BigInt(MLKEM_COMPRESS4_MUL)) & 0xffffffffn) >> BigInt(MLKEM_COMPRESS4_SHIFT)) & 1;
      if (c10 !== compressExact(x, 10) || c4 !== compressExact(x, 4) || c1 !== compressExact(x, 1)) throw new Error(`compress differs at x = ${x}`);
    }
    expect(MLKEM_COMPRESS10_MUL).toBe(Math.round(2 ** 32 / Q));
    expect(MLKEM_COMPRESS4_MUL).toBe(Math.round(2 ** 28 / Q));
  });

  it('Barrett reduction: congruent, in [-1665, 1663], for every i16', () => {
    let lo = 0, hi = 0;
    for (let a = -32768; a < 32768; a++) {
      const t = (q15mulr(a, MLKEM_BARRETT_MUL) + 1024) >> 11;
      const r = i16(a - i16(t * Q));
      if ((((r - a) % Q) + Q) % Q !== 0) throw new Error(`not congruent at ${a}`);
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
    }
    expect([lo, hi]).toEqual([-1665, 1663]);
  });

  it('Barrett multiplication by any constant z in [0, q): congruent to a z and |result| <= q, at the extreme inputs', () => {
    const inputs = [-32768, -32767, -30000, -3329, -1, 0, 1, 3329, 26632, 30000, 32766, 32767];
    let max = 0;
    for (let z = 0; z < Q; z++) {
      const zq = Math.floor((z * 32768 + (Q >> 1)) / Q); // q15(z) in mlkem-ntt.ts
      for (const a of inputs) {
        const r = i16(i16(a * z) - i16(q15mulr(a, zq) * Q));
        if ((((r - a * z) % Q) + Q) % Q !== 0) throw new Error(`not congruent at a = ${a}, z = ${z}`);
        max = Math.max(max, Math.abs(r));
      }
    }
    expect(max).toBeLessThanOrEqual(Q);
  });
});
