/**
 * The `e2e2` command. Every failure prints one line (`e2e2: message [ERR_CODE]`) on stderr and
 * exits non-zero (2 for usage errors, 1 otherwise); `--help` works on every command.
 */
import { benchAvailable, benchCommand, BENCH_HELP } from './bench.js';
import { connectCommand, CONNECT_HELP } from './connect.js';
import { demoCommand, DEMO_HELP } from './demo.js';
import { keysCommand, KEYS_HELP } from './keys.js';
import { serveCommand, SERVE_HELP } from './serve.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, errorLine, packageRoot, usage } from './util.js';

export const MAIN_HELP = `Usage: e2e2 <command> [options]

E2-E2 secure channels (Noise_NNpsk2_25519_ChaChaPoly_SHA256) over WebSocket.

Commands:
  keys create|list|revoke   manage the server's API keys (secrets printed once, at creation)
  serve                     run a server: echo, --forward HOST:PORT (TCP tunnel), --demo (browser page)
  connect URL               stdin/stdout over a channel, or --listen PORT (client end of a tunnel)
  bench                     benchmarks: e2e2 vs wss:// (TLS 1.3) and ws://
  demo                      the whole flow on 127.0.0.1 (what npm start runs)

Run "e2e2 <command> --help" for a command's options; "e2e2 --version" prints the version.
`;

/** The version in the package's own package.json (found from the built dist/cli as from the sources). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export const HELP: Record<string, string> = { keys: KEYS_HELP, serve: SERVE_HELP, connect: CONNECT_HELP, bench: BENCH_HELP, demo: DEMO_HELP };

/** Something that must be stopped on SIGINT/SIGTERM (a server or a tunnel listener). */
interface Closable {
  close(): Promise<void>;
}

async function run(argv: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const [command, ...args] = argv;
  let running: Closable | undefined;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      // An installed package has no bench/: do not offer a command that cannot run there.
      out(benchAvailable() ? MAIN_HELP : MAIN_HELP.replace(/^ {2}bench .*\n/m, ''));
      if (command === undefined) throw usage('missing command');
      return 0;
    case '-V':
    case '--version':
      out(packageVersion());
      return 0;
    case 'keys':
      await keysCommand(args, out);
      return 0;
    case 'demo':
      return (await demoCommand(args, out)) ?? 0;
    case 'bench':
      return (await benchCommand(args, out)) ?? 0;
    case 'serve':
      running = await serveCommand(args, out, log);
      break;
    case 'connect': {
      const result = await connectCommand(args, { out, log, stdin: process.stdin, stdout: process.stdout });
      if (typeof result === 'number' || result === undefined) return result ?? 0;
      running = result;
      break;
    }
    default:
      throw usage(`unknown command "${command}"`);
  }
  if (running === undefined) return 0;
  // Long-running: stop cleanly (channels get CLOSE records and 1001) on SIGINT or SIGTERM.
  const server = running;
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

export async function main(argv: string[]): Promise<void> {
  // A closed stdout (e2e2 demo | head) ends the command quietly, like other Unix tools.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  // A log reader that went away must not take a server down with it (peers trigger log lines): drop them.
  process.stderr.on('error', () => {});
  try {
    const code = await run(argv);
    process.exitCode = code;
  } catch (error) {
    process.stderr.write(`e2e2: ${errorLine(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  }
  // Leave even if a handle (stdin still open, a keep-alive socket) would keep the process alive;
  // wait for stdout to drain first (pipes to a slow reader).
  const exit = () => setImmediate(() => process.exit(process.exitCode ?? 0));
  if (process.stdout.writableNeedDrain) process.stdout.once('drain', exit);
  else exit();
}

void main(process.argv.slice(2));
