/**
 * The MessageSocket adapters (bindings/channel/socket.ts) over real `ws` WebSockets on loopback,
 * pinned for mutation testing (issue 13): binary/text/activity events, close codes and reasons
 * (RFC 6455 §7.4; the WHATWG API's 1000/3000-4999 rule), pause/resume, ping, containment of
 * handlers that throw, the typed frame errors, and the write batcher's cork/drain bookkeeping.
 * The WHATWG adapter runs over a `ws` socket seen only through the WHATWG members it uses.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { adaptSocket, writeBatcher, type MessageSocket } from '../bindings/channel/socket.js';
import { settle } from './helpers/memory-socket.js';

let wss: WebSocketServer;
let url: string;
const peers: WebSocket[] = [];

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const p of peers) p.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

/** A connected client `ws` and the server's end of it (the peer). */
async function connectPair(options: ClientOptions = {}): Promise<{ ws: WebSocket; peer: WebSocket }> {
  const peerPromise = once(wss, 'connection') as Promise<[WebSocket]>;
  const ws = new WebSocket(url, options);
  await once(ws, 'open');
  const [peer] = await peerPromise;
  peers.push(peer);
  return { ws, peer };
}

/** The WHATWG members of a `ws` socket, and nothing else (no `on`, no `terminate`). */
function whatwgView(ws: WebSocket, deliverViews = false) {
  return {
    get binaryType() {
      return ws.binaryType as string;
    },
    set binaryType(value: string) {
      ws.binaryType = (deliverViews ? 'nodebuffer' : value) as 'arraybuffer';
    },
    get readyState() {
      return ws.readyState;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (data: Uint8Array) => ws.send(data),
    close: (code?: number, reason?: string) => ws.close(code, reason),
    addEventListener: (type: 'message' | 'close', listener: (event: never) => void) => ws.addEventListener(type, listener as never),
  };
}

interface Recorded {
  messages: Uint8Array[];
  texts: number;
  activity: number;
  protocolErrors: unknown[];
  closes: [number, string][];
  faults: unknown[];
  closed: Promise<void>;
}

function record(socket: MessageSocket): Recorded {
  let resolveClosed!: () => void;
  const r: Recorded = { messages: [], texts: 0, activity: 0, protocolErrors: [], closes: [], faults: [], closed: new Promise((resolve) => (resolveClosed = resolve)) };
  socket.onMessage = (bytes) => r.messages.push(bytes);
  socket.onText = () => r.texts++;
  socket.onActivity = () => r.activity++;
  socket.onProtocolError = (error) => r.protocolErrors.push(error);
  socket.onClose = (code, reason) => {
    r.closes.push([code, reason]);
    resolveClosed();
  };
  socket.onFault = (error) => r.faults.push(error);
  return r;
}

function peerClose(peer: WebSocket): Promise<[number, string]> {
  return new Promise((resolve) => peer.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
}

function peerMessages(peer: WebSocket): { data: Buffer; binary: boolean }[] {
  const got: { data: Buffer; binary: boolean }[] = [];
  peer.on('message', (data: Buffer, binary: boolean) => got.push({ data, binary }));
  return got;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

describe('ws adapter', () => {
  it('sends binary messages, receives binary and text, counts every frame as activity', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(ws);
    expect(socket.whatwg).toBe(false);
    expect(ws.binaryType).toBe('nodebuffer');
    const r = record(socket);
    const atPeer = peerMessages(peer);
    socket.send(new Uint8Array([1, 2, 3]));
    await socket.drained();
    expect(socket.bufferedAmount).toBe(0);
    await until(() => atPeer.length === 1);
    expect(atPeer[0]!.binary).toBe(true);
    expect([...atPeer[0]!.data]).toEqual([1, 2, 3]);
    peer.send(Buffer.from([9, 8]));
    peer.send('text');
    await until(() => r.texts === 1);
    expect(r.messages.map((m) => [...m])).toEqual([[9, 8]]);
    expect(r.activity).toBe(2);
    peer.ping();
    await until(() => r.activity === 3);
    expect(socket.ping()).toBe(true);
    // The peer's automatic pong.
    await until(() => r.activity === 4);
    ws.terminate();
  });

  it('close(code, reason): the peer sees both; later closes, sends and pings do nothing', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(ws);
    const r = record(socket);
    const atPeer = peerMessages(peer);
    const seen = peerClose(peer);
    socket.close(4001, 'authentication failed');
    socket.close(1011, 'internal error');
    socket.send(new Uint8Array([1]));
    expect(socket.ping()).toBe(false);
    expect(await seen).toEqual([4001, 'authentication failed']);
    await r.closed;
    expect(r.closes).toEqual([[4001, 'authentication failed']]);
    expect(atPeer).toEqual([]);
    await socket.drained();
  });

  it('terminate() drops the connection (1006)', async () => {
    const { ws } = await connectPair();
    const socket = adaptSocket(ws);
    const r = record(socket);
    socket.terminate();
    await r.closed;
    expect(r.closes).toEqual([[1006, '']]);
  });

  it('pause() stops reading until resume(); close() resumes so the answer is read', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(ws);
    const r = record(socket);
    socket.pause();
    peer.send(Buffer.from([1]));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(r.messages).toEqual([]);
    socket.resume();
    await until(() => r.messages.length === 1);
    socket.pause();
    socket.close(1000, 'closed');
    await r.closed;
    expect(r.closes).toEqual([[1000, 'closed']]);
  });

  it('a handler that throws drops the connection and goes to onFault; a throwing onFault is contained', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(ws);
    const r = record(socket);
    const bug = new Error('handler bug');
    socket.onMessage = () => {
      throw bug;
    };
    peer.send(Buffer.from([1]));
    await r.closed;
    expect(r.faults).toEqual([bug]);
    expect(r.closes).toEqual([[1006, '']]);
    const second = await connectPair();
    const s2 = adaptSocket(second.ws);
    const r2 = record(s2);
    s2.onActivity = () => {
      throw new Error('activity bug');
    };
    s2.onFault = () => {
      throw new Error('reporter bug');
    };
    second.peer.ping();
    await r2.closed;
    expect(r2.closes).toEqual([[1006, '']]);
  });

  it('without handlers messages are dropped, and a fault is printed', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(ws);
    peer.send(Buffer.from([1]));
    peer.send('t');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const bug = new Error('bug');
      socket.onMessage = () => {
        throw bug;
      };
      const closed = once(ws, 'close');
      peer.send(Buffer.from([2]));
      await closed;
      expect(spy).toHaveBeenCalledWith('e2e2: a channel handler threw; the connection was dropped:', bug);
    } finally {
      spy.mockRestore();
    }
  });

  it('frame errors found by ws are typed: too large is ERR_MESSAGE_TOO_LARGE, bad UTF-8 ERR_MALFORMED_MESSAGE', async () => {
    const { ws, peer } = await connectPair({ maxPayload: 10 });
    const socket = adaptSocket(ws);
    const r = record(socket);
    const seen = peerClose(peer);
    peer.send(Buffer.alloc(11));
    await r.closed;
    expect(r.protocolErrors).toHaveLength(1);
    expect(r.protocolErrors[0]).toMatchObject({
      code: 'ERR_MESSAGE_TOO_LARGE',
      message: 'a message exceeds the maximum size',
      cause: { wsCode: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', message: 'Max payload size exceeded' },
    });
    // ws sends the close code itself, then drops the connection.
    expect((await seen)[0]).toBe(1009);
    const second = await connectPair();
    const s2 = adaptSocket(second.ws);
    const r2 = record(s2);
    const seen2 = peerClose(second.peer);
    second.peer.send(Buffer.from([0xff, 0xfe]), { binary: false });
    await r2.closed;
    expect(r2.protocolErrors[0]).toMatchObject({ code: 'ERR_MALFORMED_MESSAGE', message: 'invalid WebSocket frames', cause: { wsCode: 'WS_ERR_INVALID_UTF8' } });
    expect((await seen2)[0]).toBe(1007);
    expect(r2.texts).toBe(0);
  });

  it('transport errors without a WS_ERR_ code are left to the close', async () => {
    const { ws } = await connectPair();
    const socket = adaptSocket(ws);
    const r = record(socket);
    ws.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    ws.emit('error', new Error('no code'));
    expect(r.protocolErrors).toEqual([]);
    expect(r.faults).toEqual([]);
    ws.terminate();
    await r.closed;
  });
});

describe('WHATWG adapter', () => {
  it('binary as ArrayBuffer, text, activity; cannot ping or pause', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(whatwgView(ws));
    expect(socket.whatwg).toBe(true);
    expect(ws.binaryType).toBe('arraybuffer');
    const r = record(socket);
    const atPeer = peerMessages(peer);
    socket.send(new Uint8Array([5, 6]));
    await socket.drained();
    await until(() => atPeer.length === 1);
    expect([...atPeer[0]!.data]).toEqual([5, 6]);
    expect(atPeer[0]!.binary).toBe(true);
    peer.send(Buffer.from([7]));
    peer.send('text');
    await until(() => r.texts === 1);
    expect(r.messages.map((m) => [...m])).toEqual([[7]]);
    expect(r.messages[0]).toBeInstanceOf(Uint8Array);
    expect(r.activity).toBe(2);
    expect(socket.ping()).toBe(false);
    socket.pause();
    peer.send(Buffer.from([8]));
    await until(() => r.messages.length === 2);
    socket.resume();
    socket.close(1000, 'closed');
    await r.closed;
    expect(r.closes).toEqual([[1000, 'closed']]);
    socket.send(new Uint8Array([1]));
  });

  it('a platform that hands over views: the bytes of the view only', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(whatwgView(ws, true));
    const r = record(socket);
    peer.send(Buffer.from([1, 2, 3]));
    await until(() => r.messages.length === 1);
    expect([...r.messages[0]!]).toEqual([1, 2, 3]);
    ws.terminate();
  });

  it('sends only codes a browser may: 1011 -> 4011, 1009 -> 4009, 1001 -> 1000, 4001 as is', async () => {
    for (const [code, sent] of [
      [1011, 4011],
      [1009, 4009],
      [1001, 1000],
      [4001, 4001],
    ] as const) {
      const { ws, peer } = await connectPair();
      const socket = adaptSocket(whatwgView(ws));
      const r = record(socket);
      const seen = peerClose(peer);
      socket.close(code, 'why');
      socket.close(4002, 'again');
      expect(await seen).toEqual([sent, 'why']);
      await r.closed;
    }
  });

  it('a reason the platform refuses still closes (no code); terminate() closes with 1000', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(whatwgView(ws));
    const seen = peerClose(peer);
    socket.close(4002, 'x'.repeat(200));
    expect(await seen).toEqual([1005, '']);
    const second = await connectPair();
    const s2 = adaptSocket(whatwgView(second.ws));
    const seen2 = peerClose(second.peer);
    s2.terminate();
    expect(await seen2).toEqual([1000, '']);
  });

  it('a handler that throws closes (1000) and goes to onFault', async () => {
    const { ws, peer } = await connectPair();
    const socket = adaptSocket(whatwgView(ws));
    const r = record(socket);
    const bug = new Error('bug');
    socket.onText = () => {
      throw bug;
    };
    const seen = peerClose(peer);
    peer.send('text');
    expect(await seen).toEqual([1000, '']);
    expect(r.faults).toEqual([bug]);
    socket.onClose = () => {
      throw new Error('close bug');
    };
    await once(ws, 'close');
  });

  it('drained() waits while bytes are buffered, and not once the socket closed', async () => {
    const { ws } = await connectPair();
    const view = whatwgView(ws);
    let buffered = 1;
    const socket = adaptSocket({ ...view, binaryType: '', get readyState() { return ws.readyState; }, get bufferedAmount() { return buffered; }, addEventListener: view.addEventListener });
    let done = false;
    const drained = socket.drained().then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(done).toBe(false);
    buffered = 0;
    await drained;
    buffered = 5;
    ws.terminate();
    await once(ws, 'close');
    await settle();
    await socket.drained();
  });
});

describe('writeBatcher', () => {
  it('corks once per synchronous run and uncorks in a microtask', async () => {
    const calls: string[] = [];
    const batcher = writeBatcher({ cork: () => calls.push('cork'), uncork: () => calls.push('uncork') });
    batcher.begin();
    batcher.begin();
    expect(calls).toEqual(['cork']);
    await Promise.resolve();
    expect(calls).toEqual(['cork', 'uncork']);
    batcher.begin();
    expect(calls).toEqual(['cork', 'uncork', 'cork']);
    await Promise.resolve();
    expect(calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('drained() waits for every write callback, or the socket\'s close', async () => {
    const batcher = writeBatcher(undefined);
    await batcher.drained();
    const first = batcher.begin();
    const second = batcher.begin();
    let done = false;
    void batcher.drained().then(() => (done = true));
    first();
    await settle();
    expect(done).toBe(false);
    second();
    await settle();
    expect(done).toBe(true);
    const third = batcher.begin();
    let done2 = false;
    void batcher.drained().then(() => (done2 = true));
    await settle();
    expect(done2).toBe(false);
    batcher.socketClosed();
    await settle();
    expect(done2).toBe(true);
    // Once closed, drained() resolves at once even with writes outstanding.
    await batcher.drained();
    third();
  });
});
