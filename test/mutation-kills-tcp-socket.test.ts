/**
 * Tests that StrykerJS showed missing in bindings/channel/tcp-socket.ts (issue 13): the TCP
 * adapter alone (SPEC.md §7.8 framing, §7.4 frames) over a loopback pair, the far end a plain
 * net.Socket writing whatever bytes a test wants: delivery and pausing inside one chunk, the
 * started-frame clock, close codes (ours, or 1006 for a FIN or reset), handler faults.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { adaptTcpSocket, type TcpSocketOptions } from '../bindings/channel/tcp-socket.js';
import { encodeFrame } from '../bindings/e2e2/framing.js';
import type { MessageSocket } from '../bindings/channel/socket.js';
import type { E2E2Error } from '../bindings/errors.js';

interface Pair {
  socket: MessageSocket;
  local: Socket;
  peer: Socket;
  messages: string[];
  closes: [number, string][];
  errors: E2E2Error[];
  closed: Promise<void>;
}

const servers: Server[] = [];
const peers: Socket[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const peer of peers.splice(0)) peer.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function pair(options: Partial<TcpSocketOptions> = {}): Promise<Pair> {
  const server = createServer({ allowHalfOpen: true });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const peer = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  peers.push(peer);
  peer.on('error', () => {});
  const [local] = (await once(server, 'connection')) as [Socket];
  const socket = adaptTcpSocket(local, { maxMessageBytes: 100, frameTimeoutMs: 60_000, keepaliveIntervalMs: 0, ...options });
  const result: Pair = { socket, local, peer, messages: [], closes: [], errors: [], closed: undefined as unknown as Promise<void> };
  result.closed = new Promise<void>((resolve) => {
    socket.onClose = (code, reason) => {
      result.closes.push([code, reason]);
      resolve();
    };
  });
  socket.onMessage = (bytes) => result.messages.push(Buffer.from(bytes).toString());
  socket.onProtocolError = (error) => result.errors.push(error);
  return result;
}

const frame = (text: string) => encodeFrame(new TextEncoder().encode(text));
const frames = (...texts: string[]) => Buffer.concat(texts.map(frame));
/** Resolves once `predicate` holds, checking on every turn of the event loop (no fixed delay). */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}
/** Read what the peer receives until it ends; the frames' payloads as text. */
async function received(peer: Socket): Promise<string[]> {
  const chunks: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(peer, 'end');
  const all = Buffer.concat(chunks);
  const out: string[] = [];
  for (let at = 0; at < all.length; ) {
    const length = all.readUInt16BE(at);
    out.push(all.subarray(at + 2, at + 2 + length).toString());
    at += 2 + length;
  }
  return out;
}

describe('adaptTcpSocket: shape', () => {
  it('is a non-WHATWG socket without ping', async () => {
    const { socket } = await pair();
    expect(socket.whatwg).toBe(false);
    expect(socket.ping()).toBe(false);
  });
});

describe('adaptTcpSocket: receiving', () => {
  it('delivers every frame of a chunk in order, announcing activity before each', async () => {
    const p = await pair();
    const events: string[] = [];
    p.socket.onActivity = () => events.push('activity');
    p.socket.onMessage = (bytes) => events.push(Buffer.from(bytes).toString());
    p.peer.write(frames('a', 'b', 'c'));
    await until(() => events.length === 6);
    expect(events).toEqual(['activity', 'a', 'activity', 'b', 'activity', 'c']);
  });

  it('pausing inside a chunk holds the rest; chunks that arrive meanwhile queue behind it; resume delivers them in order', async () => {
    const p = await pair();
    p.socket.onMessage = (bytes) => {
      p.messages.push(Buffer.from(bytes).toString());
      if (p.messages.length === 1) p.socket.pause();
    };
    p.peer.write(frames('1', '2', '3'));
    await until(() => p.messages.length === 1);
    // Still paused: nothing more is delivered, even when it arrives in a new chunk (read before the pause took effect).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(p.messages).toEqual(['1']);
    p.socket.resume();
    expect(p.messages).toEqual(['1', '2', '3']); // the held ones, synchronously
    p.peer.write(frames('4'));
    await until(() => p.messages.length === 4);
    expect(p.messages).toEqual(['1', '2', '3', '4']);
  });

  it('a handler that pauses during resume() keeps the socket paused', async () => {
    const p = await pair();
    let pauseAt = 1;
    p.socket.onMessage = (bytes) => {
      p.messages.push(Buffer.from(bytes).toString());
      if (p.messages.length === pauseAt) p.socket.pause();
    };
    p.peer.write(frames('1', '2', '3'));
    await until(() => p.messages.length === 1);
    pauseAt = 2;
    p.socket.resume();
    expect(p.messages).toEqual(['1', '2']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(p.messages).toEqual(['1', '2']);
    p.socket.resume();
    expect(p.messages).toEqual(['1', '2', '3']);
  });

  it('a frame longer than maxMessageBytes is ERR_MESSAGE_TOO_LARGE, reported once, and the connection is dropped (1006); nothing more is read', async () => {
    const p = await pair({ maxMessageBytes: 4 });
    p.peer.write(frames('ok'));
    await until(() => p.messages.length === 1);
    p.peer.write(Buffer.concat([Buffer.from([0, 5, 1, 2, 3, 4, 5]), frames('late')]));
    await p.closed;
    expect(p.messages).toEqual(['ok']);
    expect(p.errors.map((e) => [e.code, e.message])).toEqual([['ERR_MESSAGE_TOO_LARGE', 'a frame announces 5 bytes; at most 4 are accepted']]);
    expect(p.closes).toEqual([[1006, '']]);
  });

  it('a started frame must be completed within frameTimeoutMs: ERR_KEEPALIVE_TIMEOUT, and the connection is dropped', async () => {
    const p = await pair({ frameTimeoutMs: 50 });
    p.peer.write(Buffer.from([0, 3, 1]));
    await p.closed;
    expect(p.errors.map((e) => [e.code, e.message])).toEqual([['ERR_KEEPALIVE_TIMEOUT', 'a frame was not completed within 50 ms']]);
    expect(p.closes).toEqual([[1006, '']]);
  });

  it('no clock runs between frames, nor while paused (then the peer is not being read)', async () => {
    const p = await pair({ frameTimeoutMs: 50 });
    p.peer.write(frames('whole'));
    await until(() => p.messages.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    p.socket.pause();
    p.peer.write(Buffer.from([0, 2, 65]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(p.errors).toEqual([]);
    p.peer.write(Buffer.from([66]));
    p.socket.resume();
    await until(() => p.messages.length === 2);
    expect(p.messages).toEqual(['whole', 'AB']);
    expect(p.errors).toEqual([]);
  });
});

describe('adaptTcpSocket: sending and closing', () => {
  it('sends one frame per message; close(code) sends FIN once queued bytes are out and reports our code; later sends are dropped', async () => {
    const p = await pair();
    const got = received(p.peer);
    p.socket.send(new TextEncoder().encode('one'));
    p.socket.send(new TextEncoder().encode('two'));
    p.socket.close(4000, 'bye');
    p.socket.close(1000, 'again');
    p.socket.send(new TextEncoder().encode('late'));
    expect(await got).toEqual(['one', 'two']);
    p.peer.end();
    await p.closed;
    expect(p.closes).toEqual([[4000, 'bye']]);
  });

  it("the peer's FIN is answered with ours; that close is 1006 (no close frame), even if we call close() afterwards", async () => {
    const p = await pair();
    const got = received(p.peer);
    p.peer.end();
    await once(p.local, 'end');
    p.socket.close(1000, 'late');
    await got;
    await p.closed;
    expect(p.closes).toEqual([[1006, '']]);
  });

  it('close() on a paused socket still reads the peer\'s FIN, so the close completes', async () => {
    const p = await pair();
    p.socket.pause();
    p.socket.close(1000, 'done');
    await once(p.peer, 'end');
    p.peer.end();
    await p.closed;
    expect(p.closes).toEqual([[1000, 'done']]);
  });

  it('terminate() drops the connection (1006); nothing is delivered after the close', async () => {
    const p = await pair();
    p.socket.terminate();
    await p.closed;
    expect(p.closes).toEqual([[1006, '']]);
    p.socket.send(new Uint8Array([1]));
    expect(p.local.destroyed).toBe(true);
  });

  it('bufferedAmount is what the socket has not written yet; drained() waits for the writes, and for the close if they never finish', async () => {
    const p = await pair();
    expect(p.socket.bufferedAmount).toBe(0);
    await p.socket.drained();
    p.peer.pause();
    const chunk = new Uint8Array(60_000);
    for (let i = 0; i < 200 && p.socket.bufferedAmount === 0; i++) p.socket.send(chunk);
    for (let i = 0; i < 200; i++) p.socket.send(chunk);
    expect(p.socket.bufferedAmount).toBeGreaterThan(0);
    expect(p.socket.bufferedAmount).toBe(p.local.writableLength);
    let drained = false;
    void p.socket.drained().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    p.socket.terminate();
    await p.closed;
    await until(() => drained);
  });
});

describe('adaptTcpSocket: faults in handlers', () => {
  it('a message handler that throws drops the connection and is reported to onFault; by default on console.error', async () => {
    const p = await pair();
    const faults: unknown[] = [];
    const thrown = new Error('handler bug');
    p.socket.onMessage = () => {
      throw thrown;
    };
    p.socket.onFault = (error) => faults.push(error);
    p.peer.write(frames('x'));
    await p.closed;
    expect(faults).toEqual([thrown]);
    expect(p.closes).toEqual([[1006, '']]);

    const q = await pair();
    const lines: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    q.socket.onMessage = () => {
      throw thrown;
    };
    q.peer.write(frames('x'));
    await q.closed;
    expect(lines).toEqual([['e2e2: a channel handler threw; the connection was dropped:', thrown]]);
  });

  it('an onFault that throws too goes nowhere (the socket emitter never sees it)', async () => {
    const p = await pair();
    p.socket.onMessage = () => {
      throw new Error('first');
    };
    p.socket.onFault = () => {
      throw new Error('second');
    };
    p.peer.write(frames('x'));
    await p.closed;
    expect(p.closes).toEqual([[1006, '']]);
  });
});
