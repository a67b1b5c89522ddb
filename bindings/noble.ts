/**
 * `e2e2/noble`: the pure-JavaScript crypto backend on @noble/hashes, @noble/ciphers, @noble/curves
 * and @noble/post-quantum (optional peer dependencies: install them to use this entry). Select it
 * with `useBackend(nobleBackend)` (exported by `e2e2`, `e2e2/crypto` and `e2e2/browser`) where
 * WebAssembly cannot run: a page whose CSP lacks 'wasm-unsafe-eval', Hermes (React Native).
 * Importing this entry selects nothing; it is a separate entry so that WASM users' bundles
 * carry none of noble.
 *
 * The bindings validate arguments and throw e2e2's typed errors before calling in here, so each
 * function only maps one call onto noble's. The results are byte-identical to the WASM core's
 * (test/backend-noble.test.ts). noble's own failures that can still happen on valid-length input
 * (a low-order X25519 point, a bad tag, an ML-KEM key failing its FIPS 203 check) become
 * `undefined` results, which the bindings turn into the same typed errors as with WASM.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { expand, hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha3_256, sha3_512, shake128, shake256 } from '@noble/hashes/sha3.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { BackendHash, BackendXof, CryptoBackend, KeccakName } from './core/backend.js';

/** The parts of a noble streaming hash this adapter uses. */
interface NobleHash {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHash;
  destroy(): void;
  xof?(bytes: number): Uint8Array;
}

function adapt(hash: NobleHash): BackendXof {
  return {
    update: (data) => void hash.update(data),
    digest: () => hash.digest(),
    clone: () => adapt(hash.clone()),
    destroy: () => hash.destroy(),
    // Only reached for SHAKE: the Keccak binding refuses xof() on SHA-3 before calling it.
    xof: (bytes) => hash.xof!(bytes),
  };
}

const KECCAK = { sha3_256, sha3_512, shake128, shake256 } as const;

/** noble's throw on `fn` becomes undefined (the callers pass only inputs whose one possible failure is that check). */
function orUndefined<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** The @noble/* backend for `useBackend()`. */
export const nobleBackend: CryptoBackend = Object.freeze({
  name: 'noble',
  sha256: (message: Uint8Array) => sha256(message),
  sha256Create: (): BackendHash => adapt(sha256.create()),
  hmacSha256: (key: Uint8Array, message: Uint8Array) => hmac(sha256, key, message),
  hmacSha256Create: (key: Uint8Array): BackendHash => adapt(hmac.create(sha256, key)),
  hkdfSha256: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => hkdf(sha256, ikm, salt, info, length),
  hkdfExpandSha256: (prk: Uint8Array, info: Uint8Array, length: number) => expand(sha256, prk, info, length),
  x25519PublicKey: (secretKey: Uint8Array) => x25519.getPublicKey(secretKey),
  // noble rejects the five low-order u values (mod p) before the ladder: exactly the inputs whose
  // result is all zero (RFC 7748 §6.1), the only failure left once lengths are checked.
  x25519SharedSecret: (secretKey: Uint8Array, publicKey: Uint8Array) => orUndefined(() => x25519.getSharedSecret(secretKey, publicKey)),
  aeadSeal: (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  // noble verifies the tag in constant time before decrypting; a mismatch is its only failure here.
  aeadOpen: (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => orUndefined(() => chacha20poly1305(key, nonce, aad).decrypt(sealed)),
  keccak: (name: KeccakName, message: Uint8Array, outputLen: number) =>
    name === 'sha3_256' || name === 'sha3_512' ? KECCAK[name](message) : KECCAK[name](message, { dkLen: outputLen }),
  keccakCreate: (name: KeccakName, outputLen: number): BackendXof =>
    adapt(name === 'sha3_256' || name === 'sha3_512' ? KECCAK[name].create() : KECCAK[name].create({ dkLen: outputLen })),
  mlkemKeygen: (seed: Uint8Array) => ml_kem768.keygen(seed),
  mlkemEncapsulate: (publicKey: Uint8Array, msg: Uint8Array) => orUndefined(() => ml_kem768.encapsulate(publicKey, msg)),
  mlkemDecapsulate: (cipherText: Uint8Array, secretKey: Uint8Array) => orUndefined(() => ml_kem768.decapsulate(cipherText, secretKey)),
});
