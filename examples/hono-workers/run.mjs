// Hono on Cloudflare Workers, run locally in real workerd (the `workerd` npm package), next to the
// Node e2e2 server whose sessions it verifies:
// 1. Node: the E2-E2 WebSocket server, and its registry served to the Worker (registry.mjs);
// 2. workerd: worker.mjs bundled with esbuild as wrangler bundles it (condition `workerd`, the
//    .wasm import kept as a WASM module), from a capnp config with the Worker's bindings;
// 3. a client: a channel to the Node server, then fetch() calls to the Worker signed with EAPIs of
//    that channel: createEapiFetch; then, signed with signEapiHttpRequest, a replay, a tampered
//    body, a request sent after the channel closed and one while the registry is down.
// Run: node examples/hono-workers/run.mjs (from the repository, after npm ci)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createEapiFetch, generateApiKey, MemoryReplayStore, MemorySessionRegistry, signEapiHttpRequest } from 'e2e2';
import { createServer } from 'e2e2/server';
import { connect } from 'e2e2/channel';
import { registryHandler } from './registry.mjs';

const require = createRequire(import.meta.url);
const HERE = fileURLToPath(new URL('.', import.meta.url));

// 1. The Node side. It shares its registry and replay store with the Worker, so a nonce used at
// either is refused at both.
const key = generateApiKey();
const registryToken = randomBytes(32).toString('hex'); // on Workers: a secret (wrangler secret put REGISTRY_TOKEN)
const sessions = new MemorySessionRegistry();
const replay = new MemoryReplayStore();
const server = await createServer({
  keys: (id) => (id === key.keyId ? key.secret : undefined),
  host: '127.0.0.1',
  port: 0,
  path: '/e2e2',
  eapiSessions: sessions,
  eapiReplay: replay,
  onChannel: (channel) => void channel.send('ready'), // the session is registered: EAPIs of it verify
  httpHandler: registryHandler({ sessions, replay, token: registryToken }),
});

// 2. The Worker in workerd.
const dir = mkdtempSync(join(tmpdir(), 'e2e2-hono-workers-'));
let workerd;
let log = '';
let serverClosed = false;
try {
  await build({
    entryPoints: [join(HERE, 'worker.mjs')],
    outfile: join(dir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    plugins: [{ name: 'wasm-modules', setup: (b) => b.onResolve({ filter: /\.wasm$/ }, () => ({ path: 'e2e2.wasm', external: true })) }],
  });
  copyFileSync(require.resolve('e2e2/wasm'), join(dir, 'e2e2.wasm'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.capnp'), capnpConfig(port, { REGISTRY_URL: `http://127.0.0.1:${server.port}/registry/`, REGISTRY_TOKEN: registryToken }));
  workerd = spawn(require('workerd').default, ['serve', join(dir, 'config.capnp')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  workerd.stdout.on('data', (d) => (log += d));
  workerd.stderr.on('data', (d) => (log += d));
  const worker = `http://127.0.0.1:${port}`;
  await listening(worker);

  // 3. The client.
  const channel = await connect(`ws://127.0.0.1:${server.port}/e2e2`, { apiKey: key.token });
  await channel[Symbol.asyncIterator]().next(); // 'ready'
  const orders = `${worker}/api/orders`;
  const signedFetch = createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60_000 });
  const ok = await signedFetch(orders, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'tea', qty: 2 }) });
  const answer = await ok.json();
  console.log(`signed POST: ${ok.status} scope ${answer.scope}, order ${JSON.stringify(answer.order)}, this channel's session: ${answer.session === channel.sessionId}`);

  const eapi = channel.issueEapi({ scope: 'orders:write', expiresAt: Date.now() + 60_000 });
  const signed = (body) => {
    const headers = { 'content-type': 'application/json' };
    return { method: 'POST', headers: { ...headers, ...signEapiHttpRequest(eapi, { method: 'POST', url: orders, headers, body }) }, body };
  };
  const refusal = async (response) => `${response.status} ${response.headers.get('content-type')} ${(await response.json()).code}`;

  const once = signed('{"qty":1}');
  const first = await fetch(orders, once);
  await first.body?.cancel();
  console.log(`the same signed request twice: ${first.status}, then ${await refusal(await fetch(orders, once))}`);
  console.log(`tampered body: ${await refusal(await fetch(orders, { ...signed('{"qty":2}'), body: '{"qty":20}' }))}`);
  const late = signed('{"qty":3}');
  const later = signed('{"qty":4}'); // an EAPI is disposed with its channel: sign before closing
  await channel.close();
  console.log(`signed before the channel closed, sent after: ${await refusal(await fetch(orders, late))}`);
  await server.close(); // the registry is gone: the Worker cannot check, so it refuses
  serverClosed = true;
  console.log(`registry unreachable: ${await refusal(await fetch(orders, later))}`);
} catch (error) {
  console.error(`${error.stack}\nworkerd output:\n${log}`);
  process.exitCode = 1;
} finally {
  if (workerd && workerd.exitCode === null) {
    const exited = new Promise((resolve) => workerd.once('exit', resolve));
    workerd.kill('SIGTERM');
    await exited;
  }
  // What the Worker's onFailure logged: why each refusal, which the 401 bodies do not say.
  for (const line of log.split('\n')) if (line.startsWith('refused: ')) console.log(`Worker log: ${line}`);
  if (!serverClosed) await server.close();
  rmSync(dir, { recursive: true, force: true });
}

function capnpConfig(port, bindings) {
  const text = Object.entries(bindings).map(([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])), # the Worker's fetch() reaches this machine only
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js"), (name = "e2e2.wasm", wasm = embed "e2e2.wasm")],
  bindings = [${text.join(', ')}],
  compatibilityDate = "2026-01-01",
  globalOutbound = "loopback",
);
`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function listening(url) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (workerd.exitCode !== null) throw new Error(`workerd exited with ${workerd.exitCode}`);
    try {
      await (await fetch(url)).body?.cancel();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('workerd did not answer within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
