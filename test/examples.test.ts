/**
 * examples/ runs as written: the Node client and server (also under Bun and Deno from npm, and
 * with the post-quantum handshake), the Express app verifying createEapiFetch's signed calls,
 * Deno.serve and Bun.serve doing the same with eapiHandler, and the Hono Worker in real workerd
 * verifying EAPIs of a Node server's sessions through that server's registry. Each imports e2e2
 * by package name (the package's own exports, as an installed app would). examples/browser is
 * run in Chromium by test/browser.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, ROOT } from './helpers/cli.js';
import { run, runtimeAvailable } from './helpers/runtimes.js';

const BUN = join(ROOT, 'node_modules/bun/bin/bun.exe');
const DENO = join(ROOT, 'node_modules/deno/deno');
const WORKERD = join(ROOT, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');
const DENO_ENV = { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
// Deno 2.9 prints this once when a Deno.serve handler clones its Request (e2e2/http reads the body from a clone).
const DENO_LEGACY_ABORT_NOTICE = /^Deno\.serve: request\.signal aborts on successful responses \(legacy behavior\)\..*\n?/m;
// Generous (under vitest.config's testTimeout): a loaded machine starts runtimes and workerd slowly; nothing here measures time.
const SLOW_RUN_MS = 300_000;
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
    const r = await run(DENO, ['run', '--allow-all', ECHO], { cwd: ROOT, env: DENO_ENV });
    expect(r.stdout, r.stderr).toMatch(ECHO_OUTPUT);
  });

  it('examples/express/app.mjs: a signed POST gets 200 with the verified scope, an unsigned one 401', async () => {
    const r = await run(process.execPath, [join(ROOT, 'examples/express/app.mjs')], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('signed POST: 200 {"ok":true,"scope":"orders:write","order":{"item":"tea","qty":2}}\nunsigned POST: 401 ERR_AUTHENTICATION_FAILED\n');
  });

  it.skipIf(!runtimeAvailable('Deno', DENO, 'the `deno` devDependency: npm ci'))('examples/deno/app.mjs: Deno.serve with eapiHandler, signed 200, unsigned 401', async () => {
    // The permissions of the README's command, not --allow-all: the example needs no more.
    const r = await run(DENO, ['run', '--allow-net', '--allow-read', '--allow-env', join(ROOT, 'examples/deno/app.mjs')], { cwd: ROOT, env: DENO_ENV, timeoutMs: SLOW_RUN_MS });
    expect(r.stderr.replace(DENO_LEGACY_ABORT_NOTICE, '')).toBe('');
    expect(r.stdout).toBe('Deno.serve, signed POST: 200 {"scope":"orders:write","order":{"item":"tea","qty":2}}\nDeno.serve, unsigned POST: 401 ERR_AUTHENTICATION_FAILED\n');
    expect(r.code).toBe(0);
  });

  it.skipIf(!runtimeAvailable('Bun', BUN, 'the `bun` devDependency: npm ci'))('examples/bun/app.mjs: Bun.serve with eapiHandler, signed 200, unsigned 401', async () => {
    const r = await run(BUN, [join(ROOT, 'examples/bun/app.mjs')], { cwd: ROOT, timeoutMs: SLOW_RUN_MS });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Bun.serve, signed POST: 200 {"scope":"orders:write","order":{"item":"tea","qty":2}}\nBun.serve, unsigned POST: 401 ERR_AUTHENTICATION_FAILED\n');
    expect(r.code).toBe(0);
  });

  it.skipIf(!runtimeAvailable('workerd', WORKERD, 'the `workerd` devDependency: npm ci'))(
    'examples/hono-workers/run.mjs: the Hono Worker in workerd accepts a signed request once, refuses replayed, tampered, closed-session and unverifiable ones',
    async () => {
      assertBuilt();
      const r = await run(process.execPath, [join(ROOT, 'examples/hono-workers/run.mjs')], { cwd: ROOT, timeoutMs: SLOW_RUN_MS });
      expect(r.stderr).toBe('');
      // Every 401 body is the same to the client; the Worker's onFailure log says which check refused it.
      expect(r.stdout).toBe(
        [
          "signed POST: 200 scope orders:write, order {\"item\":\"tea\",\"qty\":2}, this channel's session: true",
          'the same signed request twice: 200, then 401 application/problem+json ERR_EAPI_REPLAYED',
          'tampered body: 401 application/problem+json ERR_AUTHENTICATION_FAILED',
          'signed before the channel closed, sent after: 401 application/problem+json ERR_AUTHENTICATION_FAILED',
          'registry unreachable: 503 application/problem+json ERR_STORE_UNAVAILABLE',
          'Worker log: refused: ERR_EAPI_REPLAYED (nonce already used)',
          'Worker log: refused: ERR_AUTHENTICATION_FAILED (eapi-http: content-digest does not match the body)',
          'Worker log: refused: ERR_AUTHENTICATION_FAILED (eapi-http: unknown session)',
          'Worker log: refused: ERR_STORE_UNAVAILABLE (session registry unreachable)',
          '',
        ].join('\n'),
      );
      expect(r.code).toBe(0);
    },
  );
});
