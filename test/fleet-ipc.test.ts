/**
 * The stores `e2e2 serve --workers N` shares through the primary (bindings/fleet/ipc.ts), over a
 * real IPC channel: this process is the primary, a forked child is the worker (the same
 * process.send / 'message' the cluster uses). Two workers see each other's sessions, a nonce is
 * claimed once across them, and a primary that does not answer fails closed with
 * ERR_STORE_UNAVAILABLE within the timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrimaryStores, serveStoresOverIpc } from '../bindings/fleet/ipc.js';
import { randomBytes, toHex } from '../bindings/e2e2/encoding.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const IPC = fileURLToPath(new URL('../bindings/fleet/ipc.ts', import.meta.url));

/** A worker script: runs the operations it is sent with IpcSessionRegistry/IpcReplayStore and reports back. */
const WORKER = `
import { IpcSessionRegistry, IpcReplayStore } from ${JSON.stringify(IPC)};
const timeout = Number(process.argv[2]);
const sessions = new IpcSessionRegistry(process, { commandTimeoutMs: timeout });
const replay = new IpcReplayStore(process, { commandTimeoutMs: timeout });
process.on('message', async (m) => {
  if (m?.test === undefined) return;
  const started = performance.now();
  try {
    let value;
    if (m.test === 'register') value = await sessions.register(m.id, { eapiRoot: new Uint8Array(Buffer.from(m.root, 'hex')), keyId: m.keyId, expiresAt: m.expiresAt });
    if (m.test === 'lookup') { const r = await sessions.lookup(m.id); value = r && { root: Buffer.from(r.eapiRoot).toString('hex'), keyId: r.keyId, expiresAt: r.expiresAt }; }
    if (m.test === 'unregister') value = await sessions.unregister(m.id);
    if (m.test === 'claim') value = await replay.claim(m.key, 5000);
    process.send({ result: m.n, ok: true, value: value ?? null, ms: performance.now() - started });
  } catch (e) {
    process.send({ result: m.n, ok: false, code: e.code, message: e.message, ms: performance.now() - started });
  }
});
process.send({ ready: true });
`;

interface Result {
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
  ms: number;
}

let dir: string | undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function startWorker(timeoutMs = 1000): Promise<{ child: ChildProcess; run: (op: Record<string, unknown>) => Promise<Result> }> {
  dir ??= mkdtempSync(join(tmpdir(), 'e2e2-ipc-'));
  const script = join(dir, 'worker.ts');
  writeFileSync(script, WORKER);
  const child = fork(script, [String(timeoutMs)], { cwd: ROOT, execArgv: ['--import', 'tsx'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
    child.on('message', (m) => (m as { ready?: boolean }).ready && resolve());
  });
  let n = 0;
  return {
    child,
    run: (op) =>
      new Promise((resolve) => {
        const id = ++n;
        const onMessage = (m: unknown) => {
          if ((m as { result?: number }).result !== id) return;
          child.off('message', onMessage);
          resolve(m as Result);
        };
        child.on('message', onMessage);
        child.send({ ...op, n: id });
      }),
  };
}

describe('fleet state through the primary (IPC)', () => {
  it('two workers share sessions and nonces through the primary', { timeout: 60_000 }, async () => {
    const stores = createPrimaryStores();
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    serveStoresOverIpc(a.child, stores);
    serveStoresOverIpc(b.child, stores);
    const id = toHex(randomBytes(16));
    const root = toHex(randomBytes(32));
    const expiresAt = Date.now() + 60_000;
    expect(await a.run({ test: 'register', id, root, keyId: 'kA', expiresAt })).toMatchObject({ ok: true });
    expect(await b.run({ test: 'lookup', id })).toMatchObject({ ok: true, value: { root, keyId: 'kA', expiresAt } });
    expect(await b.run({ test: 'lookup', id: toHex(randomBytes(16)) })).toMatchObject({ ok: true, value: null });
    expect(await a.run({ test: 'claim', key: `${id}:n1` })).toMatchObject({ ok: true, value: true });
    expect(await b.run({ test: 'claim', key: `${id}:n1` })).toMatchObject({ ok: true, value: false });
    expect(await b.run({ test: 'unregister', id })).toMatchObject({ ok: true });
    expect(await a.run({ test: 'lookup', id })).toMatchObject({ ok: true, value: null });
    // The primary's own checks reach the worker typed.
    expect(await a.run({ test: 'register', id: 'not-hex', root, keyId: 'k', expiresAt })).toMatchObject({ ok: false, code: 'ERR_INVALID_ARGUMENT' });
  });

  it('a primary that does not answer: ERR_STORE_UNAVAILABLE within commandTimeoutMs', { timeout: 60_000 }, async () => {
    const worker = await startWorker(200);
    // Nobody serves the stores on this channel.
    const result = await worker.run({ test: 'lookup', id: toHex(randomBytes(16)) });
    expect(result).toMatchObject({ ok: false, code: 'ERR_STORE_UNAVAILABLE', message: "the primary's session registry did not answer within 200 ms" });
    expect(result.ms).toBeGreaterThanOrEqual(150);
    expect(result.ms).toBeLessThan(3000);
    expect(await worker.run({ test: 'claim', key: 'k:n' })).toMatchObject({ ok: false, code: 'ERR_STORE_UNAVAILABLE' });
  });
});
