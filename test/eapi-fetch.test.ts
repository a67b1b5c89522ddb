/**
 * createEapiFetch (bindings/e2e2/eapi-fetch.ts) against a real node:http server on 127.0.0.1 that
 * verifies every request with verifyEapiHttpRequest, with the server side of an in-memory
 * handshake as the session material:
 * - every body kind fetch accepts is digested and sent as the same bytes, with the content-type
 *   fetch would have sent, and verifies; a Request input stays readable; headers are kept;
 * - rotation on an injected clock: the next index after renewBeforeMs, never an expired EAPI,
 *   old signatures refused once expired; a body changed in flight by a proxy fails; a replay fails;
 * - typed errors before anything is sent: options, relative URL, body over maxBodyBytes, a closed
 *   session or channel.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEapiFetch,
  generateApiKey,
  verifyEapiHttpRequest,
  type ClientSession,
  type EapiHttpSession,
  type ServerSession,
  type VerifiedEapiHttp,
} from '../bindings/index.js';
import { ReplayCache } from '../bindings/e2e2/eapi.js';
import { createServer as createE2E2Server } from '../bindings/server.js';
import { connect } from '../bindings/channel-node.js';
import { isE2E2Error, type E2E2Error } from '../bindings/errors.js';
import { expectCodeAsync, expectCode } from './oracle/harness.js';
import { handshakePair } from './helpers/handshake.js';
import { eapiHttpRequestOf, readRequestBody } from './helpers/http-request.js';

const KEY = generateApiKey();
/** RFC 9530 Content-Digest, computed by node:crypto (independent of e2e2's SHA-256). */
const digestOf = (body: Buffer) => `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
const MINUTE = 60_000;

/** What the verifying server needs of a session (SPEC.md §8): by session id. */
const sessions = new Map<string, EapiHttpSession>();
async function pair(): Promise<{ client: ClientSession; server: ServerSession }> {
  const { client, server } = await handshakePair(KEY);
  sessions.set(server.sessionId, { eapiRoot: server.exportEapiRoot(), keyId: KEY.keyId });
  return { client, server };
}

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Answer {
  verified?: VerifiedEapiHttp;
  code?: string;
  received: { method: string; url: string; headers: IncomingMessage['headers']; body: string };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** The verifying server: 200 with the verified claims, or 401 with the error code; every request is recorded. */
let clock: number | undefined; // the server's clock when set (rotation tests), else Date.now()
const replay = new ReplayCache(10_000);
const received: Received[] = [];
const verifier = createServer(async (req, res) => {
  const body = await readRequestBody(req);
  received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
  const request = eapiHttpRequestOf(req, body);
  const answer: Answer = { received: { method: req.method!, url: req.url!, headers: req.headers, body: body.toString('latin1') } };
  try {
    answer.verified = await verifyEapiHttpRequest(request, { lookupSession: (id) => sessions.get(id), replay, ...(clock === undefined ? {} : { now: clock }) });
    res.writeHead(200, { 'content-type': 'application/json' });
  } catch (error) {
    answer.code = isE2E2Error(error) ? error.code : String(error);
    res.writeHead(401, { 'content-type': 'application/json' });
  }
  res.end(JSON.stringify(answer));
});

/** A proxy in front of the verifier that forwards everything (Host included), optionally changing the body. */
let tamper: ((body: Buffer) => Buffer) | undefined;
let target = '';
const proxy = createServer(async (req, res) => {
  let body = await readRequestBody(req);
  if (tamper) body = tamper(body);
  const headers = { ...req.headers };
  if (headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
  const out = httpRequest(`${target}${req.url}`, { method: req.method, headers }, (upstream) => {
    res.writeHead(upstream.statusCode!, upstream.headers);
    upstream.pipe(res);
  });
  out.end(body);
});

let base = '';
let proxyBase = '';
beforeAll(async () => {
  base = await listen(verifier);
  target = base;
  proxyBase = await listen(proxy);
});
afterAll(async () => {
  await new Promise((r) => verifier.close(r));
  await new Promise((r) => proxy.close(r));
});

async function answer(response: Response): Promise<Answer & { status: number }> {
  return { status: response.status, ...((await response.json()) as Answer) };
}

async function expectVerified(response: Response): Promise<Answer & { verified: VerifiedEapiHttp }> {
  const a = await answer(response);
  expect(a.code).toBeUndefined();
  expect(a.status).toBe(200);
  return a as Answer & { verified: VerifiedEapiHttp };
}

async function signed(options: Partial<Parameters<typeof createEapiFetch>[1]> = {}) {
  const { client, server } = await pair();
  const f = createEapiFetch(client, { scope: 'orders:read orders:write', lifetimeMs: 5 * MINUTE, ...options });
  return { client, server, f };
}

describe('createEapiFetch: options', () => {
  it('refuses bad options with ERR_INVALID_ARGUMENT', async () => {
    const { client } = await pair();
    const ok = { scope: 'orders:read', lifetimeMs: MINUTE };
    const bad: Array<[unknown, unknown, RegExp]> = [
      [{}, ok, /source must issue EAPIs/],
      [client, null, /options must be an object/],
      [client, { ...ok, scope: '' }, /scope must be 1 to 255 bytes/],
      [client, { ...ok, scope: 'a"b' }, /scope must be/],
      [client, { ...ok, scope: 'a  b' }, /scope must be/],
      [client, { ...ok, scope: 'x'.repeat(256) }, /scope must be/],
      [client, { ...ok, lifetimeMs: 999 }, /lifetimeMs must be an integer in \[1000, 86400000\]/],
      [client, { ...ok, lifetimeMs: 86_400_001 }, /lifetimeMs must be/],
      [client, { ...ok, lifetimeMs: 1500.5 }, /lifetimeMs must be/],
      [client, { ...ok, lifetimeMs: '60000' }, /lifetimeMs must be/],
      [client, { ...ok, renewBeforeMs: MINUTE }, /renewBeforeMs must be an integer in \[0, 59999\]/],
      [client, { ...ok, renewBeforeMs: -1 }, /renewBeforeMs must be/],
      [client, { ...ok, signatureLifetimeSeconds: 0 }, /signatureLifetimeSeconds must be/],
      [client, { ...ok, maxBodyBytes: -1 }, /maxBodyBytes must be/],
      [client, { ...ok, fetch: 'fetch' }, /fetch must be a function/],
      [client, { ...ok, now: 5 }, /now must be a function/],
    ];
    for (const [source, options, message] of bad) {
      expectCode(() => createEapiFetch(source as ClientSession, options as { scope: string; lifetimeMs: number }), 'ERR_INVALID_ARGUMENT', message);
    }
    expect(typeof createEapiFetch(client, { ...ok, renewBeforeMs: 0 })).toBe('function');
    const before = received.length;
    for (const now of [() => NaN, () => 1.5, () => -1]) {
      await expectCodeAsync(() => createEapiFetch(client, { ...ok, now })(`${base}/x`), 'ERR_INVALID_ARGUMENT', 'now() must return an integer number of ms since the Unix epoch');
    }
    expect(received.length).toBe(before);
  });
});

describe('createEapiFetch: requests verified by a node:http server', () => {
  it('GET with a query: the four derived components, no body, no content-digest', async () => {
    const { client, f } = await signed();
    const a = await expectVerified(await f(`${base}/orders/42?expand=items&x=%C3%A9`));
    expect(a.verified).toMatchObject({ sessionId: client.sessionId, index: 0, scope: 'orders:read orders:write', components: ['@method', '@authority', '@path', '@query'] });
    expect(a.received.url).toBe('/orders/42?expand=items&x=%C3%A9');
    expect(a.received.headers['content-digest']).toBeUndefined();
    expect(a.received.headers['signature-input']).toMatch(/^sig1=\("@method" "@authority" "@path" "@query"\);created=\d+;expires=\d+;nonce="[A-Za-z0-9_-]{22}";keyid="[0-9a-f]{32}\.0\.\d+\.orders:read orders:write";alg="hmac-sha256";tag="e2e2-eapi\/v1"$/);
    // A URL object input too.
    await expectVerified(await f(new URL(`${base}/orders?page=2`)));
  });

  const bodies: Array<[string, () => RequestInit, string, string | undefined]> = [
    ['string', () => ({ body: 'hello, wörld' }), 'hello, wörld', 'text/plain;charset=UTF-8'],
    ['Uint8Array', () => ({ body: new Uint8Array([0, 1, 2, 254, 255]) }), '\x00\x01\x02\xfe\xff', undefined],
    ['ArrayBuffer', () => ({ body: new Uint8Array([9, 8, 7]).buffer }), '\x09\x08\x07', undefined],
    ['JSON', () => ({ body: JSON.stringify({ qty: 2 }), headers: { 'Content-Type': 'application/json' } }), '{"qty":2}', 'application/json'],
    ['URLSearchParams', () => ({ body: new URLSearchParams({ a: '1 2', b: 'é' }) }), 'a=1+2&b=%C3%A9', 'application/x-www-form-urlencoded;charset=UTF-8'],
    ['typed Blob', () => ({ body: new Blob(['<x/>'], { type: 'application/xml' }) }), '<x/>', 'application/xml'],
    ['untyped Blob', () => ({ body: new Blob(['raw']) }), 'raw', undefined],
    [
      'ReadableStream',
      () => ({
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            for (const part of ['str', 'eam', 'ed']) controller.enqueue(new TextEncoder().encode(part));
            controller.close();
          },
        }),
        duplex: 'half',
      }),
      'streamed',
      undefined,
    ],
  ];
  for (const [kind, init, sent, contentType] of bodies) {
    it(`POST with a ${kind} body: digested, sent as the same bytes, content-type as fetch sets it`, async () => {
      const { f } = await signed();
      const a = await expectVerified(await f(`${base}/orders`, { method: 'POST', ...init() }));
      expect(a.received.body).toBe(Buffer.from(sent, kind === 'string' ? 'utf8' : 'latin1').toString('latin1'));
      expect(a.received.headers['content-type']).toBe(contentType);
      expect(a.received.headers['content-digest']).toBe(digestOf(Buffer.from(a.received.body, 'latin1')));
      expect(a.verified.components).toEqual(['@method', '@authority', '@path', '@query', 'content-digest', ...(contentType === undefined ? [] : ['content-type'])]);
    });
  }

  it('POST with FormData: the multipart body and its boundary are what is signed and sent', async () => {
    const { f } = await signed();
    const form = new FormData();
    form.append('note', 'hi');
    form.append('file', new Blob(['file bytes'], { type: 'text/plain' }), 'a.txt');
    const a = await expectVerified(await f(`${base}/upload`, { method: 'POST', body: form }));
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(a.received.headers['content-type']!)?.[1];
    expect(boundary).toBeDefined();
    expect(a.received.body).toContain(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n`);
    expect(a.received.body).toContain('filename="a.txt"');
    expect(a.received.body).toContain('file bytes');
    expect(a.verified.components).toContain('content-type');
  });

  it('an empty POST body: no content-digest, content-type still covered', async () => {
    const { f } = await signed();
    const a = await expectVerified(await f(`${base}/orders`, { method: 'POST', body: '' }));
    expect(a.received.body).toBe('');
    expect(a.received.headers['content-digest']).toBeUndefined();
    expect(a.verified.components).toEqual(['@method', '@authority', '@path', '@query', 'content-type']);
  });

  it('a Request input: signed and sent, and the caller can still read its body afterwards', async () => {
    const { f } = await signed();
    const request = new Request(`${base}/orders?from=request`, { method: 'PUT', body: 'request body', headers: { 'X-Request-Id': 'r-7' } });
    const a = await expectVerified(await f(request));
    expect(a.received).toMatchObject({ method: 'PUT', url: '/orders?from=request', body: 'request body' });
    expect(a.received.headers['x-request-id']).toBe('r-7');
    expect(request.bodyUsed).toBe(false);
    expect(await request.text()).toBe('request body');
    // init overrides a Request input, as with fetch.
    const b = await expectVerified(await f(new Request(`${base}/x`, { method: 'POST', body: 'old' }), { body: 'new', method: 'PATCH' }));
    expect(b.received).toMatchObject({ method: 'PATCH', body: 'new' });
  });

  it("keeps the caller's headers; replaces a stale content-digest; adds its signature beside the caller's own", async () => {
    const { f } = await signed();
    const a = await expectVerified(
      await f(`${base}/orders`, { headers: { Accept: 'application/json', Authorization: 'Bearer app-token', 'X-Trace': 'a, b', 'Content-Digest': 'sha-256=:AAAA:' } }),
    );
    expect(a.received.headers).toMatchObject({ accept: 'application/json', authorization: 'Bearer app-token', 'x-trace': 'a, b' });
    expect(a.received.headers['content-digest']).toBeUndefined();
    const b = await expectVerified(await f(`${base}/orders`, { method: 'POST', body: 'x', headers: { 'Content-Digest': 'sha-256=:AAAA:' } }));
    expect(b.received.headers['content-digest']).toBe(digestOf(Buffer.from('x')));
    const c = await expectVerified(await f(`${base}/orders`, { headers: { 'Signature-Input': 'sig1=("@method");keyid="other"', Signature: 'sig1=:AAAA:' } }));
    expect(c.verified.label).toBe('sig2');
    expect(c.received.headers['signature-input']).toMatch(/^sig1=\("@method"\);keyid="other", sig2=\("@method"/);
    expect(c.received.headers.signature).toMatch(/^sig1=:AAAA:, sig2=:[A-Za-z0-9+/]{43}=:$/);
    await expectCodeAsync(() => f(`${base}/orders`, { headers: { 'Signature-Input': '((' } }), 'ERR_INVALID_ARGUMENT', /not a structured-field dictionary/);
  });

  it('concurrent requests share one EAPI, each with its own nonce', async () => {
    const { f } = await signed();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => f(`${base}/c/${i}`, { method: 'POST', body: `n${i}` }).then(expectVerified)));
    expect(new Set(answers.map((a) => a.verified.index))).toEqual(new Set([0]));
    const nonces = answers.map((a) => /nonce="([^"]+)"/.exec(a.received.headers['signature-input'] as string)![1]);
    expect(new Set(nonces).size).toBe(12);
    expect(answers.map((a) => a.received.body).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`).sort());
  });

  it('sends through options.fetch, with the caller signal kept', async () => {
    const seen: Request[] = [];
    const { f } = await signed({ fetch: (input) => (seen.push(input as Request), fetch(input)) });
    await expectVerified(await f(`${base}/via`, { method: 'POST', body: 'b' }));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.get('signature')).toMatch(/^sig1=:/);
    const controller = new AbortController();
    controller.abort();
    await expect(f(`${base}/aborted`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('createEapiFetch: refused before anything is sent', () => {
  it('a relative URL in Node, a GET with a body, mode no-cors: ERR_INVALID_ARGUMENT', async () => {
    const { f } = await signed();
    const before = received.length;
    await expectCodeAsync(() => f('/orders'), 'ERR_INVALID_ARGUMENT', 'the request URL is relative and this runtime has no location to resolve it against: give an absolute URL');
    await expectCodeAsync(() => f(`${base}/x`, { method: 'GET', body: 'x' }), 'ERR_INVALID_ARGUMENT', /could not be built from input and init/);
    await expectCodeAsync(() => f(`${base}/x`, { mode: 'no-cors' }), 'ERR_INVALID_ARGUMENT', /no-cors/);
    const used = new Request(`${base}/x`, { method: 'POST', body: 'read already' });
    await used.text();
    await expectCodeAsync(() => f(used), 'ERR_INVALID_ARGUMENT', /could not be built from input and init/);
    expect(received.length).toBe(before);
  });

  it('a body over maxBodyBytes is ERR_PAYLOAD_TOO_LARGE (stream and string); exactly maxBodyBytes is sent', async () => {
    const { f } = await signed({ maxBodyBytes: 8 });
    const before = received.length;
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(5));
      },
    });
    await expectCodeAsync(() => f(`${base}/big`, { method: 'POST', body: endless, duplex: 'half' } as RequestInit), 'ERR_PAYLOAD_TOO_LARGE', /maxBodyBytes \(8 bytes\)/);
    expect(pulls).toBeLessThanOrEqual(3); // it stopped reading at the limit
    await expectCodeAsync(() => f(`${base}/big`, { method: 'POST', body: '123456789' }), 'ERR_PAYLOAD_TOO_LARGE');
    expect(received.length).toBe(before);
    const a = await expectVerified(await f(`${base}/big`, { method: 'POST', body: '12345678' }));
    expect(a.received.body).toBe('12345678');
  });

  it('a closed or disposed session: its own ERR_SESSION_CLOSED / ERR_SESSION_DISPOSED, even with a live EAPI in hand', async () => {
    const { client, server, f } = await signed();
    await expectVerified(await f(`${base}/before`));
    server.open(client.close());
    const before = received.length;
    await expectCodeAsync(() => f(`${base}/after-close`), 'ERR_SESSION_CLOSED');
    client.dispose();
    await expectCodeAsync(() => f(`${base}/after-dispose`), 'ERR_SESSION_DISPOSED');
    expect(received.length).toBe(before);
  });

  it('a client channel that has closed: the channel session error', async () => {
    const e2e2 = await createE2E2Server({ keys: (id) => (id === KEY.keyId ? KEY.secret : undefined), host: '127.0.0.1', port: 0 });
    try {
      const channel = await connect(e2e2.url, { apiKey: KEY.token });
      const f = createEapiFetch(channel, { scope: 'orders:read', lifetimeMs: MINUTE });
      const seen: Request[] = [];
      const g = createEapiFetch(channel, { scope: 'orders:read', lifetimeMs: MINUTE, fetch: async (r) => (seen.push(r as Request), new Response('ok')) });
      expect(await (await g(`${base}/open`)).text()).toBe('ok');
      expect(seen[0]!.headers.get('signature-input')).toContain(`keyid="${channel.sessionId}.0.`);
      await channel.close();
      const before = received.length;
      await expectCodeAsync(() => f(`${base}/closed`), 'ERR_SESSION_DISPOSED');
      await expectCodeAsync(() => g(`${base}/closed`), 'ERR_SESSION_DISPOSED');
      expect(received.length).toBe(before);
      expect(seen).toHaveLength(1);
    } finally {
      await e2e2.close();
    }
  });
});

describe('createEapiFetch: rotation, tampering, replay', () => {
  const T0 = 1_800_000_000_000;

  it('rotates to the next index once less than renewBeforeMs (default: a quarter) is left; old signatures are refused once expired', async () => {
    let now = T0;
    clock = now;
    try {
      const { f } = await signed({ lifetimeMs: MINUTE, now: () => now });
      const at = async (t: number, path = '/r') => {
        now = T0 + t;
        clock = now;
        return f(`${base}${path}`);
      };
      const first = await expectVerified(await at(0));
      expect(first.verified).toMatchObject({ index: 0, expiresAt: T0 + MINUTE });
      const old = received.at(-1)!;
      expect((await expectVerified(await at(44_999))).verified.index).toBe(0);
      const renewed = await expectVerified(await at(45_000));
      expect(renewed.verified).toMatchObject({ index: 1, expiresAt: T0 + 45_000 + MINUTE });
      expect((await expectVerified(await at(50_000))).verified.index).toBe(1);
      // The index-0 signature, replayed after its EAPI expired: expired (checked before replay).
      clock = T0 + MINUTE;
      const replayed = await resend(old);
      expect(replayed).toMatchObject({ status: 401, code: 'ERR_EAPI_EXPIRED' });
      expect((await expectVerified(await at(89_999))).verified.index).toBe(1);
      expect((await expectVerified(await at(90_000))).verified.index).toBe(2);
    } finally {
      clock = undefined;
    }
  });

  it('renewBeforeMs 0 still never signs with an expired EAPI; a signature lives signatureLifetimeSeconds', async () => {
    let now = T0;
    clock = now;
    try {
      const { f } = await signed({ lifetimeMs: 10_000, renewBeforeMs: 0, signatureLifetimeSeconds: 5, now: () => now });
      const a = await expectVerified(await f(`${base}/s`));
      expect(a.received.headers['signature-input']).toContain(`;created=${T0 / 1000};expires=${T0 / 1000 + 5};`);
      const sent = received.at(-1)!;
      now = T0 + 9_999;
      clock = now;
      const b = await expectVerified(await f(`${base}/s`));
      expect(b.verified.index).toBe(0);
      // That last signature is capped by the EAPI's expiry (T0 + 10 s), not created + 5 s.
      expect(b.received.headers['signature-input']).toContain(`;expires=${T0 / 1000 + 10};`);
      now = T0 + 10_000;
      clock = now;
      expect((await expectVerified(await f(`${base}/s`))).verified.index).toBe(1);
      // The first signature, 5 s after it was made: expired though its EAPI was still valid.
      clock = T0 + 5_000;
      expect(await resend(sent)).toMatchObject({ status: 401, code: 'ERR_EAPI_EXPIRED' });
    } finally {
      clock = undefined;
    }
  });

  it('a body changed in flight by a proxy fails with ERR_AUTHENTICATION_FAILED (the same proxy untouched passes)', async () => {
    const { f } = await signed();
    await expectVerified(await f(`${proxyBase}/orders`, { method: 'POST', body: '{"qty":2}', headers: { 'Content-Type': 'application/json' } }));
    tamper = (body) => Buffer.from(body.toString().replace('2', '9'));
    try {
      const a = await answer(await f(`${proxyBase}/orders`, { method: 'POST', body: '{"qty":2}', headers: { 'Content-Type': 'application/json' } }));
      expect(a.received.body).toBe('{"qty":9}');
      expect(a).toMatchObject({ status: 401, code: 'ERR_AUTHENTICATION_FAILED' });
    } finally {
      tamper = undefined;
    }
  });

  it('a signed request sent again verbatim is refused with ERR_EAPI_REPLAYED', async () => {
    const { f } = await signed();
    await expectVerified(await f(`${base}/pay?amount=5`, { method: 'POST', body: 'once' }));
    const again = await resend(received.at(-1)!);
    expect(again).toMatchObject({ status: 401, code: 'ERR_EAPI_REPLAYED' });
    expect(again.received).toMatchObject({ url: '/pay?amount=5', body: 'once' });
  });
});

/** Send a recorded request again, byte for byte (same target, headers and body). */
async function resend(r: Received): Promise<Answer & { status: number }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string' && !['connection', 'content-length', 'transfer-encoding', 'host'].includes(k)) headers[k] = v;
  return answer(await fetch(`http://${r.headers.host}${r.url}`, { method: r.method, headers, ...(r.body.length > 0 ? { body: new Uint8Array(r.body) } : {}) }));
}

describe('README "Signed fetch" Node example', () => {
  it('runs as written (port 0 and this suite key instead of 8787 and the environment): 200, then a replay is refused', async () => {
    const keys = (id: string) => (id === KEY.keyId ? KEY.secret : undefined);
    const verifiedOnServer: VerifiedEapiHttp[] = [];
    const server = await createE2E2Server({
      keys, port: 0,
      onChannel: (channel) => void channel.send('ready'),
      async httpHandler(req, res) {
        const body = Buffer.concat(await req.toArray());
        const request = { method: req.method!, url: `http://${req.headers.host}${req.url}`, headers: req.headers, body };
        const verified = await server.verifyEapiHttp(request, { requiredScope: 'orders:write' }).catch((error: E2E2Error) => error);
        if (!(verified instanceof Error)) verifiedOnServer.push(verified);
        res.writeHead(verified instanceof Error ? 401 : 200).end(verified instanceof Error ? verified.code : 'ok');
      },
    });
    try {
      const channel = await connect(`ws://127.0.0.1:${server.port}/`, { apiKey: KEY.token });
      await new Promise<void>((ready) => {
        const off = channel.on('message', () => {
          off();
          ready();
        });
      });
      const seen: Request[] = [];
      const signedFetch = createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60_000, fetch: (r) => (seen.push((r as Request).clone()), fetch(r)) });
      const response = await signedFetch(`http://127.0.0.1:${server.port}/orders?dry-run=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qty: 2 }),
      });
      expect([response.status, await response.text()]).toEqual([200, 'ok']);
      expect(verifiedOnServer).toEqual([expect.objectContaining({ sessionId: channel.sessionId, index: 0, scope: 'orders:write' })]);
      // The same signed request again: the server's replay store refuses it.
      const again = await fetch(seen[0]!);
      expect([again.status, await again.text()]).toEqual([401, 'ERR_EAPI_REPLAYED']);
      await channel.close();
    } finally {
      await server.close();
    }
  });
});
