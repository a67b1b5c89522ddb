/**
 * ML-KEM-768 (FIPS 203) on the WASM core, with @noble/post-quantum's call shape and byte formats:
 * `ml_kem768.keygen(seed?)` -> { publicKey, secretKey }, `ml_kem768.encapsulate(publicKey, msg?)` ->
 * { cipherText, sharedSecret }, `ml_kem768.decapsulate(cipherText, secretKey)`, `ml_kem768.getPublicKey(secretKey)`.
 * publicKey is ek (1,184 bytes), secretKey the expanded dk (2,400 bytes), seed d || z (64 bytes), msg the
 * encapsulation randomness m (32 bytes), as in FIPS 203 Algorithms 16-18.
 *
 * Unlike noble, failures are typed: wrong lengths throw InvalidKeyLengthError, InvalidArgumentError or
 * InvalidCiphertextLengthError; an ek failing the §7.2 modulus check throws InvalidPublicKeyError; a dk failing the
 * §7.3 hash check throws InvalidSecretKeyError. A well-formed but forged or corrupted ciphertext does not throw:
 * decapsulate returns the implicit-rejection key (Algorithm 18), as the standard requires.
 */
import {
  MLKEM768_CIPHERTEXT_BYTES, MLKEM768_DK_PKE_BYTES, MLKEM768_PUBLIC_KEY_BYTES, MLKEM768_SECRET_KEY_BYTES, MLKEM_MSG_BYTES, MLKEM_SEED_BYTES,
  MLKEM_SHARED_SECRET_BYTES,
} from '../../assembly/constants.js';
import {
  InvalidArgumentError, InvalidCiphertextLengthError, InvalidKeyLengthError, InvalidPublicKeyError, InvalidSecretKeyError,
} from '../errors.js';
import { jsBackend } from './backend.js';
import { assertLength } from './bytes.js';
import { core, takeBytes } from './wasm.js';
import { MLKEM_PART } from './wasm-parts.js';

/** KeyGen_internal(d, z) (Algorithm 16) from `seed` = d || z, or from 64 fresh random bytes (Algorithm 19). */
function keygen(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const js = jsBackend();
  if (js) {
    if (seed !== undefined) assertLength(seed, MLKEM_SEED_BYTES, 'seed', InvalidKeyLengthError);
    const d = seed ?? crypto.getRandomValues(new Uint8Array(MLKEM_SEED_BYTES));
    try {
      return js.mlkemKeygen(d);
    } finally {
      if (d !== seed) d.fill(0);
    }
  }
  const { heap, fn, addr } = core(MLKEM_PART);
  if (seed === undefined) {
    const fresh = crypto.getRandomValues(new Uint8Array(MLKEM_SEED_BYTES));
    heap.set(fresh, addr.MLKEM_SEED!);
    fresh.fill(0);
  } else {
    assertLength(seed, MLKEM_SEED_BYTES, 'seed', InvalidKeyLengthError);
    heap.set(seed, addr.MLKEM_SEED!);
  }
  fn.mlkemKeygen!(); // wipes the seed and all scratch
  return {
    publicKey: takeBytes(MLKEM_PART, addr.MLKEM_EK!, MLKEM768_PUBLIC_KEY_BYTES),
    secretKey: takeBytes(MLKEM_PART, addr.MLKEM_DK!, MLKEM768_SECRET_KEY_BYTES),
  };
}

/**
 * Encaps_internal(ek, m) (Algorithm 17) with `msg` = m, or with 32 fresh random bytes (Algorithm 20). Throws
 * InvalidPublicKeyError when ek fails the §7.2 modulus check (every 12-bit coefficient must be below q = 3329).
 */
function encapsulate(publicKey: Uint8Array, msg?: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  assertLength(publicKey, MLKEM768_PUBLIC_KEY_BYTES, 'publicKey', InvalidKeyLengthError);
  if (msg !== undefined) assertLength(msg, MLKEM_MSG_BYTES, 'msg', InvalidArgumentError);
  const js = jsBackend();
  if (js) {
    const m = msg ?? crypto.getRandomValues(new Uint8Array(MLKEM_MSG_BYTES));
    let result: { cipherText: Uint8Array; sharedSecret: Uint8Array } | undefined;
    try {
      result = js.mlkemEncapsulate(publicKey, m);
    } finally {
      if (m !== msg) m.fill(0);
    }
    if (result === undefined) throw new InvalidPublicKeyError('ml_kem768 public key fails the modulus check (FIPS 203 §7.2)');
    return result;
  }
  const { heap, fn, addr } = core(MLKEM_PART);
  heap.set(publicKey, addr.MLKEM_EK!);
  if (msg === undefined) {
    const fresh = crypto.getRandomValues(new Uint8Array(MLKEM_MSG_BYTES));
    heap.set(fresh, addr.MLKEM_MSG!);
    fresh.fill(0);
  } else {
    heap.set(msg, addr.MLKEM_MSG!);
  }
  const bad = fn.mlkemEncaps!(); // wipes ek, m and all scratch
  if (bad !== 0) throw new InvalidPublicKeyError('ml_kem768 public key fails the modulus check (FIPS 203 §7.2)');
  return {
    cipherText: takeBytes(MLKEM_PART, addr.MLKEM_CT!, MLKEM768_CIPHERTEXT_BYTES),
    sharedSecret: takeBytes(MLKEM_PART, addr.MLKEM_SS!, MLKEM_SHARED_SECRET_BYTES),
  };
}

/**
 * Decaps_internal(dk, c) (Algorithm 18). Throws InvalidSecretKeyError when dk fails the §7.3 hash check; a
 * ciphertext that does not decrypt and re-encrypt to itself yields the implicit-rejection key, not an error.
 */
function decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertLength(cipherText, MLKEM768_CIPHERTEXT_BYTES, 'cipherText', InvalidCiphertextLengthError);
  assertLength(secretKey, MLKEM768_SECRET_KEY_BYTES, 'secretKey', InvalidKeyLengthError);
  const js = jsBackend();
  if (js) {
    const shared = js.mlkemDecapsulate(cipherText, secretKey);
    if (shared === undefined) throw new InvalidSecretKeyError('ml_kem768 secret key fails the hash check (FIPS 203 §7.3)');
    return shared;
  }
  const { heap, fn, addr } = core(MLKEM_PART);
  heap.set(cipherText, addr.MLKEM_CT!);
  heap.set(secretKey, addr.MLKEM_DK!);
  const bad = fn.mlkemDecaps!(); // wipes dk, c and all scratch
  if (bad !== 0) throw new InvalidSecretKeyError('ml_kem768 secret key fails the hash check (FIPS 203 §7.3)');
  return takeBytes(MLKEM_PART, addr.MLKEM_SS!, MLKEM_SHARED_SECRET_BYTES);
}

/** The ek embedded in dk = dk_PKE || ek || H(ek) || z (a copy), as noble's getPublicKey. */
function getPublicKey(secretKey: Uint8Array): Uint8Array {
  assertLength(secretKey, MLKEM768_SECRET_KEY_BYTES, 'secretKey', InvalidKeyLengthError);
  return secretKey.slice(MLKEM768_DK_PKE_BYTES, MLKEM768_DK_PKE_BYTES + MLKEM768_PUBLIC_KEY_BYTES);
}

/** ML-KEM-768 (FIPS 203) with the call shapes and byte formats of @noble/post-quantum's ml_kem768. */
export interface MlKem768 {
  readonly info: { readonly type: 'ml-kem' };
  readonly lengths: {
    readonly secretKey: 2400; readonly publicKey: 1184; readonly cipherText: 1088;
    readonly seed: 64; readonly msg: 32; readonly msgRand: 32;
  };
  /** ML-KEM.KeyGen (FIPS 203 §7.1): from a 64-byte seed (d ‖ z), or random. */
  keygen(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  /** The encapsulation key stored inside a decapsulation key (checked by its hash, §7.3). */
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  /** ML-KEM.Encaps (FIPS 203 §7.2, with the modulus check): a 1,088-byte ciphertext and a 32-byte shared secret. */
  encapsulate(publicKey: Uint8Array, msg?: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  /** ML-KEM.Decaps (FIPS 203 §7.3): the shared secret, or the implicit-rejection secret for a modified ciphertext. */
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/** ML-KEM-768, FIPS 203 (k = 3, η1 = η2 = 2, du = 10, dv = 4). */
export const ml_kem768: MlKem768 = /* @__PURE__ */ Object.freeze({
  info: /* @__PURE__ */ Object.freeze({ type: 'ml-kem' } as const),
  lengths: /* @__PURE__ */ Object.freeze({ secretKey: 2400, publicKey: 1184, cipherText: 1088, seed: 64, msg: 32, msgRand: 32 } as const),
  keygen,
  getPublicKey,
  encapsulate,
  decapsulate,
});
