/**
 * Tests that kill mutants of bindings/e2e2/eapi-http.ts (issue 13): the exact message of each
 * caller error of signing and of the signature base, and for each refused request the uniform
 * authentication failure with the reason its cause names (local log only), or the claim error.
 */
import { describe, expect, it } from 'vitest';
import { generateApiKey, MemoryReplayStore } from '../bindings/index.js';
import { buildSignatureBase, signEapiHttpRequest, verifyEapiHttpRequest, type EapiHttpRequest } from '../bindings/e2e2/eapi-http.js';
import { ReplayCache } from '../bindings/e2e2/eapi.js';
import { expectCode, expectCodeAsync } from './oracle/harness.js';
import { handshakePair } from './helpers/handshake.js';

const KEY = generateApiKey();
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;
const POST: EapiHttpRequest = { method: 'POST', url: 'https://api.example.com/orders?x=1', headers: { 'content-type': 'application/json' }, body: '{"a":1}' };

async function setup(scope = 'orders:read orders:write') {
  const { client, server } = await handshakePair(KEY);
  const eapi = client.issueEapi({ scope, expiresAt: NOW + 10 * MINUTE });
  const signed = (request: EapiHttpRequest = POST, extra: Record<string, string> = {}) => {
    const sig = signEapiHttpRequest(eapi, request, { now: NOW });
    const headers: Record<string, string> = { ...(request.headers as Record<string, string>), ...(sig as unknown as Record<string, string>), ...extra };
    return { ...request, headers };
  };
  const reason = async (request: EapiHttpRequest, options: object = {}) => {
    const error = await expectCodeAsync(() => server.verifyEapiHttp(request, { now: NOW, ...options }), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
    return (error.cause as { reason: string }).reason;
  };
  return { client, server, eapi, signed, reason };
}

describe('signing: caller errors', () => {
  it('request, now, expiry, lifetime, nonce and body', async () => {
    const { eapi } = await setup();
    expectCode(() => signEapiHttpRequest(eapi, 'r' as never), 'ERR_INVALID_ARGUMENT', 'request must be an object');
    expectCode(() => signEapiHttpRequest(eapi, null as never), 'ERR_INVALID_ARGUMENT', 'request must be an object');
    for (const now of [-1, 1.5]) expectCode(() => signEapiHttpRequest(eapi, POST, { now }), 'ERR_INVALID_ARGUMENT', 'now must be an integer number of ms since the Unix epoch');
    expectCode(() => signEapiHttpRequest(eapi, POST, { now: NOW + 10 * MINUTE }), 'ERR_INVALID_ARGUMENT', 'the EAPI has expired: issue a new one');
    expect(signEapiHttpRequest(eapi, POST, { now: NOW + 10 * MINUTE - 1 }).signature).toMatch(/^sig1=:/);
    for (const lifetimeSeconds of [0, 1.5]) expectCode(() => signEapiHttpRequest(eapi, POST, { now: NOW, lifetimeSeconds }), 'ERR_INVALID_ARGUMENT', 'lifetimeSeconds must be a positive integer');
    expectCode(() => signEapiHttpRequest(eapi, POST, { now: NOW, nonce: new Uint8Array(15) }), 'ERR_INVALID_ARGUMENT', 'nonce must be 16 bytes');
    expectCode(() => signEapiHttpRequest(eapi, { ...POST, body: 5 as never }, { now: NOW }), 'ERR_INVALID_ARGUMENT', 'body must be a Uint8Array, a string or undefined');
    expectCode(() => signEapiHttpRequest(eapi, { ...POST, url: '/relative' }, { now: NOW }), 'ERR_INVALID_ARGUMENT', 'url must be an absolute URL');
  });

  it('signature base: repeated, upper-case, absent and non-ASCII components', () => {
    const request: EapiHttpRequest = { method: 'GET', url: 'https://a.example/p', headers: { 'x-a': 'v', 'x-b': 'caf\u00e9' } };
    expectCode(() => buildSignatureBase(request, ['@method', '@method'], []), 'ERR_INVALID_ARGUMENT', 'component @method is not lowercase or repeated');
    expectCode(() => buildSignatureBase(request, ['X-A'], []), 'ERR_INVALID_ARGUMENT', 'component X-A is not lowercase or repeated');
    expectCode(() => buildSignatureBase(request, ['x-c'], []), 'ERR_INVALID_ARGUMENT', 'component x-c is not in the request');
    expectCode(() => buildSignatureBase(request, ['@unknown'], []), 'ERR_INVALID_ARGUMENT', 'component @unknown is not in the request');
    expectCode(() => buildSignatureBase(request, ['x-b'], []), 'ERR_INVALID_ARGUMENT', 'component x-b is not printable ASCII');
    expect(buildSignatureBase(request, ['@method', 'x-a'], [])).toBe('"@method": GET\n"x-a": v\n"@signature-params": ("@method" "x-a")');
  });
});

describe('verification: each refused request and its reason', () => {
  it('options that do not give lookupSession and replay; a requiredScope that is not one token', async () => {
    const { signed } = await setup();
    const message = 'options must give lookupSession and replay';
    await expectCodeAsync(() => verifyEapiHttpRequest(signed(), null as never), 'ERR_INVALID_ARGUMENT', message);
    await expectCodeAsync(() => verifyEapiHttpRequest(signed(), { replay: new ReplayCache(1) } as never), 'ERR_INVALID_ARGUMENT', message);
    await expectCodeAsync(() => verifyEapiHttpRequest(signed(), { lookupSession: () => undefined } as never), 'ERR_INVALID_ARGUMENT', message);
    await expectCodeAsync(() => verifyEapiHttpRequest(signed(), { lookupSession: () => undefined, replay: new MemoryReplayStore(), requiredScope: 'a b' }), 'ERR_INVALID_ARGUMENT', 'requiredScope must be one RFC 6749 §3.3 scope token');
  });

  it('parse, tag, alg, keyid, parameters, body, coverage, session, MAC and digest', async () => {
    const { signed, reason } = await setup();
    const good = signed();
    const input = (good.headers as Record<string, string>)['signature-input']!;
    const swap = (from: string | RegExp, to: string) => ({ ...good, headers: { ...(good.headers as Record<string, string>), 'signature-input': input.replace(from, to) } });
    expect(await reason({ ...good, headers: { ...(good.headers as Record<string, string>), signature: 'sig1=(' } })).toBe('eapi-http: unparsable signature headers');
    expect(await reason(swap('tag="e2e2-eapi/v1"', 'tag="other"'))).toBe('eapi-http: no signature tagged e2e2-eapi/v1');
    expect(await reason(swap('alg="hmac-sha256"', 'alg="hmac-sha512"'))).toBe('eapi-http: alg is not hmac-sha256');
    expect(await reason(swap(/keyid="[^"]*"/, 'keyid="k"'))).toBe('eapi-http: keyid is not an EAPI key id');
    expect(await reason(swap(/;nonce="[^"]*"/, ''))).toBe('eapi-http: created, expires and nonce are required');
    expect(await reason(swap(/;nonce="[^"]*"/, ';nonce=""'))).toBe('eapi-http: created, expires and nonce are required');
    expect(await reason(swap(/;created=\d+/, ';created="1"'))).toBe('eapi-http: created, expires and nonce are required');
    expect(await reason({ ...good, body: 7 as never })).toBe('eapi-http: unreadable body');
    expect(await reason(swap(' "content-type")', ')'))).toBe('eapi-http: content-type is not covered');
    expect(await reason(swap('"content-digest" ', ''))).toBe('eapi-http: content-digest is not covered');
    expect(await reason(swap('"@query" ', ''))).toBe('eapi-http: @query is not covered');
    expect(await reason(swap(/keyid="[0-9a-f]{32}/, `keyid="${'cd'.repeat(16)}`))).toBe('eapi-http: unknown session');
    expect(await reason({ ...good, method: 'PUT' })).toBe('eapi-http: signature');
    const digest = (good.headers as Record<string, string>)['content-digest']!;
    expect(await reason({ ...good, body: '{"a":2}', headers: { ...(good.headers as Record<string, string>), 'content-digest': digest } })).toBe('eapi-http: content-digest does not match the body');
  });

  it('claims: expiry, clock skew, scope and each policy, with their messages and causes', async () => {
    const { server, signed } = await setup();
    const verify = (options: object) => () => server.verifyEapiHttp(signed(), { now: NOW, ...options });
    await expectCodeAsync(verify({ now: NOW + 60_000 }), 'ERR_EAPI_EXPIRED', 'EAPI expired');
    await expectCodeAsync(verify({ now: NOW + 30_001 }), 'ERR_EAPI_CLOCK_SKEW', 'EAPI request created time is outside the accepted clock skew');
    await expectCodeAsync(verify({ requiredScope: 'admin' }), 'ERR_EAPI_SCOPE', 'EAPI scope does not include the required scope');
    const lifetime = await expectCodeAsync(verify({ policy: { maxLifetimeMs: 10 * MINUTE - 1 } }), 'ERR_EAPI_POLICY', 'EAPI lifetime exceeds the server policy');
    expect(lifetime.cause).toStrictEqual({ remainingMs: 10 * MINUTE, maxLifetimeMs: 10 * MINUTE - 1 });
    const scopes = await expectCodeAsync(verify({ policy: { allowedScopes: { [KEY.keyId]: ['orders:read'] } } }), 'ERR_EAPI_POLICY', 'EAPI scope is not allowed for this key');
    expect(scopes.cause).toStrictEqual({ keyId: KEY.keyId, scope: 'orders:read orders:write' });
    await expectCodeAsync(verify({ policy: { allowedScopes: {} } }), 'ERR_EAPI_POLICY', 'EAPI scope is not allowed for this key');
    await expectCodeAsync(verify({ policy: { allowedScopes: () => false } }), 'ERR_EAPI_POLICY', 'EAPI scope is not allowed for this key');
    await expectCodeAsync(verify({ policy: { requiredComponents: ['X-Request-Id'] } }), 'ERR_EAPI_POLICY', 'the signature does not cover X-Request-Id');
    await expect(
      verify({ policy: { maxLifetimeMs: 10 * MINUTE, allowedScopes: { [KEY.keyId]: ['orders:read', 'orders:write'] }, requiredComponents: ['Content-Type'] } })(),
    ).resolves.toMatchObject({ scope: 'orders:read orders:write', created: NOW, label: 'sig1' });
  });
});
