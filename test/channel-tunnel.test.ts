/**
 * Byte-stream tunnels: 100 MB through `e2e2 connect --listen` -> channel -> `e2e2 serve --forward`
 * -> a TCP service, with the SHA-256 of the bytes equal at both ends; and both directions with
 * half-close through the in-process API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createForwardServer, listenTunnel } from '../bindings/channel/tunnel.js';
import { assertBuilt, runCli, startCli } from './helpers/cli.js';
import { memoryKeys } from './helpers/channel.js';

/** A TCP service that hashes everything it receives and, at the client's FIN, answers with the hex digest. */
async function hashingService(): Promise<{ server: Server; port: number; digests: string[] }> {
  const digests: string[] = [];
  const server = createTcpServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.on('end', () => {
      const digest = hash.digest('hex');
      digests.push(digest);
      socket.end(`${digest} ${bytes}\n`);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, digests };
}

/** Send `total` random bytes through `socket` (respecting backpressure), FIN, and collect the answer. */
async function pushThrough(port: number, total: number): Promise<{ sentDigest: string; answer: string }> {
  const socket: Socket = tcpConnect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const answer = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  const hash = createHash('sha256');
  const chunk = 1 << 20;
  for (let sent = 0; sent < total; sent += chunk) {
    const part = randomBytes(Math.min(chunk, total - sent));
    hash.update(part);
    if (!socket.write(part)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end();
  return { sentDigest: hash.digest('hex'), answer: await answer };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e2-tunnel-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tunnel', () => {
  it('100 MB through e2e2 serve --forward and e2e2 connect --listen: SHA-256 equal at both ends', async () => {
    assertBuilt();
    const store = join(dir, 'keys.json');
    const created = runCli(['keys', 'create', '--label', 'tunnel', '--store', store, '--json']);
    expect(created.status).toBe(0);
    const token = (JSON.parse(created.stdout) as { apiKey: string }).apiKey;
    const service = await hashingService();
    const server = await startCli(['serve', '--port', '0', '--store', store, '--forward', `127.0.0.1:${service.port}`], /listening on (ws:\/\/\S+)/);
    let client: Awaited<ReturnType<typeof startCli>> | undefined;
    try {
      client = await startCli(['connect', server.match[1]!, '--listen', '0'], /listening on 127\.0\.0\.1:(\d+)/, { env: { E2E2_API_KEY: token } });
      const total = 100 * 1024 * 1024;
      const started = performance.now();
      const { sentDigest, answer } = await pushThrough(Number(client.match[1]), total);
      const seconds = (performance.now() - started) / 1000;
      console.log(`[tunnel] 100 MiB through the CLI tunnel in ${seconds.toFixed(2)} s (${(total / 1e6 / seconds).toFixed(0)} MB/s)`);
      expect(answer).toBe(`${sentDigest} ${total}\n`);
      expect(service.digests).toEqual([sentDigest]);
    } finally {
      expect(await client?.stop()).toBe(0);
      expect(await server.stop()).toBe(0);
      service.server.close();
    }
  });

  it('both directions, several connections at once, with half-close, through the API', async () => {
    const keys = memoryKeys();
    // An upper-casing echo service that ends after the client's FIN.
    const service = createTcpServer({ allowHalfOpen: true }, (socket) => {
      socket.on('data', (d: Buffer) => socket.write(Buffer.from(d.toString('latin1').toUpperCase(), 'latin1')));
      socket.on('end', () => socket.end('<done>'));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const forward = await createForwardServer({ host: '127.0.0.1', port: (service.address() as AddressInfo).port }, { keys: keys.resolve, port: 0 });
    const tunnel = await listenTunnel(forward.url, { port: 0 }, { apiKey: keys.add().token });
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const socket = tcpConnect({ port: tunnel.port, host: '127.0.0.1', allowHalfOpen: true });
          await new Promise((resolve) => socket.once('connect', resolve));
          let received = '';
          const ended = new Promise<void>((resolve) => socket.on('end', resolve));
          socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
          const text = `connection ${i}: ${'abcdefghij'.repeat(20_000 + i)}`;
          socket.end(text);
          await ended;
          socket.destroy();
          return received === `${text.toUpperCase()}<done>`;
        }),
      );
      expect(results).toEqual(Array(8).fill(true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(forward.channels.size).toBe(0);
    } finally {
      await tunnel.close();
      await forward.close();
      service.close();
    }
  });

  it('a tunnel to a TCP service that is down ends the channel with 1011, and the client side is dropped', async () => {
    const keys = memoryKeys();
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const codes: number[] = [];
    const forward = await createForwardServer({ host: '127.0.0.1', port: deadPort }, { keys: keys.resolve, port: 0 });
    forward.on('channel', (channel) => void channel.closed.then((info) => codes.push(info.code)));
    const tunnel = await listenTunnel(forward.url, { port: 0 }, { apiKey: keys.add().token });
    try {
      const socket = tcpConnect({ port: tunnel.port, host: '127.0.0.1' });
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.on('close', () => resolve()));
      expect(codes).toEqual([1011]);
    } finally {
      await tunnel.close();
      await forward.close();
    }
  });
});
