/** Starts server-fixture.ts as a child process and speaks its stdout/stdin line protocol. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { FixtureConfig } from './server-fixture.js';

const SCRIPT = fileURLToPath(new URL('./server-fixture.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface FixtureEvent {
  type: 'channel' | 'close' | 'error' | 'setup' | 'handshakeError';
  keyId?: string;
  sessionId?: string;
  code?: number;
  error?: { code?: string; message: string; cause?: string };
  message?: string;
}

export interface Fixture {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  url: string;
  port: number;
  /** Ordinary keys. */
  tokens: string[];
  /** A key whose server.on('channel') listener throws. */
  channelThrows: string;
  /** A key whose onChannel handler rejects. */
  handlerRejects: string;
  events: FixtureEvent[];
  /** True while the process runs. */
  alive(): boolean;
  /**
   * True once the process answered a command; false if it exited first. (A crash is seen by the
   * client's TCP connection before the 'exit' event reaches us, so exitCode alone would race.)
   */
  responsive(): Promise<boolean>;
  /** How it ended, with the tail of its stderr (for assertion messages). */
  exitReport(): string;
  /** Resolves with the first event (seen or to come) matching, or undefined after `ms`. */
  waitFor(match: (event: FixtureEvent) => boolean, ms: number): Promise<FixtureEvent | undefined>;
  command(cmd: Record<string, unknown>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Start under `ulimit -n` (soft and hard) of this many descriptors. */
  fdLimit?: number;
}

export function startFixture(config: FixtureConfig = {}, start: StartOptions = {}): Promise<Fixture> {
  const args = ['--import', 'tsx', SCRIPT, JSON.stringify(config)];
  const child =
    start.fdLimit === undefined
      ? spawn(process.execPath, args, { cwd: ROOT })
      : spawn('bash', ['-c', 'ulimit -n "$1" && shift && exec "$@"', 'bash', String(start.fdLimit), process.execPath, ...args], { cwd: ROOT });
  let stderr = '';
  // Writing a command to a process that just died: the 'exit' event answers it, not an EPIPE crash.
  child.stdin.on('error', () => {});
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const events: FixtureEvent[] = [];
  const watchers = new Set<(event: FixtureEvent) => void>();
  const replies = new Map<number, (reply: Record<string, unknown>) => void>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const exitReport = () => (alive() ? 'running' : `the server process exited (code ${child.exitCode}, signal ${child.signalCode}): ${stderr.trim().split('\n').slice(-6).join(' | ')}`);

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server fixture did not start: ${stderr}`));
    }, 60_000);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server fixture exited before it was ready: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const space = line.indexOf(' ');
      const kind = line.slice(0, space);
      const value = JSON.parse(line.slice(space + 1)) as Record<string, unknown>;
      if (kind === 'EVENT') {
        const event = value as unknown as FixtureEvent;
        events.push(event);
        for (const w of watchers) w(event);
      } else if (kind === 'REPLY') replies.get(value.id as number)?.(value);
      else if (kind === 'READY') {
        clearTimeout(timer);
        const ready = value as { url: string; port: number; pid: number; tokens: string[]; channelThrows: string; handlerRejects: string };
        const fixture: Fixture = {
          child,
          ...ready,
          events,
          alive,
          exitReport,
          responsive() {
            return fixture.command({ cmd: 'stats' }).then(
              () => true,
              () => false,
            );
          },
          waitFor(match, ms) {
            const seen = events.find(match);
            if (seen) return Promise.resolve(seen);
            return new Promise((done) => {
              const t = setTimeout(() => {
                watchers.delete(watcher);
                done(undefined);
              }, ms);
              const watcher = (event: FixtureEvent) => {
                if (!match(event)) return;
                clearTimeout(t);
                watchers.delete(watcher);
                done(event);
              };
              watchers.add(watcher);
            });
          },
          command(cmd) {
            if (!alive()) return Promise.reject(new Error(exitReport()));
            const id = nextId++;
            return new Promise((done, fail) => {
              replies.set(id, done);
              void exited.then(() => fail(new Error(exitReport())));
              child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
            });
          },
          async stop() {
            if (alive()) {
              child.stdin.end();
              const t = setTimeout(() => child.kill('SIGKILL'), 5000);
              await exited;
              clearTimeout(t);
            }
          },
        };
        resolve(fixture);
      }
    });
  });
}
