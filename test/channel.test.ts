/**
 * The channel over real WebSockets on loopback: Node client (ws) and server in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '../bindings/channel/node.js';
import { createServer, type E2E2Server } from '../bindings/channel/server.js';
import { CloseCode } from '../bindings/channel/close-codes.js';
import { MAX_RECORD_DATA_BYTES, type Channel } from '../bindings/channel/channel.js';
import { formatApiKey } from '../bindings/e2e2/api-key.js';
import { isE2E2Error } from '../bindings/errors.js';
import { echoHandler, memoryKeys, pattern, sleep, startEchoServer } from './helpers/channel.js';

async function expectRejectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: string }).code).toBe(code);
    return error as Error;
  }
  throw new Error(`expected ${code}`);
}

async function nextMessage(channel: Channel): Promise<Uint8Array> {
  const r = await channel[Symbol.asyncIterator]().next();
  if (r.done) throw new Error('channel ended');
  return r.value;
}

describe('channel: connect, echo, close', () => {
  const keys = memoryKeys();
  let server: E2E2Server;
  beforeAll(async () => {
    server = await startEchoServer(keys);
  });
  afterAll(() => server.close());

  it('handshakes, hands the server the key id and session id, echoes, and closes cleanly', async () => {
    const key = keys.add();
    const serverSide = new Promise<Channel>((resolve) => {
      const off = server.on('channel', (c) => {
        off();
        resolve(c);
      });
    });
    const channel = await connect(server.url, { apiKey: key.token });
    const peer = await serverSide;
    expect(channel.role).toBe('client');
    expect(peer.role).toBe('server');
    expect(channel.keyId).toBe(key.keyId);
    expect(peer.keyId).toBe(key.keyId);
    expect(channel.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(peer.sessionId).toBe(channel.sessionId);
    expect(server.channelBySessionId(channel.sessionId)).toBe(peer);

    channel.send('hello');
    expect(new TextDecoder().decode(await nextMessage(channel))).toBe('hello');
    const big = pattern(MAX_RECORD_DATA_BYTES, 1);
    channel.send(big);
    expect(await nextMessage(channel)).toEqual(big);
    channel.send(new Uint8Array(0));
    expect(await nextMessage(channel)).toEqual(new Uint8Array(0));
    expect(() => channel.send(new Uint8Array(MAX_RECORD_DATA_BYTES + 1))).toThrow(/at most 65518 bytes/);

    const info = await channel.close();
    expect(info).toEqual({ code: 1000, reason: 'closed', initiator: 'local' });
    const peerInfo = await peer.closed;
    expect(peerInfo.code).toBe(1000);
    expect(peerInfo.error).toBeUndefined();
    expect(peerInfo.initiator).toBe('remote');
    expect(server.channels.has(peer)).toBe(false);
    expect(channel.state).toBe('closed');
    const sendError = (() => {
      try {
        channel.send('x');
      } catch (error) {
        return error;
      }
    })();
    expect(isE2E2Error(sendError, 'ERR_CONNECTION_CLOSED')).toBe(true);
  });

  it('write() splits a stream into records and the receiver gets every byte in order', async () => {
    const channel = await connect(server.url, { apiKey: keys.add().token });
    const data = pattern(300_000, 2);
    channel.write(data);
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const part of channel) {
      expect(part.length).toBeLessThanOrEqual(MAX_RECORD_DATA_BYTES);
      parts.push(part);
      total += part.length;
      if (total >= data.length) break;
    }
    expect(Buffer.concat(parts)).toEqual(Buffer.from(data));
    expect(parts.length).toBe(Math.ceil(data.length / MAX_RECORD_DATA_BYTES));
    await channel.close();
  });

  it('messages that arrive before any listener are queued, then delivered in order to the first listener', async () => {
    const channel = await connect(server.url, { apiKey: keys.add().token });
    for (let i = 0; i < 20; i++) channel.send(`m${i}`);
    await sleep(50);
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      channel.on('message', (m) => {
        got.push(new TextDecoder().decode(m));
        if (got.length === 20) resolve();
      });
    });
    await done;
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    await channel.close();
  });

  it('rekeys on demand and automatically (rekeyAfterRecords), with traffic flowing both ways', async () => {
    const local = memoryKeys();
    const rekeying = await startEchoServer(local, { rekeyAfterRecords: 3 });
    try {
      const channel = await connect(rekeying.url, { apiKey: local.add().token, rekeyAfterRecords: 5 });
      for (let i = 0; i < 50; i++) {
        if (i % 7 === 0) channel.rekey(`rekey-with-data-${i}`);
        else channel.send(`m${i}`);
        const back = new TextDecoder().decode(await nextMessage(channel));
        expect(back).toBe(i % 7 === 0 ? `rekey-with-data-${i}` : `m${i}`);
      }
      channel.rekey();
      channel.send('after empty rekey');
      expect(new TextDecoder().decode(await nextMessage(channel))).toBe('after empty rekey');
      expect((await channel.close()).error).toBeUndefined();
    } finally {
      await rekeying.close();
    }
  });

  it('EAPI: a request signed by the client is verified by the server for that session only', async () => {
    const a = await connect(server.url, { apiKey: keys.add().token });
    const b = await connect(server.url, { apiKey: keys.add().token });
    const now = Date.now();
    const eapi = a.issueEapi({ scope: 'orders:read demo:echo', expiresAt: now + 60_000 });
    const authorization = eapi.sign({ method: 'GET', path: '/orders?id=7', timestamp: now });
    const verified = server.verifyRequest({ authorization, method: 'GET', path: '/orders?id=7', requiredScope: 'orders:read', now });
    expect(verified.channel.sessionId).toBe(a.sessionId);
    expect(verified.eapi).toMatchObject({ sessionId: a.sessionId, scope: 'orders:read demo:echo', index: 0 });
    // Replay, another path, another scope, a session that is not open: typed failures.
    expect(() => server.verifyRequest({ authorization, method: 'GET', path: '/orders?id=7', requiredScope: 'orders:read', now })).toThrow(expect.objectContaining({ code: 'ERR_EAPI_REPLAYED' }));
    const second = eapi.sign({ method: 'GET', path: '/orders?id=7', timestamp: now });
    expect(() => server.verifyRequest({ authorization: second, method: 'GET', path: '/orders?id=8', requiredScope: 'orders:read', now })).toThrow(expect.objectContaining({ code: 'ERR_AUTHENTICATION_FAILED' }));
    expect(() => server.verifyRequest({ authorization: second, method: 'GET', path: '/orders?id=7', requiredScope: 'orders:write', now })).toThrow(expect.objectContaining({ code: 'ERR_EAPI_SCOPE' }));
    expect(() => b.issueEapi({ scope: 'x', expiresAt: now + 1 }).sign({ method: 'GET', path: '/', timestamp: now })).not.toThrow();
    const sid = a.sessionId;
    const late = eapi.sign({ method: 'GET', path: '/orders?id=7', timestamp: now });
    await a.close();
    await sleep(20);
    expect(server.channelBySessionId(sid)).toBeUndefined();
    // Closing the session wiped its EAPIs.
    expect(() => eapi.sign({ method: 'GET', path: '/', timestamp: now })).toThrow(expect.objectContaining({ code: 'ERR_SESSION_DISPOSED' }));
    expect(() => server.verifyRequest({ authorization: late, method: 'GET', path: '/orders?id=7', requiredScope: 'orders:read', now })).toThrow(expect.objectContaining({ code: 'ERR_AUTHENTICATION_FAILED' }));
    // Only the client issues, only the server verifies.
    const peer = [...server.channels].find((c) => c.sessionId === b.sessionId)!;
    expect(() => peer.issueEapi({ scope: 'x', expiresAt: now + 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => b.verifyEapi({ authorization: late, method: 'GET', path: '/', now, requiredScope: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    await b.close();
  });

  it('half-open: with allowHalfOpen the client can still receive after ending its direction', async () => {
    const local = memoryKeys();
    const halfOpen = await createServer({
      keys: local.resolve,
      port: 0,
      allowHalfOpen: true,
      async onChannel(channel) {
        const received: Uint8Array[] = [];
        for await (const m of channel) received.push(m);
        // The client has ended; answer with a summary, then end our side.
        channel.send(`got ${received.length} messages, ${Buffer.concat(received).length} bytes`);
        channel.end();
      },
    });
    try {
      const channel = await connect(halfOpen.url, { apiKey: local.add().token, allowHalfOpen: true });
      for (let i = 0; i < 10; i++) channel.send(pattern(1000, i));
      channel.end();
      expect(channel.writable).toBe(false);
      expect(() => channel.send('late')).toThrow(expect.objectContaining({ code: 'ERR_CONNECTION_CLOSED' }));
      const summary = new TextDecoder().decode(await nextMessage(channel));
      expect(summary).toBe('got 10 messages, 10000 bytes');
      const info = await channel.closed;
      expect(info.code).toBe(1000);
      expect(info.error).toBeUndefined();
    } finally {
      await halfOpen.close();
    }
  });

  it('a server without half-open still answers every message that came before the client ended', async () => {
    for (let round = 0; round < 20; round++) {
      const channel = await connect(server.url, { apiKey: keys.add().token, allowHalfOpen: true });
      const sent = Array.from({ length: 40 }, (_, i) => pattern(500 + i, round * 100 + i));
      for (const m of sent) channel.send(m);
      channel.end();
      const got: Uint8Array[] = [];
      for await (const m of channel) got.push(m);
      expect(got).toEqual(sent);
      expect((await channel.closed).error).toBeUndefined();
    }
  });

  it('server.close() ends every channel cleanly with 1001 (CLOSE record first, so no truncation)', async () => {
    const local = memoryKeys();
    const closing = await startEchoServer(local);
    const channels = await Promise.all([0, 1, 2].map(() => connect(closing.url, { apiKey: local.add().token })));
    // connect() resolves when the key confirmation is sent; wait until the server has processed it.
    while (closing.channels.size < 3) await sleep(1);
    const ended = channels.map((c) => (async () => {
      const got: Uint8Array[] = [];
      for await (const m of c) got.push(m);
      return got.length;
    })());
    await closing.close();
    for (const c of channels) {
      const info = await c.closed;
      expect(info.code).toBe(1001);
      expect(info.error).toBeUndefined();
    }
    expect(await Promise.all(ended)).toEqual([0, 0, 0]);
  });

  it('attaches to an existing http.Server on a path; other paths are not upgraded', async () => {
    const http = createHttpServer((_req, res) => res.end('plain http'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    const local = memoryKeys();
    const attached = await createServer({ keys: local.resolve, server: http, path: '/e2e2', onChannel: echoHandler });
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('plain http');
      const channel = await connect(`ws://127.0.0.1:${port}/e2e2`, { apiKey: local.add().token });
      channel.send('attached');
      expect(new TextDecoder().decode(await nextMessage(channel))).toBe('attached');
      await channel.close();
      await expectRejectCode(connect(`ws://127.0.0.1:${port}/other`, { apiKey: local.add().token, handshakeTimeoutMs: 2000 }), 'ERR_CONNECTION_CLOSED');
    } finally {
      await attached.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('a handler that throws closes only its channel, with 1011', async () => {
    const local = memoryKeys();
    const faulty = await createServer({
      keys: local.resolve,
      port: 0,
      async onChannel(channel) {
        const first = await nextMessage(channel);
        if (new TextDecoder().decode(first) === 'boom') throw new Error('handler bug');
        channel.send(first);
        await echoHandler(channel);
      },
    });
    try {
      const good = await connect(faulty.url, { apiKey: local.add().token });
      const bad = await connect(faulty.url, { apiKey: local.add().token });
      bad.send('boom');
      const info = await bad.closed;
      expect(info.code).toBe(CloseCode.INTERNAL_ERROR);
      expect(info.error?.code).toBe('ERR_CONNECTION_CLOSED');
      good.send('fine');
      expect(new TextDecoder().decode(await nextMessage(good))).toBe('fine');
      await good.close();
    } finally {
      await faulty.close();
    }
  });

  it('a WebSocket closed without a CLOSE record is reported as truncation, not a clean end', async () => {
    const local = memoryKeys();
    const truncating = await createServer({
      keys: local.resolve,
      port: 0,
      async onChannel(channel) {
        channel.send('partial');
        await sleep(20);
        await channel.destroy();
      },
    });
    try {
      const channel = await connect(truncating.url, { apiKey: local.add().token });
      const got: string[] = [];
      let thrown: unknown;
      try {
        for await (const m of channel) got.push(new TextDecoder().decode(m));
      } catch (error) {
        thrown = error;
      }
      expect(got).toEqual(['partial']);
      expect(isE2E2Error(thrown, 'ERR_CONNECTION_CLOSED')).toBe(true);
      expect((await channel.closed).code).toBe(CloseCode.INTERNAL_ERROR);
    } finally {
      await truncating.close();
    }
  });

  it('rejects bad options and API keys before opening a socket', async () => {
    await expectRejectCode(connect('http://127.0.0.1:1/', { apiKey: keys.add().token }), 'ERR_INVALID_ARGUMENT');
    await expectRejectCode(connect(server.url, { apiKey: 'e2e2_not-a-key' }), 'ERR_INVALID_API_KEY');
    await expectRejectCode(connect(server.url, { apiKey: keys.add().token, handshakeTimeoutMs: 0 }), 'ERR_INVALID_ARGUMENT');
    await expectRejectCode(connect(server.url, { apiKey: keys.add().token, maxMessageBytes: 70_000 }), 'ERR_INVALID_ARGUMENT');
    // Nothing listening: the connection drops (1006) during the handshake.
    const error = await expectRejectCode(connect('ws://127.0.0.1:1/', { apiKey: keys.add().token }), 'ERR_CONNECTION_CLOSED');
    expect((error as { closeCode?: number }).closeCode).toBe(1006);
  });
});

describe('channel: authentication failures all look the same', () => {
  it('revoked, unknown and wrong keys are refused with ERR_AUTHENTICATION_FAILED and close code 4001', async () => {
    const keys = memoryKeys();
    const failures: unknown[] = [];
    const server = await startEchoServer(keys, { onHandshakeError: (error) => failures.push(error) });
    try {
      const revoked = keys.add();
      const ok = await connect(server.url, { apiKey: revoked.token });
      await ok.close();
      keys.revoke(revoked.keyId);
      const unknown = keys.add();
      keys.revoke(unknown.keyId);
      const valid = keys.add();
      const wrongSecret = formatApiKey({ keyId: valid.keyId, secret: new Uint8Array(32).fill(7) });
      const errors = [];
      for (const apiKey of [revoked.token, wrongSecret, formatApiKey({ keyId: 'ab'.repeat(12), secret: new Uint8Array(32).fill(9) })]) {
        errors.push(await expectRejectCode(connect(server.url, { apiKey }), 'ERR_AUTHENTICATION_FAILED'));
      }
      // Same code, same message: nothing tells a revoked key from an unknown id or a wrong secret.
      expect(new Set(errors.map((e) => e.message)).size).toBe(1);
      // The valid key still works, and the server counted the three refusals.
      const still = await connect(server.url, { apiKey: valid.token });
      await still.close();
      await sleep(20);
      expect(server.stats.handshakeFailures).toBe(3);
      expect(server.stats.handshakes).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe('channel: load on loopback', () => {
  // Headroom for a loaded machine (these tests measure nothing): 100 handshakes at once behind
  // another suite's load can take longer than the 10 s default.
  const LOADED_HANDSHAKE_TIMEOUT_MS = 120_000;
  it('1,000 sequential handshakes', async () => {
    const keys = memoryKeys();
    // All clients come from 127.0.0.1: lift the per-address share of pending handshakes (default 64).
    const server = await startEchoServer(keys, { handshakeTimeoutMs: LOADED_HANDSHAKE_TIMEOUT_MS, message1TimeoutMs: LOADED_HANDSHAKE_TIMEOUT_MS, maxPendingHandshakesPerAddress: 1024 });
    try {
      const key = keys.add();
      const sessions = new Set<string>();
      const started = performance.now();
      for (let i = 0; i < 1000; i++) {
        const channel = await connect(server.url, { apiKey: key.token });
        sessions.add(channel.sessionId);
        const info = await channel.close();
        expect(info.error).toBeUndefined();
      }
      console.log(`[channel] 1,000 sequential handshakes (connect + handshake + close) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      expect(sessions.size).toBe(1000);
      await sleep(20);
      expect(server.stats.handshakes).toBe(1000);
      expect(server.stats.handshakeFailures).toBe(0);
      expect(server.channels.size).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('100 concurrent clients each echo 1,000 messages, every byte checked', async () => {
    const keys = memoryKeys();
    // All clients come from 127.0.0.1: lift the per-address share of pending handshakes (default 64).
    const server = await startEchoServer(keys, { handshakeTimeoutMs: LOADED_HANDSHAKE_TIMEOUT_MS, message1TimeoutMs: LOADED_HANDSHAKE_TIMEOUT_MS, maxPendingHandshakesPerAddress: 1024 });
    try {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 100 }, async (_, client) => {
          const channel = await connect(server.url, { apiKey: keys.add().token, handshakeTimeoutMs: LOADED_HANDSHAKE_TIMEOUT_MS });
          const iterator = channel[Symbol.asyncIterator]();
          let checked = 0;
          // Keep up to 32 messages in flight per client.
          const expected: Uint8Array[] = [];
          let sent = 0;
          const sendOne = () => {
            const m = pattern(1 + ((client * 7919 + sent * 104729) % 2048), client * 100_000 + sent);
            expected.push(m);
            channel.send(m);
            sent++;
          };
          while (sent < 32) sendOne();
          while (checked < 1000) {
            const r = await iterator.next();
            if (r.done) throw new Error(`client ${client} ended early`);
            const want = expected.shift()!;
            if (Buffer.compare(Buffer.from(r.value), Buffer.from(want)) !== 0) throw new Error(`client ${client} message ${checked} differs`);
            checked++;
            if (sent < 1000) sendOne();
          }
          const info = await channel.close();
          return { checked, error: info.error };
        }),
      );
      console.log(`[channel] 100 clients x 1,000 echoed messages in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      for (const r of results) {
        expect(r.checked).toBe(1000);
        expect(r.error).toBeUndefined();
      }
    } finally {
      await server.close();
    }
  });
});
