/**
 * Helpers for the runtime matrix (test/runtime-matrix.test.ts, test/runtime-workerd.test.ts):
 * a local echo server for connect(), a directory laid out as an installed consumer of e2e2, and
 * the skip-or-fail rule for runtimes whose binary is absent (skipped with a printed reason, but a
 * failure under CI=true, where .ci/run and `npm ci` provide every one of them).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { generateApiKey } from '../../bindings/index.js';
import { createServer, type E2E2Server } from '../../bindings/server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT } from './cli.js';

export const CONFORMANCE = join(ROOT, 'test/conformance/conformance.mjs');

export interface ConformanceResult {
  name: string;
  ok: boolean;
  detail?: string;
  skipped?: string;
}

/** True when `binary` exists; otherwise print why the runtime is skipped (and fail under CI). */
export function runtimeAvailable(label: string, binary: string, install: string): boolean {
  if (existsSync(binary)) return true;
  if (process.env.CI) throw new Error(`${label}: ${binary} is missing (${install}); CI must run every runtime`);
  console.warn(`[runtime-matrix] skipping ${label}: ${binary} not found (${install})`);
  return false;
}

export interface EchoServer {
  server: E2E2Server;
  url: string;
  apiKey: string;
  close(): Promise<void>;
}

/**
 * An e2e2 server on 127.0.0.1 that echoes every message, with one fresh API key. `POST /eapi`
 * answers 200 with the verified scope for an RFC 9421 EAPI-signed request of one of its sessions
 * (server.verifyEapiHttp), 401 with the error code otherwise: the conformance script's
 * createEapiFetch check. Other HTTP requests go to `httpHandler`.
 */
export async function startEchoServer(options: { httpHandler?: (req: IncomingMessage, res: ServerResponse) => void } = {}): Promise<EchoServer> {
  const key = generateApiKey();
  let server: E2E2Server | undefined = undefined;
  const eapiEcho = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const cors = { 'access-control-allow-origin': '*' };
    try {
      const verified = await server!.verifyEapiHttp({ method: req.method!, url: `http://${req.headers.host}${req.url}`, headers: req.headers, body: new Uint8Array(Buffer.concat(chunks)) });
      res.writeHead(200, { 'content-type': 'application/json', ...cors }).end(JSON.stringify({ scope: verified.scope, body: Buffer.concat(chunks).toString() }));
    } catch (error) {
      res.writeHead(401, { 'content-type': 'application/json', ...cors }).end(JSON.stringify({ code: (error as { code?: string }).code }));
    }
  };
  const httpHandler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/eapi' && req.method === 'POST') void eapiEcho(req, res);
    else if (options.httpHandler) options.httpHandler(req, res);
    else res.writeHead(404).end();
  };
  server = await createServer({
    keys: (keyId) => (keyId === key.keyId ? key.secret : undefined),
    host: '127.0.0.1',
    port: 0,
    path: '/e2e2',
    handshakeTimeoutMs: 60_000,
    message1TimeoutMs: 60_000,
    httpHandler,
    async onChannel(channel) {
      for await (const m of channel) if (!channel.send(m)) await channel.drained();
    },
  });
  return { server, url: `ws://127.0.0.1:${server.port}/e2e2`, apiKey: key.token, close: () => server.close() };
}

/** A temp directory laid out like an app that installed e2e2: node_modules/e2e2 -> the repository, the conformance files beside. */
export function consumerDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `e2e2-${prefix}-`));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/e2e2'), 'dir');
  // No "dependencies": no runtime that installs on its own may fetch an "e2e2" from a registry; node_modules/e2e2 is the link.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `e2e2-${prefix}-check`, private: true, type: 'module' }));
  copyFileSync(CONFORMANCE, join(dir, 'conformance.mjs'));
  copyFileSync(join(ROOT, 'test/conformance/run.mjs'), join(dir, 'run.mjs'));
  return dir;
}

/** Run a command to completion (async, so the echo server in this process keeps serving). */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** The E2E2_CONFORMANCE line of a run's output. */
export function parseConformance(stdout: string, stderr = ''): { runtime: string; results: ConformanceResult[] } {
  const line = stdout.split('\n').find((l) => l.startsWith('E2E2_CONFORMANCE '));
  if (!line) throw new Error(`no conformance report in the output:\n${stdout}\n${stderr}`);
  return JSON.parse(line.slice('E2E2_CONFORMANCE '.length)) as { runtime: string; results: ConformanceResult[] };
}

/** Every check passed (by name, so a failure says which), and the expected ones ran. */
export function expectConformance(results: ConformanceResult[], { connect }: { connect: boolean }): void {
  const failed = results.filter((r) => !r.ok);
  expect(failed).toEqual([]);
  const names = results.filter((r) => !r.skipped).map((r) => r.name);
  expect(names).toEqual(expect.arrayContaining([
    'sha256 FIPS 180-2 B.1 ("abc")',
    'hkdf-sha256 RFC 5869 A.1',
    'x25519 RFC 7748 §5.2 (first vector)',
    'x25519 RFC 7748 §6.1 (Diffie-Hellman)',
    'chacha20poly1305 RFC 8439 §2.8.2',
    'handshake and records (data both ways, rekey, forged record, close)',
    'wrong API key is ERR_AUTHENTICATION_FAILED',
    'EAPI round trip (sign, verify, wrong path refused)',
    'createEapiFetch: a Request over maxBodyBytes is ERR_PAYLOAD_TOO_LARGE and nothing is sent (string and stream bodies)',
  ]));
  expect(names.includes('connect(): echo over a local e2e2 server, clean close')).toBe(connect);
}
