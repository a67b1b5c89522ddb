/**
 * createEapiFetch in real Chromium (Debian's /usr/bin/chromium driven by playwright-core): a page
 * served by an E2E2Server on 127.0.0.1 imports the browser bundle (dist/browser/e2e2.js), opens a
 * channel, and makes same-origin signed fetches with relative URLs (JSON, FormData, a Request
 * object, a GET); the server verifies each one against the channel's session
 * (server.verifyEapiHttp). After the channel closes, the page's next call is refused with the
 * session's typed error and never reaches the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium } from './helpers/browser.js';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { generateApiKey } from '../bindings/index.js';
import { createServer, type E2E2Server } from '../bindings/server.js';
import { isE2E2Error } from '../bindings/errors.js';
import { eapiHttpRequestOf, readRequestBody } from './helpers/http-request.js';

const available = chromiumAvailable('eapi-fetch-browser');

const KEY = generateApiKey();

/** The page: everything it finds goes into window.result. */
const page = (token: string) => `<!doctype html>
<meta charset="utf-8">
<title>e2e2 signed fetch</title>
<script type="module">
import { connect, createEapiFetch } from '/e2e2.js';
const out = {};
try {
  const channel = await connect('ws://' + location.host + '/e2e2', { apiKey: ${JSON.stringify(token)} });
  out.sessionId = channel.sessionId;
  // The server knows the session once it has read the key confirmation, which connect() sends as it
  // resolves: a fetch on another connection could overtake it. The server's first message says it has.
  await new Promise((resolve) => { const off = channel.on('message', () => { off(); resolve(); }); });
  const signedFetch = createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60000 });
  const json = await signedFetch('/api/orders?dry-run=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ qty: 2 }) });
  out.json = { status: json.status, body: await json.json() };
  const form = new FormData();
  form.append('note', 'hi');
  form.append('file', new Blob(['file bytes'], { type: 'text/plain' }), 'a.txt');
  const upload = await signedFetch('/api/upload', { method: 'POST', body: form });
  out.form = { status: upload.status, body: await upload.json() };
  const request = new Request('/api/request', { method: 'PUT', body: 'kept', headers: { 'x-request-id': 'r-1' } });
  const put = await signedFetch(request);
  out.request = { status: put.status, body: await put.json(), callerBody: await request.text() };
  const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('stre')); c.enqueue(new TextEncoder().encode('amed')); c.close(); } });
  const streamed = await signedFetch('/api/stream', { method: 'POST', body: stream, duplex: 'half' });
  out.stream = { status: streamed.status, body: await streamed.json() };
  const params = await signedFetch('/api/params', { method: 'POST', body: new URLSearchParams({ a: '1 2', b: 'é' }) });
  out.params = { status: params.status, body: await params.json() };
  const get = await signedFetch(new URL('/api/orders?page=2', location.href));
  out.get = { status: get.status, body: await get.json() };
  await channel.close();
  try {
    await signedFetch('/api/after-close');
    out.afterClose = 'sent';
  } catch (error) {
    out.afterClose = error.code;
  }
} catch (error) {
  out.error = String((error && error.stack) || error);
}
window.result = out;
</script>`;

describe.skipIf(!available)('createEapiFetch in Chromium', () => {
  let browser: Browser;
  let server: E2E2Server;
  const apiPaths: string[] = [];
  beforeAll(async () => {
    assertBuilt();
    const bundle = readFileSync(join(ROOT, 'dist/browser/e2e2.js'));
    server = await createServer({
      keys: (id) => (id === KEY.keyId ? KEY.secret : undefined),
      host: '127.0.0.1',
      port: 0,
      path: '/e2e2',
      onChannel: (channel) => void channel.send('ready'),
      async httpHandler(req, res) {
        if (req.url === '/') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(KEY.token));
        } else if (req.url === '/e2e2.js') {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
        } else if (req.url?.startsWith('/api/')) {
          apiPaths.push(req.url);
          const body = await readRequestBody(req);
          const request = eapiHttpRequestOf(req, body);
          try {
            const verified = await server.verifyEapiHttp(request, { requiredScope: 'orders:write' });
            res.writeHead(200, { 'content-type': 'application/json' }).end(
              JSON.stringify({ verified, method: req.method, contentType: req.headers['content-type'] ?? null, body: body.toString('utf8'), requestId: req.headers['x-request-id'] ?? null }),
            );
          } catch (error) {
            res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: isE2E2Error(error) ? error.code : 'ERR_UNKNOWN' }));
          }
        } else {
          res.writeHead(404).end();
        }
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the page signs same-origin fetches (JSON, FormData, Request, stream, URLSearchParams, GET) that the server verifies', async () => {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`http://127.0.0.1:${server.port}/`);
    await tab.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
    const result = (await tab.evaluate(() => (window as unknown as { result: unknown }).result)) as Record<string, any>;
    expect(result.error).toBeUndefined();
    expect(errors).toEqual([]);
    const sessionId = result.sessionId as string;
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);

    expect(result.json.status, JSON.stringify(result.json.body)).toBe(200);
    expect(result.json.body).toMatchObject({ method: 'POST', contentType: 'application/json', body: '{"qty":2}' });
    expect(result.json.body.verified).toMatchObject({ sessionId, index: 0, scope: 'orders:write', components: ['@method', '@authority', '@path', '@query', 'content-digest', 'content-type'] });

    expect(result.form.status).toBe(200);
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(result.form.body.contentType)?.[1];
    expect(boundary).toBeDefined();
    expect(result.form.body.body).toContain(`--${boundary}\r\n`);
    expect(result.form.body.body).toContain('file bytes');

    expect(result.request).toMatchObject({ status: 200, callerBody: 'kept' });
    expect(result.request.body).toMatchObject({ method: 'PUT', body: 'kept', requestId: 'r-1', contentType: 'text/plain;charset=UTF-8' });

    // A stream body is read and sent as bytes: no streaming upload (which Chromium allows only over HTTP/2) is needed.
    expect(result.stream).toMatchObject({ status: 200, body: { body: 'streamed', contentType: null } });
    expect(result.params).toMatchObject({ status: 200, body: { body: 'a=1+2&b=%C3%A9', contentType: 'application/x-www-form-urlencoded;charset=UTF-8' } });

    expect(result.get.status).toBe(200);
    expect(result.get.body.verified.components).toEqual(['@method', '@authority', '@path', '@query']);

    // Closed channel: the session's own error, and nothing reached the server.
    expect(result.afterClose).toBe('ERR_SESSION_DISPOSED');
    expect(apiPaths).toEqual(['/api/orders?dry-run=1', '/api/upload', '/api/request', '/api/stream', '/api/params', '/api/orders?page=2']);
    await tab.close();
  });
});
