/** Starts fleet-node.ts processes (child_process.fork under tsx) and speaks their IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetNodeConfig } from './fleet-node.js';

const SCRIPT = fileURLToPath(new URL('./fleet-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface FleetEvent {
  type: 'channel' | 'close';
  sessionId: string;
  keyId: string;
  code?: number;
  error?: string;
}

export interface FleetNode {
  child: ChildProcess;
  url: string;
  port: number;
  /** http://127.0.0.1:<port>/verify */
  verifyUrl: string;
  events: FleetEvent[];
  /** The first event (seen or to come) matching, or undefined after `ms`. */
  waitFor(match: (event: FleetEvent) => boolean, ms: number): Promise<FleetEvent | undefined>;
  stats(): Promise<{ channels: number; localSessions: number }>;
  stop(): Promise<void>;
}

export function startFleetNode(config: FleetNodeConfig): Promise<FleetNode> {
  const child = fork(SCRIPT, [JSON.stringify(config)], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const events: FleetEvent[] = [];
  const watchers = new Set<(event: FleetEvent) => void>();
  const replies = new Map<number, (reply: Record<string, unknown>) => void>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fleet node did not start: ${stderr}`));
    }, 60_000);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`fleet node exited before it was ready: ${stderr}`));
    });
    child.on('message', (raw) => {
      const message = raw as Record<string, unknown>;
      if (message.type === 'reply') replies.get(message.id as number)?.(message);
      else if (message.type === 'channel' || message.type === 'close') {
        const event = message as unknown as FleetEvent;
        events.push(event);
        for (const w of watchers) w(event);
      } else if (message.type === 'ready') {
        clearTimeout(timer);
        const port = message.port as number;
        resolve({
          child,
          url: message.url as string,
          port,
          verifyUrl: `http://127.0.0.1:${port}/verify`,
          events,
          waitFor(match, ms) {
            const seen = events.find(match);
            if (seen) return Promise.resolve(seen);
            return new Promise((done) => {
              const t = setTimeout(() => {
                watchers.delete(watcher);
                done(undefined);
              }, ms);
              const watcher = (event: FleetEvent) => {
                if (!match(event)) return;
                clearTimeout(t);
                watchers.delete(watcher);
                done(event);
              };
              watchers.add(watcher);
            });
          },
          stats() {
            const id = nextId++;
            return new Promise((done, fail) => {
              const t = setTimeout(() => fail(new Error('no stats reply')), 10_000);
              replies.set(id, (reply) => {
                clearTimeout(t);
                replies.delete(id);
                done(reply as unknown as { channels: number; localSessions: number });
              });
              child.send({ cmd: 'stats', id });
            });
          },
          async stop() {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGTERM');
              const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
              await exited;
              clearTimeout(killer);
            }
          },
        });
      }
    });
  });
}
