/**
 * The runtime matrix: test/conformance/conformance.mjs (RFC vectors, handshake and records, EAPI,
 * connect() to a local e2e2 server started here in Node) in every runtime e2e2 supports, each
 * importing e2e2 through its public entry points as that runtime resolves them:
 * - Node 20 (the Node that runs npm here) and Node 24 (the `node` devDependency),
 * - Bun and Deno (the `bun` and `deno` devDependencies, binaries from the npm registry),
 * - Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi), loading
 *   `e2e2/browser` (dist/browser/e2e2.js) from a page served here,
 * - Chromium (Debian's, driven by playwright-core as in test/browser.test.ts), the same page.
 * workerd runs the same script in test/runtime-workerd.test.ts.
 * A runtime whose binary is absent is skipped with a printed reason, and fails under CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import puppeteer from 'puppeteer-core';
import { chromium } from 'playwright-core';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { CONFORMANCE, consumerDir, expectConformance, parseConformance, run, runtimeAvailable, startEchoServer, type ConformanceResult, type EchoServer } from './helpers/runtimes.js';

// npm scripts and npx put node_modules/.bin first on PATH, where the `node` devDependency links
// Node 24; the machine's Node is the one that runs npm (npm_node_execpath).
const NODE20 = process.env.npm_node_execpath ?? process.execPath;
const NODE24 = join(ROOT, 'node_modules/node/bin/node');
const BUN = join(ROOT, 'node_modules/bun/bin/bun.exe');
const DENO = join(ROOT, 'node_modules/deno/deno');
const FIREFOX = process.env.E2E2_FIREFOX ?? '/usr/bin/firefox-esr';
const CHROMIUM = process.env.E2E2_CHROMIUM ?? '/usr/bin/chromium';

let echo: EchoServer;
let dir: string;

beforeAll(async () => {
  assertBuilt();
  echo = await startEchoServer({ httpHandler: servePage });
  dir = consumerDir('matrix');
});
afterAll(async () => {
  await echo?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The Firefox page, served by the echo server itself (same origin as its WebSocket): /e2e2.js is
 * the browser bundle (e2e2/browser, WASM embedded), /conformance.mjs the script.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>e2e2 conformance</title>
<script type="module">
import * as e2e2 from '/e2e2.js';
import { runConformance } from '/conformance.mjs';
const q = new URLSearchParams(location.search);
runConformance({ e2e2, connect: e2e2.connect, url: q.get('url'), apiKey: q.get('apiKey') })
  .then((results) => { window.conformance = { runtime: navigator.userAgent, results }; },
        (err) => { window.conformance = { runtime: navigator.userAgent, error: String(err) }; });
</script>`;

function servePage(request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const files: Record<string, [string, () => string]> = {
    '/': ['text/html', () => PAGE],
    '/e2e2.js': ['text/javascript', () => readFileSync(join(ROOT, 'dist/browser/e2e2.js'), 'utf8')],
    '/conformance.mjs': ['text/javascript', () => readFileSync(CONFORMANCE, 'utf8')],
  };
  const file = files[path];
  if (!file) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]());
}

/** What the page leaves in window.conformance. */
interface PageReport {
  runtime: string;
  error?: string;
  results: ConformanceResult[];
}

/** The page's address on the echo server, with the server's WebSocket URL and API key for connect(). */
function pageUrl(): string {
  const origin = echo.url.replace(/^ws:/, 'http:').replace(/\/e2e2$/, '');
  return `${origin}/?${new URLSearchParams({ url: echo.url, apiKey: echo.apiKey })}`;
}

/** What puppeteer's and playwright's pages both offer. */
interface BrowserPage {
  goto(url: string): Promise<unknown>;
  evaluate<T>(fn: () => T): Promise<T>;
}

/** Load the page, wait (polling, up to 90 s) for its report, and check it: no page error, the expected browser, every check passed. */
async function expectConformanceInPage(page: BrowserPage, pageErrors: string[], userAgent: RegExp): Promise<void> {
  await page.goto(pageUrl());
  const deadline = Date.now() + 90_000;
  let report: PageReport | undefined;
  while ((report = await page.evaluate(() => (window as unknown as { conformance?: PageReport }).conformance)) === undefined) {
    if (Date.now() > deadline) throw new Error(`the conformance page did not report within 90 s (page errors: ${pageErrors.join('; ')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(report.error).toBeUndefined();
  expect(pageErrors).toEqual([]);
  expect(report.runtime).toMatch(userAgent);
  expectConformance(report.results, { connect: true });
}

async function runScript(command: string, args: string[]): Promise<{ runtime: string; results: ConformanceResult[] }> {
  const r = await run(command, args, { cwd: dir, env: { E2E2_URL: echo.url, E2E2_API_KEY: echo.apiKey, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
  if (r.code !== 0) throw new Error(`${command} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return parseConformance(r.stdout, r.stderr);
}

describe('runtime matrix: the conformance script', () => {
  it('Node 20 (the Node that runs npm on this machine), e2e2 + e2e2/channel by package name', async () => {
    const { runtime, results } = await runScript(NODE20, ['run.mjs']);
    expect(runtime).toMatch(/^node v(2[0-3])\./);
    expectConformance(results, { connect: true });
  }, 120_000);

  it.skipIf(!runtimeAvailable('Node 24', NODE24, 'the `node` devDependency: npm ci'))('Node 24 (the `node` devDependency)', async () => {
    const { runtime, results } = await runScript(NODE24, ['run.mjs']);
    expect(runtime).toMatch(/^node v24\./);
    expectConformance(results, { connect: true });
  }, 120_000);

  it.skipIf(!runtimeAvailable('Bun', BUN, 'the `bun` devDependency: npm ci'))('Bun (the `bun` devDependency)', async () => {
    const { runtime, results } = await runScript(BUN, ['run.mjs']);
    expect(runtime).toMatch(/^bun 1\./);
    expectConformance(results, { connect: true });
  }, 120_000);

  it.skipIf(!runtimeAvailable('Deno', DENO, 'the `deno` devDependency: npm ci'))('Deno (the `deno` devDependency)', async () => {
    const { runtime, results } = await runScript(DENO, ['run', '--node-modules-dir=manual', '--allow-read', '--allow-env', '--allow-net=127.0.0.1', '--allow-sys', '--no-lock', 'run.mjs']);
    expect(runtime).toMatch(/^deno 2\./);
    expectConformance(results, { connect: true });
  }, 120_000);
});

describe.skipIf(!runtimeAvailable('Firefox', FIREFOX, 'apt-get install -y firefox-esr'))('runtime matrix: Firefox', () => {
  it('Firefox ESR over WebDriver BiDi (puppeteer-core), e2e2/browser in a page', async () => {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      protocolTimeout: 120_000,
      timeout: 120_000,
      extraPrefsFirefox: { 'network.proxy.type': 0, 'app.update.enabled': false, 'browser.shell.checkDefaultBrowser': false },
    });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await expectConformanceInPage(page as unknown as BrowserPage, pageErrors, /Firefox\/\d+/);
    } finally {
      await browser.close();
    }
  }, 180_000);
});

describe.skipIf(!runtimeAvailable('Chromium', CHROMIUM, 'apt-get install -y chromium'))('runtime matrix: Chromium', () => {
  it('Chromium (playwright-core), e2e2/browser in a page', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: 120_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await expectConformanceInPage(page as unknown as BrowserPage, pageErrors, /Chrome\/\d+/);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
