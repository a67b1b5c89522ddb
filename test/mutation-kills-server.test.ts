/**
 * Tests that StrykerJS showed missing in bindings/channel/server.ts (issue 13), each a few
 * handshakes on loopback at most: option checks and their messages, the accessors, listeners and
 * error reporting, plain HTTP answers, each way a handshake fails (with its close code and the
 * onHandshakeError report), revocation sweeps, the session registry's failures, close().
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { once } from 'node:events';
import { createClientHandshake } from '../bindings/e2e2/handshake.js';
import { connect } from '../bindings/channel/node.js';
import { createServer, E2E2Server, type ServerOptions } from '../bindings/channel/server.js';
import type { Channel } from '../bindings/channel/channel.js';
import { KeyStore } from '../bindings/channel/keystore.js';
import { memoryKeys, rawPeer, type Keys } from './helpers/channel.js';
import { useTempStore } from './helpers/keystore.js';
import { generateApiKey } from '../bindings/e2e2/api-key.js';

const servers: E2E2Server[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(keys: Keys, options: Partial<ServerOptions> = {}): Promise<E2E2Server> {
  const server = await createServer({ keys: keys.resolve, ...options });
  servers.push(server);
  return server;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string; cause?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

/** Plain HTTP to the server: status, headers and body. */
function get(port: number, path = '/'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Raw bytes to the port; resolves with everything the server answered before it closed. */
async function rawHttp(port: number, text: string): Promise<string> {
  const socket = tcpConnect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.write(text);
  await once(socket, 'close');
  return answer;
}

const errorsOf = (server: E2E2Server) => {
  const errors: { code: string; message: string; cause?: unknown; channel?: Channel; remoteAddress?: string }[] = [];
  server.on('error', (error, info) => errors.push({ code: error.code, message: error.message, cause: error.cause, ...info }));
  return errors;
};

describe('E2E2Server options', () => {
  it('refuses what it cannot use, naming it', () => {
    const keys = memoryKeys();
    const invalid = (options: unknown, message: string) => expect(() => new E2E2Server(options as ServerOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message }));
    invalid(null, 'options must be an object');
    invalid('x', 'options must be an object');
    invalid({ keys: {} }, 'keys must be a KeyStore or a resolver function');
    invalid({ keys: keys.resolve, eapiSessions: { register() {}, lookup() {} } }, 'eapiSessions must implement register, lookup and unregister');
    invalid({ keys: keys.resolve, eapiSessions: { register() {}, unregister() {} } }, 'eapiSessions must implement register, lookup and unregister');
    invalid({ keys: keys.resolve, eapiSessions: { lookup() {}, unregister() {} } }, 'eapiSessions must implement register, lookup and unregister');
    invalid({ keys: keys.resolve, eapiSessions: null }, 'eapiSessions must implement register, lookup and unregister');
    invalid({ keys: keys.resolve, eapiReplay: {} }, 'eapiReplay must implement claim');
  });

  describe('with a KeyStore', () => {
    const store = useTempStore();
    it('resolves keys from a KeyStore file', async () => {
      const key = generateApiKey();
      const keyStore = new KeyStore(store.path, { generate: () => ({ id: key.keyId, secret: Buffer.from(key.secret).toString('base64url') }) });
      keyStore.create('client');
      const server = await createServer({ keys: keyStore });
      servers.push(server);
      const channel = await connect(server.url, { apiKey: key.token });
      expect(channel.keyId).toBe(key.keyId);
      await channel.close();
    });
  });
});

describe('E2E2Server accessors', () => {
  it('url and port of a standalone server; the path is part of the url', async () => {
    const keys = memoryKeys();
    const server = await start(keys, { path: '/e2e2' });
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/e2e2`);
    const plain = await start(keys);
    expect(plain.url).toBe(`ws://127.0.0.1:${plain.port}/`);
    expect(plain.httpServer.listening).toBe(true);
  });

  it('an IPv6 address is bracketed in the url', async () => {
    const server = await start(memoryKeys(), { host: '::1' }).catch(() => undefined);
    if (server === undefined) return console.log('skipping the IPv6 url check: ::1 is not available here');
    expect(server.url).toBe(`ws://[::1]:${server.port}/`);
  });

  it('port of an attached server that does not listen is ERR_INVALID_ARGUMENT', async () => {
    const http = createHttpServer();
    const server = await createServer({ keys: memoryKeys().resolve, server: http });
    servers.push(server);
    expect(() => server.port).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'the server is not listening on a TCP port' }));
    expect(server.httpServer).toBe(http);
  });

  it('on() checks its arguments; the returned function removes the listener', async () => {
    const keys = memoryKeys();
    const server = await start(keys);
    expect(() => server.on('channel', 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'listener must be a function' }));
    expect(() => server.on('nope' as never, () => {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: "event must be 'channel' or 'error'" }));
    const seen: string[] = [];
    const off = server.on('channel', (channel) => seen.push(channel.keyId));
    const key = keys.add();
    const first = await connect(server.url, { apiKey: key.token });
    await vi.waitFor(() => expect(seen).toEqual([key.keyId]));
    expect(server.channelBySessionId(first.sessionId)?.keyId).toBe(key.keyId);
    expect(server.channels.size).toBe(1);
    off();
    const second = await connect(server.url, { apiKey: key.token });
    await vi.waitFor(() => expect(server.channels.size).toBe(2));
    expect(seen).toEqual([key.keyId]);
    await Promise.all([first.close(), second.close()]);
    await vi.waitFor(() => expect(server.channels.size).toBe(0));
    expect(server.channelBySessionId(first.sessionId)).toBeUndefined();
  });
});

describe('E2E2Server errors', () => {
  it("a 'channel' listener that throws closes that channel with 1011 and is reported with it; without 'error' listeners, on console.error", async () => {
    const keys = memoryKeys();
    const server = await start(keys);
    const thrown = new Error('listener bug');
    server.on('channel', () => {
      throw thrown;
    });
    const lines: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    const channel = await connect(server.url, { apiKey: keys.add().token });
    expect((await channel.closed).code).toBe(1011);
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]![0]).toBe('e2e2 server:');
    expect(lines[0]![1]).toMatchObject({ code: 'ERR_APPLICATION', message: "a 'channel' listener threw", cause: thrown });
  });

  it("an 'error' listener that throws is printed; the other listeners still hear the error; removing one stops it", async () => {
    const keys = memoryKeys();
    const server = await start(keys, {
      onChannel: () => {
        throw new Error('handler bug');
      },
    });
    const lines: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    const broken = new Error('error listener bug');
    const offBroken = server.on('error', () => {
      throw broken;
    });
    const errors = errorsOf(server);
    const channel = await connect(server.url, { apiKey: keys.add().token });
    await channel.closed;
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ code: 'ERR_APPLICATION', message: 'the onChannel handler threw' });
    expect(errors[0]!.channel?.keyId).toBe(channel.keyId);
    expect(lines).toEqual([['e2e2 server:', broken]]);
    offBroken();
    await (await connect(server.url, { apiKey: keys.add().token })).closed;
    await vi.waitFor(() => expect(errors).toHaveLength(2));
    expect(lines).toHaveLength(1);
  });

  it('an onChannel that rejects closes its channel (1011); one that ends with the channel\'s own error is not a fault', async () => {
    const keys = memoryKeys();
    const server = await start(keys, {
      onChannel: async (channel) => {
        if (channel.keyId === rejecting.keyId) throw new Error('async bug');
        for await (const _ of channel); // rethrows the channel's close error when the client goes away badly
      },
    });
    const errors = errorsOf(server);
    const rejecting = keys.add();
    const channel = await connect(server.url, { apiKey: rejecting.token });
    expect((await channel.closed).code).toBe(1011);
    await vi.waitFor(() => expect(errors.map((e) => e.message)).toEqual(['the onChannel handler threw']));
    const other = await connect(server.url, { apiKey: keys.add().token });
    await other.destroy(); // no CLOSE record: the server's iterator ends with ERR_CONNECTION_CLOSED
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errors.map((e) => e.message)).toEqual(['the onChannel handler threw']);
  });
});

describe('E2E2Server plain HTTP (standalone)', () => {
  it('answers 426 with a hint by default', async () => {
    const server = await start(memoryKeys());
    const answer = await get(server.port);
    expect([answer.status, answer.headers['upgrade'], answer.headers['content-type'], answer.body]).toEqual([426, 'websocket', 'text/plain', 'E2-E2 channel endpoint: connect with WebSocket\n']);
  });

  it('an httpHandler that throws or rejects gets a 500, and is reported; one that already answered is cut off', async () => {
    const server = await start(memoryKeys(), {
      httpHandler: async (request, response) => {
        if (request.url === '/throw') throw new Error('sync');
        await Promise.resolve();
        if (request.url === '/late') {
          response.writeHead(200);
          response.write('partial');
        }
        throw new Error('async');
      },
    });
    const errors = errorsOf(server);
    for (const path of ['/throw', '/reject']) {
      const answer = await get(server.port, path);
      expect([answer.status, answer.headers['connection'], answer.body]).toEqual([500, 'close', 'internal error\n']);
    }
    await expect(get(server.port, '/late')).rejects.toThrow();
    expect(errors.map((e) => [e.code, e.message])).toEqual(Array(3).fill(['ERR_APPLICATION', 'the HTTP handler threw']));
  });

  it('a synchronous httpHandler that throws is reported too', async () => {
    const server = await start(memoryKeys(), {
      httpHandler: () => {
        throw new Error('sync handler');
      },
    });
    const errors = errorsOf(server);
    expect((await get(server.port)).status).toBe(500);
    expect(errors).toHaveLength(1);
  });

  it('malformed requests get 400, too large headers 431', async () => {
    const server = await start(memoryKeys());
    expect(await rawHttp(server.port, 'NOT HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(await rawHttp(server.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  it('connections beyond maxHttpConnections are closed at once and counted', async () => {
    const server = await start(memoryKeys(), { maxHttpConnections: 1, maxHttpConnectionsPerAddress: 1 });
    const first = tcpConnect({ port: server.port, host: '127.0.0.1' });
    await once(first, 'connect');
    await vi.waitFor(() => expect(server.stats.httpConnections).toBe(1));
    const second = tcpConnect({ port: server.port, host: '127.0.0.1' });
    second.on('error', () => {});
    await once(second, 'close');
    expect(server.stats.httpRejections).toBe(1);
    first.destroy();
    await vi.waitFor(() => expect(server.stats.httpConnections).toBe(0));
    const third = tcpConnect({ port: server.port, host: '127.0.0.1' });
    await once(third, 'connect');
    await vi.waitFor(() => expect(server.stats.httpConnections).toBe(1));
    expect(server.stats.httpRejections).toBe(1);
    third.destroy();
  });
});

describe('E2E2Server upgrades', () => {
  it('standalone with a path: another path is 404, an unparsable target 400', async () => {
    const server = await start(memoryKeys(), { path: '/e2e2' });
    const upgrade = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    expect(await rawHttp(server.port, upgrade('/other'))).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(await rawHttp(server.port, upgrade('//['))).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const peer = await rawPeer(`ws://127.0.0.1:${server.port}/e2e2?x=1`);
    peer.ws.close();
  });

  it('attached with a path: another path is left to the other upgrade listeners', async () => {
    const http: HttpServer = createHttpServer();
    const server = await createServer({ keys: memoryKeys().resolve, server: http, path: '/e2e2' });
    servers.push(server);
    const others: string[] = [];
    http.on('upgrade', (request, socket) => {
      if (request.url !== '/e2e2') {
        others.push(request.url!);
        socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    const answer = await rawHttp(port, 'GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 418 Teapot\r\n/);
    expect(others).toEqual(['/other']);
    await server.close();
    await new Promise((resolve) => http.close(resolve));
  });
});

describe('E2E2Server handshakes that fail', () => {
  const message1 = (keys: Keys) => createClientHandshake({ apiKey: keys.add().token }).writeMessage1();

  it('no message 1 in time: 4003, reported to onHandshakeError with the address', async () => {
    const keys = memoryKeys();
    const failures: [string, string, string | undefined][] = [];
    const server = await start(keys, { message1TimeoutMs: 100, onHandshakeError: (error, info) => failures.push([(error as { code: string }).code, (error as Error).message, info.remoteAddress]) });
    const peer = await rawPeer(server.url);
    expect((await peer.closed).code).toBe(4003);
    expect(failures).toEqual([['ERR_HANDSHAKE_TIMEOUT', 'no message 1 within 100 ms', '127.0.0.1']]);
    expect(server.stats).toMatchObject({ connections: 1, handshakeFailures: 1, pendingHandshakes: 0 });
  });

  it('message 1 but no key confirmation in time: 4003 "no key confirmation"', async () => {
    const keys = memoryKeys();
    const failures: string[] = [];
    const server = await start(keys, { handshakeTimeoutMs: 300, onHandshakeError: (error) => failures.push((error as Error).message) });
    const peer = await rawPeer(server.url);
    peer.ws.send(message1(keys));
    await peer.nextMessage();
    expect((await peer.closed).code).toBe(4003);
    expect(failures).toEqual(['no key confirmation within 300 ms']);
  });

  it('a text message: 4002; a message before message 2 was sent: 4002; a non-empty first record: 4002', async () => {
    const keys = memoryKeys();
    const failures: string[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const server = await start(keys, {
      keys: async (keyId) => {
        await slow;
        return keys.resolve(keyId);
      },
      onHandshakeError: (error) => failures.push((error as Error).message),
    });
    const text = await rawPeer(server.url);
    text.ws.send('hello');
    expect((await text.closed).code).toBe(4002);
    const early = await rawPeer(server.url);
    early.ws.send(message1(keys));
    early.ws.send(new Uint8Array(10));
    expect((await early.closed).code).toBe(4002);
    release();
    const key = keys.add();
    const client = createClientHandshake({ apiKey: key.token });
    const data = await rawPeer(server.url);
    data.ws.send(client.writeMessage1());
    const session = client.readMessage2(await data.nextMessage());
    data.ws.send(session.seal(new TextEncoder().encode('not empty')));
    expect((await data.closed).code).toBe(4002);
    expect(failures).toEqual([
      'received a text WebSocket message; E2-E2 messages are binary',
      'a message arrived before message 2 was sent (out of order)',
      'the first record must be the empty key confirmation (DATA or REKEY)',
    ]);
  });

  it('a resolver that throws is the operator\'s error: reported as ERR_APPLICATION "the key resolver failed", the client refused', async () => {
    const keys = memoryKeys();
    const broken = new Error('database down');
    const failures: unknown[] = [];
    const server = await start(keys, {
      keys: () => {
        throw broken;
      },
      onHandshakeError: (error) => failures.push(error),
    });
    const errors = errorsOf(server);
    const error = await rejection(connect(server.url, { apiKey: keys.add().token }));
    expect(error.code).toMatch(/^ERR_/);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ code: 'ERR_APPLICATION', message: 'the key resolver failed', cause: broken, remoteAddress: '127.0.0.1' });
    expect(failures).toEqual([broken]);
  });

  it('an onHandshakeError that throws is reported as ERR_APPLICATION "onHandshakeError threw"', async () => {
    const keys = memoryKeys();
    const thrown = new Error('logger bug');
    const server = await start(keys, {
      message1TimeoutMs: 50,
      onHandshakeError: () => {
        throw thrown;
      },
    });
    const errors = errorsOf(server);
    const peer = await rawPeer(server.url);
    await peer.closed;
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ code: 'ERR_APPLICATION', message: 'onHandshakeError threw', cause: thrown });
  });

  it('beyond maxPendingHandshakes: 4004, counted, reported; the slot comes back when a handshake ends', async () => {
    const keys = memoryKeys();
    const failures: string[] = [];
    const server = await start(keys, { maxPendingHandshakes: 1, onHandshakeError: (error) => failures.push((error as { code: string }).code) });
    const holder = await rawPeer(server.url);
    const busy = await rawPeer(server.url);
    expect((await busy.closed).code).toBe(4004);
    expect(server.stats.busyRejections).toBe(1);
    expect(failures).toEqual(['ERR_SERVER_BUSY']);
    expect(server.stats.pendingHandshakes).toBe(1);
    holder.ws.close();
    await holder.closed;
    await vi.waitFor(() => expect(server.stats.pendingHandshakes).toBe(0));
    const channel = await connect(server.url, { apiKey: keys.add().token });
    await channel.close();
    expect(server.stats.handshakeFailures).toBe(1); // the holder that went away
  });
});

describe('E2E2Server revocation and close', () => {
  it('revokeKey closes only that key\'s open channels (4006), says how many, and counts each once', async () => {
    const keys = memoryKeys();
    const server = await start(keys, { revocationCheckIntervalMs: 0 });
    const a = keys.add();
    const b = keys.add();
    const [a1, a2, b1] = await Promise.all([connect(server.url, { apiKey: a.token }), connect(server.url, { apiKey: a.token }), connect(server.url, { apiKey: b.token })]);
    await vi.waitFor(() => expect(server.channels.size).toBe(3));
    expect(server.revokeKey(a.keyId)).toBe(2);
    // Again before their sockets closed (the periodic sweep can do this): already ending, not counted twice.
    expect(server.revokeKey(a.keyId)).toBe(0);
    expect((await a1.closed).code).toBe(4006);
    expect((await a2.closed).code).toBe(4006);
    expect(server.stats.revokedChannels).toBe(2);
    expect(b1.state).toBe('open');
    await b1.close();
  });

  it('the periodic check closes channels whose key is gone; a resolver that fails during it keeps them and is reported', async () => {
    const keys = memoryKeys();
    let failing = false;
    const server = await start(keys, {
      revocationCheckIntervalMs: 30,
      keys: (keyId) => {
        if (failing) throw new Error('store down');
        return keys.resolve(keyId);
      },
    });
    const errors = errorsOf(server);
    const key = keys.add();
    const channel = await connect(server.url, { apiKey: key.token });
    failing = true;
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
    expect(errors[0]).toMatchObject({ code: 'ERR_APPLICATION', message: 'the key resolver failed' });
    expect(channel.state).toBe('open');
    failing = false;
    keys.revoke(key.keyId);
    expect((await channel.closed).code).toBe(4006);
    expect(server.stats.revokedChannels).toBe(1);
  });

  it('close() ends pending handshakes with 1001 and channels cleanly, and refuses connections after', async () => {
    const keys = memoryKeys();
    const server = await createServer({ keys: keys.resolve });
    const channel = await connect(server.url, { apiKey: keys.add().token });
    const pending = await rawPeer(server.url);
    const closing = server.close();
    expect((await pending.closed).code).toBe(1001);
    expect((await channel.closed).code).toBe(1001);
    await closing;
    expect(server.close()).toBe(closing);
    expect(server.httpServer.listening).toBe(false);
  });

  it('a session registry that fails is reported as ERR_STORE_UNAVAILABLE and never closes the channel', async () => {
    const keys = memoryKeys();
    const server = await start(keys, {
      eapiSessions: {
        register: () => Promise.reject(new Error('registry down')),
        lookup: () => Promise.resolve(undefined),
        unregister: () => {
          throw new Error('unregister down');
        },
      } as never,
    });
    const errors = errorsOf(server);
    const channel = await connect(server.url, { apiKey: keys.add().token });
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
    expect(errors[0]).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: 'session registry register failed' });
    expect(channel.state).toBe('open');
    await channel.close();
  });
});
