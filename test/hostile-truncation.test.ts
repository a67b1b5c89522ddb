/**
 * A truncating man in the middle (hardening.md "Truncation"): a channel ended cleanly iff the
 * peer's authentic CLOSE record arrived. A forged close frame 1000 after we ended our direction is
 * a truncation (ERR_CONNECTION_CLOSED, "truncated"), on the client, on the server, in
 * `e2e2 connect` (non-zero exit), and in tunnels (the TCP side is reset, never ended with FIN).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as tcpConnect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect } from '../bindings/channel/node.js';
import { createForwardServer, listenTunnel, type TunnelListener } from '../bindings/channel/tunnel.js';
import type { E2E2Server } from '../bindings/channel/server.js';
import { assertBuilt } from './helpers/cli.js';
import { memoryKeys, sleep } from './helpers/channel.js';
import { startFixture, type Fixture } from './helpers/hostile/fixture.js';
import { expectServes, within } from './helpers/hostile/legit.js';
import { truncatingProxy, type TruncatingProxy } from './helpers/hostile/mitm.js';
import { runCliAsync } from './helpers/hostile/cli-async.js';

const WAIT_MS = 20_000;
/** Toward the client: message 2 passes, then the last two frames before the close (an echo and the CLOSE record) are cut. */
const CUT_TOWARD_CLIENT = { toward: 'client', passFirst: 1, holdBack: 2 } as const;

let fixture: Fixture;
const proxies: TruncatingProxy[] = [];
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(() => fixture?.stop());
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
});

async function proxy(port: number, plan: Parameters<typeof truncatingProxy>[1]) {
  const p = await truncatingProxy(port, plan);
  proxies.push(p);
  return p;
}

function expectTruncated(error: { code?: string; message?: string } | undefined, who: string) {
  expect(error?.code, `${who}: a cut tail must not look like a clean end`).toBe('ERR_CONNECTION_CLOSED');
  expect(error?.message).toMatch(/truncated/);
}

describe('a forged close frame 1000 after our end() is a truncation', () => {
  it('client side: the server tail is cut after the client ended', { timeout: 60_000 }, async () => {
    const mitm = await proxy(fixture.port, CUT_TOWARD_CLIENT);
    const channel = await connect(`ws://127.0.0.1:${mitm.port}/`, { apiKey: fixture.tokens[0]!, allowHalfOpen: true });
    const received: string[] = [];
    channel.on('message', (data) => received.push(Buffer.from(data).toString()));
    for (let i = 0; i < 5; i++) channel.send(`message ${i}`);
    channel.end();
    const info = await within(channel.closed, WAIT_MS, undefined);
    expect(mitm.cuts).toBe(1);
    expect(received.length).toBeLessThan(5);
    expectTruncated(info?.error, 'client');
    await expectServes(fixture);
  });

  it('server side: the client tail is cut after the server ended', { timeout: 60_000 }, async () => {
    // Message 1, the key confirmation and "end-now" pass; the client's last message and CLOSE record are cut.
    const mitm = await proxy(fixture.port, { toward: 'server', passFirst: 3, holdBack: 2 });
    const channel = await connect(`ws://127.0.0.1:${mitm.port}/`, { apiKey: fixture.tokens[1]!, allowHalfOpen: true });
    const serverEnded = new Promise<void>((resolve) => channel.on('end', resolve));
    channel.send('end-now');
    expect(await within(serverEnded, WAIT_MS, 'the server did not end')).toBeUndefined();
    channel.send('last words 1');
    channel.send('last words 2');
    channel.end();
    const closed = await fixture.waitFor((e) => e.type === 'close' && e.sessionId === channel.sessionId, WAIT_MS);
    await within(channel.closed, WAIT_MS, undefined);
    expect(mitm.cuts).toBe(1);
    expect(closed, 'the server reported the channel closed').toBeDefined();
    expectTruncated(closed?.error, 'server');
    await expectServes(fixture);
  });

  it('e2e2 connect exits non-zero when the tail is cut after stdin ended', { timeout: 90_000 }, async () => {
    assertBuilt();
    const mitm = await proxy(fixture.port, CUT_TOWARD_CLIENT);
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}\n`);
    const result = await runCliAsync(['connect', `ws://127.0.0.1:${mitm.port}/`], { env: { E2E2_API_KEY: fixture.tokens[2]! }, input: lines });
    expect(mitm.cuts).toBe(1);
    expect(result.status, `e2e2 connect stderr: ${result.stderr}`).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(result.stderr).toMatch(/truncated.*\[ERR_CONNECTION_CLOSED\]/);
    await expectServes(fixture);
  });
});

/** What a plain TCP peer saw at the end: a reset (error) or a clean FIN ('end'). */
function watchEnding(socket: Socket) {
  let sawEnd = false;
  let error: string | undefined;
  let bytes = 0;
  socket.on('data', (d: Buffer) => (bytes += d.length));
  // Settled at the first sign of the end: a FIN ('end'; allowHalfOpen sockets stay open after it), an error, or close.
  const settled = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    socket.once('error', () => resolve());
    socket.once('close', () => resolve());
  });
  socket.on('end', () => (sawEnd = true));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  return {
    settled,
    get bytes() {
      return bytes;
    },
    outcome: () => ({ sawEnd, error }),
  };
}

/**
 * How much a test sends before it cuts the tunnel. The cut comes only once all of it has arrived:
 * a Node peer that still has data in flight when the RST arrives can report a clean 'end' instead
 * of ECONNRESET (libuv takes POLLHUP after a partial read for EOF), which would blur the outcome.
 */
const STREAM_BYTES = 256 * 1024;

describe('a cut tunnel resets its TCP side', () => {
  const keys = memoryKeys();
  const token = keys.add().token;
  let service: Server;
  let forward: E2E2Server;
  let tunnel: TunnelListener | undefined;
  /** What the service does with each connection; set per test. */
  let onService: (socket: Socket) => void = () => {};
  const serviceSockets: Socket[] = [];

  beforeAll(async () => {
    service = createTcpServer({ allowHalfOpen: true }, (socket) => {
      serviceSockets.push(socket);
      socket.on('error', () => {});
      onService(socket);
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    forward = await createForwardServer({ host: '127.0.0.1', port: (service.address() as AddressInfo).port }, { keys: keys.resolve, host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await tunnel?.close();
    tunnel = undefined;
    for (const s of serviceSockets.splice(0)) s.destroy();
  });
  afterAll(async () => {
    await forward?.close();
    await new Promise<void>((resolve) => service.close(() => resolve()));
  });

  async function localClient(plan: Parameters<typeof truncatingProxy>[1]) {
    const mitm = await proxy(forward.port, plan);
    tunnel = await listenTunnel(`ws://127.0.0.1:${mitm.port}/`, { port: 0 }, { apiKey: token });
    const socket = tcpConnect({ host: '127.0.0.1', port: tunnel.port, allowHalfOpen: true });
    return { mitm, socket, ending: watchEnding(socket) };
  }

  it('the tail cut after the local client half-closed: the local client sees a reset, not a FIN', { timeout: 60_000 }, async () => {
    onService = (socket) => socket.resume().on('end', () => {
      for (let i = 0; i < 10; i++) socket.write(`response part ${i}\n`);
      socket.end();
    });
    const { mitm, socket, ending } = await localClient(CUT_TOWARD_CLIENT);
    socket.end('request\n');
    await within(ending.settled, WAIT_MS, undefined);
    expect(mitm.cuts).toBe(1);
    expect(ending.outcome()).toEqual({ sawEnd: false, error: 'ECONNRESET' });
  });

  it('the connection dropped while open: the local client sees a reset, not a FIN', { timeout: 60_000 }, async () => {
    onService = (socket) => void socket.write(Buffer.alloc(STREAM_BYTES, 0x61));
    const { mitm, ending } = await localClient({ toward: 'client', passFirst: 0, holdBack: 0 });
    for (let waited = 0; ending.bytes < STREAM_BYTES && waited < WAIT_MS; waited += 50) await sleep(50);
    expect(ending.bytes).toBe(STREAM_BYTES);
    mitm.killAll();
    await within(ending.settled, WAIT_MS, undefined);
    expect(ending.outcome()).toEqual({ sawEnd: false, error: 'ECONNRESET' });
  });

  it('the connection dropped while open: the service sees a reset, not a FIN', { timeout: 60_000 }, async () => {
    let received = 0;
    let serviceEnding: ReturnType<typeof watchEnding> | undefined;
    onService = (socket) => {
      serviceEnding = watchEnding(socket);
      socket.on('data', (d: Buffer) => (received += d.length));
    };
    const { mitm, socket } = await localClient({ toward: 'client', passFirst: 0, holdBack: 0 });
    socket.write(Buffer.alloc(STREAM_BYTES, 0x62));
    for (let waited = 0; received < STREAM_BYTES && waited < WAIT_MS; waited += 50) await sleep(50);
    expect(received).toBe(STREAM_BYTES);
    mitm.killAll();
    await within(serviceEnding!.settled, WAIT_MS, undefined);
    socket.destroy();
    expect(serviceEnding!.outcome()).toEqual({ sawEnd: false, error: 'ECONNRESET' });
  });
});
