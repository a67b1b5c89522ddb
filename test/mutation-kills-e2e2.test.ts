/**
 * Tests that kill mutants which survived a StrykerJS run on bindings/e2e2 (issue 13): the EAPI
 * replay horizon, the server's "signed before expiry" check, pre-parsed authorization objects,
 * explicit EAPI indexes, a server handshake disposed during its key lookup, double dispose().
 */
import { describe, expect, it } from 'vitest';
import { createClientHandshake, createServerHandshake, generateApiKey, parseEapiAuthorization, type ServerHandshakeOptions } from '../bindings/index.js';
import { ReplayCache } from '../bindings/e2e2/eapi.js';
import { authenticationFailed } from '../bindings/noise/failures.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';
import * as oracle from './oracle/e2e2.js';
import * as noise from './oracle/noise.js';
import { expectCode, expectCodeAsync, hexOf } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';
import { handshakePair } from './helpers/handshake.js';

const KEY = generateApiKey();
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;
const GET = { method: 'GET', path: '/a' };

const pair = (serverOptions: Partial<ServerHandshakeOptions> = {}) => handshakePair(KEY, serverOptions);

function replayReason(fn: () => unknown): string {
  const error = expectCode(fn, 'ERR_EAPI_REPLAYED', 'EAPI request replayed');
  return (error.cause as { reason: string }).reason;
}

describe('EAPI replay cache horizon', () => {
  it('does not move backwards when the clock steps back with a full cache', () => {
    const cache = new ReplayCache(2);
    const skew = 100;
    cache.admit('a', 1000, 1000, skew);
    cache.admit('b', 1200, 1200, skew);
    cache.admit('c', 1250, 1250, skew); // full: evicts below 1150, so 'a' is gone
    expect(cache.size).toBe(2);
    expect(replayReason(() => cache.admit('a', 1000, 1050, skew))).toBe('timestamp older than the replay window');
    // The clock steps back 350 ms; the cache is full, eviction runs with 800 - 100 = 700.
    expect(replayReason(() => cache.admit('d', 800, 800, skew))).toBe('timestamp older than the replay window');
    expect(replayReason(() => cache.admit('e', 1160, 800, skew))).toBe('replay cache full');
    // A horizon moved back to 700 would let the evicted 'a' (t = 1000) past the window check.
    expect(replayReason(() => cache.admit('a', 1000, 1000, skew))).toBe('timestamp older than the replay window');
    expect(replayReason(() => cache.admit('b', 1200, 1200, skew))).toBe('nonce already used');
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('eviction keeps entries at the horizon and frees only older ones', () => {
    const cache = new ReplayCache(2);
    cache.admit('a', 1000, 1000, 100);
    cache.admit('b', 1100, 1100, 100);
    cache.admit('c', 1200, 1200, 100); // evicts below 1100: 'a' only
    expect(replayReason(() => cache.admit('b', 1100, 1200, 100))).toBe('nonce already used');
    expect(replayReason(() => cache.admit('z', 1099, 1200, 100))).toBe('timestamp older than the replay window');
  });
});

describe('EAPI verification', () => {
  it('rejects a request the client signed at or after the expiry, even when the server clock is before it', async () => {
    const { client, server } = await pair();
    const k3 = { exporter: sessionSnapshotForTestingOnly(server).exporter as Uint8Array, sessionId: Buffer.from(client.sessionId, 'hex') };
    const expiresAt = NOW + MINUTE;
    const request = { ...GET, body: new Uint8Array(0), timestamp: expiresAt, nonce: bytesFromSeed(5, 16) };
    const { header } = oracle.eapiAuthorization(k3 as unknown as Parameters<typeof oracle.eapiAuthorization>[0], 0, 's', expiresAt, request);
    expectCode(() => server.verifyEapi({ authorization: header, ...GET, now: expiresAt - 1, requiredScope: 's' }), 'ERR_EAPI_EXPIRED', 'EAPI expired');
    // One millisecond earlier it is accepted: the oracle's header is otherwise valid.
    const ok = oracle.eapiAuthorization(k3 as unknown as Parameters<typeof oracle.eapiAuthorization>[0], 0, 's', expiresAt, { ...request, timestamp: expiresAt - 1 });
    expect(server.verifyEapi({ authorization: ok.header, ...GET, now: expiresAt - 1, requiredScope: 's' }).timestamp).toBe(expiresAt - 1);
  });

  it('validates a pre-parsed authorization object like a header', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    const parsed = parseEapiAuthorization(eapi.sign({ ...GET, timestamp: NOW }));
    const verify = (authorization: unknown) => () => server.verifyEapi({ authorization: authorization as never, ...GET, now: NOW, requiredScope: 's' });
    expectCode(verify(null), 'ERR_INVALID_ARGUMENT', 'authorization must be a string or a parsed EapiAuthorization');
    expectCode(verify(42), 'ERR_INVALID_ARGUMENT', 'authorization must be a string or a parsed EapiAuthorization');
    expectCode(verify({ ...parsed, sessionId: 'zz' }), 'ERR_AUTHENTICATION_FAILED');
    expectCode(verify({ ...parsed, sessionId: parsed.sessionId.slice(2) }), 'ERR_AUTHENTICATION_FAILED');
    const wrong = 'EAPI authorization nonce or signature has the wrong length';
    expectCode(verify({ ...parsed, nonce: parsed.nonce.subarray(1) }), 'ERR_MALFORMED_MESSAGE', wrong);
    expectCode(verify({ ...parsed, nonce: Array.from(parsed.nonce) }), 'ERR_MALFORMED_MESSAGE', wrong);
    expectCode(verify({ ...parsed, signature: Array.from(parsed.signature) }), 'ERR_MALFORMED_MESSAGE', wrong);
    const range = 'EAPI authorization fields are out of range';
    expectCode(verify({ ...parsed, index: -1 }), 'ERR_MALFORMED_MESSAGE', range);
    expectCode(verify({ ...parsed, timestamp: NOW + 0.5 }), 'ERR_MALFORMED_MESSAGE', range);
    expectCode(verify({ ...parsed, signature: parsed.signature.subarray(1) }), 'ERR_AUTHENTICATION_FAILED');
    expect(verify(parsed)().index).toBe(0);
  });

  it('an explicit index does not move the default counter', async () => {
    const { client } = await pair();
    expect(client.issueEapi({ scope: 's', expiresAt: NOW }).index).toBe(0);
    expect(client.issueEapi({ scope: 's', expiresAt: NOW, index: 7 }).index).toBe(7);
    expect(client.issueEapi({ scope: 's', expiresAt: NOW }).index).toBe(1);
    expect(client.role).toBe('client');
  });
});

describe('server handshake disposed during its key lookup', () => {
  it('fails with ERR_SESSION_DISPOSED and stays disposed (never back to initial)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = createServerHandshake({
      resolveKey: async () => {
        await gate;
        return KEY.secret;
      },
    });
    const message1 = createClientHandshake({ apiKey: KEY.token }).writeMessage1();
    const pending = s.respond(message1);
    expect(s.state).toBe('responding');
    s.dispose();
    release();
    await expectCodeAsync(() => pending, 'ERR_SESSION_DISPOSED', 'handshake was disposed while resolving the key');
    expect(s.state).toBe('disposed');
    await expectCodeAsync(() => s.respond(message1), 'ERR_SESSION_DISPOSED', 'handshake was disposed');
  });

  it('a failed respond() returns to initial and the next valid message 1 succeeds', async () => {
    let calls = 0;
    const s = createServerHandshake({
      resolveKey: () => {
        calls += 1;
        if (calls === 1) throw new Error('store down');
        return KEY.secret;
      },
    });
    const c = createClientHandshake({ apiKey: KEY.token });
    const message1 = c.writeMessage1();
    await expect(s.respond(message1)).rejects.toThrow('store down');
    expect(s.state).toBe('initial');
    const { message2 } = await s.respond(message1);
    expect(s.state).toBe('complete');
    expect(c.readMessage2(message2).state).toBe('established');
  });
});

describe('double dispose()', () => {
  it('is harmless on handshakes, sessions and EAPIs, and they stay unusable', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    for (const x of [eapi, client, server]) {
      x.dispose();
      x.dispose();
    }
    expect(eapi.disposed).toBe(true);
    expectCode(() => eapi.sign({ ...GET, timestamp: NOW }), 'ERR_SESSION_DISPOSED', 'EAPI was disposed');
    expectCode(() => eapi.secretForTestingOnly(), 'ERR_SESSION_DISPOSED', 'EAPI was disposed');
    expect(client.state).toBe('disposed');
    expectCode(() => client.issueEapi({ scope: 's', expiresAt: NOW }), 'ERR_SESSION_DISPOSED', 'session was disposed');
    expectCode(() => server.verifyEapi({ authorization: 'x', ...GET, now: NOW, requiredScope: 's' }), 'ERR_SESSION_DISPOSED', 'session was disposed');
    const c = createClientHandshake({ apiKey: KEY.token });
    c.dispose();
    c.dispose();
    expect(c.state).toBe('disposed');
    expectCode(() => c.writeMessage1(), 'ERR_SESSION_DISPOSED', 'handshake was disposed');
    expectCode(() => c.readMessage2(new Uint8Array(48)), 'ERR_SESSION_DISPOSED', 'handshake was disposed');
  });
});

describe('EAPI input boundaries', () => {
  const header = (bytes: Uint8Array): string => `E2E2-EAPI ${Buffer.from(bytes).toString('base64url')}`;
  const bytesOfHeader = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.slice('E2E2-EAPI '.length), 'base64url'));

  it('times: 0 and 2^53 - 1 are accepted, -1, 2^53 and fractions are not', async () => {
    const { client } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: Number.MAX_SAFE_INTEGER });
    const message = 'timestamp must be an integer number of milliseconds since the Unix epoch';
    expect(eapi.sign({ ...GET, timestamp: 0 })).toMatch(/^E2E2-EAPI /);
    expectCode(() => eapi.sign({ ...GET, timestamp: -1 }), 'ERR_INVALID_ARGUMENT', message);
    expectCode(() => eapi.sign({ ...GET, timestamp: 1.5 }), 'ERR_INVALID_ARGUMENT', message);
    expectCode(() => eapi.sign({ ...GET, timestamp: Number.MAX_SAFE_INTEGER }), 'ERR_INVALID_ARGUMENT', 'timestamp is at or after the EAPI expiry: issue a new EAPI');
    expectCode(() => eapi.sign({ ...GET, timestamp: Number.MAX_SAFE_INTEGER + 1 }), 'ERR_INVALID_ARGUMENT', message);
    expectCode(() => eapi.sign(null as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(() => eapi.sign({ ...GET, timestamp: 0, nonce: new Uint8Array(15) }), 'ERR_INVALID_ARGUMENT', 'nonce must be 16 bytes');
  });

  it('method at most 32 bytes, path 1 to 8192 bytes, body bytes, string or absent', async () => {
    const { client, server } = await pair();
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    const sign = (request: object) => () => eapi.sign({ ...GET, ...request, timestamp: NOW } as never);
    const method = 'method must be an RFC 9110 token of 1 to 32 bytes';
    expect(sign({ method: 'M'.repeat(32) })()).toMatch(/^E2E2-EAPI /);
    expectCode(sign({ method: 'M'.repeat(33) }), 'ERR_INVALID_ARGUMENT', method);
    expectCode(sign({ method: '' }), 'ERR_INVALID_ARGUMENT', method);
    expectCode(sign({ method: 7 }), 'ERR_INVALID_ARGUMENT', method);
    expect(sign({ path: '/'.repeat(8192) })()).toMatch(/^E2E2-EAPI /);
    expectCode(sign({ path: '/'.repeat(8193) }), 'ERR_INVALID_ARGUMENT', 'path must be at most 8192 UTF-8 bytes');
    expectCode(sign({ path: '' }), 'ERR_INVALID_ARGUMENT', 'path must be a non-empty string');
    expectCode(sign({ body: 5 }), 'ERR_INVALID_ARGUMENT', 'body must be a Uint8Array, a string or undefined');
    // A string body is signed as its UTF-8 bytes: the byte form verifies against it.
    const auth = eapi.sign({ ...GET, body: 'hé', timestamp: NOW });
    expect(server.verifyEapi({ authorization: auth, ...GET, body: new TextEncoder().encode('hé'), now: NOW, requiredScope: 's' }).index).toBe(0);
    expectCode(() => server.verifyEapi(null as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    const scope = 'requiredScope must be one RFC 6749 §3.3 scope token';
    expectCode(() => server.verifyEapi({ authorization: auth, ...GET, body: 'hé', now: NOW, requiredScope: 'a b' }), 'ERR_INVALID_ARGUMENT', scope);
    expectCode(() => server.verifyEapi({ authorization: auth, ...GET, body: 'hé', now: NOW, requiredScope: 's'.repeat(256) }), 'ERR_INVALID_ARGUMENT', scope);
    expectCode(() => server.verifyEapi({ authorization: auth, ...GET, body: 'hé', now: NOW, requiredScope: 's'.repeat(255) }), 'ERR_EAPI_SCOPE');
  });

  it('parse: exact minimum length, out-of-range times and invalid UTF-8 scope', async () => {
    const { client } = await pair();
    const valid = bytesOfHeader(client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE }).sign({ ...GET, timestamp: NOW }));
    const fixed = 1 + 16 + 4 + 8 + 8 + 16 + 1;
    // Scope length 0 and nothing else: exactly the minimum; it parses up to the scope check.
    const minimum = new Uint8Array(fixed + 32);
    minimum.set(valid.subarray(0, fixed - 1));
    expectCode(() => parseEapiAuthorization(header(minimum)), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization scope is not valid');
    expectCode(() => parseEapiAuthorization(header(minimum.subarray(0, fixed + 31))), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization is too short');
    for (const at of [21, 29]) {
      const big = valid.slice();
      big[at] = 0x00;
      big[at + 1] = 0x20; // 2^53: past Number.MAX_SAFE_INTEGER
      expectCode(() => parseEapiAuthorization(header(big)), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization time is out of range');
    }
    const badUtf8 = valid.slice();
    badUtf8[fixed] = 0xff;
    expectCode(() => parseEapiAuthorization(header(badUtf8)), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization scope is not valid');
    const parsed = parseEapiAuthorization(header(valid));
    expect(parsed.scope).toBe('s');
    expect(parsed.signature.length).toBe(32);
    expect(hexOf(parsed.signature)).toBe(hexOf(valid.subarray(valid.length - 32)));
  });
});

describe('E2-E2 handshake edges', () => {
  it('options that are not objects, and integer settings at their minimum', async () => {
    expectCode(() => createServerHandshake(null as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(() => createClientHandshake(null as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(() => createServerHandshake({ resolveKey: () => KEY.secret, eapiClockSkewMs: -1 }), 'ERR_INVALID_ARGUMENT', 'eapiClockSkewMs must be an integer ≥ 0');
    expectCode(() => createServerHandshake({ resolveKey: () => KEY.secret, eapiReplayCacheEntries: 0 }), 'ERR_INVALID_ARGUMENT', 'eapiReplayCacheEntries must be an integer ≥ 1');
    // Skew 0 and a one-entry cache work: the same timestamp verifies, a second nonce replaces nothing.
    const { client, server } = await pair({ eapiClockSkewMs: 0, eapiReplayCacheEntries: 1 });
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE });
    expect(server.verifyEapi({ authorization: eapi.sign({ ...GET, timestamp: NOW }), ...GET, now: NOW, requiredScope: 's' }).timestamp).toBe(NOW);
    expectCode(() => server.verifyEapi({ authorization: eapi.sign({ ...GET, timestamp: NOW }), ...GET, now: NOW + 1, requiredScope: 's' }), 'ERR_EAPI_CLOCK_SKEW');
    expectCode(() => client.issueEapi(null as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
  });

  it('out-of-order calls name the right next step', async () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    expectCode(() => c.readMessage2(new Uint8Array(48)), 'ERR_INVALID_STATE', 'call writeMessage1() first');
    const s = createServerHandshake({ resolveKey: async () => KEY.secret });
    const m1 = c.writeMessage1();
    expectCode(() => c.writeMessage1(), 'ERR_INVALID_STATE', 'message 1 was already written');
    const running = s.respond(m1);
    await expectCodeAsync(() => s.respond(m1), 'ERR_INVALID_STATE', 'respond() is already running');
    const { message2 } = await running;
    await expectCodeAsync(() => s.respond(m1), 'ERR_INVALID_STATE', 'respond() already succeeded');
    c.readMessage2(message2);
    expectCode(() => c.readMessage2(message2), 'ERR_INVALID_STATE', 'message 2 was already read');
  });
});

describe('record types the session refuses', () => {
  it('a close record with a body and an unknown type are malformed, named apart, and consume nothing', async () => {
    const { client, server } = await pair();
    const k = sessionSnapshotForTestingOnly(client).sendKey as Uint8Array;
    const raw = (plaintext: Uint8Array) => noise.encryptWithAd({ k, n: 0n }, new Uint8Array(0), plaintext);
    expectCode(() => server.open(raw(new Uint8Array([2, 0]))), 'ERR_MALFORMED_MESSAGE', 'close record with a body');
    expectCode(() => server.open(raw(new Uint8Array([9]))), 'ERR_MALFORMED_MESSAGE', 'unknown record type');
    expect(server.state).toBe('pending');
    expect(server.open(client.seal(new Uint8Array([1, 2]))).type).toBe('data');
    expect(server.state).toBe('established');
  });
});

describe('authentication failure causes (local log only)', () => {
  it('the cause names the failed check, and the dummy key of an unknown key id, with the AEAD error kept', async () => {
    expect(authenticationFailed('x').cause).toStrictEqual({ reason: 'x' });
    const inner = new Error('inner');
    expect(authenticationFailed('y', inner).cause).toStrictEqual({ reason: 'y', error: inner });
    const reasonOf = (error: { cause?: unknown }) => (error.cause as { reason: string }).reason;

    const known = (await pair()).server;
    const unknown = (await createServerHandshake({ resolveKey: () => undefined }).respond(createClientHandshake({ apiKey: KEY.token }).writeMessage1())).session;
    const garbage = bytesFromSeed(30, 40);
    const knownError = expectCode(() => known.open(garbage), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
    expect(reasonOf(knownError)).toBe('record');
    const unknownError = expectCode(() => unknown.open(garbage), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
    expect(reasonOf(unknownError)).toBe('record (unknown key id: dummy key in use)');
    expect(reasonOf((unknownError.cause as { error: { cause?: unknown } }).error)).toBe('record');

    const { client } = await pair();
    const auth = client.issueEapi({ scope: 's', expiresAt: NOW + MINUTE }).sign({ ...GET, timestamp: NOW });
    const sessionId = unknown.sessionId;
    const forged = parseEapiAuthorization(auth);
    const eapiError = expectCode(() => unknown.verifyEapi({ authorization: { ...forged, sessionId }, ...GET, now: NOW, requiredScope: 's' }), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
    expect(reasonOf(eapiError)).toBe('eapi (unknown key id: dummy key in use)');
    const knownEapi = expectCode(() => known.verifyEapi({ authorization: { ...forged, sessionId: known.sessionId }, ...GET, now: NOW, requiredScope: 's' }), 'ERR_AUTHENTICATION_FAILED');
    expect(reasonOf(knownEapi)).toBe('eapi signature');
    // A non-authentication error of an unknown-key session passes through unchanged.
    expectCode(() => unknown.open(new Uint8Array(3)), 'ERR_MALFORMED_MESSAGE');
  });
});
