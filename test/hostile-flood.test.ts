/**
 * Floods from other loopback source addresses (127.0.0.2-127.0.0.5) while a legitimate client on
 * 127.0.0.1 keeps connecting (hardening.md: per-address pending share, message-1 deadline, caps on
 * TCP connections not upgraded). Each flood gets a fresh server process; the raw TCP flood runs
 * against one limited to 1,024 file descriptors, where 1,200 idle connections used to lock out
 * every legitimate client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from './helpers/hostile/fixture.js';
import { expectServes } from './helpers/hostile/legit.js';
import { legitLoop, startFlood, type Flood, type FloodKind } from './helpers/hostile/flood.js';
import { sleep } from './helpers/channel.js';

const LEGIT_MS = 10_000;
const MIN_SUCCESS_RATE = 0.9;
const MIN_ATTEMPTS = 8;

let fixture: Fixture | undefined;
let flood: Flood | undefined;
afterEach(async () => {
  await flood?.stop();
  flood = undefined;
  await fixture?.stop();
  fixture = undefined;
});

const floods: { kind: FloodKind; perSource: number; what: string; fdLimit?: number }[] = [
  { kind: 'churn', perSource: 4, what: 'WebSockets that send message 1 and close at once, again and again' },
  { kind: 'idle-websocket', perSource: 300, what: '1,200 idle WebSockets' },
  { kind: 'idle-tcp', perSource: 300, what: '1,200 idle TCP connections (no HTTP upgrade), server at 1,024 descriptors', fdLimit: 1024 },
];

describe('floods from other loopback addresses; a legitimate client on 127.0.0.1 keeps being served', () => {
  for (const { kind, perSource, what, fdLimit } of floods) {
    it(what, { timeout: 180_000 }, async () => {
      fixture = await startFixture({}, fdLimit === undefined ? {} : { fdLimit });
      flood = startFlood(kind, fixture.port, '/', perSource);
      // Let the attackers take their places before measuring.
      for (let waited = 0; flood.stats.opened < perSource && waited < 10_000; waited += 100) await sleep(100);
      await sleep(1000);
      const legit = await legitLoop(fixture.url, fixture.tokens[0]!, LEGIT_MS, MIN_ATTEMPTS);
      const holding = flood.holding;
      const stats = await flood.stop();
      flood = undefined;
      console.log(
        `flood ${kind}: legitimate client ${legit.successes}/${legit.attempts} (${(legit.rate * 100).toFixed(0)}%) ` +
          `failures ${JSON.stringify(legit.failures)}; attackers opened ${stats.opened}, refused ${stats.refused}, ` +
          `holding ${holding} at the end, close codes ${JSON.stringify(stats.closeCodes)}`,
      );
      await expectServes(fixture);
      expect(legit.attempts).toBeGreaterThanOrEqual(MIN_ATTEMPTS);
      expect(legit.rate, `legitimate success rate ${legit.successes}/${legit.attempts}, failures ${JSON.stringify(legit.failures)}`).toBeGreaterThanOrEqual(MIN_SUCCESS_RATE);
    });
  }
});
