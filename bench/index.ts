/**
 * `npm run bench [-- filter...]`: every benchmark suite, or those whose name contains a filter.
 * Results print as tables and are written to bench/results/<suite>.json; at the end every target
 * (bench/targets.ts) is printed with its measured ratio and whether it is met, and
 * bench/results/chart.svg is drawn again from the result files.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runSuite, type Case } from './harness.js';
import { evaluateTargets, formatTargets } from './targets.js';

type SuiteFactory = () => Promise<Case[]>;

const suites: Record<string, () => Promise<SuiteFactory>> = {
  hashes: async () => (await import('./hashes.js')).hashCases,
  aead: async () => (await import('./aead.js')).aeadCases,
  x25519: async () => (await import('./x25519.js')).x25519Cases,
  mlkem: async () => (await import('./mlkem.js')).mlkemCases,
  protocol: async () => (await import('./protocol.js')).protocolCases,
  channel: async () => (await import('./channel.js')).channelCases,
  eapi: async () => (await import('./eapi.js')).eapiCases,
  backend: async () => (await import('./backend.js')).backendCases,
};
/** Suites outside tinybench (their own servers and processes), each run in a child process. */
const scripts: Record<string, string> = { net: 'net.ts', workers: 'workers.ts' };

const filters = process.argv.slice(2);
const selected = (name: string) => filters.length === 0 || filters.some((f) => name.includes(f));
for (const [name, load] of Object.entries(suites)) {
  if (!selected(name)) continue;
  const cases = await (await load())();
  await runSuite(name, cases);
}
const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
for (const [name, file] of Object.entries(scripts)) {
  if (!selected(name)) continue;
  console.log(`\n== ${name} (bench/${file}) ==`);
  const run = spawnSync(process.execPath, [tsx, fileURLToPath(new URL(file, import.meta.url))], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`bench/${file} exited with ${run.status ?? run.signal}`);
}
const results = fileURLToPath(new URL('./results/', import.meta.url));
console.log(`\n== targets (bench/targets.ts; suites not run now are read from their last result file) ==\n`);
console.log(formatTargets(evaluateTargets([results])));
// The chart follows the result files it is drawn from (scripts/bench-chart.mjs).
const chart = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/bench-chart.mjs', import.meta.url))], { stdio: 'inherit' });
if (chart.status !== 0) throw new Error(`scripts/bench-chart.mjs exited with ${chart.status ?? chart.signal}`);
