/**
 * ML-KEM-768 API: @noble/post-quantum's shape (info, lengths, keygen/encapsulate/decapsulate/getPublicKey), random
 * seeds and messages, typed errors with exact codes and messages, caller memory never written, results never views
 * into WASM memory, and a refused call leaves the next one working.
 */
import { describe, expect, it } from 'vitest';
import { ml_kem768 as noble } from '@noble/post-quantum/ml-kem.js';
import {
  InvalidArgumentError, InvalidCiphertextLengthError, InvalidKeyLengthError, InvalidPublicKeyError, InvalidSecretKeyError,
  ml_kem768,
} from '../bindings/crypto.js';
import { core } from '../bindings/core/wasm.js';
import { MLKEM_PART } from '../bindings/core/wasm-parts.js';
import { expectTyped } from './helpers/errors.js';
import { hex } from './helpers/vectors.js';
import { bytesFromSeed } from './helpers/random.js';

const seed = bytesFromSeed(1, 64), msg = bytesFromSeed(2, 32);

describe('ML-KEM-768: API', () => {
  it('has noble’s info and lengths', () => {
    expect(ml_kem768.info).toEqual(noble.info);
    expect(ml_kem768.lengths).toEqual(noble.lengths);
    expect(Object.isFrozen(ml_kem768)).toBe(true);
  });

  it('keygen() and encapsulate(publicKey) draw fresh randomness and round-trip', () => {
    const a = ml_kem768.keygen(), b = ml_kem768.keygen();
    expect([a.publicKey.length, a.secretKey.length]).toEqual([1184, 2400]);
    expect(hex(a.secretKey)).not.toBe(hex(b.secretKey));
    const one = ml_kem768.encapsulate(a.publicKey), two = ml_kem768.encapsulate(a.publicKey);
    expect([one.cipherText.length, one.sharedSecret.length]).toEqual([1088, 32]);
    expect(hex(one.sharedSecret)).not.toBe(hex(two.sharedSecret));
    expect(ml_kem768.decapsulate(one.cipherText, a.secretKey)).toEqual(one.sharedSecret);
    expect(noble.decapsulate(two.cipherText, a.secretKey)).toEqual(two.sharedSecret);
    expect(ml_kem768.getPublicKey(a.secretKey)).toEqual(a.publicKey);
  });

  it('never writes to the caller’s arrays and returns fresh arrays, not views into WASM memory', () => {
    const seedCopy = seed.slice(), msgCopy = msg.slice();
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    const pkCopy = publicKey.slice(), skCopy = secretKey.slice();
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, msg);
    const ctCopy = cipherText.slice();
    const decapsulated = ml_kem768.decapsulate(cipherText, secretKey);
    const extracted = ml_kem768.getPublicKey(secretKey);
    expect([seed, msg, publicKey, secretKey, cipherText]).toEqual([seedCopy, msgCopy, pkCopy, skCopy, ctCopy]);
    const wasmBuffer = core(MLKEM_PART).heap.buffer;
    for (const out of [publicKey, secretKey, cipherText, sharedSecret, decapsulated, extracted]) expect(out.buffer).not.toBe(wasmBuffer);
    expect(extracted.buffer).not.toBe(secretKey.buffer);
  });

  it('wrong types and lengths are typed caller errors that name the argument', () => {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    const { cipherText } = ml_kem768.encapsulate(publicKey, msg);
    expectTyped(() => ml_kem768.keygen(new Uint8Array(63)), InvalidKeyLengthError, { code: 'ERR_INVALID_KEY_LENGTH', fault: 'caller', message: 'seed must be 64 bytes, got 63' });
    expectTyped(() => ml_kem768.keygen('seed' as unknown as Uint8Array), InvalidArgumentError, { code: 'ERR_INVALID_ARGUMENT', message: 'seed must be a Uint8Array' });
    expectTyped(() => ml_kem768.encapsulate(publicKey.subarray(1)), InvalidKeyLengthError, { code: 'ERR_INVALID_KEY_LENGTH', message: 'publicKey must be 1184 bytes, got 1183' });
    expectTyped(() => ml_kem768.encapsulate(publicKey, new Uint8Array(33)), InvalidArgumentError, { code: 'ERR_INVALID_ARGUMENT', fault: 'caller', message: 'msg must be 32 bytes, got 33' });
    expectTyped(() => ml_kem768.decapsulate(cipherText.subarray(0, 1087), secretKey), InvalidCiphertextLengthError, { code: 'ERR_INVALID_CIPHERTEXT_LENGTH', fault: 'caller', message: 'cipherText must be 1088 bytes, got 1087' });
    expectTyped(() => ml_kem768.decapsulate(cipherText, new Uint8Array(2401)), InvalidKeyLengthError, { code: 'ERR_INVALID_KEY_LENGTH', message: 'secretKey must be 2400 bytes, got 2401' });
    expectTyped(() => ml_kem768.decapsulate([] as unknown as Uint8Array, secretKey), InvalidArgumentError, { code: 'ERR_INVALID_ARGUMENT', message: 'cipherText must be a Uint8Array' });
    expectTyped(() => ml_kem768.getPublicKey(new Uint8Array(1184)), InvalidKeyLengthError, { code: 'ERR_INVALID_KEY_LENGTH', message: 'secretKey must be 2400 bytes, got 1184' });
  });

  it('§7.2: every position of an unreduced coefficient is refused (peer fault); the next valid call works', () => {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    for (const coefficient of [0, 1, 255, 256, 511, 767]) {
      const bad = publicKey.slice();
      // Coefficient 2i is bytes 3i and the low nibble of 3i+1; 2i+1 the high nibble of 3i+1 and byte 3i+2. 3329 = 0xd01.
      const i = coefficient >> 1;
      if (coefficient % 2 === 0) {
        bad[3 * i] = 0x01;
        bad[3 * i + 1] = (bad[3 * i + 1]! & 0xf0) | 0x0d;
      } else {
        bad[3 * i + 1] = (bad[3 * i + 1]! & 0x0f) | 0x10;
        bad[3 * i + 2] = 0xd0;
      }
      expectTyped(() => ml_kem768.encapsulate(bad, msg), InvalidPublicKeyError,
        { code: 'ERR_INVALID_PUBLIC_KEY', fault: 'peer', message: 'ml_kem768 public key fails the modulus check (FIPS 203 §7.2)' });
      expect(() => noble.encapsulate(bad, msg)).toThrow(/modulus/);
    }
    // q - 1 everywhere is still reduced, and rho (the last 32 bytes) is not checked.
    const edge = publicKey.slice();
    for (let i = 0; i < 384 * 3; i += 3) edge.set([0x00, 0x0d, 0xd0], i); // 3328 = 0xd00 in both coefficients
    expect(ml_kem768.encapsulate(edge, msg).cipherText).toEqual(noble.encapsulate(edge, msg).cipherText);
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, msg);
    expect(ml_kem768.decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
  });

  it('§7.3: a dk whose embedded ek or H(ek) was changed is refused; z and s^ are not covered by the check', () => {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, msg);
    for (const at of [1152, 1152 + 600, 2335, 2336, 2367]) {
      const bad = secretKey.slice();
      bad[at]! ^= 0x80;
      expectTyped(() => ml_kem768.decapsulate(cipherText, bad), InvalidSecretKeyError,
        { code: 'ERR_INVALID_SECRET_KEY', fault: 'caller', message: 'ml_kem768 secret key fails the hash check (FIPS 203 §7.3)' });
      expect(() => noble.decapsulate(cipherText, bad)).toThrow(/hash check/);
    }
    // FIPS 203 checks only the hash: with a changed z or s^ decapsulation goes on, and gives what noble gives.
    for (const at of [0, 1151, 2368, 2399]) {
      const changed = secretKey.slice();
      changed[at]! ^= 1;
      expect(ml_kem768.decapsulate(cipherText, changed)).toEqual(noble.decapsulate(cipherText, changed));
    }
    expect(ml_kem768.decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
  });
});
