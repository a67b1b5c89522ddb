// Write bench/results/chart.svg from bench/results/*.json (or the folders given): for every case, a
// bar per peer with e2e2's speed divided by the peer's (median of per-round ratios, whisker min..max
// of the rounds), on a log axis with a line at 1.0x, and a mark at each target of bench/targets.ts
// (green met, red not met). Plain SVG text, no dependency.
// Usage: node scripts/bench-chart.mjs [--out FILE] [resultsDir ...]   (default output: bench/results/chart.svg)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const { TARGETS, evaluateTarget, readReports } = await tsImport('../bench/targets.ts', import.meta.url);
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args.splice(outAt, 2)[1] : fileURLToPath(new URL('../bench/results/chart.svg', import.meta.url));
const dirs = args.length > 0 ? args : [fileURLToPath(new URL('../bench/results/', import.meta.url))];
// backend.json is left out: it compares e2e2 with its own noble fallback backend, not with a peer.
const SUITES = ['hashes', 'aead', 'x25519', 'mlkem', 'protocol', 'eapi', 'channel', 'net', 'workers'];

const WIDTH = 1000;
const LABEL_X = 24; // peer names
const PLOT_X0 = 330;
const PLOT_X1 = WIDTH - 70;
const ROW = 15;
const COLORS = { faster: '#3b7dd8', slower: '#d8873b', met: '#1a9c3a', 'not met': '#d0312d' };

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

// One section per suite, one block per case, one row per peer.
const sections = [];
for (const suite of SUITES) {
  const reports = readReports(dirs, suite);
  if (reports.length === 0) continue;
  const blocks = reports[0].cases.map((c) => {
    const names = c.results.map((r) => r.name);
    const ours = names.includes('e2e2') ? 'e2e2' : names[0];
    const rows = names
      .filter((n) => n !== ours)
      .map((peer) => {
        const base = { source: 'issue 11', suite, group: c.group, size: c.size, ours, peer, peerLabel: peer, min: 0 };
        const e = evaluateTarget(base, reports);
        // A target with several peers is drawn on the row of the one it was compared with (the fastest).
        const targets = TARGETS.filter((t) => t.suite === suite && t.group === c.group && t.size === c.size && (t.ours ?? 'e2e2') === ours)
          .map((t) => ({ min: t.min, evaluation: evaluateTarget(t, reports) }))
          .filter((t) => t.evaluation.peer === peer)
          .map((t) => ({ min: t.min, status: t.evaluation.status }));
        return { peer, ratio: e.ratio, range: e.ratioRange, targets };
      })
      .filter((r) => r.ratio !== null);
    return { title: `${c.group}${c.size ? ` @ ${c.size}` : ''}${ours !== 'e2e2' ? ` (${ours} vs)` : ''}`, rows };
  });
  const first = reports[0];
  const load = first.loadAverage ? `, load ${first.loadAverage.before[0].toFixed(1)}` : '';
  sections.push({ title: `${suite} (${reports.length} run${reports.length > 1 ? 's' : ''}, ${first.date.slice(0, 10)}${load})`, blocks: blocks.filter((b) => b.rows.length > 0) });
}

// Log axis over powers of two covering every ratio and whisker.
const all = sections.flatMap((s) => s.blocks.flatMap((b) => b.rows.flatMap((r) => [r.ratio, ...r.range, ...r.targets.map((t) => t.min)])));
const lo = 2 ** Math.floor(Math.log2(Math.min(1, ...all)));
const hi = 2 ** Math.ceil(Math.log2(Math.max(1, ...all)));
const x = (ratio) => PLOT_X0 + ((Math.log2(ratio) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * (PLOT_X1 - PLOT_X0);

const body = [];
let y = 58;
for (const section of sections) {
  y += 8;
  body.push(`<text x="8" y="${y + 11}" class="suite">${escape(section.title)}</text>`);
  y += ROW + 2;
  for (const block of section.blocks) {
    body.push(`<text x="14" y="${y + 11}" class="case">${escape(block.title)}</text>`);
    y += ROW;
    for (const row of block.rows) {
      const x1 = x(1);
      const xr = x(row.ratio);
      const color = row.ratio >= 1 ? COLORS.faster : COLORS.slower;
      body.push(`<text x="${LABEL_X}" y="${y + 11}">${escape(row.peer)}</text>`);
      body.push(`<rect x="${Math.min(x1, xr).toFixed(1)}" y="${y + 3}" width="${Math.abs(xr - x1).toFixed(1)}" height="${ROW - 5}" fill="${color}"/>`);
      body.push(`<line x1="${x(row.range[0]).toFixed(1)}" x2="${x(row.range[1]).toFixed(1)}" y1="${y + 8}" y2="${y + 8}" class="whisker"/>`);
      for (const t of row.targets) {
        body.push(`<line x1="${x(t.min).toFixed(1)}" x2="${x(t.min).toFixed(1)}" y1="${y + 1}" y2="${y + ROW - 1}" stroke="${COLORS[t.status] ?? '#888'}" class="target"><title>target ${t.min}x: ${t.status}</title></line>`);
      }
      body.push(`<text x="${(Math.max(x1, xr, x(row.range[1]), ...row.targets.map((t) => x(t.min))) + 4).toFixed(1)}" y="${y + 11}" class="value">${fmt(row.ratio)}x</text>`);
      y += ROW;
    }
  }
}
const height = y + 16;

const axis = [];
for (let r = lo; r <= hi; r *= 2) {
  axis.push(`<line x1="${x(r).toFixed(1)}" x2="${x(r).toFixed(1)}" y1="44" y2="${height - 10}" class="${r === 1 ? 'one' : 'grid'}"/>`);
  axis.push(`<text x="${x(r).toFixed(1)}" y="40" class="tick">${r >= 1 ? r : `1/${1 / r}`}x</text>`);
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">
<style>
  .suite { font-weight: bold; font-size: 12px; }
  .case { font-style: italic; }
  .tick { text-anchor: middle; fill: #555; }
  .grid { stroke: #ddd; }
  .one { stroke: #222; stroke-width: 1.2; }
  .whisker { stroke: #222; stroke-width: 1; }
  .target { stroke-width: 2.5; }
  .value { fill: #333; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="16" class="suite">e2e2 speed / peer speed (log scale; right of 1x: e2e2 faster). Bar: median of per-round ratios; whisker: min..max; tick: target (green met, red not met).</text>
<text x="8" y="30" fill="#555">Generated by scripts/bench-chart.mjs from ${escape(dirs.length)} result folder(s); targets from bench/targets.ts.</text>
${axis.join('\n')}
${body.join('\n')}
</svg>
`;
writeFileSync(out, svg);
console.log(`wrote ${out} (suites: ${sections.length}, bars: ${sections.reduce((n, s) => n + s.blocks.reduce((m, b) => m + b.rows.length, 0), 0)})`);
