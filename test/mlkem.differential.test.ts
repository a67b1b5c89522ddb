/**
 * ML-KEM-768 KeyGen and Encaps against @noble/post-quantum (the independent pure-JS oracle): for FUZZ_RUNS random
 * seeds d || z and messages m (10,000 by default), ek, dk, c and K must agree byte for byte. Decaps, including
 * modified ciphertexts, is in mlkem.rejection.test.ts (a separate file, so the two run in parallel).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ml_kem768 as noble } from '@noble/post-quantum/ml-kem.js';
import { ml_kem768 } from '../bindings/crypto.js';
import { FUZZ_RUNS, hex } from './helpers/vectors.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('ML-KEM-768: differential against @noble/post-quantum', () => {
  it(`keygen(seed) and encapsulate(publicKey, msg) agree (${FUZZ_RUNS} cases each)`, () => {
    let cases = 0;
    fc.assert(
      fc.property(bytes(64), bytes(32), (seed, msg) => {
        const ours = ml_kem768.keygen(seed), theirs = noble.keygen(seed);
        expect(hex(ours.publicKey)).toBe(hex(theirs.publicKey));
        expect(hex(ours.secretKey)).toBe(hex(theirs.secretKey));
        const a = ml_kem768.encapsulate(theirs.publicKey, msg), b = noble.encapsulate(theirs.publicKey, msg);
        expect(hex(a.cipherText)).toBe(hex(b.cipherText));
        expect(hex(a.sharedSecret)).toBe(hex(b.sharedSecret));
        cases++;
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(cases).toBe(FUZZ_RUNS);
  });

  it('seeds and messages at the edges (all zero, all 0xff) agree', () => {
    for (const fill of [0x00, 0xff]) {
      const seed = new Uint8Array(64).fill(fill), msg = new Uint8Array(32).fill(fill);
      const theirs = noble.keygen(seed);
      expect(hex(ml_kem768.keygen(seed).secretKey)).toBe(hex(theirs.secretKey));
      expect(hex(ml_kem768.encapsulate(theirs.publicKey, msg).cipherText)).toBe(hex(noble.encapsulate(theirs.publicKey, msg).cipherText));
    }
  });
});
