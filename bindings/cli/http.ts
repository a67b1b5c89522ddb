/**
 * Plain HTTP routes next to the channel endpoint, for `e2e2 serve` and the demo:
 *
 *   POST /api/echo   an EAPI-signed request (Authorization: E2E2-EAPI ...), scope "demo:echo";
 *                    the server finds the channel by the session id in the header and verifies
 *                    the signature, expiry, clock skew, scope and replay (SPEC.md §8.4). Signed
 *                    with the RFC 9421 profile instead (Signature-Input, SPEC.md §8.6), it is
 *                    verified through the server's session registry (server.verifyEapiHttp), so
 *                    with `--redis` or `--workers` any server or worker answers it (503 while the
 *                    shared state cannot answer)
 *   GET  /           the browser demo page (only with --demo), plus its script and the bundle
 *
 * The handler faces the internet: it answers every request or destroys its connection, nothing a
 * client sends can throw out of it (guardedHandler), and an answer names at most a stable error code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { E2E2Error } from '../errors.js';
import type { E2E2Server } from '../channel/server.js';
import { errorLine } from './util.js';

export const DEMO_SCOPE = 'demo:echo';
export const EAPI_ECHO_PATH = '/api/echo';
const MAX_BODY_BYTES = 64 * 1024;
/** Longer request targets are refused before parsing: no route here is that long. */
const MAX_TARGET_LENGTH = 2048;

export interface DemoPage {
  /** Package root (for examples/browser and dist/browser). */
  root: string;
  /** Host header values that name this server (its own loopback authority, e.g. "127.0.0.1:8787"). */
  authorities: () => readonly string[];
  /** What the page needs: the ws:// URL and the demo API key token. */
  config: () => { url: string; apiKey: string; keyId: string };
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

const ignore = () => {};

/** Answer with JSON unless an answer has already started; `close` ends the connection after it. */
function json(response: ServerResponse, status: number, body: unknown, close = false): void {
  if (response.headersSent || response.writableEnded || response.destroyed) return;
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(close ? { connection: 'close' } : {}),
    })
    .end(text);
}

/**
 * `handler` with nothing escaping it: a throw or rejection is reported to `onError` and answered
 * 500 ERR_INTERNAL (the connection destroyed if an answer had started), and 'error' events of a
 * client that went away mid-request are absorbed. The result never throws and never rejects.
 */
export function guardedHandler(handler: Handler, onError: (error: unknown) => void): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    request.on('error', ignore);
    response.on('error', ignore);
    const fail = (error: unknown) => {
      try {
        onError(error);
      } catch {
        // A failing reporter must not take the process with it.
      }
      if (response.headersSent) response.destroy();
      else json(response, 500, { error: 'ERR_INTERNAL' }, true);
    };
    try {
      const result = handler(request, response);
      if (result) result.then(undefined, fail);
    } catch (error) {
      fail(error);
    }
  };
}

/**
 * The URL of an origin-form request target ("/path?query"); undefined for anything else: "*",
 * absolute-form, "//host..." and "/\host..." (which URL parsing would read as another host), or too long.
 */
function parseTarget(target: string | undefined): URL | undefined {
  if (target === undefined || target.length > MAX_TARGET_LENGTH || target[0] !== '/' || target[1] === '/' || target[1] === '\\') return undefined;
  try {
    const url = new URL(target, 'http://localhost');
    return url.host === 'localhost' ? url : undefined;
  } catch {
    return undefined;
  }
}

type Body = Uint8Array | 'too large' | 'aborted';

/** The request body; past MAX_BODY_BYTES the rest is dropped unread (Node discards it after the answer). */
function readBody(request: IncomingMessage): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      request.off('data', onData);
      chunks.length = 0;
      resolve('too large');
    };
    request.on('data', onData);
    request.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    // After 'end' these change nothing; before it, the client left mid-body.
    request.on('close', () => resolve('aborted'));
    request.on('error', () => resolve('aborted'));
  });
}

async function eapiEcho(server: E2E2Server, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const body = await readBody(request);
  if (body === 'aborted') return void response.destroy();
  if (body === 'too large') return json(response, 413, { error: 'ERR_PAYLOAD_TOO_LARGE' }, true);
  if (request.headers['signature-input'] !== undefined) return eapiHttpEcho(server, request, response, url, body);
  let verified: ReturnType<E2E2Server['verifyRequest']>;
  try {
    verified = server.verifyRequest({
      authorization: request.headers.authorization ?? '',
      method: 'POST',
      path: url.pathname + url.search,
      body,
      requiredScope: DEMO_SCOPE,
    });
  } catch (error) {
    // A refused request is the client's fault and names its code; anything else is ours (500, reported).
    if (!(error instanceof E2E2Error)) throw error;
    return json(response, error.code === 'ERR_EAPI_SCOPE' ? 403 : 401, { verified: false, error: error.code });
  }
  const { channel, eapi } = verified;
  json(response, 200, { verified: true, keyId: channel.keyId, sessionId: eapi.sessionId, scope: eapi.scope, index: eapi.index, expiresAt: eapi.expiresAt, body: new TextDecoder().decode(body) });
}

/** /api/echo signed with the RFC 9421 profile: verified against the registry (any session of the fleet). */
async function eapiHttpEcho(server: E2E2Server, request: IncomingMessage, response: ServerResponse, url: URL, body: Uint8Array): Promise<void> {
  let verified: Awaited<ReturnType<E2E2Server['verifyEapiHttp']>>;
  try {
    verified = await server.verifyEapiHttp(
      { method: 'POST', url: `http://${request.headers.host ?? 'localhost'}${url.pathname}${url.search}`, headers: request.headers, ...(body.length > 0 ? { body } : {}) },
      { requiredScope: DEMO_SCOPE },
    );
  } catch (error) {
    if (!(error instanceof E2E2Error)) throw error;
    const status = error.code === 'ERR_STORE_UNAVAILABLE' ? 503 : error.code === 'ERR_EAPI_SCOPE' ? 403 : 401;
    return json(response, status, { verified: false, error: error.code });
  }
  json(response, 200, { verified: true, sessionId: verified.sessionId, scope: verified.scope, index: verified.index, expiresAt: verified.expiresAt, body: new TextDecoder().decode(body) });
}

/**
 * Why a demo request is refused, if it is. The demo hands out an API key, so it answers only its
 * own loopback origin: the Host must be exactly this server's authority (another name that reaches
 * 127.0.0.1, as in DNS rebinding, gets 421), and a page of another origin gets 403: Origin, when
 * sent, must be http://<that authority>, and Sec-Fetch-Site, when sent, same-origin or none (typed in).
 */
function demoRefusal(request: IncomingMessage, demo: DemoPage): [status: number, code: string] | undefined {
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !demo.authorities().includes(host)) return [421, 'ERR_MISDIRECTED_REQUEST'];
  const origin = request.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) return [403, 'ERR_FORBIDDEN_ORIGIN'];
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return [403, 'ERR_FORBIDDEN_ORIGIN'];
  return undefined;
}

const STATIC: Record<string, [file: (root: string) => string, type: string]> = {
  '/': [(root) => join(root, 'examples/browser/index.html'), 'text/html; charset=utf-8'],
  '/app.js': [(root) => join(root, 'examples/browser/app.js'), 'text/javascript; charset=utf-8'],
  '/e2e2.js': [(root) => join(root, 'dist/browser/e2e2.js'), 'text/javascript; charset=utf-8'],
};
const DEMO_PATHS = new Set(['/demo/config.json', '/favicon.ico', ...Object.keys(STATIC)]);

/** Headers that keep the demo's answers from being read or embedded by any other origin. */
const SAME_ORIGIN_ONLY = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'same-origin' };

async function demoRoute(demo: DemoPage, request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  const refusal = demoRefusal(request, demo);
  if (refusal) return json(response, refusal[0], { error: refusal[1] });
  if (path === '/favicon.ico') return void response.writeHead(204, SAME_ORIGIN_ONLY).end();
  if (path === '/demo/config.json') {
    const text = JSON.stringify(demo.config());
    return void response.writeHead(200, { ...SAME_ORIGIN_ONLY, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }
  const [file, type] = STATIC[path]!;
  const content = await readFile(file(demo.root));
  response.writeHead(200, { ...SAME_ORIGIN_ONLY, 'content-type': type, 'content-length': content.length }).end(content);
}

function reportToStderr(error: unknown): void {
  process.stderr.write(`e2e2: HTTP request failed: ${errorLine(error)}\n`);
}

/** The request handler for the server's plain HTTP side (guarded: see guardedHandler). */
export function httpRoutes(server: () => E2E2Server, demo?: DemoPage, onError: (error: unknown) => void = reportToStderr) {
  return guardedHandler(async (request, response) => {
    const url = parseTarget(request.url);
    if (url === undefined) return json(response, 400, { error: 'ERR_BAD_REQUEST_TARGET' }, true);
    if (url.pathname === EAPI_ECHO_PATH && request.method === 'POST') return eapiEcho(server(), request, response, url);
    if (demo && request.method === 'GET' && DEMO_PATHS.has(url.pathname)) return demoRoute(demo, request, response, url.pathname);
    if (url.pathname === '/' && !request.headers.upgrade) {
      response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('E2-E2 channel endpoint: connect with WebSocket\n');
      return;
    }
    json(response, 404, { error: 'ERR_NOT_FOUND' });
  }, onError);
}
