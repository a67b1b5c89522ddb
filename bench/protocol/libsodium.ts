/**
 * BENCH ONLY: the E2-E2 primitives on libsodium-wrappers (the sumo build: the standard build has
 * no SHA-256/HMAC-SHA256). X25519 = crypto_scalarmult (fails on low-order points), AEAD =
 * crypto_aead_chacha20poly1305_ietf, HKDF composed from crypto_auth_hmacsha256 (32-byte keys,
 * which is every key HKDF sees here). Call `await sodium.ready` (exported) first.
 */
import sodium from 'libsodium-wrappers-sumo';
import type { Ephemeral, Primitives } from './core.js';

export { sodium };

const ONE = Uint8Array.of(1);

function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return sodium.crypto_auth_hmacsha256(data, key);
}

function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export const libsodiumPrimitives: Primitives = {
  generateEphemeral(): Ephemeral {
    const privateKey = sodium.randombytes_buf(32);
    return { privateKey, publicKey: sodium.crypto_scalarmult_base(privateKey) };
  },
  ephemeralFrom(privateKey, publicKey) {
    return { privateKey, publicKey };
  },
  dh(own, peerPublicKey) {
    return sodium.crypto_scalarmult(own.privateKey as Uint8Array, peerPublicKey);
  },
  sha256: (data) => sodium.crypto_hash_sha256(data),
  noiseHkdf(chainingKey, inputKeyMaterial, length) {
    const temp = hmac(chainingKey, inputKeyMaterial);
    const out = new Uint8Array(length);
    let previous = hmac(temp, ONE);
    out.set(previous);
    for (let i = 2; i <= length / 32; i++) {
      previous = hmac(temp, cat(previous, Uint8Array.of(i)));
      out.set(previous, (i - 1) * 32);
    }
    return out;
  },
  expand(prk, info, length) {
    return hmac(prk, cat(info, ONE)).subarray(0, length);
  },
  seal: (key, nonce, ad, plaintext) => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
  open: (key, nonce, ad, ciphertext) => sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key),
};
