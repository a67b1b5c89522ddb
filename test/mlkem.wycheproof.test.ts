/**
 * Project Wycheproof ML-KEM-768 vectors (../shared/vectors/wycheproof, read in place; skipped with the reason
 * printed when absent), every flag handled as the file's `notes` say:
 * - mlkem_768_test.json (193): KeyGen from seed d || z, then Decaps of `c`. Valid: ek matches and K is the shared
 *   secret, which for modified ciphertexts (and the Strcmp flag: a c' that differs from c after a zero byte) is the
 *   implicit-rejection key J(z || c). Invalid: seeds or ciphertexts of the wrong length, refused with typed errors.
 * - mlkem_768_encaps_test.json (265): Encaps with m. Invalid: ModulusOverflow and "not reduced" keys fail the
 *   §7.2 modulus check (ERR_INVALID_PUBLIC_KEY); keys of the wrong length (ERR_INVALID_KEY_LENGTH).
 * - mlkem_768_keygen_seed_test.json (100): KeyGen ek and expanded dk.
 * - mlkem_768_semi_expanded_decaps_test.json (9): Decaps with an expanded dk. IncorrectCiphertextLength and
 *   IncorrectDecapsulationKeyLength are length errors; InvalidDecapsulationKey fails the §7.3 hash check
 *   (ERR_INVALID_SECRET_KEY); MalleableCiphertext is valid and must give the implicit-rejection key.
 */
import { describe, expect, it } from 'vitest';
import { shake256 as nobleShake256 } from '@noble/hashes/sha3.js';
import {
  InvalidCiphertextLengthError, InvalidKeyLengthError, InvalidPublicKeyError, InvalidSecretKeyError, ml_kem768,
} from '../bindings/crypto.js';
import { expectTyped, type ErrorFields } from './helpers/errors.js';
import { hex, loadSharedVectors, unhex, type WycheproofFile } from './helpers/vectors.js';

interface Test { tcId: number; comment?: string; flags?: string[]; result: 'valid' | 'invalid' | 'acceptable' }
interface Group<T> { type: string; parameterSet: string; tests: T[] }
interface DecapsTest extends Test { seed: string; ek?: string; c: string; K: string }
interface EncapsTest extends Test { m: string; ek: string; c: string; K: string }
interface KeygenTest extends Test { seed: string; ek: string; dk: string }
interface SemiExpandedTest extends Test { dk: string; c: string; ek: string; K?: string }
interface Notes { notes?: Record<string, { bugType: string; description: string }> }

type File<T> = WycheproofFile<Group<T>> & Notes;
const decapsFile = loadSharedVectors<File<DecapsTest>>('wycheproof/mlkem_768_test.json');
const encapsFile = loadSharedVectors<File<EncapsTest>>('wycheproof/mlkem_768_encaps_test.json');
const keygenFile = loadSharedVectors<File<KeygenTest>>('wycheproof/mlkem_768_keygen_seed_test.json');
const semiFile = loadSharedVectors<File<SemiExpandedTest>>('wycheproof/mlkem_768_semi_expanded_decaps_test.json');

function testsOf<T>(file: File<T> | undefined): T[] {
  for (const group of file?.testGroups ?? []) expect(group.parameterSet).toBe('ML-KEM-768');
  return file?.testGroups.flatMap((g) => g.tests) ?? [];
}


/** The implicit-rejection key of Algorithm 18 step 8, K-bar = J(z || c), computed with noble (independent). */
function rejectionKey(secretKey: Uint8Array, c: Uint8Array): string {
  const z = secretKey.subarray(2368, 2400);
  const input = new Uint8Array(32 + c.length);
  input.set(z);
  input.set(c, 32);
  return hex(nobleShake256(input, { dkLen: 32 }));
}

const tally = (tests: Test[]) => {
  const counts: Record<string, number> = {};
  for (const t of tests) {
    const key = `${t.result}:${(t.flags ?? []).join(',')}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

describe.skipIf(!decapsFile)('Wycheproof mlkem_768_test.json (KeyGen from seed, then Decaps)', () => {
  const tests = testsOf(decapsFile);

  it('has 193 tests: 153 valid (one Strcmp), 40 invalid; Strcmp is the only flag in notes', () => {
    expect(decapsFile!.numberOfTests).toBe(193);
    expect(tests.length).toBe(193);
    expect(tally(tests)).toEqual({ 'valid:Strcmp': 1, 'valid:': 152, 'invalid:': 40 });
    expect(Object.keys(decapsFile!.notes ?? {})).toEqual(['Strcmp']);
  });

  it('valid: ek from the seed matches, and Decaps gives K (131 real keys, 22 implicit rejections incl. Strcmp)', () => {
    let accepted = 0, rejected = 0;
    for (const t of tests.filter((x) => x.result === 'valid')) {
      const { publicKey, secretKey } = ml_kem768.keygen(unhex(t.seed));
      expect(hex(publicKey), `tcId ${t.tcId}`).toBe(t.ek);
      const c = unhex(t.c);
      expect(hex(ml_kem768.decapsulate(c, secretKey)), `tcId ${t.tcId}`).toBe(t.K);
      if (rejectionKey(secretKey, c) === t.K) rejected++;
      else accepted++;
      // Strcmp (notes): "test that the implicit rejection path is taken".
      if (t.flags?.includes('Strcmp')) expect(rejectionKey(secretKey, c), `tcId ${t.tcId}`).toBe(t.K);
    }
    expect([accepted, rejected]).toEqual([131, 22]);
  });

  it('invalid: 20 seeds of the wrong length (ERR_INVALID_KEY_LENGTH), 20 ciphertexts of the wrong length (ERR_INVALID_CIPHERTEXT_LENGTH)', () => {
    let seeds = 0, ciphertexts = 0;
    for (const t of tests.filter((x) => x.result === 'invalid')) {
      const seed = unhex(t.seed), c = unhex(t.c);
      if (seed.length !== 64) {
        expect(t.comment, `tcId ${t.tcId}`).toMatch(/^Private key too (short|long)$/);
        expectTyped(() => ml_kem768.keygen(seed), InvalidKeyLengthError,
          { code: 'ERR_INVALID_KEY_LENGTH', fault: 'caller', message: `seed must be 64 bytes, got ${seed.length}` });
        seeds++;
      } else {
        expect(t.comment, `tcId ${t.tcId}`).toMatch(/^Ciphertext too (short|long)$/);
        expect(c.length).not.toBe(1088);
        const { secretKey } = ml_kem768.keygen(seed);
        expectTyped(() => ml_kem768.decapsulate(c, secretKey), InvalidCiphertextLengthError,
          { code: 'ERR_INVALID_CIPHERTEXT_LENGTH', fault: 'caller', message: `cipherText must be 1088 bytes, got ${c.length}` });
        ciphertexts++;
      }
    }
    expect([seeds, ciphertexts]).toEqual([20, 20]);
  });
});

describe.skipIf(!encapsFile)('Wycheproof mlkem_768_encaps_test.json (Encaps with m)', () => {
  const tests = testsOf(encapsFile);
  const invalidKey: ErrorFields = { code: 'ERR_INVALID_PUBLIC_KEY', fault: 'peer', message: 'ml_kem768 public key fails the modulus check (FIPS 203 §7.2)' };

  it('has 265 tests: 133 valid, 132 invalid (12 flagged ModulusOverflow)', () => {
    expect(encapsFile!.numberOfTests).toBe(265);
    expect(tests.length).toBe(265);
    expect(tally(tests)).toEqual({ 'valid:': 133, 'invalid:ModulusOverflow': 12, 'invalid:': 120 });
    expect(Object.keys(encapsFile!.notes ?? {})).toEqual(['ModulusOverflow']);
  });

  it('valid: c and K match', () => {
    const valid = tests.filter((x) => x.result === 'valid');
    for (const t of valid) {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(unhex(t.ek), unhex(t.m));
      expect(hex(cipherText), `tcId ${t.tcId}`).toBe(t.c);
      expect(hex(sharedSecret), `tcId ${t.tcId}`).toBe(t.K);
    }
    expect(valid.length).toBe(133);
  });

  it('invalid: 112 unreduced keys fail the §7.2 modulus check, 20 keys have the wrong length', () => {
    let modulus = 0, length = 0;
    for (const t of tests.filter((x) => x.result === 'invalid')) {
      const ek = unhex(t.ek), m = unhex(t.m);
      if (ek.length === 1184) {
        // ModulusOverflow (notes: "coefficients that overflow the field prime") and "Public key not reduced".
        expect(t.flags?.includes('ModulusOverflow') || t.comment === 'Public key not reduced', `tcId ${t.tcId}`).toBe(true);
        expectTyped(() => ml_kem768.encapsulate(ek, m), InvalidPublicKeyError, invalidKey);
        modulus++;
      } else {
        expect(t.comment, `tcId ${t.tcId}`).toMatch(/^Public key is too (short|long)$/);
        expectTyped(() => ml_kem768.encapsulate(ek, m), InvalidKeyLengthError,
          { code: 'ERR_INVALID_KEY_LENGTH', fault: 'caller', message: `publicKey must be 1184 bytes, got ${ek.length}` });
        length++;
      }
    }
    expect([modulus, length]).toEqual([112, 20]);
  });
});

describe.skipIf(!keygenFile)('Wycheproof mlkem_768_keygen_seed_test.json (KeyGen from seed)', () => {
  const tests = testsOf(keygenFile);

  it('has 100 tests, all valid; ek and the expanded dk match', () => {
    expect(keygenFile!.numberOfTests).toBe(100);
    expect(tests.length).toBe(100);
    expect(tally(tests)).toEqual({ 'valid:': 100 });
    for (const t of tests) {
      const { publicKey, secretKey } = ml_kem768.keygen(unhex(t.seed));
      expect(hex(publicKey), `tcId ${t.tcId}`).toBe(t.ek);
      expect(hex(secretKey), `tcId ${t.tcId}`).toBe(t.dk);
      expect(hex(ml_kem768.getPublicKey(secretKey)), `tcId ${t.tcId}`).toBe(t.ek);
    }
  });
});

describe.skipIf(!semiFile)('Wycheproof mlkem_768_semi_expanded_decaps_test.json (Decaps with an expanded dk)', () => {
  const tests = testsOf(semiFile);

  it('has 9 tests: 3 valid (2 MalleableCiphertext), 6 invalid; the four flags are those of notes', () => {
    expect(semiFile!.numberOfTests).toBe(9);
    expect(tests.length).toBe(9);
    expect(tally(tests)).toEqual({
      'valid:': 1, 'valid:MalleableCiphertext': 2,
      'invalid:IncorrectCiphertextLength': 2, 'invalid:IncorrectDecapsulationKeyLength': 2, 'invalid:InvalidDecapsulationKey': 2,
    });
    expect(Object.keys(semiFile!.notes ?? {}).sort()).toEqual(
      ['IncorrectCiphertextLength', 'IncorrectDecapsulationKeyLength', 'InvalidDecapsulationKey', 'MalleableCiphertext']);
  });

  it('each flag gets the outcome its note describes', () => {
    const seen: Record<string, number> = {};
    for (const t of tests) {
      const dk = unhex(t.dk), c = unhex(t.c);
      const flag = t.flags?.[0] ?? 'none';
      seen[flag] = (seen[flag] ?? 0) + 1;
      switch (flag) {
        case 'none':
          expect(hex(ml_kem768.decapsulate(c, dk)), `tcId ${t.tcId}`).toBe(t.K);
          expect(hex(ml_kem768.getPublicKey(dk)), `tcId ${t.tcId}`).toBe(t.ek);
          expect(rejectionKey(dk, c)).not.toBe(t.K);
          break;
        case 'MalleableCiphertext':
          // A faulty (partial) re-encryption comparison would accept c; the right answer is implicit rejection.
          expect(hex(ml_kem768.decapsulate(c, dk)), `tcId ${t.tcId}`).toBe(t.K);
          expect(rejectionKey(dk, c), `tcId ${t.tcId}`).toBe(t.K);
          break;
        case 'IncorrectCiphertextLength':
          expectTyped(() => ml_kem768.decapsulate(c, dk), InvalidCiphertextLengthError,
            { code: 'ERR_INVALID_CIPHERTEXT_LENGTH', message: `cipherText must be 1088 bytes, got ${c.length}` });
          break;
        case 'IncorrectDecapsulationKeyLength':
          expectTyped(() => ml_kem768.decapsulate(c, dk), InvalidKeyLengthError,
            { code: 'ERR_INVALID_KEY_LENGTH', message: `secretKey must be 2400 bytes, got ${dk.length}` });
          break;
        case 'InvalidDecapsulationKey':
          expectTyped(() => ml_kem768.decapsulate(c, dk), InvalidSecretKeyError,
            { code: 'ERR_INVALID_SECRET_KEY', fault: 'caller', message: 'ml_kem768 secret key fails the hash check (FIPS 203 §7.3)' });
          break;
        default:
          throw new Error(`tcId ${t.tcId}: unhandled flag ${flag}`);
      }
    }
    expect(seen).toEqual({ none: 1, MalleableCiphertext: 2, IncorrectCiphertextLength: 2, IncorrectDecapsulationKeyLength: 2, InvalidDecapsulationKey: 2 });
  });
});
