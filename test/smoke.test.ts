import { describe, expect, it } from 'vitest';
import { sha256 as nobleSha } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256, hmac, hkdf } from '../bindings/crypto.js';

describe('smoke', () => {
  it('sha256/hmac/hkdf match noble', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 65536, 65537, 200000]) {
      const m = new Uint8Array(n).map((_, i) => i * 7);
      expect(sha256(m)).toEqual(nobleSha(m));
      expect(hmac(sha256, m.subarray(0, n % 100), m)).toEqual(nobleHmac(nobleSha, m.subarray(0, n % 100), m));
      expect(hkdf(sha256, m, m.subarray(0, 13), m.subarray(0, n % 70), 77)).toEqual(nobleHkdf(nobleSha, m, m.subarray(0, 13), m.subarray(0, n % 70), 77));
    }
  });
});
