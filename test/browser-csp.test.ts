/**
 * A strict-CSP page in real Chromium (Debian's /usr/bin/chromium driven by playwright-core, the
 * launch options of test/browser.test.ts): served with `Content-Security-Policy: script-src 'self'`
 * (no 'wasm-unsafe-eval'), the browser bundle's first crypto call throws ERR_WASM_UNAVAILABLE with
 * a message naming the fix; the same page with 'wasm-unsafe-eval' added computes SHA-256. And on the
 * strict page, after the application selects the pure-JS backend (`useBackend(nobleBackend)`,
 * dist/browser/noble.js = `e2e2/browser/noble`), the same bundle computes SHA-256 of "abc" and
 * completes an in-memory E2-E2 handshake with a record each way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { chromiumAvailable, launchChromium } from './helpers/browser.js';

const available = chromiumAvailable('browser-csp');

const PAGE = '<!doctype html><meta charset="utf-8"><title>csp</title><script type="module" src="/main.js"></script>';
// An external module script: 'self' allows it; inline scripts would be blocked by the CSP itself.
const MAIN = `import { sha256 } from '/e2e2.js';
try {
  const d = sha256(new TextEncoder().encode('abc'));
  window.result = { ok: true, hex: Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('') };
} catch (err) {
  window.result = { ok: false, name: err.name, code: err.code, message: err.message, cause: String(err.cause) };
}`;

// The strict page again: first the typed error, then the noble backend, explicitly selected.
const NOBLE_MAIN = `import * as e2e2 from '/e2e2.js';
import { nobleBackend } from '/noble.js';
const abc = new TextEncoder().encode('abc');
const hex = (d) => Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
const result = {};
try { e2e2.sha256(abc); result.first = 'no error'; } catch (err) { result.first = err.code; }
try {
  e2e2.useBackend(nobleBackend);
  result.backend = e2e2.backendName();
  result.hex = hex(e2e2.sha256(abc));
  const key = e2e2.generateApiKey();
  const c = e2e2.createClientHandshake({ apiKey: key.token });
  const s = e2e2.createServerHandshake({ resolveKey: () => key.secret });
  const { message2, session: server } = await s.respond(c.writeMessage1());
  const client = c.readMessage2(message2);
  result.toServer = new TextDecoder().decode(server.open(client.seal(new TextEncoder().encode('ping'))).data);
  result.toClient = new TextDecoder().decode(client.open(server.seal(new TextEncoder().encode('pong'))).data);
  result.sameSession = client.sessionId === server.sessionId;
} catch (err) {
  result.error = err.name + ': ' + err.message;
}
window.result = result;`;

describe.skipIf(!available)('strict CSP page in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    assertBuilt();
    const bundle = readFileSync(join(ROOT, 'dist/browser/e2e2.js'));
    const noble = readFileSync(join(ROOT, 'dist/browser/noble.js'));
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const csp = url.searchParams.get('wasm') === '1' ? "script-src 'self' 'wasm-unsafe-eval'" : "script-src 'self'";
      const js = { 'content-type': 'text/javascript' };
      if (url.pathname === '/') res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp }).end(PAGE);
      else if (url.pathname === '/noble.html') res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp }).end(PAGE.replace('/main.js', '/noble-main.js'));
      else if (url.pathname === '/main.js') res.writeHead(200, js).end(MAIN);
      else if (url.pathname === '/noble-main.js') res.writeHead(200, js).end(NOBLE_MAIN);
      else if (url.pathname === '/noble.js') res.writeHead(200, js).end(noble);
      else if (url.pathname === '/e2e2.js') res.writeHead(200, js).end(bundle);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function load(path: string): Promise<Record<string, unknown>> {
    const page = await browser.newPage();
    try {
      await page.goto(base + path);
      await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
      return (await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result));
    } finally {
      await page.close();
    }
  }

  it("script-src 'self': the first call throws WasmUnavailableError naming 'wasm-unsafe-eval'", async () => {
    const r = await load('/');
    expect(r.ok).toBe(false);
    expect(r.name).toBe('WasmUnavailableError');
    expect(r.code).toBe('ERR_WASM_UNAVAILABLE');
    expect(r.message).toMatch(/'wasm-unsafe-eval'.*script-src/);
    expect(r.cause).toMatch(/CompileError/);
  }, 90_000);

  it("script-src 'self': ERR_WASM_UNAVAILABLE first; after useBackend(nobleBackend) SHA-256 of \"abc\" and a handshake with records work", async () => {
    const r = await load('/noble.html');
    expect(r).toEqual({
      first: 'ERR_WASM_UNAVAILABLE',
      backend: 'noble',
      hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      toServer: 'ping',
      toClient: 'pong',
      sameSession: true,
    });
  }, 90_000);

  it("script-src 'self' 'wasm-unsafe-eval': SHA-256 of \"abc\" (FIPS 180-2 B.1)", async () => {
    const r = await load('/?wasm=1');
    expect(r).toEqual({ ok: true, hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
  }, 90_000);
});
