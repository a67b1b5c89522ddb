/**
 * The runtime matrix: test/conformance/conformance.mjs (RFC vectors, handshake and records, EAPI,
 * connect() to a local e2e2 server started here in Node) in every runtime e2e2 supports, each
 * importing e2e2 through its public entry points as that runtime resolves them:
 * - Node 20 (the Node running the tests) and Node 24 (the `node` devDependency),
 * - Bun and Deno (the `bun` and `deno` devDependencies, binaries from the npm registry),
 * - Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi), loading
 *   `e2e2/browser` (dist/browser/e2e2.js) from a page served here.
 * Chromium is covered by test/browser.test.ts, workerd by test/runtime-workerd.test.ts.
 * A runtime whose binary is absent is skipped with a printed reason, and fails under CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { CONFORMANCE, consumerDir, expectConformance, parseConformance, run, runtimeAvailable, startEchoServer, type ConformanceResult, type EchoServer } from './helpers/runtimes.js';

// npm scripts and npx put node_modules/.bin first on PATH, where the `node` devDependency links
// Node 24; the machine's Node is the one that runs npm (npm_node_execpath).
const NODE20 = process.env.npm_node_execpath ?? process.execPath;
const NODE24 = join(ROOT, 'node_modules/node/bin/node');
const BUN = join(ROOT, 'node_modules/bun/bin/bun.exe');
const DENO = join(ROOT, 'node_modules/deno/deno');
const FIREFOX = process.env.E2E2_FIREFOX ?? '/usr/bin/firefox-esr';

let echo: EchoServer;
let dir: string;

beforeAll(async () => {
  assertBuilt();
  echo = await startEchoServer();
  dir = consumerDir('matrix');
});
afterAll(async () => {
  await echo?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

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
    const { runtime, results } = await runScript(DENO, ['run', '--allow-read', '--allow-env', '--allow-net=127.0.0.1', '--allow-sys', '--no-lock', 'run.mjs']);
    expect(runtime).toMatch(/^deno 2\./);
    expectConformance(results, { connect: true });
  }, 120_000);
});
