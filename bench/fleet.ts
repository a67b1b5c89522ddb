/**
 * Fleet verification latency (issue 9 item 8): one RFC 9421 EAPI request verified the way node B
 * of a fleet verifies it, through the session registry and the replay store on Redis (GET of the
 * session, SET NX PX of the nonce: two round trips on loopback), beside the same verification
 * with the in-memory stores. Requests are signed before timing; each is verified once, in
 * sequence, and timed alone (performance.now), so the figures are per-request latencies, not
 * throughput. Rounds alternate the order; reported: the median over rounds of each round's p50,
 * p99 and mean, and the spread of p50 over rounds.
 *
 * Run: node node_modules/tsx/dist/cli.mjs bench/fleet.ts  (starts its own redis-server on a free
 * loopback port; /usr/bin/redis-server must be installed). Results: bench/results/fleet.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createClientHandshake, createServerHandshake, generateApiKey, signEapiHttpRequest, verifyEapiHttpRequest, type EapiHttpRequest } from '../bindings/index.js';
import { MemoryReplayStore, MemorySessionRegistry, type ReplayStore, type SessionRegistry } from '../bindings/e2e2/eapi-stores.js';
import { deriveEapiRoot } from '../bindings/e2e2/derive.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';
import { RedisReplayStore, RedisSessionRegistry } from '../bindings/fleet/index.js';
import { startRedis } from '../test/helpers/redis.js';

const ROUNDS = Number(process.env.E2E2_BENCH_ROUNDS ?? 5);
const PER_ROUND = Number(process.env.E2E2_FLEET_REQUESTS ?? 2000);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const redis = await startRedis();
try {
  const key = generateApiKey();
  const client = createClientHandshake({ apiKey: key });
  const server = createServerHandshake({ resolveKey: (id) => (id === key.keyId ? key.secret : undefined) });
  const { message2, session: serverSession } = await server.respond(client.writeMessage1());
  const clientSession = client.readMessage2(message2);
  const eapiRoot = deriveEapiRoot(sessionSnapshotForTestingOnly(serverSession).exporter as Uint8Array);
  const expiresAt = Date.now() + 3_600_000;
  const eapi = clientSession.issueEapi({ scope: 'orders:write', expiresAt });

  const contenders: Record<string, { sessions: SessionRegistry; replay: ReplayStore }> = {
    'Redis (loopback)': { sessions: new RedisSessionRegistry(redis.url), replay: new RedisReplayStore(redis.url) },
    memory: { sessions: new MemorySessionRegistry(), replay: new MemoryReplayStore() },
  };
  for (const c of Object.values(contenders)) await c.sessions.register(eapi.sessionId, { eapiRoot, keyId: key.keyId, expiresAt });

  const request: EapiHttpRequest & { headers: Record<string, string> } = {
    method: 'POST',
    url: 'https://api.example.com/orders',
    headers: { 'content-type': 'application/json' },
    body: '{"qty":2}',
  };
  const sign = () => ({ ...request, headers: { ...request.headers, ...signEapiHttpRequest(eapi, request) } });

  const perRound = new Map<string, { p50: number[]; p99: number[]; mean: number[] }>(Object.keys(contenders).map((n) => [n, { p50: [], p99: [], mean: [] }]));
  const names = Object.keys(contenders);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      const { sessions, replay } = contenders[name]!;
      const signed = Array.from({ length: PER_ROUND }, sign);
      const lookupSession = (id: string) => sessions.lookup(id);
      // Warm-up: connection, JIT.
      for (const s of signed.splice(0, 100)) await verifyEapiHttpRequest(s, { lookupSession, replay });
      const times: number[] = [];
      for (const s of signed) {
        const t0 = performance.now();
        await verifyEapiHttpRequest(s, { lookupSession, replay });
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const r = perRound.get(name)!;
      r.p50.push(quantile(times, 0.5));
      r.p99.push(quantile(times, 0.99));
      r.mean.push(times.reduce((a, b) => a + b, 0) / times.length);
    }
  }

  const load = loadavg();
  const results = names.map((name) => {
    const r = perRound.get(name)!;
    const p50 = median(r.p50);
    return { name, p50Ms: p50, p99Ms: median(r.p99), meanMs: median(r.mean), p50Spread: (Math.max(...r.p50) - Math.min(...r.p50)) / p50, rounds: r };
  });
  console.log(`fleet EAPI verification latency, ${ROUNDS} rounds x ${PER_ROUND - 100} requests, load average ${load.map((l) => l.toFixed(2)).join(' ')}`);
  for (const r of results) console.log(`  ${r.name.padEnd(18)} p50 ${(r.p50Ms * 1000).toFixed(0).padStart(6)} µs   p99 ${(r.p99Ms * 1000).toFixed(0).padStart(6)} µs   mean ${(r.meanMs * 1000).toFixed(0).padStart(6)} µs   p50 spread ${(r.p50Spread * 100).toFixed(0)}%`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/fleet.json', import.meta.url),
    `${JSON.stringify({ suite: 'fleet', date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadAverage: load, rounds: ROUNDS, requestsPerRound: PER_ROUND - 100, results }, null, 2)}\n`,
  );
  for (const c of Object.values(contenders)) {
    await c.sessions.close?.();
    await c.replay.close?.();
  }
} finally {
  await redis.dispose();
}
