/**
 * The channel server's hardening, one defect class per test (in-process; the child-process attack
 * suite is test/hostile-*.test.ts): truncation, ownership of resolver buffers, listener
 * containment, backpressure, EAPIs ending with their session, keepalive, session age, revocation,
 * pre-authentication limits, typed handshake errors, the key confirmation with rekeyAfterRecords 1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect as tcpConnect, createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createForwardServer, listenTunnel } from '../bindings/channel/tunnel.js';
import { KeyStoreError } from '../bindings/errors.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { connect } from '../bindings/channel/node.js';
import { CloseCode } from '../bindings/channel/close-codes.js';
import type { E2E2Server, ServerOptions } from '../bindings/channel/server.js';
import type { Channel } from '../bindings/channel/channel.js';
import { createClientHandshake, createServerHandshake } from '../bindings/e2e2/handshake.js';
import { formatApiKey, generateApiKey } from '../bindings/e2e2/api-key.js';
import { MAX_RECORD_DATA_BYTES } from '../bindings/e2e2/constants.js';
import type { E2E2Error } from '../bindings/errors.js';
import { echoHandler, memoryKeys, pattern, rawPeer, sleep, startEchoServer, type Keys } from './helpers/channel.js';

// Every wait below is bounded; no test here should take more than a few seconds, even on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

const decoder = new TextDecoder();
const servers: E2E2Server[] = [];

/** A server that records its 'error' events (none are printed) and is closed after the test. */
async function server(keys: Keys, options: Partial<ServerOptions> = {}): Promise<{ server: E2E2Server; errors: { error: E2E2Error; channel?: Channel }[] }> {
  const s = await startEchoServer(keys, options);
  const errors: { error: E2E2Error; channel?: Channel }[] = [];
  s.on('error', (error, info) => errors.push({ error, ...(info.channel ? { channel: info.channel } : {}) }));
  servers.push(s);
  return { server: s, errors };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function nextMessage(channel: Channel): Promise<Uint8Array> {
  const r = await channel[Symbol.asyncIterator]().next();
  if (r.done) throw new Error('channel ended');
  return r.value;
}

async function echoOnce(url: string, keys: Keys, text = 'still serving'): Promise<void> {
  const channel = await connect(url, { apiKey: keys.add().token });
  channel.send(text);
  expect(decoder.decode(await nextMessage(channel))).toBe(text);
  expect((await channel.close()).error).toBeUndefined();
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

/**
 * A hand-written E2-E2 server on a raw `ws` server: it runs the handshake and then lets the test
 * decide what goes on the wire (for truncation by a forged close frame).
 */
async function rawE2E2Server(keys: Keys, afterHandshake: (ws: WebSocket, session: import('../bindings/e2e2/session.js').ServerSession) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    const handshake = createServerHandshake({ resolveKey: keys.resolve });
    let session: import('../bindings/e2e2/session.js').ServerSession | undefined;
    ws.on('message', (data: Buffer) => {
      if (session === undefined) {
        void handshake.respond(new Uint8Array(data)).then(({ message2, session: s }) => {
          session = s;
          ws.send(message2);
        });
        return;
      }
      if (session.state === 'pending') {
        session.open(new Uint8Array(data));
        afterHandshake(ws, session);
      }
    });
  });
  const port = (wss.address() as { port: number }).port;
  return { url: `ws://127.0.0.1:${port}/`, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

describe('truncation: only the peer CLOSE record is a clean end', () => {
  it('a forged close frame 1000 after our end() is a truncation, on the client', async () => {
    const keys = memoryKeys();
    // The "server" never sends its CLOSE record: it answers our CLOSE with a bare close frame 1000,
    // which anyone on the path could have sent.
    const raw = await rawE2E2Server(keys, (ws, session) => {
      ws.send(session.seal(new TextEncoder().encode('first part')));
      ws.on('message', () => ws.close(1000, 'closed'));
    });
    try {
      const channel = await connect(raw.url, { apiKey: keys.add().token, allowHalfOpen: true });
      expect(decoder.decode(await nextMessage(channel))).toBe('first part');
      channel.end();
      const info = await channel.closed;
      expect(info.code).toBe(1000);
      expect(info.error?.code).toBe('ERR_CONNECTION_CLOSED');
      expect(info.error?.message).toMatch(/truncated/);
    } finally {
      await raw.close();
    }
  });

  it('a client that closes with 1000 without its CLOSE record is a truncation, on the server', async () => {
    const keys = memoryKeys();
    let serverChannel: Channel | undefined;
    const { server: s } = await server(keys, {
      allowHalfOpen: true,
      onChannel(channel) {
        serverChannel = channel;
        channel.end();
      },
    });
    const key = keys.add();
    const peer = await rawPeer(s.url);
    const handshake = createClientHandshake({ apiKey: key.token });
    peer.ws.send(handshake.writeMessage1());
    const session = handshake.readMessage2(await peer.nextMessage());
    peer.ws.send(session.seal(new Uint8Array(0)));
    expect(session.open(await peer.nextMessage())).toEqual({ type: 'close' });
    peer.ws.close(1000, 'closed');
    await until(() => serverChannel !== undefined);
    const info = await serverChannel!.closed;
    expect(info.error?.code).toBe('ERR_CONNECTION_CLOSED');
    expect(info.error?.message).toMatch(/truncated/);
  });
});

describe('ownership: the server never writes to what the key resolver returns', () => {
  it('a resolver returning its stored buffer keeps working after a forged message 1 and after real handshakes', async () => {
    const stored = new Map<string, Uint8Array>();
    const key = generateApiKey();
    stored.set(key.keyId, key.secret.slice());
    const before = stored.get(key.keyId)!.slice();
    const keys = { ...memoryKeys(), resolve: (id: string) => stored.get(id) } as Keys;
    const { server: s } = await server(keys);
    // Someone who knows only the key id sends message 1 for it (wrong secret) and a garbage confirmation.
    const forger = await rawPeer(s.url);
    forger.ws.send(createClientHandshake({ apiKey: formatApiKey({ keyId: key.keyId, secret: new Uint8Array(32).fill(9) }) }).writeMessage1());
    expect((await forger.nextMessage()).length).toBe(48);
    forger.ws.send(new Uint8Array(17));
    expect((await forger.closed).code).toBe(CloseCode.AUTHENTICATION_FAILED);
    expect(stored.get(key.keyId)).toEqual(before);
    for (let i = 0; i < 3; i++) {
      const channel = await connect(s.url, { apiKey: key.token });
      channel.send('mine');
      expect(decoder.decode(await nextMessage(channel))).toBe('mine');
      await channel.close();
    }
    expect(stored.get(key.keyId)).toEqual(before);
  });

  it('a known and an unknown key id do the same work: one 32-byte random draw each', async () => {
    const key = generateApiKey();
    const draws = async (id: 'known' | 'unknown'): Promise<number[]> => {
      const client = createClientHandshake({ apiKey: key.token });
      const message1 = client.writeMessage1();
      const handshake = createServerHandshake({ resolveKey: () => (id === 'known' ? key.secret : undefined) });
      const sizes: number[] = [];
      const original = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
      globalThis.crypto.getRandomValues = ((array: Uint8Array) => {
        sizes.push(array.length);
        return original(array);
      }) as typeof globalThis.crypto.getRandomValues;
      try {
        (await handshake.respond(message1)).session.dispose();
      } finally {
        globalThis.crypto.getRandomValues = original;
      }
      return sizes;
    };
    expect(await draws('known')).toEqual(await draws('unknown'));
    // The caller's secret is untouched.
    expect(key.secret.some((b) => b !== 0)).toBe(true);
  });
});

describe('containment: application code that throws closes only its channel', () => {
  it("server 'message', 'end' and 'channel' listeners and the onChannel handler", async () => {
    const keys = memoryKeys();
    const victims = new Set<string>();
    const { server: s, errors } = await server(keys, {
      onChannel(channel) {
        if (!victims.has(channel.keyId)) return echoHandler(channel);
        channel.on('message', (m) => {
          if (decoder.decode(m) === 'throw in message') throw new Error('message listener bug');
          channel.send(m);
        });
        channel.on('end', () => {
          throw new Error('end listener bug');
        });
        channel.on('close', () => {
          throw new Error('close listener bug');
        });
      },
    });
    const victim = () => {
      const key = keys.add();
      victims.add(key.keyId);
      return key.token;
    };
    const closeCodes: number[] = [];
    // 'message' listener throws.
    let channel = await connect(s.url, { apiKey: victim() });
    channel.send('throw in message');
    closeCodes.push((await channel.closed).code);
    // 'end' listener throws (the client ends its direction).
    channel = await connect(s.url, { apiKey: victim(), allowHalfOpen: true });
    channel.end();
    closeCodes.push((await channel.closed).code);
    expect(closeCodes).toEqual([CloseCode.INTERNAL_ERROR, CloseCode.INTERNAL_ERROR]);
    await until(() => errors.length >= 3);
    const messages = errors.map((e) => `${e.error.code} ${String((e.error.cause as Error).message)}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'ERR_APPLICATION message listener bug',
        'ERR_APPLICATION end listener bug',
        'ERR_APPLICATION close listener bug',
      ]),
    );
    expect(errors.every((e) => e.channel !== undefined)).toBe(true);
    await echoOnce(s.url, keys);
  });

  it("a throwing 'channel' listener and a rejecting onChannel: 1011 for that channel, reported, others fine", async () => {
    const keys = memoryKeys();
    const { server: s, errors } = await server(keys, {
      async onChannel(channel) {
        const first = decoder.decode(await nextMessage(channel));
        if (first === 'reject') throw new Error('handler bug');
        channel.send(first);
        await echoHandler(channel);
      },
    });
    const victim = keys.add();
    s.on('channel', (channel) => {
      if (channel.keyId === victim.keyId) throw new Error('channel listener bug');
    });
    const first = await connect(s.url, { apiKey: victim.token });
    expect((await first.closed).code).toBe(CloseCode.INTERNAL_ERROR);
    const second = await connect(s.url, { apiKey: keys.add().token });
    second.send('reject');
    const info = await second.closed;
    expect(info.code).toBe(CloseCode.INTERNAL_ERROR);
    expect(info.error?.code).toBe('ERR_CONNECTION_CLOSED');
    await until(() => errors.length >= 2);
    expect(errors.map((e) => String((e.error.cause as Error).message)).sort()).toEqual(['channel listener bug', 'handler bug']);
    await echoOnce(s.url, keys);
  });

  it("a client 'message' listener that throws closes the client's channel with ERR_APPLICATION, reported to onError", async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys);
    const reported: E2E2Error[] = [];
    const channel = await connect(s.url, { apiKey: keys.add().token, onError: (error) => reported.push(error) });
    channel.on('message', () => {
      throw new Error('client listener bug');
    });
    channel.send('echo me');
    const info = await channel.closed;
    expect(info.error?.code).toBe('ERR_APPLICATION');
    expect((info.error?.cause as Error).message).toBe('client listener bug');
    expect(reported.map((e) => e.code)).toEqual(['ERR_APPLICATION']);
  });
});

describe('backpressure', () => {
  it('send() returns false at the high-water mark and "drain" follows once the peer reads again', async () => {
    const keys = memoryKeys();
    let serverChannel: Channel | undefined;
    const { server: s } = await server(keys, {
      onChannel(channel) {
        serverChannel = channel;
        channel.pause();
      },
    });
    const channel = await connect(s.url, { apiKey: keys.add().token, writableHighWaterMark: 256 * 1024 });
    await until(() => serverChannel !== undefined);
    const chunk = pattern(MAX_RECORD_DATA_BYTES, 3);
    let sent = 0;
    // The server does not read: kernel buffers fill, then our queue reaches the mark.
    while (channel.send(chunk)) {
      sent++;
      if (sent % 16 === 0) await sleep(1);
      expect(sent).toBeLessThan(50_000);
    }
    expect(channel.writableNeedDrain).toBe(true);
    expect(channel.bufferedAmount).toBeGreaterThanOrEqual(256 * 1024);
    const drained = new Promise<void>((resolve) => channel.on('drain', resolve));
    let received = 0;
    serverChannel!.on('message', () => void received++);
    serverChannel!.resume();
    await drained;
    expect(channel.writableNeedDrain).toBe(false);
    await until(() => received === sent + 1);
    await channel.close();
  });
});

describe('EAPIs end with any close of their session', () => {
  it('a failed channel stops verifying at once; so does a channel whose peer sent CLOSE', async () => {
    const keys = memoryKeys();
    let endedOnServer: Channel | undefined;
    const { server: s } = await server(keys, {
      allowHalfOpen: true,
      onChannel: (channel) => void channel.on('end', () => (endedOnServer = channel)),
    });
    const now = Date.now();
    const sign = (channel: Channel) =>
      channel.issueEapi({ scope: 'orders:read', expiresAt: now + 60_000 }).sign({ method: 'GET', path: '/orders', timestamp: now });
    const verify = (authorization: string) => s.verifyRequest({ authorization, method: 'GET', path: '/orders', requiredScope: 'orders:read', now });

    const ending = await connect(s.url, { apiKey: keys.add().token, allowHalfOpen: true });
    await until(() => s.channelBySessionId(ending.sessionId) !== undefined);
    const early = sign(ending);
    const late = sign(ending);
    expect(verify(early).channel.sessionId).toBe(ending.sessionId);
    ending.end();
    // The server got the client's CLOSE (its own direction is still open: half-open).
    await until(() => endedOnServer !== undefined);
    expect(endedOnServer!.state).toBe('open');
    expect(() => verify(late)).toThrow(expect.objectContaining({ code: 'ERR_AUTHENTICATION_FAILED', message: 'authentication failed' }));
    endedOnServer!.end();
    expect((await ending.closed).error).toBeUndefined();

    const failing = await connect(s.url, { apiKey: keys.add().token });
    await until(() => s.channelBySessionId(failing.sessionId) !== undefined);
    const pending = sign(failing);
    s.channelBySessionId(failing.sessionId)!.destroy(new Error('application gives up'));
    // Immediately, before the close handshake has finished:
    expect(() => verify(pending)).toThrow(expect.objectContaining({ code: 'ERR_AUTHENTICATION_FAILED' }));
    expect((await failing.closed).code).toBe(CloseCode.INTERNAL_ERROR);
  });
});

describe('keepalive', () => {
  it('a peer that stops answering pings is closed with 4008; a live idle one is not', async () => {
    const keys = memoryKeys();
    const settings = { keepaliveIntervalMs: 150, keepaliveTimeoutMs: 150 };
    let frozenChannel: Channel | undefined;
    const { server: s } = await server(keys, {
      ...settings,
      onChannel(channel) {
        if (channel.keyId === frozen.keyId) frozenChannel = channel;
        return echoHandler(channel);
      },
    });
    const frozen = keys.add();
    // A client that never answers pings (autoPong off) and sends nothing after the handshake.
    const peer = await rawPeer(s.url, { autoPong: false });
    const handshake = createClientHandshake({ apiKey: frozen.token });
    peer.ws.send(handshake.writeMessage1());
    const session = handshake.readMessage2(await peer.nextMessage());
    peer.ws.send(session.seal(new Uint8Array(0)));
    const live = await connect(s.url, { apiKey: keys.add().token, ...settings });
    expect((await peer.closed).code).toBe(CloseCode.KEEPALIVE_TIMEOUT);
    expect((await frozenChannel!.closed).error?.code).toBe('ERR_KEEPALIVE_TIMEOUT');
    // The live client (it answers pings, and pings the server) is still up after many intervals.
    await sleep(1200);
    expect(live.state).toBe('open');
    live.send('alive');
    expect(decoder.decode(await nextMessage(live))).toBe('alive');
    await live.close();
  });
});

describe('session age and revocation', () => {
  it('maxSessionAgeMs ends the channel cleanly (CLOSE record, then 4007)', async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys, { maxSessionAgeMs: 300 });
    const channel = await connect(s.url, { apiKey: keys.add().token });
    const ended = new Promise<void>((resolve) => channel.on('end', resolve));
    const info = await channel.closed;
    await ended;
    expect(info.code).toBe(CloseCode.SESSION_EXPIRED);
    expect(info.error).toBeUndefined();
  });

  it('a revoked key closes its open channels with 4006 (ERR_KEY_REVOKED); other keys stay', async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys, { revocationCheckIntervalMs: 100 });
    const doomed = keys.add();
    const a = await connect(s.url, { apiKey: doomed.token });
    const b = await connect(s.url, { apiKey: doomed.token });
    const other = await connect(s.url, { apiKey: keys.add().token });
    keys.revoke(doomed.keyId);
    const [ia, ib] = await Promise.all([a.closed, b.closed]);
    for (const info of [ia, ib]) {
      expect(info.code).toBe(CloseCode.KEY_REVOKED);
      expect(info.error?.code).toBe('ERR_KEY_REVOKED');
    }
    expect(s.stats.revokedChannels).toBe(2);
    other.send('unaffected');
    expect(decoder.decode(await nextMessage(other))).toBe('unaffected');
    await other.close();
    // revokeKey() closes at once, whatever the resolver says.
    const c = keys.add();
    const channel = await connect(s.url, { apiKey: c.token });
    await until(() => s.channels.size === 1);
    expect(s.revokeKey(c.keyId)).toBe(1);
    expect((await channel.closed).error?.code).toBe('ERR_KEY_REVOKED');
  });
});

describe('pre-authentication limits', () => {
  it('no message 1 within message1TimeoutMs: 4003, long before handshakeTimeoutMs', async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys, { message1TimeoutMs: 200, handshakeTimeoutMs: 60_000 });
    const peer = await rawPeer(s.url);
    const started = Date.now();
    expect((await peer.closed).code).toBe(CloseCode.HANDSHAKE_TIMEOUT);
    // Generous: only shows it was the message-1 deadline, not the 60 s one.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('one address gets its share of pending handshakes; another address still gets in', async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys, { maxPendingHandshakesPerAddress: 3, handshakeTimeoutMs: 20_000, message1TimeoutMs: 20_000 });
    const idle = await Promise.all([0, 1, 2].map(() => rawPeer(s.url, { localAddress: '127.0.0.2' })));
    await until(() => s.stats.pendingHandshakes === 3);
    const refused = await rawPeer(s.url, { localAddress: '127.0.0.2' });
    expect((await refused.closed).code).toBe(CloseCode.SERVER_BUSY);
    await echoOnce(s.url, keys);
    for (const p of idle) p.ws.terminate();
  });

  it('TCP connections that never upgrade: capped per address, and timed out by headersTimeoutMs', async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys, { maxHttpConnectionsPerAddress: 3, headersTimeoutMs: 500 });
    const port = s.port;
    const open = (localAddress: string) =>
      new Promise<{ socket: Socket; closed: Promise<string> }>((resolve) => {
        const socket = tcpConnect({ port, host: '127.0.0.1', localAddress });
        let data = '';
        socket.on('data', (d: Buffer) => (data += d.toString()));
        socket.on('error', () => {});
        const closed = new Promise<string>((res) => socket.on('close', () => res(data)));
        socket.once('connect', () => resolve({ socket, closed }));
      });
    const held = await Promise.all([0, 1, 2].map(() => open('127.0.0.3')));
    await until(() => s.stats.httpConnections === 3);
    const fourth = await open('127.0.0.3');
    expect(await fourth.closed).toBe('');
    expect(s.stats.httpRejections).toBe(1);
    await echoOnce(s.url, keys);
    // The idle ones are answered 408 and closed once their headers are late.
    for (const h of held) expect(await h.closed).toMatch(/^HTTP\/1\.1 408/);
    await until(() => s.stats.httpConnections === 0);
  });

  it('a request target that does not parse gets 400 (with the path option), and the server goes on', async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys, { path: '/e2e2' });
    for (const target of ['//[', 'http://[', '/%', '*']) {
      const answer = await new Promise<string>((resolve) => {
        const socket = tcpConnect({ port: s.port, host: '127.0.0.1' });
        let data = '';
        socket.on('data', (d: Buffer) => (data += d.toString()));
        socket.on('error', () => {});
        socket.on('close', () => resolve(data));
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      expect(answer, target).toMatch(/^HTTP\/1\.1 (400|404)/);
    }
    await echoOnce(s.url, keys);
  });

  it('an unfinished message of many tiny fragments is refused (1008) instead of accumulating', async () => {
    const keys = memoryKeys();
    const { server: s } = await server(keys, { maxFragments: 16 });
    const peer = await rawPeer(s.url);
    // Frames of a binary message that never finishes (FIN = 0), each with 1 payload byte.
    const raw = (peer.ws as unknown as { _socket: Socket })._socket;
    const frame = (opcode: number) => Buffer.from([opcode, 0x81, 0, 0, 0, 0, 0x2a]);
    raw.write(frame(0x02));
    for (let i = 0; i < 100; i++) raw.write(frame(0x00));
    expect((await peer.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    await echoOnce(s.url, keys);
  });

  it('onHandshakeError gets the error the server detected (1009: ERR_MESSAGE_TOO_LARGE), not a generic 1006', async () => {
    const keys = memoryKeys();
    const reported: string[] = [];
    const { server: s } = await server(keys, { onHandshakeError: (error) => reported.push((error as E2E2Error).code) });
    const peer = await rawPeer(s.url);
    peer.ws.send(new Uint8Array(70_000));
    expect((await peer.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    await until(() => reported.length === 1);
    expect(reported).toEqual(['ERR_MESSAGE_TOO_LARGE']);
  });
});

describe('failures reach the peer at once, and as documented', () => {
  it('a tunnel whose target dies while the channel is paused resets its TCP side at once, not after the close timeout', async () => {
    const keys = memoryKeys();
    // A target that accepts, never reads (so the tunnel pauses the channel), and then dies.
    const targets: Socket[] = [];
    const target = createTcpServer({ pauseOnConnect: true }, (socket) => {
      socket.on('error', () => {});
      targets.push(socket);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    // Close timeouts far longer than the test's bound: the reset must not wait for them.
    const slow = { closeTimeoutMs: 120_000 };
    const forward = await createForwardServer({ host: '127.0.0.1', port: (target.address() as AddressInfo).port }, { keys: keys.resolve, port: 0, ...slow });
    servers.push(forward);
    const tunnel = await listenTunnel(forward.url, { port: 0 }, { apiKey: keys.add().token, ...slow });
    try {
      const local = tcpConnect({ port: tunnel.port, host: '127.0.0.1' });
      const ended = new Promise<string>((resolve) => {
        local.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        local.on('end', () => resolve('end'));
      });
      local.on('connect', () => {
        // Far more than the kernel buffers hold: the channel toward the target pauses.
        const chunk = pattern(1 << 20, 9);
        const pump = () => {
          while (local.write(chunk));
        };
        local.on('drain', pump);
        pump();
      });
      await until(() => targets.length === 1 && forward.channels.size === 1);
      const serverChannel = [...forward.channels][0]!;
      await sleep(500);
      targets[0]!.destroy();
      const outcome = await Promise.race([ended, sleep(30_000).then(() => 'still open after 30 s')]);
      expect(outcome).toBe('ECONNRESET');
      // The paused server side sees the client's answer to its close frame too (it resumed reading),
      // instead of waiting out its 120 s close timeout.
      const info = await Promise.race([serverChannel.closed, sleep(30_000).then(() => undefined)]);
      expect(info?.code).toBe(CloseCode.INTERNAL_ERROR);
      local.destroy();
    } finally {
      await tunnel.close();
      await new Promise<void>((resolve) => target.close(() => resolve()));
    }
  });

  it('a key resolver that throws: that client gets 1011, the error is reported, the next lookup works', async () => {
    const keys = memoryKeys();
    let failNext = true;
    const { server: s, errors } = await server(keys, {
      keys: (id) => {
        if (failNext) {
          failNext = false;
          throw new KeyStoreError('key store unavailable');
        }
        return keys.resolve(id);
      },
    });
    const error = await connect(s.url, { apiKey: keys.add().token }).then(
      () => undefined,
      (e: E2E2Error & { closeCode?: number }) => e,
    );
    expect(error?.code).toBe('ERR_CONNECTION_CLOSED');
    expect(error?.closeCode).toBe(CloseCode.INTERNAL_ERROR);
    await until(() => errors.length === 1);
    expect(errors[0]!.error.code).toBe('ERR_KEY_STORE');
    await echoOnce(s.url, keys);
  });
});

describe('contract details', () => {
  const keys = memoryKeys();
  let s: E2E2Server;
  beforeAll(async () => {
    s = await startEchoServer(keys, { rekeyAfterRecords: 1 });
  });
  afterAll(() => s.close());

  it('rekeyAfterRecords: 1 on both sides: the key confirmation is a REKEY record and is accepted', async () => {
    const channel = await connect(s.url, { apiKey: keys.add().token, rekeyAfterRecords: 1 });
    for (let i = 0; i < 5; i++) {
      channel.send(`m${i}`);
      expect(decoder.decode(await nextMessage(channel))).toBe(`m${i}`);
    }
    expect((await channel.close()).error).toBeUndefined();
  });

  it('send() and rekey() above 65,518 bytes throw ERR_PAYLOAD_TOO_LARGE (SPEC §10)', async () => {
    const channel = await connect(s.url, { apiKey: keys.add().token });
    const big = new Uint8Array(MAX_RECORD_DATA_BYTES + 1);
    expect(() => channel.send(big)).toThrow(expect.objectContaining({ code: 'ERR_PAYLOAD_TOO_LARGE', message: 'a message is at most 65518 bytes; use write() for streams' }));
    expect(() => channel.rekey(big)).toThrow(expect.objectContaining({ code: 'ERR_PAYLOAD_TOO_LARGE', message: 'a message is at most 65518 bytes' }));
    // Nothing was sent or consumed: the channel still works.
    channel.send('fine');
    expect(decoder.decode(await nextMessage(channel))).toBe('fine');
    await channel.close();
  });
});

describe('a connection that never opens', () => {
  it('a refused connection is reported as such (ECONNREFUSED as the cause), not as a close during the handshake', async () => {
    // A port that was just free: nothing listens there.
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const key = generateApiKey();
    const error = (await connect(`ws://127.0.0.1:${port}/`, { apiKey: key.token }).then(
      () => undefined,
      (e: unknown) => e,
    )) as E2E2Error & { closeCode: number; cause: { code?: string } };
    expect(error.code).toBe('ERR_CONNECTION_CLOSED');
    expect(error.message).toBe('the connection could not be opened (ECONNREFUSED)');
    expect(error.closeCode).toBe(1006);
    expect(error.cause.code).toBe('ECONNREFUSED');
  });
});
