/**
 * The stream adapters over an in-memory channel pair, pinned for mutation testing (issue 13):
 * `channel.webStreams()` (WHATWG Streams) and `channelDuplex()` (Node Duplex): bytes both ways,
 * backpressure, half-close as the CLOSE record (SPEC.md §7.2), cancel/abort/destroy as a
 * truncation with the mapped close code, typed errors.
 */
import { once } from 'node:events';
import { getDefaultHighWaterMark } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { channelDuplex } from '../bindings/channel/duplex.js';
import { AuthenticationError, ConnectionClosedError, KeyRevokedError } from '../bindings/errors.js';
import { channelPair, settle } from './helpers/memory-socket.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

describe('webStreams()', () => {
  it('checks its options and claims the channel once', async () => {
    const { client } = await channelPair();
    expect(() => client.webStreams({ readableHighWaterMark: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: `readableHighWaterMark must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}` }),
    );
    expect(() => client.webStreams({ writableHighWaterMark: 0.5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: `writableHighWaterMark must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}` }),
    );
    // A refused option claims nothing.
    client.webStreams();
    expect(() => client.webStreams()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE', message: 'this channel is already read by webStreams(); a channel feeds one stream adapter' }));
    expect(() => channelDuplex(client)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  it('bytes both ways; writable.close() is our CLOSE record; the peer\'s CLOSE closes readable', async () => {
    const { client, server } = await channelPair();
    const a = client.webStreams();
    const b = server.webStreams();
    const writer = a.writable.getWriter();
    await writer.write(bytes('hello'));
    await writer.write(bytes(' world'));
    const reader = b.readable.getReader();
    expect(text((await reader.read()).value!)).toBe('hello');
    expect(text((await reader.read()).value!)).toBe(' world');
    await writer.close();
    expect(client.writable).toBe(false);
    expect((await reader.read()).done).toBe(true);
    // The server ended too (no half-open): the client's readable closes.
    expect((await a.readable.getReader().read()).done).toBe(true);
    expect((await client.closed).error).toBeUndefined();
  });

  it('pauses the channel while the readable queue is full; pull() resumes it', async () => {
    const { client, server, serverSocket } = await channelPair();
    const { readable } = server.webStreams({ readableHighWaterMark: 10 });
    client.send(new Uint8Array(4));
    await settle();
    expect(serverSocket.pauseCalls).toBe(0);
    client.send(new Uint8Array(6));
    await settle();
    expect(serverSocket.pauseCalls).toBe(1);
    const resumes = serverSocket.resumeCalls;
    const reader = readable.getReader();
    expect((await reader.read()).value!.length).toBe(4);
    await settle();
    expect(serverSocket.resumeCalls).toBeGreaterThan(resumes);
    expect(serverSocket.paused).toBe(false);
  });

  it('a write waits for drain while the channel is over its mark; one waiting at a truncation rejects with its error', async () => {
    const { client, clientSocket } = await channelPair({ client: { writableHighWaterMark: 10 } });
    const writer = client.webStreams().writable.getWriter();
    await writer.write(new Uint8Array(3));
    clientSocket.bufferedAmount = 10;
    let done = false;
    const pending = writer.write(new Uint8Array(3)).then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    clientSocket.flush();
    await pending;
    expect(done).toBe(true);
    clientSocket.bufferedAmount = 10;
    const stuck = writer.write(new Uint8Array(3));
    await settle();
    clientSocket.peer!.terminate();
    await expect(stuck).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'connection closed during the session (code 1006)' });
    await expect(writer.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('a write waiting when the channel closes cleanly fails with ERR_CONNECTION_CLOSED', async () => {
    const { client, server, clientSocket } = await channelPair({ client: { writableHighWaterMark: 10 } });
    const writer = client.webStreams().writable.getWriter();
    clientSocket.bufferedAmount = 10;
    const stuck = writer.write(new Uint8Array(3)).catch((e: unknown) => e);
    await settle();
    server.on('message', () => {});
    // The peer ends; the client ends in answer; both CLOSE records are through.
    client.end();
    await settle();
    await client.closed;
    expect(await stuck).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'the channel closed before the write drained', closeCode: 1000, closeReason: 'closed' });
  });

  it('a chunk that is not a Uint8Array: ERR_INVALID_ARGUMENT, and the channel ends (1011)', async () => {
    const { client, clientSocket } = await channelPair();
    const writer = client.webStreams().writable.getWriter();
    await expect(writer.write('text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'the writable stream takes Uint8Array chunks' });
    expect(clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
    expect((await client.closed).error?.code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a chunk without a byteLength reaches write() (size 0 in the queue)', async () => {
    const { client } = await channelPair();
    const writer = client.webStreams({ writableHighWaterMark: 5 }).writable.getWriter();
    expect(writer.desiredSize).toBe(5);
    void writer.write({} as Uint8Array).catch(() => {});
    expect(writer.desiredSize).toBe(5);
    const writer2 = (await channelPair()).client.webStreams({ writableHighWaterMark: 5 }).writable.getWriter();
    void writer2.write(new Uint8Array(3));
    expect(writer2.desiredSize).toBe(2);
  });

  it('readable.cancel(reason): the channel ends at once, 1011 with an ERR_APPLICATION wrapping the reason', async () => {
    const { client, server, clientSocket } = await channelPair();
    const { readable } = client.webStreams();
    await readable.cancel('not interested');
    expect(clientSocket.sent.length).toBe(0);
    expect(clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
    const info = await client.closed;
    expect(info.error).toMatchObject({ code: 'ERR_APPLICATION', message: "the channel's readable stream was cancelled", cause: 'not interested' });
    expect((await server.closed).error?.code).toBe('ERR_CONNECTION_CLOSED');
  });

  it('cancel/abort with an E2E2Error end with its code; abort wraps other reasons', async () => {
    const a = await channelPair();
    const auth = new AuthenticationError('authentication failed');
    await a.client.webStreams().readable.cancel(auth);
    expect(a.clientSocket.closeCalls).toEqual([[4001, 'authentication failed']]);
    const b = await channelPair();
    await b.client.webStreams().writable.abort(new KeyRevokedError('revoked'));
    expect(b.clientSocket.closeCalls).toEqual([[4006, 'key revoked']]);
    const c = await channelPair();
    await c.client.webStreams().writable.abort('stop');
    expect((await c.client.closed).error).toMatchObject({ code: 'ERR_APPLICATION', message: "the channel's writable stream was aborted", cause: 'stop' });
  });

  it('a truncation errors the readable with the channel\'s error; close() after a failure throws it', async () => {
    const { client, clientSocket } = await channelPair();
    const { readable, writable } = client.webStreams();
    const reader = readable.getReader();
    const pending = reader.read();
    clientSocket.peer!.terminate();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    await expect(writable.getWriter().close()).rejects.toBe(error);
  });

  it('writable.close() throws when the channel fails before the CLOSE record left', async () => {
    const { client, clientSocket } = await channelPair({ server: { allowHalfOpen: true } });
    const writer = client.webStreams().writable.getWriter();
    clientSocket.bufferedAmount = 100;
    const closing = writer.close();
    await settle();
    clientSocket.peer!.terminate();
    await expect(closing).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('messages after cancel are not enqueued; a CLOSE after cancel does not close twice', async () => {
    const { server } = await channelPair();
    const { readable } = server.webStreams();
    const reader = readable.getReader();
    await reader.cancel();
    expect((await reader.read()).done).toBe(true);
    expect((await server.closed).error?.message).toBe("the channel's readable stream was cancelled");
  });
});

describe('channelDuplex()', () => {
  it('mirrors allowHalfOpen, takes buffer sizes, claims the channel once', async () => {
    const { client, server } = await channelPair({ server: { allowHalfOpen: true } });
    const d = channelDuplex(client, { readableHighWaterMark: 7, writableHighWaterMark: 9 });
    expect(d.allowHalfOpen).toBe(false);
    expect(d.readableHighWaterMark).toBe(7);
    expect(d.writableHighWaterMark).toBe(9);
    expect(d.readableObjectMode).toBe(false);
    expect(() => channelDuplex(client)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE', message: 'this channel is already read by channelDuplex(); a channel feeds one stream adapter' }));
    const s = channelDuplex(server);
    expect(s.allowHalfOpen).toBe(true);
    expect(s.readableHighWaterMark).toBe(getDefaultHighWaterMark(false));
    expect(s.writableHighWaterMark).toBe(getDefaultHighWaterMark(false));
  });

  it('bytes both ways as Buffers (strings encoded); end() is the CLOSE record; the peer\'s CLOSE ends the readable', async () => {
    const { client, server } = await channelPair();
    const a = channelDuplex(client);
    const b = channelDuplex(server);
    const got: Buffer[] = [];
    b.on('data', (chunk: Buffer) => got.push(chunk));
    const aFinished = once(a, 'finish');
    const aClosed = once(a, 'close');
    const bEnded = once(b, 'end');
    a.resume();
    a.write('héllo');
    a.write(new Uint8Array([1, 2]));
    a.end();
    await bEnded;
    expect(got.every((c) => Buffer.isBuffer(c))).toBe(true);
    expect(Buffer.concat(got).equals(Buffer.concat([Buffer.from('héllo'), Buffer.from([1, 2])]))).toBe(true);
    await aFinished;
    await aClosed;
    expect((await client.closed).error).toBeUndefined();
    expect((await server.closed).error).toBeUndefined();
    expect(a.destroyed).toBe(true);
  });

  it('a full readable pauses the channel; reading resumes it', async () => {
    const { client, server, serverSocket } = await channelPair();
    const b = channelDuplex(server, { readableHighWaterMark: 4 });
    client.send(new Uint8Array(3));
    await settle();
    expect(serverSocket.pauseCalls).toBe(0);
    client.send(new Uint8Array(3));
    await settle();
    expect(serverSocket.pauseCalls).toBe(1);
    const resumes = serverSocket.resumeCalls;
    b.read();
    await settle();
    expect(serverSocket.resumeCalls).toBeGreaterThan(resumes);
  });

  it('a write the channel refused (over its mark) completes at drain', async () => {
    const { client, clientSocket } = await channelPair({ client: { writableHighWaterMark: 10 } });
    const a = channelDuplex(client);
    clientSocket.bufferedAmount = 10;
    let written = false;
    a.write(new Uint8Array(2), () => (written = true));
    await settle();
    expect(written).toBe(false);
    expect(a.writableLength).toBe(2);
    clientSocket.flush();
    await settle();
    expect(written).toBe(true);
  });

  it('a write pending at a clean close fails with ERR_CONNECTION_CLOSED; the writable side ends', async () => {
    const { client, server, clientSocket } = await channelPair({ client: { writableHighWaterMark: 10 } });
    const a = channelDuplex(client);
    a.on('error', () => {});
    clientSocket.bufferedAmount = 10;
    let writeError: unknown;
    a.write(new Uint8Array(2), (e) => (writeError = e));
    await settle();
    server.on('message', () => {});
    client.end();
    await client.closed;
    await settle();
    expect(writeError).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'the channel closed before the write was sent', closeCode: 1000, closeReason: 'closed' });
  });

  it('a clean close started by the application ends the writable side', async () => {
    const { client, server } = await channelPair();
    const a = channelDuplex(client);
    server.on('message', () => {});
    a.resume();
    await client.close();
    await settle();
    expect(a.writableEnded).toBe(true);
  });

  it('a channel failure destroys the Duplex with the typed error', async () => {
    const { client, clientSocket } = await channelPair();
    const a = channelDuplex(client);
    const errored = once(a, 'error');
    clientSocket.peer!.terminate();
    const [error] = await errored;
    expect(error).toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    expect(a.destroyed).toBe(true);
  });

  it('a write on an ended channel fails with its error', async () => {
    const { client } = await channelPair();
    const a = channelDuplex(client);
    a.on('error', () => {});
    client.end();
    const error = await new Promise((resolve) => a.write('x', resolve));
    expect(error).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'this side of the channel has ended' });
  });

  it('end() after the channel failed reports the failure', async () => {
    const { client, clientSocket } = await channelPair();
    const a = channelDuplex(client, { readableHighWaterMark: 1 });
    const errors: unknown[] = [];
    a.on('error', (e) => errors.push(e));
    const failure = new AuthenticationError('authentication failed');
    clientSocket.peer = undefined;
    void client.destroy(failure);
    clientSocket.finish(4001, 'authentication failed');
    await settle();
    expect(errors[0]).toBe(failure);
  });

  it('destroy(error): no CLOSE record, the mapped code; destroy() mid-stream is 1011', async () => {
    const a = await channelPair();
    const da = channelDuplex(a.client);
    const errors: unknown[] = [];
    da.on('error', (e) => errors.push(e));
    const revoked = new KeyRevokedError('revoked');
    const daClosed = new Promise((resolve) => da.on('close', resolve));
    da.destroy(revoked);
    await daClosed;
    expect(errors).toEqual([revoked]);
    expect(a.clientSocket.sent.length).toBe(0);
    expect(a.clientSocket.closeCalls).toEqual([[4006, 'key revoked']]);
    const b = await channelPair();
    const db = channelDuplex(b.client);
    const dbClosed = new Promise((resolve) => db.on('close', resolve));
    db.destroy();
    await dbClosed;
    expect(b.clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
    expect((await b.client.closed).error?.message).toBe('the channel was destroyed');
  });

  it('destroy() once both directions ended waits for the clean close (no 1011)', async () => {
    const { client, server, clientSocket } = await channelPair();
    // The peer's close frame is late: the channel stays 'closing' until finish() below.
    clientSocket.closeFrame = () => {};
    const da = channelDuplex(client);
    const db = channelDuplex(server);
    db.resume();
    da.resume();
    const ended = new Promise((resolve) => da.on('end', resolve));
    da.end();
    await ended;
    await settle();
    expect(client.state).toBe('closing');
    let closedEvent = false;
    da.on('close', () => (closedEvent = true));
    da.destroy();
    await settle();
    expect(closedEvent).toBe(false);
    expect(clientSocket.closeCalls).toEqual([[1000, 'closed']]);
    clientSocket.finish(1000, 'closed');
    await settle();
    expect(closedEvent).toBe(true);
    expect((await client.closed).error).toBeUndefined();
    // destroy() on a closed channel just completes.
    const d = await channelPair();
    const dc = channelDuplex(d.client);
    dc.on('error', () => {});
    d.clientSocket.terminate();
    await d.client.closed;
    const dcClosed = new Promise((resolve) => dc.on('close', resolve));
    dc.destroy();
    await dcClosed;
  });
});
