/**
 * The channel over a WHATWG WebSocket (what browsers and Node >= 22 have; Node 20 with
 * --experimental-websocket, in a child process running the built dist/esm/channel.js). Such a
 * socket's close() accepts only 1000 and 3000-4999: destroy() must never throw and must close,
 * and the codes it sends are the WHATWG ones (4011 for 1011, 4009 for 1009, 1000 for 1001).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { E2E2Server } from '../bindings/channel/server.js';
import type { CloseInfo } from '../bindings/channel/channel.js';
import { assertBuilt } from './helpers/cli.js';
import { echoHandler, memoryKeys, startEchoServer } from './helpers/channel.js';

const CHANNEL_MODULE = fileURLToPath(new URL('../dist/esm/channel.js', import.meta.url));
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Each case runs in the child and prints one JSON line: what the WHATWG client saw. */
const CHILD = `
const { connect } = await import(process.env.CHANNEL_MODULE);
const [url, ...tokens] = process.argv.slice(1);
const results = {};
const quiet = () => {};

// 1. destroy() with an application error: no throw, closes (4011 on the wire).
{
  const channel = await connect(url, { apiKey: tokens[0], onError: quiet });
  let threw = false;
  try { await channel.destroy(new Error('app gives up')); } catch { threw = true; }
  const info = await channel.closed;
  results.destroy = { threw, code: info.code, error: info.error?.code };
}
// 2. close(1001), which a WHATWG socket cannot send: no throw, a clean close (1000 on the wire).
{
  const channel = await connect(url, { apiKey: tokens[1] });
  let threw = false;
  let info;
  try { info = await channel.close(1001); } catch { threw = true; }
  results.goingAway = { threw, code: info?.code, error: info?.error?.code };
}
// 3. A message above our maxMessageBytes: 4009 (a WHATWG socket cannot send 1009).
{
  const channel = await connect(url, { apiKey: tokens[2], maxMessageBytes: 100 });
  channel.send(new Uint8Array(200));
  const info = await channel.closed;
  results.tooLarge = { code: info.code, error: info.error?.code };
}
// 4. A listener that throws: the channel closes (4011), reported to onError; the process lives.
{
  const reported = [];
  const channel = await connect(url, { apiKey: tokens[3], onError: (e) => reported.push(e.code) });
  channel.on('message', () => { throw new Error('listener bug'); });
  channel.send('echo me');
  const info = await channel.closed;
  results.listener = { code: info.code, error: info.error?.code, reported };
}
process.stdout.write(JSON.stringify(results) + '\\n');
`;

function runChild(url: string, tokens: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> {
  const args = [...(NODE_MAJOR < 22 ? ['--experimental-websocket', '--no-warnings'] : []), '--input-type=module', '-e', CHILD, url, ...tokens];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, CHANNEL_MODULE } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
  });
}

describe('WHATWG WebSocket client (global WebSocket)', () => {
  const keys = memoryKeys();
  let server: E2E2Server;
  const serverSide = new Map<string, Promise<CloseInfo>>();
  beforeAll(async () => {
    assertBuilt();
    server = await startEchoServer(keys, {
      onChannel(channel) {
        serverSide.set(channel.keyId, channel.closed);
        return echoHandler(channel);
      },
    });
    server.on('error', () => {});
  });
  afterAll(() => server.close());

  it('destroy() never throws and always closes; only codes the WebSocket API accepts are sent', async () => {
    const names = ['destroy', 'goingAway', 'tooLarge', 'listener'] as const;
    const generated = names.map(() => keys.add());
    const { stdout, stderr, status } = await runChild(server.url, generated.map((k) => k.token));
    expect(status, stderr).toBe(0);
    const results = JSON.parse(stdout) as Record<(typeof names)[number], { threw?: boolean; code: number; error?: string; reported?: string[] }>;
    expect(results).toEqual({
      destroy: { threw: false, code: 4011, error: 'ERR_APPLICATION' },
      goingAway: { threw: false, code: 1000 },
      tooLarge: { code: 4009, error: 'ERR_MESSAGE_TOO_LARGE' },
      listener: { code: 4011, error: 'ERR_APPLICATION', reported: ['ERR_APPLICATION'] },
    });
    // What the server received, per case.
    const codes = await Promise.all(generated.map(async (k) => (await serverSide.get(k.keyId))!.code));
    expect(codes).toEqual([4011, 1000, 4009, 4011]);
  });
});
