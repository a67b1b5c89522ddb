/**
 * `e2e2 serve` (the built CLI, a child process) facing hostile HTTP on loopback: request targets,
 * headers and bodies never end the process and never reach an internal error; `--demo` hands its
 * key only to its own loopback origin, refuses unsafe flags, and its key only ever echoes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../bindings/channel/node.js';
import { createServer } from '../bindings/channel/server.js';
import { generateApiKey } from '../bindings/e2e2/api-key.js';
import { guardedHandler } from '../bindings/cli/http.js';
import { channelHandler } from '../bindings/cli/serve.js';
import { forwardTo } from '../bindings/channel/tunnel.js';
import { assertBuilt, CLI, ROOT, runCli, startCli } from './helpers/cli.js';
import { memoryKeys } from './helpers/channel.js';

const TOKEN = /e2e2_[0-9a-f]{24}_[A-Za-z0-9_-]{43}/;
let dir: string;
let store: string;
let token: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'e2e2-cli-hostile-'));
  store = join(dir, 'keys.json');
  const created = runCli(['keys', 'create', '--label', 'hostile', '--store', store, '--json']);
  expect(created.status).toBe(0);
  token = (JSON.parse(created.stdout) as { apiKey: string }).apiKey;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Served {
  port: number;
  url: string;
  /** The process has not exited and still answers a plain request. */
  alive: () => Promise<boolean>;
  stderr: () => string;
  stop: () => Promise<number | null>;
}

async function serve(extra: string[] = []): Promise<Served> {
  const ready = extra.includes('--demo') ? /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/)[\s\S]*demo page: / : /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/)/;
  const started = await startCli(['serve', '--port', '0', '--store', store, ...extra], ready);
  const port = Number(started.match[2]);
  const alive = async () =>
    started.child.exitCode === null && (await rawRequest(port, ['GET /no-such-page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'])).status !== undefined;
  return { port, url: started.match[1]!, alive, stderr: started.stderr, stop: started.stop };
}

/** Serve, run `attack`, then check the process is alive, a legitimate client still gets its echo, and it stops cleanly. */
async function survives(extra: string[], attack: (server: Served) => Promise<void>): Promise<void> {
  const server = await serve(extra);
  try {
    await attack(server);
    expect(await server.alive(), `the server died: ${server.stderr()}`).toBe(true);
    const channel = await connect(server.url, { apiKey: token });
    const iterator = channel[Symbol.asyncIterator]();
    channel.send('still alive');
    const back = await iterator.next();
    expect(new TextDecoder().decode(back.value as Uint8Array)).toBe('still alive');
    await channel.close();
    expect(server.stderr()).not.toMatch(TOKEN);
    // Hostile input is the client's fault: nothing reached the internal-fault path.
    expect(server.stderr()).not.toMatch(/HTTP request failed/);
    expect(await server.stop()).toBe(0);
  } finally {
    await server.stop();
  }
}

interface RawResponse {
  status: number | undefined;
  raw: string;
}

type Then = 'keep' | 'end' | 'destroy';

/**
 * Send bytes on a fresh TCP connection and collect whatever comes back until the server closes
 * (or `waitMs` pass). `then`: keep our side open like a browser (default; the request says
 * Connection: close), half-close (Node then drops requests still in progress), or destroy at once
 * (a client vanishing mid-request).
 */
function rawRequest(port: number, parts: (string | Uint8Array)[], then: Then = 'keep', host = '127.0.0.1', waitMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => socket.destroy(), waitMs);
    const done = () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3}) /.exec(raw);
      resolve({ status: match ? Number(match[1]) : undefined, raw });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', done);
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
      if (then === 'end') socket.end();
      if (then === 'destroy') socket.destroy();
    });
  });
}

/** The body of a raw response (after the head; chunked framing removed). */
function bodyOf(response: RawResponse): string {
  const at = response.raw.indexOf('\r\n\r\n');
  if (at < 0) return '';
  let body = response.raw.slice(at + 4);
  if (!/^transfer-encoding: chunked/im.test(response.raw.slice(0, at))) return body;
  let out = '';
  for (;;) {
    const line = body.indexOf('\r\n');
    const size = parseInt(body.slice(0, line), 16);
    if (!(size > 0)) return out;
    out += body.slice(line + 2, line + 2 + size);
    body = body.slice(line + 4 + size);
  }
}

/** Nothing internal in a response: no stack frames, file paths or Node error names. */
function expectNoInternals(response: RawResponse): void {
  expect(response.raw).not.toMatch(/node:internal|\/work\/|\bat [\w.<>]+ \(|Error:|ENOENT|ERR_INVALID_URL/);
}

/** Request targets Node's parser lets through that are not origin-form ("/path?query"): the handler answers 400. */
const HOSTILE_TARGETS = ['//[', 'http://[', '*', 'http://127.0.0.1/api/echo', 'https://example.com/', '//evil.example/api/echo', '/\\evil.example/api/echo', `/${'a'.repeat(12_000)}`, '//'];

describe.each([
  ['e2e2 serve', []],
  ['e2e2 serve --demo', ['--demo']],
])('%s: hostile request targets', (_name, extra) => {
  it('a request target no URL parser accepts answers 400 and the process keeps serving', async () => {
    await survives(extra, async (server) => {
      for (const target of HOSTILE_TARGETS) {
        for (const method of ['GET', 'POST', 'OPTIONS']) {
          const body = method === 'POST' ? 'x' : '';
          const response = await rawRequest(server.port, [`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`]);
          expect(response.status, `${method} ${target.slice(0, 40)}`).toBe(400);
          expect(JSON.parse(bodyOf(response))).toEqual({ error: 'ERR_BAD_REQUEST_TARGET' });
          expectNoInternals(response);
          expect(await server.alive(), `${method} ${target.slice(0, 40)} killed the server: ${server.stderr()}`).toBe(true);
        }
      }
    });
  });
});

describe('e2e2 serve: hostile bodies on POST /api/echo', () => {
  const head = (port: number, headers: string) => `POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: E2E2-EAPI nonsense\r\n${headers}\r\n`;

  it('a body over the limit gets 413 (the client reads it), then the connection closes', async () => {
    await survives([], async (server) => {
      const big = 'b'.repeat(70 * 1024);
      const sized = await rawRequest(server.port, [head(server.port, `Content-Length: ${big.length}\r\n`), big]);
      expect(sized.status).toBe(413);
      expect(bodyOf(sized)).toContain('ERR_PAYLOAD_TOO_LARGE');
      const chunked = await rawRequest(server.port, [head(server.port, 'Transfer-Encoding: chunked\r\n'), `${(70 * 1024).toString(16)}\r\n${big}\r\n0\r\n\r\n`]);
      expect(chunked.status).toBe(413);
      // A client that never stops sending: the answer still comes and the server hangs up.
      const endless = await new Promise<number | undefined>((resolve) => {
        const socket = netConnect({ host: '127.0.0.1', port: server.port });
        let raw = '';
        socket.on('error', () => {});
        socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
        socket.on('close', () => {
          clearInterval(pump);
          resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]) || undefined);
        });
        socket.write(head(server.port, 'Transfer-Encoding: chunked\r\n'));
        const chunk = `4000\r\n${'c'.repeat(0x4000)}\r\n`;
        const pump = setInterval(() => socket.writable && socket.write(chunk), 5);
        setTimeout(() => socket.destroy(), 20_000);
      });
      expect(endless).toBe(413);
    });
  });

  it('truncated, aborted and malformed bodies never end the process', async () => {
    await survives([], async (server) => {
      const cases: [parts: string[], then: Then][] = [
        [[head(server.port, 'Content-Length: 1000\r\n'), 'only ten b'], 'destroy'],
        [[head(server.port, 'Content-Length: 1000\r\n'), 'only ten b'], 'end'],
        [[head(server.port, 'Transfer-Encoding: chunked\r\n'), 'zz\r\nxx\r\n0\r\n\r\n'], 'end'],
        [[head(server.port, 'Transfer-Encoding: chunked\r\n'), '5\r\nab'], 'destroy'],
        [[head(server.port, 'Transfer-Encoding: chunked\r\n'), 'ffffffffffffffffff\r\n'], 'end'],
        [[head(server.port, 'Content-Length: 5\r\nContent-Length: 6\r\n'), 'hello!'], 'end'],
        [[head(server.port, 'Content-Length: -1\r\n'), ''], 'end'],
        [[head(server.port, 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n'), '3\r\nabc\r\n0\r\n\r\n'], 'end'],
      ];
      for (const [parts, then] of cases) {
        const response = await rawRequest(server.port, parts, then);
        if (response.status !== undefined) expect(response.status).toBeLessThan(500);
        expectNoInternals(response);
        expect(await server.alive(), `${JSON.stringify(parts).slice(0, 120)} killed the server: ${server.stderr()}`).toBe(true);
      }
      // A complete request with a bad signature is an ordinary 401 with a stable code.
      const bad = await rawRequest(server.port, [head(server.port, 'Content-Length: 2\r\nConnection: close\r\n'), '{}']);
      expect(bad.status).toBe(401);
      expect(JSON.parse(bodyOf(bad))).toEqual({ verified: false, error: 'ERR_MALFORMED_MESSAGE' });
    });
  });
});

/** xorshift32: reproducible test data (not cryptographic). */
function random(seed: number) {
  let x = seed | 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const below = (n: number) => next() % n;
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => below(256));
  return { below, pick, bytes };
}

/** One hostile request: random bytes, bad methods and targets, huge or broken headers, broken bodies. */
function fuzzRequest(r: ReturnType<typeof random>, port: number): { parts: (string | Uint8Array)[]; then: Then } {
  const host = r.pick([`127.0.0.1:${port}`, `localhost:${port}`, 'evil.example', '[', '', `127.0.0.1:${port}\u0000`, 'a'.repeat(3000)]);
  const method = r.pick(['GET', 'POST', 'PUT', 'OPTIONS', 'get', 'G\u0000T', 'CONNECT', 'A'.repeat(300), String.fromCharCode(...r.bytes(5))]);
  const target = r.pick([...HOSTILE_TARGETS, '/', '/api/echo', '/demo/config.json', '/app.js', '/e2e2.js', '/%zz', '/?%ff', '/\u007f', '/demo/config.json?x=//[', '/[', '/api/../api/echo', 'api/echo', '?x', String.fromCharCode(...r.bytes(20))]);
  const version = r.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '']);
  const header = () =>
    r.pick([
      `Origin: ${r.pick(['http://evil.example', 'null', `http://127.0.0.1:${port}`, '//[', ''])}`,
      `Authorization: E2E2-EAPI ${String.fromCharCode(...r.bytes(r.below(200)))}`,
      `X-Big: ${'x'.repeat(r.pick([100, 20_000, 70_000]))}`,
      `${String.fromCharCode(...r.bytes(8))}: ${String.fromCharCode(...r.bytes(8))}`,
      'Expect: 100-continue',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-Fetch-Site: cross-site',
    ]);
  const headers = Array.from({ length: r.below(6) }, header).join('\r\n');
  const body = r.pick([
    '',
    'Content-Length: 10\r\n\r\nshort',
    'Content-Length: 3\r\n\r\nabc',
    'Transfer-Encoding: chunked\r\n\r\nzz\r\n',
    'Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'Transfer-Encoding: chunked\r\n\r\n-1\r\n',
    `Content-Length: 70000\r\n\r\n${'b'.repeat(70_000)}`,
    'Content-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  ]);
  const then = r.pick(['keep', 'end', 'destroy'] as const);
  switch (r.below(5)) {
    case 0:
      return { parts: [r.bytes(r.below(3000))], then };
    case 1:
      return { parts: [`${method} ${target} ${version}\r\n`, r.bytes(r.below(100))], then };
    default: {
      const request = `${method} ${target} ${version}\r\nHost: ${host}\r\nConnection: close\r\n${headers}${headers ? '\r\n' : ''}${body || '\r\n'}`;
      // Sometimes in small pieces (a slow client), sometimes cut short.
      if (r.below(3) === 0) return { parts: request.match(/[\s\S]{1,7}/g) ?? [], then };
      return { parts: [r.below(4) === 0 ? request.slice(0, r.below(request.length)) : request], then };
    }
  }
}

describe.each([
  ['e2e2 serve', []],
  ['e2e2 serve --demo', ['--demo']],
])('%s: request fuzzer', (_name, extra) => {
  it('300 hostile requests: no crash, no internal error, no leaked key', async () => {
    const seed = Number(process.env.E2E2_FUZZ_SEED ?? 0x5eed) >>> 0;
    const r = random(seed);
    const statuses = new Map<number | undefined, number>();
    await survives(extra, async (server) => {
      for (let batch = 0; batch < 300 / 15; batch++) {
        const responses = await Promise.all(
          Array.from({ length: 15 }, () => {
            const { parts, then } = fuzzRequest(r, server.port);
            // An incomplete request kept open waits for Node's header timeout: cut it after 2 s.
            return rawRequest(server.port, parts, then, '127.0.0.1', 2_000);
          }),
        );
        for (const response of responses) {
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(response.status ?? 0, `seed ${seed}: ${response.raw.slice(0, 200)}`).toBeLessThan(500);
          expect(response.raw, `seed ${seed}`).not.toMatch(TOKEN);
          expectNoInternals(response);
        }
        expect(await server.alive(), `seed ${seed}, batch ${batch} killed the server: ${server.stderr()}`).toBe(true);
      }
      // The fuzzer must have reached the handler, not only Node's parser.
      expect(statuses.get(400) ?? 0).toBeGreaterThan(10);
      expect([...statuses.keys()].filter((s) => s !== undefined && s !== 400).length).toBeGreaterThan(1);
    });
  });
});

describe('e2e2 serve: its log', () => {
  it('a closed stderr does not end the process when peers make it log', async () => {
    const started = await startCli(['serve', '--port', '0', '--store', store], /listening on (ws:\/\/127\.0\.0\.1:\d+\/)/);
    try {
      started.child.stderr.destroy();
      // Each failed handshake writes a log line to the now broken pipe.
      for (let i = 0; i < 3; i++) await expect(connect(started.match[1]!, { apiKey: generateApiKey().token })).rejects.toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED' });
      const channel = await connect(started.match[1]!, { apiKey: token });
      const iterator = channel[Symbol.asyncIterator]();
      channel.send('logless');
      expect(new TextDecoder().decode((await iterator.next()).value as Uint8Array)).toBe('logless');
      await channel.close();
      expect(started.child.exitCode).toBeNull();
    } finally {
      expect(await started.stop()).toBe(0);
    }
  });
});

describe('e2e2 serve --demo: the demo key stays on its loopback origin', () => {
  const get = (port: number, path: string, headers: string, version = 'HTTP/1.1') => rawRequest(port, [`GET ${path} ${version}\r\n${headers}Connection: close\r\n\r\n`]);

  it('config.json and the page answer only to Host 127.0.0.1:PORT or localhost:PORT, and a same-origin or absent Origin', async () => {
    await survives(['--demo'], async (server) => {
      const p = server.port;
      for (const host of [`127.0.0.1:${p}`, `localhost:${p}`]) {
        for (const origin of ['', `Origin: http://${host}\r\n`, 'Sec-Fetch-Site: same-origin\r\n']) {
          const ok = await get(p, '/demo/config.json', `Host: ${host}\r\n${origin}`);
          expect(ok.status, `${host} ${origin}`).toBe(200);
          const config = JSON.parse(bodyOf(ok)) as { url: string; apiKey: string; keyId: string };
          expect(config.apiKey).toMatch(TOKEN);
          expect(config.url).toBe(server.url);
          expect(ok.raw).toMatch(/cache-control: no-store/i);
        }
        for (const path of ['/', '/app.js', '/e2e2.js']) expect((await get(p, path, `Host: ${host}\r\n`)).status, path).toBe(200);
      }

      // DNS rebinding: another name (or port) that happens to reach 127.0.0.1.
      for (const host of ['evil.example', `evil.example:${p}`, `127.0.0.1:${p + 1}`, '127.0.0.1', `localhost.evil.example:${p}`, `127.0.0.2:${p}`, `[::1]:${p}`, `127.0.0.1:${p}.evil.example`, `127.0.0.1:${p}@evil`]) {
        for (const path of ['/demo/config.json', '/', '/app.js']) {
          const refused = await get(p, path, `Host: ${host}\r\n`);
          expect(refused.status, `${host} ${path}`).toBe(421);
          expect(refused.raw).not.toMatch(TOKEN);
          expect(bodyOf(refused)).toContain('ERR_MISDIRECTED_REQUEST');
        }
      }
      // No Host at all (HTTP/1.0; Node itself refuses an HTTP/1.1 request without one).
      const noHost = await get(p, '/demo/config.json', '', 'HTTP/1.0');
      expect(noHost.status).toBe(421);
      expect(noHost.raw).not.toMatch(TOKEN);

      // A page of another origin asking with the right Host.
      const foreign = [
        'Origin: http://evil.example\r\n',
        'Origin: null\r\n',
        `Origin: http://127.0.0.1:${p + 1}\r\n`,
        `Origin: https://127.0.0.1:${p}\r\n`,
        `Origin: http://localhost:${p}\r\n`,
        `Origin: http://127.0.0.1:${p}/\r\n`,
        'Sec-Fetch-Site: cross-site\r\n',
        'Sec-Fetch-Site: same-site\r\n',
      ];
      for (const header of foreign) {
        for (const path of ['/demo/config.json', '/']) {
          const refused = await get(p, path, `Host: 127.0.0.1:${p}\r\n${header}`);
          expect(refused.status, `${header.trim()} ${path}`).toBe(403);
          expect(refused.raw).not.toMatch(TOKEN);
          expect(bodyOf(refused)).toContain('ERR_FORBIDDEN_ORIGIN');
        }
      }
      // Never readable across origins: no CORS grant, and the browser may not embed it elsewhere.
      const ok = await get(p, '/demo/config.json', `Host: 127.0.0.1:${p}\r\n`);
      expect(ok.raw).not.toMatch(/access-control-allow-origin/i);
      expect(ok.raw).toMatch(/cross-origin-resource-policy: same-origin/i);
      expect(ok.raw).toMatch(/x-content-type-options: nosniff/i);
    });
  });

  it('without --demo there is no config.json', async () => {
    await survives([], async (server) => {
      const response = await get(server.port, '/demo/config.json', `Host: 127.0.0.1:${server.port}\r\n`);
      expect(response.status).toBe(404);
      expect(response.raw).not.toMatch(TOKEN);
    });
  });

  it('refuses a non-loopback --host and --forward, exit 2 with one clear line, before listening', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--store', store, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    // Addresses this machine cannot bind come first: a build without the check fails fast on them.
    for (const host of ['192.0.2.1', 'example.invalid', '127.0.0.1.example', '::ffff:192.0.2.1', '0.0.0.0', '::']) {
      const result = run(['--demo', '--host', host]);
      expect(result.status, host).toBe(2);
      expect(result.stderr).toBe('e2e2: --demo hands its API key to local browser pages: --host must be a loopback address (127.0.0.0/8, ::1 or localhost) (see --help)\n');
      expect(result.stdout).not.toMatch(/listening/);
    }
    const forward = run(['--demo', '--forward', '127.0.0.1:9']);
    expect(forward.status).toBe(2);
    expect(forward.stderr).toBe('e2e2: --demo cannot be combined with --forward: the demo key must only reach the echo handler (see --help)\n');
    expect(forward.stdout).not.toMatch(/listening/);
  });

  it('other loopback hosts are accepted, and their own authority is the one checked', async () => {
    const started = await startCli(['serve', '--demo', '--host', '127.0.0.2', '--port', '0', '--store', store], /demo page: http:\/\/127\.0\.0\.2:(\d+)\//);
    try {
      const p = Number(started.match[1]);
      const status = async (host: string) => (await rawRequest(p, [`GET /demo/config.json HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`], 'keep', '127.0.0.2')).status;
      expect(await status(`127.0.0.2:${p}`)).toBe(200);
      expect(await status(`127.0.0.1:${p}`)).toBe(421);
      // localhost resolves to 127.0.0.1 or ::1, never to this server.
      expect(await status(`localhost:${p}`)).toBe(421);
    } finally {
      expect(await started.stop()).toBe(0);
    }
  });
});

describe('the demo key only ever echoes', () => {
  let target: NetServer;
  let tcpConnections = 0;
  beforeAll(async () => {
    target = createNetServer({ allowHalfOpen: true }, (socket) => {
      tcpConnections++;
      socket.on('data', (d: Buffer) => socket.write(`tcp:${d.toString()}`));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));

  it('even on a server whose other keys are tunnelled to a TCP service', async () => {
    const keys = memoryKeys();
    const demo = keys.add();
    const other = keys.add();
    const address = target.address() as { port: number };
    const server = await createServer({ keys: keys.resolve, host: '127.0.0.1', port: 0, allowHalfOpen: true, onChannel: channelHandler(forwardTo({ host: '127.0.0.1', port: address.port }), demo.keyId) });
    try {
      const roundTrip = async (apiKey: string, text: string) => {
        const channel = await connect(server.url, { apiKey });
        const iterator = channel[Symbol.asyncIterator]();
        channel.send(text);
        const back = new TextDecoder().decode((await iterator.next()).value as Uint8Array);
        const closed = await channel.close();
        return { back, closed };
      };
      const viaDemo = await roundTrip(demo.token, 'demo');
      expect(viaDemo.back).toBe('demo');
      expect(viaDemo.closed.error).toBeUndefined();
      expect(tcpConnections).toBe(0);
      const viaOther = await roundTrip(other.token, 'other');
      expect(viaOther.back).toBe('tcp:other');
      expect(tcpConnections).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('guardedHandler', () => {
  it('a handler that throws, rejects or fails mid-answer: 500 ERR_INTERNAL or a cut connection, always reported, never a crash', async () => {
    const reported: unknown[] = [];
    const handlers: Record<string, (request: IncomingMessage, response: ServerResponse) => void | Promise<void>> = {
      '/throw': () => {
        throw new Error('internal detail /work/secret');
      },
      '/reject': async () => {
        await Promise.resolve();
        throw undefined;
      },
      '/late': async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('partial');
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('failed after the answer started');
      },
      '/reporter': () => {
        throw new Error('the reporter throws too');
      },
    };
    const http = createHttpServer(
      guardedHandler(
        (request, response) => handlers[request.url!]!(request, response),
        (error) => {
          reported.push(error);
          if ((error as Error | undefined)?.message === 'the reporter throws too') throw new Error('reporter failed');
        },
      ),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    try {
      const ask = (path: string) => rawRequest(port, [`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
      for (const path of ['/throw', '/reject', '/reporter']) {
        const response = await ask(path);
        expect(response.status, path).toBe(500);
        expect(JSON.parse(bodyOf(response))).toEqual({ error: 'ERR_INTERNAL' });
        expectNoInternals(response);
        expect(response.raw).not.toContain('secret');
      }
      // The answer had started: the connection is cut, so the client sees an incomplete chunked body.
      const late = await ask('/late');
      expect(late.status).toBe(200);
      expect(late.raw).toContain('partial');
      expect(late.raw).not.toMatch(/\r\n0\r\n\r\n$/);
      expect(reported.map((e) => (e as Error | undefined)?.message)).toEqual(['internal detail /work/secret', undefined, 'the reporter throws too', 'failed after the answer started']);
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
