/**
 * ML-KEM-768 Decaps against @noble/post-quantum, valid and modified ciphertexts (FIPS 203 Algorithm 18, implicit
 * rejection): for FUZZ_RUNS random key pairs and messages (10,000 by default), decapsulating noble's ciphertext
 * must give noble's shared secret, and decapsulating a modified ciphertext (one bit flipped, bytes overwritten in
 * c1 or c2, or a ciphertext for another key) must give exactly what noble gives: the rejection key J(z || c).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ml_kem768 as noble } from '@noble/post-quantum/ml-kem.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { ml_kem768 } from '../bindings/crypto.js';
import { FUZZ_RUNS, hex } from './helpers/vectors.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const C1_BYTES = 960;

/** A change to a ciphertext: flip one bit anywhere, overwrite a run in c1 (u) or c2 (v), or replace it whole. */
const modification = fc.oneof(
  fc.record({ kind: fc.constant('bit' as const), at: fc.integer({ min: 0, max: 1087 }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('c1' as const), at: fc.integer({ min: 0, max: C1_BYTES - 1 }), run: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('c2' as const), at: fc.integer({ min: C1_BYTES, max: 1087 }), run: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('whole' as const), with: bytes(1088) }),
);
type Modification = typeof modification extends fc.Arbitrary<infer T> ? T : never;

function modify(c: Uint8Array, m: Modification): Uint8Array {
  const out = c.slice();
  if (m.kind === 'bit') out[m.at]! ^= 1 << m.bit;
  else if (m.kind === 'whole') out.set(m.with);
  else out.set(m.run.subarray(0, (m.kind === 'c1' ? C1_BYTES : 1088) - m.at), m.at);
  return out;
}

describe('ML-KEM-768: decapsulate, differential against @noble/post-quantum', () => {
  it(`valid ciphertexts give the shared secret, modified ones the rejection key (${FUZZ_RUNS} cases each)`, () => {
    let rejections = 0, unchanged = 0;
    fc.assert(
      fc.property(bytes(64), bytes(32), modification, (seed, msg, change) => {
        const { publicKey, secretKey } = ml_kem768.keygen(seed);
        const { cipherText, sharedSecret } = noble.encapsulate(publicKey, msg);
        expect(hex(ml_kem768.decapsulate(cipherText, secretKey))).toBe(hex(sharedSecret));
        const forged = modify(cipherText, change);
        const expected = noble.decapsulate(forged, secretKey);
        expect(hex(ml_kem768.decapsulate(forged, secretKey))).toBe(hex(expected));
        if (hex(forged) === hex(cipherText)) {
          unchanged++; // an overwrite with the same bytes
        } else {
          const z = secretKey.subarray(2368);
          expect(hex(expected)).toBe(hex(shake256(new Uint8Array([...z, ...forged]), { dkLen: 32 })));
          rejections++;
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(rejections + unchanged).toBe(FUZZ_RUNS);
    expect(rejections).toBeGreaterThan(FUZZ_RUNS * 0.95);
  });

  it('a ciphertext for another key pair is rejected the same way', () => {
    const a = ml_kem768.keygen(new Uint8Array(64).fill(1)), b = ml_kem768.keygen(new Uint8Array(64).fill(2));
    const { cipherText } = ml_kem768.encapsulate(b.publicKey, new Uint8Array(32).fill(3));
    expect(hex(ml_kem768.decapsulate(cipherText, a.secretKey))).toBe(hex(noble.decapsulate(cipherText, a.secretKey)));
  });
});
