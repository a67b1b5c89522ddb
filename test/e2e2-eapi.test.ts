/**
 * Ephemeral API Keys (SPEC.md §8): issue, sign, verify; every failure has its code:
 * forged or wrong-session → ERR_AUTHENTICATION_FAILED, ERR_EAPI_EXPIRED, ERR_EAPI_CLOCK_SKEW,
 * ERR_EAPI_SCOPE, ERR_EAPI_REPLAYED, ERR_MALFORMED_MESSAGE; failed checks consume no nonce.
 */
import { describe, expect, it } from 'vitest';
import { createClientHandshake, createServerHandshake, deriveEapi, generateApiKey, parseEapiAuthorization, type ServerHandshakeOptions } from '../bindings/index.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';
import { AUTHENTICATION_FAILED_MESSAGE } from '../bindings/noise/failures.js';
import * as oracle from './oracle/e2e2.js';
import { expectCode, hexOf, utf8Of } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';
import { handshakePair } from './helpers/handshake.js';

const KEY = generateApiKey();
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

const pair = (serverOptions: Partial<ServerHandshakeOptions> = {}) => handshakePair(KEY, serverOptions);

const GET = { method: 'GET', path: '/orders?page=2' };

describe('EAPI issue and verify (SPEC.md §8)', () => {
  it('a signed request verifies and reports what the EAPI vouches for (works while the server is still pending)', async () => {
    const { client, server } = await pair();
    expect(server.state).toBe('pending');
    const eapi = client.issueEapi({ scope: 'orders:read orders:write', expiresAt: NOW + MINUTE });
    expect(eapi.index).toBe(0);
    expect(eapi.sessionId).toBe(client.sessionId);
    const authorization = eapi.sign({ ...GET, body: 'ignored-by-GET-but-signed', timestamp: NOW });
    expect(authorization).toMatch(/^E2E2-EAPI [A-Za-z0-9_-]+$/);
    const verified = server.verifyEapi({ authorization, ...GET, body: 'ignored-by-GET-but-signed', now: NOW + 5, requiredScope: 'orders:write' });
    expect(verified).toEqual({ sessionId: client.sessionId, index: 0, scope: 'orders:read orders:write', expiresAt: NOW + MINUTE, timestamp: NOW });
  });

  it('the secret is the same on both sides, equal to deriveEapi and the oracle, never in the header', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE, index: 9 });
    const exporter = sessionSnapshotForTestingOnly(server).exporter as Uint8Array;
    const secret = eapi.secretForTestingOnly();
    expect(hexOf(deriveEapi(oracle.eapiRoot(exporter), { index: 9, scope: 's', expiresAt: NOW + MINUTE }))).toBe(hexOf(secret));
    expect(hexOf(oracle.eapiSecret(exporter, 9, 's', NOW + MINUTE))).toBe(hexOf(secret));
    const header = eapi.sign({ ...GET, timestamp: NOW });
    expect(Buffer.from(header.slice(10), 'base64url').toString('hex')).not.toContain(hexOf(secret));
  });

  it('indexes count up by default; explicit indexes re-derive the same EAPI', async () => {
    const { client } = await pair();
    const a = client.issueEapi({ scope: 's', expiresAt: NOW });
    const b = client.issueEapi({ scope: 's', expiresAt: NOW });
    const again = client.issueEapi({ scope: 's', expiresAt: NOW, index: 0 });
    expect([a.index, b.index]).toEqual([0, 1]);
    expect(hexOf(a.secretForTestingOnly())).not.toBe(hexOf(b.secretForTestingOnly()));
    expect(hexOf(again.secretForTestingOnly())).toBe(hexOf(a.secretForTestingOnly()));
    // Every bound parameter changes the key.
    const differing = [client.issueEapi({ scope: 't', expiresAt: NOW, index: 0 }), client.issueEapi({ scope: 's', expiresAt: NOW + 1, index: 0 })];
    for (const d of differing) expect(hexOf(d.secretForTestingOnly())).not.toBe(hexOf(a.secretForTestingOnly()));
  });

  it('parseEapiAuthorization exposes the claimed fields so a server can find the session first', async () => {
    const { client } = await pair();
    const nonce = bytesFromSeed(3, 16);
    const header = client.issueEapi({ scope: 'a b', expiresAt: NOW + 10, index: 5 }).sign({ ...GET, timestamp: NOW, nonce });
    const parsed = parseEapiAuthorization(header);
    expect(parsed.sessionId).toBe(client.sessionId);
    expect(parsed.index).toBe(5);
    expect(parsed.scope).toBe('a b');
    expect(parsed.expiresAt).toBe(NOW + 10);
    expect(parsed.timestamp).toBe(NOW);
    expect(hexOf(parsed.nonce)).toBe(hexOf(nonce));
    expect(parsed.signature.length).toBe(32);
  });
});

describe('EAPI verification failures, each with its code', () => {
  it('expired: now ≥ expiresAt → ERR_EAPI_EXPIRED; a client cannot sign at or after expiry', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + 1000 });
    const authorization = eapi.sign({ ...GET, timestamp: NOW + 999 });
    expect(server.verifyEapi({ authorization, ...GET, now: NOW + 999, requiredScope: 's' }).index).toBe(0);
    const late = eapi.sign({ ...GET, timestamp: NOW + 999 });
    expectCode(() => server.verifyEapi({ authorization: late, ...GET, now: NOW + 1000, requiredScope: 's' }), 'ERR_EAPI_EXPIRED');
    expectCode(() => eapi.sign({ ...GET, timestamp: NOW + 1000 }), 'ERR_INVALID_ARGUMENT');
  });

  it('replayed: the same header twice → ERR_EAPI_REPLAYED; a new nonce is fine', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    const authorization = eapi.sign({ ...GET, timestamp: NOW });
    server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope: 's' });
    expectCode(() => server.verifyEapi({ authorization, ...GET, now: NOW + 1, requiredScope: 's' }), 'ERR_EAPI_REPLAYED');
    server.verifyEapi({ authorization: eapi.sign({ ...GET, timestamp: NOW }), ...GET, now: NOW + 1, requiredScope: 's' });
  });

  it('wrong scope → ERR_EAPI_SCOPE (token match, not substring), and the failed check consumed no nonce', async () => {
    const { client, server } = await pair();
    const authorization = client.issueEapi({ scope: 'orders:read', expiresAt: NOW + MINUTE }).sign({ ...GET, timestamp: NOW });
    for (const requiredScope of ['orders:write', 'orders', 'read', 'orders:reader']) {
      expectCode(() => server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope }), 'ERR_EAPI_SCOPE');
    }
    expect(server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope: 'orders:read' }).scope).toBe('orders:read');
  });

  it('clock skew: |now - timestamp| > 30 s (default) → ERR_EAPI_CLOCK_SKEW; the boundary is accepted; configurable', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + 10 * MINUTE });
    const sign = () => eapi.sign({ ...GET, timestamp: NOW });
    expectCode(() => server.verifyEapi({ authorization: sign(), ...GET, now: NOW + 30_001, requiredScope: 's' }), 'ERR_EAPI_CLOCK_SKEW');
    expectCode(() => server.verifyEapi({ authorization: sign(), ...GET, now: NOW - 30_001, requiredScope: 's' }), 'ERR_EAPI_CLOCK_SKEW');
    server.verifyEapi({ authorization: sign(), ...GET, now: NOW + 30_000, requiredScope: 's' });
    server.verifyEapi({ authorization: sign(), ...GET, now: NOW - 30_000, requiredScope: 's' });
    const strict = await pair({ eapiClockSkewMs: 10 });
    const h = strict.client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE }).sign({ ...GET, timestamp: NOW });
    expectCode(() => strict.server.verifyEapi({ authorization: h, ...GET, now: NOW + 11, requiredScope: 's' }), 'ERR_EAPI_CLOCK_SKEW');
  });

  it('wrong session: an EAPI of another session (same API key) → ERR_AUTHENTICATION_FAILED with the common message', async () => {
    const a = await pair();
    const b = await pair();
    const authorization = a.client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE }).sign({ ...GET, timestamp: NOW });
    const error = expectCode(() => b.server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope: 's' }), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    expect((error.cause as { reason: string }).reason).toBe('eapi for another session');
    // Even with the session id field rewritten to b's, the signature is under a's exporter.
    const raw = Buffer.from(authorization.slice(10), 'base64url');
    raw.set(Buffer.from(b.client.sessionId, 'hex'), 1);
    const rewritten = `E2E2-EAPI ${raw.toString('base64url')}`;
    expectCode(() => b.server.verifyEapi({ authorization: rewritten, ...GET, now: NOW, requiredScope: 's' }), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
  });

  it('a tampered request (method, path, body) → ERR_AUTHENTICATION_FAILED, and the nonce stays usable', async () => {
    const { client, server } = await pair();
    const authorization = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE }).sign({ method: 'POST', path: '/pay', body: '{"amount":1}', timestamp: NOW });
    for (const request of [
      { method: 'PUT', path: '/pay', body: '{"amount":1}' },
      { method: 'POST', path: '/pay/', body: '{"amount":1}' },
      { method: 'POST', path: '/pay', body: '{"amount":1000}' },
      { method: 'POST', path: '/pay' },
      { method: 'post', path: '/pay', body: '{"amount":1}' },
    ]) {
      expectCode(() => server.verifyEapi({ authorization, ...request, now: NOW, requiredScope: 's' }), 'ERR_AUTHENTICATION_FAILED');
    }
    server.verifyEapi({ authorization, method: 'POST', path: '/pay', body: utf8Of('{"amount":1}'), now: NOW, requiredScope: 's' });
  });

  it('every single-bit flip of the authorization is rejected (never accepted), the real one still verifies', async () => {
    const { client, server } = await pair();
    const authorization = client.issueEapi({ scope: 'ab', expiresAt: NOW + MINUTE }).sign({ ...GET, timestamp: NOW });
    const raw = Buffer.from(authorization.slice(10), 'base64url');
    const codes = new Set<string>();
    for (let bit = 0; bit < raw.length * 8; bit++) {
      const forged = Buffer.from(raw);
      forged[bit >> 3]! ^= 1 << (bit & 7);
      let code = 'accepted';
      try {
        server.verifyEapi({ authorization: `E2E2-EAPI ${forged.toString('base64url')}`, ...GET, now: NOW, requiredScope: 'ab' });
      } catch (error) {
        code = (error as { code: string }).code;
      }
      expect(['ERR_AUTHENTICATION_FAILED', 'ERR_MALFORMED_MESSAGE']).toContain(code);
      codes.add(code);
      if (bit >= (raw.length - 32) * 8) expect(code).toBe('ERR_AUTHENTICATION_FAILED'); // signature bits
    }
    expect(codes.size).toBe(2);
    expect(server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope: 'ab' }).index).toBe(0);
  });

  it('malformed headers → ERR_MALFORMED_MESSAGE', async () => {
    const { client, server } = await pair();
    const good = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE }).sign({ ...GET, timestamp: NOW });
    const raw = Buffer.from(good.slice(10), 'base64url');
    const withVersion = Buffer.from(raw);
    withVersion[0] = 2;
    const badScope = Buffer.from(raw);
    badScope[raw.length - 33] = 0x22; // '"' is not a scope character
    const hugeTime = Buffer.from(raw);
    hugeTime.fill(0xff, 21, 29);
    for (const header of [
      '',
      'Bearer abc',
      `e2e2-eapi ${good.slice(10)}`,
      `E2E2-EAPI  ${good.slice(10)}`,
      `E2E2-EAPI ${good.slice(10)}=`,
      `E2E2-EAPI ${good.slice(10, -4)}`,
      `E2E2-EAPI ${good.slice(10)}AAAA`,
      `E2E2-EAPI ${withVersion.toString('base64url')}`,
      `E2E2-EAPI ${badScope.toString('base64url')}`,
      `E2E2-EAPI ${hugeTime.toString('base64url')}`,
    ]) {
      expectCode(() => server.verifyEapi({ authorization: header, ...GET, now: NOW, requiredScope: 's' }), 'ERR_MALFORMED_MESSAGE');
      expectCode(() => parseEapiAuthorization(header), 'ERR_MALFORMED_MESSAGE');
    }
  });

  it('the replay cache is bounded: when full of live nonces requests are refused (fail closed), old entries expire', async () => {
    const { client, server } = await pair({ eapiReplayCacheEntries: 3, eapiClockSkewMs: 1000 });
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    for (let i = 0; i < 3; i++) server.verifyEapi({ authorization: eapi.sign({ ...GET, timestamp: NOW }), ...GET, now: NOW, requiredScope: 's' });
    const full = expectCode(() => server.verifyEapi({ authorization: eapi.sign({ ...GET, timestamp: NOW }), ...GET, now: NOW, requiredScope: 's' }), 'ERR_EAPI_REPLAYED');
    expect((full.cause as { reason: string }).reason).toBe('replay cache full');
    // 2 s later the old nonces are outside the skew window: evicted, and new requests pass.
    server.verifyEapi({ authorization: eapi.sign({ ...GET, timestamp: NOW + 2000 }), ...GET, now: NOW + 2000, requiredScope: 's' });
    // A request older than the evicted horizon is refused even if the verifier's clock went back.
    const old = eapi.sign({ ...GET, timestamp: NOW + 500 });
    const horizon = expectCode(() => server.verifyEapi({ authorization: old, ...GET, now: NOW + 500, requiredScope: 's' }), 'ERR_EAPI_REPLAYED');
    expect((horizon.cause as { reason: string }).reason).toBe('timestamp older than the replay window');
  });

  it('an unknown-key session verifies nothing (ERR_AUTHENTICATION_FAILED)', async () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    const s = createServerHandshake({ resolveKey: () => undefined });
    const { session } = await s.respond(c.writeMessage1());
    // Only the server side exists for real; an EAPI header claiming its session id is forged.
    const forgedClientKey = oracle.eapiAuthorization({ initiatorToResponder: new Uint8Array(32), responderToInitiator: new Uint8Array(32), exporter: new Uint8Array(32).fill(7), sessionId: Buffer.from(session.sessionId, 'hex') }, 0, 's', NOW + MINUTE, { ...GET, body: new Uint8Array(0), timestamp: NOW, nonce: new Uint8Array(16) });
    expectCode(() => session.verifyEapi({ authorization: forgedClientKey.header, ...GET, now: NOW, requiredScope: 's' }), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
  });
});

describe('EAPI lifecycle and arguments', () => {
  it('EAPIs end with the session: after close → ERR_SESSION_CLOSED; after dispose → ERR_SESSION_DISPOSED (EAPI secrets wiped)', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    const authorization = eapi.sign({ ...GET, timestamp: NOW });
    server.open(client.close());
    expectCode(() => server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope: 's' }), 'ERR_SESSION_CLOSED');
    expectCode(() => client.issueEapi({ scope: 's', expiresAt: NOW }), 'ERR_SESSION_CLOSED');
    client.dispose();
    expect(eapi.disposed).toBe(true);
    expectCode(() => eapi.sign({ ...GET, timestamp: NOW }), 'ERR_SESSION_DISPOSED');
    server.dispose();
    expectCode(() => server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope: 's' }), 'ERR_SESSION_DISPOSED');
  });

  it('eapi.dispose() wipes one EAPI only', async () => {
    const { client } = await pair();
    const a = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    const b = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    a.dispose();
    expectCode(() => a.sign({ ...GET, timestamp: NOW }), 'ERR_SESSION_DISPOSED');
    expect(b.sign({ ...GET, timestamp: NOW })).toMatch(/^E2E2-EAPI /);
  });

  it('bad arguments → ERR_INVALID_ARGUMENT', async () => {
    const { client, server } = await pair();
    for (const bad of [
      { scope: '', expiresAt: NOW },
      { scope: 'a  b', expiresAt: NOW },
      { scope: ' a', expiresAt: NOW },
      { scope: 'quo"te', expiresAt: NOW },
      { scope: 'back\\slash', expiresAt: NOW },
      { scope: 'x'.repeat(256), expiresAt: NOW },
      { scope: 'é', expiresAt: NOW },
      { scope: 's', expiresAt: -1 },
      { scope: 's', expiresAt: 1.5 },
      { scope: 's', expiresAt: 2 ** 53 },
      { scope: 's', expiresAt: NOW, index: -1 },
      { scope: 's', expiresAt: NOW, index: 2 ** 32 },
    ]) {
      expectCode(() => client.issueEapi(bad), 'ERR_INVALID_ARGUMENT');
    }
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    for (const bad of [
      { method: '', path: '/', timestamp: NOW },
      { method: 'GE T', path: '/', timestamp: NOW },
      { method: 'X'.repeat(33), path: '/', timestamp: NOW },
      { method: 'GET', path: '', timestamp: NOW },
      { method: 'GET', path: '/'.repeat(8193), timestamp: NOW },
      { method: 'GET', path: '/', timestamp: -5 },
      { method: 'GET', path: '/', timestamp: NOW, nonce: new Uint8Array(15) },
      { method: 'GET', path: '/', timestamp: NOW, body: 5 as unknown as string },
    ]) {
      expectCode(() => eapi.sign(bad), 'ERR_INVALID_ARGUMENT');
    }
    const authorization = eapi.sign({ ...GET, timestamp: NOW });
    expectCode(() => server.verifyEapi({ authorization, ...GET, now: NOW, requiredScope: 'a b' }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => server.verifyEapi({ authorization, ...GET, now: Number.NaN, requiredScope: 's' }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => server.verifyEapi({ authorization: 42 as unknown as string, ...GET, now: NOW, requiredScope: 's' }), 'ERR_INVALID_ARGUMENT');
  });
});
