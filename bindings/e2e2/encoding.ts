/**
 * Byte encodings used by E2-E2 (SPEC.md §2): lowercase hex, unpadded base64url (RFC 4648 §5) with
 * canonical decoding only, big-endian integers, UTF-8, concatenation, and randomness from the
 * platform CSPRNG (WebCrypto getRandomValues, in Node and in browsers).
 */
const HEX = '0123456789abcdef';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_INDEX[B64URL.charCodeAt(i)] = i;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return out;
}

/** Lowercase hex only; returns undefined for anything else (odd length, uppercase, other characters). */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** base64url without padding (RFC 4648 §5, §3.2). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Strict base64url decoding: alphabet `A-Z a-z 0-9 - _`, no padding, no whitespace, and
 * canonical (the unused low bits of the last character are zero, RFC 4648 §3.5), so each byte
 * string has exactly one accepted encoding. Returns undefined when the text is not canonical.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? B64URL_INDEX[code]! : -1;
    if (value < 0) return undefined;
    acc = ((acc << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Canonical form (RFC 4648 §3.5): the unused low bits of the last character are zero (none when bits is 0).
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** -1 when lo <= c <= hi, else 0: both differences are negative exactly inside the range (no branch). */
function inRangeMask(c: number, lo: number, hi: number): number {
  return ((lo - 1 - c) & (c - hi - 1)) >> 31;
}

/**
 * fromBase64Url for secrets, in constant time in the text's content (only its length, which is
 * public, decides anything): each character is mapped to its 6-bit value by range masks, never by
 * a table indexed with it, and validity (alphabet, canonical last character) is OR-accumulated and
 * looked at once, at the end. The technique is Steve Thomas's constant-time base64, as in
 * libsodium's sodium_base642bin. Same results as fromBase64Url; JavaScript engines give no timing
 * guarantee, so this removes the secret-dependent memory accesses and branches, no more.
 */
export function fromBase64UrlConstantTime(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let invalid = 0;
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const upper = inRangeMask(c, 0x41, 0x5a); // A-Z -> 0..25
    const lower = inRangeMask(c, 0x61, 0x7a); // a-z -> 26..51
    const digit = inRangeMask(c, 0x30, 0x39); // 0-9 -> 52..61
    const dash = inRangeMask(c, 0x2d, 0x2d); // '-' -> 62
    const underscore = inRangeMask(c, 0x5f, 0x5f); // '_' -> 63
    const value = (upper & (c - 0x41)) | (lower & (c - 0x47)) | (digit & (c + 4)) | (dash & 62) | (underscore & 63);
    invalid |= ~(upper | lower | digit | dash | underscore);
    acc = ((acc << 6) | value) & 0xffffff;
    bits += 6;
    // `bits` and `o` follow from i alone, so this branch depends only on the position.
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Canonical form: the unused low bits of the last character must be zero (RFC 4648 §3.5).
  invalid |= acc & ((1 << bits) - 1);
  if (invalid !== 0) {
    out.fill(0);
    return undefined;
  }
  return out;
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding; undefined for invalid sequences. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

// The Noise layer owns concatBytes (bindings/noise/bytes.ts); re-exported for the E2-E2 modules.
export { concatBytes } from '../noise/bytes.js';

export function u8(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff);
}

export function u16be(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

/** Unsigned 64-bit big-endian of a safe integer (0 ≤ value ≤ 2^53 - 1). */
export function u64be(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 0x1_0000_0000));
  view.setUint32(4, value >>> 0);
  return out;
}

export function readU32be(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/** Read a u64 big-endian; undefined when it exceeds Number.MAX_SAFE_INTEGER. */
export function readU64be(bytes: Uint8Array, offset: number): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = view.getUint32(offset);
  const low = view.getUint32(offset + 4);
  if (high > 0x1fffff) return undefined;
  return high * 0x1_0000_0000 + low;
}

/** `length` bytes from the platform CSPRNG. */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** True when every byte is zero (constant time in the length). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}
