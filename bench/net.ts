/**
 * `e2e2/net` beside `node:tls` on loopback, client and server in this process (issue 11 item 2):
 *
 *   throughput: one open connection; the client writes TOTAL bytes in writes of 1 KiB or 64 KiB
 *     (respecting backpressure) and a sample ends when the server has received (decrypted and
 *     authenticated) every byte. e2e2 uses channel.write(); TLS 1.3 uses TLS_CHACHA20_POLY1305_SHA256.
 *   connections: a new TCP connection per operation, handshake (E2-E2 message 1 / message 2 / key
 *     confirmation; a TLS 1.3 handshake with an Ed25519 certificate the client verifies; or a TLS
 *     1.3 handshake with an external PSK, RFC 8446 §4.2.11, in psk_dhe_ke mode, see tls-psk.ts),
 *     then a clean close, sequentially.
 *
 * The contenders of a case run in a rotated order each round; medians, the spread (min..max) and the
 * per-round ratios are printed with the load average before and after, and the results are written
 * to bench/results/net.json (same shape as the tinybench suites).
 * Run: `npm run bench -- net`, or node node_modules/tsx/dist/cli.mjs bench/net.ts [rounds]
 */
import { loadavg } from 'node:os';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { connect, createServer } from '../bindings/net.js';
import { generateApiKey } from '../bindings/e2e2/api-key.js';
import { selfSignedEd25519 } from './tls-cert.js';
import { checkTlsPsk, connectTlsPsk, startTlsPskServer } from './tls-psk.js';
import { machineInfo, summarizeCase, writeSuiteReport, type CaseResult } from './harness.js';

const SUITE = 'TLS_CHACHA20_POLY1305_SHA256';
const TOTAL = 64 * 1024 * 1024;
const CONNECTION_SAMPLE_MS = 2000;
const rounds = Number(process.argv[2] ?? process.env.E2E2_BENCH_ROUNDS ?? 5);

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

const pskServer = await startTlsPskServer();

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

async function connectionsTlsPsk(): Promise<number> {
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < CONNECTION_SAMPLE_MS) {
    const socket = await connectTlsPsk(pskServer);
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

await checkTlsPsk(pskServer);
const loadBefore = loadavg();
const TLS_CERT = 'node:tls TLS 1.3 Ed25519 cert';
const TLS_PSK = 'node:tls TLS 1.3 external PSK (psk_dhe_ke)';
const TLS_CHACHA = `node:tls ${SUITE}`;
interface NetCase {
  group: string;
  size: string;
  /** Bytes per operation (one write), 0 for connections. */
  bytes: number;
  unit: string;
  /** Contender name -> measured rate (bytes/s for throughput, connections/s). */
  contenders: [string, () => Promise<number>][];
}
const throughput = (size: number): NetCase => ({
  group: 'TCP throughput (one connection, writes of)',
  size: `${size >> 10} KiB`,
  bytes: size,
  unit: 'MB/s',
  contenders: [
    ['e2e2', () => pumpE2e2(size)],
    [TLS_CHACHA, () => pumpTls(size)],
  ],
});
const cases: NetCase[] = [
  throughput(1024),
  throughput(64 * 1024),
  {
    group: 'TCP new connection: connect + handshake + close',
    size: '',
    bytes: 0,
    unit: '/s',
    contenders: [
      ['e2e2', connectionsE2e2],
      [TLS_CERT, connectionsTls],
      [TLS_PSK, connectionsTlsPsk],
    ],
  },
];
console.log(`e2e2/net vs node:tls TLS 1.3 (${SUITE}), loopback, ${rounds} rounds; load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
const results: CaseResult[] = [];
for (const c of cases) {
  const measured = new Map<string, number[]>(c.contenders.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < c.contenders.length; i++) {
      const [name, run] = c.contenders[(i + round) % c.contenders.length]!;
      const rate = await run();
      // Throughput is stored as writes/s (ops/s of `bytes`), like the tinybench suites.
      measured.get(name)!.push(c.bytes > 0 ? rate / c.bytes : rate);
    }
  }
  const result = summarizeCase({ group: c.group, size: c.size, bytes: c.bytes, contenders: c.contenders.map(([name]) => ({ name })) }, measured, null);
  results.push(result);
  const ours = measured.get('e2e2')!;
  const shown = (xs: number[]) => xs.map((x) => (c.bytes > 0 ? (x * c.bytes) / 1e6 : x));
  console.log(`\n${c.group}${c.size ? ` @ ${c.size}` : ''}`);
  for (const [name] of c.contenders) {
    const values = shown(measured.get(name)!);
    const ratios = ours.map((v, i) => v / measured.get(name)![i]!);
    const ratio = name === 'e2e2' ? '' : `  e2e2 = ${median(ratios).toFixed(2)}x [${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)}]`;
    console.log(`  ${name.padEnd(44)} ${median(values).toFixed(0).padStart(6)} ${c.unit} [${spread(values)}]${ratio}`);
  }
}
const loadAfter = loadavg();
console.log(`load average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
writeSuiteReport({
  suite: 'net',
  date: new Date().toISOString(),
  machine: machineInfo(),
  options: { rounds, time: CONNECTION_SAMPLE_MS, warmupTime: 0 },
  loadAverage: { before: loadBefore, after: loadAfter },
  cases: results,
});
await e2e2Server.close();
await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
await pskServer.close();
