/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) seal and open, side by side: e2e2 (WASM), @noble/ciphers (baseline),
 * libsodium-wrappers, node:crypto (OpenSSL) and @chainsafe/as-chacha20poly1305. Empty AAD, as in Noise
 * transport messages. Every contender's output is checked against e2e2's before timing.
 *
 * Each op builds its cipher from key and nonce the way a per-record caller would (noble's instances are
 * single-use for encryption, node:crypto's are single-message). Every op returns a fresh array
 * (ciphertext || tag, or plaintext), as each library does by default.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { chacha20poly1305 as nobleChaCha } from '@noble/ciphers/chacha.js';
import sodium from 'libsodium-wrappers';
import { ChaCha20Poly1305 as ChainsafeChaCha, newInstance } from '@chainsafe/as-chacha20poly1305';
import { chacha20poly1305 } from '../bindings/crypto.js';
import { batchFor, checkedContenders, sizeLabel, type Case } from './harness.js';

const SIZES = [64, 1024, 16_384, 65_536, 1_048_576];

export async function aeadCases(): Promise<Case[]> {
  await sodium.ready;
  const chainsafe = new ChainsafeChaCha(newInstance());
  const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
  const nonce = new Uint8Array(12).map((_, i) => (i < 4 ? 0 : i * 3));
  const aad = new Uint8Array(0);
  const cases: Case[] = [];

  for (const size of SIZES) {
    const plaintext = new Uint8Array(size).map((_, i) => i * 31 + 5);
    const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
    const batch = batchFor(size);
    cases.push({
      group: 'chacha20poly1305 seal', size: sizeLabel(size), bytes: size, batch,
      contenders: checkedContenders(sealed, [
        ['e2e2', () => chacha20poly1305(key, nonce, aad).encrypt(plaintext)],
        ['@noble/ciphers', () => nobleChaCha(key, nonce, aad).encrypt(plaintext), true],
        ['libsodium-wrappers', () => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key)],
        ['node:crypto', () => {
          const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
          cipher.setAAD(aad, { plaintextLength: plaintext.length });
          const body = cipher.update(plaintext);
          cipher.final();
          return Buffer.concat([body, cipher.getAuthTag()]);
        }],
        ['@chainsafe/as-chacha20poly1305', () => chainsafe.seal(key, nonce, plaintext, aad)],
      ], batch),
    });
    const tag = sealed.subarray(size);
    const body = sealed.subarray(0, size);
    cases.push({
      group: 'chacha20poly1305 open', size: sizeLabel(size), bytes: size, batch,
      contenders: checkedContenders(plaintext, [
        ['e2e2', () => chacha20poly1305(key, nonce, aad).decrypt(sealed)],
        ['@noble/ciphers', () => nobleChaCha(key, nonce, aad).decrypt(sealed), true],
        ['libsodium-wrappers', () => sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key)],
        ['node:crypto', () => {
          const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
          decipher.setAuthTag(tag);
          decipher.setAAD(aad, { plaintextLength: size });
          const out = decipher.update(body);
          decipher.final();
          return out;
        }],
        ['@chainsafe/as-chacha20poly1305', () => {
          const out = chainsafe.open(key, nonce, sealed, aad);
          if (out === null) throw new Error('@chainsafe/as-chacha20poly1305: open failed');
          return out;
        }],
      ], batch),
    });
  }
  return cases;
}
