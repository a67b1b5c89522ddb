/**
 * e2e2/http outside Node: test/conformance/http-check.mjs (eapiHandler on real Request objects:
 * signed 200 with the body readable, replay, unsigned 401 with problem+json and the challenge,
 * preflight 204, body over the limit 413) in Bun and Deno (the `bun` and `deno` devDependencies),
 * each importing `e2e2` and `e2e2/http` by package name from a directory laid out as an app that
 * installed e2e2, and in Node for comparison. workerd runs the same check in
 * test/runtime-workerd.test.ts. A runtime whose binary is absent is skipped with a printed reason,
 * and fails under CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { consumerDir, run, runtimeAvailable, type ConformanceResult } from './helpers/runtimes.js';
import { expectHttpCheck } from './helpers/http-check.js';

const NODE = process.env.npm_node_execpath ?? process.execPath;
const BUN = join(ROOT, 'node_modules/bun/bin/bun.exe');
const DENO = join(ROOT, 'node_modules/deno/deno');

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = consumerDir('http');
  for (const f of ['http-check.mjs', 'http-run.mjs']) copyFileSync(join(ROOT, 'test/conformance', f), join(dir, f));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runCheck(command: string, args: string[]): Promise<{ runtime: string; results: ConformanceResult[] }> {
  const r = await run(command, args, { cwd: dir, env: { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
  const line = r.stdout.split('\n').find((l) => l.startsWith('E2E2_HTTP '));
  if (r.code !== 0 || line === undefined) throw new Error(`${command} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice('E2E2_HTTP '.length)) as { runtime: string; results: ConformanceResult[] };
}

describe('e2e2/http by package name in other runtimes', () => {
  it('Node (the Node that runs npm)', async () => {
    const { runtime, results } = await runCheck(NODE, ['http-run.mjs']);
    expect(runtime).toMatch(/^node v/);
    expectHttpCheck(results);
  });

  it.skipIf(!runtimeAvailable('Bun', BUN, 'the `bun` devDependency: npm ci'))('Bun (the `bun` devDependency)', async () => {
    const { runtime, results } = await runCheck(BUN, ['http-run.mjs']);
    expect(runtime).toMatch(/^bun 1\./);
    expectHttpCheck(results);
  });

  it.skipIf(!runtimeAvailable('Deno', DENO, 'the `deno` devDependency: npm ci'))('Deno (the `deno` devDependency)', async () => {
    const { runtime, results } = await runCheck(DENO, ['run', '--node-modules-dir=manual', '--allow-read', '--allow-env', '--no-lock', 'http-run.mjs']);
    expect(runtime).toMatch(/^deno 2\./);
    expectHttpCheck(results);
  });
});
