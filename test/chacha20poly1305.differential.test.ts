/**
 * Differential tests against @noble/ciphers (the independent pure-JS oracle): ChaCha20-Poly1305
 * (RFC 8439 §2.8) sealed and opened by both must agree byte for byte, and raw ChaCha20 (§2.4) and
 * Poly1305 (§2.5) must match noble's. fast-check draws keys, nonces, AADs and lengths (biased to
 * small sizes, with every block boundary and lengths past the 64 KiB I/O chunk); a deterministic
 * sweep covers each boundary exactly. FUZZ_RUNS cases per property (10,000 by default).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chacha20poly1305 as nobleChaCha20Poly1305, chacha20 as nobleChaCha20 } from '@noble/ciphers/chacha.js';
import { poly1305 as noblePoly1305 } from '@noble/ciphers/_poly1305.js';
import { chacha20poly1305, chacha20poly1305Open, chacha20poly1305Seal } from '../bindings/crypto.js';
import { chacha20ForTestingOnly, poly1305ForTestingOnly } from '../bindings/core/chacha20poly1305.js';
import { FUZZ_RUNS, hex } from './helpers/vectors.js';

const IO = 65_536;
const TAG = 16;

/**
 * Lengths where the implementation changes path: ChaCha20 blocks (64), the 4-block SIMD core (256),
 * the 192 bytes covered by blocks 1-3, the 4096-byte seal step after them, the Poly1305 SIMD threshold
 * (8 blocks), the one-call limit (len + 16 + aad <= 64 KiB) and the 64 KiB streaming chunks.
 */
const BOUNDARIES = [0, 16, 64, 128, 192, 256, 320, 448, 512, 1024, 4096, 4288, 8384, IO - TAG, IO, IO + 192, 2 * IO];

/** Deterministic pseudo-random bytes (xorshift32), so large inputs cost no fast-check generation. */
function bytesFrom(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const nearBoundary = fc.constantFrom(...BOUNDARIES).chain((b) => fc.integer({ min: Math.max(0, b - 3), max: b + 3 }));
const messageLength = fc.oneof(
  { weight: 60, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 22, arbitrary: fc.integer({ min: 0, max: 5000 }) },
  { weight: 12, arbitrary: nearBoundary },
  { weight: 6, arbitrary: fc.integer({ min: 60_000, max: 140_000 }) },
);
const aadLength = fc.oneof(
  { weight: 70, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 22, arbitrary: fc.integer({ min: 0, max: 1000 }) },
  { weight: 5, arbitrary: nearBoundary },
  { weight: 3, arbitrary: fc.integer({ min: 60_000, max: 75_000 }) },
);
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce12 = fc.uint8Array({ minLength: 12, maxLength: 12 });

/** Seal with both, open with both; every result must agree. */
function agree(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): void {
  const expected = nobleChaCha20Poly1305(key, nonce, aad).encrypt(plaintext);
  const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
  if (hex(sealed) !== hex(expected)) throw new Error(`seal differs (plaintext ${plaintext.length} B, aad ${aad.length} B)`);
  const opened = chacha20poly1305(key, nonce, aad).decrypt(expected);
  if (hex(opened) !== hex(plaintext)) throw new Error(`open differs (plaintext ${plaintext.length} B, aad ${aad.length} B)`);
}

describe('ChaCha20-Poly1305 vs @noble/ciphers', () => {
  it(`random keys, nonces, AADs and lengths (${FUZZ_RUNS} cases)`, () => {
    fc.assert(
      fc.property(key32, nonce12, messageLength, aadLength, fc.integer(), (key, nonce, n, a, seed) => {
        agree(key, nonce, bytesFrom(seed ^ 0x5bd1e995, a), bytesFrom(seed, n));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('every length 0..600 and every boundary ±3, with AADs of 0, 1, 15, 16, 17 and 300 bytes', () => {
    const key = bytesFrom(11, 32), nonce = bytesFrom(12, 12);
    const lengths = new Set<number>();
    for (let n = 0; n <= 600; n++) lengths.add(n);
    for (const b of BOUNDARIES) for (let d = -3; d <= 3; d++) if (b + d >= 0) lengths.add(b + d);
    for (const n of lengths) {
      for (const a of [0, 1, 15, 16, 17, 300]) agree(key, nonce, bytesFrom(n + 7, a), bytesFrom(n + 1, n));
    }
  });

  it('the one-call limit (plaintext + 16 + AAD = 64 KiB) and streamed AAD, on both sides', () => {
    const key = bytesFrom(21, 32), nonce = bytesFrom(22, 12);
    const cases: Array<[number, number]> = [
      [IO - TAG, 0], [IO - TAG + 1, 0], [IO - TAG - 1, 1], [IO - TAG, 1], [0, IO - TAG], [0, IO - TAG + 1],
      [1000, IO - TAG - 1000], [1000, IO - TAG - 999], [0, IO], [0, 3 * IO + 5], [70_000, 70_000], [3 * IO + 17, 33],
    ];
    for (const [n, a] of cases) agree(key, nonce, bytesFrom(a + 3, a), bytesFrom(n + 5, n));
  });

  it('functional forms and caller-provided outputs give the same bytes', () => {
    fc.assert(
      fc.property(key32, nonce12, messageLength, aadLength, fc.integer(), (key, nonce, n, a, seed) => {
        const aad = bytesFrom(seed + 1, a), plaintext = bytesFrom(seed, n);
        const expected = hex(nobleChaCha20Poly1305(key, nonce, aad).encrypt(plaintext));
        const sealed = chacha20poly1305Seal(key, nonce, plaintext, aad);
        expect(hex(sealed)).toBe(expected);
        const output = new Uint8Array(n + TAG);
        expect(chacha20poly1305(key, nonce, aad).encrypt(plaintext, output)).toBe(output);
        expect(hex(output)).toBe(expected);
        const opened = new Uint8Array(n);
        expect(chacha20poly1305Open(key, nonce, sealed, aad, opened)).toBe(opened);
        expect(hex(opened)).toBe(hex(plaintext));
      }),
      { numRuns: Math.ceil(FUZZ_RUNS / 10) },
    );
  });
});

describe('raw ChaCha20 and Poly1305 vs @noble/ciphers', () => {
  it(`ChaCha20 keystream XOR at any counter (${FUZZ_RUNS} cases)`, () => {
    fc.assert(
      fc.property(key32, nonce12, fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 0xffff_ff00 }), fc.integer(), (key, nonce, n, counter, seed) => {
        const data = bytesFrom(seed, n);
        expect(hex(chacha20ForTestingOnly(key, nonce, counter, data))).toBe(hex(nobleChaCha20(key, nonce, data, undefined, counter)));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  // Carry edge cases of both Poly1305 paths (scalar and two-way SIMD): bytes biased to 0x00 and 0xff,
  // keys whose clamped r has every allowed bit set, s of all ones.
  const edgyByte = fc.oneof(fc.constant(0xff), fc.constant(0x00), fc.integer({ min: 0, max: 255 }));
  const polyKey = fc.oneof(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.constant(new Uint8Array(32).fill(0xff)),
    fc.uint8Array({ minLength: 32, maxLength: 32, min: 0xf0 }),
  );
  it(`Poly1305 tags, including carry edge cases (${FUZZ_RUNS} cases)`, () => {
    fc.assert(
      fc.property(polyKey, fc.array(edgyByte, { maxLength: 700 }), (key, bytes) => {
        const message = Uint8Array.from(bytes);
        expect(hex(poly1305ForTestingOnly(key, message))).toBe(hex(noblePoly1305(message, key)));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
  it('Poly1305 of all-0xff messages of every length 0..1100 under the all-0xff key', () => {
    const key = new Uint8Array(32).fill(0xff);
    for (let n = 0; n <= 1100; n++) {
      const message = new Uint8Array(n).fill(0xff);
      expect(hex(poly1305ForTestingOnly(key, message))).toBe(hex(noblePoly1305(message, key)));
    }
  });
});
