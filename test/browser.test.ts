/**
 * The browser demo in real Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * `e2e2 serve --demo` serves the page and the ESM bundle (WASM embedded); the page runs the
 * handshake, an echo round trip, an EAPI-signed request the server verifies, a rekey and a close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { assertBuilt, ROOT, startCli } from './helpers/cli.js';
import { chromiumAvailable, launchChromium } from './helpers/browser.js';

const available = chromiumAvailable('browser');

describe('browser bundle', () => {
  it('is one ESM file with the WASM embedded and no Node-only imports', () => {
    assertBuilt();
    const bundle = readFileSync(join(ROOT, 'dist/browser/e2e2.js'), 'utf8');
    expect(bundle).not.toMatch(/\bfrom\s+['"](node:|ws['"]|fs['"]|net['"]|http['"])/);
    expect(bundle).not.toMatch(/\bimport\s*\(\s*['"]/);
    expect(bundle).not.toMatch(/\brequire\s*\(/);
    for (const part of ['SHA2', 'AEAD', 'X25519', 'MLKEM']) expect(bundle).toMatch(new RegExp(`WASM_${part}_HEX = '[0-9a-f]{1000,}`));
    expect(bundle).toMatch(/export \{[^}]*\bconnect\b/);
  });
});

describe.skipIf(!available)('browser demo in Chromium', () => {
  let dir: string;
  let browser: Browser;
  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'e2e2-browser-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handshake, echo round trip, EAPI verified by the server, rekey, clean close', async () => {
    const server = await startCli(['serve', '--demo', '--port', '0', '--store', join(dir, 'keys.json')], /demo page: (http:\/\/\S+)/);
    try {
      const page = await browser.newPage();
      const consoleErrors: string[] = [];
      // The page's deliberately tampered EAPI request gets a 401, which Chromium logs as a console error.
      page.on('console', (m) => m.type() === 'error' && !m.text().includes('status of 401') && consoleErrors.push(m.text()));
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      await page.goto(server.match[1]!);
      await page.waitForFunction(() => ['passed', 'failed'].includes((window as { e2e2Demo?: { state: string } }).e2e2Demo?.state ?? ''), undefined, { timeout: 60_000 });
      const demo = (await page.evaluate(() => (window as unknown as { e2e2Demo: unknown }).e2e2Demo)) as {
        state: string;
        error?: string;
        results: { handshake: boolean; echo: boolean; stream: boolean; eapiVerified: boolean; eapiTamperedRejected: boolean; rekey: boolean; closeCode: number; sessionId: string; stages: Record<string, string> };
      };
      expect(demo.error).toBeUndefined();
      expect(consoleErrors).toEqual([]);
      expect(demo.results).toMatchObject({ handshake: true, echo: true, stream: true, eapiVerified: true, eapiTamperedRejected: true, rekey: true, closeCode: 1000 });
      expect(Object.keys(demo.results.stages).sort()).toEqual(['K1', 'K2', 'K3']);
      expect(demo.state).toBe('passed');
      const text = await page.textContent('#log');
      expect(text).toContain('handshake complete');
      expect(text).not.toMatch(/e2e2_[0-9a-f]{24}_/);
      // The server saw that very session open and close cleanly.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.stderr()).toContain(`session ${demo.results.sessionId.slice(0, 12)}`);
      expect(server.stderr()).toMatch(/channel closed key [0-9a-f]{24} session [0-9a-f]{12}: 1000;/);
      await page.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
