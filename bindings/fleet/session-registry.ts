/**
 * The session registry on Redis (SPEC.md §8; issue 9 item 6): session id → what a verifier needs
 * to check that session's EAPIs, so any node of a fleet verifies an EAPI issued on any other.
 *
 *   key   <prefix>session:<sessionIdHex>          (default prefix "e2e2:")
 *   value {"r":"<base64url eapiRoot>","k":"<keyId>","e":<expiresAt ms>}
 *   TTL   PX expiresAt − now: Redis drops the entry when the session would end anyway; the
 *         server deletes it (DEL) as soon as the session closes for any reason.
 *
 * The eapiRoot is a separate HKDF output of the exporter (SPEC.md §8): it derives EAPI secrets
 * and nothing else, so whoever reads Redis can forge EAPI requests for live sessions but can
 * never decrypt or forge channel traffic. Every command is bounded (commandTimeoutMs) and a
 * failure rejects with ERR_STORE_UNAVAILABLE: verification fails closed.
 *
 * Each node is the authority for the sessions it registered: the registry remembers them (the
 * node holds those sessions' keys in memory anyway) until they are unregistered or expire, and
 * after Redis comes back from an outage (reconnection) it writes them again, so a Redis that
 * restarted empty verifies the node's live sessions again. A session closed while Redis was away
 * is deleted then too: an unregister that failed is retried on reconnection, so a Redis that kept
 * its data never keeps answering for a closed session until its TTL.
 */
import { InvalidArgumentError, StoreUnavailableError } from '../errors.js';
import { SESSION_ID_BYTES } from '../e2e2/constants.js';
import { fromBase64Url, toBase64Url } from '../e2e2/encoding.js';
import type { EapiSessionRecord, SessionRegistry } from '../e2e2/eapi-stores.js';
import { RedisConnection, type RedisSource, type RedisStoreOptions } from './redis.js';

/** Bytes of an EAPI root (HKDF-Expand(exporter, "e2e2/v1/eapi-root" || 0x00, 32)). */
export const EAPI_ROOT_BYTES = 32;

const SESSION_ID_PATTERN = new RegExp(`^[0-9a-f]{${SESSION_ID_BYTES * 2}}$`);

/** Options of a RedisSessionRegistry: the connection's (timeout, key prefix, error reporting). */
export type RedisSessionRegistryOptions = RedisStoreOptions;

function checkSessionId(sessionId: string): void {
  if (typeof sessionId !== 'string' || !SESSION_ID_PATTERN.test(sessionId)) throw new InvalidArgumentError(`sessionId must be ${SESSION_ID_BYTES * 2} lowercase hex characters`);
}

/** The fleet's SessionRegistry: session id → { eapiRoot, keyId, expiresAt } in Redis, with the session's lifetime as TTL. */
export class RedisSessionRegistry implements SessionRegistry {
  readonly #redis: RedisConnection;
  /** This node's live sessions (written again after a reconnection). */
  readonly #local = new Map<string, EapiSessionRecord>();
  /** Sessions closed while Redis could not be told: deleted on reconnection. */
  readonly #pendingDeletes = new Set<string>();
  readonly #stopWatching: () => void;
  #resync: Promise<void> | undefined;
  #resyncAgain = false;

  /** `source`: a redis:// URL (connected here, closed by close()) or a node-redis client of yours. */
  constructor(source: RedisSource, options: RedisSessionRegistryOptions = {}) {
    this.#redis = new RedisConnection(source, options, 'session registry');
    this.#onError = options.onError;
    this.#stopWatching = this.#redis.onReconnect(() => void this.resync());
  }

  readonly #onError: ((error: unknown) => void) | undefined;

  /** Sessions this node registered and that are still live here. */
  get localSessions(): number {
    return this.#local.size;
  }

  /**
   * Write every live session of this node again and delete those closed while Redis was away.
   * Runs by itself after each reconnection; resolves when done (failures go to onError and are
   * retried at the next reconnection).
   */
  resync(now?: number): Promise<void> {
    if (this.#resync !== undefined) {
      // A reconnection during a resync: run once more after it, for what failed in between.
      this.#resyncAgain = true;
      return this.#resync;
    }
    this.#resync = (async () => {
      do {
        this.#resyncAgain = false;
        await this.#resyncOnce(now ?? Date.now());
      } while (this.#resyncAgain);
    })().finally(() => (this.#resync = undefined));
    return this.#resync;
  }

  async #resyncOnce(now: number): Promise<void> {
    for (const sessionId of [...this.#pendingDeletes]) {
      try {
        await this.#redis.command(['DEL', this.#key(sessionId)]);
        this.#pendingDeletes.delete(sessionId);
      } catch (error) {
        this.#onError?.(error);
      }
    }
    for (const [sessionId, record] of [...this.#local]) {
      // Unregistered (or registered anew) since the snapshot: not this record's to write.
      if (this.#local.get(sessionId) !== record) continue;
      if (record.expiresAt <= now) {
        this.#forget(sessionId);
        continue;
      }
      try {
        await this.#write(sessionId, record, now);
        // Closed while the write was on its way: a closed session must not stay in Redis.
        if (!this.#local.has(sessionId)) await this.#redis.command(['DEL', this.#key(sessionId)]);
      } catch (error) {
        this.#onError?.(error);
      }
    }
  }

  #forget(sessionId: string): void {
    this.#local.get(sessionId)?.eapiRoot.fill(0);
    this.#local.delete(sessionId);
  }

  async #write(sessionId: string, record: EapiSessionRecord, now: number): Promise<void> {
    const ttl = record.expiresAt - now;
    if (ttl <= 0) return;
    const value = JSON.stringify({ r: toBase64Url(record.eapiRoot), k: record.keyId, e: record.expiresAt });
    await this.#redis.command(['SET', this.#key(sessionId), value, 'PX', String(ttl)]);
  }

  /** Resolves once connected; rejects with ERR_STORE_UNAVAILABLE after commandTimeoutMs. */
  ready(): Promise<void> {
    return this.#redis.ready();
  }

  #key(sessionId: string): string {
    return `${this.#redis.prefix}session:${sessionId}`;
  }

  async register(sessionId: string, record: EapiSessionRecord, now: number = Date.now()): Promise<void> {
    checkSessionId(sessionId);
    const { eapiRoot, keyId, expiresAt } = record ?? ({} as EapiSessionRecord);
    if (!(eapiRoot instanceof Uint8Array) || eapiRoot.length !== EAPI_ROOT_BYTES) throw new InvalidArgumentError(`eapiRoot must be ${EAPI_ROOT_BYTES} bytes`);
    if (typeof keyId !== 'string') throw new InvalidArgumentError('keyId must be a string');
    if (!Number.isSafeInteger(expiresAt)) throw new InvalidArgumentError('expiresAt must be an integer number of ms since the Unix epoch');
    if (expiresAt <= now) return; // already over: nothing to verify against
    // Kept (a copy) before the write: a write that fails now is done again on reconnection.
    this.#forget(sessionId);
    this.#local.set(sessionId, { eapiRoot: eapiRoot.slice(), keyId, expiresAt });
    this.#pendingDeletes.delete(sessionId);
    // Dropped once it ends, whether or not anyone unregisters it (a bounded map).
    const timer = setTimeout(() => {
      if (this.#local.get(sessionId)?.expiresAt === expiresAt) this.#forget(sessionId);
    }, Math.min(expiresAt - now, 2 ** 31 - 1));
    timer.unref();
    await this.#write(sessionId, this.#local.get(sessionId)!, now);
  }

  async lookup(sessionId: string, now: number = Date.now()): Promise<EapiSessionRecord | undefined> {
    // Any string can arrive here from a request's keyid: a malformed id is simply unknown.
    if (typeof sessionId !== 'string' || !SESSION_ID_PATTERN.test(sessionId)) return undefined;
    const reply = await this.#redis.command(['GET', this.#key(sessionId)]);
    if (reply === null || reply === undefined) return undefined;
    const record = parseRecord(reply);
    if (record === undefined) throw new StoreUnavailableError('the session registry holds a malformed entry', { cause: { sessionId } });
    if (record.expiresAt <= now) {
      record.eapiRoot.fill(0);
      return undefined;
    }
    return record;
  }

  async unregister(sessionId: string): Promise<void> {
    checkSessionId(sessionId);
    const wasLocal = this.#local.has(sessionId);
    this.#forget(sessionId);
    try {
      await this.#redis.command(['DEL', this.#key(sessionId)]);
    } catch (error) {
      // Retried on reconnection: a Redis that kept its data must not answer for a closed session.
      if (wasLocal) this.#pendingDeletes.add(sessionId);
      throw error;
    }
  }

  /** Ends the connection if it was opened here from a URL (a client passed in stays yours) and wipes the local copies. */
  close(): Promise<void> {
    this.#stopWatching();
    for (const sessionId of [...this.#local.keys()]) this.#forget(sessionId);
    this.#pendingDeletes.clear();
    return this.#redis.close();
  }
}

function parseRecord(reply: unknown): EapiSessionRecord | undefined {
  const text = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString('utf8') : undefined;
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { r, k, e } = data as { r?: unknown; k?: unknown; e?: unknown };
  if (typeof r !== 'string' || typeof k !== 'string' || !Number.isSafeInteger(e)) return undefined;
  const eapiRoot = fromBase64Url(r);
  if (eapiRoot === undefined || eapiRoot.length !== EAPI_ROOT_BYTES) return undefined;
  return { eapiRoot, keyId: k, expiresAt: e as number };
}
