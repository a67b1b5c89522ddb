/**
 * Tests that kill mutants of bindings/e2e2/derive.ts (issue 13): each named derivation of SPEC.md
 * §6 against the noble oracle (test/oracle/), every argument check with its message, and the
 * bounds of the EAPI parameters (index, expiry, scope) on both sides of each limit.
 */
import { describe, expect, it } from 'vitest';
import {
  assertEapiParams,
  buildPrologue,
  deriveEapi,
  deriveEapiRoot,
  deriveK1,
  deriveK2,
  deriveK3,
  encodeEapiParams,
  fingerprint,
  fingerprintK3,
  label,
  SCOPE_TOKEN_PATTERN,
} from '../bindings/e2e2/derive.js';
import * as oracle from './oracle/e2e2.js';
import * as noise from './oracle/noise.js';
import { expectCode, hexOf } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const key = (seed: number) => bytesFromSeed(seed, 32);

describe('label and prologue (SPEC.md §5.1, §6)', () => {
  it('label(text) is ASCII(text) || 0x00', () => {
    expect(hexOf(label('ab'))).toBe('616200');
    expect(hexOf(label(''))).toBe('00');
  });

  it('the prologue is "e2e2/v1" || 0x00 || context, for a string, bytes, the default and the hybrid version', () => {
    expect(hexOf(buildPrologue())).toBe(hexOf(oracle.prologueFor(new Uint8Array(0))));
    expect(hexOf(buildPrologue('app'))).toBe(hexOf(oracle.prologueFor(ascii('app'))));
    expect(hexOf(buildPrologue(Uint8Array.of(0, 255)))).toBe(hexOf(oracle.prologueFor(Uint8Array.of(0, 255))));
    expect(hexOf(buildPrologue('x', 'e2e2/v2-hybrid'))).toBe(hexOf(noise.cat(ascii('e2e2/v2-hybrid'), Uint8Array.of(0), ascii('x'))));
  });

  it('context: at most 4096 bytes, a string or bytes, with exact messages', () => {
    expect(buildPrologue(new Uint8Array(4096)).length).toBe(8 + 4096);
    expectCode(() => buildPrologue(new Uint8Array(4097)), 'ERR_INVALID_ARGUMENT', 'context must be at most 4096 bytes');
    expectCode(() => buildPrologue('é'.repeat(2049)), 'ERR_INVALID_ARGUMENT', 'context must be at most 4096 bytes'); // 4098 UTF-8 bytes
    expectCode(() => buildPrologue(7 as never), 'ERR_INVALID_ARGUMENT', 'context must be a string or a Uint8Array');
  });
});

describe('K1, K2, K3 (SPEC.md §6.1-6.3)', () => {
  it('deriveK1 is X25519(e, re); each argument is checked by name', () => {
    const e = key(1);
    const re = noise.publicKeyOf(key(2));
    expect(hexOf(deriveK1(e, re))).toBe(hexOf(noise.DH(e, re)));
    expectCode(() => deriveK1(new Uint8Array(31), re), 'ERR_INVALID_KEY_LENGTH', 'ephemeralSecretKey must be 32 bytes');
    expectCode(() => deriveK1(e, new Uint8Array(33)), 'ERR_INVALID_KEY_LENGTH', 'peerEphemeralPublicKey must be 32 bytes');
    expectCode(() => deriveK1([...e] as never, re), 'ERR_INVALID_KEY_LENGTH', 'ephemeralSecretKey must be 32 bytes');
  });

  it('deriveK2 is MixKey(K1) then MixKeyAndHash(secret) on the chaining key, all three outputs', () => {
    const ck = key(3);
    const k1 = key(4);
    const secret = key(5);
    const [ckEe] = noise.HKDF(ck, k1, 2);
    const [k2, tempH, tempK] = noise.HKDF(ckEe!, secret, 3);
    const out = deriveK2(ck, k1, secret);
    expect([out.k2, out.hashInput, out.cipherKey].map(hexOf)).toStrictEqual([k2!, tempH!, tempK!].map(hexOf));
    expectCode(() => deriveK2(new Uint8Array(31), k1, secret), 'ERR_INVALID_KEY_LENGTH', 'chainingKey must be 32 bytes');
    expectCode(() => deriveK2(ck, new Uint8Array(31), secret), 'ERR_INVALID_KEY_LENGTH', 'k1 must be 32 bytes');
    expectCode(() => deriveK2(ck, k1, new Uint8Array(31)), 'ERR_INVALID_KEY_LENGTH', 'apiKeySecret must be 32 bytes');
    expect(hexOf(ck) + hexOf(k1) + hexOf(secret)).toBe(hexOf(key(3)) + hexOf(key(4)) + hexOf(key(5))); // inputs untouched
  });

  it('deriveK3: Split keys, exporter and session id equal the oracle’s; arguments checked by name', () => {
    const k2 = key(6);
    const h = key(7);
    const got = deriveK3(k2, h);
    const want = oracle.k3Of(k2, h);
    for (const name of ['initiatorToResponder', 'responderToInitiator', 'exporter', 'sessionId'] as const) expect(hexOf(got[name]), name).toBe(hexOf(want[name]));
    expect(got.sessionId.length).toBe(16);
    expectCode(() => deriveK3(new Uint8Array(31), h), 'ERR_INVALID_KEY_LENGTH', 'k2 must be 32 bytes');
    expectCode(() => deriveK3(k2, new Uint8Array(33)), 'ERR_INVALID_KEY_LENGTH', 'handshakeHash must be 32 bytes');
  });
});

describe('EAPI root, parameters and secrets (SPEC.md §6.5, §8)', () => {
  const exporter = key(8);

  it('deriveEapiRoot and deriveEapi equal the oracle; their keys are checked by name', () => {
    const root = deriveEapiRoot(exporter);
    expect(hexOf(root)).toBe(hexOf(oracle.eapiRoot(exporter)));
    const params = { index: 0x01020304, scope: 'read write', expiresAt: 0x0102_0304_0506 };
    expect(hexOf(deriveEapi(root, params))).toBe(hexOf(oracle.eapiSecretFromRoot(root, params.index, params.scope, params.expiresAt)));
    expectCode(() => deriveEapiRoot(new Uint8Array(31)), 'ERR_INVALID_KEY_LENGTH', 'exporter must be 32 bytes');
    expectCode(() => deriveEapi(new Uint8Array(31), params), 'ERR_INVALID_KEY_LENGTH', 'eapiRoot must be 32 bytes');
  });

  it('encodeEapiParams: u32be(index) || u64be(expiresAt) || u8(len) || scope', () => {
    expect(hexOf(encodeEapiParams({ index: 0x01020304, expiresAt: 0x0a0b_0c0d_0e0f, scope: 'a b' }))).toBe('01020304' + '00000a0b0c0d0e0f' + '03' + '612062');
    expect(hexOf(encodeEapiParams({ index: 0xffff_ffff, expiresAt: Number.MAX_SAFE_INTEGER, scope: 'z' }))).toBe('ffffffff' + '001fffffffffffff' + '01' + '7a');
  });

  it('index: 0 and 2^32 - 1 accepted; -1, 2^32, 1.5 and non-numbers refused with one message', () => {
    const ok = (index: number) => assertEapiParams({ index, scope: 's', expiresAt: 0 });
    expect(hexOf(ok(0))).toBe('73');
    expect(hexOf(ok(0xffff_ffff))).toBe('73');
    for (const index of [-1, 2 ** 32, 1.5, '1' as never]) expectCode(() => ok(index), 'ERR_INVALID_ARGUMENT', 'EAPI index must be an integer in [0, 2^32 - 1]');
  });

  it('expiresAt: 0 and 2^53 - 1 accepted; -1, 2^53, 0.5 refused with one message', () => {
    const ok = (expiresAt: number) => assertEapiParams({ index: 0, scope: 's', expiresAt });
    ok(0);
    ok(Number.MAX_SAFE_INTEGER);
    for (const expiresAt of [-1, 2 ** 53, 0.5]) {
      expectCode(() => ok(expiresAt), 'ERR_INVALID_ARGUMENT', 'EAPI expiresAt must be an integer number of milliseconds since the Unix epoch');
    }
  });

  it('scope: 1 to 255 bytes of space-separated RFC 6749 §3.3 tokens, nothing else', () => {
    const message = 'EAPI scope must be 1 to 255 bytes of space-separated RFC 6749 §3.3 scope tokens';
    const ok = (scope: string) => assertEapiParams({ index: 0, scope, expiresAt: 0 });
    expect(ok('a'.repeat(255)).length).toBe(255);
    expect(hexOf(ok('!#[]~ a'))).toBe(hexOf(ascii('!#[]~ a')));
    for (const scope of ['', 'a'.repeat(256), ' a', 'a ', 'a  b', 'a"b', 'a\\b', 'é', 'a\tb', 7 as never]) {
      expectCode(() => ok(scope), 'ERR_INVALID_ARGUMENT', message);
    }
    expect(SCOPE_TOKEN_PATTERN.test('read')).toBe(true);
    expect(SCOPE_TOKEN_PATTERN.test('a b')).toBe(false);
    expectCode(() => assertEapiParams(null as never), 'ERR_INVALID_ARGUMENT', 'EAPI parameters must be an object');
    expectCode(() => assertEapiParams('x' as never), 'ERR_INVALID_ARGUMENT', 'EAPI parameters must be an object');
  });
});

describe('fingerprints (SPEC.md §6.5)', () => {
  it('fingerprint is hex of the first 8 bytes of SHA-256(label || key); fingerprintK3 covers both keys and the exporter', () => {
    const k = key(9);
    expect(fingerprint(k)).toBe(oracle.fingerprintOf(k));
    expect(fingerprint(k)).toMatch(/^[0-9a-f]{16}$/);
    expectCode(() => fingerprint('k' as never), 'ERR_INVALID_ARGUMENT', 'key must be a Uint8Array');
    const k3 = deriveK3(key(10), key(11));
    expect(fingerprintK3(k3)).toBe(oracle.fingerprintOf(noise.cat(k3.initiatorToResponder, k3.responderToInitiator, k3.exporter)));
    expect(k3.exporter.some((b) => b !== 0)).toBe(true); // the K3 given is not wiped
  });
});
