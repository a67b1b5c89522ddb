/**
 * Tests that kill mutants of bindings/e2e2/eapi-http.ts (issue 13): the exact message of each
 * caller error of signing and of the signature base, and for each refused request the uniform
 * authentication failure with the reason its cause names (local log only), or the claim error.
 */
import { describe, expect, it } from 'vitest';
import { generateApiKey, MemoryReplayStore } from '../bindings/index.js';
import { createHash, createHmac } from 'node:crypto';
import {
  buildSignatureBase,
  claimedEapiHttpSessionId,
  contentDigest,
  formatEapiKeyId,
  parseEapiKeyId,
  parseHttpSignatures,
  signEapiHttpRequest,
  signHttpMessageHmac,
  verifyEapiHttpRequest,
  verifyHttpMessageHmac,
  type EapiHttpRequest,
  type EapiHttpSession,
  type HttpHeaders,
  type VerifyEapiHttpOptions,
} from '../bindings/e2e2/eapi-http.js';
import { deriveEapi } from '../bindings/e2e2/derive.js';
import { SfToken, type SfBareItem, type SfParams } from '../bindings/e2e2/structured-fields.js';
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
    const relative = expectCode(() => signEapiHttpRequest(eapi, { ...POST, url: '/relative' }, { now: NOW }), 'ERR_INVALID_ARGUMENT', 'url must be an absolute URL');
    expect(relative.cause).toBeInstanceOf(TypeError);
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

// ---------------------------------------------------------------- crafted signatures (any RFC 9421 signer)

/** A session the test owns: signatures made with signHttpMessageHmac under deriveEapi(ROOT, keyid). */
const ROOT = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const SID = 'ab'.repeat(16);
const EXPIRES_AT = NOW + 10 * MINUTE;
const KEYID = `${SID}.3.${EXPIRES_AT}.orders:read`;
const BASE = ['@method', '@authority', '@path', '@query'];
const GET: EapiHttpRequest = { method: 'GET', url: 'https://api.example.com/a?b=1' };

function craftParams(overrides: Record<string, SfBareItem | undefined> = {}): SfParams {
  const params: Record<string, SfBareItem | undefined> = {
    created: NOW / 1000,
    expires: NOW / 1000 + 60,
    nonce: 'bm9uY2Ut',
    keyid: KEYID,
    alg: 'hmac-sha256',
    tag: 'e2e2-eapi/v1',
    ...overrides,
  };
  return Object.entries(params).filter((e): e is [string, SfBareItem] => e[1] !== undefined);
}

/** `request` with Signature-Input and Signature made over `components` with `params`, under the EAPI secret its keyid names. */
function craft(request: EapiHttpRequest, params: SfParams = craftParams(), components: string[] = BASE, label = 'sig1'): EapiHttpRequest {
  const keyid = params.find(([k]) => k === 'keyid')?.[1];
  // A keyid that is not one still gets a signature (under the default claims), so the verifier's parse is what refuses it.
  const claims = (typeof keyid === 'string' ? parseEapiKeyId(keyid) : undefined) ?? parseEapiKeyId(KEYID)!;
  const secret = deriveEapi(ROOT, claims);
  const sig = signHttpMessageHmac(secret, request, components, params, label);
  return { ...request, headers: { ...(request.headers as Record<string, string>), 'signature-input': sig['signature-input'], signature: sig.signature } };
}

interface Options extends Partial<VerifyEapiHttpOptions> {
  session?: EapiHttpSession;
}
function verifyCrafted(request: EapiHttpRequest, options: Options = {}) {
  const session = options.session ?? { eapiRoot: ROOT.slice(), keyId: 'k1' };
  return verifyEapiHttpRequest(request, { lookupSession: (id) => (id === SID ? session : undefined), replay: new MemoryReplayStore(), now: NOW, ...options });
}
async function craftedReason(request: EapiHttpRequest, options: Options = {}): Promise<string> {
  const error = await expectCodeAsync(() => verifyCrafted(request, options), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
  return (error.cause as { reason: string }).reason;
}

describe('signature base: components and header normalization (RFC 9421 §2.1, §2.2)', () => {
  it('derived components: method upper-cased, authority lower-cased without the default port, path, query, scheme, target', () => {
    const base = (url: string | URL, components: string[], method = 'get') => buildSignatureBase({ method, url }, components, []).split('\n').slice(0, -1);
    expect(base('https://API.Example.COM:443/P/q?x=1&y', ['@method', '@authority', '@path', '@query'])).toStrictEqual([
      '"@method": GET',
      '"@authority": api.example.com',
      '"@path": /P/q',
      '"@query": ?x=1&y',
    ]);
    expect(base(new URL('http://a.example:8080/'), ['@authority', '@scheme', '@query', '@path'])).toStrictEqual(['"@authority": a.example:8080', '"@scheme": http', '"@query": ?', '"@path": /']);
    expect(base('HTTPS://a.example/p?', ['@scheme', '@query'])).toStrictEqual(['"@scheme": https', '"@query": ?']);
    expect(base('https://a.example/p/r?q=2#frag', ['@target-uri', '@request-target'])).toStrictEqual(['"@target-uri": https://a.example/p/r?q=2#frag', '"@request-target": /p/r?q=2']);
    // A non-special scheme can have an empty path: the component is "/" (RFC 9421 §2.2.6).
    expect(base('foo://host', ['@path', '@request-target'])).toStrictEqual(['"@path": /', '"@request-target": ']);
  });

  it('header fields: any case, trimmed, repeated values joined with ", " (record, arrays, WHATWG Headers)', () => {
    const line = (headers: HttpHeaders) => buildSignatureBase({ method: 'GET', url: 'https://a.example/', headers }, ['x-a'], []).split('\n')[0];
    expect(line({ 'X-A': '  v1 ', 'x-a': 'v2\t' })).toBe('"x-a": v1, v2');
    expect(line({ 'x-a': [' 1', '2 ', '3'], 'x-b': undefined })).toBe('"x-a": 1, 2, 3');
    expect(line(new Headers([['X-A', ' w ']]))).toBe('"x-a": w');
    // In a plain record, a header named forEach is a value, not the Headers interface.
    expect(line({ forEach: 'x', 'x-a': 'v' } as never)).toBe('"x-a": v');
    // A name with "@" is a derived component, never a header field, even when a record has such a key.
    expectCode(() => buildSignatureBase({ method: 'GET', url: 'https://a.example/', headers: { '@x': 'v' } }, ['@x'], []), 'ERR_INVALID_ARGUMENT', 'component @x is not in the request');
    expect(buildSignatureBase({ method: 'GET', url: 'https://a.example/' }, ['@method'], [])).toBe('"@method": GET\n"@signature-params": ("@method")');
  });

  it('values: printable ASCII and tab only; the parameters close the base', () => {
    const request = (value: string): EapiHttpRequest => ({ method: 'GET', url: 'https://a.example/', headers: { 'x-a': `a${value}b` } });
    for (const ok of ['\t', ' ', '~', '!']) expect(buildSignatureBase(request(ok), ['x-a'], [])).toBe(`"x-a": a${ok}b\n"@signature-params": ("x-a")`);
    for (const bad of ['\x7f', '\x1f', '\u00e9', '\x00'])
      expectCode(() => buildSignatureBase(request(bad), ['x-a'], []), 'ERR_INVALID_ARGUMENT', 'component x-a is not printable ASCII');
    expect(buildSignatureBase(GET, ['@method'], [['created', 1], ['keyid', 'k']])).toBe('"@method": GET\n"@signature-params": ("@method");created=1;keyid="k"');
  });

  it('signHttpMessageHmac: HMAC-SHA256 of the base (node:crypto), label sig1 unless given', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    const signed = signHttpMessageHmac(key, GET, ['@method', '@path'], [['created', 5]]);
    expect(signed.base).toBe('"@method": GET\n"@path": /a\n"@signature-params": ("@method" "@path");created=5');
    const mac = createHmac('sha256', key).update(signed.base).digest('base64');
    expect(signed).toStrictEqual({ 'signature-input': 'sig1=("@method" "@path");created=5', signature: `sig1=:${mac}:`, base: signed.base });
    expect(signHttpMessageHmac(key, GET, ['@method'], [], 'mine')['signature-input']).toBe('mine=("@method")');
  });
});

describe('parseHttpSignatures and verifyHttpMessageHmac', () => {
  const key = new Uint8Array(32).fill(3);
  const signed = signHttpMessageHmac(key, GET, ['@method', '@path'], [['created', 5]]);
  const withHeaders = (headers: Record<string, string>): EapiHttpRequest => ({ ...GET, headers });

  it('pairs each Signature-Input list with the Signature of its label; skips what is outside the profile', () => {
    expect(parseHttpSignatures(GET)).toStrictEqual([]);
    expect(parseHttpSignatures(withHeaders({ 'signature-input': signed['signature-input'] }))).toStrictEqual([]);
    expect(parseHttpSignatures(withHeaders({ signature: signed.signature }))).toStrictEqual([]);
    const [one] = parseHttpSignatures(withHeaders({ 'signature-input': signed['signature-input'], signature: signed.signature }));
    expect(one).toStrictEqual({ label: 'sig1', components: ['@method', '@path'], params: [['created', 5]], signature: expect.any(Uint8Array) });
    expect(verifyHttpMessageHmac(key, GET, one!)).toBe(true);
    const mac = signed.signature.slice('sig1='.length);
    const skipped = {
      'signature-input': 'a=("@method");created=5, b=?1, c=("@method" tok), d=("@method";sf), e=("@method"), f=("@method"), g=("@method")',
      signature: `a="text", b=${mac}, c=${mac}, d=${mac}, e=("x"), g=${mac}`,
    };
    expect(parseHttpSignatures(withHeaders(skipped)).map((s) => s.label)).toStrictEqual(['g']);
  });

  it('false for another key, a truncated or longer signature, and a base that cannot be built', () => {
    const [one] = parseHttpSignatures(withHeaders({ 'signature-input': signed['signature-input'], signature: signed.signature }));
    expect(verifyHttpMessageHmac(new Uint8Array(32).fill(4), GET, one!)).toBe(false);
    expect(verifyHttpMessageHmac(key, GET, { ...one!, signature: one!.signature.subarray(0, 31) })).toBe(false);
    expect(verifyHttpMessageHmac(key, GET, { ...one!, signature: Uint8Array.from([...one!.signature, 0]) })).toBe(false);
    expect(verifyHttpMessageHmac(key, GET, { ...one!, components: ['x-missing'] })).toBe(false);
    expect(verifyHttpMessageHmac(key, { ...GET, method: 'PUT' }, one!)).toBe(false);
  });
});

describe('keyid, claimed session id, content digest', () => {
  it('formatEapiKeyId validates; parseEapiKeyId accepts the canonical form only', () => {
    expect(formatEapiKeyId(SID, { index: 3, expiresAt: EXPIRES_AT, scope: 'orders:read' })).toBe(KEYID);
    expectCode(() => formatEapiKeyId(SID, { index: -1, expiresAt: 1, scope: 'a' }), 'ERR_INVALID_ARGUMENT', 'EAPI index must be an integer in [0, 2^32 - 1]');
    expect(parseEapiKeyId(KEYID)).toStrictEqual({ sessionId: SID, index: 3, expiresAt: EXPIRES_AT, scope: 'orders:read' });
    expect(parseEapiKeyId(`${SID}.0.0.a b`)).toStrictEqual({ sessionId: SID, index: 0, expiresAt: 0, scope: 'a b' });
    expect(parseEapiKeyId(`${SID}.4294967295.9007199254740991.a`)).toStrictEqual({ sessionId: SID, index: 4294967295, expiresAt: 9007199254740991, scope: 'a' });
    for (const bad of [
      `x${KEYID}`,
      `${SID.slice(1)}.3.1.a`,
      `${SID}0.3.1.a`,
      `${SID.toUpperCase()}.3.1.a`,
      `${SID}.03.1.a`,
      `${SID}.3.01.a`,
      `${SID}.3.1.`,
      `${SID}.3.1`,
      `${SID}.-3.1.a`,
      `${SID}.4294967296.1.a`,
      `${SID}.12345678901.1.a`,
      `${SID}.3.9007199254740992.a`,
      `${SID}.3.12345678901234567.a`,
      `${SID}.3.1.a  b`,
      `${SID}.3.1.a\nb`,
    ])
      expect(parseEapiKeyId(bad), bad).toBeUndefined();
  });

  it('claimedEapiHttpSessionId: the keyid of the signature tagged e2e2, unauthenticated; undefined otherwise', () => {
    expect(claimedEapiHttpSessionId(craft(GET))).toBe(SID);
    expect(claimedEapiHttpSessionId(GET)).toBeUndefined();
    expect(claimedEapiHttpSessionId(craft(GET, craftParams({ tag: 'other' })))).toBeUndefined();
    expect(claimedEapiHttpSessionId(craft(GET, craftParams({ keyid: new SfToken('abc') })))).toBeUndefined();
    expect(claimedEapiHttpSessionId(craft(GET, craftParams({ keyid: undefined })))).toBeUndefined();
    expect(claimedEapiHttpSessionId(craft(GET, craftParams({ keyid: 'k' })))).toBeUndefined();
    expect(claimedEapiHttpSessionId({ ...GET, headers: { 'signature-input': 'sig1=(', signature: 'sig1=:AA==:' } })).toBeUndefined();
  });

  it('contentDigest of a string is that of its UTF-8 bytes (node:crypto SHA-256)', () => {
    const expected = `sha-256=:${createHash('sha256').update('h\u00e9').digest('base64')}:`;
    expect(contentDigest('h\u00e9')).toBe(expected);
    expect(contentDigest(Uint8Array.of(0x68, 0xc3, 0xa9))).toBe(expected);
  });

  it('a Content-Digest header is checked even without a body (and not covered): each malformed form is refused', async () => {
    const empty = createHash('sha256').update('').digest('base64');
    const withDigest = (digest: string) => craft({ ...GET, headers: { 'content-digest': digest } });
    await expect(verifyCrafted(withDigest(`sha-256=:${empty}:`))).resolves.toMatchObject({ sessionId: SID });
    await expect(verifyCrafted(withDigest(`sha-512=:AA==:, sha-256=:${empty}:`))).resolves.toMatchObject({ sessionId: SID });
    for (const digest of ['sha-256=(', 'sha-512=:AA==:', 'sha-256=("a")', `sha-256="${empty}"`, 'sha-256=:AAAA:', `sha-256=:${createHash('sha256').update('x').digest('base64')}:`])
      expect(await craftedReason(withDigest(digest)), digest).toBe('eapi-http: content-digest does not match the body');
  });
});

describe('signing: the parameters and the covered components', () => {
  it('created is now in whole seconds; expires is created + lifetime, capped by the EAPI expiry rounded up', async () => {
    const { client } = await setup();
    const eapi = client.issueEapi({ scope: 'a', expiresAt: NOW + 90_500 });
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);
    const sign = (now: number, lifetimeSeconds?: number) => signEapiHttpRequest(eapi, GET, { now, nonce, ...(lifetimeSeconds === undefined ? {} : { lifetimeSeconds }) })['signature-input'];
    const s = NOW / 1000;
    expect(sign(NOW + 999)).toBe(`sig1=("@method" "@authority" "@path" "@query");created=${s};expires=${s + 60};nonce="AAECAwQFBgcICQoLDA0ODw";keyid="${eapi.sessionId}.${eapi.index}.${NOW + 90_500}.a";alg="hmac-sha256";tag="e2e2-eapi/v1"`);
    expect(sign(NOW, 1)).toContain(`;expires=${s + 1};`);
    expect(sign(NOW, 90)).toContain(`;expires=${s + 90};`);
    expect(sign(NOW, 91)).toContain(`;expires=${s + 91};`);
    expect(sign(NOW, 92)).toContain(`;expires=${s + 91};`);
    expect(sign(0)).toContain(';created=0;expires=60;');
    const fresh = signEapiHttpRequest(eapi, GET);
    const created = Number(/;created=(\d+);/.exec(fresh['signature-input'])![1]);
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(60);
    expect(/nonce="([^"]*)"/.exec(fresh['signature-input'])![1]).not.toBe(/nonce="([^"]*)"/.exec(signEapiHttpRequest(eapi, GET)['signature-input'])![1]);
    expectCode(() => signEapiHttpRequest(eapi, GET, { now: NOW, nonce: Array.from(nonce) as never }), 'ERR_INVALID_ARGUMENT', 'nonce must be 16 bytes');
    expectCode(() => signEapiHttpRequest(eapi, GET, { now: NOW, lifetimeSeconds: -1 }), 'ERR_INVALID_ARGUMENT', 'lifetimeSeconds must be a positive integer');
  });

  it('covers content-digest only with a non-empty body and content-type only when present; a caller content-digest is replaced', async () => {
    const { client } = await setup();
    const eapi = client.issueEapi({ scope: 'a', expiresAt: NOW + MINUTE });
    const covered = (request: EapiHttpRequest) => /^sig1=\(([^)]*)\)/.exec(signEapiHttpRequest(eapi, request, { now: NOW })['signature-input'])![1];
    expect(covered(GET)).toBe('"@method" "@authority" "@path" "@query"');
    expect(covered({ ...GET, body: '' })).toBe('"@method" "@authority" "@path" "@query"');
    expect(covered({ ...GET, body: new Uint8Array(0), headers: { 'content-digest': 'sha-256=:AA==:' } })).toBe('"@method" "@authority" "@path" "@query"');
    expect(Object.keys(signEapiHttpRequest(eapi, { ...GET, body: '' }, { now: NOW }))).toStrictEqual(['signature-input', 'signature']);
    expect(Object.keys(signEapiHttpRequest(eapi, { ...GET, body: 'x' }, { now: NOW }))).toStrictEqual(['signature-input', 'signature', 'content-digest']);
    expect(covered({ ...GET, headers: { 'Content-Type': 'text/plain' } })).toBe('"@method" "@authority" "@path" "@query" "content-type"');
    expect(covered({ ...GET, body: Uint8Array.of(1) })).toBe('"@method" "@authority" "@path" "@query" "content-digest"');
    const signed = signEapiHttpRequest(eapi, { ...GET, body: 'x', headers: { 'content-digest': 'sha-256=:AA==:' } }, { now: NOW, label: 'mine' });
    expect(signed['content-digest']).toBe(contentDigest('x'));
    expect(signed['signature-input']).toMatch(/^mine=\("@method" "@authority" "@path" "@query" "content-digest"\);/);
    expect(signed.signature).toMatch(/^mine=:[A-Za-z0-9+/]{43}=:$/);
  });
});

describe('verification: crafted signatures reach each check', () => {
  it('a well-formed request: every claim returned; alg may be absent; any label', async () => {
    await expect(verifyCrafted(craft(GET))).resolves.toStrictEqual({
      sessionId: SID,
      index: 3,
      scope: 'orders:read',
      expiresAt: EXPIRES_AT,
      created: NOW,
      label: 'sig1',
      components: BASE,
    });
    await expect(verifyCrafted(craft(GET, craftParams({ alg: undefined }), BASE, 'other')), 'alg absent').resolves.toMatchObject({ label: 'other' });
  });

  it('parameters of the wrong type are refused before the MAC', async () => {
    expect(await craftedReason(craft(GET, craftParams({ keyid: new SfToken('k') })))).toBe('eapi-http: keyid is not an EAPI key id');
    expect(await craftedReason(craft(GET, craftParams({ alg: new SfToken('hmac-sha256') })))).toBe('eapi-http: alg is not hmac-sha256');
    expect(await craftedReason(craft(GET, craftParams({ expires: '1' })))).toBe('eapi-http: created, expires and nonce are required');
    expect(await craftedReason(craft(GET, craftParams({ created: undefined })))).toBe('eapi-http: created, expires and nonce are required');
    expect(await craftedReason(craft(GET, craftParams({ expires: undefined })))).toBe('eapi-http: created, expires and nonce are required');
    expect(await craftedReason(craft(GET, craftParams({ nonce: 5 })))).toBe('eapi-http: created, expires and nonce are required');
    expect(await craftedReason(craft(GET, craftParams(), ['@method', '@authority', '@path']))).toBe('eapi-http: @query is not covered');
    expect(await craftedReason(craft(GET, craftParams(), ['@method', '@path', '@query']))).toBe('eapi-http: @authority is not covered');
    const typed = { ...GET, headers: { 'content-type': 'text/plain' } };
    expect(await craftedReason(craft(typed))).toBe('eapi-http: content-type is not covered');
    await expect(verifyCrafted(craft(typed, craftParams(), [...BASE, 'content-type']))).resolves.toMatchObject({ components: [...BASE, 'content-type'] });
  });

  it("an unknown session id is refused; the caller's root is never written; an unknown session's lookup still costs a MAC", async () => {
    const session = { eapiRoot: ROOT.slice(), keyId: 'k1' };
    await verifyCrafted(craft(GET), { session });
    expect(session.eapiRoot).toStrictEqual(ROOT);
    const other = 'cd'.repeat(16);
    expect(await craftedReason(craft(GET, craftParams({ keyid: `${other}.3.${EXPIRES_AT}.orders:read` })), { session })).toBe('eapi-http: unknown session');
    expect(session.eapiRoot).toStrictEqual(ROOT);
    const lookups: string[] = [];
    await craftedReason(craft(GET, craftParams({ keyid: `${other}.3.${EXPIRES_AT}.orders:read` })), { lookupSession: async (id) => void lookups.push(id) });
    expect(lookups).toStrictEqual([other]);
    // A session under another root: the MAC fails.
    expect(await craftedReason(craft(GET), { session: { eapiRoot: new Uint8Array(32).fill(9) } })).toBe('eapi-http: signature');
  });

  it('expiry: each of the four conditions at its bound', async () => {
    const s = NOW / 1000;
    // A skew of 10 minutes, so that only the expiry decides.
    const expired = (params: SfParams, now: number) => expectCodeAsync(() => verifyCrafted(craft(GET, params), { now, clockSkewMs: 10 * MINUTE }), 'ERR_EAPI_EXPIRED', 'EAPI expired');
    const ok = (params: SfParams, now: number) => expect(verifyCrafted(craft(GET, params), { now, clockSkewMs: 10 * MINUTE })).resolves.toMatchObject({ index: 3 });
    await expired(craftParams(), EXPIRES_AT);
    // The EAPI's own expiry alone: a signature that would live past it.
    await expired(craftParams({ expires: EXPIRES_AT / 1000 + 60 }), EXPIRES_AT);
    await ok(craftParams({ expires: EXPIRES_AT / 1000 + 60 }), EXPIRES_AT - 1);
    await ok(craftParams({ expires: s + 700 }), EXPIRES_AT - 1);
    await expired(craftParams({ expires: s + 60 }), NOW + 60_000);
    await ok(craftParams({ expires: s + 60 }), NOW + 59_999);
    // created at or after the EAPI's expiry, the verifier's clock still before it.
    await expired(craftParams({ created: EXPIRES_AT / 1000, expires: EXPIRES_AT / 1000 + 60 }), EXPIRES_AT - 1);
    await ok(craftParams({ created: EXPIRES_AT / 1000 - 1, expires: EXPIRES_AT / 1000 + 60 }), EXPIRES_AT - 1);
    // expires not after created.
    await expired(craftParams({ created: s, expires: s }), NOW - 1000);
    await ok(craftParams({ created: s, expires: s + 1 }), NOW - 1000);
  });

  it('clock skew: |now - created| up to clockSkewMs (default 30 s) passes, both directions', async () => {
    const skewed = (now: number, clockSkewMs?: number) =>
      expectCodeAsync(() => verifyCrafted(craft(GET), { now, ...(clockSkewMs === undefined ? {} : { clockSkewMs }) }), 'ERR_EAPI_CLOCK_SKEW', 'EAPI request created time is outside the accepted clock skew');
    await expect(verifyCrafted(craft(GET), { now: NOW + 30_000 })).resolves.toMatchObject({ created: NOW });
    await expect(verifyCrafted(craft(GET), { now: NOW - 30_000 })).resolves.toMatchObject({ created: NOW });
    await skewed(NOW - 30_001);
    await skewed(NOW + 5_001, 5_000);
    await skewed(NOW - 5_001, 5_000);
    await expect(verifyCrafted(craft(GET), { now: NOW - 5_000, clockSkewMs: 5_000 })).resolves.toMatchObject({ created: NOW });
    // Default clock: a signature made now verifies without `now`.
    const t = Math.floor(Date.now() / 1000);
    await expect(verifyCrafted(craft(GET, craftParams({ created: t, expires: t + 60 })), { now: undefined })).resolves.toMatchObject({ created: t * 1000 });
  });

  it('scope and policy: required scope among the tokens, lifetime bound, the key table, the callback and its context', async () => {
    const scoped = craft(GET, craftParams({ keyid: `${SID}.3.${EXPIRES_AT}.orders:read admin` }));
    await expect(verifyCrafted(scoped, { requiredScope: 'admin' })).resolves.toMatchObject({ scope: 'orders:read admin' });
    await expect(verifyCrafted(scoped, { requiredScope: 'orders:read' })).resolves.toMatchObject({ scope: 'orders:read admin' });
    await expectCodeAsync(() => verifyCrafted(scoped, { requiredScope: 'orders' }), 'ERR_EAPI_SCOPE', 'EAPI scope does not include the required scope');
    await expect(verifyCrafted(scoped, { policy: { maxLifetimeMs: 10 * MINUTE } })).resolves.toMatchObject({ index: 3 });
    await expectCodeAsync(() => verifyCrafted(scoped, { policy: { maxLifetimeMs: 10 * MINUTE - 1 } }), 'ERR_EAPI_POLICY', 'EAPI lifetime exceeds the server policy');
    const table = { k1: ['orders:read', 'admin'], k2: ['admin'] };
    await expect(verifyCrafted(scoped, { policy: { allowedScopes: table } })).resolves.toMatchObject({ index: 3 });
    const refused = async (options: Options) => (await expectCodeAsync(() => verifyCrafted(scoped, options), 'ERR_EAPI_POLICY', 'EAPI scope is not allowed for this key')).cause;
    expect(await refused({ policy: { allowedScopes: table }, session: { eapiRoot: ROOT.slice(), keyId: 'k2' } })).toStrictEqual({ keyId: 'k2', scope: 'orders:read admin' });
    expect(await refused({ policy: { allowedScopes: table }, session: { eapiRoot: ROOT.slice() } })).toStrictEqual({ keyId: undefined, scope: 'orders:read admin' });
    // A session without a key id matches no entry, not even one named "undefined".
    await refused({ policy: { allowedScopes: { undefined: ['orders:read', 'admin'] } }, session: { eapiRoot: ROOT.slice() } });
    // Inherited properties of the table are not key ids.
    await refused({ policy: { allowedScopes: table }, session: { eapiRoot: ROOT.slice(), keyId: 'constructor' } });
    const contexts: unknown[] = [];
    const callback = (context: unknown) => (contexts.push(context), true);
    await expect(verifyCrafted(scoped, { policy: { allowedScopes: callback } })).resolves.toMatchObject({ index: 3 });
    expect(contexts).toStrictEqual([{ keyId: 'k1', sessionId: SID, scope: 'orders:read admin' }]);
    await refused({ policy: { allowedScopes: (() => 1) as never } });
    await refused({ policy: { allowedScopes: (() => 'yes') as never } });
    await expectCodeAsync(() => verifyCrafted(scoped, { policy: { requiredComponents: ['@Query', 'x-id'] } }), 'ERR_EAPI_POLICY', 'the signature does not cover x-id');
    await expect(verifyCrafted(scoped, { policy: { requiredComponents: ['@Query', '@method'] } })).resolves.toMatchObject({ index: 3 });
  });

  it('replay: a ReplayCache admits the nonce once; a ReplayStore is claimed with the session:nonce key and the ttl until the signature or EAPI ends, plus skew', async () => {
    const cache = new ReplayCache(10);
    const request = craft(GET);
    await verifyCrafted(request, { replay: cache });
    await expectCodeAsync(() => verifyCrafted(request, { replay: cache }), 'ERR_EAPI_REPLAYED', 'EAPI request replayed');
    expect(cache.size).toBe(1);
    const claims: [string, number][] = [];
    let answer = true;
    const store = { claim: async (key: string, ttl: number) => (claims.push([key, ttl]), answer) };
    await verifyCrafted(request, { replay: store, now: NOW + 10_000 });
    // min(EAPI expiry, expires) - now + skew = NOW + 60 s - (NOW + 10 s) + 30 s.
    expect(claims).toStrictEqual([[`${SID}:bm9uY2Ut`, 80_000]]);
    await verifyCrafted(craft(GET, craftParams({ expires: EXPIRES_AT / 1000 + 60 })), { replay: store, now: NOW, clockSkewMs: 1_000 });
    expect(claims[1]).toStrictEqual([`${SID}:bm9uY2Ut`, 10 * MINUTE + 1_000]);
    await verifyCrafted(craft(GET, craftParams({ expires: NOW / 1000 + 1 })), { replay: store, now: NOW + 999, clockSkewMs: 999 });
    expect(claims[2]).toStrictEqual([`${SID}:bm9uY2Ut`, 1_000]);
    answer = false;
    const replayed = await expectCodeAsync(() => verifyCrafted(request, { replay: store }), 'ERR_EAPI_REPLAYED', 'EAPI request replayed');
    expect(replayed.cause).toStrictEqual({ reason: 'nonce already used' });
  });

  it('options: a non-object, lookupSession not a function', async () => {
    await expectCodeAsync(() => verifyEapiHttpRequest(GET, 'options' as never), 'ERR_INVALID_ARGUMENT', 'options must give lookupSession and replay');
    await expectCodeAsync(() => verifyEapiHttpRequest(GET, { lookupSession: {}, replay: new ReplayCache(1) } as never), 'ERR_INVALID_ARGUMENT', 'options must give lookupSession and replay');
    // A function carrying the two properties is still not an options object.
    const fn = Object.assign(() => undefined, { lookupSession: () => undefined, replay: new ReplayCache(1) });
    await expectCodeAsync(() => verifyEapiHttpRequest(GET, fn as never), 'ERR_INVALID_ARGUMENT', 'options must give lookupSession and replay');
    // requiredScope must be a string: a number would pass the token pattern once coerced.
    await expectCodeAsync(() => verifyCrafted(craft(GET), { requiredScope: 5 as never }), 'ERR_INVALID_ARGUMENT', 'requiredScope must be one RFC 6749 §3.3 scope token');
    await expect(verifyCrafted(craft(GET), { requiredScope: 'orders:read' })).resolves.toMatchObject({ index: 3 });
  });
});
