/**
 * `channel.webStreams()` in a real browser (Debian's /usr/bin/chromium driven by playwright-core),
 * over the platform WebSocket (the WHATWG socket adapter: no pause, bufferedAmount polled), against
 * `e2e2 serve --demo` (an echo server; it also serves the ESM bundle and the demo key): 8 MB
 * pipeThrough() the echo with the SHA-256 equal, then readable.cancel() closing with 4011.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium } from './helpers/browser.js';
import { assertBuilt, startCli } from './helpers/cli.js';

const available = chromiumAvailable('channel-streams-browser');

interface PageResult {
  sent: string;
  received: string;
  bytes: number;
  notBytes: number;
  code: number;
  error: string | null;
  first: number[];
  cancelCode: number;
  cancelError: string | null;
  cancelCause: string | null;
}

/**
 * Runs in the page, as plain JavaScript (a string, so the test runner's transforms never touch its
 * dynamic import). Any page of the server's origin can import the bundle.
 */
const PAGE_SCRIPT = `(async () => {
  const { connect } = await import('/e2e2.js');
  const config = await (await fetch('/demo/config.json')).json();
  const hex = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  const total = 8 * 1024 * 1024;
  const chunk = 64 * 1024;
  const sent = new Uint8Array(total);
  for (let o = 0; o < total; o += chunk) crypto.getRandomValues(sent.subarray(o, o + chunk));
  let offset = 0;
  const source = new ReadableStream({
    pull(controller) {
      if (offset >= total) return controller.close();
      controller.enqueue(sent.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
  const received = new Uint8Array(total);
  let bytes = 0;
  let notBytes = 0;
  const channel = await connect(config.url, { apiKey: config.apiKey });
  await source.pipeThrough(channel.webStreams()).pipeTo(new WritableStream({
    write(c) {
      if (!(c instanceof Uint8Array)) notBytes++;
      received.set(c, bytes);
      bytes += c.length;
    },
  }));
  const info = await channel.closed;

  const second = await connect(config.url, { apiKey: config.apiKey });
  const { readable, writable } = second.webStreams();
  await writable.getWriter().write(new Uint8Array([1, 2, 3]));
  const reader = readable.getReader();
  const first = await reader.read();
  await reader.cancel(new Error('enough'));
  const cancelled = await second.closed;
  return {
    sent: await hex(sent),
    received: await hex(received.subarray(0, bytes)),
    bytes,
    notBytes,
    code: info.code,
    error: info.error ? info.error.code : null,
    first: Array.from(first.value || []),
    cancelCode: cancelled.code,
    cancelError: cancelled.error ? cancelled.error.code : null,
    cancelCause: cancelled.error && cancelled.error.cause ? cancelled.error.cause.message : null,
  };
})()`;

describe.skipIf(!available)('channel.webStreams() in Chromium', () => {
  let dir: string;
  let browser: Browser;
  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'e2e2-streams-browser-'));
    browser = await launchChromium();
  }, 400_000); // launchChromium(): up to three attempts of two minutes each on a loaded machine
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('8 MB pipeThrough() the echo server: the SHA-256 equal, a clean close; readable.cancel() closes with 4011', { timeout: 180_000 }, async () => {
    const server = await startCli(['serve', '--demo', '--port', '0', '--store', join(dir, 'keys.json')], /demo page: (http:\/\/\S+)/);
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      // The config JSON is a page of the server's origin that runs no demo.
      await page.goto(new URL('/demo/config.json', server.match[1]!).href);
      const result = (await page.evaluate(PAGE_SCRIPT)) as PageResult;
      expect(pageErrors).toEqual([]);
      expect(result.bytes).toBe(8 * 1024 * 1024);
      expect(result.notBytes).toBe(0);
      expect(result.received).toBe(result.sent);
      expect([result.code, result.error]).toEqual([1000, null]);
      expect(result.first).toEqual([1, 2, 3]);
      // A WHATWG WebSocket cannot send 1011: the browser's code for it is 4011 (SPEC.md §7.7.6).
      expect([result.cancelCode, result.cancelError, result.cancelCause]).toEqual([4011, 'ERR_APPLICATION', 'enough']);
      await page.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
