/**
 * Forgery rejection (RFC 8439 §2.8, §4): every single-bit flip of a sealed message (ciphertext, tag,
 * AAD, nonce) must fail with ERR_AUTHENTICATION_FAILED, write nothing to a caller's output, and leave
 * the cipher working: the genuine message still opens afterwards. For messages past the 64 KiB I/O
 * buffer (the streamed path) the flips are taken at every chunk edge, in every 97th byte, in the AAD
 * stream, and over the whole tag and nonce (every bit of 150,000 bytes would take many minutes).
 */
import { describe, expect, it } from 'vitest';
import { AuthenticationError, chacha20poly1305, chacha20poly1305Open } from '../bindings/crypto.js';
import { hex } from './helpers/vectors.js';

const TAG = 16;

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 131 + seed * 17 + (i >> 8)) & 0xff);
}

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

/** Open must throw the one authentication error, and leave a caller's output untouched. */
function expectRejected(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, where: string): void {
  const output = new Uint8Array(Math.max(0, sealed.length - TAG)).fill(0xa5);
  let error: unknown;
  try {
    chacha20poly1305Open(key, nonce, sealed, aad, output);
  } catch (e) {
    error = e;
  }
  if (!(error instanceof AuthenticationError)) throw new Error(`${where}: not rejected with AuthenticationError (${String(error)})`);
  if (error.code !== 'ERR_AUTHENTICATION_FAILED' || error.fault !== 'peer' || error.message !== 'authentication failed') {
    throw new Error(`${where}: wrong error ${error.code} ${error.fault} ${error.message}`);
  }
  if (output.some((b) => b !== 0xa5)) throw new Error(`${where}: output written although the tag did not verify`);
}

interface Sealed {
  key: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
  plaintext: Uint8Array;
  sealed: Uint8Array;
}

function sealedMessage(length: number, aadLength: number): Sealed {
  const key = pattern(32, 1), nonce = pattern(12, 2), aad = pattern(aadLength, 3), plaintext = pattern(length, 4);
  return { key, nonce, aad, plaintext, sealed: chacha20poly1305(key, nonce, aad).encrypt(plaintext) };
}

function expectStillOpens(m: Sealed): void {
  expect(hex(chacha20poly1305(m.key, m.nonce, m.aad).decrypt(m.sealed))).toBe(hex(m.plaintext));
}

describe('single-bit flips are rejected (one-call path)', () => {
  // 37-byte plaintext (a partial ChaCha20 block, a partial Poly1305 block) and 20-byte AAD (padded).
  const m = sealedMessage(37, 20);

  it('every bit of ciphertext and tag', () => {
    for (let bit = 0; bit < m.sealed.length * 8; bit++) expectRejected(m.key, m.nonce, flip(m.sealed, bit), m.aad, `sealed bit ${bit}`);
    expectStillOpens(m);
  });
  it('every bit of the AAD', () => {
    for (let bit = 0; bit < m.aad.length * 8; bit++) expectRejected(m.key, m.nonce, m.sealed, flip(m.aad, bit), `aad bit ${bit}`);
    expectStillOpens(m);
  });
  it('every bit of the nonce', () => {
    for (let bit = 0; bit < 96; bit++) expectRejected(m.key, flip(m.nonce, bit), m.sealed, m.aad, `nonce bit ${bit}`);
    expectStillOpens(m);
  });
  it('every bit of the key', () => {
    for (let bit = 0; bit < 256; bit++) expectRejected(flip(m.key, bit), m.nonce, m.sealed, m.aad, `key bit ${bit}`);
    expectStillOpens(m);
  });
  it('truncation, extension, and AAD moved into the ciphertext', () => {
    for (let cut = 1; cut <= m.sealed.length; cut++) expectRejected(m.key, m.nonce, m.sealed.subarray(0, m.sealed.length - cut), m.aad, `cut ${cut}`);
    expectRejected(m.key, m.nonce, new Uint8Array([...m.sealed, 0]), m.aad, 'extended');
    expectRejected(m.key, m.nonce, m.sealed, m.aad.subarray(1), 'aad shortened');
    expectRejected(m.key, m.nonce, m.sealed, new Uint8Array(0), 'aad dropped');
    expectStillOpens(m);
  });
  it('a sealed empty message (tag only) rejects every flip', () => {
    const e = sealedMessage(0, 0);
    for (let bit = 0; bit < TAG * 8; bit++) expectRejected(e.key, e.nonce, flip(e.sealed, bit), e.aad, `tag bit ${bit}`);
    expectStillOpens(e);
  });
});

describe('messages larger than 64 KiB (streamed path)', () => {
  // 150,000 bytes: three I/O chunks; 70,000 bytes of AAD: streamed too.
  const m = sealedMessage(150_000, 70_000);
  const n = m.plaintext.length;

  it('round-trips, and matches sealing with the AAD small enough for one call', () => {
    expectStillOpens(m);
    const small = sealedMessage(n, 16);
    expectStillOpens(small);
    expect(hex(small.sealed.subarray(0, n))).toBe(hex(m.sealed.subarray(0, n)));
  });
  it('rejects flips at the chunk edges, in the middle and at both ends of the ciphertext, and every tag bit', () => {
    const bytes = [0, 1, 191, 192, 255, 256, 65_535, 65_536, 65_537, 100_000, 131_071, 131_072, n - 1];
    for (const byte of bytes) for (const bit of [0, 7]) expectRejected(m.key, m.nonce, flip(m.sealed, byte * 8 + bit), m.aad, `ct byte ${byte} bit ${bit}`);
    for (let bit = n * 8; bit < (n + TAG) * 8; bit++) expectRejected(m.key, m.nonce, flip(m.sealed, bit), m.aad, `tag bit ${bit - n * 8}`);
    expectStillOpens(m);
  });
  it('rejects a flip in every 97th ciphertext byte (bit varying)', () => {
    for (let byte = 0; byte < n; byte += 97) expectRejected(m.key, m.nonce, flip(m.sealed, byte * 8 + (byte % 8)), m.aad, `ct byte ${byte}`);
    expectStillOpens(m);
  });
  it('rejects flips in the streamed AAD and every nonce bit', () => {
    for (const byte of [0, 65_535, 65_536, m.aad.length - 1]) expectRejected(m.key, m.nonce, m.sealed, flip(m.aad, byte * 8 + 3), `aad byte ${byte}`);
    for (let bit = 0; bit < 96; bit++) expectRejected(m.key, flip(m.nonce, bit), m.sealed, m.aad, `nonce bit ${bit}`);
    expectStillOpens(m);
  });
});
