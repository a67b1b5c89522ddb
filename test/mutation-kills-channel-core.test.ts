/**
 * The sans-IO Channel (bindings/channel/channel.ts, SPEC.md §7.7) over an in-memory MessageSocket
 * pair, pinned for mutation testing (issue 13): records on the wire, backpressure, queueing and
 * pausing, the CLOSE-record handshake and its timeouts, keepalive, typed failures and close codes,
 * listener containment.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_RECORD_DATA_BYTES, type Channel, type CloseInfo } from '../bindings/channel/channel.js';
import { ApplicationError, AuthenticationError, ConnectionClosedError, MalformedMessageError, isE2E2Error } from '../bindings/errors.js';
import { Channel as ChannelClass } from '../bindings/channel/channel.js';
import { setSessionNoncesForTestingOnly } from '../bindings/e2e2/session.js';
import { channelPair, memorySocketPair, settle, testSettings } from './helpers/memory-socket.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function collect(channel: Channel): string[] {
  const got: string[] = [];
  channel.on('message', (data) => got.push(text(data)));
  return got;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('channel: identity and messages', () => {
  it('both sides share the session id and key id; roles; not post-quantum', async () => {
    const { client, server, keyId } = await channelPair();
    expect(client.role).toBe('client');
    expect(server.role).toBe('server');
    expect(client.keyId).toBe(keyId);
    expect(server.keyId).toBe(keyId);
    expect(client.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(server.sessionId).toBe(client.sessionId);
    expect(client.postQuantum).toBe(false);
    expect(client.state).toBe('open');
    expect(client.writable).toBe(true);
    expect(client.allowHalfOpen).toBe(false);
    expect(client.writableNeedDrain).toBe(false);
  });

  it('send(): one record per message, strings as UTF-8, byte counters', async () => {
    const { client, server, clientSocket } = await channelPair();
    const got = collect(server);
    expect(client.send('héllo')).toBe(true);
    expect(client.send(new Uint8Array([0x61, 0x62]))).toBe(true);
    await settle();
    expect(got).toEqual(['héllo', 'ab']);
    expect(clientSocket.sent.length).toBe(2);
    // DATA record: 1 type byte + payload + 16-byte tag (SPEC.md §7.1).
    expect(clientSocket.sent[0]!.length).toBe(1 + 6 + 16);
    expect(client.bytesSent).toBe(8);
    expect(server.bytesReceived).toBe(8);
    expect(server.bytesSent).toBe(0);
    expect(client.bytesReceived).toBe(0);
  });

  it('send() takes at most 65,518 bytes (ERR_PAYLOAD_TOO_LARGE) and refuses non-bytes', async () => {
    const { client, server, clientSocket } = await channelPair();
    const sizes: number[] = [];
    server.on('message', (d) => sizes.push(d.length));
    expect(client.send(new Uint8Array(MAX_RECORD_DATA_BYTES))).toBe(true);
    expect(() => client.send(new Uint8Array(MAX_RECORD_DATA_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'ERR_PAYLOAD_TOO_LARGE', message: `a message is at most ${MAX_RECORD_DATA_BYTES} bytes; use write() for streams` }),
    );
    expect(() => client.send(42 as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'data must be a Uint8Array or a string' }));
    expect(clientSocket.sent.length).toBe(1);
    await settle();
    expect(sizes).toEqual([MAX_RECORD_DATA_BYTES]);
    expect(client.bytesSent).toBe(MAX_RECORD_DATA_BYTES);
  });

  it('write(): splits into records of at most 65,518 bytes, in order; an empty write is one empty record', async () => {
    const { client, server, clientSocket } = await channelPair();
    const parts: Uint8Array[] = [];
    server.on('message', (d) => parts.push(d));
    const data = new Uint8Array(2 * MAX_RECORD_DATA_BYTES + 3).map((_, i) => i % 251);
    expect(client.write(data)).toBe(true);
    await settle();
    expect(parts.map((p) => p.length)).toEqual([MAX_RECORD_DATA_BYTES, MAX_RECORD_DATA_BYTES, 3]);
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
    expect(client.bytesSent).toBe(data.length);
    client.write(new Uint8Array(MAX_RECORD_DATA_BYTES));
    expect(clientSocket.sent.length).toBe(4);
    client.write('');
    expect(clientSocket.sent.length).toBe(5);
    client.write('xyz');
    await settle();
    expect(parts.slice(3).map((p) => p.length)).toEqual([MAX_RECORD_DATA_BYTES, 0, 3]);
    expect(text(parts[5]!)).toBe('xyz');
    expect(server.bytesReceived).toBe(data.length + MAX_RECORD_DATA_BYTES + 3);
  });

  it('rekey(): switches keys; an empty REKEY delivers nothing, one with data delivers it', async () => {
    const { client, server, clientSocket } = await channelPair();
    const got = collect(server);
    expect(client.rekey()).toBe(true);
    client.send('after rekey');
    client.rekey('carried');
    expect(() => client.rekey(new Uint8Array(MAX_RECORD_DATA_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'ERR_PAYLOAD_TOO_LARGE', message: `a message is at most ${MAX_RECORD_DATA_BYTES} bytes` }),
    );
    client.rekey(new Uint8Array(MAX_RECORD_DATA_BYTES));
    await settle();
    expect(got.slice(0, 2)).toEqual(['after rekey', 'carried']);
    expect(got.length).toBe(3);
    expect(clientSocket.sent.length).toBe(4);
    expect(client.bytesSent).toBe(11 + 7 + MAX_RECORD_DATA_BYTES);
    expect(server.bytesReceived).toBe(11 + 7 + MAX_RECORD_DATA_BYTES);
    expect(server.state).toBe('open');
  });

  it('EAPIs: only the client issues, only the server verifies', async () => {
    const { client, server } = await channelPair();
    expect(() => server.issueEapi({ scope: 's', expiresAt: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE', message: 'only a client channel issues EAPIs' }));
    const now = Date.now();
    const eapi = client.issueEapi({ scope: 'orders:read', expiresAt: now + 60_000 });
    const request = { method: 'GET', path: '/orders' };
    const authorization = eapi.sign({ ...request, timestamp: now });
    expect(() => client.verifyEapi({ authorization, ...request, now, requiredScope: 'orders:read' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STATE', message: 'only a server channel verifies EAPIs' }),
    );
    const verified = server.verifyEapi({ authorization, ...request, now, requiredScope: 'orders:read' });
    expect(verified.sessionId).toBe(server.sessionId);
    expect(verified.scope).toBe('orders:read');
  });
});

describe('channel: backpressure', () => {
  it('false at writableHighWaterMark bytes waiting (not below), one drain per episode, drained() is the socket\'s', async () => {
    const { client, clientSocket } = await channelPair({ client: { writableHighWaterMark: 100 } });
    let drains = 0;
    client.on('drain', () => drains++);
    clientSocket.bufferedAmount = 99;
    expect(client.send('a')).toBe(true);
    expect(client.writableNeedDrain).toBe(false);
    expect(client.bufferedAmount).toBe(99);
    clientSocket.bufferedAmount = 100;
    expect(client.send('a')).toBe(false);
    expect(client.writableNeedDrain).toBe(true);
    expect(client.write('b')).toBe(false);
    expect(client.rekey()).toBe(false);
    let drained = false;
    void client.drained().then(() => (drained = true));
    await settle();
    expect(drains).toBe(0);
    expect(drained).toBe(false);
    clientSocket.flush();
    await settle();
    expect(drains).toBe(1);
    expect(drained).toBe(true);
    expect(client.writableNeedDrain).toBe(false);
    // A second episode drains again.
    clientSocket.bufferedAmount = 500;
    expect(client.send('c')).toBe(false);
    clientSocket.flush();
    await settle();
    expect(drains).toBe(2);
  });

  it("a 'drain' listener that throws stops the others and fails the channel (1011); no drain after close", async () => {
    const { client, clientSocket, clientErrors } = await channelPair({ client: { writableHighWaterMark: 10 } });
    const calls: string[] = [];
    client.on('drain', () => {
      calls.push('first');
      throw new Error('drain bug');
    });
    client.on('drain', () => calls.push('second'));
    clientSocket.bufferedAmount = 10;
    client.send('x');
    clientSocket.flush();
    await settle();
    expect(calls).toEqual(['first']);
    expect(clientErrors.map((e) => [e.code, e.message])).toEqual([['ERR_APPLICATION', 'a channel listener threw']]);
    expect(clientSocket.closeCalls[0]).toEqual([1011, 'internal error']);
  });

  it('no drain is emitted once the channel closed', async () => {
    const { client, clientSocket } = await channelPair({ client: { writableHighWaterMark: 10 } });
    let drains = 0;
    client.on('drain', () => drains++);
    clientSocket.bufferedAmount = 10;
    client.send('x');
    clientSocket.terminate();
    await settle();
    expect(client.state).toBe('closed');
    expect(drains).toBe(0);
  });
});

describe('channel: receiving, queueing, pausing', () => {
  it('queues messages until the first listener, in order, then delivers live', async () => {
    const { client, server } = await channelPair();
    client.send('1');
    client.send('2');
    await settle();
    const got = collect(server);
    expect(got).toEqual(['1', '2']);
    client.send('3');
    await settle();
    expect(got).toEqual(['1', '2', '3']);
  });

  it('pauses reading past readableHighWaterMark (64 bytes counted per message), resumes below half', async () => {
    const { client, server, serverSocket } = await channelPair({ server: { readableHighWaterMark: 256 } });
    // Each empty message counts 64 bytes: 4 = 256 (at the mark, not over), 5 = 320 (over).
    for (let i = 0; i < 4; i++) client.send('');
    await settle();
    expect(serverSocket.pauseCalls).toBe(0);
    client.send('');
    await settle();
    expect(serverSocket.pauseCalls).toBe(1);
    expect(serverSocket.paused).toBe(true);
    const iterator = server[Symbol.asyncIterator]();
    // 320 -> 256 -> 192 -> 128 (half: not below it) -> 64: resume.
    await iterator.next();
    await iterator.next();
    await iterator.next();
    expect(serverSocket.resumeCalls).toBe(0);
    await iterator.next();
    expect(serverSocket.resumeCalls).toBe(1);
    expect(serverSocket.paused).toBe(false);
    await iterator.next();
    // Message bytes count too: 192 + 64 is at the mark; one more message is over.
    client.send(new Uint8Array(192));
    await settle();
    expect(serverSocket.pauseCalls).toBe(1);
    client.send(new Uint8Array(0));
    await settle();
    expect(serverSocket.pauseCalls).toBe(2);
  });

  it('handing the queue to a listener resumes reading; a user pause() keeps it paused', async () => {
    const { client, server, serverSocket } = await channelPair({ server: { readableHighWaterMark: 100 } });
    client.send('a');
    client.send('b');
    await settle();
    expect(serverSocket.paused).toBe(true);
    server.pause();
    expect(serverSocket.pauseCalls).toBe(2);
    const got = collect(server);
    expect(got).toEqual(['a', 'b']);
    expect(serverSocket.resumeCalls).toBe(0);
    server.resume();
    expect(serverSocket.resumeCalls).toBe(1);
    expect(serverSocket.paused).toBe(false);
  });

  it('resume() does not resume while the queue is over its mark', async () => {
    const { client, server, serverSocket } = await channelPair({ server: { readableHighWaterMark: 100 } });
    client.send('a');
    client.send('b');
    await settle();
    expect(serverSocket.paused).toBe(true);
    server.pause();
    server.resume();
    expect(serverSocket.resumeCalls).toBe(0);
    expect(serverSocket.paused).toBe(true);
  });

  it('a listener that throws while the queue is handed over stops the hand-over and fails the channel', async () => {
    const { client, server, serverSocket, serverErrors } = await channelPair();
    client.send('a');
    client.send('b');
    await settle();
    const seen: string[] = [];
    server.on('message', (d) => {
      seen.push(text(d));
      throw new Error('listener bug');
    });
    expect(seen).toEqual(['a']);
    expect(serverErrors.map((e) => e.message)).toEqual(['a channel listener threw']);
    expect((serverErrors[0] as ApplicationError).cause).toEqual(new Error('listener bug'));
    expect(serverSocket.closeCalls).toEqual([[1011, 'internal error']]);
  });

  it('a throwing listener stops delivery to the other listeners', async () => {
    const { client, server, serverSocket } = await channelPair();
    const seen: string[] = [];
    server.on('message', () => {
      throw new Error('bug');
    });
    server.on('message', (d) => seen.push(text(d)));
    client.send('a');
    await settle();
    expect(seen).toEqual([]);
    expect(serverSocket.closeCalls[0]![0]).toBe(1011);
  });

  it('listeners can be removed; several listeners each get every message', async () => {
    const { client, server } = await channelPair();
    const a = collect(server);
    const b: string[] = [];
    const off = server.on('message', (d) => b.push(text(d)));
    client.send('1');
    await settle();
    off();
    client.send('2');
    await settle();
    expect(a).toEqual(['1', '2']);
    expect(b).toEqual(['1']);
  });

  it('pause() stops reading (socket paused) until resume(); messages still arrive in order', async () => {
    const { client, server, serverSocket } = await channelPair();
    const got = collect(server);
    server.pause();
    expect(serverSocket.pauseCalls).toBe(1);
    client.send('1');
    await settle();
    expect(got).toEqual([]);
    server.resume();
    await settle();
    expect(got).toEqual(['1']);
  });

  it('on() checks its arguments and removes each kind of listener', async () => {
    const { client, server } = await channelPair();
    expect(() => client.on('message', 'x' as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'listener must be a function' }));
    expect(() => client.on('nope' as 'end', () => {})).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: "event must be 'message', 'end', 'drain' or 'close'" }),
    );
    let ends = 0;
    let closes = 0;
    let drains = 0;
    server.on('end', () => ends++)();
    server.on('close', () => closes++)();
    server.on('drain', () => drains++)();
    collect(server);
    client.end();
    await server.closed;
    await settle();
    expect([ends, closes, drains]).toEqual([0, 0, 0]);
  });
});

describe('channel: clean close with CLOSE records', () => {
  it('end(): CLOSE record, the peer ends too (no half-open), both see 1000 without an error', async () => {
    const { client, server, clientSocket, serverSocket } = await channelPair();
    const events: string[] = [];
    server.on('end', () => events.push('server end'));
    client.on('end', () => events.push('client end'));
    const clientClose: CloseInfo[] = [];
    client.on('close', (info) => clientClose.push(info));
    client.end();
    expect(client.writable).toBe(false);
    expect(client.state).toBe('open');
    expect(() => client.send('late')).toThrow(
      expect.objectContaining({ code: 'ERR_CONNECTION_CLOSED', message: 'this side of the channel has ended', closeCode: 1000, closeReason: '' }),
    );
    const [ci, si] = await Promise.all([client.closed, server.closed]);
    expect(ci).toEqual({ code: 1000, reason: 'closed', initiator: 'local' });
    expect(si).toEqual({ code: 1000, reason: 'closed', initiator: 'remote' });
    expect(events).toEqual(['server end', 'client end']);
    expect(clientClose).toEqual([ci]);
    // The server's CLOSE answers ours, so its close frame goes at once; ours follows its CLOSE record.
    expect(serverSocket.closeCalls).toEqual([[1000, 'closed']]);
    expect(clientSocket.closeCalls).toEqual([[1000, 'closed']]);
    expect(client.state).toBe('closed');
    expect(() => client.send('x')).toThrow(expect.objectContaining({ message: 'this side of the channel has ended', closeCode: 1000, closeReason: 'closed' }));
    expect(() => server.send('x')).toThrow(expect.objectContaining({ message: 'this side of the channel has ended' }));
    // Listeners added after the close still hear of it, once, asynchronously.
    const late: CloseInfo[] = [];
    client.on('close', (info) => late.push(info));
    expect(late).toEqual([]);
    await settle();
    expect(late).toEqual([ci]);
    let lateEnd = 0;
    client.on('end', () => lateEnd++);
    expect(lateEnd).toBe(0);
    await settle();
    expect(lateEnd).toBe(1);
    // end() and close() again are no-ops.
    client.end();
    expect(await client.close()).toBe(ci);
    expect(clientSocket.sent.length).toBe(1);
  });

  it('close(): CLOSE record, then the close frame once the peer\'s CLOSE arrived; 1001 with its reason', async () => {
    const { client, server, serverSocket } = await channelPair();
    collect(client);
    const info = await server.close(1001);
    // The client ends at our CLOSE and sends its close frame (1000) with its CLOSE record; ours
    // (1001) crosses it, so each side reports the other's code (RFC 6455 §7.1.5).
    expect(info).toEqual({ code: 1000, reason: 'closed', initiator: 'local' });
    expect(serverSocket.closeCalls).toEqual([[1001, 'server shutting down']]);
    expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down', initiator: 'remote' });
    expect(() => server.close(1011 as 1000)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'close code must be 1000 or 1001' }));
  });

  it('a second close() keeps the first code and timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, server, clientSocket } = await channelPair({ client: { closeTimeoutMs: 50 }, server: { allowHalfOpen: true } });
    collect(server);
    void client.close(1001);
    await vi.advanceTimersByTimeAsync(30);
    void client.close(1000);
    await vi.advanceTimersByTimeAsync(25);
    expect(clientSocket.closeCalls).toEqual([[1000, 'closed']]);
  });

  it('half-open: the peer keeps sending after our CLOSE until it ends', async () => {
    const { client, server } = await channelPair({ server: { allowHalfOpen: true } });
    const atClient = collect(client);
    let ended = false;
    server.on('end', () => (ended = true));
    client.end();
    await settle();
    expect(ended).toBe(true);
    expect(server.writable).toBe(true);
    expect(server.allowHalfOpen).toBe(true);
    server.send('still here');
    server.end();
    const info = await client.closed;
    expect(info.error).toBeUndefined();
    expect(atClient).toEqual(['still here']);
  });

  it('the peer does not answer the CLOSE within closeTimeoutMs: the close frame goes anyway and the end is a truncation', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, server, clientSocket } = await channelPair({ client: { closeTimeoutMs: 100 }, server: { allowHalfOpen: true } });
    collect(server);
    const closed = client.close();
    await vi.advanceTimersByTimeAsync(99);
    expect(clientSocket.closeCalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(clientSocket.closeCalls).toEqual([[1000, 'closed']]);
    const info = await closed;
    expect(info.code).toBe(1000);
    expect(info.initiator).toBe('local');
    expect(info.error).toBeInstanceOf(ConnectionClosedError);
    expect(info.error!.message).toBe("the channel was truncated: the WebSocket closed (code 1000) before the peer's CLOSE record");
    // The half-open server got our CLOSE record before the close frame: a clean end for it.
    const serverInfo = await server.closed;
    expect(serverInfo).toEqual({ code: 1000, reason: 'closed', initiator: 'remote' });
  });

  it('a peer that never answers the close frame is terminated after closeTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, clientSocket } = await channelPair({ client: { closeTimeoutMs: 100 } });
    clientSocket.peer = undefined;
    void client.destroy();
    expect(clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
    await vi.advanceTimersByTimeAsync(99);
    expect(clientSocket.terminated).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(clientSocket.terminated).toBe(1);
    const info = await client.closed;
    expect(info.code).toBe(1006);
    expect(info.error?.message).toBe('the channel was destroyed');
  });

  it('a clean close cancels the close-frame timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, server, serverSocket, clientSocket } = await channelPair({ client: { closeTimeoutMs: 100 }, server: { closeTimeoutMs: 100 } });
    collect(server);
    client.end();
    await client.closed;
    await vi.advanceTimersByTimeAsync(200);
    expect(serverSocket.terminated + clientSocket.terminated).toBe(0);
  });

  it('session ending is signalled once, at the first CLOSE record', async () => {
    let clientEnding = 0;
    let serverEnding = 0;
    const { client, server } = await channelPair({ client: { onSessionEnding: () => clientEnding++ }, server: { onSessionEnding: () => serverEnding++ } });
    collect(server);
    client.end();
    expect(clientEnding).toBe(1);
    expect(serverEnding).toBe(0);
    await settle();
    expect(serverEnding).toBe(1);
    await client.closed;
    await server.closed;
    expect([clientEnding, serverEnding]).toEqual([1, 1]);
  });

  it('a session-ending hook that throws fails the channel (1011) and is reported', async () => {
    const { client, clientSocket, clientErrors } = await channelPair({
      client: {
        onSessionEnding: () => {
          throw new Error('hook bug');
        },
      },
    });
    client.end();
    expect(clientErrors.map((e) => [e.code, e.message])).toEqual([['ERR_APPLICATION', 'the session-ending hook threw']]);
    expect(clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
    expect((await client.closed).error?.code).toBe('ERR_APPLICATION');
  });

  it("an 'end' listener that throws fails the channel instead of ending it", async () => {
    const { client, server, serverSocket, serverErrors } = await channelPair();
    let secondEnd = false;
    server.on('end', () => {
      throw new Error('end bug');
    });
    server.on('end', () => (secondEnd = true));
    collect(server);
    client.end();
    const info = await server.closed;
    expect(secondEnd).toBe(false);
    expect(serverSocket.closeCalls).toEqual([[1011, 'internal error']]);
    expect(info.error?.code).toBe('ERR_APPLICATION');
    expect(serverErrors.length).toBe(1);
  });

  it("a 'close' listener that throws is reported, and the others still run", async () => {
    const { client, server, clientErrors } = await channelPair();
    let second = false;
    client.on('close', () => {
      throw new Error('close bug');
    });
    client.on('close', () => (second = true));
    collect(server);
    client.end();
    await client.closed;
    expect(second).toBe(true);
    expect(clientErrors.map((e) => e.message)).toEqual(["a channel 'close' listener threw"]);
    // A reporter that throws is contained too.
    const { client: c2, server: s2 } = await channelPair({
      client: {
        reportError: () => {
          throw new Error('reporter bug');
        },
      },
    });
    c2.on('close', () => {
      throw new Error('close bug');
    });
    collect(s2);
    c2.end();
    await expect(c2.closed).resolves.toMatchObject({ code: 1000 });
  });

  it('messages the peer sent before its CLOSE are handed to a late listener, then our side ends', async () => {
    const { client, server } = await channelPair();
    client.send('1');
    client.end();
    await settle();
    expect(server.state).toBe('open');
    expect(server.writable).toBe(true);
    const got = collect(server);
    expect(got).toEqual(['1']);
    const info = await server.closed;
    expect(info).toEqual({ code: 1000, reason: 'closed', initiator: 'remote' });
  });

  it('a late listener with allowHalfOpen does not end our side', async () => {
    const { client, server } = await channelPair({ server: { allowHalfOpen: true } });
    client.send('1');
    client.end();
    await settle();
    collect(server);
    await settle();
    expect(server.writable).toBe(true);
    server.end();
    expect((await server.closed).error).toBeUndefined();
  });
});

describe('channel: async iteration', () => {
  it('yields in order, ends at the CLOSE record and then ends our direction', async () => {
    const { client, server } = await channelPair();
    client.send('a');
    client.send('b');
    client.end();
    const got: string[] = [];
    for await (const m of server) got.push(text(m));
    expect(got).toEqual(['a', 'b']);
    expect((await server.closed).error).toBeUndefined();
    expect((await client.closed).error).toBeUndefined();
    // Iterating a closed channel ends at once.
    const again = await server[Symbol.asyncIterator]().next();
    expect(again.done).toBe(true);
  });

  it('a waiting iterator ends when the CLOSE record arrives; a busy one defers our end', async () => {
    const { client, server, serverSocket } = await channelPair();
    const iterator = server[Symbol.asyncIterator]();
    const first = iterator.next();
    client.send('x');
    expect(text((await first).value as Uint8Array)).toBe('x');
    // Now the consumer is busy with 'x' when CLOSE arrives: our CLOSE waits for it.
    client.end();
    await settle();
    expect(server.writable).toBe(true);
    server.send('answer to x');
    expect((await iterator.next()).done).toBe(true);
    expect(server.writable).toBe(false);
    await server.closed;
    expect(serverSocket.sent.length).toBe(2);
  });

  it('a waiting iterator resolves done at the CLOSE record', async () => {
    const { client, server } = await channelPair({ server: { allowHalfOpen: true } });
    const iterator = server[Symbol.asyncIterator]();
    const pending = iterator.next();
    client.end();
    expect((await pending).done).toBe(true);
    expect(server.writable).toBe(true);
  });

  it('breaking out of the loop after the CLOSE record ends our direction (no half-open)', async () => {
    const { client, server } = await channelPair();
    client.send('a');
    client.send('b');
    client.end();
    await settle();
    for await (const m of server) {
      expect(text(m)).toBe('a');
      break;
    }
    expect(server.writable).toBe(false);
  });

  it('throws the typed error on truncation, for waiting and later iterators', async () => {
    const { client, server, clientSocket } = await channelPair();
    const iterator = server[Symbol.asyncIterator]();
    const pending = iterator.next();
    clientSocket.terminate();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'connection closed during the session (code 1006)' });
    await expect(server[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    expect((await client.closed).initiator).toBe('remote');
    // Messages queued before the close are still yielded first.
    const p = await channelPair();
    p.client.send('kept');
    await settle();
    p.clientSocket.terminate();
    await settle();
    const it2 = p.server[Symbol.asyncIterator]();
    expect(text((await it2.next()).value as Uint8Array)).toBe('kept');
    await expect(it2.next()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });
});

describe('channel: failures and their close codes', () => {
  it('destroy(): no CLOSE record, 1011, the peer sees a truncation', async () => {
    const { client, server, clientSocket } = await channelPair();
    const info = await client.destroy();
    expect(clientSocket.sent.length).toBe(0);
    expect(clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
    expect(info.code).toBe(1011);
    expect(info.initiator).toBe('local');
    expect(info.error).toBeInstanceOf(ConnectionClosedError);
    expect(info.error).toMatchObject({ message: 'the channel was destroyed', closeCode: 1011 });
    const serverInfo = await server.closed;
    expect(serverInfo.initiator).toBe('remote');
    expect(serverInfo.error).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'connection closed during the session (code 1011: internal error)' });
    expect(() => client.send('x')).toThrow(expect.objectContaining({ message: 'the channel is closed', closeCode: 1011, closeReason: 'internal error' }));
    // A second destroy, end or close changes nothing.
    expect(await client.destroy(new Error('again'))).toBe(info);
    client.end();
    expect(clientSocket.closeCalls.length).toBe(1);
  });

  it('destroy(E2E2Error) closes with its code; destroy(other) wraps it in ERR_APPLICATION', async () => {
    const a = await channelPair();
    const auth = new AuthenticationError('authentication failed');
    expect((await a.client.destroy(auth)).error).toBe(auth);
    expect(a.clientSocket.closeCalls).toEqual([[4001, 'authentication failed']]);
    const b = await channelPair();
    const cause = new Error('app');
    const info = await b.client.destroy(cause);
    expect(info.error).toBeInstanceOf(ApplicationError);
    expect(info.error).toMatchObject({ message: 'the channel was destroyed because of an application error', cause });
    const c = await channelPair();
    c.server.abort(new MalformedMessageError('x'));
    expect(c.serverSocket.closeCalls).toEqual([[4002, 'protocol violation']]);
    expect(c.server.writable).toBe(false);
    expect(c.server.state).toBe('closing');
  });

  it('a WHATWG socket gets the browser code (1011 -> 4011)', async () => {
    const { client, clientSocket } = await channelPair({ whatwg: true });
    await client.destroy();
    expect(clientSocket.closeCalls).toEqual([[4011, 'internal error']]);
  });

  it('an oversized message: ERR_MESSAGE_TOO_LARGE, 1009, not decrypted', async () => {
    const { client, server, serverSocket } = await channelPair({ server: { maxMessageBytes: 100 } });
    const got = collect(server);
    client.send(new Uint8Array(100 - 17));
    client.send(new Uint8Array(100 - 16));
    const info = await server.closed;
    expect(got.length).toBe(1);
    expect(serverSocket.closeCalls).toEqual([[1009, 'message too large']]);
    expect(info.error).toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE', message: 'a message exceeds 100 bytes' });
    expect(info.initiator).toBe('local');
  });

  it('a forged record: ERR_AUTHENTICATION_FAILED, 4001, nothing after it is processed', async () => {
    const { client, server, serverSocket, clientSocket } = await channelPair();
    const got = collect(server);
    const record = new Uint8Array(40);
    record[0] = 0;
    clientSocket.send(record);
    client.send('after');
    const info = await server.closed;
    expect(got).toEqual([]);
    expect(serverSocket.closeCalls).toEqual([[4001, 'authentication failed']]);
    expect(info.error?.code).toBe('ERR_AUTHENTICATION_FAILED');
    expect(server.bytesReceived).toBe(0);
  });

  it('a text message: ERR_MALFORMED_MESSAGE, 4002', async () => {
    const { server, serverSocket, clientSocket } = await channelPair();
    clientSocket.sendText();
    const info = await server.closed;
    expect(serverSocket.closeCalls).toEqual([[4002, 'protocol violation']]);
    expect(info.error).toMatchObject({ code: 'ERR_MALFORMED_MESSAGE', message: 'received a text WebSocket message; E2-E2 messages are binary' });
  });

  it('a WebSocket protocol error is the error the close reports', async () => {
    const { server, serverSocket } = await channelPair();
    const error = new MalformedMessageError('invalid WebSocket frames');
    serverSocket.onProtocolError(error);
    expect(server.writable).toBe(false);
    serverSocket.finish(1002, 'invalid frame');
    const info = await server.closed;
    expect(info).toEqual({ code: 1002, reason: 'invalid frame', error, initiator: 'local' });
  });

  it('a fault in an internal handler is ERR_APPLICATION, 1011, reported', async () => {
    const { server, serverSocket, serverErrors } = await channelPair();
    serverSocket.onFault(new Error('internal'));
    expect(serverErrors.map((e) => [e.code, e.message])).toEqual([['ERR_APPLICATION', 'an internal channel handler threw']]);
    expect(serverSocket.closeCalls).toEqual([[1011, 'internal error']]);
    expect((await server.closed).error).toBe(serverErrors[0]);
  });

  it('after our close frame, nothing the peer sends is processed, and pause() no longer pauses', async () => {
    const { client, server, serverSocket, clientSocket } = await channelPair();
    const got = collect(server);
    client.send('first');
    await settle();
    serverSocket.peer = undefined;
    void server.destroy();
    serverSocket.peer = clientSocket;
    const pausesBefore = serverSocket.pauseCalls;
    server.pause();
    expect(serverSocket.pauseCalls).toBe(pausesBefore);
    serverSocket.onMessage(clientSocket.sent[0]!);
    expect(got).toEqual(['first']);
  });

  it('the peer closing the WebSocket first without a CLOSE record: truncation, initiator remote, session ended', async () => {
    let ending = 0;
    const { server, serverSocket } = await channelPair({ server: { onSessionEnding: () => ending++ } });
    serverSocket.finish(1000, 'closed');
    const info = await server.closed;
    expect(info.initiator).toBe('remote');
    expect(info.error?.message).toBe("the channel was truncated: the WebSocket closed (code 1000) before the peer's CLOSE record");
    expect(ending).toBe(1);
    expect(server.writable).toBe(false);
    // A second close event is ignored.
    serverSocket.onClose(1011, 'x');
    expect((await server.closed).code).toBe(1000);
    const late: CloseInfo[] = [];
    server.on('close', (i) => late.push(i));
    await settle();
    expect(late.map((i) => i.code)).toEqual([1000]);
    // A failure after the close changes nothing: no close frame, the same info.
    expect(await server.destroy(new Error('late'))).toBe(info);
    expect(serverSocket.closeCalls).toEqual([]);
    expect(ending).toBe(1);
  });

  it('every error is a typed E2E2Error', async () => {
    const { client } = await channelPair();
    const info = await client.destroy(new Error('x'));
    expect(isE2E2Error(info.error)).toBe(true);
  });
});

describe('channel: keepalive and maximum age', () => {
  it('pings after the interval of silence, closes 4008 when nothing answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, clientSocket } = await channelPair({ client: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 500 } });
    clientSocket.peer = undefined;
    await vi.advanceTimersByTimeAsync(999);
    expect(clientSocket.pings).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(clientSocket.pings).toBe(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(clientSocket.closeCalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(clientSocket.closeCalls).toEqual([[4008, 'keepalive timeout']]);
    clientSocket.finish(4008, 'keepalive timeout');
    const info = await client.closed;
    expect(info.error).toMatchObject({ code: 'ERR_KEEPALIVE_TIMEOUT', message: 'no answer to a keepalive ping within 500 ms' });
  });

  it('any frame from the peer re-arms the interval; an answer to the ping cancels the timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, clientSocket } = await channelPair({ client: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 500 } });
    await vi.advanceTimersByTimeAsync(900);
    clientSocket.onActivity();
    await vi.advanceTimersByTimeAsync(100);
    expect(clientSocket.pings).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(clientSocket.pings).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    clientSocket.onActivity();
    await vi.advanceTimersByTimeAsync(300);
    expect(clientSocket.closeCalls).toEqual([]);
    expect(client.state).toBe('open');
    // Re-armed: the next ping comes one interval later.
    await vi.advanceTimersByTimeAsync(999);
    expect(clientSocket.pings).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(clientSocket.pings).toBe(2);
  });

  it('no keepalive failure while we are not reading (user pause or full queue)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, clientSocket } = await channelPair({ client: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 500 } });
    clientSocket.peer = undefined;
    client.pause();
    await vi.advanceTimersByTimeAsync(5000);
    expect(clientSocket.pings).toBe(0);
    client.resume();
    await vi.advanceTimersByTimeAsync(1000);
    expect(clientSocket.pings).toBe(1);
    client.pause();
    await vi.advanceTimersByTimeAsync(5000);
    expect(clientSocket.closeCalls).toEqual([]);
    expect(clientSocket.pings).toBe(1);
  });

  it('a socket that cannot ping (WHATWG) never times out; keepalive 0 is off', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const a = await channelPair({ client: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 500 } });
    a.clientSocket.canPing = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(a.clientSocket.closeCalls).toEqual([]);
    const b = await channelPair({ client: { keepaliveIntervalMs: 0, keepaliveTimeoutMs: 500 } });
    await vi.advanceTimersByTimeAsync(100_000);
    expect(b.clientSocket.pings).toBe(0);
  });

  it('the keepalive stops once the close frame is sent', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, server, clientSocket } = await channelPair({ client: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 500, closeTimeoutMs: 100_000 } });
    collect(server);
    clientSocket.peer = undefined;
    void client.destroy();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(clientSocket.pings).toBe(0);
  });

  it('maxAgeMs: the channel ends gracefully with 4007 when it is reached', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, server, serverSocket } = await channelPair({ server: { maxAgeMs: 1000 } });
    collect(client);
    await vi.advanceTimersByTimeAsync(999);
    expect(serverSocket.sent.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(serverSocket.sent.length).toBe(1);
    const info = await server.closed;
    expect(serverSocket.closeCalls).toEqual([[4007, 'session expired']]);
    expect(info).toEqual({ code: 1000, reason: 'closed', initiator: 'local' });
    expect(await client.closed).toEqual({ code: 4007, reason: 'session expired', initiator: 'remote' });
  });
});

describe('channel: timers, exhausted sessions, disposal', () => {
  it('keepalive and maximum-age timers do not keep the process alive; the close timers do', async () => {
    const { clientSession } = await channelPair();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const [socket] = memorySocketPair();
    const channel = new ChannelClass(socket, clientSession, testSettings(() => {}, { keepaliveIntervalMs: 60_000, maxAgeMs: 60_000, closeTimeoutMs: 60_000 }));
    expect(timers()).toBe(before);
    void channel.close();
    expect(timers()).toBe(before + 1);
    socket.finish(1006, '');
    expect(timers()).toBe(before);
  });

  it('every timer is cleared once the WebSocket closed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, clientSocket } = await channelPair({ client: { keepaliveIntervalMs: 1000, maxAgeMs: 50_000, closeTimeoutMs: 10_000 }, server: { allowHalfOpen: true } });
    expect(vi.getTimerCount()).toBe(2);
    void client.close();
    expect(vi.getTimerCount()).toBe(3);
    clientSocket.finish(1006, '');
    expect(vi.getTimerCount()).toBe(0);
    const b = await channelPair({ client: { keepaliveIntervalMs: 1000, closeTimeoutMs: 10_000 } });
    void b.client.destroy();
    expect(vi.getTimerCount()).toBe(1);
    b.clientSocket.finish(1006, '');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an exhausted session still ends: no CLOSE record can be sealed, end() does not throw', async () => {
    const { client, clientSocket, clientSession } = await channelPair();
    setSessionNoncesForTestingOnly(clientSession, { send: (1n << 64n) - 1n });
    expect(() => client.send('x')).toThrow(expect.objectContaining({ code: 'ERR_NONCE_EXHAUSTED' }));
    expect(() => client.end()).not.toThrow();
    expect(clientSocket.sent.length).toBe(0);
    expect(client.writable).toBe(false);
  });

  it('a failure disposes the session at once (EAPIs end before the socket closes)', async () => {
    const { client, server, serverSocket } = await channelPair();
    const now = Date.now();
    const request = { method: 'GET', path: '/' };
    const authorization = client.issueEapi({ scope: 's', expiresAt: now + 60_000 }).sign({ ...request, timestamp: now });
    serverSocket.peer = undefined;
    server.abort(new MalformedMessageError('x'));
    expect(server.state).toBe('closing');
    expect(() => server.verifyEapi({ authorization, ...request, now, requiredScope: 's' })).toThrow(expect.objectContaining({ code: 'ERR_SESSION_DISPOSED' }));
    client.abort(new MalformedMessageError('x'));
    expect(() => client.issueEapi({ scope: 's', expiresAt: now + 60_000 })).toThrow(expect.objectContaining({ code: 'ERR_SESSION_DISPOSED' }));
  });

  it('nothing is processed after a WebSocket protocol error; close() after a failure sends no CLOSE record', async () => {
    const { client, server, serverSocket, clientSocket } = await channelPair();
    const got = collect(server);
    serverSocket.onProtocolError(new MalformedMessageError('invalid WebSocket frames'));
    client.send('ignored');
    await settle();
    expect(got).toEqual([]);
    expect(server.bytesReceived).toBe(0);
    void server.close();
    serverSocket.onProtocolError(new AuthenticationError('second'));
    expect(serverSocket.sent.length).toBe(0);
    expect(serverSocket.closeCalls).toEqual([]);
    serverSocket.finish(1002, 'invalid frame');
    expect((await server.closed).error?.message).toBe('invalid WebSocket frames');
    void clientSocket;
  });

  it('close() while the close frame is already out (a failure in progress) changes nothing', async () => {
    const { client, clientSocket } = await channelPair();
    clientSocket.peer = undefined;
    void client.destroy();
    void client.close();
    expect(clientSocket.sent.length).toBe(0);
    expect(clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
  });

  it('a keepalive does not fire while the receive queue is full (nobody reads)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, server, serverSocket } = await channelPair({ server: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 500, readableHighWaterMark: 10 } });
    client.send(new Uint8Array(20));
    await settle();
    expect(serverSocket.paused).toBe(true);
    serverSocket.peer = undefined;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(serverSocket.pings).toBe(0);
    expect(server.state).toBe('open');
    // Stopped reading after a ping: the missing answer is not the peer's fault either.
    const b = await channelPair({ server: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 500, readableHighWaterMark: 10 } });
    b.serverSocket.peer = undefined;
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.serverSocket.pings).toBe(1);
    b.server.pause();
    await vi.advanceTimersByTimeAsync(500);
    expect(b.serverSocket.closeCalls).toEqual([]);
  });
});
