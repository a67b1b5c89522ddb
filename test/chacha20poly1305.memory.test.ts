/**
 * Secrets do not outlive a call in WASM memory (DEVELOPERS.md security rules): after seal and open
 * (one-call and streamed, successful and failed) no copy of the key, the Poly1305 one-time key (§2.6)
 * or its clamped r limbs, the keystream, or a distinctive plaintext run is left anywhere in WASM memory,
 * and the I/O buffer every input and output passes through is all zero again.
 */
import { describe, expect, it } from 'vitest';
import { chacha20 as nobleChaCha20 } from '@noble/ciphers/chacha.js';
import { AuthenticationError, chacha20poly1305 } from '../bindings/crypto.js';
import { chacha20ForTestingOnly, poly1305ForTestingOnly } from '../bindings/core/chacha20poly1305.js';
import { core, wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { AEAD_PART } from '../bindings/core/wasm-parts.js';
import { randomBytes } from 'node:crypto';

function random(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

/** The secrets an AEAD operation under (key, nonce) derives, as byte strings to search for. */
function secretsOf(key: Uint8Array, nonce: Uint8Array): Array<[string, Uint8Array]> {
  const keystream = nobleChaCha20(key, nonce, new Uint8Array(5 * 64), undefined, 0);
  const oneTimeKey = keystream.subarray(0, 32);
  // r as the five 26-bit limbs (u32 little-endian) the Poly1305 context holds, clamped per §2.5.
  const word = (i: number) => new DataView(oneTimeKey.buffer, oneTimeKey.byteOffset).getUint32(i, true);
  const t = [word(0) & 0x0fffffff, word(4) & 0x0ffffffc, word(8) & 0x0ffffffc, word(12) & 0x0ffffffc];
  const limbs = [t[0]! & 0x3ffffff, ((t[0]! >>> 26) | (t[1]! << 6)) & 0x3ffffff, ((t[1]! >>> 20) | (t[2]! << 12)) & 0x3ffffff,
    ((t[2]! >>> 14) | (t[3]! << 18)) & 0x3ffffff, t[3]! >>> 8];
  const rLimbs = new Uint8Array(20);
  limbs.forEach((limb, i) => new DataView(rLimbs.buffer).setUint32(i * 4, limb, true));
  return [
    ['key', key],
    ['one-time key r', oneTimeKey.subarray(0, 16)],
    ['one-time key s', oneTimeKey.subarray(16, 32)],
    ['clamped r limbs', rLimbs],
    ['rest of block 0', keystream.subarray(32, 64)],
    ['keystream block 1', keystream.subarray(64, 96)],
    ['keystream block 3', keystream.subarray(192 + 32, 256)],
    ['keystream block 4', keystream.subarray(256, 288)],
  ];
}

function expectAbsent(needles: Array<[string, Uint8Array]>, when: string): void {
  // Every instance's memory (each primitive family has its own module).
  const memory = Buffer.from(wasmMemorySnapshotForTestingOnly());
  for (const [name, needle] of needles) {
    expect(memory.indexOf(Buffer.from(needle)), `${name} found in WASM memory after ${when}`).toBe(-1);
  }
  // Every input and output passes through IO of the AEAD module; each call leaves all of it zero.
  const { addr } = core(AEAD_PART);
  const io = Buffer.from(wasmMemorySnapshotForTestingOnly(AEAD_PART)).subarray(addr.IO!, addr.IO! + 65_536);
  expect(io.findIndex((b) => b !== 0), `IO not wiped after ${when}`).toBe(-1);
}

/** A plaintext whose first and last 48 bytes are random marker runs, searched for afterwards. */
function markedPlaintext(length: number): { plaintext: Uint8Array; markers: Array<[string, Uint8Array]> } {
  const plaintext = random(length);
  return { plaintext, markers: [['plaintext head', plaintext.slice(0, 48)], ['plaintext tail', plaintext.slice(length - 48)]] };
}

describe('no secret stays in WASM memory', () => {
  it('the search finds a key that is in memory (the check can fail)', () => {
    const key = random(32);
    const { heap, addr } = core(AEAD_PART);
    heap.set(key, addr.AEAD_KEY!);
    expect(Buffer.from(wasmMemorySnapshotForTestingOnly(AEAD_PART)).indexOf(Buffer.from(key))).toBe(addr.AEAD_KEY);
    expect(Buffer.from(wasmMemorySnapshotForTestingOnly()).indexOf(Buffer.from(key))).not.toBe(-1);
    heap.fill(0, addr.AEAD_KEY!, addr.AEAD_KEY! + 32);
    expectAbsent([['key', key]], 'wiping by hand');
  });

  for (const [label, length, aadLength] of [
    ['one call', 1000, 40],
    ['one call, 64 B', 64, 0],
    ['streamed message', 140_000, 24],
    ['streamed AAD', 100, 70_000],
  ] as Array<[string, number, number]>) {
    it(`seal and open, ${label}`, () => {
      const key = random(32), nonce = random(12), aad = random(aadLength);
      const { plaintext, markers } = markedPlaintext(length);
      const secrets = [...secretsOf(key, nonce), ...markers];
      const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
      expectAbsent(secrets, `seal (${label})`);
      expect(chacha20poly1305(key, nonce, aad).decrypt(sealed)).toEqual(plaintext);
      expectAbsent(secrets, `open (${label})`);
      sealed[sealed.length - 1]! ^= 1;
      expect(() => chacha20poly1305(key, nonce, aad).decrypt(sealed)).toThrow(AuthenticationError);
      expectAbsent(secrets, `failed open (${label})`);
    });
  }

  it('raw ChaCha20 and Poly1305 entry points', () => {
    const key = random(32), nonce = random(12);
    const { plaintext, markers } = markedPlaintext(700);
    chacha20ForTestingOnly(key, nonce, 0, plaintext);
    expectAbsent([...secretsOf(key, nonce), ...markers], 'chacha20ForTestingOnly');
    const polyKey = random(32);
    poly1305ForTestingOnly(polyKey, plaintext);
    expectAbsent([['poly1305 key r', polyKey.subarray(0, 16)], ['poly1305 key s', polyKey.subarray(16)], ...markers], 'poly1305ForTestingOnly');
  });
});
