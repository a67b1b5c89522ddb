/**
 * Raw-socket fuzzer (loopback): hostile HTTP request lines and headers, then hostile WebSocket
 * frames after a valid upgrade, against a server with `path` and one without. After every batch the
 * server process is alive and a legitimate client is served; an unfinished message in many tiny
 * fragments is closed with 1008 (hardening.md: maxFragments 16) instead of accumulating.
 * Seeded: set HOSTILE_SEED to replay a run (the seed is printed).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from './helpers/hostile/fixture.js';
import { expectServes, within } from './helpers/hostile/legit.js';
import { closedWithin, exchange, rawUpgrade } from './helpers/hostile/raw-http.js';
import { frameCases, httpCases, seeded, tinyFragments, type FuzzCase } from './helpers/hostile/fuzz-cases.js';

const SEED = Number(process.env.HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`hostile fuzz seed: ${SEED} (HOSTILE_SEED=${SEED} replays it)`);

/** Run `work` over `items`, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** Write a case's chunks after a hand-made upgrade, half-close, wait for the server to close. */
async function afterUpgrade(port: number, path: string, fuzz: FuzzCase): Promise<'refused' | 'done'> {
  let ws;
  try {
    ws = await rawUpgrade(port, path);
  } catch {
    return 'refused';
  }
  for (const chunk of fuzz.chunks) if (!ws.socket.destroyed) ws.socket.write(chunk);
  if (!ws.socket.destroyed) ws.socket.end();
  await closedWithin(ws.socket, 3000);
  return 'done';
}

for (const path of ['/e2e2', undefined]) {
  describe(`raw-socket fuzzing, server ${path ? `with path ${path}` : 'without a path'}`, () => {
    let fixture: Fixture;
    const endpoint = path ?? '/';
    // A fresh server per test: a crash in one batch must not hide the outcome of the next.
    beforeEach(async () => {
      fixture = await startFixture(path ? { options: { path } } : {});
    });
    afterEach(() => fixture?.stop());

    it('hostile request lines and headers', { timeout: 120_000 }, async () => {
      const cases = httpCases(fixture.port, endpoint, seeded(SEED));
      await pool(cases, 8, async (fuzz) => void (await exchange(fixture.port, fuzz.chunks)));
      await expectServes(fixture);
    });

    it('hostile WebSocket frames after a valid upgrade', { timeout: 120_000 }, async () => {
      const cases = frameCases(seeded(SEED + 1));
      const outcomes = { refused: 0, done: 0 };
      await pool(cases, 8, async (fuzz) => void outcomes[await afterUpgrade(fixture.port, endpoint, fuzz)]++);
      await expectServes(fixture);
      expect(outcomes.refused, 'valid upgrades refused during the frame fuzzing').toBe(0);
    });

    it('an unfinished message in 2,000 empty fragments is closed with 1008', { timeout: 60_000 }, async () => {
      const ws = await rawUpgrade(fixture.port, endpoint);
      ws.socket.write(tinyFragments(2000));
      // Today's ws default allows 16,384 fragments; only the handshake timeout (4003) would end it.
      const code = await within(ws.closeFrame, 8000, 'no close frame within 8 s');
      ws.socket.destroy();
      expect(code).toBe(1008);
      await expectServes(fixture);
    });
  });
}
