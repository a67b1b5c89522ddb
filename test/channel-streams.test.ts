/**
 * Streams over a channel (README "Streams"): `channelDuplex()` (a Node Duplex of bytes) and
 * `channel.webStreams()` (WHATWG ReadableStream / WritableStream). 100 MB through `pipeline()` to a
 * hashing server and through a tunnel with the SHA-256 equal at both ends; a consumer that stalls
 * bounds the bytes in flight (backpressure all the way back to the producer); half-close both ways
 * through CLOSE records; a truncated peer errors the Duplex with the typed error; web streams round
 * trip, backpressure and cancel/abort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable, type Duplex } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { channelDuplex } from '../bindings/channel/duplex.js';
import { connect } from '../bindings/channel/node.js';
import { createServer, type E2E2Server, type ServerOptions } from '../bindings/channel/server.js';
import { createForwardServer } from '../bindings/channel/tunnel.js';
import type { Channel } from '../bindings/channel/channel.js';
import { DEFAULT_WRITABLE_HIGH_WATER_MARK_BYTES } from '../bindings/channel/limits.js';
import { MAX_RECORD_DATA_BYTES } from '../bindings/e2e2/constants.js';
import { ConnectionClosedError, isE2E2Error } from '../bindings/errors.js';
import { memoryKeys, sleep, type Keys } from './helpers/channel.js';
import { truncatingProxy } from './helpers/hostile/mitm.js';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;
/** Generous: the machine is shared and loaded; 100 MB at loopback takes seconds when quiet. */
const BIG_TIMEOUT_MS = 240_000;
const TIMEOUT_MS = 60_000;

/**
 * `total` random bytes in CHUNK pieces, made as they are asked for (never all in memory); `hash`
 * sees each piece and `produced` counts what the consumer has pulled so far.
 */
function source(total: number, progress: { produced: number; hash: ReturnType<typeof createHash> }) {
  return (async function* generate() {
    while (progress.produced < total) {
      const piece = randomBytes(Math.min(CHUNK, total - progress.produced));
      progress.hash.update(piece);
      progress.produced += piece.length;
      yield piece;
    }
  })();
}

/** Collect a (small) readable into one string. */
async function collectText(stream: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

/**
 * A sink server: each channel's bytes are hashed; at the client's CLOSE record it answers
 * "<sha256 hex> <bytes>" and ends. The loop reads with destroyOnReturn: false: an async iteration
 * that ends destroys its stream by default, and under Node 20 that includes a Duplex whose
 * writable side (our answer) is still to come.
 */
async function hashingHandler(channel: Channel): Promise<void> {
  const duplex = channelDuplex(channel);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of duplex.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  duplex.end(`${hash.digest('hex')} ${bytes}`);
  await finished(duplex);
}

/** An echo server made of one pipeline: the Duplex into itself. */
function echoHandler(channel: Channel): Promise<void> {
  const duplex = channelDuplex(channel);
  return pipeline(duplex, duplex);
}

let keys: Keys;
let token: string;
const servers: E2E2Server[] = [];
beforeAll(() => {
  keys = memoryKeys();
  token = keys.add().token;
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function serve(onChannel: (channel: Channel) => void | Promise<void>, options: Partial<ServerOptions> = {}): Promise<E2E2Server> {
  const server = await createServer({ keys: keys.resolve, host: '127.0.0.1', port: 0, allowHalfOpen: true, onChannel, ...options });
  servers.push(server);
  return server;
}

function urlOf(server: E2E2Server | { port: number }): string {
  return `ws://127.0.0.1:${server.port}/`;
}

function dial(url: string, allowHalfOpen = true): Promise<Channel> {
  return connect(url, { apiKey: token, allowHalfOpen });
}

/** A server whose channels are handed to the test as they open. */
async function channelServer(options: Partial<ServerOptions> = {}) {
  const waiting: ((c: Channel) => void)[] = [];
  const opened: Channel[] = [];
  const server = await serve((channel) => {
    const w = waiting.shift();
    if (w) w(channel);
    else opened.push(channel);
  }, options);
  return {
    server,
    next: (): Promise<Channel> => {
      const c = opened.shift();
      return c ? Promise.resolve(c) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/**
 * pipeline() 100 MB into a new channel to `url` and read the answer; the answer must be the SHA-256
 * and length of what was sent, and the channel must end cleanly. Load average in the log line.
 */
async function uploadThrough(url: string, label: string): Promise<void> {
  const channel = await dial(url);
  const total = 100 * MB;
  const progress = { produced: 0, hash: createHash('sha256') };
  const started = performance.now();
  let answer = '';
  await pipeline(source(total, progress), channelDuplex(channel), async (replies: AsyncIterable<Buffer>) => void (answer = await collectText(replies)));
  const seconds = (performance.now() - started) / 1000;
  console.log(`100 MB through ${label}: ${seconds.toFixed(1)} s (${(total / MB / seconds).toFixed(0)} MB/s, load average ${loadavg()[0]!.toFixed(1)})`);
  expect(answer).toBe(`${progress.hash.digest('hex')} ${total}`);
  expect(channel.bytesSent).toBe(total);
  const info = await channel.closed;
  expect([info.code, info.error]).toEqual([1000, undefined]);
}

describe('channelDuplex(): pipeline() of 100 MB', () => {
  it('to a hashing server over a channel: the SHA-256 is equal at both ends', { timeout: BIG_TIMEOUT_MS }, async () => {
    const server = await serve(hashingHandler);
    await uploadThrough(urlOf(server), 'channelDuplex()');
  });

  it('through a tunnel (createForwardServer) to a TCP service: the SHA-256 is equal at both ends', { timeout: BIG_TIMEOUT_MS }, async () => {
    // The TCP service hashes what arrives and answers at the FIN the tunnel makes of our CLOSE record.
    const service: TcpServer = createTcpServer({ allowHalfOpen: true }, (socket) => {
      const hash = createHash('sha256');
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      socket.on('end', () => socket.end(`${hash.digest('hex')} ${bytes}`));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const forward = await createForwardServer({ host: '127.0.0.1', port: (service.address() as AddressInfo).port }, { keys: keys.resolve, host: '127.0.0.1', port: 0 });
    try {
      await uploadThrough(urlOf(forward), 'channelDuplex() and a tunnel');
    } finally {
      await forward.close();
      await new Promise<void>((resolve) => service.close(() => resolve()));
    }
  });
});

/**
 * What may be in flight between a producer and a consumer that stopped reading: the sender's
 * Duplex and channel buffers (its writableHighWaterMark, 1 MiB by default, plus one write), the
 * kernel's loopback socket buffers (a few MB), `ws`'s receive buffer, and the receiving Duplex or
 * stream queue with one record over its high-water mark. Without backpressure anywhere on that
 * path the producer would run to the end (TOTAL) while the consumer sleeps.
 */
const IN_FLIGHT_BOUND = 24 * MB;
const SLOW_TOTAL = 96 * MB;

describe('a slow consumer bounds memory', () => {
  it('channelDuplex(): a reader that stalls, then reads slowly, holds the producer back; the bytes arrive intact', { timeout: BIG_TIMEOUT_MS }, async () => {
    const progress = { produced: 0, hash: createHash('sha256') };
    let serverChannel: Channel | undefined;
    let maxBuffered = 0;
    const server = await serve(async (channel) => {
      serverChannel = channel;
      await pipeline(source(SLOW_TOTAL, progress), channelDuplex(channel));
    });
    const channel = await dial(urlOf(server), false);
    const duplex = channelDuplex(channel, { readableHighWaterMark: 256 * 1024 });
    let consumed = 0;
    let maxInFlight = 0;
    let maxReadable = 0;
    let maxReceivedUnread = 0;
    const sample = () => {
      maxInFlight = Math.max(maxInFlight, progress.produced - consumed);
      maxReadable = Math.max(maxReadable, duplex.readableLength);
      maxReceivedUnread = Math.max(maxReceivedUnread, channel.bytesReceived - consumed);
      maxBuffered = Math.max(maxBuffered, serverChannel?.bufferedAmount ?? 0);
    };
    const sampler = setInterval(sample, 20);
    const rssBefore = process.memoryUsage().rss;
    // Stall: nobody reads for 2 s. The producer must stop once the path is full.
    await sleep(2_000);
    sample();
    const producedDuringStall = progress.produced;
    const rssDuringStall = process.memoryUsage().rss;
    expect(producedDuringStall).toBeGreaterThan(0);
    expect(producedDuringStall).toBeLessThan(IN_FLIGHT_BOUND);
    // Then a slow reader (a pause every 64 reads) until the end.
    const hash = createHash('sha256');
    let reads = 0;
    await pipeline(
      duplex,
      new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          consumed += chunk.length;
          if (++reads % 64 === 0) setTimeout(callback, 5);
          else callback();
        },
      }),
    );
    clearInterval(sampler);
    console.log(
      `slow Duplex consumer: ${(producedDuringStall / MB).toFixed(1)} MB produced during a 2 s stall of ${SLOW_TOTAL / MB} MB; ` +
        `max in flight ${(maxInFlight / MB).toFixed(1)} MB, max readableLength ${maxReadable} B, max received and unread ${maxReceivedUnread} B, max server bufferedAmount ${maxBuffered} B, ` +
        `RSS +${((rssDuringStall - rssBefore) / MB).toFixed(1)} MB during the stall`,
    );
    expect(consumed).toBe(SLOW_TOTAL);
    expect(hash.digest('hex')).toBe(progress.hash.digest('hex'));
    expect(maxInFlight).toBeLessThan(IN_FLIGHT_BOUND);
    // The readable side holds its high-water mark plus what `ws` had already parsed when it paused.
    expect(maxReadable).toBeLessThan(256 * 1024 + 8 * MAX_RECORD_DATA_BYTES);
    // Received by our channel and not yet through the sink: that, plus the sink's 64 KiB.
    expect(maxReceivedUnread).toBeLessThan(256 * 1024 + 64 * 1024 + 8 * MAX_RECORD_DATA_BYTES);
    // The sender's WebSocket holds at most its high-water mark plus one write (records of one chunk).
    expect(maxBuffered).toBeLessThan(DEFAULT_WRITABLE_HIGH_WATER_MARK_BYTES + 2 * CHUNK);
    expect(rssDuringStall - rssBefore).toBeLessThan(IN_FLIGHT_BOUND + 32 * MB);
  });
});

/** Wait for a Duplex to be closed and collect what it read; rejects with its error. */
function drain(duplex: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    duplex.on('data', (d: Buffer) => parts.push(d));
    duplex.on('error', reject);
    duplex.on('close', () => resolve(Buffer.concat(parts)));
  });
}

function waitEnd(duplex: Duplex): Promise<void> {
  return new Promise((resolve) => duplex.once('end', resolve));
}

describe('README "Streams", as written', () => {
  it('an echo server of one pipeline(duplex, duplex); a file uploaded through pipeline() comes back byte for byte', { timeout: TIMEOUT_MS }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e2-streams-'));
    try {
      const upload = join(dir, 'upload.bin');
      const echo = join(dir, 'echo.bin');
      writeFileSync(upload, randomBytes(3 * MB + 17));
      const server = await createServer({
        keys: keys.resolve, port: 0, host: '127.0.0.1', allowHalfOpen: true,
        async onChannel(channel) { const duplex = channelDuplex(channel); await pipeline(duplex, duplex); },
      });
      servers.push(server);
      const channel = await connect(urlOf(server), { apiKey: token });
      await pipeline(createReadStream(upload), channelDuplex(channel), createWriteStream(echo));
      expect(readFileSync(echo).equals(readFileSync(upload))).toBe(true);
      expect((await channel.closed).error).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('channelDuplex(): half-close is the CLOSE record, both ways', () => {
  /** The side that ends first sends a little and its CLOSE record; the other reads to its end, then answers 1 MB and ends. */
  it.each(['client', 'server'] as const)('the %s ends first: the other side reads to the end, still sends 1 MB after it, and both close cleanly (1000)', { timeout: TIMEOUT_MS }, async (first) => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server));
    const peer = await next();
    const [firstChannel, secondChannel] = first === 'client' ? [client, peer] : [peer, client];
    const firstDuplex = channelDuplex(firstChannel);
    const secondDuplex = channelDuplex(secondChannel);
    const request = randomBytes(200_000);
    const answer = randomBytes(MB);
    const secondRead: Buffer[] = [];
    secondDuplex.on('data', (d: Buffer) => secondRead.push(d));
    const firstResult = drain(firstDuplex);
    firstDuplex.end(request);
    await waitEnd(secondDuplex);
    expect(Buffer.concat(secondRead).equals(request)).toBe(true);
    // The second direction is still open after the first side's CLOSE record.
    expect(firstChannel.writable).toBe(false);
    expect(secondChannel.writable).toBe(true);
    secondDuplex.end(answer);
    expect((await firstResult).equals(answer)).toBe(true);
    const [f, s] = await Promise.all([firstChannel.closed, secondChannel.closed]);
    expect([f.code, f.error, f.initiator, s.code, s.error, s.initiator]).toEqual([1000, undefined, 'local', 1000, undefined, 'remote']);
  });

  it('without allowHalfOpen the peer CLOSE ends our side too, like a Duplex with allowHalfOpen: false', { timeout: TIMEOUT_MS }, async () => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server), false);
    const peer = await next();
    const clientDuplex = channelDuplex(client);
    expect(clientDuplex.allowHalfOpen).toBe(false);
    const serverDuplex = channelDuplex(peer);
    const serverResult = drain(serverDuplex);
    serverDuplex.end();
    const read = await drain(clientDuplex);
    expect(read.length).toBe(0);
    expect(clientDuplex.writableFinished).toBe(true);
    expect((await serverResult).length).toBe(0);
    expect((await client.closed).error).toBeUndefined();
  });
});

describe('channelDuplex(): errors are the typed errors of the channel', () => {
  it('a truncated stream (the tail and the CLOSE record cut, a forged close 1000) errors the Duplex with ERR_CONNECTION_CLOSED', { timeout: TIMEOUT_MS }, async () => {
    // The server writes ten records and its CLOSE record, then closes (close frame 1000 once its
    // closeTimeoutMs for our CLOSE record is over); the proxy drops the last three frames before
    // that close frame (part 8, part 9, the CLOSE record) and forges the close frame 1000.
    const server = await serve(
      (channel) => {
        const duplex = channelDuplex(channel);
        duplex.on('error', () => {});
        for (let i = 0; i < 10; i++) duplex.write(`part ${i}\n`);
        duplex.end(() => void channel.close());
      },
      { closeTimeoutMs: 1_000 },
    );
    const mitm = await truncatingProxy(server.port, { toward: 'client', passFirst: 1, holdBack: 3 });
    try {
      const channel = await dial(urlOf(mitm));
      let text = '';
      const error = await pipeline(channelDuplex(channel), async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) text += chunk.toString();
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(mitm.cuts).toBe(1);
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect(isE2E2Error(error, 'ERR_CONNECTION_CLOSED')).toBe(true);
      expect((error as ConnectionClosedError).message).toMatch(/truncated/);
      expect((error as ConnectionClosedError).closeCode).toBe(1000);
      // Nothing after the cut was delivered (the Duplex may drop what it buffered when it errors).
      expect(Array.from({ length: 8 }, (_, i) => `part ${i}\n`).join('').startsWith(text)).toBe(true);
      expect(text).not.toContain('part 8');
    } finally {
      await mitm.close();
    }
  });

  it('destroy() mid-stream ends the channel without a CLOSE record: the peer sees a truncation (1011), not a clean end', { timeout: TIMEOUT_MS }, async () => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server));
    const peer = await next();
    const serverDuplex = channelDuplex(peer);
    const serverOutcome = drain(serverDuplex).then(
      () => undefined,
      (e: unknown) => e,
    );
    const clientDuplex = channelDuplex(client);
    clientDuplex.write('partial');
    clientDuplex.destroy();
    const error = await serverOutcome;
    expect(isE2E2Error(error, 'ERR_CONNECTION_CLOSED')).toBe(true);
    expect((error as ConnectionClosedError).closeCode).toBe(1011);
    expect((await client.closed).code).toBe(1011);
  });

  it('a second stream adapter on the same channel is refused (ERR_INVALID_STATE)', { timeout: TIMEOUT_MS }, async () => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server));
    const peer = await next();
    const duplex = channelDuplex(client);
    expect(() => channelDuplex(client)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => client.webStreams()).toThrow(/already read by channelDuplex\(\)/);
    peer.webStreams();
    expect(() => channelDuplex(peer)).toThrow(/already read by webStreams\(\)/);
    // The first adapter still works.
    duplex.end();
    peer.end();
    await new Promise((resolve) => duplex.resume().once('close', resolve));
    expect((await client.closed).error).toBeUndefined();
  });
});

/** A ReadableStream of `total` random bytes, made on demand; `progress` as in source(). */
function webSource(total: number, progress: { produced: number; hash: ReturnType<typeof createHash> }): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (progress.produced >= total) return controller.close();
      const piece = new Uint8Array(randomBytes(Math.min(CHUNK, total - progress.produced)));
      progress.hash.update(piece);
      progress.produced += piece.length;
      controller.enqueue(piece);
    },
  });
}

describe('channel.webStreams(): WHATWG streams', () => {
  it('pipeThrough() an echo server and pipeTo() a hashing sink: 32 MB, the SHA-256 equal', { timeout: BIG_TIMEOUT_MS }, async () => {
    const server = await serve(echoHandler);
    const channel = await dial(urlOf(server));
    const total = 32 * MB;
    const progress = { produced: 0, hash: createHash('sha256') };
    const received = createHash('sha256');
    let bytes = 0;
    await webSource(total, progress)
      .pipeThrough(channel.webStreams())
      .pipeTo(
        new WritableStream<Uint8Array>({
          write(chunk) {
            expect(chunk).toBeInstanceOf(Uint8Array);
            received.update(chunk);
            bytes += chunk.length;
          },
        }),
      );
    expect(bytes).toBe(total);
    expect(received.digest('hex')).toBe(progress.hash.digest('hex'));
    const info = await channel.closed;
    expect([info.code, info.error]).toEqual([1000, undefined]);
  });

  it('a slow WritableStream sink holds the producer back (bounded in flight), and every byte arrives', { timeout: BIG_TIMEOUT_MS }, async () => {
    const progress = { produced: 0, hash: createHash('sha256') };
    let serverChannel: Channel | undefined;
    const server = await serve((channel) => {
      serverChannel = channel;
      return webSource(SLOW_TOTAL, progress).pipeTo(channel.webStreams().writable);
    });
    const channel = await dial(urlOf(server), false);
    const hash = createHash('sha256');
    let consumed = 0;
    let writes = 0;
    let maxInFlight = 0;
    let maxReceivedUnread = 0;
    let maxBuffered = 0;
    const sample = () => {
      maxInFlight = Math.max(maxInFlight, progress.produced - consumed);
      // Received by our channel but not yet through the sink: the readable's queue and the sink's.
      maxReceivedUnread = Math.max(maxReceivedUnread, channel.bytesReceived - consumed);
      maxBuffered = Math.max(maxBuffered, serverChannel?.bufferedAmount ?? 0);
    };
    const sampler = setInterval(sample, 20);
    let stalled = true;
    let releaseStall!: () => void;
    const stall = new Promise<void>((resolve) => (releaseStall = resolve));
    const done = channel.webStreams({ readableHighWaterMark: 256 * 1024 }).readable.pipeTo(
      new WritableStream<Uint8Array>(
        {
          async write(chunk) {
            if (stalled) await stall;
            hash.update(chunk);
            consumed += chunk.length;
            sample();
            if (++writes % 64 === 0) await sleep(5);
          },
        },
        new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
      ),
    );
    await sleep(2_000);
    sample();
    const producedDuringStall = progress.produced;
    const unreadDuringStall = channel.bytesReceived - consumed;
    stalled = false;
    releaseStall();
    await done;
    clearInterval(sampler);
    console.log(
      `slow WritableStream sink: ${(producedDuringStall / MB).toFixed(1)} MB produced during a 2 s stall of ${SLOW_TOTAL / MB} MB ` +
        `(${unreadDuringStall} B received and unread); max in flight ${(maxInFlight / MB).toFixed(1)} MB, ` +
        `max received and unread ${maxReceivedUnread} B, max server bufferedAmount ${maxBuffered} B`,
    );
    expect(producedDuringStall).toBeGreaterThan(0);
    expect(producedDuringStall).toBeLessThan(IN_FLIGHT_BOUND);
    expect(maxInFlight).toBeLessThan(IN_FLIGHT_BOUND);
    // The receiving side holds the readable's high-water mark, the sink's, and what `ws` had parsed when it paused.
    expect(maxReceivedUnread).toBeLessThan(256 * 1024 + 64 * 1024 + 8 * MAX_RECORD_DATA_BYTES);
    // The sending side: its channel's writableHighWaterMark plus one write.
    expect(maxBuffered).toBeLessThan(DEFAULT_WRITABLE_HIGH_WATER_MARK_BYTES + 2 * CHUNK);
    expect(consumed).toBe(SLOW_TOTAL);
    expect(hash.digest('hex')).toBe(progress.hash.digest('hex'));
    expect((await channel.closed).error).toBeUndefined();
  });

  it('writable.close() is the CLOSE record: the peer reads to a clean end and can still answer', { timeout: TIMEOUT_MS }, async () => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server));
    const peer = await next();
    const { readable, writable } = client.webStreams();
    const writer = writable.getWriter();
    await writer.write(new TextEncoder().encode('question'));
    await writer.close();
    expect(client.writable).toBe(false);
    const got: string[] = [];
    for await (const m of peer) got.push(new TextDecoder().decode(m));
    expect(got).toEqual(['question']);
    peer.send('answer');
    peer.end();
    const reader = readable.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('answer');
    expect((await reader.read()).done).toBe(true);
    expect((await client.closed).error).toBeUndefined();
  });

  it('readable.cancel() ends the channel at once with 1011 (no CLOSE record): the peer sees a truncation', { timeout: TIMEOUT_MS }, async () => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server));
    const peer = await next();
    peer.write(randomBytes(4 * MB));
    const reader = client.webStreams().readable.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel(new Error('enough'));
    const [local, remote] = await Promise.all([client.closed, peer.closed]);
    expect(local.code).toBe(1011);
    expect(local.error?.code).toBe('ERR_APPLICATION');
    expect((local.error?.cause as Error).message).toBe('enough');
    expect(remote.error?.code).toBe('ERR_CONNECTION_CLOSED');
    expect((remote.error as ConnectionClosedError).closeCode).toBe(1011);
  });

  it('writable.abort() ends the channel at once (1011); a truncation errors the readable with ERR_CONNECTION_CLOSED', { timeout: TIMEOUT_MS }, async () => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server));
    const peer = await next();
    const peerStreams = peer.webStreams();
    const peerRead = peerStreams.readable.getReader();
    const writer = client.webStreams().writable.getWriter();
    await writer.write(new Uint8Array([1, 2, 3]));
    expect(Array.from((await peerRead.read()).value ?? [])).toEqual([1, 2, 3]);
    await writer.abort(new Error('upload cancelled'));
    const error = await peerRead.read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isE2E2Error(error, 'ERR_CONNECTION_CLOSED')).toBe(true);
    expect((error as ConnectionClosedError).closeCode).toBe(1011);
    // The peer's writable fails with the same typed error.
    await expect(peerStreams.writable.getWriter().write(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    expect((await client.closed).code).toBe(1011);
  });
});

describe('channel.webStreams(): caller errors are typed', () => {
  it('a bad high-water mark is ERR_INVALID_ARGUMENT (and claims nothing); a chunk that is not a Uint8Array errors the writable and ends the channel (1011)', { timeout: TIMEOUT_MS }, async () => {
    const { server, next } = await channelServer();
    const client = await dial(urlOf(server));
    const peer = await next();
    expect(() => client.webStreams({ readableHighWaterMark: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: `readableHighWaterMark must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}` }),
    );
    expect(() => client.webStreams({ writableHighWaterMark: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    const writer = client.webStreams().writable.getWriter();
    await expect(writer.write('text' as unknown as Uint8Array)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: 'the writable stream takes Uint8Array chunks',
    });
    const [local, remote] = await Promise.all([client.closed, peer.closed]);
    expect([local.code, local.error?.code]).toEqual([1011, 'ERR_INVALID_ARGUMENT']);
    expect(remote.error?.code).toBe('ERR_CONNECTION_CLOSED');
  });
});

describe('the browser build has no node:stream', () => {
  it('dist/browser/e2e2.js carries webStreams() and not channelDuplex() or node:stream', () => {
    const bundle = 'dist/browser/e2e2.js';
    if (!existsSync(bundle)) {
      if (process.env.CI === 'true') throw new Error(`${bundle} is missing: run npm run build`);
      console.log(`skipped: ${bundle} is missing (npm run build)`);
      return;
    }
    const text = readFileSync(bundle, 'utf8');
    // Booleans, so that a failure does not print the 300 KB bundle.
    expect(text.includes('webStreams(options)')).toBe(true);
    expect(text.includes('ByteLengthQueuingStrategy')).toBe(true);
    expect(/node:stream|from ['"]stream['"]|extends Duplex/.test(text)).toBe(false);
  });
});
