/**
 * bench/targets.ts evaluates performance targets from result files (no benchmark runs here): ratios
 * per round, median and spread, the fastest of several peers, pooled runs, spread limits, and
 * "not measured" for a missing file, case or contender. Fixture result folders are built in a temp dir.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
