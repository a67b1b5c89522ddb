/**
 * The `e2e2 serve --demo` key against hostile pages in real Chromium (Debian's /usr/bin/chromium):
 * a DNS-rebound page (another name resolving to 127.0.0.1, so its fetches are same-origin for the
 * browser) and a page of another local origin must not read /demo/config.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { assertBuilt, startCli } from './helpers/cli.js';
import { chromiumAvailable, launchChromium } from './helpers/browser.js';

const available = chromiumAvailable('cli-demo-browser');

const TOKEN = /e2e2_[0-9a-f]{24}_[A-Za-z0-9_-]{43}/;

/** What the attacking page reports: each attempt's status (or the error that stopped it) and the body it could read. */
interface Attempt {
  status?: number;
  type?: string;
  error?: string;
  body?: string;
}

const ATTACK = `<!doctype html><script>
  window.attempts = (async () => {
    const out = {};
    for (const [name, url, mode] of window.targets) {
      try {
        const response = await fetch(url, { mode });
        out[name] = { status: response.status, type: response.type, body: await response.text() };
      } catch (error) {
        out[name] = { error: String(error) };
      }
    }
    return out;
  })();
</script>`;

describe.skipIf(!available)('e2e2 serve --demo against hostile pages in Chromium', () => {
  let dir: string;
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startCli>>;
  let port: number;
  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'e2e2-demo-browser-'));
    server = await startCli(['serve', '--demo', '--port', '0', '--store', join(dir, 'keys.json')], /demo page: http:\/\/127\.0\.0\.1:(\d+)\//);
    port = Number(server.match[1]);
    browser = await launchChromium([
      // rebind.test resolves to 127.0.0.1, as an attacker's name does after DNS rebinding.
      '--host-resolver-rules=MAP rebind.test 127.0.0.1',
      // Chromium's Private Network Access would stop these pages first; other browsers have none,
      // so the server's own checks are what is tested (the rebound fetch asserts it reached the server).
      '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks',
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Load the attack page at `pageUrl` (served by the test, as the attacker's server would) and run its fetches. */
  async function attack(pageUrl: string, targets: [name: string, url: string, mode: RequestMode][]): Promise<Record<string, Attempt>> {
    const page = await browser.newPage();
    try {
      await page.route(pageUrl, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: ATTACK }));
      await page.addInitScript((t) => Object.assign(window, { targets: t }), targets);
      await page.goto(pageUrl);
      return (await page.evaluate(() => (window as unknown as { attempts: Promise<Record<string, Attempt>> }).attempts)) as Record<string, Attempt>;
    } finally {
      await page.close();
    }
  }

  it('a DNS-rebound page reaches the server same-origin and gets 421, no key', async () => {
    const results = await attack(`http://rebind.test:${port}/attack.html`, [['config', '/demo/config.json', 'same-origin']]);
    expect(results.config).toMatchObject({ status: 421, type: 'basic' });
    expect(results.config!.body).toContain('ERR_MISDIRECTED_REQUEST');
    expect(results.config!.body).not.toMatch(TOKEN);
  });

  it('a page of another local origin cannot read the key (403 and no CORS grant)', async () => {
    const results = await attack(`http://127.0.0.1:${port === 65535 ? 65534 : port + 1}/attack.html`, [
      ['cors', `http://127.0.0.1:${port}/demo/config.json`, 'cors'],
      ['no-cors', `http://127.0.0.1:${port}/demo/config.json`, 'no-cors'],
    ]);
    expect(results.cors!.error).toMatch(/TypeError/);
    expect(results['no-cors']).toMatchObject({ status: 0, type: 'opaque', body: '' });
    expect(JSON.stringify(results)).not.toMatch(TOKEN);
  });

  it('the demo page itself, under 127.0.0.1 or localhost, still reads it', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const page = await browser.newPage();
      try {
        const response = await page.goto(`http://${host}:${port}/`);
        expect(response?.status()).toBe(200);
        const config = (await page.evaluate(async () => (await fetch('/demo/config.json')).json())) as { apiKey: string };
        expect(config.apiKey).toMatch(TOKEN);
      } finally {
        await page.close();
      }
    }
  });
});
