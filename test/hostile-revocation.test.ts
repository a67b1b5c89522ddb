/**
 * Revoking the key of a live channel (hardening.md: revocationCheckIntervalMs, default 2,000 ms;
 * server.revokeKey): the channel closes with 4006 (ERR_KEY_REVOKED at the client), and an EAPI
 * issued from it stops verifying (ERR_AUTHENTICATION_FAILED). With in-memory keys, with
 * server.revokeKey(), and with the key store file revoked by `e2e2 keys revoke` in another process.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../bindings/channel/node.js';
import type { Channel } from '../bindings/channel/channel.js';
import { assertBuilt, runCli, startCli } from './helpers/cli.js';
import { startFixture, type Fixture } from './helpers/hostile/fixture.js';
import { expectServes, roundTrip, within } from './helpers/hostile/legit.js';
import { runCliAsync } from './helpers/hostile/cli-async.js';

/** Generous next to the 2 s default check interval. */
const REVOKED_WITHIN_MS = 15_000;

/** Two signed requests from the channel's EAPI: one for before the revocation, one for after. */
function signTwice(channel: Channel, scope: string, method: string, path: string, body?: string) {
  const eapi = channel.issueEapi({ scope, expiresAt: Date.now() + 120_000 });
  const sign = () => eapi.sign({ method, path, timestamp: Date.now(), ...(body === undefined ? {} : { body }) });
  return [sign(), sign()] as const;
}

async function verify(url: string, method: string, authorization: string, body?: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(url, { method, headers: { authorization }, ...(body === undefined ? {} : { body }) });
  const answer = (await response.json()) as { error?: string };
  return { status: response.status, ...(answer.error ? { error: answer.error } : {}) };
}

/** The channel closed with 4006 and ERR_KEY_REVOKED within the bound. */
async function expectRevoked(channel: Channel) {
  const info = await within(channel.closed, REVOKED_WITHIN_MS, undefined);
  expect(info?.code, `close code within ${REVOKED_WITHIN_MS} ms of the revocation`).toBe(4006);
  expect(info?.error?.code).toBe('ERR_KEY_REVOKED');
}

describe('revocation of a live channel, in-memory keys', () => {
  let fixture: Fixture | undefined;
  afterEach(async () => {
    await fixture?.stop();
    fixture = undefined;
  });

  it('the resolver starts answering undefined: 4006, and the EAPI stops verifying', { timeout: 60_000 }, async () => {
    fixture = await startFixture();
    const verifyUrl = `http://127.0.0.1:${fixture.port}/verify`;
    const channel = await connect(fixture.url, { apiKey: fixture.tokens[0]! });
    const bystander = await connect(fixture.url, { apiKey: fixture.tokens[1]! });
    const [before, after] = signTwice(channel, 'hostile:test', 'GET', '/verify');
    expect(await verify(verifyUrl, 'GET', before)).toEqual({ status: 200 });

    await fixture.command({ cmd: 'revoke', keyId: channel.keyId });
    await expectRevoked(channel);
    expect(await verify(verifyUrl, 'GET', after)).toEqual({ status: 401, error: 'ERR_AUTHENTICATION_FAILED' });
    expect(bystander.state, 'a channel with another key stays open').toBe('open');
    expect((await bystander.close()).error).toBeUndefined();
    await expect(roundTrip(fixture.url, fixture.tokens[0]!)).rejects.toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED' });
    await expectServes(fixture, fixture.tokens[1]!);
  });

  it('server.revokeKey(keyId) closes that key\'s channels with 4006 at once', { timeout: 60_000 }, async () => {
    // A check interval far beyond the wait: only revokeKey() itself can close the channel in time.
    fixture = await startFixture({ options: { revocationCheckIntervalMs: 600_000 } });
    const channels = await Promise.all([0, 0].map(() => connect(fixture!.url, { apiKey: fixture!.tokens[2]! })));
    const reply = await fixture.command({ cmd: 'revokeKey', keyId: channels[0]!.keyId });
    expect(reply.ok, String(reply.error)).toBe(true);
    for (const channel of channels) await expectRevoked(channel);
    await expectServes(fixture);
  });
});

describe('revocation of a live channel, key store file', () => {
  let dir: string | undefined;
  let server: Awaited<ReturnType<typeof startCli>> | undefined;
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('`e2e2 keys revoke` in another process closes the channel of `e2e2 serve` with 4006', { timeout: 90_000 }, async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'e2e2-hostile-revoke-'));
    const store = join(dir, 'keys.json');
    const keys = ['revoked', 'kept'].map((label) => JSON.parse(runCli(['keys', 'create', '--label', label, '--store', store, '--json']).stdout) as { id: string; apiKey: string });
    server = await startCli(['serve', '--port', '0', '--store', store], /listening on (ws:\/\/\S+)/);
    const url = server.match[1]!;
    const echoUrl = `${url.replace(/^ws/, 'http').replace(/\/$/, '')}/api/echo`;
    const channel = await connect(url, { apiKey: keys[0]!.apiKey });
    const [before, after] = signTwice(channel, 'demo:echo', 'POST', '/api/echo', 'hello');
    expect((await verify(echoUrl, 'POST', before, 'hello')).status).toBe(200);

    const revoked = await runCliAsync(['keys', 'revoke', keys[0]!.id, '--store', store]);
    expect(revoked.status, revoked.stderr).toBe(0);
    await expectRevoked(channel);
    expect(await verify(echoUrl, 'POST', after, 'hello')).toEqual({ status: 401, error: 'ERR_AUTHENTICATION_FAILED' });
    expect(server.child.exitCode).toBeNull();
    await roundTrip(url, keys[1]!.apiKey);
  });
});
