/**
 * `e2e2 serve --workers N`: the primary of a node:cluster. It forks N workers that run the same
 * `e2e2 serve` (sharing the listening socket: the kernel and Node spread connections over them)
 * and share EAPI state: through Redis with --redis, else through the primary, which keeps the
 * session registry and the replay store in memory and answers its workers over IPC
 * (bindings/fleet/ipc.ts). Keys come from the same key store for all (the file is re-read by each
 * worker on change; on Redis revocations are published). A worker that dies is started again
 * (at most once a second); SIGINT/SIGTERM stop every worker cleanly, then the primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { createPrimaryStores, serveStoresOverIpc } from '../fleet/ipc.js';

/** Set in a worker's environment: which worker it is (1..N). */
export const WORKER_ENV = 'E2E2_SERVE_WORKER';
/** Fewest ms between two restarts of dead workers. */
const RESTART_DELAY_MS = 1000;

export interface WorkerReady {
  tag: 'e2e2-serve-ready';
  url: string;
  line: string;
}

export function isServeWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_ENV] !== undefined;
}

/** In a worker: tell the primary this worker listens (the primary prints one line for all). */
export function reportWorkerReady(url: string, line: string): void {
  process.send?.({ tag: 'e2e2-serve-ready', url, line } satisfies WorkerReady);
}

export interface Primary {
  close(): Promise<void>;
}

/** In the primary: fork `count` workers; resolves once every one listens. */
export async function startWorkers(count: number, options: { sharedThroughPrimary: boolean; out: (line: string) => void; log: (line: string) => void }): Promise<Primary> {
  const { out, log } = options;
  const stores = options.sharedThroughPrimary ? createPrimaryStores() : undefined;
  let stopping = false;
  let lastRestart = 0;
  const live = new Set<Worker>();

  const fork = (index: number): Worker => {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) });
    live.add(worker);
    const stopServing = stores ? serveStoresOverIpc(worker, stores) : () => {};
    worker.on('exit', (code, signal) => {
      live.delete(worker);
      stopServing();
      if (stopping) return;
      log(`worker ${index} exited (${signal ?? code}); starting it again`);
      const wait = Math.max(0, lastRestart + RESTART_DELAY_MS - Date.now());
      lastRestart = Date.now() + wait;
      setTimeout(() => {
        if (!stopping) fork(index);
      }, wait).unref();
    });
    return worker;
  };

  const ready = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const worker = fork(i + 1);
      return new Promise<WorkerReady>((resolve, reject) => {
        const onMessage = (message: unknown) => {
          if ((message as WorkerReady)?.tag !== 'e2e2-serve-ready') return;
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          resolve(message as WorkerReady);
        };
        const onExit = (code: number | null) => reject(new Error(`worker ${i + 1} exited (${code}) before it listened`));
        worker.on('message', onMessage);
        worker.once('exit', onExit);
      });
    }),
  ).catch(async (error: unknown) => {
    stopping = true;
    for (const worker of live) worker.kill('SIGTERM');
    throw error;
  });
  out(`${ready[0]!.line} with ${count} workers (pids ${[...live].map((w) => w.process.pid).join(', ')}; EAPI state shared ${stores ? 'through the primary' : 'on Redis'})`);

  return {
    async close() {
      stopping = true;
      await Promise.all(
        [...live].map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              worker.once('exit', () => resolve());
              worker.kill('SIGTERM');
            }),
        ),
      );
      await stores?.sessions.close();
      await stores?.replay.close();
    },
  };
}
