/**
 * `e2e2 serve --workers N` (node:cluster): handshakes per second against 1 and 2 workers, measured
 * by a load generator in a separate process (issue 11 item 3, issue 9 item 8). Each round starts
 * the built CLI (dist/cli/e2e2.js) with a fresh key store, then runs the generator: C concurrent
 * loops of connect() + close() for T seconds, counting completed handshakes. Rounds alternate
 * between 1 and 2 workers; the report is the median per setting, the spread and the ratio.
 *
 * On a 2-core machine the generator competes with the workers for the same cores, so the ratio
 * is a floor for what 2 workers give when the clients run elsewhere.
 *
 * Run: node node_modules/tsx/dist/cli.mjs bench/workers.ts [rounds] [seconds] [concurrency]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, summarizeCase, writeSuiteReport } from './harness.js';

const CLI = fileURLToPath(new URL('../dist/cli/e2e2.js', import.meta.url));
const [rounds = Number(process.env.E2E2_BENCH_ROUNDS ?? 3), seconds = 8, concurrency = 16] = process.argv.slice(2).map(Number);

async function generator(url: string, apiKey: string, ms: number, loops: number): Promise<number> {
  const { connect } = await import('../bindings/channel-node.js');
  let done = 0;
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (performance.now() < until) {
        const channel = await connect(url, { apiKey });
        done++;
        await channel.close();
      }
    }),
  );
  return done;
}

if (process.env.E2E2_WORKERS_BENCH_GENERATOR) {
  const { url, apiKey, ms, loops } = JSON.parse(process.env.E2E2_WORKERS_BENCH_GENERATOR) as { url: string; apiKey: string; ms: number; loops: number };
  const count = await generator(url, apiKey, ms, loops);
  process.stdout.write(`${JSON.stringify({ count })}\n`);
  process.exit(0);
}

async function round(workers: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'e2e2-workers-bench-'));
  const store = join(dir, 'keys.json');
  const created = spawnSync(process.execPath, [CLI, 'keys', 'create', '--store', store, '--json'], { encoding: 'utf8' });
  const apiKey = (JSON.parse(created.stdout) as { apiKey: string }).apiKey;
  const args = [CLI, 'serve', '--port', '0', '--store', store, '--handshake-timeout', '60000', '--message1-timeout', '60000', '--max-pending-per-address', '1024'];
  if (workers > 1) args.push('--workers', String(workers));
  const server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m && (workers === 1 || /with \d+ workers/.test(out))) resolve(m[1]!);
    });
    server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  const gen = spawnSync(process.execPath, [join(fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url))), fileURLToPath(import.meta.url)], {
    env: { ...process.env, E2E2_WORKERS_BENCH_GENERATOR: JSON.stringify({ url, apiKey, ms: seconds * 1000, loops: concurrency }) },
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
  });
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  const line = gen.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`generator failed: ${gen.stderr}`);
  return (JSON.parse(line) as { count: number }).count / seconds;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const results: Record<number, number[]> = { 1: [], 2: [] };
const loadBefore = loadavg();
console.log(`workers bench: ${rounds} rounds x ${seconds} s, ${concurrency} concurrent clients in a separate process, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`);
for (let r = 0; r < rounds; r++) {
  for (const workers of r % 2 === 0 ? [1, 2] : [2, 1]) {
    const rate = await round(workers);
    results[workers]!.push(rate);
    console.log(`  round ${r + 1}, ${workers} worker${workers > 1 ? 's' : ''}: ${rate.toFixed(0)} handshakes/s (load ${loadavg()[0]!.toFixed(2)})`);
  }
}
for (const w of [1, 2]) {
  const v = results[w]!;
  console.log(`${w} worker${w > 1 ? 's' : ''}: median ${median(v).toFixed(0)} handshakes/s, spread ±${(((Math.max(...v) - Math.min(...v)) / median(v)) * 50).toFixed(1)}%`);
}
console.log(`2 workers / 1 worker: ${(median(results[2]!) / median(results[1]!)).toFixed(2)}x (target ≥ 1.7x)`);
// bench/results/workers.json, read by bench/targets.ts ('2 workers' against '1 worker').
writeSuiteReport({
  suite: 'workers',
  date: new Date().toISOString(),
  machine: machineInfo(),
  options: { rounds, time: seconds * 1000, warmupTime: 0 },
  loadAverage: { before: loadBefore, after: loadavg() },
  cases: [
    summarizeCase(
      { group: 'handshakes/s, e2e2 serve, load generator in a separate process', size: '', bytes: 0, contenders: [{ name: '2 workers' }, { name: '1 worker' }] },
      new Map([
        ['2 workers', results[2]!],
        ['1 worker', results[1]!],
      ]),
      null,
    ),
  ],
});
