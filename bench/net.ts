/**
 * `e2e2/net` beside `node:tls` on loopback, client and server in this process (issue 11 item 2):
 *
 *   throughput: one open connection; the client writes TOTAL bytes in writes of 1 KiB or 64 KiB
 *     (respecting backpressure) and a sample ends when the server has received (decrypted and
 *     authenticated) every byte. e2e2 uses channel.write(); TLS 1.3 uses TLS_CHACHA20_POLY1305_SHA256.
 *   connections: a new TCP connection per operation, handshake (E2-E2 message 1 / message 2 / key
 *     confirmation, or a TLS 1.3 handshake with an Ed25519 certificate the client verifies), then
 *     a clean close, sequentially.
 *
 * Rounds alternate e2e2 and TLS; medians and the spread (min..max) are printed with the ratio and
 * the load average before and after. Run: node node_modules/tsx/dist/cli.mjs bench/net.ts [rounds]
 * The TLS external-PSK baseline of the issue is not measured here.
 */
import { loadavg } from 'node:os';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { connect, createServer } from '../bindings/net.js';
import { generateApiKey } from '../bindings/e2e2/api-key.js';
import { selfSignedEd25519 } from './tls-cert.js';

const SUITE = 'TLS_CHACHA20_POLY1305_SHA256';
const TOTAL = 64 * 1024 * 1024;
const CONNECTION_SAMPLE_MS = 2000;
const rounds = Number(process.argv[2] ?? 5);

const key = generateApiKey();
const e2e2Server = await createServer({
  keys: (id) => (id === key.keyId ? key.secret.slice() : undefined),
  onChannel: (channel) => {
    let received = 0;
    channel.on('message', (data) => {
      received += data.length;
      if (received >= expected) {
        received = 0;
        channel.send(Uint8Array.of(1));
      }
    });
  },
});
let expected = TOTAL;
const { cert, key: tlsKey } = selfSignedEd25519();
const tlsServer = createTlsServer({ cert, key: tlsKey, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: SUITE }, (socket: TLSSocket) => {
  let received = 0;
  socket.on('error', () => {});
  socket.on('data', (data: Buffer) => {
    received += data.length;
    if (received >= expected) {
      received = 0;
      socket.write(Uint8Array.of(1));
    }
  });
  socket.on('end', () => socket.end());
});
await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
const tlsPort = (tlsServer.address() as AddressInfo).port;
const tlsOptions = { host: '127.0.0.1', port: tlsPort, ca: cert, servername: 'localhost', minVersion: 'TLSv1.3' as const, ciphers: SUITE };

function openTls(): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(tlsOptions, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Write TOTAL bytes in `size` writes; resolves when the server's 1-byte answer arrives. */
async function pumpE2e2(size: number): Promise<number> {
  const channel = await connect({ port: e2e2Server.port, apiKey: key.token });
  const chunk = new Uint8Array(size).fill(7);
  const started = performance.now();
  const answered = new Promise<void>((resolve) => channel.on('message', () => resolve()));
  for (let sent = 0; sent < TOTAL; sent += size) {
    if (!channel.write(chunk)) {
      await new Promise<void>((resolve) => {
        const off = channel.on('drain', () => {
          off();
          resolve();
        });
      });
    }
  }
  await answered;
  const seconds = (performance.now() - started) / 1000;
  await channel.close();
  return TOTAL / seconds;
}

async function pumpTls(size: number): Promise<number> {
  const socket = await openTls();
  const chunk = new Uint8Array(size).fill(7);
  const started = performance.now();
  const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  for (let sent = 0; sent < TOTAL; sent += size) {
    if (!socket.write(chunk)) await new Promise<void>((resolve) => socket.once('drain', resolve));
  }
  await answered;
  const seconds = (performance.now() - started) / 1000;
  socket.end();
  return TOTAL / seconds;
}

async function connectionsE2e2(): Promise<number> {
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < CONNECTION_SAMPLE_MS) {
    const channel = await connect({ port: e2e2Server.port, apiKey: key.token });
    await channel.close();
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

async function connectionsTls(): Promise<number> {
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < CONNECTION_SAMPLE_MS) {
    const socket: Socket = await openTls();
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
    });
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)}`;

const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
const cases: { name: string; unit: string; scale: number; e2e2: () => Promise<number>; tls: () => Promise<number> }[] = [
  { name: 'throughput, 1 KiB writes', unit: 'MB/s', scale: 1 / 1e6, e2e2: () => pumpE2e2(1024), tls: () => pumpTls(1024) },
  { name: 'throughput, 64 KiB writes', unit: 'MB/s', scale: 1 / 1e6, e2e2: () => pumpE2e2(64 * 1024), tls: () => pumpTls(64 * 1024) },
  { name: 'new connections (TLS: Ed25519 certificate)', unit: '/s', scale: 1, e2e2: connectionsE2e2, tls: connectionsTls },
];
console.log(`e2e2/net vs node:tls TLS 1.3 (${SUITE}), loopback, ${rounds} rounds; load average before: ${loadBefore}`);
for (const c of cases) {
  const e: number[] = [];
  const t: number[] = [];
  for (let round = 0; round < rounds; round++) {
    e.push((await c.e2e2()) * c.scale);
    t.push((await c.tls()) * c.scale);
  }
  const ratios = e.map((v, i) => v / t[i]!);
  console.log(
    `${c.name.padEnd(44)} e2e2 ${median(e).toFixed(0).padStart(6)} ${c.unit} [${spread(e)}]  tls ${median(t).toFixed(0).padStart(6)} ${c.unit} [${spread(t)}]  ratio ${median(ratios).toFixed(2)}x [${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)}]`,
  );
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await e2e2Server.close();
await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
