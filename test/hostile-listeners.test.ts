/**
 * Application code that throws (hardening.md "Listener containment"): a throwing 'message' or
 * 'end' listener, server.on('channel') listener or rejecting onChannel handler closes only its own
 * channel with 1011 and is reported to server.on('error'); the server process and its other
 * channels carry on. A throwing client listener does not crash the client process (ERR_APPLICATION).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from '../bindings/channel/node.js';
import { startFixture, type Fixture } from './helpers/hostile/fixture.js';
import { expectAlive, expectServes, roundTrip, within } from './helpers/hostile/legit.js';

const CLIENT = fileURLToPath(new URL('./helpers/hostile/client-fixture.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WAIT_MS = 20_000;

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

/** A bystander channel, open before the attack, that must still echo after it. */
async function bystander(f: Fixture) {
  const channel = await connect(f.url, { apiKey: f.tokens[1]! });
  return {
    async stillEchoes() {
      const messages = channel[Symbol.asyncIterator]();
      channel.send('still here?');
      const echoed = await within(messages.next(), WAIT_MS, undefined);
      expect(echoed && !echoed.done ? Buffer.from(echoed.value).toString() : 'no echo', 'the other channel').toBe('still here?');
      const info = await channel.close();
      expect(info.error).toBeUndefined();
    },
  };
}

/** The server reported the application error of that key's channel on server.on('error'). */
async function expectReported(f: Fixture, keyId: string) {
  const reported = await f.waitFor((e) => e.type === 'error' && e.keyId === keyId, WAIT_MS);
  expect(reported?.error?.code, `server 'error' event for the channel (${JSON.stringify(f.events.filter((e) => e.type !== 'channel'))})`).toBe('ERR_APPLICATION');
}

describe('server-side application code that throws', () => {
  for (const [name, trigger] of [
    ["a 'message' listener", 'throw:message'],
    ["an 'end' listener", 'throw:end'],
  ] as const) {
    it(`${name} that throws closes only that channel with 1011`, { timeout: 60_000 }, async () => {
      fixture = await startFixture();
      const other = await bystander(fixture);
      const channel = await connect(fixture.url, { apiKey: fixture.tokens[0]! });
      channel.send(trigger);
      if (trigger === 'throw:end') channel.end();
      const info = await within(channel.closed, WAIT_MS, undefined);
      await expectAlive(fixture);
      expect(info?.code, 'close code of the channel whose listener threw').toBe(1011);
      await expectReported(fixture, channel.keyId);
      await other.stillEchoes();
      await expectServes(fixture);
    });
  }

  const handlerCases = [
    ["a server.on('channel') listener that throws closes only that channel with 1011", 'channelThrows'],
    ['an async onChannel handler that rejects closes only that channel with 1011 and is reported', 'handlerRejects'],
  ] as const;
  for (const [name, key] of handlerCases) {
    it(name, { timeout: 60_000 }, async () => {
      fixture = await startFixture();
      const other = await bystander(fixture);
      const channel = await connect(fixture.url, { apiKey: fixture[key] });
      const info = await within(channel.closed, WAIT_MS, undefined);
      await expectAlive(fixture);
      expect(info?.code).toBe(1011);
      await expectReported(fixture, channel.keyId);
      await other.stillEchoes();
      await expectServes(fixture);
    });
  }
});

describe('client-side application code that throws', () => {
  it("a client 'message' listener that throws destroys that channel (ERR_APPLICATION), not the process", { timeout: 60_000 }, async () => {
    fixture = await startFixture();
    const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, fixture.url], { cwd: ROOT, env: { ...process.env, E2E2_API_KEY: fixture.tokens[0]! } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = await within(new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))), 45_000, 'still running' as const);
    if (exit === 'still running') child.kill('SIGKILL');
    expect(exit, `client process: ${stderr.trim().split('\n').slice(-4).join(' | ')}`).toBe(0);
    const closed = JSON.parse(/^CLOSED (.*)$/m.exec(stdout)?.[1] ?? '{}') as { code?: number; errorCode?: string; cause?: string; reported?: string[] };
    expect(closed.errorCode).toBe('ERR_APPLICATION');
    expect(closed.cause).toBe('client message listener threw on purpose');
    expect(closed.code).toBe(1011);
    expect(closed.reported).toEqual(['ERR_APPLICATION']);
    await roundTrip(fixture.url, fixture.tokens[1]!);
  });
});
