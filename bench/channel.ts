/**
 * Channel benchmarks (`npm run bench -- channel`, `e2e2 bench`): client and server in this
 * process on 127.0.0.1, all over the `ws` package with permessage-deflate off.
 *
 *   connections: a new connection per operation: connect + handshake (TLS 1.3 with an Ed25519
 *     certificate the client verifies, or E2-E2 message 1 / message 2 / key confirmation), then a
 *     clean close; e2e2 beside wss:// and plain ws://.
 *   throughput: one open connection; an operation = one message of 1 KiB or 64 KiB, sent in
 *     batches followed by a 1-byte sync message the server answers, so every byte is received
 *     (decrypted and authenticated) by the server before a sample ends. e2e2 uses write(), the
 *     stream form (a 64 KiB message is two records: 65,518 + 18 bytes; 1 KiB writes of one
 *     synchronous run are coalesced into records of up to 65,518 bytes, as TLS coalesces small
 *     writes into its records); "e2e2 send()" keeps every message as its own record (one
 *     WebSocket message each, like the baselines); wss:// with TLS_CHACHA20_POLY1305_SHA256
 *     (the baseline) and TLS_AES_128_GCM_SHA256, and plain ws:// as the ceiling.
 */
import type { Case } from './harness.js';
import { closeWs, openWs, sendBatchWs, startWsServer, startWssServer, type BaselineServer } from './channel-baselines.js';
import { connect } from '../bindings/channel/node.js';
import { createServer, type E2E2Server } from '../bindings/channel/server.js';
import { MAX_RECORD_DATA_BYTES, type Channel } from '../bindings/channel/channel.js';
import { generateApiKey } from '../bindings/e2e2/api-key.js';
import type { WebSocket } from 'ws';

const SYNC = Uint8Array.of(0x2a);

/** An e2e2 server that counts messages and answers each 1-byte message with 1 byte. */
export async function startE2e2BenchServer(): Promise<{ server: E2E2Server; apiKey: string }> {
  const key = generateApiKey();
  const secret = key.secret.slice();
  const server = await createServer({
    keys: (keyId) => (keyId === key.keyId ? secret.slice() : undefined),
    host: '127.0.0.1',
    port: 0,
    maxPendingHandshakes: 4096,
    onChannel(channel) {
      channel.on('message', (data) => {
        if (data.length === 1 && channel.writable) channel.send(SYNC);
      });
    },
  });
  return { server, apiKey: key.token };
}

/** A sender for one channel: `count` messages of `payload` with write() (or send()), then the sync message; resolves on the answer. */
export function batchSenderE2e2(channel: Channel, mode: 'write' | 'send' = 'write'): (payload: Uint8Array, count: number) => Promise<void> {
  let pending: { resolve: () => void; reject: (error: Error) => void } | undefined;
  channel.on('message', () => {
    const p = pending;
    pending = undefined;
    p?.resolve();
  });
  void channel.closed.then(() => pending?.reject(new Error('e2e2 bench channel closed')));
  return (payload, count) =>
    new Promise<void>((resolve, reject) => {
      pending = { resolve, reject };
      if (mode === 'write') for (let i = 0; i < count; i++) channel.write(payload);
      else for (let i = 0; i < count; i++) channel.send(payload);
      channel.send(SYNC);
    });
}

interface Fixtures {
  e2e2: { server: E2E2Server; apiKey: string };
  ws: BaselineServer;
  chacha: BaselineServer;
  aes: BaselineServer;
}

async function fixtures(): Promise<Fixtures> {
  return {
    e2e2: await startE2e2BenchServer(),
    ws: await startWsServer(),
    chacha: await startWssServer('TLS_CHACHA20_POLY1305_SHA256'),
    aes: await startWssServer('TLS_AES_128_GCM_SHA256'),
  };
}

export async function channelCases(): Promise<Case[]> {
  const f = await fixtures();
  const url = f.e2e2.server.url;
  const apiKey = f.e2e2.apiKey;

  const connections: Case = {
    group: 'new connection: connect + handshake + close',
    size: '',
    bytes: 0,
    batch: 1,
    contenders: [
      {
        name: 'e2e2',
        fn: async () => {
          const channel = await connect(url, { apiKey });
          await channel.close();
        },
      },
      {
        name: 'wss:// TLS 1.3 Ed25519 cert',
        baseline: true,
        fn: async () => closeWs(await openWs(f.chacha)),
      },
      { name: 'ws:// (no security)', fn: async () => closeWs(await openWs(f.ws)) },
    ],
  };

  // Long-lived connections for the throughput cases.
  const channel = await connect(url, { apiKey });
  const sendE2e2 = batchSenderE2e2(channel);
  const sendChannel = await connect(url, { apiKey });
  const sendE2e2Messages = batchSenderE2e2(sendChannel, 'send');
  const sockets: Record<'chacha' | 'aes' | 'ws', WebSocket> = {
    chacha: await openWs(f.chacha),
    aes: await openWs(f.aes),
    ws: await openWs(f.ws),
  };
  const throughput = (bytes: number, batch: number): Case => {
    const payload = new Uint8Array(bytes).map((_, i) => (i * 31 + 7) & 0xff);
    const size = bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
    return {
      group: 'throughput (one connection, messages of)',
      size,
      bytes,
      batch,
      contenders: [
        { name: 'e2e2', fn: () => sendE2e2(payload, batch) },
        ...(bytes <= MAX_RECORD_DATA_BYTES ? [{ name: 'e2e2 send()', fn: () => sendE2e2Messages(payload, batch) }] : []),
        { name: 'wss:// TLS_CHACHA20_POLY1305_SHA256', baseline: true, fn: () => sendBatchWs(sockets.chacha, payload, batch) },
        { name: 'wss:// TLS_AES_128_GCM_SHA256', fn: () => sendBatchWs(sockets.aes, payload, batch) },
        { name: 'ws:// (no security)', fn: () => sendBatchWs(sockets.ws, payload, batch) },
      ],
    };
  };

  const teardown = async () => {
    await channel.close();
    await sendChannel.close();
    for (const ws of Object.values(sockets)) await closeWs(ws);
    await f.e2e2.server.close();
    await Promise.all([f.ws.close(), f.chacha.close(), f.aes.close()]);
  };
  return withTeardown([connections, throughput(1024, 256), throughput(65536, 16)], teardown);
}

/**
 * The harness has no teardown step, and open servers would keep the process alive: the cases
 * array's iterator runs `teardown` when runSuite asks it for the case after the last one.
 */
function withTeardown(cases: Case[], teardown: () => Promise<void>): Case[] {
  const iterate = cases[Symbol.iterator].bind(cases);
  Object.defineProperty(cases, Symbol.iterator, {
    value: () => {
      const inner = iterate();
      return {
        next() {
          const step = inner.next();
          if (step.done) void teardown();
          return step;
        },
        [Symbol.iterator]() {
          return this;
        },
      };
    },
  });
  return cases;
}
