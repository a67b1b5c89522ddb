/**
 * bench/targets.ts evaluates performance targets from result files (no benchmark runs here): ratios
 * per round, median and spread, the fastest of several peers, pooled runs, spread limits, and
 * "not measured" for a missing file, case or contender; scripts/bench-chart.mjs draws them.
 * Fixture result folders are built in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeCase, type SuiteReport } from '../bench/harness.js';
import { TARGETS, evaluateTargets, formatTargets, type Target } from '../bench/targets.js';

const root = mkdtempSync(join(tmpdir(), 'e2e2-bench-targets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A result folder with one suite whose cases map contender -> ops/s per round. */
function folder(name: string, suite: string, cases: Record<string, Record<string, number[]>>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const report: SuiteReport = {
    suite,
    date: '2026-12-02T00:00:00.000Z',
    machine: { cpu: 'fixture', cores: 2, memoryGiB: 1, node: 'v20', platform: 'linux-x64' },
    options: { rounds: 3, time: 1, warmupTime: 0 },
    cases: Object.entries(cases).map(([key, contenders]) => {
      const [group, size = ''] = key.split(' @ ');
      return summarizeCase({ group: group!, size, bytes: 0, contenders: Object.keys(contenders).map((n) => ({ name: n })) }, new Map(Object.entries(contenders)), null);
    }),
  };
  writeFileSync(join(dir, `${suite}.json`), JSON.stringify(report));
  return dir;
}

const target = (over: Partial<Target>): Target => ({ source: 'issue 11', suite: 'demo', group: 'op', size: '1 KiB', peer: 'peer', peerLabel: 'peer', min: 2, ...over });

describe('performance targets', () => {
  // Per-round ratios 2.0, 3.0, 1.0 -> median 2.0, ± (3 - 1) / 2 / 2 = 50%; the ratio of medians would be 200/150 = 1.33.
  const run1 = folder('run1', 'demo', {
    'op @ 1 KiB': { e2e2: [200, 300, 100], peer: [100, 100, 100], slow: [10, 10, 10] },
    'other @ 64 B': { e2e2: [100, 100, 100], fast: [120, 90, 100], slower: [50, 50, 50] },
  });

  it('takes the median of per-round ratios, with its spread', () => {
    const [e] = evaluateTargets([run1], [target({ min: 2 })]);
    expect(e!.status).toBe('met');
    expect(e!.ratio).toBeCloseTo(2, 10);
    expect(e!.ratioSpread).toBeCloseTo(0.5, 10);
    expect(e!.ratioRange).toEqual([1, 3]);
    expect(e!.rounds).toBe(3);
    expect(e!.peer).toBe('peer');
  });

  it('is not met below the threshold, and says by how much', () => {
    const [e] = evaluateTargets([run1], [target({ min: 2.01 })]);
    expect(e!.status).toBe('not met');
    expect(e!.reason).toBe('ratio 2.00x < 2.01x');
  });

  it('compares with the fastest of several peers', () => {
    const [e] = evaluateTargets([run1], [target({ group: 'other', size: '64 B', peer: ['slower', 'fast'], min: 1 })]);
    expect(e!.peer).toBe('fast');
    expect(e!.ratio).toBeCloseTo(100 / 100, 10); // rounds 100/120, 100/90, 100/100 -> median 1.0
    expect(e!.status).toBe('met');
  });

  it('fails a target whose own spread is too wide even when the ratio is met', () => {
    // e2e2 [200, 300, 100]: (300 - 100) / 200 = 1.0 full range, ± 50%.
    const [e] = evaluateTargets([run1], [target({ min: 1, maxSpread: 0.1 })]);
    expect(e!.oursSpread).toBeCloseTo(0.5, 10);
    expect(e!.status).toBe('not met');
    expect(e!.reason).toBe('spread ±50.0% > ±10%');
  });

  it('pools the rounds of several result folders', () => {
    const run2 = folder('run2', 'demo', { 'op @ 1 KiB': { e2e2: [500, 500, 500], peer: [100, 100, 100] } });
    const [e] = evaluateTargets([run1, run2], [target({ min: 2 })]);
    expect(e!.runs).toBe(2);
    expect(e!.rounds).toBe(6);
    expect(e!.ratio).toBeCloseTo(4, 10); // ratios 2, 3, 1, 5, 5, 5 -> median (3 + 5) / 2
  });

  it('uses another contender than e2e2 when the target names one', () => {
    const [e] = evaluateTargets([run1], [target({ ours: 'peer', peer: 'slow', min: 10 })]);
    expect(e!.ratio).toBeCloseTo(10, 10);
    expect(e!.status).toBe('met');
  });

  it('reports a missing file, case or contender as not measured', () => {
    const evaluations = evaluateTargets(
      [run1],
      [target({ suite: 'absent' }), target({ size: '2 KiB' }), target({ peer: 'nobody' }), target({ ours: 'nobody' })],
    );
    expect(evaluations.map((e) => e.status)).toEqual(['not measured', 'not measured', 'not measured', 'not measured']);
    expect(evaluations.map((e) => e.reason)).toEqual([
      'no absent.json',
      'demo.json (2026-12-02T00:00:00.000Z) has no case "op @ 2 KiB"',
      'demo.json (2026-12-02T00:00:00.000Z) has no peer "nobody"',
      'demo.json (2026-12-02T00:00:00.000Z) has no contender "nobody"',
    ]);
    expect(evaluations.every((e) => e.ratio === null)).toBe(true);
  });

  it('prints one row per target and the counts', () => {
    const text = formatTargets(evaluateTargets([run1], [target({ min: 2 }), target({ min: 3 }), target({ suite: 'absent' })]));
    const lines = text.split('\n');
    expect(lines).toHaveLength(2 + 3 + 1);
    expect(lines[2]).toMatch(/^demo: op @ 1 KiB +>= 2\.0x peer +2\.00x ±50% +met +issue 11$/);
    expect(lines[3]).toMatch(/2\.00x ±50% +not met/);
    expect(lines[4]).toMatch(/- +not measured \(no absent\.json\)/);
    expect(lines.at(-1)).toBe('1 met, 1 not met, 1 not measured (of 3).');
  });

  it('names cases and contenders that exist in the committed results', () => {
    // A renamed benchmark case or contender must not turn a target silently into "not measured".
    const results = fileURLToPath(new URL('../bench/results/', import.meta.url));
    const unknown = evaluateTargets([results]).filter((e) => e.status === 'not measured' && !e.reason!.startsWith('no '));
    expect(unknown.map((e) => e.reason)).toEqual([]);
  });
});

describe('scripts/bench-chart.mjs', () => {
  it('draws a bar per peer, the 1x line and each target tick coloured by its status', () => {
    // getPublicKey: 3x libsodium (target 2.0x: met), noble 2x faster than e2e2 (a bar left of 1x);
    // getSharedSecret: 1.2x libsodium (target 1.6x: not met).
    const dir = folder('chart', 'x25519', {
      'x25519 getPublicKey': { e2e2: [300, 300, 300], 'libsodium-wrappers crypto_scalarmult_base': [100, 100, 100], '@noble/curves': [600, 600, 600] },
      'x25519 getSharedSecret': { e2e2: [120, 120, 120], 'libsodium-wrappers crypto_scalarmult': [100, 100, 100] },
    });
    const out = join(root, 'chart.svg');
    const run = spawnSync(process.execPath, ['scripts/bench-chart.mjs', '--out', out, dir], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`wrote ${out} (suites: 1, bars: 3)\n`);
    const svg = readFileSync(out, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect [^>]*fill="#3b7dd8"\/>/g)).toHaveLength(2); // faster than the peer
    expect(svg.match(/<rect [^>]*fill="#d8873b"\/>/g)).toHaveLength(1); // slower than @noble/curves here
    expect(svg.match(/class="one"/g)).toHaveLength(1);
    expect(svg).toMatch(/stroke="#1a9c3a" class="target"><title>target 2x: met<\/title>/);
    expect(svg).toMatch(/stroke="#d0312d" class="target"><title>target 1.6x: not met<\/title>/);
    for (const value of ['3.00x', '0.50x', '1.20x']) expect(svg).toContain(`>${value}</text>`);
  });
});

