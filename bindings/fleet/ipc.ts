/**
 * Fleet state without Redis, for the workers of one `e2e2 serve --workers N` (node:cluster): the
 * primary keeps one MemorySessionRegistry and one MemoryReplayStore and answers its workers over
 * the cluster IPC channel, so an EAPI issued on a channel held by one worker verifies on any other
 * and a nonce is used once across all of them. One machine only; across machines, use Redis.
 *
 * Each call is bounded (commandTimeoutMs, default 1,000 ms): no answer (the primary busy or gone)
 * rejects with ERR_STORE_UNAVAILABLE, and verification fails closed, as with Redis.
 */
import { InvalidArgumentError, StoreUnavailableError } from '../errors.js';
import { fromBase64Url, toBase64Url } from '../e2e2/encoding.js';
import { MemoryReplayStore, MemorySessionRegistry, type EapiSessionRecord, type ReplayStore, type SessionRegistry } from '../e2e2/eapi-stores.js';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './redis.js';

/** The tag on every message of this protocol (other IPC traffic is left alone). */
const TAG = 'e2e2-fleet-store';

type Op = 'register' | 'lookup' | 'unregister' | 'claim';

interface Request {
  tag: typeof TAG;
  id: number;
  op: Op;
  sessionId?: string;
  record?: { r: string; k: string; e: number };
  key?: string;
  ttlMs?: number;
}

interface Reply {
  tag: typeof TAG;
  id: number;
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

/** What both ends need of an IPC channel: `process` in a worker, a cluster Worker in the primary. */
export interface IpcChannel {
  /** Absent in a process without an IPC channel: every call then fails (ERR_STORE_UNAVAILABLE). */
  send?(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

function isTagged(message: unknown): message is Record<string, unknown> {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === TAG;
}

/** The primary's side: serve the stores to one worker's channel; returns a function that stops. */
export function serveStoresOverIpc(channel: IpcChannel, stores: { sessions: SessionRegistry; replay: ReplayStore }): () => void {
  const onMessage = (message: unknown) => {
    if (!isTagged(message)) return;
    const request = message as unknown as Request;
    const reply = (body: Omit<Reply, 'tag' | 'id'>) => {
      try {
        channel.send?.({ tag: TAG, id: request.id, ...body });
      } catch {
        // The worker is gone: its call times out there, if it still waits.
      }
    };
    void (async () => {
      switch (request.op) {
        case 'register': {
          const eapiRoot = typeof request.record?.r === 'string' ? fromBase64Url(request.record.r) : undefined;
          if (eapiRoot === undefined) throw new InvalidArgumentError('register: malformed record');
          await stores.sessions.register(String(request.sessionId), { eapiRoot, keyId: String(request.record!.k), expiresAt: Number(request.record!.e) });
          eapiRoot.fill(0);
          return undefined;
        }
        case 'lookup': {
          const record = await stores.sessions.lookup(String(request.sessionId));
          if (record === undefined) return null;
          const value = { r: toBase64Url(record.eapiRoot), k: record.keyId, e: record.expiresAt };
          record.eapiRoot.fill(0);
          return value;
        }
        case 'unregister':
          await stores.sessions.unregister(String(request.sessionId));
          return undefined;
        case 'claim':
          return stores.replay.claim(String(request.key), Number(request.ttlMs));
        default:
          throw new InvalidArgumentError('unknown store operation');
      }
    })().then(
      (value) => reply({ ok: true, value }),
      (error: unknown) => {
        const e = error as { code?: unknown; message?: unknown };
        reply({ ok: false, code: typeof e?.code === 'string' ? e.code : 'ERR_STORE_UNAVAILABLE', message: typeof e?.message === 'string' ? e.message : 'store failure' });
      },
    );
  };
  channel.on('message', onMessage);
  return () => channel.off('message', onMessage);
}

/** The primary's stores (in memory, shared by every worker). */
export function createPrimaryStores(): { sessions: MemorySessionRegistry; replay: MemoryReplayStore } {
  return { sessions: new MemorySessionRegistry(), replay: new MemoryReplayStore() };
}

/** A worker's end: one pending-call table over the channel to the primary. */
class IpcClient {
  readonly #channel: IpcChannel;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void; timer: ReturnType<typeof setTimeout> }>();
  readonly #what: string;
  #nextId = 1;
  #listening = false;

  constructor(channel: IpcChannel, timeoutMs: number, what: string) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new InvalidArgumentError('commandTimeoutMs must be a positive integer');
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
    this.#what = what;
  }

  readonly #onMessage = (message: unknown) => {
    if (!isTagged(message)) return;
    const reply = message as unknown as Reply;
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#settle(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else if (reply.code === 'ERR_INVALID_ARGUMENT') pending.reject(new InvalidArgumentError(reply.message ?? 'invalid argument'));
    else pending.reject(new StoreUnavailableError(`the primary's ${this.#what} failed`, { cause: { code: reply.code, message: reply.message } }));
  };

  #settle(id: number): void {
    const pending = this.#pending.get(id);
    if (pending) clearTimeout(pending.timer);
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#listening) {
      this.#listening = false;
      this.#channel.off('message', this.#onMessage);
    }
  }

  call(request: Omit<Request, 'tag' | 'id'>): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(id);
        reject(new StoreUnavailableError(`the primary's ${this.#what} did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      if (!this.#listening) {
        this.#listening = true;
        this.#channel.on('message', this.#onMessage);
      }
      try {
        if (typeof this.#channel.send !== 'function') throw new Error('this process has no IPC channel');
        this.#channel.send({ tag: TAG, id, ...request });
      } catch (error) {
        this.#settle(id);
        reject(new StoreUnavailableError(`cannot reach the primary's ${this.#what}`, { cause: error }));
      }
    });
  }

  close(): void {
    for (const [id, pending] of [...this.#pending]) {
      this.#settle(id);
      pending.reject(new StoreUnavailableError(`the ${this.#what} is closed`));
    }
  }
}

/** A worker's SessionRegistry: the primary's, over IPC. */
export class IpcSessionRegistry implements SessionRegistry {
  readonly #client: IpcClient;

  constructor(channel: IpcChannel, options: { commandTimeoutMs?: number } = {}) {
    this.#client = new IpcClient(channel, options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS, 'session registry');
  }

  async register(sessionId: string, record: EapiSessionRecord): Promise<void> {
    // Serialized before the first await: the caller may wipe its eapiRoot as soon as this returns.
    const call = this.#client.call({ op: 'register', sessionId, record: { r: toBase64Url(record.eapiRoot), k: record.keyId, e: record.expiresAt } });
    await call;
  }

  async lookup(sessionId: string): Promise<EapiSessionRecord | undefined> {
    const value = (await this.#client.call({ op: 'lookup', sessionId })) as { r: string; k: string; e: number } | null;
    if (value === null || value === undefined) return undefined;
    const eapiRoot = fromBase64Url(value.r);
    if (eapiRoot === undefined) throw new StoreUnavailableError("the primary's session registry answered a malformed record");
    return { eapiRoot, keyId: value.k, expiresAt: value.e };
  }

  async unregister(sessionId: string): Promise<void> {
    await this.#client.call({ op: 'unregister', sessionId });
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

/** A worker's ReplayStore: the primary's, over IPC. */
export class IpcReplayStore implements ReplayStore {
  readonly #client: IpcClient;

  constructor(channel: IpcChannel, options: { commandTimeoutMs?: number } = {}) {
    this.#client = new IpcClient(channel, options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS, 'replay store');
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#client.call({ op: 'claim', key, ttlMs })) === true;
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}
