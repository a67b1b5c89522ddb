/**
 * Tests that StrykerJS showed missing in bindings/channel/client.ts (issue 13): option checks with
 * their messages, the handshake options reaching the handshake (context, postQuantum, trace), and
 * each way the client side of the handshake (SPEC.md §5, §7.7) fails before and after the
 * WebSocket opened, against a real server or a raw `ws` peer on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { connect as connectGlobal, clientSetup, connectWith, type ConnectTraceEvent } from '../bindings/channel/client.js';
import { connect } from '../bindings/channel/node.js';
import { createServer, type E2E2Server } from '../bindings/channel/server.js';
import { memoryKeys } from './helpers/channel.js';

const keys = memoryKeys();
let server: E2E2Server;
let pqServer: E2E2Server;
let contextServer: E2E2Server;
beforeAll(async () => {
  server = await createServer({ keys: keys.resolve });
  pqServer = await createServer({ keys: keys.resolve, postQuantum: 'require' });
  contextServer = await createServer({ keys: keys.resolve, context: 'app v1' });
});
afterAll(() => Promise.all([server.close(), pqServer.close(), contextServer.close()]));

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string; cause?: unknown; closeCode?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

/** A raw `ws` server: `onConnection` scripts the server side. Resolves with its URL and the close codes it saw. */
async function rawServer(onConnection: (ws: WebSocket) => void): Promise<{ url: string; closes: Promise<{ code: number; reason: string }>; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  let closed: (value: { code: number; reason: string }) => void;
  const closes = new Promise<{ code: number; reason: string }>((resolve) => (closed = resolve));
  wss.on('connection', (ws) => {
    ws.on('close', (code, reason) => closed({ code, reason: reason.toString() }));
    onConnection(ws);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    closes,
    close: () => new Promise((resolve) => wss.close(() => resolve())),
  };
}

describe('connect() option checks', () => {
  it('needs a WebSocket constructor', async () => {
    const error = await rejection(connectGlobal(server.url, { apiKey: keys.add().token, WebSocket: 5 as never }));
    expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'no WebSocket implementation: pass options.WebSocket (in Node, import connect from "e2e2/channel")']);
  });

  it('uses the WebSocket constructor it is given', async () => {
    const key = keys.add();
    const channel = await connectGlobal(server.url, { apiKey: key.token, WebSocket: WebSocket as never });
    expect(channel.keyId).toBe(key.keyId);
    await channel.close();
  });

  it('options, url and onError are checked, with messages that say what is expected', async () => {
    const apiKey = keys.add().token;
    const factory = () => {
      throw new Error('never called');
    };
    const invalid = async (promise: Promise<unknown>, message: string) => expect(await rejection(promise)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message });
    await invalid(connectWith(factory, server.url, null as never), 'options must be an object with an apiKey');
    await invalid(connectWith(factory, server.url, 'key' as never), 'options must be an object with an apiKey');
    expect(() => clientSetup(null as never)).toThrow('options must be an object with an apiKey');
    for (const url of ['http://127.0.0.1/', 'xws://127.0.0.1/', 'ws:/127.0.0.1/', ' ws://127.0.0.1/']) {
      await invalid(connectWith(factory, url, { apiKey }), 'url must start with ws:// or wss://');
    }
    await invalid(connectWith(factory, server.url, { apiKey, onError: 5 as never }), 'onError must be a function');
    // Upper case is a URL scheme too.
    const channel = await connect(server.url.replace('ws://', 'WS://'), { apiKey });
    await channel.close();
  });
});

describe('handshake options reach the handshake', () => {
  it('context: the same on both sides connects; another is refused like a wrong key (4001)', async () => {
    const apiKey = keys.add().token;
    const channel = await connect(contextServer.url, { apiKey, context: 'app v1' });
    await channel.close();
    expect(await rejection(connect(contextServer.url, { apiKey }))).toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED' });
    expect(await rejection(connect(contextServer.url, { apiKey, context: 'app v2' }))).toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED' });
  });

  it('postQuantum: true runs the hybrid handshake that a server requiring it accepts', async () => {
    const apiKey = keys.add().token;
    const channel = await connect(pqServer.url, { apiKey, postQuantum: true });
    await channel.close();
    expect(await rejection(connect(pqServer.url, { apiKey, postQuantum: false }))).toMatchObject({ code: 'ERR_PQ_REQUIRED' });
  });

  it('rekeyAfterRecords: 1 makes the key confirmation a REKEY record, which the server accepts', async () => {
    const before = server.stats.handshakes;
    const channel = await connect(server.url, { apiKey: keys.add().token, rekeyAfterRecords: 1 });
    expect((await channel.close()).code).toBe(1000);
    expect(server.stats.handshakes).toBe(before + 1);
  });

  it('trace sees open, the key stages, message 1 (60 bytes), message 2 (48 bytes) and the key confirmation', async () => {
    const events: ConnectTraceEvent[] = [];
    const channel = await connect(server.url, { apiKey: keys.add().token, trace: (event) => events.push(event) });
    await channel.close();
    const wire = events.filter((e) => ['open', 'message1', 'message2', 'confirm'].includes(e.stage));
    expect(wire).toEqual([
      { stage: 'open', url: server.url },
      { stage: 'message1', bytes: 60 },
      { stage: 'message2', bytes: 48 },
      { stage: 'confirm', bytes: expect.any(Number) },
    ]);
    expect(events.length).toBeGreaterThan(wire.length); // the key stages (fingerprints) too
  });
});

describe('handshake failures before the WebSocket opens', () => {
  let silent: TcpServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createTcpServer((socket) => sockets.push(socket)); // accepts, never answers the upgrade
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('a server that never answers the upgrade: ERR_HANDSHAKE_TIMEOUT naming the timeout', async () => {
    const error = await rejection(connect(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { apiKey: keys.add().token, handshakeTimeoutMs: 150 }));
    expect([error.code, error.message]).toEqual(['ERR_HANDSHAKE_TIMEOUT', 'the handshake did not complete within 150 ms']);
  });

  it('a refused connection: ERR_CONNECTION_CLOSED "could not be opened (ECONNREFUSED)", with the transport error as cause', async () => {
    const idle = createTcpServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const port = (idle.address() as AddressInfo).port;
    await new Promise((resolve) => idle.close(resolve));
    const error = await rejection(connect(`ws://127.0.0.1:${port}/`, { apiKey: keys.add().token }));
    expect([error.code, error.message, error.closeCode]).toEqual(['ERR_CONNECTION_CLOSED', 'the connection could not be opened (ECONNREFUSED)', 1006]);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('an HTTP answer instead of an upgrade: "could not be opened", without an errno', async () => {
    const http: HttpServer = createHttpServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const error = await rejection(connect(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, { apiKey: keys.add().token }));
      expect([error.code, error.message]).toEqual(['ERR_CONNECTION_CLOSED', 'the connection could not be opened']);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe('handshake failures after the WebSocket opened', () => {
  it('no message 2: ERR_HANDSHAKE_TIMEOUT, after closing with 4003 so the server learns why', async () => {
    const raw = await rawServer(() => {});
    try {
      const error = await rejection(connect(raw.url, { apiKey: keys.add().token, handshakeTimeoutMs: 300 }));
      expect([error.code, error.message]).toEqual(['ERR_HANDSHAKE_TIMEOUT', 'the handshake did not complete within 300 ms']);
      expect((await raw.closes).code).toBe(4003);
    } finally {
      await raw.close();
    }
  });

  it('a text message: ERR_MALFORMED_MESSAGE, closed with 4002', async () => {
    const raw = await rawServer((ws) => ws.once('message', () => ws.send('hello')));
    try {
      const error = await rejection(connect(raw.url, { apiKey: keys.add().token }));
      expect([error.code, error.message]).toEqual(['ERR_MALFORMED_MESSAGE', 'received a text WebSocket message during the handshake']);
      expect((await raw.closes).code).toBe(4002);
    } finally {
      await raw.close();
    }
  });

  it('a message 2 longer than maxMessageBytes: ERR_MESSAGE_TOO_LARGE', async () => {
    const raw = await rawServer((ws) => ws.once('message', () => ws.send(new Uint8Array(200))));
    try {
      const error = await rejection(connect(raw.url, { apiKey: keys.add().token, maxMessageBytes: 100 }));
      expect(error.code).toBe('ERR_MESSAGE_TOO_LARGE');
    } finally {
      await raw.close();
    }
  });

  it('a bad message 2: its handshake error (closed with 4001 or 4002); the server closing first: the error its code means', async () => {
    const bad = await rawServer((ws) => ws.once('message', () => ws.send(new Uint8Array(48))));
    const refusing = await rawServer((ws) => ws.once('message', () => ws.close(4001, 'authentication failed')));
    try {
      const error = await rejection(connect(bad.url, { apiKey: keys.add().token }));
      expect(error.code).toMatch(/^ERR_(AUTHENTICATION_FAILED|LOW_ORDER_POINT|MALFORMED_MESSAGE)$/);
      expect([4001, 4002]).toContain((await bad.closes).code);
      expect(await rejection(connect(refusing.url, { apiKey: keys.add().token }))).toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED', message: 'authentication failed' });
    } finally {
      await Promise.all([bad.close(), refusing.close()]);
    }
  });

  it('a trace callback that throws: before message 1 it fails the handshake (ERR_APPLICATION, cause kept); at the confirmation it ends the channel', async () => {
    const thrown = new Error('trace bug');
    const early = await rejection(
      connect(server.url, {
        apiKey: keys.add().token,
        trace: (event) => {
          if (event.stage === 'message1') throw thrown;
        },
      }),
    );
    expect([early.code, early.message, early.cause]).toEqual(['ERR_APPLICATION', 'application code threw during the handshake', thrown]);
    const channel = await connect(server.url, {
      apiKey: keys.add().token,
      trace: (event) => {
        if (event.stage === 'confirm') throw thrown;
      },
    });
    const closed = await channel.closed;
    expect(closed.error).toMatchObject({ code: 'ERR_APPLICATION', cause: thrown });
  });
});
