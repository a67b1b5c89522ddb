/**
 * Tests that kill mutants of bindings/e2e2/encoding.ts (issue 13; SPEC.md §2): hex and base64url
 * (RFC 4648 §5) against Node's Buffer as the reference, the strict and the constant-time decoder
 * against each other on every character, the big-endian integers at their bounds, UTF-8, the CSPRNG.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  fromBase64Url,
  fromBase64UrlConstantTime,
  fromHex,
  fromUtf8,
  isAllZero,
  randomBytes,
  readU32be,
  readU64be,
  toBase64Url,
  toHex,
  u16be,
  u32be,
  u64be,
  u8,
  utf8,
} from '../bindings/e2e2/encoding.js';

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const decoders = { fromBase64Url, fromBase64UrlConstantTime };

/** Buffer accepts non-canonical and padded input; this is the one canonical decoding or undefined. */
function referenceDecode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  return Buffer.from(bytes).toString('base64url') === text ? bytes : undefined;
}

describe('hex', () => {
  it('toHex of every byte value is Buffer hex', () => {
    expect(toHex(ALL_BYTES)).toBe(Buffer.from(ALL_BYTES).toString('hex'));
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('fromHex: the inverse of toHex; lowercase pairs only', () => {
    expect(fromHex(toHex(ALL_BYTES))).toStrictEqual(ALL_BYTES);
    expect(fromHex('')).toStrictEqual(new Uint8Array(0));
    expect(fromHex('0a1f')).toStrictEqual(Uint8Array.of(0x0a, 0x1f));
    for (const text of ['0', 'abc', 'AB', '0A', 'zz', 'g0', '0g', '00zz', 'zz00', ' 00', '00 ', '-1', '0x'])
      expect(fromHex(text), text).toBeUndefined();
  });
});

describe('base64url', () => {
  it('toBase64Url is Buffer base64url (no padding) for lengths 0..40', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 101 + 0xc3) & 0xff);
      expect(toBase64Url(bytes), `length ${n}`).toBe(Buffer.from(bytes).toString('base64url'));
    }
    expect(toBase64Url(ALL_BYTES)).toBe(Buffer.from(ALL_BYTES).toString('base64url'));
  });

  for (const [name, decode] of Object.entries(decoders)) {
    it(`${name}: round trip for lengths 0..40 and all byte values`, () => {
      for (let n = 0; n <= 40; n++) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 7 + 0xf0) & 0xff);
        expect(decode(toBase64Url(bytes)), `length ${n}`).toStrictEqual(bytes);
      }
      expect(decode(toBase64Url(ALL_BYTES))).toStrictEqual(ALL_BYTES);
      expect(decode('')).toStrictEqual(new Uint8Array(0));
    });

    it(`${name}: every character code 0..0x17f, in each position of a 4-character group, as the canonical reference decides`, () => {
      for (let code = 0; code <= 0x17f; code++) {
        const c = String.fromCharCode(code);
        for (const text of [c + 'AAA', 'A' + c + 'AA', 'AA' + c + 'A', 'AAA' + c, 'AA' + c, 'A' + c, c + 'A', 'AAAA' + c + 'w'])
          expect(decode(text), JSON.stringify(text)).toStrictEqual(referenceDecode(text));
      }
    });

    it(`${name}: non-canonical last characters, lengths 4k+1, padding and whitespace are refused`, () => {
      for (const text of ['A', 'AAAAA', 'AB', 'AAB', 'AAAAAB', 'AAAAAAB', 'AA==', 'AAA=', 'AA AA', 'AAAA\n', '+/+/', 'Zm9v+g'])
        expect(decode(text), text).toBeUndefined();
      // The unused low bits: 4 after two characters, 2 after three.
      expect(decode('AQ')).toStrictEqual(Uint8Array.of(0x01));
      expect(decode('AR')).toBeUndefined();
      expect(decode('AAE')).toStrictEqual(Uint8Array.of(0x00, 0x01));
      expect(decode('AAF')).toBeUndefined();
      expect(decode('__8')).toStrictEqual(Uint8Array.of(0xff, 0xff));
      expect(decode('__-_')).toStrictEqual(Uint8Array.of(0xff, 0xff, 0xbf));
      expect(decode('-_')).toBeUndefined();
      expect(decode('-w')).toStrictEqual(Uint8Array.of(0xfb));
    });
  }
});

describe('integers', () => {
  it('u8, u16be, u32be keep the low bits, big-endian', () => {
    expect(u8(0x1ab)).toStrictEqual(Uint8Array.of(0xab));
    expect(u16be(0x1234)).toStrictEqual(Uint8Array.of(0x12, 0x34));
    expect(u16be(0x1abcd)).toStrictEqual(Uint8Array.of(0xab, 0xcd));
    expect(u16be(0xffff)).toStrictEqual(Uint8Array.of(0xff, 0xff));
    expect(u32be(0x12345678)).toStrictEqual(Uint8Array.of(0x12, 0x34, 0x56, 0x78));
    expect(u32be(-1)).toStrictEqual(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    expect(u32be(0x1_0000_0001)).toStrictEqual(Uint8Array.of(0, 0, 0, 1));
  });

  it('u64be of safe integers; readU64be is its inverse and refuses more than 2^53 - 1', () => {
    const cases: [number, number[]][] = [
      [0, [0, 0, 0, 0, 0, 0, 0, 0]],
      [0x1_0000_0001, [0, 0, 0, 1, 0, 0, 0, 1]],
      [0x12_3456_789a_bcde, [0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]],
      [Number.MAX_SAFE_INTEGER, [0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ];
    for (const [value, bytes] of cases) {
      expect(u64be(value), String(value)).toStrictEqual(Uint8Array.from(bytes));
      // Read from inside a larger buffer, at an offset, to cover byteOffset and offset.
      const padded = Uint8Array.from([9, 9, 9, ...bytes, 9]);
      expect(readU64be(padded.subarray(1), 2), String(value)).toBe(value);
    }
    expect(readU64be(Uint8Array.of(0, 0x20, 0, 0, 0, 0, 0, 0), 0)).toBeUndefined();
    expect(readU64be(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0)).toBeUndefined();
  });

  it('readU32be reads at the offset inside a subarray', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(readU32be(bytes, 0)).toBe(0x01020304);
    expect(readU32be(bytes.subarray(2), 1)).toBe(0x04050607);
  });
});

describe('UTF-8, randomness, zero test', () => {
  it('utf8 encodes; fromUtf8 decodes strictly', () => {
    expect(utf8('h\u00e9\u{1f600}')).toStrictEqual(Uint8Array.of(0x68, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80));
    expect(fromUtf8(Uint8Array.of(0x68, 0xc3, 0xa9))).toBe('h\u00e9');
    expect(fromUtf8(Uint8Array.of(0x68, 0xc3))).toBeUndefined();
    expect(fromUtf8(Uint8Array.of(0xff))).toBeUndefined();
  });

  it('randomBytes: the asked length, from the CSPRNG (two draws of 32 bytes differ)', () => {
    expect(randomBytes(0)).toStrictEqual(new Uint8Array(0));
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(a.length).toBe(32);
    expect(isAllZero(a)).toBe(false);
    expect(a).not.toStrictEqual(b);
  });

  it('isAllZero looks at every byte', () => {
    expect(isAllZero(new Uint8Array(0))).toBe(true);
    expect(isAllZero(new Uint8Array(5))).toBe(true);
    for (let i = 0; i < 5; i++) {
      const bytes = new Uint8Array(5);
      bytes[i] = 0x80;
      expect(isAllZero(bytes), `byte ${i}`).toBe(false);
    }
  });
});
