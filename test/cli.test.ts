/** The `e2e2` command, built (dist/cli/e2e2.js), run as a user would. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { assertBuilt, CLI, runCli, startCli } from './helpers/cli.js';
import { rawPeer } from './helpers/channel.js';

const TOKEN = /e2e2_[0-9a-f]{24}_[A-Za-z0-9_-]{43}/;
let dir: string;
let store: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'e2e2-cli-'));
  store = join(dir, 'keys.json');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function createKey(label: string): { id: string; token: string } {
  const result = runCli(['keys', 'create', '--label', label, '--store', store, '--json']);
  expect(result.status).toBe(0);
  const parsed = JSON.parse(result.stdout) as { id: string; apiKey: string; fingerprint: string };
  expect(parsed.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  return { id: parsed.id, token: parsed.apiKey };
}

describe('e2e2 help and errors', () => {
  it('an installed package (no bench/, no dev dependencies) does not offer bench and says why', () => {
    const installed = join(dir, 'installed', 'node_modules', 'e2e2');
    cpSync(join(process.cwd(), 'dist'), join(installed, 'dist'), { recursive: true });
    cpSync(join(process.cwd(), 'package.json'), join(installed, 'package.json'));
    // Its runtime dependencies sit beside it, as npm would put them.
    for (const dep of readdirSync(join(process.cwd(), 'node_modules'))) {
      if (dep !== '.bin' && dep !== 'e2e2' && !dep.startsWith('.')) symlinkSync(join(process.cwd(), 'node_modules', dep), join(dir, 'installed', 'node_modules', dep));
    }
    const run = (args: string[]) => spawnSync(process.execPath, [join(installed, 'dist/cli/e2e2.js'), ...args], { cwd: dir, encoding: 'utf8' });
    const help = run(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('serve');
    expect(help.stdout).not.toMatch(/^ {2}bench /m);
    const bench = run(['bench']);
    expect(bench.status).toBe(2);
    expect(bench.stderr).toMatch(/^e2e2: e2e2 bench is not available in an installed package: it runs from a checkout/);
    // In the checkout it is offered.
    expect(runCli(['--help']).stdout).toMatch(/^ {2}bench /m);
  });

  it('serve warns on stderr when it starts with no key store, and not when it has a valid key', async () => {
    const waitFor = async (read: () => string, pattern: RegExp) => {
      for (let i = 0; i < 200 && !pattern.test(read()); i++) await new Promise((r) => setTimeout(r, 50));
      return read();
    };
    const missing = join(dir, 'no-such-store.json');
    const bare = await startCli(['serve', '--port', '0', '--store', missing], /listening on (ws:\/\/\S+)/);
    try {
      expect(await waitFor(bare.stderr, /warning/)).toMatch(/warning: no key store at \S*no-such-store\.json: no client can connect until you run "e2e2 keys create/);
    } finally {
      await bare.stop();
    }
    createKey('warn-check');
    const ready = await startCli(['serve', '--port', '0', '--store', store], /listening on (ws:\/\/\S+)/);
    await ready.stop();
    expect(ready.stderr()).not.toMatch(/warning/);
  });

  it('--version prints the version from package.json, from the built dist/cli', () => {
    const { version } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = runCli([flag]);
      expect(result.status, flag).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
      expect(result.stderr).toBe('');
    }
  });

  it('--help on the command and on each subcommand', () => {
    const main = runCli(['--help']);
    expect(main.status).toBe(0);
    for (const command of ['keys', 'serve', 'connect', 'bench', 'demo']) expect(main.stdout).toContain(command);
    for (const command of ['keys', 'serve', 'connect', 'bench', 'demo']) {
      const result = runCli([command, '--help']);
      expect(result.status, command).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: e2e2 ${command}`));
      expect(result.stderr).toBe('');
    }
  });

  it('errors are one line on stderr with a non-zero exit', () => {
    const cases: [string[], number, RegExp][] = [
      [[], 2, /^e2e2: missing command/],
      [['frobnicate'], 2, /^e2e2: unknown command "frobnicate"/],
      [['keys', 'rotate', '--store', store], 2, /^e2e2: unknown keys subcommand "rotate"/],
      [['keys', 'revoke', '--store', store], 2, /^e2e2: keys revoke takes exactly one KEY_ID/],
      [['keys', 'revoke', 'nope', '--store', store], 1, /^e2e2: no key with id "nope" \[ERR_KEY_STORE\]/],
      [['serve', '--port', 'x'], 2, /^e2e2: --port must be a port number/],
      [['serve', '--forward', 'nohost'], 2, /^e2e2: --forward must be HOST:PORT/],
      [['serve', '--bogus'], 2, /^e2e2: Unknown option '--bogus'/],
      [['connect'], 2, /^e2e2: connect takes exactly one URL/],
      [['connect', 'http://x'], 2, /^e2e2: URL must start with ws:\/\/ or wss:\/\//],
      [['connect', 'ws://127.0.0.1:1/'], 2, /^e2e2: no API key: set E2E2_API_KEY or pass --key-file PATH/],
      [['connect', 'ws://127.0.0.1:1/', '--key-file', join(dir, 'missing')], 1, /^e2e2: cannot read --key-file/],
    ];
    for (const [args, status, message] of cases) {
      const result = runCli(args, { env: { E2E2_API_KEY: '' } });
      expect(result.status, args.join(' ')).toBe(status);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0], args.join(' ')).toMatch(message);
    }
    const badKey = runCli(['connect', 'ws://127.0.0.1:1/'], { env: { E2E2_API_KEY: 'not-a-key' } });
    expect(badKey.status).toBe(1);
    expect(badKey.stderr).toMatch(/^e2e2: API key token must be .*\[ERR_INVALID_API_KEY\]\n$/);
    expect(badKey.stderr).not.toContain('not-a-key');
  });
});

describe('e2e2 keys', () => {
  it('create prints the token once; list never shows secrets; revoke marks the key', () => {
    const created = runCli(['keys', 'create', '--label', 'laptop', '--store', store]);
    expect(created.status).toBe(0);
    const token = TOKEN.exec(created.stdout)?.[0];
    expect(token).toBeDefined();
    const id = /key id:\s+([0-9a-f]{24})/.exec(created.stdout)![1]!;
    expect(token!.startsWith(`e2e2_${id}_`)).toBe(true);
    expect(statSync(store).mode & 0o777).toBe(0o600);

    const list = runCli(['keys', 'list', '--store', store]);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+\\S+\\s+valid\\s+laptop`));
    expect(list.stdout).not.toMatch(TOKEN);
    expect(list.stdout).not.toContain(token!.slice(30));

    const revoked = runCli(['keys', 'revoke', id, '--store', store]);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^revoked ${id} at \\d{4}-`));
    const json = JSON.parse(runCli(['keys', 'list', '--json', '--store', store]).stdout) as { id: string; revoked: string | null }[];
    expect(json.find((k) => k.id === id)?.revoked).toMatch(/^\d{4}-/);
    expect(JSON.stringify(json)).not.toContain(token!.slice(30));
  });

  it('E2E2_KEY_STORE selects the store', () => {
    const other = join(dir, 'other.json');
    expect(runCli(['keys', 'create'], { env: { E2E2_KEY_STORE: other } }).status).toBe(0);
    expect(JSON.parse(runCli(['keys', 'list', '--json', '--store', other]).stdout)).toHaveLength(1);
  });
});

describe('e2e2 serve + connect', () => {
  it('a clean server shutdown (SIGTERM) with a channel open is logged as a shutdown, not a truncation', async () => {
    const key = createKey('shutdown');
    const server = await startCli(['serve', '--port', '0', '--store', store], /listening on (ws:\/\/\S+)/);
    const client = spawn(process.execPath, [CLI, 'connect', server.match[1]!], { env: { ...process.env, E2E2_API_KEY: key.token } });
    client.stdin.write('ping\n');
    await new Promise<void>((resolve) => client.stdout.once('data', () => resolve()));
    const clientExit = new Promise((resolve) => client.on('exit', resolve));
    expect(await server.stop()).toBe(0);
    await clientExit;
    for (let i = 0; i < 100 && !/channel closed/.test(server.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.stderr()).toMatch(/channel closed key \S+ session \S+: 1001 server shutting down;/);
    expect(server.stderr()).not.toMatch(/truncated/);
  });

  it('serve --context matches connect --context: same context connects, a different or missing one is refused', async () => {
    const key = createKey('context');
    const server = await startCli(['serve', '--port', '0', '--store', store, '--context', 'orders-v1'], /listening on (ws:\/\/\S+)/);
    try {
      const url = server.match[1]!;
      const env = { E2E2_API_KEY: key.token };
      const same = runCli(['connect', url, '--context', 'orders-v1'], { env, input: 'ctx\n' });
      expect(same.stderr).toBe('');
      expect(same.status).toBe(0);
      expect(same.stdout).toBe('ctx\n');
      for (const args of [['--context', 'orders-v2'], []]) {
        const other = runCli(['connect', url, ...args], { env, input: 'ctx\n' });
        expect(other.status, args.join(' ')).toBe(1);
        expect(other.stdout).toBe('');
      }
    } finally {
      await server.stop();
    }
  });

  it('serve --pq require refuses a v1 client (ERR_PQ_REQUIRED) and echoes for connect --pq; --pq takes only accept|require|refuse', async () => {
    const key = createKey('pq');
    expect(runCli(['serve', '--port', '0', '--store', store, '--pq', 'maybe']).stderr).toMatch(/^e2e2: --pq must be accept, require or refuse/);
    const server = await startCli(['serve', '--port', '0', '--store', store, '--pq', 'require'], /listening on (ws:\/\/\S+)/);
    try {
      const url = server.match[1]!;
      const env = { E2E2_API_KEY: key.token };
      const pq = runCli(['connect', url, '--pq'], { env, input: 'post-quantum\n' });
      expect(pq.stderr).toBe('');
      expect(pq.status).toBe(0);
      expect(pq.stdout).toBe('post-quantum\n');
      const v1 = runCli(['connect', url], { env, input: 'classical\n' });
      expect(v1.status).toBe(1);
      expect(v1.stdout).toBe('');
      expect(v1.stderr).toContain('the server requires the post-quantum handshake');
    } finally {
      await server.stop();
    }
  });

  it('stdin goes through the channel and the echo comes back on stdout; a revoked key is refused', async () => {
    const key = createKey('connect');
    const server = await startCli(['serve', '--port', '0', '--store', store], /listening on (ws:\/\/\S+)/);
    try {
      const url = server.match[1]!;
      const input = randomBytes(300_000);
      const result = runCli(['connect', url], { env: { E2E2_API_KEY: key.token }, input });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdoutBytes.equals(input)).toBe(true);

      // The key file form works too.
      const keyFile = join(dir, 'token');
      writeFileSync(keyFile, `${key.token}\n`, { mode: 0o600 });
      const viaFile = runCli(['connect', url, '--key-file', keyFile], { input: 'hello over a file key\n', env: { E2E2_API_KEY: '' } });
      expect(viaFile.status).toBe(0);
      expect(viaFile.stdout).toBe('hello over a file key\n');

      expect(runCli(['keys', 'revoke', key.id, '--store', store]).status).toBe(0);
      const refused = runCli(['connect', url], { env: { E2E2_API_KEY: key.token }, input: 'x' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe('e2e2: authentication failed [ERR_AUTHENTICATION_FAILED]\n');
      // The client closed with 4001 before exiting, so the server logs the same typed failure.
      for (let i = 0; i < 100 && !/handshake failed/.test(server.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(server.stderr()).toMatch(/handshake failed from 127\.0\.0\.1: authentication failed \[ERR_AUTHENTICATION_FAILED\]/);
      expect(server.stderr()).not.toMatch(TOKEN);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('e2e2 serve limit flags', () => {
  const FLAGS = [
    'message1-timeout', 'handshake-timeout', 'max-pending', 'max-pending-per-address', 'max-http-connections',
    'max-http-connections-per-address', 'headers-timeout', 'request-timeout', 'max-message-bytes', 'max-fragments',
    'max-buffered-chunks', 'readable-high-water-mark', 'writable-high-water-mark', 'keepalive-interval',
    'keepalive-timeout', 'close-timeout', 'max-session-age', 'revocation-check-interval',
  ];

  it('--help lists every limit; a bad value is a usage error (exit 2)', () => {
    const help = runCli(['serve', '--help']).stdout;
    for (const flag of FLAGS) expect(help).toContain(`--${flag} `);
    for (const [flag, value] of [['max-fragments', '0'], ['message1-timeout', 'soon'], ['max-message-bytes', '70000'], ['keepalive-interval', '1.5']]) {
      const result = runCli(['serve', '--port', '0', '--store', store, `--${flag}`, value!]);
      expect(result.status, flag).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^e2e2: --${flag} must be an integer from \\d+ to \\d+ \\(see --help\\)\n$`));
    }
  });

  it('a limit given on the command line takes effect (--message1-timeout: a silent client gets 4003)', async () => {
    const server = await startCli(['serve', '--port', '0', '--store', store, '--message1-timeout', '300', '--handshake-timeout', '60000'], /listening on (ws:\/\/\S+)/);
    try {
      const peer = await rawPeer(server.match[1]!);
      expect((await peer.closed).code).toBe(4003);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('npm start (e2e2 demo)', () => {
  it('shows the whole flow, exits 0, and prints no secret', () => {
    const result = runCli(['demo']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    for (const step of ['1. server', '2. API key', '3. handshake', '4. echo', '5. EAPI', '6. rekey', '7. close', '8. revoke']) expect(out).toContain(step);
    for (const stage of ['K1 = X25519', 'K2 = KDF(K1, API key)', 'K3 = Split(K2)']) {
      expect(out.match(new RegExp(stage.replace(/[()]/g, '\\$&'), 'g'))?.length).toBe(2); // client and server
    }
    expect(out).toContain('K1, K2, K3 fingerprints equal on both sides');
    expect(out).toContain('post-quantum: connect({ postQuantum: true }) ran Noise_NNhfs+psk2_25519+MLKEM768_ChaChaPoly_SHA256');
    expect(out).toMatch(/message 1 1260 bytes \(\+ ML-KEM-768 public key\), message 2 1152 bytes/);
    expect(out).toContain('the channel above is v1 (Noise_NNpsk2_25519_ChaChaPoly_SHA256, 60 + 48 bytes)');
    expect(out).toMatch(/-> 200, verified by the server/);
    expect(out).toMatch(/body changed\s+-> 401 ERR_AUTHENTICATION_FAILED/);
    expect(out).toMatch(/replayed\s+-> 401 ERR_EAPI_REPLAYED/);
    expect(out).toMatch(/WebSocket closed 1000 on both sides/);
    expect(out).toMatch(/refused: ERR_AUTHENTICATION_FAILED \(close code 4001/);
    expect(out).not.toMatch(TOKEN);
    expect(out).not.toMatch(/[A-Za-z0-9_-]{43}/); // no base64url secret of any kind
  });
});
