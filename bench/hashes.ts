/**
 * SHA-256, HMAC-SHA256 and HKDF-SHA256, side by side: e2e2 (WASM), @noble/hashes (baseline),
 * libsodium-wrappers-sumo (the non-sumo build has no SHA-256/HMAC), node:crypto, hash-wasm and @chainsafe/as-sha256.
 * Every contender's output is checked against e2e2's before timing.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import sodium from 'libsodium-wrappers-sumo';
import { createHMAC, createSHA256 } from 'hash-wasm';
import { digest as chainsafeDigest } from '@chainsafe/as-sha256';
import { hkdf, hmac, sha256 } from '../bindings/crypto.js';
import { batchFor, checkedContenders, sizeLabel, type Case } from './harness.js';

export async function hashCases(): Promise<Case[]> {
  await sodium.ready;
  const hashWasm = await createSHA256();
  const cases: Case[] = [];

  for (const size of [32, 1024, 65_536]) {
    const message = new Uint8Array(size).map((_, i) => i * 31);
    const batch = batchFor(size);
    cases.push({
      group: 'sha256', size: sizeLabel(size), bytes: size, batch,
      contenders: checkedContenders(sha256(message), [
        ['e2e2', () => sha256(message)],
        ['@noble/hashes', () => nobleSha256(message), true],
        ['libsodium-wrappers-sumo', () => sodium.crypto_hash_sha256(message)],
        ['node:crypto', () => createHash('sha256').update(message).digest()],
        ['hash-wasm', () => hashWasm.init().update(message).digest('binary')],
        ['@chainsafe/as-sha256', () => chainsafeDigest(message)],
      ], batch),
    });
  }

  {
    const key = new Uint8Array(32).fill(7);
    const message = new Uint8Array(64).fill(9);
    const hashWasmHmac = await createHMAC(createSHA256(), key);
    const batch = batchFor(64);
    cases.push({
      group: 'hmac-sha256', size: sizeLabel(64), bytes: 64, batch,
      contenders: checkedContenders(hmac(sha256, key, message), [
        ['e2e2', () => hmac(sha256, key, message)],
        ['@noble/hashes', () => nobleHmac(nobleSha256, key, message), true],
        ['libsodium-wrappers-sumo', () => sodium.crypto_auth_hmacsha256(message, key)],
        ['node:crypto', () => createHmac('sha256', key).update(message).digest()],
        ['hash-wasm (key preloaded)', () => hashWasmHmac.init().update(message).digest('binary')],
      ], batch),
    });
  }

  // HKDF as a protocol uses it: a 32-byte IKM (a DH output), a 32-byte salt (a chaining key), a short label.
  const ikm = new Uint8Array(32).fill(1);
  const salt = new Uint8Array(32).fill(2);
  const info = new TextEncoder().encode('e2e2 bench info');
  const sodiumHkdf = (length: number): Uint8Array => {
    const state = sodium.crypto_auth_hmacsha256_init(salt);
    sodium.crypto_auth_hmacsha256_update(state, ikm);
    const prk = sodium.crypto_auth_hmacsha256_final(state);
    const okm = new Uint8Array(length);
    let previous: Uint8Array = new Uint8Array(0);
    for (let offset = 0, i = 1; offset < length; offset += 32, i++) {
      const t = sodium.crypto_auth_hmacsha256_init(prk);
      sodium.crypto_auth_hmacsha256_update(t, previous);
      sodium.crypto_auth_hmacsha256_update(t, info);
      sodium.crypto_auth_hmacsha256_update(t, Uint8Array.of(i));
      previous = sodium.crypto_auth_hmacsha256_final(t);
      okm.set(previous.subarray(0, Math.min(32, length - offset)), offset);
    }
    return okm;
  };
  for (const length of [32, 96]) {
    const batch = 32;
    cases.push({
      group: `hkdf-sha256 to ${length} B`, size: '', bytes: 0, batch,
      contenders: checkedContenders(hkdf(sha256, ikm, salt, info, length), [
        ['e2e2', () => hkdf(sha256, ikm, salt, info, length)],
        ['@noble/hashes', () => nobleHkdf(nobleSha256, ikm, salt, info, length), true],
        ['libsodium-wrappers-sumo (HMAC API)', () => sodiumHkdf(length)],
        ['node:crypto hkdfSync', () => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))],
      ], batch),
    });
  }
  return cases;
}
