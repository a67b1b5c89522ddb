/**
 * `e2e2/net`: E2-E2 over raw TCP (SPEC.md §7.8) on loopback, client and server in this process.
 * Echo with a clean end on both sides; 100 MB through pipeline() and channelDuplex() with the
 * SHA-256 equal at both ends; truncation by a framing-aware proxy that cuts the stream before a
 * CLOSE record (FIN or reset), which is ERR_CONNECTION_CLOSED and never a clean end; a wrong key,
 * a refused port, and the server's stats and close().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';
import { channelDuplex, connect, createServer, type Channel, type E2E2Server } from '../bindings/net.js';
import { formatApiKey, generateApiKey } from '../bindings/e2e2/api-key.js';
import { memoryKeys } from './helpers/channel.js';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;
const BIG_TIMEOUT_MS = 240_000;

async function nextMessage(channel: Channel): Promise<Uint8Array> {
  const r = await channel[Symbol.asyncIterator]().next();
  if (r.done) throw new Error('channel ended');
  return r.value;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

/** Echo every message back until the client ends. */
async function echo(channel: Channel): Promise<void> {
  for await (const message of channel) {
    if (!channel.writable) break;
    if (!channel.send(message)) await channel.drained();
  }
}

describe('e2e2/net: connect, echo, close', () => {
  const keys = memoryKeys();
  let server: E2E2Server;
  const serverChannels: Channel[] = [];
  beforeAll(async () => {
    server = await createServer({
      keys: keys.resolve,
      onChannel: (channel) => {
        serverChannels.push(channel);
        return echo(channel);
      },
    });
  });
  afterAll(() => server.close());

  it('handshakes over TCP, echoes, and both ends close cleanly (1000, no error)', async () => {
    const key = keys.add();
    expect(server.url).toBe(`tcp://127.0.0.1:${server.port}`);
    const channel = await connect({ port: server.port, apiKey: key.token });
    expect(channel.keyId).toBe(key.keyId);
    channel.send('hello');
    expect(new TextDecoder().decode(await nextMessage(channel))).toBe('hello');
    // The largest record fits one §7.4 frame of 65,535 bytes.
    const big = randomBytes(65_518);
    channel.send(big);
    expect(Buffer.from(await nextMessage(channel)).equals(big)).toBe(true);
    const peer = serverChannels.find((c) => c.sessionId === channel.sessionId)!;
    expect(peer).toBeDefined();
    expect(server.channelBySessionId(channel.sessionId)).toBe(peer);
    await channel.close();
    const [mine, theirs] = await Promise.all([channel.closed, peer.closed]);
    expect([mine.code, mine.error, mine.initiator]).toEqual([1000, undefined, 'local']);
    expect([theirs.error, theirs.initiator]).toEqual([undefined, 'remote']);
    expect(server.stats.handshakes).toBeGreaterThanOrEqual(1);
  });

  it('a wrong API key for a known key id is ERR_AUTHENTICATION_FAILED; an unknown key id looks the same', async () => {
    const key = keys.add();
    const wrong = formatApiKey({ keyId: key.keyId, secret: generateApiKey().secret });
    const a = await rejection(connect({ port: server.port, apiKey: wrong }));
    const b = await rejection(connect({ port: server.port, apiKey: generateApiKey().token }));
    expect([a.code, b.code]).toEqual(['ERR_AUTHENTICATION_FAILED', 'ERR_AUTHENTICATION_FAILED']);
    expect(a.message).toBe(b.message);
    // The server still serves.
    const channel = await connect({ port: server.port, apiKey: key.token });
    channel.send('still here');
    expect(new TextDecoder().decode(await nextMessage(channel))).toBe('still here');
    await channel.close();
  });

  it('a port nobody listens on is ERR_CONNECTION_CLOSED "could not be opened (ECONNREFUSED)"', async () => {
    const idle = createTcpServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const port = (idle.address() as AddressInfo).port;
    await new Promise<void>((resolve) => idle.close(() => resolve()));
    const error = await rejection(connect({ port, apiKey: keys.add().token }));
    expect(error.code).toBe('ERR_CONNECTION_CLOSED');
    expect(error.message).toBe('the connection could not be opened (ECONNREFUSED)');
  });

  it('refuses WebSocket-only options and a bad port with ERR_INVALID_ARGUMENT', async () => {
    await expect(createServer({ keys: keys.resolve, path: '/x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(connect({ port: 0, apiKey: keys.add().token })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => server.httpServer).toThrow(/no HTTP server/);
  });
});

/**
 * A TCP proxy that reads the §7.4 frames going one way and, after `passFrames` of them, cuts that
 * direction: 'fin' ends it cleanly at the TCP level, 'reset' destroys both connections. What it
 * drops is the CLOSE record (and anything after it).
 */
interface CutPlan {
  toward: 'client' | 'server';
  passFrames: number;
  how: 'fin' | 'reset';
}
async function cuttingProxy(targetPort: number, plan: CutPlan): Promise<{ port: number; cut: Promise<void>; close: () => Promise<void> }> {
  let signalCut!: () => void;
  const cut = new Promise<void>((resolve) => (signalCut = resolve));
  const sockets = new Set<Socket>();
  const proxy: TcpServer = createTcpServer({ allowHalfOpen: true }, (client) => {
    const upstream = tcpConnect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    const forward = (from: Socket, to: Socket, counted: boolean) => {
      let pending = Buffer.alloc(0);
      let frames = 0;
      let done = false;
      from.on('data', (chunk: Buffer) => {
        if (done) return;
        if (!counted) {
          to.write(chunk);
          return;
        }
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && !done) {
          const length = pending.readUInt16BE(0);
          if (pending.length < 2 + length) break;
          if (frames === plan.passFrames) {
            done = true;
            if (plan.how === 'fin') to.end();
            else {
              to.destroy();
              from.destroy();
            }
            signalCut();
            return;
          }
          to.write(pending.subarray(0, 2 + length));
          pending = pending.subarray(2 + length);
          frames++;
        }
      });
      from.on('end', () => {
        if (!done) to.end();
      });
    };
    forward(client, upstream, plan.toward === 'server');
    forward(upstream, client, plan.toward === 'client');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    cut,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

describe('e2e2/net: truncation is never a clean end', () => {
  const keys = memoryKeys();
  let server: E2E2Server;
  const serverChannels = new Map<string, Channel>();
  beforeAll(async () => {
    // The server sends three messages and its CLOSE record (end()) as soon as a channel opens.
    server = await createServer({
      keys: keys.resolve,
      closeTimeoutMs: 2000,
      onChannel: (channel) => {
        serverChannels.set(channel.sessionId, channel);
        void (async () => {
          const first = await nextMessage(channel).catch(() => undefined);
          if (first === undefined) return;
          if (new TextDecoder().decode(first) !== 'send three') return;
          for (const text of ['one', 'two', 'three']) channel.send(text);
          channel.end();
        })();
      },
    });
  });
  afterAll(() => server.close());

  for (const how of ['fin', 'reset'] as const) {
    it(`toward the client (${how} before the server's CLOSE record): the client gets every message, then ERR_CONNECTION_CLOSED`, async () => {
      // Frames toward the client: message 2, 'one', 'two', 'three', then the CLOSE record (dropped).
      const proxy = await cuttingProxy(server.port, { toward: 'client', passFrames: 4, how });
      try {
        const channel = await connect({ port: proxy.port, apiKey: keys.add().token });
        channel.send('send three');
        const received: string[] = [];
        let failure: { code?: string } | undefined;
        try {
          for await (const m of channel) received.push(new TextDecoder().decode(m));
        } catch (error) {
          failure = error as { code?: string };
        }
        expect(received).toEqual(['one', 'two', 'three']);
        expect(failure?.code).toBe('ERR_CONNECTION_CLOSED');
        const info = await channel.closed;
        expect(info.error?.code).toBe('ERR_CONNECTION_CLOSED');
        expect(info.code).toBe(1006);
      } finally {
        await proxy.close();
      }
    });
  }

  it("toward the server (FIN before the client's CLOSE record): the server's channel ends with ERR_CONNECTION_CLOSED", async () => {
    // Frames toward the server: message 1, key confirmation, 'hello', then the client's CLOSE record (dropped).
    const proxy = await cuttingProxy(server.port, { toward: 'server', passFrames: 3, how: 'fin' });
    try {
      const channel = await connect({ port: proxy.port, apiKey: keys.add().token, allowHalfOpen: true });
      channel.send('hello');
      channel.end();
      await proxy.cut;
      const peer = await waitFor(() => serverChannels.get(channel.sessionId));
      const info = await peer.closed;
      expect(info.error?.code).toBe('ERR_CONNECTION_CLOSED');
      expect(info.code).toBe(1006);
      const mine = await channel.closed;
      expect(mine.error?.code).toBe('ERR_CONNECTION_CLOSED');
    } finally {
      await proxy.close();
    }
  });
});

async function waitFor<T>(get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out waiting');
}

describe('e2e2/net: channelDuplex() pipeline of 100 MB', () => {
  it('through an echo server: SHA-256 equal at both ends and on the way back, clean end', { timeout: BIG_TIMEOUT_MS }, async () => {
    const keys = memoryKeys();
    const serverHash = { hash: createHash('sha256'), bytes: 0 };
    let serverDone!: Promise<void>;
    const server = await createServer({
      keys: keys.resolve,
      allowHalfOpen: true,
      onChannel: (channel) => {
        // Echo by hand (reading with destroyOnReturn: false): under Node 20 an async iteration
        // that ends destroys the Duplex, whose writable side still has to send the echo's tail.
        const duplex = channelDuplex(channel);
        serverDone = (async () => {
          for await (const chunk of duplex.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
            serverHash.hash.update(chunk);
            serverHash.bytes += chunk.length;
            if (!duplex.write(chunk)) await once(duplex, 'drain');
          }
          duplex.end();
          await finished(duplex);
        })();
      },
    });
    try {
      const channel = await connect({ port: server.port, apiKey: keys.add().token, allowHalfOpen: true });
      const duplex = channelDuplex(channel);
      const total = 100 * MB;
      const sent = createHash('sha256');
      const back = createHash('sha256');
      let produced = 0;
      let received = 0;
      const started = performance.now();
      const reading = (async () => {
        for await (const chunk of duplex.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
          back.update(chunk);
          received += chunk.length;
        }
      })();
      await pipeline(
        (async function* generate() {
          while (produced < total) {
            const piece = randomBytes(Math.min(CHUNK, total - produced));
            sent.update(piece);
            produced += piece.length;
            yield piece;
          }
        })(),
        duplex,
      );
      await reading;
      await finished(duplex).catch(() => undefined);
      await serverDone;
      const seconds = (performance.now() - started) / 1000;
      console.log(`100 MB each way through e2e2/net: ${seconds.toFixed(1)} s (${((2 * total) / MB / seconds).toFixed(0)} MB/s both directions, load average ${loadavg()[0]!.toFixed(1)})`);
      const digest = sent.digest('hex');
      expect(serverHash.bytes).toBe(total);
      expect(serverHash.hash.digest('hex')).toBe(digest);
      expect(received).toBe(total);
      expect(back.digest('hex')).toBe(digest);
      const info = await channel.closed;
      expect(info.error).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('e2e2/net: server.close()', () => {
  it('ends open channels cleanly (CLOSE records, then FIN), drops a pending connection, and stops listening', async () => {
    const keys = memoryKeys();
    const server = await createServer({ keys: keys.resolve, closeTimeoutMs: 1000, onChannel: echo });
    const port = server.port;
    const channel = await connect({ port, apiKey: keys.add().token });
    channel.send('before close');
    expect(new TextDecoder().decode(await nextMessage(channel))).toBe('before close');
    // A connection that never sends message 1.
    const pending = tcpConnect({ port, host: '127.0.0.1' });
    pending.on('error', () => {});
    const pendingEnded = new Promise<void>((resolve) => pending.once('close', () => resolve()));
    await new Promise<void>((resolve) => pending.once('connect', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats.pendingHandshakes).toBe(1);
    await server.close();
    const info = await channel.closed;
    expect([info.error, info.initiator]).toEqual([undefined, 'remote']);
    await pendingEnded;
    const error = await rejection(connect({ port, apiKey: keys.add().token }));
    expect(error.code).toBe('ERR_CONNECTION_CLOSED');
  });
});
