/**
 * Records framed by the `ws` adapter itself (RFC 6455 §5.2) into the room sealed in front of
 * them: checked on the wire through a recording TCP proxy between a real client and server.
 * Client frames are masked (§5.3) with a fresh key each; server frames are not masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import { connect } from '../bindings/channel/node.js';
import type { E2E2Server } from '../bindings/channel/server.js';
import { memoryKeys, pattern, startEchoServer } from './helpers/channel.js';

interface Frame {
  fin: boolean;
  opcode: number;
  maskKey: Uint8Array | undefined;
  payload: Uint8Array;
}

/** Parse RFC 6455 frames from a byte stream (after the HTTP upgrade), unmasking payloads. */
function parseFrames(stream: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at + 2 <= stream.length) {
    const b0 = stream[at]!;
    const b1 = stream[at + 1]!;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      length = (stream[at + 2]! << 8) | stream[at + 3]!;
      header = 4;
    } else if (length === 127) throw new Error('64-bit length: no E2-E2 message is that long');
    const masked = (b1 & 0x80) !== 0;
    const maskKey = masked ? stream.slice(at + header, at + header + 4) : undefined;
    if (masked) header += 4;
    if (at + header + length > stream.length) break;
    const payload = stream.slice(at + header, at + header + length);
    if (maskKey) for (let i = 0; i < payload.length; i++) payload[i]! ^= maskKey[i & 3]!;
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, maskKey, payload });
    at += header + length;
  }
  return frames;
}

function afterUpgrade(bytes: Buffer): Uint8Array {
  const end = bytes.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  return new Uint8Array(bytes.subarray(end + 4));
}

describe('ws adapter: records framed in place (RFC 6455 §5.2, §5.3)', () => {
  const keys = memoryKeys();
  let server: E2E2Server;
  let proxy: Server;
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  beforeAll(async () => {
    server = await startEchoServer(keys);
    const target = Number(new URL(server.url).port);
    proxy = createTcpServer((client) => {
      const upstream = tcpConnect({ host: '127.0.0.1', port: target });
      client.on('data', (d: Buffer) => (up.push(d), upstream.write(d)));
      upstream.on('data', (d: Buffer) => (down.push(d), client.write(d)));
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  });

  it('binary FIN frames with exact lengths both ways; client frames masked, each with its own key; the echo is intact', async () => {
    const port = (proxy.address() as AddressInfo).port;
    const channel = await connect(`ws://127.0.0.1:${port}`, { apiKey: keys.add().token });
    const sizes = [0, 5, 108, 109, 1000, 65_518];
    const messages = sizes.map((n, i) => pattern(n, i + 1));
    const echoed: Uint8Array[] = [];
    const done = new Promise<void>((resolve) =>
      channel.on('message', (m) => {
        echoed.push(m);
        if (echoed.length === messages.length) resolve();
      }),
    );
    for (const m of messages) channel.send(m);
    await done;
    await channel.close();
    expect(echoed.map((m) => Buffer.from(m).toString('hex'))).toEqual(messages.map((m) => Buffer.from(m).toString('hex')));

    const sent = parseFrames(afterUpgrade(Buffer.concat(up))).filter((f) => f.opcode === 0x2);
    const received = parseFrames(afterUpgrade(Buffer.concat(down))).filter((f) => f.opcode === 0x2);
    // Message 1 (client), then the key confirmation and data records; each data record is 17 bytes longer than its message.
    const records = sent.filter((f) => sizes.some((n) => f.payload.length === n + 17));
    expect(records.length).toBeGreaterThanOrEqual(sizes.length);
    for (const f of sent) {
      expect(f.fin).toBe(true);
      expect(f.maskKey).toBeDefined();
    }
    // §5.3: a fresh, unpredictable key per frame: never all zero, and (with overwhelming probability) all distinct.
    const keysHex = sent.map((f) => Buffer.from(f.maskKey!).toString('hex'));
    expect(keysHex).not.toContain('00000000');
    expect(new Set(keysHex).size).toBe(keysHex.length);
    for (const f of received) {
      expect(f.fin).toBe(true);
      expect(f.maskKey).toBeUndefined();
    }
    expect(received.filter((f) => sizes.some((n) => f.payload.length === n + 17)).length).toBeGreaterThanOrEqual(sizes.length);
  });
});
