/** `e2e2 serve --tcp PORT` and `e2e2 connect tcp://HOST:PORT` (the TCP binding, SPEC.md §7.8), built, run as a user would. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect as connectTcp } from '../bindings/net.js';
import { signEapiHttpRequest } from '../bindings/e2e2/eapi-http.js';
import { assertBuilt, runCli, startCli } from './helpers/cli.js';

let dir: string;
let store: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'e2e2-cli-net-'));
  store = join(dir, 'keys.json');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function createKey(label: string): { id: string; token: string } {
  const result = runCli(['keys', 'create', '--label', label, '--store', store, '--json']);
  expect(result.status).toBe(0);
  const parsed = JSON.parse(result.stdout) as { id: string; apiKey: string };
  return { id: parsed.id, token: parsed.apiKey };
}

describe('e2e2 serve --tcp + connect tcp://', () => {
  it('one server answers over TCP and over WebSocket; stdin comes back on stdout; a revoked key is refused over TCP', { timeout: 120_000 }, async () => {
    const key = createKey('tcp');
    const server = await startCli(['serve', '--port', '0', '--tcp', '0', '--store', store], /listening on (ws:\/\/\S+)[\s\S]*listening on (tcp:\/\/127\.0\.0\.1:\d+) \(TCP binding\)/);
    try {
      const [, wsUrl, tcpUrl] = server.match;
      const input = randomBytes(300_000);
      const overTcp = runCli(['connect', tcpUrl!], { env: { E2E2_API_KEY: key.token }, input });
      expect(overTcp.stderr).toBe('');
      expect(overTcp.status).toBe(0);
      expect(overTcp.stdoutBytes.equals(input)).toBe(true);
      const overWs = runCli(['connect', wsUrl!], { env: { E2E2_API_KEY: key.token }, input: 'beside\n' });
      expect([overWs.status, overWs.stdout]).toEqual([0, 'beside\n']);
      for (let i = 0; i < 100 && (server.stderr().match(/channel closed/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(server.stderr()).toMatch(/channel closed key \S+ session \S+: 1000; 300000 bytes in, 300000 out/);

      expect(runCli(['keys', 'revoke', key.id, '--store', store]).status).toBe(0);
      const refused = runCli(['connect', tcpUrl!], { env: { E2E2_API_KEY: key.token }, input: 'x' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe('e2e2: authentication failed [ERR_AUTHENTICATION_FAILED]\n');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('a session opened over TCP signs requests the same server verifies over HTTP (one EAPI registry for both bindings)', { timeout: 120_000 }, async () => {
    const key = createKey('tcp-eapi');
    const server = await startCli(['serve', '--port', '0', '--tcp', '0', '--store', store], /listening on ws:\/\/(\S+?)\/?\s[\s\S]*listening on tcp:\/\/127\.0\.0\.1:(\d+) \(TCP binding\)/);
    const channel = await connectTcp({ port: Number(server.match[2]), apiKey: key.token });
    try {
      const url = `http://${server.match[1]}/api/echo`;
      const headers = { 'content-type': 'text/plain' };
      const body = 'signed over tcp';
      const signature = signEapiHttpRequest(channel.issueEapi({ scope: 'demo:echo', expiresAt: Date.now() + 120_000 }), { method: 'POST', url, headers, body });
      const answer = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const req = httpRequest(url, { method: 'POST', headers: { ...headers, ...signature } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer).toMatchObject({ status: 200, body: { verified: true, sessionId: channel.sessionId, body } });
    } finally {
      channel.close();
      await channel.closed;
      expect(await server.stop()).toBe(0);
    }
  });

  it('usage errors: a tcp:// URL without a port or with a path, --listen with tcp://, a bad --tcp port', () => {
    const env = { E2E2_API_KEY: createKey('usage').token };
    const cases: [string[], RegExp][] = [
      [['connect', 'tcp://127.0.0.1'], /^e2e2: tcp:\/\/ URL must be tcp:\/\/HOST:PORT/],
      [['connect', 'tcp://127.0.0.1:7000/x'], /^e2e2: tcp:\/\/ URL must be tcp:\/\/HOST:PORT/],
      [['connect', 'tcp://127.0.0.1:7000', '--listen', '9000'], /^e2e2: --listen tunnels over WebSocket only/],
      [['serve', '--tcp', 'x', '--store', store], /^e2e2: --tcp must be a port number/],
    ];
    for (const [args, message] of cases) {
      const result = runCli(args, { env });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('connect tcp:// to a port nobody listens on fails with ERR_CONNECTION_CLOSED', () => {
    const result = runCli(['connect', 'tcp://127.0.0.1:1'], { env: { E2E2_API_KEY: createKey('refused').token }, input: '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/could not be opened \(ECONNREFUSED\) \[ERR_CONNECTION_CLOSED\]/);
  });
});
