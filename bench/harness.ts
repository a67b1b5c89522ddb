/**
 * Benchmark harness on tinybench. Every case runs all contenders in one process, side by side,
 * for several rounds with the order rotated each round (so no contender always runs first or
 * last on a noisy shared machine). Reported: the median over rounds of each round's mean
 * ops/s, the spread over rounds ((max - min) / median), and ratios to noble and to the best peer.
 *
 * Fast operations run `batch` times per sample so timer overhead stays below 1% of a sample.
 */
import { Bench } from 'tinybench';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Contender {
  /** 'e2e2' for ours; a package (or API) name for peers. */
  name: string;
  fn: () => unknown;
  /** The pure-JS noble baseline every ratio is also taken against. */
  baseline?: boolean;
}

export interface Case {
  /** Operation, e.g. 'chacha20poly1305 seal'. */
  group: string;
  /** Input size label, e.g. '16 KiB' (empty when it does not apply). */
  size: string;
  /** Bytes processed per operation, for MB/s (0 when it does not apply). */
  bytes: number;
  /** Operations per sample (each contender's fn must perform exactly this many). */
  batch: number;
  contenders: Contender[];
}

export interface ContenderResult {
  name: string;
  opsPerSecond: number;
  megabytesPerSecond: number | null;
  /** (max - min) / median over rounds. */
  spread: number;
  rounds: number[];
  /** Relative margin of error inside the median round (tinybench rme of latency, %); null for suites outside tinybench. */
  rme: number | null;
}

export interface CaseResult {
  group: string;
  size: string;
  bytes: number;
  results: ContenderResult[];
  /** e2e2 ops/s divided by the baseline's (noble), or null when there is no baseline. */
  ratioToNoble: number | null;
  /** e2e2 ops/s divided by the fastest non-e2e2 contender's. */
  ratioToBestPeer: number | null;
  bestPeer: string | null;
}

export interface RunOptions {
  rounds: number;
  /** Measuring time per contender per round, ms. */
  time: number;
  warmupTime: number;
}

export function runOptionsFromEnv(): RunOptions {
  return {
    rounds: Number(process.env.E2E2_BENCH_ROUNDS ?? 5),
    time: Number(process.env.E2E2_BENCH_TIME_MS ?? 400),
    warmupTime: Number(process.env.E2E2_BENCH_WARMUP_MS ?? 100),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function runCase(testCase: Case, options: RunOptions): Promise<CaseResult> {
  const rounds = new Map<string, number[]>(testCase.contenders.map((c) => [c.name, []]));
  const rmes = new Map<string, number[]>(testCase.contenders.map((c) => [c.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({ time: options.time, warmupTime: options.warmupTime, timestampProvider: 'hrtimeNow' });
    const n = testCase.contenders.length;
    for (let i = 0; i < n; i++) {
      const contender = testCase.contenders[(i + round) % n]!;
      bench.add(contender.name, contender.fn);
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state === 'errored') throw new Error(`${testCase.group} ${testCase.size} ${task.name}: ${result.error.message}`);
      if (result.state !== 'completed') throw new Error(`${testCase.group} ${testCase.size} ${task.name}: ${result.state}`);
      // Mean over the round (total time / samples): unlike a per-sample median it is not quantized by the timer.
      rounds.get(task.name)!.push((testCase.batch * 1000) / result.period);
      rmes.get(task.name)!.push(result.latency.rme);
    }
  }
  return summarizeCase(testCase, rounds, rmes);
}

/**
 * A CaseResult from each contender's ops/s per round (rounds in the same order for every contender);
 * `rmes` is null for suites measured without tinybench.
 */
export function summarizeCase(
  testCase: Pick<Case, 'group' | 'size' | 'bytes'> & { contenders: Pick<Contender, 'name' | 'baseline'>[] },
  rounds: Map<string, number[]>,
  rmes: Map<string, number[]> | null,
): CaseResult {
  const results: ContenderResult[] = testCase.contenders.map((c) => {
    const values = rounds.get(c.name)!;
    const ops = median(values);
    return {
      name: c.name,
      opsPerSecond: ops,
      megabytesPerSecond: testCase.bytes > 0 ? (ops * testCase.bytes) / 1e6 : null,
      spread: (Math.max(...values) - Math.min(...values)) / ops,
      rounds: values,
      rme: rmes ? median(rmes.get(c.name)!) : null,
    };
  });
  const ours = results.find((r) => r.name === 'e2e2');
  const baseline = testCase.contenders.find((c) => c.baseline);
  const noble = baseline ? results.find((r) => r.name === baseline.name) : undefined;
  const peers = results.filter((r) => r.name !== 'e2e2').sort((a, b) => b.opsPerSecond - a.opsPerSecond);
  return {
    group: testCase.group,
    size: testCase.size,
    bytes: testCase.bytes,
    results,
    ratioToNoble: ours && noble ? ours.opsPerSecond / noble.opsPerSecond : null,
    ratioToBestPeer: ours && peers[0] ? ours.opsPerSecond / peers[0].opsPerSecond : null,
    bestPeer: peers[0]?.name ?? null,
  };
}

function formatNumber(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(value >= 100 ? 0 : 1);
}

export function printCase(result: CaseResult): void {
  const title = `${result.group}${result.size ? ` @ ${result.size}` : ''}`;
  const ours = result.results.find((r) => r.name === 'e2e2');
  console.log(`\n${title}`);
  const rows = [...result.results].sort((a, b) => b.opsPerSecond - a.opsPerSecond);
  for (const r of rows) {
    const mbs = r.megabytesPerSecond === null ? '' : `${r.megabytesPerSecond.toFixed(0).padStart(6)} MB/s`;
    const ratio = ours && r !== ours ? `  e2e2 = ${(ours.opsPerSecond / r.opsPerSecond).toFixed(2)}x` : '';
    console.log(
      `  ${r.name.padEnd(34)} ${formatNumber(r.opsPerSecond).padStart(8)} ops/s ${mbs.padStart(12)}` +
        `  spread ±${((r.spread * 100) / 2).toFixed(1).padStart(4)}%  ${r.rme === null ? '' : `rme ${r.rme.toFixed(1)}%`}${ratio}`,
    );
  }
}

export interface SuiteReport {
  suite: string;
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  options: RunOptions;
  /** os.loadavg() before and after, for suites that record it (net, workers). */
  loadAverage?: { before: number[]; after: number[] };
  cases: CaseResult[];
}

/** Run every case, print each as it finishes, and write bench/results/<suite>.json. */
export async function runSuite(suite: string, cases: Case[], options = runOptionsFromEnv()): Promise<SuiteReport> {
  console.log(`\n== ${suite}: ${options.rounds} rounds x ${options.time} ms per contender, median of rounds ==`);
  const results: CaseResult[] = [];
  for (const testCase of cases) {
    const result = await runCase(testCase, options);
    printCase(result);
    results.push(result);
  }
  const report: SuiteReport = { suite, date: new Date().toISOString(), machine: machineInfo(), options, cases: results };
  writeSuiteReport(report);
  return report;
}

export function machineInfo(): SuiteReport['machine'] {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Write bench/results/<suite>.json (also used by the suites that run outside tinybench: net, workers). */
export function writeSuiteReport(report: SuiteReport): void {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${report.suite}.json`, dir), `${JSON.stringify(report, null, 2)}\n`);
}

/** Human size label: 64 B, 1 KiB, 1 MiB. */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes >> 10} KiB`;
  return `${bytes} B`;
}

/** Operations per sample so that one sample lasts at least ~20 µs for an op of `bytes`. */
export function batchFor(bytes: number): number {
  if (bytes <= 256) return 32;
  if (bytes <= 4096) return 8;
  return 1;
}

/** Run `fn` `batch` times per sample (see batchFor). */
function repeatBatch(batch: number, fn: () => Uint8Array): () => Uint8Array {
  return () => {
    let out!: Uint8Array;
    for (let i = 0; i < batch; i++) out = fn();
    return out;
  };
}

/**
 * Contenders for one case, each first checked to produce `reference` (e2e2's output), so a
 * benchmark never compares implementations that compute different things.
 */
export function checkedContenders(reference: Uint8Array, contenders: Array<[string, () => Uint8Array, boolean?]>, batch: number): Contender[] {
  return contenders.map(([name, fn, baseline]) => {
    const got = fn();
    if (Buffer.compare(Buffer.from(got), Buffer.from(reference)) !== 0) throw new Error(`${name}: output differs from e2e2`);
    return { name, fn: repeatBatch(batch, fn), baseline };
  });
}
