/**
 * e2e2/http (bindings/http/): the server side of EAPI over HTTP, on real servers on 127.0.0.1:
 * Express with eapiMiddleware and Hono (@hono/node-server) with checkEapiRequest, both hit with
 * real fetch() requests signed by signEapiHttpRequest. Per server: success with the body still
 * readable, every refusal class with its status, code and problem+json body (one identical body
 * for every authentication failure), the body limit (declared and streamed), replay, a store that
 * cannot answer (503), CORS preflight and actual-response headers for listed and unlisted
 * origins. Express also: the raw-body rule (express.raw, express.json with verify, a consumed
 * stream), publicOrigin and trustProxy. eapiHandler: the fetch-handler form, without a server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import express from 'express';
import { Hono, type Context, type Next } from 'hono';
import { serve } from '@hono/node-server';
import {
  generateApiKey,
  signEapiHttpRequest,
  MemoryReplayStore,
  MemorySessionRegistry,
  ReplayCache,
  type Eapi,
  type ReplayStore,
  type SessionRegistry,
} from '../bindings/index.js';
import {
  checkEapiRequest,
  eapiHandler,
  eapiMiddleware,
  eapiPreflight,
  eapiProblem,
  verifyEapiRequest,
  EAPI_ACCEPT_SIGNATURE,
  EAPI_WWW_AUTHENTICATE,
  type EapiClaims,
  type EapiVerifierOptions,
  type EapiVerifiedRequestFields,
} from '../bindings/http/index.js';
import { AuthenticationError, StoreUnavailableError, type E2E2Error } from '../bindings/errors.js';
import { handshakePair } from './helpers/handshake.js';

const KEY = generateApiKey();
const MINUTE = 60_000;
const ALLOWED = 'http://app.example.test:5173';
const UNLISTED = 'http://evil.example.test';
const MAX_BODY = 4096;

/** A client session whose server session the verifier knows, and a way to make its stores fail. */
async function fleet() {
  const { client, server } = await handshakePair(KEY);
  const stranger = (await handshakePair(KEY)).client; // its server session is not registered
  const registry = new MemorySessionRegistry();
  const eapiRoot = server.exportEapiRoot();
  await registry.register(server.sessionId, { eapiRoot, keyId: KEY.keyId, expiresAt: Date.now() + 10 * MINUTE });
  eapiRoot.fill(0);
  // The stores as a fleet would have them, with a switch that makes each fail as an unreachable Redis does.
  const state = { sessionsDown: false, replayDown: false };
  const down = () => new StoreUnavailableError('store unavailable', { cause: new Error('ECONNREFUSED 127.0.0.1:6379') });
  const sessions: Pick<SessionRegistry, 'lookup'> = {
    lookup: async (id) => {
      if (state.sessionsDown) throw down();
      return registry.lookup(id);
    },
  };
  const cache = new ReplayCache(1000);
  const store = new MemoryReplayStore();
  const replay: ReplayStore = {
    claim: async (key, ttlMs) => {
      if (state.replayDown) throw down();
      return store.claim(key, ttlMs);
    },
  };
  return { client, stranger, sessions, replay, cache, state };
}

type Fleet = Awaited<ReturnType<typeof fleet>>;

interface Sent {
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Sign for this URL instead of the one requested. */
  signUrl?: string;
  /** Sign this body instead of the one sent. */
  signBody?: string;
  eapi?: Eapi;
  now?: number;
  lifetimeSeconds?: number;
  /** Change the signature headers after signing. */
  tamper?: (sig: Record<string, string>) => void;
}

function sign(base: string, eapi: Eapi, s: Sent): Record<string, string> {
  const method = s.method ?? (s.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...(s.body !== undefined ? { 'content-type': 'application/json' } : {}), ...s.headers };
  const signBody = s.signBody ?? s.body;
  const sig = {
    ...signEapiHttpRequest(
      eapi,
      { method, url: s.signUrl ?? base + s.path, headers, ...(signBody === undefined ? {} : { body: signBody }) },
      { ...(s.now === undefined ? {} : { now: s.now }), ...(s.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: s.lifetimeSeconds }) },
    ),
  } as Record<string, string>;
  s.tamper?.(sig);
  return { ...headers, ...sig };
}

async function send(base: string, s: Sent, headers: Record<string, string>) {
  const method = s.method ?? (s.body === undefined ? 'GET' : 'POST');
  const r = await fetch(base + s.path, { method, headers, ...(s.body === undefined ? {} : { body: s.body }) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function baseOptions(f: Fleet, extra: Partial<EapiVerifierOptions> = {}): EapiVerifierOptions {
  return { sessions: f.sessions, replay: f.replay, maxBodyBytes: MAX_BODY, cors: { origins: [ALLOWED], maxAgeSeconds: 300 }, ...extra };
}

const failures: E2E2Error[] = [];

/** The same routes on Express and on Hono: /api (base), /admin (requiredScope admin), /strict (maxLifetimeMs 5 min), /ring (a ReplayCache). */
async function expressServer(f: Fleet) {
  const app = express();
  const opts = baseOptions(f, { onFailure: (e) => failures.push(e) });
  app.use('/api', eapiMiddleware(opts));
  app.use('/admin', eapiMiddleware({ ...opts, requiredScope: 'admin' }));
  app.use('/strict', eapiMiddleware({ ...opts, policy: { maxLifetimeMs: 5 * MINUTE } }));
  app.use('/ring', eapiMiddleware({ ...opts, replay: f.cache }));
  // The raw-body rule: bytes kept by express.raw() or by express.json's verify are used; a consumed stream is a setup error.
  app.use('/raw', express.raw({ type: '*/*' }), eapiMiddleware(opts));
  app.use('/json', express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = buf) }), eapiMiddleware(opts));
  app.use('/parsed', express.json(), eapiMiddleware(opts));
  app.use('/public', eapiMiddleware({ ...opts, publicOrigin: 'https://api.example.com' }));
  app.use('/proxied', eapiMiddleware({ ...opts, trustProxy: true }));
  app.all(/.*/, (req, res) => {
    const r = req as typeof req & { eapi: EapiClaims; rawBody: Buffer };
    res.json({ scope: r.eapi.scope, sessionId: r.eapi.sessionId, rawBody: r.rawBody.toString('utf8'), parsed: r.body ?? null, path: r.originalUrl });
  });
  const onError: express.ErrorRequestHandler = (error: E2E2Error, _req, res, _next) => void res.status(500).json({ setupError: error.code });
  app.use(onError);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function honoServer(f: Fleet) {
  const app = new Hono<{ Variables: { eapi: EapiClaims } }>();
  const opts = baseOptions(f, { onFailure: (e) => failures.push(e) });
  const guard = (o: EapiVerifierOptions) => async (c: Context<{ Variables: { eapi: EapiClaims } }>, next: Next) => {
    const check = await checkEapiRequest(c.req.raw, o);
    if (!check.ok) return check.response;
    c.set('eapi', check.claims);
    await next();
    check.headers.forEach((value, name) => (name === 'vary' ? c.res.headers.append(name, value) : c.res.headers.set(name, value)));
  };
  app.use('/api/*', guard(opts));
  app.use('/admin/*', guard({ ...opts, requiredScope: 'admin' }));
  app.use('/strict/*', guard({ ...opts, policy: { maxLifetimeMs: 5 * MINUTE } }));
  app.use('/ring/*', guard({ ...opts, replay: f.cache }));
  app.all('*', async (c) => {
    const eapi = c.get('eapi');
    // The handler still reads the body: verification read a clone.
    return c.json({ scope: eapi.scope, sessionId: eapi.sessionId, rawBody: await c.req.text(), path: new URL(c.req.url).pathname + new URL(c.req.url).search });
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => (server.listening ? resolve(undefined) : server.once('listening', resolve)));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const AUTH_FAILED_BODY = JSON.stringify({
  type: 'about:blank',
  title: 'Unauthorized',
  status: 401,
  detail: 'The request does not carry a valid e2e2 EAPI signature.',
  code: 'ERR_AUTHENTICATION_FAILED',
});

function expectProblem(r: Awaited<ReturnType<typeof send>>, status: number, code: string): void {
  expect({ status: r.status, code: r.json().code }).toEqual({ status, code });
  expect(r.headers.get('content-type')).toBe('application/problem+json');
  expect(r.json()).toMatchObject({ type: 'about:blank', status, code });
  expect(typeof r.json().detail).toBe('string');
  if (status === 401) {
    expect(r.headers.get('www-authenticate')).toBe(EAPI_WWW_AUTHENTICATE);
    expect(r.headers.get('accept-signature')).toBe(EAPI_ACCEPT_SIGNATURE);
  } else {
    expect(r.headers.get('www-authenticate')).toBeNull();
  }
}

function corsHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => k.startsWith('access-control-') && (out[k] = v));
  return out;
}

describe.each([
  ['Express (eapiMiddleware)', expressServer],
  ['Hono on @hono/node-server (checkEapiRequest)', honoServer],
])('%s on 127.0.0.1', (_name, start) => {
  let f: Fleet;
  let srv: { base: string; close: () => Promise<void> };
  let eapi: Eapi;
  const go = (s: Sent, e: Eapi = s.eapi ?? eapi) => send(srv.base, s, sign(srv.base, e, s));

  beforeAll(async () => {
    f = await fleet();
    srv = await start(f);
    eapi = f.client.issueEapi({ scope: 'orders:read orders:write', expiresAt: Date.now() + 10 * MINUTE });
  });
  afterAll(() => srv?.close());

  it('a signed POST gets 200 with the claims, and the handler reads the body as sent', async () => {
    const r = await go({ path: '/api/orders?dry-run=1', body: '{"qty":2}' });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ scope: 'orders:read orders:write', sessionId: f.client.sessionId, rawBody: '{"qty":2}', path: '/api/orders?dry-run=1' });
    const g = await go({ path: '/api/orders' });
    expect(g.status).toBe(200);
    expect(g.json()).toMatchObject({ rawBody: '' });
  });

  it('every authentication failure answers 401 with one identical problem body', async () => {
    failures.length = 0;
    const cases: Array<[string, () => Promise<Awaited<ReturnType<typeof send>>>]> = [
      ['no signature', () => send(srv.base, { path: '/api/orders' }, {})],
      ['garbage headers', () => send(srv.base, { path: '/api/orders' }, { 'signature-input': 'sig1=(', signature: 'sig1=:AAAA:' })],
      ['body changed after signing', () => go({ path: '/api/orders', body: '{"qty":200}', signBody: '{"qty":2}' })],
      ['signed for another path', () => go({ path: '/api/orders', signUrl: `${srv.base}/api/refunds` })],
      ['signed for another authority', () => go({ path: '/api/orders', signUrl: `http://localhost:1/api/orders` })],
      ['flipped MAC', () => go({ path: '/api/orders', tamper: (s) => void (s.signature = s.signature!.replace(/=:(.)/, (_m, c: string) => `=:${c === 'A' ? 'B' : 'A'}`)) })],
      ['session unknown here', () => go({ path: '/api/orders' }, f.stranger.issueEapi({ scope: 'orders:read', expiresAt: Date.now() + MINUTE }))],
      ['content-type changed', () => send(srv.base, { path: '/api/orders', body: '{}' }, { ...sign(srv.base, eapi, { path: '/api/orders', body: '{}' }), 'content-type': 'text/plain' })],
    ];
    const bodies = new Set<string>();
    for (const [what, run] of cases) {
      const r = await run();
      expect(r.status, what).toBe(401);
      expectProblem(r, 401, 'ERR_AUTHENTICATION_FAILED');
      bodies.add(r.text);
    }
    expect([...bodies]).toEqual([AUTH_FAILED_BODY]);
    // What failed went to onFailure (the log), with the reason only in cause.
    expect(failures.length).toBeGreaterThanOrEqual(cases.length);
    expect(failures.every((e) => e instanceof AuthenticationError && e.message === 'authentication failed')).toBe(true);
  });

  it('authentic requests outside time, scope or policy: 401 expired / clock skew / replayed, 403 scope / policy', async () => {
    const now = Date.now();
    const old = f.client.issueEapi({ scope: 'orders:read', expiresAt: now - MINUTE });
    expectProblem(await go({ path: '/api/orders', now: now - 2 * MINUTE }, old), 401, 'ERR_EAPI_EXPIRED');
    expectProblem(await go({ path: '/api/orders', now: now + 5 * MINUTE, lifetimeSeconds: 600 }), 401, 'ERR_EAPI_CLOCK_SKEW');
    expectProblem(await go({ path: '/admin/users' }), 403, 'ERR_EAPI_SCOPE');
    const admin = f.client.issueEapi({ scope: 'admin', expiresAt: now + MINUTE });
    expect((await go({ path: '/admin/users' }, admin)).status).toBe(200);
    expectProblem(await go({ path: '/strict/x' }), 403, 'ERR_EAPI_POLICY'); // 10 min EAPI, 5 min allowed
    expect((await go({ path: '/strict/x' }, admin)).status).toBe(200);
  });

  it('a replayed request is refused, with a ReplayStore and with a ReplayCache', async () => {
    for (const path of ['/api/orders', '/ring/orders']) {
      const s: Sent = { path, body: '{"qty":1}' };
      const headers = sign(srv.base, eapi, s);
      expect((await send(srv.base, s, headers)).status).toBe(200);
      expectProblem(await send(srv.base, s, headers), 401, 'ERR_EAPI_REPLAYED');
    }
  });

  it('a body over maxBodyBytes is 413 ERR_BODY_TOO_LARGE, declared or streamed without a length', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY) });
    expectProblem(await go({ path: '/api/orders', body: big }), 413, 'ERR_BODY_TOO_LARGE');
    const s: Sent = { path: '/api/orders', body: big };
    const headers = sign(srv.base, eapi, s);
    const chunks = [big.slice(0, 1000), big.slice(1000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const r = await fetch(srv.base + s.path, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    const text = await r.text();
    expect(r.status).toBe(413);
    expect(JSON.parse(text).code).toBe('ERR_BODY_TOO_LARGE');
    // Exactly at the limit is fine.
    const fits = JSON.stringify({ pad: 'y'.repeat(MAX_BODY - 10) });
    expect(fits.length).toBe(MAX_BODY);
    expect((await go({ path: '/api/orders', body: fits })).status).toBe(200);
  });

  it('a session registry or replay store that cannot answer is 503 ERR_STORE_UNAVAILABLE, and it recovers', async () => {
    for (const which of ['sessionsDown', 'replayDown'] as const) {
      f.state[which] = true;
      try {
        const r = await go({ path: '/api/orders' });
        expectProblem(r, 503, 'ERR_STORE_UNAVAILABLE');
        expect(r.headers.get('retry-after')).toBe('1');
      } finally {
        f.state[which] = false;
      }
      expect((await go({ path: '/api/orders' })).status).toBe(200);
    }
  });

  it('CORS: a preflight from a listed origin is 204 allowing the signature headers; an unlisted one gets none', async () => {
    const preflight = (origin: string) =>
      fetch(`${srv.base}/api/orders`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-digest,content-type,signature,signature-input' },
      });
    const ok = await preflight(ALLOWED);
    expect(ok.status).toBe(204);
    expect(corsHeaders(ok.headers)).toEqual({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'signature, signature-input, content-digest, content-type',
      'access-control-max-age': '300',
    });
    expect(ok.headers.get('vary')).toMatch(/^Origin\b/);
    const refused = await preflight(UNLISTED);
    expect(refused.status).toBe(403);
    expect(corsHeaders(refused.headers)).toEqual({});
  });

  it('CORS: responses to a listed origin carry its exact value and expose the challenge; an unlisted origin gets no CORS header', async () => {
    const ok = await go({ path: '/api/orders', body: '{}', headers: { origin: ALLOWED } });
    expect(ok.status).toBe(200);
    expect(corsHeaders(ok.headers)).toEqual({ 'access-control-allow-origin': ALLOWED, 'access-control-expose-headers': 'www-authenticate, accept-signature' });
    expect(ok.headers.get('vary')).toContain('Origin');
    const refusedAuth = await send(srv.base, { path: '/api/orders' }, { origin: ALLOWED });
    expectProblem(refusedAuth, 401, 'ERR_AUTHENTICATION_FAILED');
    expect(refusedAuth.headers.get('access-control-allow-origin')).toBe(ALLOWED); // the page can read why
    const other = await go({ path: '/api/orders', headers: { origin: UNLISTED } });
    expect(other.status).toBe(200); // CORS is the browser's gate; the server still verifies and answers
    expect(corsHeaders(other.headers)).toEqual({});
    expect(other.headers.get('vary')).toContain('Origin');
  });
});

describe('Express raw-body rule and the target URI behind a proxy', () => {
  let f: Fleet;
  let srv: { base: string; close: () => Promise<void> };
  let eapi: Eapi;
  const go = (s: Sent) => send(srv.base, s, sign(srv.base, eapi, s));
  beforeAll(async () => {
    f = await fleet();
    srv = await expressServer(f);
    eapi = f.client.issueEapi({ scope: 'orders:write', expiresAt: Date.now() + 5 * MINUTE });
  });
  afterAll(() => srv?.close());

  it('uses the bytes express.raw() kept in req.body and express.json() kept in req.rawBody', async () => {
    const raw = await go({ path: '/raw/x', body: '{"a": 1}' });
    expect(raw.status).toBe(200);
    expect(raw.json().rawBody).toBe('{"a": 1}');
    // The limit holds for bytes a parser kept too (express.raw's own default limit is 100 kB).
    expectProblem(await go({ path: '/raw/x', body: JSON.stringify({ pad: 'x'.repeat(MAX_BODY) }) }), 413, 'ERR_BODY_TOO_LARGE');
    const json = await go({ path: '/json/x', body: '{"a":  2}' });
    expect(json.status).toBe(200);
    expect(json.json()).toMatchObject({ rawBody: '{"a":  2}', parsed: { a: 2 } });
    // The bytes are what is checked: a parsed-equal but different body is refused.
    expectProblem(await go({ path: '/json/x', body: '{"a":2}', signBody: '{"a":  2}' }), 401, 'ERR_AUTHENTICATION_FAILED');
  });

  it('a stream a parser consumed without keeping the bytes is a setup error (next(err), ERR_INVALID_STATE), not a 401', async () => {
    const r = await go({ path: '/parsed/x', body: '{"a":3}' });
    expect(r.status).toBe(500);
    expect(r.json()).toEqual({ setupError: 'ERR_INVALID_STATE' });
    // Without a body there is nothing to lose: it verifies.
    expect((await go({ path: '/parsed/x' })).status).toBe(200);
  });

  it('a client that goes away mid-body costs nothing: no answer, no next(), and the next request verifies', async () => {
    const before = failures.length;
    const { port } = new URL(srv.base);
    const socket = connectTcp({ host: '127.0.0.1', port: Number(port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    const s: Sent = { path: '/api/orders', body: JSON.stringify({ pad: 'z'.repeat(1000) }) };
    const headers = sign(srv.base, eapi, s);
    const head = Object.entries({ ...headers, host: new URL(srv.base).host, 'content-length': String(s.body!.length) }).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    socket.write(`POST /api/orders HTTP/1.1\r\n${head}\r\n\r\n${s.body!.slice(0, 100)}`);
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(got).length).toBe(0); // nothing answered while the body was incomplete
    expect(failures.length).toBe(before);
    expect((await go({ path: '/api/orders', body: '{}' })).status).toBe(200);
  });

  it('publicOrigin: the signature must name the public origin, not the address the server sees', async () => {
    expect((await go({ path: '/public/orders', signUrl: 'https://api.example.com/public/orders' })).status).toBe(200);
    expectProblem(await go({ path: '/public/orders' }), 401, 'ERR_AUTHENTICATION_FAILED');
  });

  it('trustProxy: scheme and authority from X-Forwarded-Proto/-Host; a forged host with a path is refused', async () => {
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example.com' };
    expect((await go({ path: '/proxied/a?b=1', signUrl: 'https://edge.example.com/proxied/a?b=1', headers })).status).toBe(200);
    expectProblem(await go({ path: '/proxied/a', headers }), 401, 'ERR_AUTHENTICATION_FAILED');
    const forged = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example.com/evil' };
    expectProblem(await go({ path: '/proxied/a', signUrl: 'https://edge.example.com/evil/proxied/a', headers: forged }), 401, 'ERR_AUTHENTICATION_FAILED');
    // Without trustProxy the same headers change nothing.
    expect((await go({ path: '/api/a', headers })).status).toBe(200);
  });
});

describe('plain node:http (no framework)', () => {
  it('eapiMiddleware as the whole request listener: next() only after verification, refusals answered by it', async () => {
    const f = await fleet();
    const eapi = f.client.issueEapi({ scope: 'orders:read', expiresAt: Date.now() + MINUTE });
    const mw = eapiMiddleware(baseOptions(f));
    const nexts: unknown[] = [];
    const server = createHttpServer((req, res) =>
      mw(req, res, (error?: unknown) => {
        nexts.push(error);
        const r = req as typeof req & EapiVerifiedRequestFields<Buffer>;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ scope: r.eapi.scope, rawBody: r.rawBody.toString() }));
      }),
    );
    const base = await listen(server);
    try {
      const ok = await send(base, { path: '/orders?id=7', body: '[1,2]' }, sign(base, eapi, { path: '/orders?id=7', body: '[1,2]' }));
      expect({ status: ok.status, json: ok.json() }).toEqual({ status: 200, json: { scope: 'orders:read', rawBody: '[1,2]' } });
      const refused = await send(base, { path: '/orders' }, {});
      expect(refused.text).toBe(AUTH_FAILED_BODY);
      expect(nexts).toEqual([undefined]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('web-standard Request API (no server)', () => {
  it('eapiHandler runs the handler only for verified requests and adds CORS headers to its response', async () => {
    const f = await fleet();
    const eapi = f.client.issueEapi({ scope: 'orders:read', expiresAt: Date.now() + MINUTE });
    const seen: EapiClaims[] = [];
    const handler = eapiHandler(baseOptions(f), async (request, claims) => {
      seen.push(claims);
      return new Response(await request.text(), { headers: { vary: 'Accept' } });
    });
    const url = 'https://api.example.com/orders';
    const body = '{"x":1}';
    const headers = { 'content-type': 'application/json', origin: ALLOWED };
    const signed = signEapiHttpRequest(eapi, { method: 'PUT', url, headers, body });
    const ok = await handler(new Request(url, { method: 'PUT', headers: { ...headers, ...signed }, body }));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(body);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('vary')).toBe('Accept, Origin');
    expect(seen.map((c) => c.scope)).toEqual(['orders:read']);
    const refused = await handler(new Request(url, { method: 'PUT', headers, body }));
    expect(refused.status).toBe(401);
    expect(await refused.text()).toBe(AUTH_FAILED_BODY);
    expect(seen).toHaveLength(1);
    const pre = await handler(new Request(url, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'PUT' } }));
    expect(pre.status).toBe(204);
    expect(seen).toHaveLength(1);
  });

  it('verifyEapiRequest leaves the body unread and rejects typed; eapiPreflight ignores non-preflights', async () => {
    const f = await fleet();
    const eapi = f.client.issueEapi({ scope: 'a', expiresAt: Date.now() + MINUTE });
    const url = 'http://127.0.0.1:1/x';
    const headers = { 'content-type': 'text/plain' };
    const request = new Request(url, { method: 'POST', headers: { ...headers, ...signEapiHttpRequest(eapi, { method: 'POST', url, headers, body: 'hi' }) }, body: 'hi' });
    const claims = await verifyEapiRequest(request, baseOptions(f));
    expect(claims).toMatchObject({ sessionId: f.client.sessionId, scope: 'a' });
    expect(request.bodyUsed).toBe(false);
    expect(await request.text()).toBe('hi');
    await expect(verifyEapiRequest(request, baseOptions(f))).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' }); // body now used
    // No Content-Length on a constructed Request: the limit is found while reading the clone, and the
    // refusal settles (a tee branch's cancel() alone never does) with the original still readable.
    const big = 'x'.repeat(MAX_BODY + 1);
    const tooBig = new Request(url, { method: 'POST', headers: { ...headers, ...signEapiHttpRequest(eapi, { method: 'POST', url, headers, body: big }) }, body: big });
    expect(tooBig.headers.get('content-length')).toBeNull();
    await expect(verifyEapiRequest(tooBig, baseOptions(f))).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect((await tooBig.text()).length).toBe(MAX_BODY + 1);
    expect(eapiPreflight(new Request(url, { method: 'OPTIONS' }), { cors: { origins: [ALLOWED] } })).toBeUndefined();
    expect(eapiPreflight(new Request(url, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } }), {})?.status).toBe(403);
  });

  it('behind a proxy: publicOrigin and trustProxy decide the @authority of a Request too', async () => {
    const f = await fleet();
    const eapi = f.client.issueEapi({ scope: 'a', expiresAt: Date.now() + MINUTE });
    const seen = 'http://10.0.0.7:8080/orders?x=1'; // what the server behind the proxy sees
    const signedFor = (url: string, extra: Record<string, string> = {}) => new Request(seen, { headers: { ...extra, ...signEapiHttpRequest(eapi, { method: 'GET', url }) } });
    const pub = { ...baseOptions(f), publicOrigin: 'https://api.example.com' };
    await expect(verifyEapiRequest(signedFor('https://api.example.com/orders?x=1'), pub)).resolves.toMatchObject({ scope: 'a' });
    await expect(verifyEapiRequest(signedFor(seen), pub)).rejects.toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED' });
    const proxied = { ...baseOptions(f), trustProxy: true };
    const fwd = { 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'edge.example.com:8443, 10.0.0.7:8080' };
    await expect(verifyEapiRequest(signedFor('https://edge.example.com:8443/orders?x=1', fwd), proxied)).resolves.toMatchObject({ scope: 'a' });
    await expect(verifyEapiRequest(signedFor(seen), proxied)).resolves.toMatchObject({ scope: 'a' }); // no forwarded headers: the URL as seen
    await expect(verifyEapiRequest(signedFor(seen, fwd), baseOptions(f))).resolves.toMatchObject({ scope: 'a' }); // not trusted: ignored
  });

  it('cors.origins as a predicate (only `true` allows), and the methods / allowHeaders / exposeHeaders options', async () => {
    const cors = {
      origins: (origin: string) => (origin.endsWith('.example.test') ? true : (1 as unknown as boolean)),
      methods: ['GET', 'POST'],
      allowHeaders: ['X-Request-Id'],
      exposeHeaders: ['X-Trace'],
      maxAgeSeconds: 0,
    };
    const preflight = (origin: string) => eapiPreflight(new Request('https://api.example.com/x', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } }), { cors })!;
    const ok = preflight('https://shop.example.test');
    expect(ok.status).toBe(204);
    expect(corsHeaders(ok.headers)).toEqual({
      'access-control-allow-origin': 'https://shop.example.test',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'signature, signature-input, content-digest, content-type, x-request-id',
      'access-control-max-age': '0',
    });
    const truthy = preflight('https://elsewhere.test');
    expect(truthy.status).toBe(403);
    expect(corsHeaders(truthy.headers)).toEqual({});
    const f = await fleet();
    const check = await checkEapiRequest(new Request('https://api.example.com/x', { headers: { origin: 'https://shop.example.test' } }), { ...baseOptions(f), cors });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.response.headers.get('access-control-expose-headers')).toBe('www-authenticate, accept-signature, x-trace');
  });

  it('options are checked up front (ERR_INVALID_ARGUMENT), and eapiProblem maps only refusals', async () => {
    const f = await fleet();
    const bad: Array<Partial<EapiVerifierOptions>> = [
      { cors: { origins: ['http://app.example.test/'] } },
      { cors: { origins: ['*'] } },
      { publicOrigin: 'https://api.example.com/base' },
      { publicOrigin: 'https://api.example.com', trustProxy: true },
      { maxBodyBytes: -1 },
      { sessions: {} as EapiVerifierOptions['sessions'] },
      { requiredScope: 'two tokens' },
    ];
    for (const extra of bad) expect(() => eapiMiddleware({ ...baseOptions(f), ...extra }), JSON.stringify(extra)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(eapiProblem(new Error('bug'))).toBeUndefined();
    expect(eapiProblem(new StoreUnavailableError('x'))?.status).toBe(503);
    await expect(checkEapiRequest(new Request('http://127.0.0.1:1/'), { ...baseOptions(f), requiredScope: 'not a token' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
