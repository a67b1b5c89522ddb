/**
 * The `e2e2` command as a fleet (issue 9 item 7), built (dist/cli/e2e2.js) and run as a user
 * would: `e2e2 keys --store redis://…`; two `e2e2 serve --redis URL` processes, the channel on
 * one and RFC 9421 signed POST /api/echo requests verified on the other, a CLI revocation
 * closing the key's channel at once (periodic check off: pub/sub); `--workers 2` sharing the
 * EAPI state through the primary (no Redis) and on Redis, every request on a fresh connection so
 * they spread over the workers. Redis tests skip with a printed reason without redis-server
 * (a failure under CI=true); the --workers test without Redis always runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../bindings/channel/node.js';
import type { Channel } from '../bindings/channel/channel.js';
import { signEapiHttpRequest } from '../bindings/e2e2/eapi-http.js';
import { assertBuilt, runCli, startCli } from './helpers/cli.js';
import { redisMissing, startRedis, type RedisServer } from './helpers/redis.js';

const missing = redisMissing();
const SCOPE = 'demo:echo';
const READY = /listening on (ws:\/\/\S+)/;

interface Answer {
  status: number;
  body: { verified?: boolean; error?: string; sessionId?: string; body?: string };
}

/** POST on a fresh connection (no keep-alive), so that cluster workers take turns. */
function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, connection: 'close' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A signed /api/echo request for `base` (http://host:port), from the channel's EAPI. */
function signed(channel: Channel, base: string, body = 'hello fleet') {
  const eapi = channel.issueEapi({ scope: SCOPE, expiresAt: Date.now() + 120_000 });
  const url = `${base}/api/echo`;
  const headers = { 'content-type': 'text/plain' };
  const signature = signEapiHttpRequest(eapi, { method: 'POST', url, headers, body });
  return () => post(url, { ...headers, ...signature }, body);
}

const httpBase = (wsUrl: string) => wsUrl.replace(/^ws:/, 'http:').replace(/\/$/, '');

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'e2e2-cli-fleet-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('e2e2 serve --workers without Redis: the workers share the EAPI state through the primary', () => {
  it('every signed request verifies whichever worker takes it, and a replay is refused by any', { timeout: 120_000 }, async () => {
    const store = join(dir, 'workers.json');
    const created = JSON.parse(runCli(['keys', 'create', '--store', store, '--json']).stdout) as { apiKey: string };
    const server = await startCli(['serve', '--port', '0', '--store', store, '--workers', '2'], READY);
    try {
      expect(server.match.input).toMatch(/with 2 workers \(pids \d+, \d+; EAPI state shared through the primary\)/);
      const url = server.match[1]!;
      const channel = await connect(url, { apiKey: created.apiKey });
      // The channel's own worker registers the session through the primary as it opens; wait for the first success.
      const first = signed(channel, httpBase(url));
      let answer = await first();
      for (let i = 0; i < 50 && answer.status !== 200; i++) answer = await signed(channel, httpBase(url))();
      expect(answer).toMatchObject({ status: 200, body: { verified: true, sessionId: channel.sessionId, body: 'hello fleet' } });
      // Ten more, each on a new connection: round-robin hands them to both workers.
      for (let i = 0; i < 10; i++) {
        const once = signed(channel, httpBase(url), `request ${i}`);
        expect((await once()).status, `request ${i}`).toBe(200);
        expect(await once(), `replay of request ${i}`).toEqual({ status: 401, body: { verified: false, error: 'ERR_EAPI_REPLAYED' } });
      }
      // Closed: the primary forgets the session; requests signed before the close are refused by every worker.
      const late = Array.from({ length: 20 }, (_, i) => signed(channel, httpBase(url), `late ${i}`));
      await channel.close();
      let refused: Answer | undefined;
      for (const send of late) {
        refused = await send();
        if (refused.status !== 200) break;
      }
      expect(refused).toEqual({ status: 401, body: { verified: false, error: 'ERR_AUTHENTICATION_FAILED' } });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses --workers with --demo, and a bad count', () => {
    expect(runCli(['serve', '--workers', '2', '--demo'])).toMatchObject({ status: 2 });
    expect(runCli(['serve', '--workers', '2', '--demo']).stderr).toMatch(/^e2e2: --demo cannot be combined with --workers/);
    expect(runCli(['serve', '--workers', '0']).stderr).toMatch(/^e2e2: --workers must be an integer from 1 to 256/);
  });
});

describe.skipIf(missing !== undefined)('e2e2 with --redis and --store redis://', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('e2e2 keys create, list and revoke against the key store on Redis', () => {
    const created = runCli(['keys', 'create', '--label', 'fleet laptop', '--store', redis.url, '--json']);
    expect(created.status, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; apiKey: string };
    const list = JSON.parse(runCli(['keys', 'list', '--json', '--store', redis.url]).stdout) as { id: string; label: string; revoked: string | null }[];
    expect(list).toContainEqual(expect.objectContaining({ id: key.id, label: 'fleet laptop', revoked: null }));
    expect(JSON.stringify(list)).not.toContain(key.apiKey.slice(30));
    const revoked = runCli(['keys', 'revoke', key.id, '--store', redis.url]);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^revoked ${key.id} at \\d{4}-`));
    expect(runCli(['keys', 'list', '--store', redis.url]).stdout).toMatch(new RegExp(`^${key.id}\\s+\\S+\\s+revoked\\s+fleet laptop$`, 'm'));
    expect(runCli(['keys', 'revoke', 'f'.repeat(24), '--store', redis.url]).stderr).toMatch(/^e2e2: no key with id "f{24}" \[ERR_KEY_STORE\]/);
  });

  it('two e2e2 serve --redis: the channel on A, signed requests verified on B; e2e2 keys revoke closes the channel at once', { timeout: 120_000 }, async () => {
    const key = JSON.parse(runCli(['keys', 'create', '--store', redis.url, '--json']).stdout) as { id: string; apiKey: string };
    const args = ['serve', '--port', '0', '--redis', redis.url, '--revocation-check-interval', '0'];
    const [a, b] = await Promise.all([startCli(args, READY), startCli(args, READY)]);
    try {
      expect(a.match.input).toMatch(/keys from redis:\/\/127\.0\.0\.1:\d+; EAPI state on redis:\/\/127\.0\.0\.1:\d+/);
      const channel = await connect(a.match[1]!, { apiKey: key.apiKey });
      let answer = await signed(channel, httpBase(b.match[1]!))();
      for (let i = 0; i < 50 && answer.status !== 200; i++) answer = await signed(channel, httpBase(b.match[1]!))();
      expect(answer).toMatchObject({ status: 200, body: { verified: true, sessionId: channel.sessionId } });
      // The same signed request twice on B: the nonce is used once; A verifies the channel's EAPIs too.
      const once = signed(channel, httpBase(b.match[1]!));
      expect((await once()).status).toBe(200);
      expect((await once()).body.error).toBe('ERR_EAPI_REPLAYED');
      expect((await signed(channel, httpBase(a.match[1]!))()).status).toBe(200);

      const started = performance.now();
      expect(runCli(['keys', 'revoke', key.id, '--store', redis.url]).status).toBe(0);
      const info = await channel.closed;
      console.log(`e2e2 keys revoke → channel on another process closed in ${(performance.now() - started).toFixed(0)} ms (CLI start included, periodic check off)`);
      expect(info.code).toBe(4006);
      expect(info.error?.code).toBe('ERR_KEY_REVOKED');
      expect(a.stderr()).toMatch(new RegExp(`key ${key.id} revoked: closed 1 channel`));
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }
  });

  it('e2e2 serve --workers 2 --redis: the workers share the state on Redis', { timeout: 120_000 }, async () => {
    const key = JSON.parse(runCli(['keys', 'create', '--store', redis.url, '--json']).stdout) as { apiKey: string };
    const server = await startCli(['serve', '--port', '0', '--redis', redis.url, '--workers', '2'], READY);
    try {
      expect(server.match.input).toMatch(/with 2 workers \(pids \d+, \d+; EAPI state shared on Redis\)/);
      const url = server.match[1]!;
      const channel = await connect(url, { apiKey: key.apiKey });
      let answer = await signed(channel, httpBase(url))();
      for (let i = 0; i < 50 && answer.status !== 200; i++) answer = await signed(channel, httpBase(url))();
      expect(answer.status).toBe(200);
      for (let i = 0; i < 6; i++) {
        const once = signed(channel, httpBase(url), `request ${i}`);
        expect((await once()).status, `request ${i}`).toBe(200);
        expect((await once()).body.error, `replay of request ${i}`).toBe('ERR_EAPI_REPLAYED');
      }
      await channel.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses a --redis that is not a Redis URL (2), and one that does not answer (1)', () => {
    const bad = runCli(['serve', '--port', '0', '--redis', 'http://127.0.0.1:6379']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^e2e2: --redis must be a redis:\/\/ or rediss:\/\/ URL/);
    const down = runCli(['serve', '--port', '0', '--redis', 'redis://user:hunter2@127.0.0.1:1']);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^e2e2: cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1\b.*\[ERR_STORE_UNAVAILABLE\]$/m);
    // The refused connections are logged once, not once per reconnection attempt.
    expect(down.stderr.match(/ Redis: /g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(down.stderr).not.toContain('hunter2');
  });
});
