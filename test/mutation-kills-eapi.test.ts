/**
 * Tests that kill mutants of bindings/e2e2/eapi.ts (issue 13): the exact message of each parse and
 * argument error (strings as well as null where an object is expected), the causes kept, the
 * Eapi's own copies and `disposed`, and the replay cache evicting only when full.
 */
import { describe, expect, it } from 'vitest';
import { generateApiKey, parseEapiAuthorization } from '../bindings/index.js';
import { Eapi, ReplayCache } from '../bindings/e2e2/eapi.js';
import { signEapiHttpRequest } from '../bindings/e2e2/eapi-http.js';
import { expectCode, hexOf } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';
import { handshakePair } from './helpers/handshake.js';

const KEY = generateApiKey();
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;
const GET = { method: 'GET', path: '/a' };
const header = (bytes: Uint8Array): string => `E2E2-EAPI ${Buffer.from(bytes).toString('base64url')}`;
const bytesOf = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.slice('E2E2-EAPI '.length), 'base64url'));

async function setup() {
  const { client, server } = await handshakePair(KEY);
  const eapi = client.issueEapi({ scope: 'read write', expiresAt: NOW + MINUTE });
  const auth = eapi.sign({ ...GET, timestamp: NOW, nonce: bytesFromSeed(71, 16) });
  const verify = (extra: object = {}) => () => server.verifyEapi({ authorization: auth, ...GET, now: NOW, requiredScope: 'read', ...extra } as never);
  return { client, server, eapi, auth, verify };
}

describe('parseEapiAuthorization: each malformed header has its message', () => {
  it('scheme, base64url, version, length, UTF-8 and scope', async () => {
    const { auth } = await setup();
    const scheme = 'EAPI authorization must start with "E2E2-EAPI "';
    expectCode(() => parseEapiAuthorization(7 as never), 'ERR_MALFORMED_MESSAGE', scheme);
    expectCode(() => parseEapiAuthorization('Bearer x'), 'ERR_MALFORMED_MESSAGE', scheme);
    expectCode(() => parseEapiAuthorization('E2E2-EAPI ***'), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization is not canonical base64url');
    const valid = bytesOf(auth);
    const version = valid.slice();
    version[0] = 2;
    expectCode(() => parseEapiAuthorization(header(version)), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization has an unknown version');
    const longer = new Uint8Array(valid.length + 1);
    longer.set(valid);
    expectCode(() => parseEapiAuthorization(header(longer)), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization has the wrong length');
    const fixed = 1 + 16 + 4 + 8 + 8 + 16 + 1;
    const badUtf8 = valid.slice();
    badUtf8[fixed] = 0xff;
    const utf8Error = expectCode(() => parseEapiAuthorization(header(badUtf8)), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization scope is not valid');
    expect(utf8Error.cause).toBeUndefined(); // refused as bytes, before the scope rules are asked
    const badScope = valid.slice();
    badScope[fixed] = 0x22; // '"' is not a scope character (RFC 6749 §3.3)
    const scopeError = expectCode(() => parseEapiAuthorization(header(badScope)), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization scope is not valid');
    expect((scopeError.cause as { code: string }).code).toBe('ERR_INVALID_ARGUMENT');
    expect(parseEapiAuthorization(auth).scope).toBe('read write');
  });
});

describe('Eapi: arguments, copies and disposal', () => {
  it('sign: options that are not an object, a path that is not a string', async () => {
    const { eapi } = await setup();
    expectCode(() => eapi.sign('x' as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(() => eapi.sign({ ...GET, path: 5 as never, timestamp: NOW }), 'ERR_INVALID_ARGUMENT', 'path must be a non-empty string');
    expectCode(() => eapi.sign({ ...GET, timestamp: '1' as never }), 'ERR_INVALID_ARGUMENT', 'timestamp must be an integer number of milliseconds since the Unix epoch');
  });

  it('disposed is false until dispose(); then sign, the RFC 9421 MAC and the test hook refuse', async () => {
    const { eapi } = await setup();
    expect(eapi.disposed).toBe(false);
    eapi.dispose();
    expect(eapi.disposed).toBe(true);
    expectCode(() => eapi.sign({ ...GET, timestamp: NOW }), 'ERR_SESSION_DISPOSED', 'EAPI was disposed');
    expectCode(() => signEapiHttpRequest(eapi, { method: 'GET', url: 'https://a.example/' }, { now: NOW }), 'ERR_SESSION_DISPOSED', 'EAPI was disposed');
    expectCode(() => eapi.secretForTestingOnly(), 'ERR_SESSION_DISPOSED', 'EAPI was disposed');
  });

  it('keeps its own copy of the session id; the secret test hook hands out a copy', async () => {
    const { server, client } = await handshakePair(KEY);
    const sessionId = new Uint8Array(Buffer.from(client.sessionId, 'hex'));
    const eapi = new Eapi(server.exportEapiRoot(), sessionId, { index: 0, scope: 's', expiresAt: NOW + MINUTE });
    sessionId.fill(0);
    const auth = eapi.sign({ ...GET, timestamp: NOW });
    expect(parseEapiAuthorization(auth).sessionId).toBe(client.sessionId);
    expect(server.verifyEapi({ authorization: auth, ...GET, now: NOW, requiredScope: 's' }).index).toBe(0);
    const secret = eapi.secretForTestingOnly();
    const copy = hexOf(secret);
    secret.fill(0);
    expect(hexOf(eapi.secretForTestingOnly())).toBe(copy);
  });
});

describe('verifyEapi: arguments and claims, with their messages', () => {
  it('options, now, requiredScope', async () => {
    const { server, verify } = await setup();
    expectCode(() => server.verifyEapi('x' as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(verify({ now: -1 }), 'ERR_INVALID_ARGUMENT', 'now must be an integer number of milliseconds since the Unix epoch');
    expectCode(verify({ requiredScope: 7 }), 'ERR_INVALID_ARGUMENT', 'requiredScope must be one RFC 6749 §3.3 scope token');
    expectCode(verify({ requiredScope: '' }), 'ERR_INVALID_ARGUMENT', 'requiredScope must be one RFC 6749 §3.3 scope token');
  });

  it('a parsed authorization: a session id that is not hex is another session; an out-of-range timestamp keeps its cause', async () => {
    const { auth, verify } = await setup();
    const parsed = parseEapiAuthorization(auth);
    const other = expectCode(verify({ authorization: { ...parsed, sessionId: 'zz' } }), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
    expect((other.cause as { reason: string }).reason).toBe('eapi for another session');
    const range = expectCode(verify({ authorization: { ...parsed, timestamp: -1 } }), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization fields are out of range');
    expect((range.cause as Error).message).toBe('timestamp must be an integer number of milliseconds since the Unix epoch');
    const index = expectCode(verify({ authorization: { ...parsed, index: 2 ** 32 } }), 'ERR_MALFORMED_MESSAGE', 'EAPI authorization fields are out of range');
    expect((index.cause as { code: string }).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('clock skew and scope failures say which', async () => {
    const { verify } = await setup();
    expectCode(verify({ now: NOW + 30_001 }), 'ERR_EAPI_CLOCK_SKEW', 'EAPI request timestamp is outside the accepted clock skew');
    expectCode(verify({ requiredScope: 'admin' }), 'ERR_EAPI_SCOPE', 'EAPI scope does not include the required scope');
    expect(verify()().scope).toBe('read write');
  });
});

describe('ReplayCache evicts only when full', () => {
  it('below capacity every nonce stays, however old: a replay of the first is "nonce already used"', () => {
    const cache = new ReplayCache(10);
    cache.admit('a', 1000, 1000, 100);
    cache.admit('b', 5000, 5000, 100);
    expect(cache.size).toBe(2);
    const error = expectCode(() => cache.admit('a', 1000, 5000, 100), 'ERR_EAPI_REPLAYED', 'EAPI request replayed');
    expect((error.cause as { reason: string }).reason).toBe('nonce already used');
  });
});
