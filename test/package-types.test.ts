/**
 * The published types: arethetypeswrong (@arethetypeswrong/cli, pinned) on the packed tarball
 * finds no problem in any export path under node10, node16 (CJS and ESM) and bundler, except the
 * one that is true by design: `e2e2/browser` (and `e2e2/browser/noble`) is an ESM-only file, so from
 * CommonJS it is reachable only by `import()`. And no .d.ts in dist re-exports a minified one-letter chunk alias.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, ROOT } from './helpers/cli.js';

interface AttwProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
}

const ATTW = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.d\.c?ts$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('package types', () => {
  let dir: string;
  let tarball: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'e2e2-types-'));
    // Pack once, from the dist/ that `npm test` just built (no prepare: no second build).
    const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    tarball = join(dir, name);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // ./wasm is the WASM file itself (dist/e2e2.wasm, for workerd and bundlers), not a module with types.
  const ATTW_EXCLUDE = ['--exclude-entrypoints', './wasm'];
  it('attw --pack: every export path resolves under node10, node16 and bundler', () => {
    // The report goes to a file: attw exits before a large JSON report has drained into a pipe.
    const out = join(dir, 'attw.json');
    const fd = openSync(out, 'w');
    const run = spawnSync(process.execPath, [ATTW, tarball, '--format', 'json', ...ATTW_EXCLUDE], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 120_000 });
    closeSync(fd);
    expect(run.error).toBeUndefined();
    const report = JSON.parse(readFileSync(out, 'utf8')) as { analysis: { entrypoints: Record<string, unknown> }; problems?: unknown };
    const problems = (report as unknown as { analysis: { problems: AttwProblem[] } }).analysis.problems;
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './browser', './browser/noble', './channel', './crypto', './fleet', './http', './net', './noble', './noise', './package.json', './server']);
    expect(problems).toEqual([
      { kind: 'CJSResolvesToESM', entrypoint: './browser', resolutionKind: 'node16-cjs' },
      { kind: 'CJSResolvesToESM', entrypoint: './browser/noble', resolutionKind: 'node16-cjs' },
    ]);
  }, 150_000);

  it('declarations exist for ./browser and no .d.ts exports a one-letter chunk alias', () => {
    const files = declarationFiles(join(ROOT, 'dist'));
    expect(files.map((f) => f.slice(ROOT.length))).toContain('dist/types/browser.d.ts');
    const offenders: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // `export { A as ApiKey }`, `import { a as b }`: a minified internal name in a re-export.
      for (const m of text.matchAll(/\b(?:export|import)\s*(?:type\s*)?\{([^}]*)\}/g)) {
        if (/(?:^|[\s,])[A-Za-z_$]\s+as\s+/.test(m[1]!)) offenders.push(`${f.slice(ROOT.length)}: ${m[0].slice(0, 80)}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(readFileSync(join(ROOT, 'dist/types/index.d.ts'), 'utf8')).toMatch(/export \{[^}]*\bApiKey\b[^}]*\} from '\.\/chunks\/handshake\.js'/);
  });
});
