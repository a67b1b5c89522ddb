/**
 * A client that sends and never reads (hardening.md: send() returns false at writableHighWaterMark,
 * reading pauses at readableHighWaterMark): the echo server must stop reading instead of queueing
 * its answers without bound. `e2e2 serve` runs as its own process; its VmRSS is sampled while one
 * client pushes up to 512 MiB (or for 25 s, when its sends block first) without ever reading.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../bindings/channel/node.js';
import { assertBuilt, runCli, startCli } from './helpers/cli.js';
import { roundTrip, within } from './helpers/hostile/legit.js';
import { rssBytes, sampleRss } from './helpers/hostile/rss.js';

const MiB = 1 << 20;
const TOTAL_BYTES = 512 * MiB;
const MAX_SENDING_MS = 25_000;
/** A send that has not drained for this long is blocked by the server's backpressure (the point): stop there. */
const BLOCKED_MS = 5_000;
/** Generous: buffers of 1 MiB a side by design, plus the allocator's and the garbage collector's slack. */
const MAX_GROWTH_BYTES = 96 * MiB;

let dir: string;
let server: Awaited<ReturnType<typeof startCli>>;
let url: string;
const tokens: string[] = [];

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'e2e2-hostile-memory-'));
  const store = join(dir, 'keys.json');
  for (const label of ['attacker', 'legit']) {
    const created = runCli(['keys', 'create', '--label', label, '--store', store, '--json']);
    tokens.push((JSON.parse(created.stdout) as { apiKey: string }).apiKey);
  }
  server = await startCli(['serve', '--port', '0', '--store', store], /listening on (ws:\/\/\S+)/);
  url = server.match[1]!;
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a non-reading client', () => {
  it('sending 512 MiB without reading does not grow the server without bound', { timeout: 120_000 }, async () => {
    const pid = server.child.pid!;
    await roundTrip(url, tokens[1]!); // warm up: code loaded and compiled before the baseline
    const baseline = rssBytes(pid)!;
    const sampler = sampleRss(pid);

    const channel = await connect(url, { apiKey: tokens[0]! });
    channel.pause(); // never read: the server's echoes pile up towards us
    const chunk = new Uint8Array(MiB).fill(0x5a);
    const started = Date.now();
    let sent = 0;
    let blocked = false;
    while (sent < TOTAL_BYTES && server.child.exitCode === null) {
      const left = MAX_SENDING_MS - (Date.now() - started);
      if (left <= 0) break;
      channel.write(chunk);
      sent += chunk.length;
      const wait = Math.min(left, BLOCKED_MS);
      if ((await within(channel.drained(), wait, 'timeout')) === 'timeout') {
        blocked = wait === BLOCKED_MS;
        break;
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const growth = sampler.stop() - baseline;
    console.log(
      `non-reading client: sent ${(sent / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${blocked ? 'then its sends blocked' : 'never blocked'}); ` +
        `server VmRSS growth ${(growth / MiB).toFixed(1)} MiB (baseline ${(baseline / MiB).toFixed(1)} MiB)`,
    );
    void channel.destroy();

    expect(server.child.exitCode, `e2e2 serve exited: ${server.stderr().slice(-500)}`).toBeNull();
    await roundTrip(url, tokens[1]!);
    expect(growth, `server VmRSS grew by ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(MAX_GROWTH_BYTES);
  });
});
