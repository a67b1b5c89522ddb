/**
 * `e2e2/net` against hostile TCP peers (SPEC.md §7.8, DEVELOPERS.md "Hostile input"), on
 * loopback: a 65,535-byte frame announced then trickled (before and after the handshake), garbage
 * bytes, a connection that never sends message 1, too many pending connections from one address
 * (127.0.0.2), an oversize message 1 (refused at its prefix when above maxMessageBytes), a client
 * that half-closes. Each attack ends only its own connection, with the typed error the server
 * reports, and the next valid client still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect, createServer, type E2E2Server } from '../bindings/net.js';
import { createClientHandshake } from '../bindings/e2e2/handshake.js';
import { encodeFrame, FrameDecoder } from '../bindings/e2e2/framing.js';
import { memoryKeys } from './helpers/channel.js';

const keys = memoryKeys();

interface RawTcp {
  socket: Socket;
  /** Resolves when the server ended or reset the connection, with the bytes it sent. */
  ended: Promise<Buffer>;
  /** Every complete frame received so far, in order. */
  frames: Uint8Array[];
  nextFrame(): Promise<Uint8Array>;
}

function rawTcp(port: number, localAddress?: string): Promise<RawTcp> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
    const chunks: Buffer[] = [];
    const frames: Uint8Array[] = [];
    const waiting: ((f: Uint8Array) => void)[] = [];
    const decoder = new FrameDecoder();
    socket.on('error', () => {});
    const ended = new Promise<Buffer>((res) => {
      // The server's FIN ('end') or reset ('close'): it will send nothing more.
      socket.once('end', () => res(Buffer.concat(chunks)));
      socket.once('close', () => res(Buffer.concat(chunks)));
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      for (const f of decoder.push(chunk)) {
        const w = waiting.shift();
        if (w) w(f);
        else frames.push(f);
      }
    });
    socket.once('connect', () =>
      resolve({
        socket,
        ended,
        frames,
        nextFrame: () => {
          const f = frames.shift();
          if (f) return Promise.resolve(f);
          return new Promise<Uint8Array>((res, rej) => {
            waiting.push(res);
            void ended.then(() => rej(new Error('ended before a frame arrived')));
          });
        },
      }),
    );
    socket.once('error', reject);
  });
}

/** A real client's handshake over a raw socket, so the test can misbehave once it is authenticated. */
async function authenticatedRaw(port: number): Promise<RawTcp> {
  const raw = await rawTcp(port);
  const handshake = createClientHandshake({ apiKey: keys.add().token });
  raw.socket.write(encodeFrame(handshake.writeMessage1()));
  const session = handshake.readMessage2(await raw.nextFrame());
  raw.socket.write(encodeFrame(session.seal(new Uint8Array(0))));
  return raw;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('e2e2/net: hostile peers', () => {
  let server: E2E2Server;
  const handshakeErrors: { code?: string; remoteAddress?: string }[] = [];
  const channelErrors: (string | undefined)[] = [];
  beforeAll(async () => {
    server = await createServer({
      keys: keys.resolve,
      message1TimeoutMs: 400,
      handshakeTimeoutMs: 1500,
      keepaliveTimeoutMs: 400,
      closeTimeoutMs: 500,
      maxPendingHandshakesPerAddress: 3,
      onHandshakeError: (error, info) => handshakeErrors.push({ code: (error as { code?: string }).code, remoteAddress: info.remoteAddress }),
      onChannel: async (channel) => {
        void channel.closed.then((info) => channelErrors.push(info.error?.code));
        for await (const message of channel) channel.send(message);
      },
    });
  });
  afterAll(() => server.close());

  /** The next valid client connects, echoes and ends cleanly. */
  async function validClientWorks(localAddress?: string): Promise<void> {
    const channel = await connect({ port: server.port, apiKey: keys.add().token, ...(localAddress ? { localAddress } : {}) });
    channel.send('ping');
    const r = await channel[Symbol.asyncIterator]().next();
    expect(new TextDecoder().decode(r.value as Uint8Array)).toBe('ping');
    await channel.close();
    expect((await channel.closed).error).toBeUndefined();
  }

  async function lastHandshakeError(count: number): Promise<string | undefined> {
    for (let i = 0; i < 200 && handshakeErrors.length < count; i++) await sleep(10);
    return handshakeErrors[handshakeErrors.length - 1]?.code;
  }

  it('a connection that never sends message 1 is ended after message1TimeoutMs (ERR_HANDSHAKE_TIMEOUT), with nothing sent', async () => {
    const before = handshakeErrors.length;
    const raw = await rawTcp(server.port);
    const started = Date.now();
    const bytes = await raw.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(bytes.length).toBe(0);
    expect(await lastHandshakeError(before + 1)).toBe('ERR_HANDSHAKE_TIMEOUT');
    raw.socket.destroy();
    await validClientWorks();
  });

  it('a 65,535-byte frame announced as message 1 and then trickled is ended by the message-1 deadline', async () => {
    const before = handshakeErrors.length;
    const raw = await rawTcp(server.port);
    raw.socket.write(Buffer.from([0xff, 0xff]));
    let sent = 0;
    const trickle = setInterval(() => {
      if (!raw.socket.writable) return;
      raw.socket.write(Buffer.alloc(100, 7));
      sent += 100;
    }, 20);
    await raw.ended;
    clearInterval(trickle);
    expect(sent).toBeLessThan(65_535);
    expect(await lastHandshakeError(before + 1)).toBe('ERR_HANDSHAKE_TIMEOUT');
    raw.socket.destroy();
    await validClientWorks();
  });

  it('after the handshake, a trickled 65,535-byte frame ends that channel with ERR_KEEPALIVE_TIMEOUT (frame deadline)', async () => {
    const before = channelErrors.length;
    const raw = await authenticatedRaw(server.port);
    raw.socket.write(Buffer.from([0xff, 0xff]));
    const trickle = setInterval(() => {
      if (raw.socket.writable) raw.socket.write(Buffer.alloc(1, 1));
    }, 20);
    await raw.ended;
    clearInterval(trickle);
    for (let i = 0; i < 200 && channelErrors.length === before; i++) await sleep(10);
    expect(channelErrors.slice(before)).toEqual(['ERR_KEEPALIVE_TIMEOUT']);
    raw.socket.destroy();
    await validClientWorks();
  });

  it('garbage bytes: a zero length is ERR_MALFORMED_MESSAGE; a frame of random bytes is not a message 1 (ERR_MALFORMED_MESSAGE)', async () => {
    const before = handshakeErrors.length;
    const zero = await rawTcp(server.port);
    zero.socket.write(Buffer.from([0, 0, 1, 2, 3]));
    await zero.ended;
    expect(await lastHandshakeError(before + 1)).toBe('ERR_MALFORMED_MESSAGE');
    const junk = await rawTcp(server.port);
    junk.socket.write(Buffer.concat([Buffer.from([0, 13]), Buffer.from('GET / HTTP/1.')]));
    await junk.ended;
    expect(await lastHandshakeError(before + 2)).toBe('ERR_MALFORMED_MESSAGE');
    zero.socket.destroy();
    junk.socket.destroy();
    await validClientWorks();
  });

  it('an oversize message 1 (a full 65,535-byte frame) is refused (ERR_MALFORMED_MESSAGE), nothing answered', async () => {
    const before = handshakeErrors.length;
    const raw = await rawTcp(server.port);
    raw.socket.write(encodeFrame(new Uint8Array(65_535).fill(9)));
    const bytes = await raw.ended;
    expect(bytes.length).toBe(0);
    expect(await lastHandshakeError(before + 1)).toBe('ERR_MALFORMED_MESSAGE');
    raw.socket.destroy();
    await validClientWorks();
  });

  it('too many pending connections from one address (127.0.0.2): beyond 3 each is ended at once (ERR_SERVER_BUSY); 127.0.0.3 still connects', async () => {
    const before = server.stats.busyRejections;
    const holders = await Promise.all([0, 1, 2].map(() => rawTcp(server.port, '127.0.0.2')));
    await sleep(50);
    const refused = await rawTcp(server.port, '127.0.0.2');
    const started = Date.now();
    await refused.ended;
    expect(Date.now() - started).toBeLessThan(350);
    expect(server.stats.busyRejections).toBe(before + 1);
    expect(handshakeErrors.some((e) => e.code === 'ERR_SERVER_BUSY' && e.remoteAddress === '127.0.0.2')).toBe(true);
    await validClientWorks('127.0.0.3');
    for (const h of [...holders, refused]) h.socket.destroy();
  });

  it('a client that half-closes (FIN) after message 1 is a failed handshake (ERR_CONNECTION_CLOSED), and its connection is ended', async () => {
    const before = handshakeErrors.length;
    const raw = await rawTcp(server.port);
    const handshake = createClientHandshake({ apiKey: keys.add().token });
    raw.socket.end(encodeFrame(handshake.writeMessage1()));
    await raw.ended;
    expect(await lastHandshakeError(before + 1)).toBe('ERR_CONNECTION_CLOSED');
    handshake.dispose();
    raw.socket.destroy();
    await validClientWorks();
  });

  it('a client that half-closes after the handshake, without a CLOSE record, truncates its channel (ERR_CONNECTION_CLOSED)', async () => {
    const before = channelErrors.length;
    const raw = await authenticatedRaw(server.port);
    await sleep(50);
    raw.socket.end();
    await raw.ended;
    for (let i = 0; i < 200 && channelErrors.length === before; i++) await sleep(10);
    expect(channelErrors.slice(before)).toEqual(['ERR_CONNECTION_CLOSED']);
    raw.socket.destroy();
    await validClientWorks();
  });
});

describe('e2e2/net: maxMessageBytes', () => {
  it('a frame announcing more than maxMessageBytes is refused at its two prefix bytes (ERR_MESSAGE_TOO_LARGE)', async () => {
    const errors: (string | undefined)[] = [];
    const server = await createServer({ keys: keys.resolve, maxMessageBytes: 1000, onHandshakeError: (error) => errors.push((error as { code?: string }).code) });
    try {
      const raw = await rawTcp(server.port);
      raw.socket.write(Buffer.from([0x03, 0xe9])); // 1,001: only the prefix is sent
      await raw.ended;
      for (let i = 0; i < 200 && errors.length === 0; i++) await sleep(10);
      expect(errors).toEqual(['ERR_MESSAGE_TOO_LARGE']);
      raw.socket.destroy();
      const channel = await connect({ port: server.port, apiKey: keys.add().token });
      await channel.close();
      expect((await channel.closed).error).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('FrameDecoder bounds (what the TCP socket reads with)', () => {
  it('refuses a length above maxMessageBytes at its prefix, keeping none of its bytes, and stays poisoned', () => {
    const decoder = new FrameDecoder({ maxMessageBytes: 100 });
    expect(() => decoder.push(new Uint8Array([0, 101]))).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_TOO_LARGE', message: 'a frame announces 101 bytes; at most 100 are accepted' }));
    expect(decoder.bufferedBytes).toBe(0);
    expect(() => decoder.push(new Uint8Array([0, 1, 1]))).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED_MESSAGE' }));
    expect(() => new FrameDecoder({ maxMessageBytes: 65_536 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('holds at most one unfinished frame: a 65,535-byte frame fed byte by byte never buffers more than 65,537 bytes', () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame(new Uint8Array(65_535).fill(5));
    let most = 0;
    for (let i = 0; i < frame.length - 1; i += 997) {
      expect(decoder.push(frame.subarray(i, Math.min(i + 997, frame.length - 1)))).toEqual([]);
      most = Math.max(most, decoder.bufferedBytes);
    }
    expect(most).toBe(frame.length - 1);
    const [message] = decoder.push(frame.subarray(frame.length - 1));
    expect(message?.length).toBe(65_535);
    expect(decoder.bufferedBytes).toBe(0);
  });
});
