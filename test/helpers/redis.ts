/**
 * A real redis-server (Debian's /usr/bin/redis-server) for the fleet tests: one per suite, on a
 * free 127.0.0.1 port, without persistence (--save '' --appendonly no) in a temporary directory,
 * ready once it answers PING. stop() ends it (SIGTERM, then SIGKILL); restart() starts a fresh,
 * empty one on the same port (for "Redis returns" tests: what the old one held is gone).
 *
 * Where redis-server is absent the suites skip with a printed reason; under CI=true that is a
 * failure instead (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

export const REDIS_SERVER = process.env.E2E2_REDIS_SERVER ?? '/usr/bin/redis-server';

/** Why the Redis suites cannot run here, or undefined when they can. Throws under CI=true. */
export function redisMissing(): string | undefined {
  if (existsSync(REDIS_SERVER)) return undefined;
  const reason = `${REDIS_SERVER} is not installed (apt-get install redis-server): Redis fleet tests skipped`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true this is a failure (.ci/run installs it)`);
  console.warn(reason);
  return reason;
}

/** A free TCP port on 127.0.0.1 (bound and released: good enough on loopback for a test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One RESP round trip: PING → +PONG, on a plain socket (no client library in the harness). */
function ping(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  /** Stop the server (idempotent); resolves once the process exited. */
  stop(): Promise<void>;
  /** Start an empty server again on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** The server's log so far (for assertion messages). */
  log(): string;
  /** Stop it for good and remove its temporary directory (afterAll). */
  dispose(): Promise<void>;
}

/** Start redis-server on a free loopback port; resolves once it answers PING. */
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'e2e2-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  const launch = async (): Promise<void> => {
    // Bound to 127.0.0.1 only, no disk writes, no protected-mode surprises on loopback.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    proc.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`redis-server exited at start (code ${proc.exitCode}): ${log}`);
      if (await ping(port, 500)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer PING within 15 s: ${log}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    log: () => log,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TcpCut {
  port: number;
  url: string;
  /** Drop every connection and refuse new ones (a network partition: Redis keeps its data). */
  cut(): void;
  /** Accept and forward again. */
  restore(): void;
  close(): Promise<void>;
}

/** A loopback TCP forwarder to `targetPort` that a test can cut and restore. */
export async function startCut(targetPort: number): Promise<TcpCut> {
  const sockets = new Set<import('node:net').Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close() {
      open = false;
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const rawClient = (url: string) => createClient({ url });
/** A node-redis client of the test's own, to look at what the stores wrote. */
export type RawRedis = ReturnType<typeof rawClient>;

/** startRedis() plus a connected client for assertions; dispose() ends both. */
export async function startRedisWithClient(): Promise<{ redis: RedisServer; raw: RawRedis; dispose: () => Promise<void> }> {
  const redis = await startRedis();
  const raw = rawClient(redis.url);
  raw.on('error', () => {});
  await raw.connect();
  return {
    redis,
    raw,
    async dispose() {
      if (raw.isReady) await raw.close();
      await redis.dispose();
    },
  };
}
