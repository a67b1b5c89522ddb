/**
 * A cross-origin EAPI call from real Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): a page on origin A (127.0.0.1:portA) loads the browser bundle, opens a
 * channel to origin B (127.0.0.1:portB: an E2E2Server attached to an Express server), issues an
 * EAPI, signs a POST with signEapiHttpRequest and sends it with plain fetch(), then the same
 * through createEapiFetch. The browser's preflight passes, eapiMiddleware verifies against
 * `server.eapiSessions`, and the page reads the 200s and a 401's problem body and challenge. The same page on an origin B does not list
 * (127.0.0.1:portC) is stopped by the browser at the preflight: its POST never reaches the route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import type { Browser } from 'playwright-core';
import { generateApiKey } from '../bindings/index.js';
import { createServer, type E2E2Server } from '../bindings/server.js';
import { eapiMiddleware, type EapiClaims } from '../bindings/http/index.js';
import { MemoryReplayStore } from '../bindings/e2e2/eapi-stores.js';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { chromiumAvailable, launchChromium } from './helpers/browser.js';

const available = chromiumAvailable('http-browser');

const KEY = generateApiKey();

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** What the page reports. */
interface PageResult {
  signed?: { status: number; body: unknown; type: string };
  wrapped?: { status: number; body: unknown; type: string };
  unsigned?: { status: number; body: { code?: string }; challenge: string | null };
  error?: string;
}

describe.skipIf(!available)('cross-origin EAPI-signed fetch in Chromium', () => {
  let browser: Browser;
  let pages: Server;
  let unlisted: Server;
  let api: Server;
  let channels: E2E2Server;
  let originA: string;
  let originC: string;
  let apiBase: string;
  const handled: EapiClaims[] = [];

  beforeAll(async () => {
    assertBuilt();
    const bundle = readFileSync(join(ROOT, 'dist/browser/e2e2.js'));
    // Origins A and C: the same two static files.
    const statics = () =>
      createHttpServer((req, res) => {
        if (req.url === '/e2e2.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
        else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>origin</title>');
      });
    pages = statics();
    unlisted = statics();
    originA = `http://127.0.0.1:${await listen(pages)}`;
    originC = `http://127.0.0.1:${await listen(unlisted)}`;

    // Origin B: Express, with the channel server on the same port.
    const app = express();
    api = createHttpServer(app);
    // 'ready' tells the page its session is registered (the server knows it once it has read the key
    // confirmation, which a request sent just after connect() resolves can overtake).
    channels = await createServer({ keys: (id) => (id === KEY.keyId ? KEY.secret : undefined), server: api, onChannel: (channel) => void channel.send('ready') });
    app.use('/api', eapiMiddleware({ sessions: channels.eapiSessions, replay: new MemoryReplayStore(), requiredScope: 'orders:write', cors: { origins: [originA] } }));
    app.post('/api/orders', (req, res) => {
      const r = req as typeof req & { eapi: EapiClaims; rawBody: Buffer };
      handled.push(r.eapi);
      res.json({ scope: r.eapi.scope, order: JSON.parse(r.rawBody.toString('utf8')) });
    });
    apiBase = `http://127.0.0.1:${await listen(api)}`;

    browser = await launchChromium();
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await channels?.close();
    for (const s of [pages, unlisted, api]) await new Promise((r) => (s?.listening ? s.close(r) : r(undefined)));
  });

  /** On `origin`: channel to B, one EAPI, a signed POST and an unsigned one, by plain fetch. */
  async function runPage(origin: string): Promise<PageResult> {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      // The bundle as a module script of the page (not an import() in this file, which vitest rewrites).
      await page.addScriptTag({ type: 'module', content: "import * as e2e2 from '/e2e2.js'; window.e2e2 = e2e2;" });
      await page.waitForFunction(() => 'e2e2' in window);
      return await page.evaluate(
        async ({ apiBase, token }) => {
          const out: PageResult = {};
          const e2e2 = (window as unknown as { e2e2: typeof import('../bindings/browser.js') }).e2e2;
          const channel = await e2e2.connect(apiBase.replace('http:', 'ws:'), { apiKey: token });
          await new Promise<void>((ready) => {
            const off = channel.on('message', () => {
              off();
              ready();
            });
          });
          try {
            const eapi = channel.issueEapi({ scope: 'orders:write', expiresAt: Date.now() + 60_000 });
            const url = `${apiBase}/api/orders?dry-run=1`;
            const headers = { 'content-type': 'application/json' };
            const body = JSON.stringify({ qty: 2 });
            const signature = e2e2.signEapiHttpRequest(eapi, { method: 'POST', url, headers, body });
            const r = await fetch(url, { method: 'POST', headers: { ...headers, ...signature }, body });
            // Readable at all only because the server's Access-Control-Allow-Origin named this origin.
            out.signed = { status: r.status, body: await r.json(), type: r.type };
            // The same call through createEapiFetch (eapi-fetch.ts): it signs, digests and sends the content-type itself.
            const signedFetch = e2e2.createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60_000 });
            const w = await signedFetch(url, { method: 'POST', headers, body: JSON.stringify({ qty: 3 }) });
            out.wrapped = { status: w.status, body: await w.json(), type: w.type };
            const u = await fetch(url, { method: 'POST', headers, body });
            out.unsigned = { status: u.status, body: await u.json(), challenge: u.headers.get('www-authenticate') };
          } catch (error) {
            out.error = String(error);
          } finally {
            await channel.close();
          }
          return out;
        },
        { apiBase, token: KEY.token },
      );
    } finally {
      await page.close();
    }
  }

  it('a page on a listed origin gets 200 for its signed POSTs (signEapiHttpRequest + fetch, createEapiFetch) and can read a 401 and its challenge', async () => {
    const result = await runPage(originA);
    expect(result.error).toBeUndefined();
    expect(result.signed).toEqual({ status: 200, body: { scope: 'orders:write', order: { qty: 2 } }, type: 'cors' });
    expect(result.unsigned).toEqual({ status: 401, body: expect.objectContaining({ code: 'ERR_AUTHENTICATION_FAILED' }), challenge: 'Signature tag="e2e2-eapi/v1"' });
    expect(result.wrapped).toEqual({ status: 200, body: { scope: 'orders:write', order: { qty: 3 } }, type: 'cors' });
    expect(handled).toHaveLength(2);
  });

  it('a page on an unlisted origin is blocked by the browser at the preflight; its POST never runs', async () => {
    const before = handled.length;
    const result = await runPage(originC);
    expect(result.signed).toBeUndefined();
    expect(result.error).toMatch(/TypeError: Failed to fetch/);
    expect(handled).toHaveLength(before);
  });
});
