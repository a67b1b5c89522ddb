/**
 * Flood loops from other loopback source addresses (127.0.0.2, 127.0.0.3, ... via `localAddress`),
 * and the legitimate client that keeps connecting from 127.0.0.1 meanwhile. Every attacker slot
 * holds at most one connection and reconnects after the server drops it, so the number of attacker
 * connections is bounded by the slots; stop() closes every one of them.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { createClientHandshake } from '../../../bindings/e2e2/handshake.js';
import { generateApiKey } from '../../../bindings/e2e2/api-key.js';
import { sleep } from '../channel.js';
import { roundTrip, within } from './legit.js';

export const ATTACKER_SOURCES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

export type FloodKind = 'churn' | 'idle-websocket' | 'idle-tcp';

export interface FloodStats {
  /** Connections opened (TCP connected, or WebSocket open). */
  opened: number;
  /** Connections refused or dropped before they opened. */
  refused: number;
  /** Close codes the server sent to attacker WebSockets. */
  closeCodes: Record<number, number>;
}

export interface Flood {
  readonly stats: FloodStats;
  /** Connections currently held. */
  readonly holding: number;
  stop(): Promise<FloodStats>;
}

/**
 * A pause before reconnecting, so one slot cannot spin: 1-2 s after the server dropped it. (The
 * attackers share a process with the legitimate client; a faster retry loop measures mostly how
 * busy that process is.)
 */
const backoff = () => sleep(1000 + Math.random() * 1000);

/**
 * `perSource` slots on each of `sources`:
 * - churn: open a WebSocket, send a message 1 (unknown key id: the server still does the DH), close, again
 * - idle-websocket: open a WebSocket and send nothing
 * - idle-tcp: open a TCP connection and never send the HTTP upgrade
 */
export function startFlood(kind: FloodKind, port: number, path: string, perSource: number, sources = ATTACKER_SOURCES): Flood {
  const stats: FloodStats = { opened: 0, refused: 0, closeCodes: {} };
  const live = new Set<{ destroy(): void }>();
  let stopped = false;
  const message1s = Array.from({ length: 16 }, () => createClientHandshake({ apiKey: generateApiKey().token }).writeMessage1());

  /** One WebSocket attempt; resolves when it is closed. */
  const webSocketOnce = (localAddress: string, index: number) =>
    new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { localAddress, perMessageDeflate: false, handshakeTimeout: 15_000 });
      const handle = { destroy: () => ws.terminate() };
      live.add(handle);
      let opened = false;
      ws.on('error', () => {});
      ws.on('open', () => {
        opened = true;
        stats.opened++;
        if (kind === 'churn') {
          ws.send(message1s[index % message1s.length]!);
          ws.close(1000);
        }
      });
      ws.on('close', (code) => {
        live.delete(handle);
        if (!opened) stats.refused++;
        else if (!stopped) stats.closeCodes[code] = (stats.closeCodes[code] ?? 0) + 1;
        resolve(opened);
      });
    });

  /** One raw TCP attempt that never speaks; resolves when it is closed. */
  const tcpOnce = (localAddress: string) =>
    new Promise<boolean>((resolve) => {
      const socket: Socket = netConnect({ host: '127.0.0.1', port, localAddress });
      live.add(socket);
      socket.on('error', () => {});
      socket.once('connect', () => stats.opened++);
      socket.once('close', () => {
        live.delete(socket);
        resolve(true);
      });
    });

  const loops = sources.flatMap((source) =>
    Array.from({ length: perSource }, async (_, index) => {
      while (!stopped) {
        const opened = kind === 'idle-tcp' ? await tcpOnce(source) : await webSocketOnce(source, index);
        // Churn reconnects at once; a slot the server dropped or refused waits first.
        if ((kind !== 'churn' || !opened) && !stopped) await backoff();
      }
    }),
  );

  return {
    stats,
    get holding() {
      return live.size;
    },
    async stop() {
      stopped = true;
      for (const handle of live) handle.destroy();
      await Promise.all(loops);
      return stats;
    },
  };
}

export interface LegitResult {
  attempts: number;
  successes: number;
  /** Failures by error code. */
  failures: Record<string, number>;
  rate: number;
}

/**
 * A legitimate client from 127.0.0.1: connect + echo + close, one after another, for at least
 * `durationMs` and at least `minAttempts` attempts (each bounded), at most `maxMs` in all.
 */
export async function legitLoop(url: string, token: string, durationMs: number, minAttempts = 10, maxMs = 90_000): Promise<LegitResult> {
  const started = Date.now();
  const result: LegitResult = { attempts: 0, successes: 0, failures: {}, rate: 0 };
  const elapsed = () => Date.now() - started;
  while ((elapsed() < durationMs || result.attempts < minAttempts) && elapsed() < maxMs) {
    result.attempts++;
    try {
      const outcome = await within(roundTrip(url, token, { handshakeTimeoutMs: 5000 }), 20_000, 'timeout' as const);
      if (outcome === 'timeout') throw Object.assign(new Error('round trip timed out'), { code: 'TIMEOUT' });
      result.successes++;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unknown';
      result.failures[code] = (result.failures[code] ?? 0) + 1;
    }
    await sleep(100);
  }
  result.rate = result.successes / result.attempts;
  return result;
}
