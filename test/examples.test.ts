/**
 * examples/ runs as written: the Node client and server (also under Bun and Deno from npm, and
 * with the post-quantum handshake) and the Express app verifying createEapiFetch's signed calls.
 * Each imports e2e2 by package name (the package's own exports, as an installed app would).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { run, runtimeAvailable } from './helpers/runtimes.js';

const BUN = join(ROOT, 'node_modules/bun/bin/bun.exe');
const DENO = join(ROOT, 'node_modules/deno/deno');
const ECHO = join(ROOT, 'examples/node/echo.mjs');
const ECHO_OUTPUT = /^echo: hello over E2-E2 \(session [0-9a-f]{12}, post-quantum: (true|false)\)\nclosed: 1000\n$/;

describe('examples/', () => {
  it('examples/node/echo.mjs in Node: v1 and --pq', async () => {
    assertBuilt();
    for (const [args, pq] of [[[], 'false'], [['--pq'], 'true']] as const) {
      const r = await run(process.execPath, [ECHO, ...args], { cwd: ROOT });
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(ECHO_OUTPUT);
      expect(ECHO_OUTPUT.exec(r.stdout)![1]).toBe(pq);
    }
  });

  it.skipIf(!runtimeAvailable('Bun', BUN, 'the `bun` devDependency: npm ci'))('examples/node/echo.mjs in Bun', async () => {
    const r = await run(BUN, [ECHO, '--pq'], { cwd: ROOT });
    expect(r.stdout, r.stderr).toMatch(ECHO_OUTPUT);
  });

  it.skipIf(!runtimeAvailable('Deno', DENO, 'the `deno` devDependency: npm ci'))('examples/node/echo.mjs in Deno', async () => {
    const r = await run(DENO, ['run', '--allow-all', ECHO], { cwd: ROOT, env: { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
    expect(r.stdout, r.stderr).toMatch(ECHO_OUTPUT);
  });

  it('examples/express/app.mjs: a signed POST gets 200 with the verified scope, an unsigned one 401', async () => {
    const r = await run(process.execPath, [join(ROOT, 'examples/express/app.mjs')], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('signed POST: 200 {"ok":true,"scope":"orders:write","order":{"item":"tea","qty":2}}\nunsigned POST: 401 ERR_AUTHENTICATION_FAILED\n');
  });
});
