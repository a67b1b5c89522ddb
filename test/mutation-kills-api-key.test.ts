/**
 * Tests that kill mutants of bindings/e2e2/api-key.ts (issue 13; SPEC.md §4): each refusal with
 * its exact message (the token's shape is spelled out, the token is never echoed), the bounds of
 * every field of the token form, copies instead of the caller's arrays, and the re-draw of an
 * all-zero secret.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertSecret, formatApiKey, generateApiKey, keyIdBytes, normalizeApiKey, parseApiKey } from '../bindings/e2e2/api-key.js';
import { toBase64Url } from '../bindings/e2e2/encoding.js';
import { expectCode } from './oracle/harness.js';

const SHAPE = 'API key token must be "e2e2_" + 24 lowercase hex digits + "_" + 43 base64url characters';
const SECRET_SHAPE = 'API key secret must be a Uint8Array of exactly 32 random bytes';
const KEY_ID_SHAPE = 'keyId must be 24 lowercase hex digits';
const ID = '0123456789abcdef01234567';
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const TOKEN = `e2e2_${ID}_${toBase64Url(SECRET)}`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseApiKey', () => {
  it('accepts the canonical token, every base64url character included', () => {
    expect(parseApiKey(TOKEN)).toStrictEqual({ keyId: ID, secret: SECRET });
    const all = Uint8Array.from({ length: 32 }, (_, i) => (i * 0x41 + 0xfb) & 0xff);
    expect(parseApiKey(`e2e2_abcdefabcdef012345678989_${toBase64Url(all)}`).secret).toStrictEqual(all);
    // '-' and '_' (62, 63) and the last character 'A', 'E', ... (low 2 bits zero).
    const high = new Uint8Array(32).fill(0xfb);
    expect(toBase64Url(high)).toContain('-');
    expect(parseApiKey(`e2e2_${ID}_${toBase64Url(high)}`).secret).toStrictEqual(high);
    expect(parseApiKey(`e2e2_${ID}_${toBase64Url(new Uint8Array(32).fill(0xff))}`).secret).toStrictEqual(new Uint8Array(32).fill(0xff));
  });

  it('refuses every other shape with the message that spells out the form', () => {
    const secret = TOKEN.slice(-43);
    const bad = [
      '',
      `x${TOKEN}`,
      `${TOKEN}A`,
      `${TOKEN}\n`,
      TOKEN.slice(1),
      TOKEN.slice(0, -1),
      `e2e3_${ID}_${secret}`,
      `E2E2_${ID}_${secret}`,
      `e2e2_${ID}0_${secret}`,
      `e2e2_${ID.slice(1)}_${secret}`,
      `e2e2_${ID.slice(0, -1)}A_${secret}`,
      `e2e2_${ID.slice(0, -1)}g_${secret}`,
      `e2e2_${ID}-${secret}`,
      `e2e2_${ID}_${secret}A`,
      `e2e2_${ID}_${secret.slice(1)}`,
      `e2e2_${ID}_${secret.slice(0, -1)}=`,
      `e2e2_${ID}_${secret.slice(0, -1)}+`,
      `e2e2_${ID}_${secret.slice(0, -1)}/`,
      `e2e2_${ID}_${secret.slice(0, -1)}.`,
      `e2e2_${ID}_${secret.slice(0, 20)} ${secret.slice(21)}`,
    ];
    for (const token of bad) {
      const error = expectCode(() => parseApiKey(token), 'ERR_INVALID_API_KEY', SHAPE);
      expect(error.message).not.toContain(ID);
    }
  });

  it('a non-string, a non-canonical last character and an all-zero secret, each with its own message', () => {
    expectCode(() => parseApiKey(42 as unknown as string), 'ERR_INVALID_API_KEY', 'API key token must be a string');
    expectCode(() => parseApiKey({ toString: () => TOKEN } as unknown as string), 'ERR_INVALID_API_KEY', 'API key token must be a string');
    // 43 characters carry 258 bits: the last character's 2 low bits must be zero.
    const last = TOKEN.at(-1)!;
    for (const other of ['B', 'C', 'D', '_']) {
      if (other === last) continue;
      expectCode(() => parseApiKey(TOKEN.slice(0, -1) + other), 'ERR_INVALID_API_KEY', 'API key secret is not canonical base64url of 32 bytes');
    }
    expectCode(() => parseApiKey(`e2e2_${ID}_${'A'.repeat(43)}`), 'ERR_INVALID_API_KEY', 'API key secret is all zero');
  });
});

describe('keyIdBytes, assertSecret, normalizeApiKey, formatApiKey', () => {
  it('keyIdBytes: exactly 24 lowercase hex digits', () => {
    expect(keyIdBytes(ID)).toStrictEqual(Uint8Array.of(0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67));
    for (const keyId of [ID.slice(2), `${ID}00`, ID.toUpperCase(), `${ID.slice(0, -1)}g`, 24, undefined])
      expectCode(() => keyIdBytes(keyId as string), 'ERR_INVALID_API_KEY', KEY_ID_SHAPE);
    // Not a string, though it has the length and prints as hex: still refused, typed.
    expectCode(() => keyIdBytes({ length: 24, toString: () => ID } as unknown as string), 'ERR_INVALID_API_KEY', KEY_ID_SHAPE);
  });

  it('assertSecret: a 32-byte Uint8Array that is not all zero, returned as is', () => {
    expect(assertSecret(SECRET)).toBe(SECRET);
    const lastOnly = new Uint8Array(32);
    lastOnly[31] = 1;
    expect(assertSecret(lastOnly)).toBe(lastOnly);
    for (const secret of [new Uint8Array(31).fill(1), new Uint8Array(33).fill(1), Array.from(SECRET), 'x'.repeat(32), undefined])
      expectCode(() => assertSecret(secret), 'ERR_INVALID_API_KEY', SECRET_SHAPE);
    expectCode(() => assertSecret(new Uint8Array(32)), 'ERR_INVALID_API_KEY', 'API key secret is all zero');
  });

  it('normalizeApiKey: a token or { keyId, secret }, returned as a copy', () => {
    expect(normalizeApiKey(TOKEN)).toStrictEqual({ keyId: ID, secret: SECRET });
    const input = { keyId: ID, secret: SECRET.slice() };
    const out = normalizeApiKey(input);
    expect(out).toStrictEqual({ keyId: ID, secret: SECRET });
    expect(out.secret).not.toBe(input.secret);
    input.secret.fill(9);
    expect(out.secret).toStrictEqual(SECRET);
    for (const apiKey of [null, undefined, 7, true])
      expectCode(() => normalizeApiKey(apiKey as never), 'ERR_INVALID_API_KEY', 'apiKey must be a token string or { keyId, secret }');
    expectCode(() => normalizeApiKey({ keyId: 'short', secret: SECRET }), 'ERR_INVALID_API_KEY', KEY_ID_SHAPE);
    expectCode(() => normalizeApiKey({ keyId: ID, secret: new Uint8Array(16) }), 'ERR_INVALID_API_KEY', SECRET_SHAPE);
    expectCode(() => normalizeApiKey('e2e2_'), 'ERR_INVALID_API_KEY', SHAPE);
  });

  it('formatApiKey is the inverse of parseApiKey and validates first', () => {
    expect(formatApiKey({ keyId: ID, secret: SECRET })).toBe(TOKEN);
    expectCode(() => formatApiKey({ keyId: ID, secret: new Uint8Array(32) }), 'ERR_INVALID_API_KEY', 'API key secret is all zero');
    expectCode(() => formatApiKey({ keyId: ID.toUpperCase(), secret: SECRET }), 'ERR_INVALID_API_KEY', KEY_ID_SHAPE);
  });
});

describe('generateApiKey', () => {
  it('a 12-byte id, a 32-byte secret and the token of both', () => {
    const key = generateApiKey();
    expect(key.keyId).toMatch(/^[0-9a-f]{24}$/);
    expect(key.secret.length).toBe(32);
    expect(key.token).toBe(formatApiKey(key));
    expect(parseApiKey(key.token)).toStrictEqual({ keyId: key.keyId, secret: key.secret });
    expect(generateApiKey().keyId).not.toBe(key.keyId);
  });

  it('an all-zero draw of the secret (probability 2^-256, forced here) is drawn again', () => {
    const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
    let calls = 0;
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      calls++;
      // Call 1 is the key id, call 2 the first secret (left all zero), call 3 the second secret.
      return calls === 2 ? array : real(array as never);
    });
    const key = generateApiKey();
    expect(calls).toBe(3);
    expect(key.secret.some((b) => b !== 0)).toBe(true);
    expect(parseApiKey(key.token).secret).toStrictEqual(key.secret);
  });
});
