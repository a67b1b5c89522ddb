/**
 * e2e2 inside real workerd (the `workerd` devDependency, Cloudflare's Workers runtime), where a
 * Worker may not compile WASM ("Wasm code generation disallowed by embedder"). The worker
 * (test/conformance/worker.mjs) is bundled by esbuild as wrangler bundles (conditions workerd,
 * worker, browser; `.wasm` imports kept as WASM modules), and workerd loads it from a capnp config
 * in a temp dir, listening on a free 127.0.0.1 port. Checks:
 * - the `workerd` export condition: the conformance script (SHA-256 "abc" FIPS 180-2 B.1 and the
 *   other RFC vectors, an in-memory handshake with records, an EAPI sign + verify round trip,
 *   connect() from the worker to an e2e2 server started here) passes with no init call;
 * - the bundle that embeds the bytes is refused there with ERR_WASM_UNAVAILABLE, and
 *   initSync(the module imported from e2e2/wasm) fixes it;
 * - the worker really cannot compile WASM (so the passing run is not a lax runtime);
 * - the README's Workers example, extracted from README.md, relays a request body over a channel;
 * - e2e2/http (test/conformance/http-check.mjs): eapiHandler verifies and refuses Requests there.
 * Skipped with a printed reason only where the workerd binary is absent or cannot run here; under CI=true that fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { consumerDir, expectConformance, runtimeAvailable, startEchoServer, type ConformanceResult, type EchoServer } from './helpers/runtimes.js';
import { expectHttpCheck } from './helpers/http-check.js';

const WORKERD = join(ROOT, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');

/** The binary exists and runs on this platform (a missing glibc or CPU feature shows here). */
function workerdRuns(): boolean {
  if (!runtimeAvailable('workerd', WORKERD, 'the `workerd` devDependency: npm ci')) return false;
  const probe = spawnSync(WORKERD, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status === 0) return true;
  const reason = `${WORKERD} --version failed on this platform: ${probe.error?.message ?? probe.stderr}`;
  if (process.env.CI) throw new Error(reason);
  console.warn(`[runtime-workerd] skipping: ${reason}`);
  return false;
}
const available = workerdRuns();

/** The README's Workers example: the first js block of its "### Cloudflare Workers" section. */
function readmeWorkerExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Cloudflare Workers'));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (!block || !block[1]!.includes('export default')) throw new Error('README.md: no Workers example under "### Cloudflare Workers"');
  return block[1]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const config = (port: number) => `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # The worker's fetch() and WebSocket reach only this machine's loopback (the e2e2 server of the test).
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "e2e2.wasm", wasm = embed "e2e2.wasm"),
  ],
  compatibilityDate = "2026-01-01",
  globalOutbound = "loopback",
);
`;

describe.skipIf(!available)('workerd (Cloudflare Workers runtime)', () => {
  let dir: string;
  let child: ChildProcess;
  let base: string;
  let echo: EchoServer;
  let log = '';

  beforeAll(async () => {
    assertBuilt();
    echo = await startEchoServer();
    dir = consumerDir('workerd');
    copyFileSync(join(ROOT, 'test/conformance/worker.mjs'), join(dir, 'worker.mjs'));
    copyFileSync(join(ROOT, 'test/conformance/http-check.mjs'), join(dir, 'http-check.mjs'));
    writeFileSync(join(dir, 'readme-worker.mjs'), readmeWorkerExample());
    // As wrangler does: every .wasm import becomes a module of the worker, here one named e2e2.wasm.
    await build({
      entryPoints: [join(dir, 'worker.mjs')],
      absWorkingDir: dir,
      outfile: join(dir, 'worker.js'),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      logLevel: 'silent',
      plugins: [{ name: 'wasm-modules', setup: (b) => b.onResolve({ filter: /\.wasm$|^e2e2\/wasm$/ }, () => ({ path: 'e2e2.wasm', external: true })) }],
    });
    copyFileSync(join(ROOT, 'dist/e2e2.wasm'), join(dir, 'e2e2.wasm'));
    const port = await freePort();
    writeFileSync(join(dir, 'config.capnp'), config(port));
    child = spawn(WORKERD, ['serve', join(dir, 'config.capnp'), '--verbose'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited ${child.exitCode}:\n${log}`);
      try {
        if ((await fetch(`${base}/nothing`)).status === 404) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`workerd did not answer within 60 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await echo?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a Worker may not compile WASM there (the refusal e2e2 has to live with)', async () => {
    const r = (await (await fetch(`${base}/compile`)).json()) as { compiled: boolean; error?: { message: string } };
    expect(r.compiled).toBe(false);
    expect(r.error?.message).toMatch(/disallowed by embedder/);
  }, 60_000);

  it("the 'workerd' condition, no init call: RFC vectors, handshake and records, EAPI round trip, connect() to a local server", async () => {
    const query = new URLSearchParams({ url: echo.url, apiKey: echo.apiKey });
    const response = await fetch(`${base}/conformance?${query}`);
    expect(response.status, log).toBe(200);
    const { runtime, results } = (await response.json()) as { runtime: string; results: ConformanceResult[] };
    expect(runtime).toMatch(/^workerd \(Cloudflare-Workers\)$/);
    expectConformance(results, { connect: true });
  }, 60_000);

  it("e2e2/http through its 'workerd' condition: eapiHandler answers Requests (signed 200, replay, 401 with the challenge, preflight, 413)", async () => {
    const report = (await (await fetch(`${base}/http`)).json()) as { runtime: string; results: ConformanceResult[] };
    expect(report.runtime).toMatch(/^workerd/);
    expectHttpCheck(report.results);
  }, 60_000);

  it("the README's Workers example, as written: the request body relayed over an e2e2 channel and echoed back", async () => {
    const query = new URLSearchParams({ url: echo.url, apiKey: echo.apiKey });
    const response = await fetch(`${base}/readme?${query}`, { method: 'POST', body: 'relayed through workerd' });
    expect(response.status, log).toBe(200);
    expect(await response.text()).toBe('relayed through workerd');
  }, 60_000);

  it('the bundle with embedded bytes: ERR_WASM_UNAVAILABLE naming the fix, then initSync(e2e2/wasm module) works', async () => {
    const r = (await (await fetch(`${base}/embedded`)).json()) as {
      before: { error?: { name: string; code: string; message: string; cause: string } };
      after: string;
      isModule: boolean;
    };
    expect(r.before.error?.code).toBe('ERR_WASM_UNAVAILABLE');
    // The worker bundles two copies of e2e2 (workerd and browser builds), so esbuild renames one
    // copy's classes on collision (WasmUnavailableError2) and the name, taken from new.target, follows.
    expect(r.before.error?.name).toMatch(/^WasmUnavailableError\d*$/);
    expect(r.before.error?.message).toMatch(/'workerd' export condition/);
    expect(r.before.error?.message).toMatch(/initSync\(\)/);
    expect(r.before.error?.cause).toMatch(/disallowed by embedder/);
    expect(r.isModule).toBe(true);
    expect(r.after).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 B.1
  }, 60_000);
});
