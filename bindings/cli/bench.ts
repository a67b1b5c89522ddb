/** `e2e2 bench`: the tinybench suites (default: the channel suite), run from a checkout of the repository. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, packageRoot, parse } from './util.js';

export const BENCH_HELP = `Usage: e2e2 bench [SUITE...] [options]

Runs the tinybench suites in one process, side by side with the baselines, and prints medians,
spreads and ratios (results also go to bench/results/<suite>.json). Default suite: channel
(connections per second and throughput at 1 KiB and 64 KiB, e2e2 beside wss:// TLS 1.3 with an
Ed25519 certificate and plain ws://, client and server on loopback).

Needs a checkout of the repository with its dev dependencies (npm install).

Options:
  --rounds N     rounds per case (default 5; $E2E2_BENCH_ROUNDS)
  --time MS      measuring time per contender per round (default 400; $E2E2_BENCH_TIME_MS)
  -h, --help     this help
`;

/** The benchmarks need the repository's bench/ and dev dependencies, which an installed package does not ship. */
export function benchAvailable(): boolean {
  const root = packageRoot();
  return existsSync(join(root, 'bench/index.ts')) && existsSync(join(root, 'node_modules/tsx/dist/loader.mjs'));
}

export async function benchCommand(args: string[], out: (line: string) => void): Promise<number | undefined> {
  const { values, positionals } = parse(args, { rounds: { type: 'string' }, time: { type: 'string' } });
  if (values.help) {
    out(BENCH_HELP);
    return undefined;
  }
  const root = packageRoot();
  const entry = join(root, 'bench/index.ts');
  if (!benchAvailable()) {
    throw new CliError('e2e2 bench is not available in an installed package: it runs from a checkout of the repository after npm install (it needs bench/ and the dev dependencies)', 2);
  }
  const env = { ...process.env };
  if (values.rounds !== undefined) env.E2E2_BENCH_ROUNDS = values.rounds;
  if (values.time !== undefined) env.E2E2_BENCH_TIME_MS = values.time;
  const suites = positionals.length > 0 ? positionals : ['channel'];
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...suites], { cwd: root, env, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve(0) : reject(new CliError(`benchmark failed (${signal ?? `exit ${code}`})`))));
  });
}
