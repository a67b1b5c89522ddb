/** Loopback fixtures for the channel tests: servers with in-memory keys, raw WebSocket peers. */
import { WebSocket, type ClientOptions } from 'ws';
import { generateApiKey, type GeneratedApiKey } from '../../bindings/e2e2/api-key.js';
import { createServer, type E2E2Server, type ServerOptions } from '../../bindings/channel/server.js';
import type { Channel } from '../../bindings/channel/channel.js';
import { bytesFromSeed } from './random.js';

export interface Keys {
  /** Valid keys by id. */
  readonly map: Map<string, Uint8Array>;
  add(): GeneratedApiKey;
  revoke(keyId: string): void;
  resolve: (keyId: string) => Uint8Array | undefined;
}

/** An in-memory key table (the KeyStore file is tested on its own). */
export function memoryKeys(): Keys {
  const map = new Map<string, Uint8Array>();
  return {
    map,
    add() {
      const key = generateApiKey();
      map.set(key.keyId, key.secret.slice());
      return key;
    },
    revoke: (keyId) => void map.delete(keyId),
    resolve: (keyId) => map.get(keyId)?.slice(),
  };
}

/** Echo every message back until the client ends. */
export async function echoHandler(channel: Channel): Promise<void> {
  for await (const message of channel) {
    if (!channel.writable) break;
    if (!channel.send(message)) await channel.drained();
  }
}

export async function startEchoServer(keys: Keys, options: Partial<ServerOptions> = {}): Promise<E2E2Server> {
  return createServer({ keys: keys.resolve, host: '127.0.0.1', port: 0, onChannel: echoHandler, ...options });
}

/** A raw `ws` peer speaking whatever bytes a test wants. */
export interface RawPeer {
  ws: WebSocket;
  messages: Uint8Array[];
  /** Resolves with the close code and reason the server sent. */
  closed: Promise<{ code: number; reason: string }>;
  nextMessage(): Promise<Uint8Array>;
}

export function rawPeer(url: string, options: ClientOptions = {}): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const messages: Uint8Array[] = [];
    const waiting: ((m: Uint8Array) => void)[] = [];
    const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer) => {
      const m = new Uint8Array(data);
      const w = waiting.shift();
      if (w) w(m);
      else messages.push(m);
    });
    ws.on('error', () => {});
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        closed,
        nextMessage: () => {
          const m = messages.shift();
          if (m) return Promise.resolve(m);
          return new Promise<Uint8Array>((res, rej) => {
            waiting.push(res);
            void closed.then((c) => rej(new Error(`closed ${c.code} before a message arrived`)));
          });
        },
      }),
    );
    ws.once('unexpected-response', () => reject(new Error('unexpected HTTP response')));
    ws.once('close', () => reject(new Error('closed before open')));
  });
}

/** Deterministic test bytes: seed-dependent, so misplaced or swapped messages are caught. */
export function pattern(length: number, seed: number): Uint8Array {
  return bytesFromSeed(Math.imul(seed + 1, 2654435761), length);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
