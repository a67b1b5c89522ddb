// Print the README's benchmark table (Markdown) from bench/results/*.json, or from the result folders
// given as arguments, quoting for each rate the median over those runs and for each ratio the median
// of the per-round ratios of all runs.
// Usage: node scripts/bench-table.mjs [resultsDir ...]
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dirs = process.argv.length > 2 ? process.argv.slice(2) : [new URL('../bench/results/', import.meta.url).pathname];
// workers.json has no e2e2 row (2 workers against 1): bench-targets.mjs reports it.
const suites = ['hashes', 'aead', 'x25519', 'mlkem', 'protocol', 'channel', 'net'];

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ops) => (ops >= 1e6 ? `${(ops / 1e6).toFixed(2)}M` : ops >= 1e4 ? `${(ops / 1e3).toFixed(1)}k` : ops.toFixed(0));

/** The peer each row is compared with: the issue's named target peer when present, else the fastest other contender. */
function targetPeer(group, names) {
  const prefer = [/^libsodium-wrappers( crypto_|$)/, /^hash-wasm$/, /^wss:\/\/ TLS_CHACHA20/, /^wss:\/\/ TLS 1\.3/, /^node:tls TLS_CHACHA20/, /^node:tls TLS 1\.3 Ed25519/, /^libsodium/];
  for (const re of prefer) {
    const hit = names.find((n) => re.test(n));
    if (hit) return hit;
  }
  return undefined;
}

let machine;
console.log('| operation | size | e2e2 | MB/s | spread | × noble | × peer (which) | fastest other |');
console.log('|---|---|---|---|---|---|---|---|');
for (const suite of suites) {
  const runs = dirs.map((d) => join(d, `${suite}.json`)).filter(existsSync).map((f) => JSON.parse(readFileSync(f, 'utf8')));
  if (runs.length === 0) continue;
  machine ??= runs[0].machine;
  runs[0].cases.forEach((c, i) => {
    const byName = (run, name) => run.cases[i].results.find((r) => r.name === name);
    const names = c.results.map((r) => r.name);
    const ours = median(runs.map((run) => byName(run, 'e2e2').opsPerSecond));
    const spread = median(runs.map((run) => byName(run, 'e2e2').spread));
    const noble = names.find((n) => n.startsWith('@noble'));
    const peer = targetPeer(c.group, names);
    // Median of per-round ratios pooled over runs (the rounds of a case ran side by side), as bench/targets.ts does.
    const roundRatios = (run, name) => {
      const [ours, peer] = [byName(run, 'e2e2'), byName(run, name)];
      return ours.rounds.length === peer.rounds.length ? ours.rounds.map((v, k) => v / peer.rounds[k]) : [ours.opsPerSecond / peer.opsPerSecond];
    };
    const ratio = (name) => (name ? median(runs.flatMap((run) => roundRatios(run, name))) : undefined);
    const others = names.filter((n) => n !== 'e2e2');
    const best = others.map((n) => [n, median(runs.map((run) => byName(run, n).opsPerSecond))]).sort((a, b) => b[1] - a[1])[0];
    const mbs = c.bytes > 0 ? ((ours * c.bytes) / 1e6).toFixed(0) : '';
    const r = (x) => (x === undefined ? '' : `${x.toFixed(2)}×`);
    console.log(
      `| ${c.group} | ${c.size} | ${fmt(ours)}/s | ${mbs} | ±${((spread * 100) / 2).toFixed(0)}% | ${r(ratio(noble))} | ${peer ? `${r(ratio(peer))} (${peer})` : ''} | ${best ? `${best[0]} ${r(ratio(best[0]))}` : ''} |`,
    );
  });
}
console.log(`\n${dirs.length} run(s), median; ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}.`);
