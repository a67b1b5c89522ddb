/**
 * EAPI as an RFC 9421 profile (SPEC.md §8.7, bindings/e2e2/eapi-http.ts):
 * - the RFC 9421 Appendix B.2.5 hmac-sha256 example, byte-exact (base and signature) and verified;
 * - interop both ways with the independent `http-message-signatures` implementation;
 * - every covered component, the body, alg, tag and keyid are bound; failures are the one
 *   AUTHENTICATION_FAILED; authentic claims outside time, scope, policy or replay fail typed;
 * - test/vectors/eapi-http.json: e2e2 reproduces it and the noble oracle recomputes its secret,
 *   digest and MAC.
 */
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { httpbis, createSigner, createVerifier } from 'http-message-signatures';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import {
  buildSignatureBase,
  claimedEapiHttpSessionId,
  deriveEapi,
  generateApiKey,
  parseHttpSignatures,
  signEapiHttpRequest,
  signHttpMessageHmac,
  verifyEapiHttpRequest,
  verifyHttpMessageHmac,
  type EapiHttpRequest,
  type VerifyEapiHttpOptions,
} from '../bindings/index.js';
import { handshakePair } from './helpers/handshake.js';
import { Eapi, ReplayCache } from '../bindings/e2e2/eapi.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';
import { AUTHENTICATION_FAILED_MESSAGE } from '../bindings/noise/failures.js';
import type { ReplayStore } from '../bindings/e2e2/eapi-stores.js';
import * as oracle from './oracle/e2e2.js';
import { expectCodeAsync, hexOf } from './oracle/harness.js';
import { StoreUnavailableError, type E2E2ErrorCode } from '../bindings/errors.js';

const expectCode = (promise: Promise<unknown>, code: E2E2ErrorCode) => expectCodeAsync(() => promise, code);

// ---------------------------------------------------------------- RFC 9421 Appendix B

/** B.1.5 test-shared-secret. */
const RFC_KEY = Buffer.from('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==', 'base64');
/** B.2 test-request. */
const RFC_REQUEST: EapiHttpRequest = {
  method: 'POST',
  url: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    Host: 'example.com',
    Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'Content-Type': 'application/json',
    'Content-Digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'Content-Length': '18',
  },
  body: '{"hello": "world"}',
};
const RFC_B25_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@authority": example.com',
  '"content-type": application/json',
  '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
].join('\n');
const RFC_B25_INPUT = 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"';
const RFC_B25_SIGNATURE = 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:';

describe('RFC 9421 Appendix B.2.5 (hmac-sha256)', () => {
  const components = ['date', '@authority', 'content-type'];
  const params: Array<[string, string | number]> = [['created', 1618884473], ['keyid', 'test-shared-secret']];

  it('the signature base and both headers are byte-exact', () => {
    expect(buildSignatureBase(RFC_REQUEST, components, params)).toBe(RFC_B25_BASE);
    const signed = signHttpMessageHmac(RFC_KEY, RFC_REQUEST, components, params, 'sig-b25');
    expect(signed.base).toBe(RFC_B25_BASE);
    expect(signed['signature-input']).toBe(RFC_B25_INPUT);
    expect(signed.signature).toBe(RFC_B25_SIGNATURE);
    // Independent check of the MAC (node:crypto) over the published base.
    expect(`sig-b25=:${createHmac('sha256', RFC_KEY).update(RFC_B25_BASE).digest('base64')}:`).toBe(RFC_B25_SIGNATURE);
  });

  it('the published signature verifies; a changed covered header or key does not', () => {
    const request = { ...RFC_REQUEST, headers: { ...RFC_REQUEST.headers, 'Signature-Input': RFC_B25_INPUT, Signature: RFC_B25_SIGNATURE } };
    const [parsed] = parseHttpSignatures(request);
    expect(parsed!.label).toBe('sig-b25');
    expect(parsed!.components).toEqual(components);
    expect(verifyHttpMessageHmac(RFC_KEY, request, parsed!)).toBe(true);
    expect(verifyHttpMessageHmac(RFC_KEY, { ...request, headers: { ...request.headers, 'Content-Type': 'text/plain' } }, parsed!)).toBe(false);
    expect(verifyHttpMessageHmac(RFC_KEY.subarray(1), request, parsed!)).toBe(false);
  });
});

// ---------------------------------------------------------------- EAPI profile

const KEY = generateApiKey();
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

async function pair() {
  const { client, server } = await handshakePair(KEY);
  const exporter = (sessionSnapshotForTestingOnly(server).exporter as Uint8Array).slice();
  // The oracle's EAPI root (SPEC.md §6.5), so the verifier is fed an independently derived root.
  const eapiRoot = oracle.eapiRoot(exporter);
  return { client, server, exporter, eapiRoot };
}

const POST: EapiHttpRequest = {
  method: 'POST',
  url: 'https://api.example.com:8443/orders/42?expand=items&x=1',
  headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'r-1' },
  body: '{"qty":2}',
};

function withSignature(request: EapiHttpRequest, sig: Record<string, string | undefined>): EapiHttpRequest {
  const headers: Record<string, string> = { ...(request.headers as Record<string, string>) };
  for (const [k, v] of Object.entries(sig)) if (v !== undefined) headers[k] = v;
  return { ...request, headers };
}

async function setup(scope = 'orders:read orders:write', expiresAt = NOW + 10 * MINUTE) {
  const { client, exporter, eapiRoot } = await pair();
  const eapi = client.issueEapi({ scope, expiresAt });
  const options = (extra: Partial<VerifyEapiHttpOptions> = {}): VerifyEapiHttpOptions => ({
    lookupSession: (id) => (id === client.sessionId ? { eapiRoot, keyId: KEY.keyId } : undefined),
    now: NOW + 1000,
    replay: new ReplayCache(100),
    ...extra,
  });
  return { client, eapi, exporter, eapiRoot, options };
}

describe('signEapiHttpRequest / verifyEapiHttpRequest', () => {
  it('signs the profile exactly and verifies, with a WHATWG Headers object too', async () => {
    const { client, eapi, options } = await setup();
    const sig = signEapiHttpRequest(eapi, POST, { now: NOW, nonce: new Uint8Array(16).fill(7) });
    const keyid = `${client.sessionId}.0.${NOW + 10 * MINUTE}.orders:read orders:write`;
    expect(sig['signature-input']).toBe(
      `sig1=("@method" "@authority" "@path" "@query" "content-digest" "content-type");created=${NOW / 1000};expires=${NOW / 1000 + 60};nonce="BwcHBwcHBwcHBwcHBwcHBw";keyid="${keyid}";alg="hmac-sha256";tag="e2e2-eapi/v1"`,
    );
    expect(sig['content-digest']).toBe(`sha-256=:${Buffer.from(nobleSha256(Buffer.from('{"qty":2}'))).toString('base64')}:`);
    const verified = await verifyEapiHttpRequest(withSignature(POST, { ...sig }), options({ requiredScope: 'orders:write' }));
    expect(verified).toMatchObject({ sessionId: client.sessionId, index: 0, scope: 'orders:read orders:write', created: NOW, label: 'sig1' });
    const h = new Headers(POST.headers as Record<string, string>);
    for (const [k, v] of Object.entries(sig)) h.set(k, v!);
    await expect(verifyEapiHttpRequest({ ...POST, headers: h }, options())).resolves.toMatchObject({ index: 0 });
  });

  it('a GET without body or content-type covers only the four derived components; @query is "?" when absent', async () => {
    const { eapi, options } = await setup();
    const get = { method: 'GET', url: 'https://api.example.com/orders' };
    const sig = signEapiHttpRequest(eapi, get, { now: NOW });
    expect(sig['content-digest']).toBeUndefined();
    expect(sig['signature-input']).toMatch(/^sig1=\("@method" "@authority" "@path" "@query"\);/);
    const [parsed] = parseHttpSignatures(withSignature(get, { ...sig }));
    expect(buildSignatureBase(get, parsed!.components, parsed!.params).split('\n').slice(0, 4)).toEqual([
      '"@method": GET',
      '"@authority": api.example.com',
      '"@path": /orders',
      '"@query": ?',
    ]);
    await expect(verifyEapiHttpRequest(withSignature(get, { ...sig }), options())).resolves.toMatchObject({ index: 0 });
  });

  it('tampering with any covered component, the body, or a signature parameter fails with AUTHENTICATION_FAILED', async () => {
    const { eapi, options } = await setup();
    const sig = signEapiHttpRequest(eapi, POST, { now: NOW });
    const good = withSignature(POST, { ...sig });
    const input = sig['signature-input'];
    const tampered: Array<[string, EapiHttpRequest]> = [
      ['@method', { ...good, method: 'PUT' }],
      ['@authority host', { ...good, url: 'https://evil.example.com:8443/orders/42?expand=items&x=1' }],
      ['@authority port', { ...good, url: 'https://api.example.com:8444/orders/42?expand=items&x=1' }],
      ['@path', { ...good, url: 'https://api.example.com:8443/orders/43?expand=items&x=1' }],
      ['@query', { ...good, url: 'https://api.example.com:8443/orders/42?expand=items&x=2' }],
      ['content-type', withSignature(good, { 'Content-Type': 'text/plain' })],
      ['body (digest mismatch)', { ...good, body: '{"qty":3}' }],
      ['content-digest header', withSignature(good, { 'Content-Digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` })],
      ['body removed', { ...good, body: undefined }],
      ['signature', withSignature(good, { Signature: `sig1=:${Buffer.alloc(32, 1).toString('base64')}:` })],
      ['created', withSignature(good, { 'Signature-Input': input.replace(`created=${NOW / 1000}`, `created=${NOW / 1000 + 1}`) })],
      ['expires', withSignature(good, { 'Signature-Input': input.replace(/expires=\d+/, `expires=${NOW / 1000 + 3600}`) })],
      ['nonce', withSignature(good, { 'Signature-Input': input.replace(/nonce="[^"]+"/, 'nonce="AAAAAAAAAAAAAAAAAAAAAA"') })],
      ['keyid scope', withSignature(good, { 'Signature-Input': input.replace('orders:read orders:write', 'orders:read orders:write admin') })],
      ['keyid expiry', withSignature(good, { 'Signature-Input': input.replace(`.${NOW + 10 * MINUTE}.`, `.${NOW + 20 * MINUTE}.`) })],
      ['keyid index', withSignature(good, { 'Signature-Input': input.replace(/\.0\./, '.1.') })],
      ['alg', withSignature(good, { 'Signature-Input': input.replace('alg="hmac-sha256"', 'alg="ed25519"') })],
      ['tag', withSignature(good, { 'Signature-Input': input.replace('e2e2-eapi/v1', 'e2e2-eapi/v2') })],
      ['content-digest dropped from coverage', withSignature(good, { 'Signature-Input': input.replace(' "content-digest"', '') })],
      ['content-type dropped from coverage', withSignature(good, { 'Signature-Input': input.replace(' "content-type"', '') })],
      ['@query dropped from coverage', withSignature(good, { 'Signature-Input': input.replace(' "@query"', '') })],
      ['garbage headers', withSignature(good, { 'Signature-Input': 'sig1=(', Signature: 'x' })],
      ['no headers', POST],
    ];
    for (const [what, request] of tampered) {
      const error = await verifyEapiHttpRequest(request, options()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string } | undefined)?.code, what).toBe('ERR_AUTHENTICATION_FAILED');
      expect((error as Error).message, what).toBe(AUTHENTICATION_FAILED_MESSAGE);
    }
    // The untampered request still verifies (nothing above consumed its nonce).
    await expect(verifyEapiHttpRequest(good, options())).resolves.toMatchObject({ index: 0 });
  });

  it('an EAPI of another session fails authentication, and so does an unknown session', async () => {
    const { eapi, options } = await setup();
    const other = await pair();
    const sig = signEapiHttpRequest(eapi, POST, { now: NOW });
    const request = withSignature(POST, { ...sig });
    await expectCode(verifyEapiHttpRequest(request, options({ lookupSession: () => ({ eapiRoot: other.eapiRoot }) })), 'ERR_AUTHENTICATION_FAILED');
    await expectCode(verifyEapiHttpRequest(request, options({ lookupSession: () => undefined })), 'ERR_AUTHENTICATION_FAILED');
  });

  it('authentic claims outside time, scope or replay fail typed; a store that cannot answer fails closed, typed', async () => {
    const { eapi, options } = await setup('orders:read', NOW + 10 * MINUTE);
    const sig = signEapiHttpRequest(eapi, POST, { now: NOW });
    const request = withSignature(POST, { ...sig });
    await expectCode(verifyEapiHttpRequest(request, options({ now: NOW + 10 * MINUTE })), 'ERR_EAPI_EXPIRED');
    await expectCode(verifyEapiHttpRequest(request, options({ now: NOW + 61_000 })), 'ERR_EAPI_EXPIRED'); // signature expires
    await expectCode(verifyEapiHttpRequest(request, options({ now: NOW + 45_000 })), 'ERR_EAPI_CLOCK_SKEW');
    await expectCode(verifyEapiHttpRequest(request, options({ requiredScope: 'orders:write' })), 'ERR_EAPI_SCOPE');
    const replay = new ReplayCache(100);
    await verifyEapiHttpRequest(request, options({ replay }));
    await expectCode(verifyEapiHttpRequest(request, options({ replay })), 'ERR_EAPI_REPLAYED');
    // A shared (async) ReplayStore: first claim wins, a store failure propagates typed (fail closed).
    const used = new Set<string>();
    const store: ReplayStore = { claim: async (key) => (used.has(key) ? false : (used.add(key), true)) };
    await verifyEapiHttpRequest(request, options({ replay: store }));
    await expectCode(verifyEapiHttpRequest(request, options({ replay: store })), 'ERR_EAPI_REPLAYED');
    const down = new StoreUnavailableError('replay store down');
    const fresh = () => withSignature(POST, { ...signEapiHttpRequest(eapi, POST, { now: NOW }) });
    await expectCode(verifyEapiHttpRequest(fresh(), options({ replay: { claim: async () => Promise.reject(down) } })), 'ERR_STORE_UNAVAILABLE');
    await expectCode(verifyEapiHttpRequest(fresh(), options({ lookupSession: async () => Promise.reject(down) })), 'ERR_STORE_UNAVAILABLE');
  });

  it('server policy: lifetime, scopes per key id (table and callback), required components → ERR_EAPI_POLICY', async () => {
    const { eapi, options } = await setup('orders:read orders:write', NOW + 10 * MINUTE);
    const request = () => withSignature(POST, { ...signEapiHttpRequest(eapi, POST, { now: NOW }) });
    await expectCode(verifyEapiHttpRequest(request(), options({ policy: { maxLifetimeMs: 5 * MINUTE } })), 'ERR_EAPI_POLICY');
    await expect(verifyEapiHttpRequest(request(), options({ policy: { maxLifetimeMs: 10 * MINUTE } }))).resolves.toBeDefined();
    await expectCode(verifyEapiHttpRequest(request(), options({ policy: { allowedScopes: { [KEY.keyId]: ['orders:read'] } } })), 'ERR_EAPI_POLICY');
    await expectCode(verifyEapiHttpRequest(request(), options({ policy: { allowedScopes: { 'other-key': ['orders:read', 'orders:write'] } } })), 'ERR_EAPI_POLICY');
    await expect(verifyEapiHttpRequest(request(), options({ policy: { allowedScopes: { [KEY.keyId]: ['orders:read', 'orders:write', 'x'] } } }))).resolves.toBeDefined();
    const seen: unknown[] = [];
    const callback = (ctx: { keyId: string | undefined; scope: string }) => (seen.push(ctx), ctx.scope === 'never');
    await expectCode(verifyEapiHttpRequest(request(), options({ policy: { allowedScopes: callback } })), 'ERR_EAPI_POLICY');
    expect(seen).toEqual([expect.objectContaining({ keyId: KEY.keyId, scope: 'orders:read orders:write' })]);
    await expectCode(verifyEapiHttpRequest(request(), options({ policy: { requiredComponents: ['x-request-id'] } })), 'ERR_EAPI_POLICY');
    // The policy runs only on authentic claims: a forged request fails authentication first.
    const forged = withSignature(request(), { Signature: `sig1=:${Buffer.alloc(32).toString('base64')}:` });
    await expectCode(verifyEapiHttpRequest(forged, options({ policy: { maxLifetimeMs: 1 } })), 'ERR_AUTHENTICATION_FAILED');
  });

  it('the verifier finds the e2e2 signature among others, whatever its label', async () => {
    const { eapi, options } = await setup();
    const sig = signEapiHttpRequest(eapi, POST, { now: NOW, label: 'eapi' });
    const request = withSignature(POST, {
      'signature-input': `other=("@method");created=1;keyid="x", ${sig['signature-input']}`,
      signature: `other=:AAAA:, ${sig.signature}`,
      'content-digest': sig['content-digest'],
    });
    await expect(verifyEapiHttpRequest(request, options())).resolves.toMatchObject({ label: 'eapi' });
  });
});

// ---------------------------------------------------------------- interop: http-message-signatures

function hmsRequest(request: EapiHttpRequest, extra: Record<string, string | undefined> = {}) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...(request.headers as Record<string, string>), ...extra })) if (v !== undefined) headers[k.toLowerCase()] = v;
  return { method: request.method, url: String(request.url), headers };
}

describe('interop with http-message-signatures (independent RFC 9421 implementation)', () => {
  it('e2e2 signs → http-message-signatures verifies with the derived EAPI secret', async () => {
    const { eapi, eapiRoot } = await setup();
    const sig = signEapiHttpRequest(eapi, POST, { now: Date.now() });
    const secret = deriveEapi(eapiRoot, eapi);
    const keys: string[] = [];
    const ok = await httpbis.verifyMessage(
      {
        keyLookup: async (params) => {
          keys.push(String(params.keyid));
          return { id: String(params.keyid), algs: ['hmac-sha256'], verify: createVerifier(Buffer.from(secret), 'hmac-sha256') };
        },
        requiredParams: ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'],
        requiredFields: ['@method', '@authority', '@path', '@query', 'content-digest', 'content-type'],
      },
      hmsRequest(POST, { ...sig }),
    );
    expect(ok).toBe(true);
    expect(keys).toEqual([`${eapi.sessionId}.0.${eapi.expiresAt}.${eapi.scope}`]);
    const bad = await httpbis
      .verifyMessage(
        { keyLookup: async () => ({ id: 'k', algs: ['hmac-sha256'], verify: createVerifier(Buffer.from(secret), 'hmac-sha256') }) },
        hmsRequest({ ...POST, method: 'DELETE' }, { ...sig }),
      )
      .catch(() => false);
    expect(bad).toBe(false);
  });

  it('http-message-signatures signs (with the derived EAPI secret) → e2e2 verifies', async () => {
    const { client, eapi, eapiRoot, options } = await setup();
    const secret = deriveEapi(eapiRoot, eapi);
    const keyid = `${client.sessionId}.0.${eapi.expiresAt}.${eapi.scope}`;
    const created = new Date(Math.floor(Date.now() / 1000) * 1000);
    const base = hmsRequest(POST, { 'content-digest': `sha-256=:${Buffer.from(nobleSha256(Buffer.from(POST.body as string))).toString('base64')}:` });
    const signed = await httpbis.signMessage(
      {
        key: createSigner(Buffer.from(secret), 'hmac-sha256', keyid),
        fields: ['@method', '@authority', '@path', '@query', 'content-digest', 'content-type'],
        params: ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'],
        paramValues: { created, expires: new Date(created.getTime() + 60_000), nonce: 'hms-nonce-1', tag: 'e2e2-eapi/v1' },
      },
      base,
    );
    const request: EapiHttpRequest = { method: signed.method, url: signed.url, headers: signed.headers, body: POST.body };
    const verified = await verifyEapiHttpRequest(request, options({ now: created.getTime() + 500 }));
    expect(verified).toMatchObject({ sessionId: client.sessionId, index: 0 });
    await expectCode(verifyEapiHttpRequest({ ...request, body: '{"qty":9}' }, options({ now: created.getTime() + 500 })), 'ERR_AUTHENTICATION_FAILED');
    // Without the optional alg parameter (the algorithm is the key's anyway), and with a GET.
    const get = hmsRequest({ method: 'GET', url: 'https://api.example.com/orders' });
    const signedGet = await httpbis.signMessage(
      {
        key: createSigner(Buffer.from(secret), 'hmac-sha256', keyid),
        fields: ['@method', '@authority', '@path', '@query'],
        params: ['created', 'expires', 'nonce', 'keyid', 'tag'],
        paramValues: { created, expires: new Date(created.getTime() + 60_000), nonce: 'hms-nonce-2', tag: 'e2e2-eapi/v1' },
      },
      get,
    );
    expect(String(signedGet.headers['Signature-Input'] ?? signedGet.headers['signature-input'])).not.toContain('alg=');
    await expect(verifyEapiHttpRequest({ method: 'GET', url: signedGet.url, headers: signedGet.headers }, options({ now: created.getTime() + 500 }))).resolves.toMatchObject({ index: 0 });
  });
});

// ---------------------------------------------------------------- vectors

interface HttpVector {
  name: string;
  exporter: string;
  eapiRoot: string;
  sessionId: string;
  index: number;
  scope: string;
  expiresAt: number;
  now: number;
  nonce: string;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  secret: string;
  contentDigest?: string;
  signatureBase: string;
  signatureInput: string;
  signature: string;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors/eapi-http.json', import.meta.url), 'utf8')) as { vectors: HttpVector[] };

describe('test/vectors/eapi-http.json', () => {
  it('has vectors with and without a body', () => {
    expect(vectors.vectors.length).toBeGreaterThanOrEqual(2);
    expect(vectors.vectors.some((v) => v.request.body !== undefined)).toBe(true);
    expect(vectors.vectors.some((v) => v.request.body === undefined)).toBe(true);
  });
  for (const v of vectors.vectors) {
    it(`${v.name}: the noble oracle recomputes secret, digest and MAC; e2e2 reproduces and verifies`, async () => {
      const exporter = Buffer.from(v.exporter, 'hex');
      // Oracle (noble): secret, content-digest, MAC over the stored base; the base's params line is the Signature-Input member.
      const eapiRoot = oracle.eapiRoot(exporter);
      expect(hexOf(eapiRoot)).toBe(v.eapiRoot);
      const secret = oracle.eapiSecretFromRoot(eapiRoot, v.index, v.scope, v.expiresAt);
      expect(hexOf(secret)).toBe(v.secret);
      if (v.request.body !== undefined) expect(`sha-256=:${Buffer.from(nobleSha256(Buffer.from(v.request.body))).toString('base64')}:`).toBe(v.contentDigest);
      expect(`sig1=:${Buffer.from(nobleHmac(nobleSha256, secret, Buffer.from(v.signatureBase))).toString('base64')}:`).toBe(v.signature);
      expect(v.signatureBase.split('\n').at(-1)).toBe(`"@signature-params": ${v.signatureInput.slice('sig1='.length)}`);
      // e2e2.
      const eapi = new Eapi(eapiRoot, Buffer.from(v.sessionId, 'hex'), { index: v.index, scope: v.scope, expiresAt: v.expiresAt });
      const sig = signEapiHttpRequest(eapi, v.request, { now: v.now, nonce: Buffer.from(v.nonce, 'hex') });
      expect(sig['signature-input']).toBe(v.signatureInput);
      expect(sig.signature).toBe(v.signature);
      expect(sig['content-digest']).toBe(v.contentDigest);
      const request = withSignature(v.request, { ...sig });
      const [parsed] = parseHttpSignatures(request);
      expect(buildSignatureBase({ ...v.request, headers: { ...v.request.headers, ...(sig['content-digest'] ? { 'content-digest': sig['content-digest'] } : {}) } }, parsed!.components, parsed!.params)).toBe(v.signatureBase);
      await expect(
        verifyEapiHttpRequest(request, { lookupSession: () => ({ eapiRoot }), now: v.now, replay: new ReplayCache(10) }),
      ).resolves.toMatchObject({ index: v.index, scope: v.scope });
    });
  }
});

describe('ServerSession.verifyEapiHttp (the README example)', () => {
  it('runs the README example as written', async () => {
    const { client: c, server } = await pair();
    const sessions = new Map([[server.sessionId, server]]);
    const keyId = KEY.keyId;
    const request = { method: 'POST', url: 'https://api.example.com/orders', headers: { 'content-type': 'application/json' }, body: '{"qty":2}' };
    const eapi = c.issueEapi({ scope: 'orders:write', expiresAt: Date.now() + 60_000 });
    const signed = { ...request, headers: { ...request.headers, ...signEapiHttpRequest(eapi, request) } };
    expect(Object.keys(signed.headers).sort()).toEqual(['content-digest', 'content-type', 'signature', 'signature-input']);
    const session = sessions.get(claimedEapiHttpSessionId(signed) ?? '');
    const verified = await session?.verifyEapiHttp(signed, {
      requiredScope: 'orders:write',
      policy: { maxLifetimeMs: 5 * 60_000, allowedScopes: { [keyId]: ['orders:read', 'orders:write'] }, requiredComponents: [] },
    });
    expect(verified).toMatchObject({ sessionId: c.sessionId, scope: 'orders:write', components: ['@method', '@authority', '@path', '@query', 'content-digest', 'content-type'] });
  });

  it('finds the session by the claimed id, verifies with its replay cache, refuses after close', async () => {
    const { client, server } = await pair();
    const sessions = new Map([[server.sessionId, server]]);
    const eapi = client.issueEapi({ scope: 'orders:read', expiresAt: Date.now() + 60_000 });
    const request = { method: 'GET', url: 'https://api.example.com/orders?page=2' };
    const signed = { ...request, headers: { ...signEapiHttpRequest(eapi, request) } };
    const session = sessions.get(claimedEapiHttpSessionId(signed) ?? '');
    expect(session).toBe(server);
    await expect(session!.verifyEapiHttp(signed, { requiredScope: 'orders:read', policy: { maxLifetimeMs: 5 * MINUTE } })).resolves.toMatchObject({
      sessionId: client.sessionId,
      scope: 'orders:read',
    });
    await expectCode(server.verifyEapiHttp(signed), 'ERR_EAPI_REPLAYED');
    const other = await pair();
    await expectCode(other.server.verifyEapiHttp({ ...request, headers: { ...signEapiHttpRequest(eapi, request) } }), 'ERR_AUTHENTICATION_FAILED');
    server.open(client.seal(new Uint8Array([1])));
    server.close();
    await expectCode(server.verifyEapiHttp({ ...request, headers: { ...signEapiHttpRequest(eapi, request) } }), 'ERR_SESSION_CLOSED');
  });
});

it('SPEC.md §11 prints vector 1 of test/vectors/eapi-http.json as committed', () => {
  const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
  const v = vectors.vectors[0]!;
  expect(spec).toContain(`    EAPI secret              ${v.secret}`);
  expect(spec).toContain(`    Signature                ${v.signature}`);
  for (const line of v.signatureBase.split('\n')) expect(spec).toContain(`                             ${line}`);
});

describe('structured fields (RFC 8941 subset) and the base', () => {
  it('parses strings with escapes, integers, tokens, booleans, byte sequences; the last duplicate key wins', async () => {
    const { parseDictionary, SfBytes, SfToken, serializeDictionary } = await import('../bindings/e2e2/structured-fields.js');
    const d = parseDictionary('a=("x" "y\\\\z\\"");p=-12;q=tok/1;r, b=:AQID:, c=?0, a=1');
    expect([...d.keys()]).toEqual(['b', 'c', 'a']);
    expect(d.get('a')).toEqual({ kind: 'item', value: 1, params: [] });
    expect((d.get('b') as { value: InstanceType<typeof SfBytes> }).value.bytes).toEqual(Uint8Array.of(1, 2, 3));
    expect(d.get('c')).toMatchObject({ value: false });
    const l = parseDictionary('a=("x" "y\\\\z\\"");p=-12;q=tok/1;r').get('a')!;
    expect(l).toMatchObject({ kind: 'list', items: [{ value: 'x' }, { value: 'y\\z"' }], params: [['p', -12], ['q', new SfToken('tok/1')], ['r', true]] });
    expect(serializeDictionary([['a', l]])).toBe('a=("x" "y\\\\z\\"");p=-12;q=tok/1;r');
    for (const bad of ['a=1.5', 'a=1,', 'a=("x"', 'a="\u00e9"', 'A=1', 'a=:AQI:', 'a=1234567890123456', 'a=("x""y")', 'a=1 b=2']) {
      expect(() => parseDictionary(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED_MESSAGE' }));
    }
  });

  it('refuses to sign a non-ASCII covered value; the verifier treats one as a failed MAC', async () => {
    const { eapi, options } = await setup();
    const request = { ...POST, headers: { 'content-type': 'application/json; charset=\u00e9' } };
    expect(() => signEapiHttpRequest(eapi, request, { now: NOW })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    const sig = signEapiHttpRequest(eapi, POST, { now: NOW });
    await expectCode(verifyEapiHttpRequest(withSignature(request, { ...sig }), options()), 'ERR_AUTHENTICATION_FAILED');
  });
});
