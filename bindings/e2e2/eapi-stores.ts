/**
 * Shared state behind EAPI verification (SPEC.md §8): which sessions are live and which request
 * nonces were used. The embedded default keeps both in memory; a fleet puts them in Redis
 * (e2e2/fleet) so that any node verifies an EAPI issued on any other.
 *
 * What a registry holds is the session's EAPI root, a separate HKDF output of the exporter
 * (LABEL_EAPI_ROOT): it derives EAPI secrets and nothing else, so reading the store never
 * decrypts traffic or forges records.
 */
import { InvalidArgumentError, StoreUnavailableError } from '../errors.js';
import { EAPI_ROOT_BYTES } from './constants.js';

/** What a verifier needs to check a session's EAPIs. */
export interface EapiSessionRecord {
  /** deriveEapiRoot(exporter) (SPEC.md §6.5). Secret: wipe copies after use. */
  eapiRoot: Uint8Array;
  /** Id of the API key the session authenticated with (scope policy, revocation). */
  keyId: string;
  /** When the session ends at the latest, ms since the Unix epoch: the entry's time to live. */
  expiresAt: number;
}

/** Session id (32 lowercase hex characters) → record. Entries vanish at `expiresAt` or on `unregister`. */
export interface SessionRegistry {
  /** Store (or replace) the record of a live session; it expires at `record.expiresAt`. */
  register(sessionId: string, record: EapiSessionRecord): Promise<void>;
  /** The record, or undefined when the session is unknown, closed or expired. Rejects with StoreUnavailableError. */
  lookup(sessionId: string): Promise<EapiSessionRecord | undefined>;
  /** Idempotent. Called when the session closes for any reason. */
  unregister(sessionId: string): Promise<void>;
  /** Release connections; the registry is not used afterwards. */
  close?(): Promise<void>;
}

/** Single-use request nonces. */
export interface ReplayStore {
  /**
   * Record the first use of `key` for `ttlMs` milliseconds: resolves true the first time, false for a
   * replay. Rejects with StoreUnavailableError when the store cannot answer (the caller fails closed).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Release connections; the store is not used afterwards. */
  close?(): Promise<void>;
}

/** Default capacity of a MemorySessionRegistry (sessions). */
export const DEFAULT_MEMORY_REGISTRY_ENTRIES = 100_000;
/** Default capacity of a MemoryReplayStore (live nonces). */
export const DEFAULT_MEMORY_REPLAY_ENTRIES = 1_000_000;

function copyRecord(record: EapiSessionRecord): EapiSessionRecord {
  return { eapiRoot: record.eapiRoot.slice(), keyId: record.keyId, expiresAt: record.expiresAt };
}

/**
 * The embedded SessionRegistry: one process, in memory. Stores its own copy of each record (wiped
 * when it is unregistered, replaced or expires) and hands out copies, so no caller's array is
 * ever written or kept. Full (maxEntries live sessions): register rejects with StoreUnavailableError.
 */
export class MemorySessionRegistry implements SessionRegistry {
  readonly #entries = new Map<string, EapiSessionRecord>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    const max = options.maxEntries ?? DEFAULT_MEMORY_REGISTRY_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1) throw new InvalidArgumentError('maxEntries must be a positive integer');
    this.#maxEntries = max;
    this.#now = options.now ?? Date.now;
  }

  /** Live entries (expired ones are dropped on access and when room is needed). */
  get size(): number {
    return this.#entries.size;
  }

  /** Store a copy of `record`; rejects with StoreUnavailableError when full. */
  async register(sessionId: string, record: EapiSessionRecord): Promise<void> {
    assertRecord(sessionId, record);
    if (!this.#entries.has(sessionId) && this.#entries.size >= this.#maxEntries) this.#sweep();
    if (!this.#entries.has(sessionId) && this.#entries.size >= this.#maxEntries) {
      throw new StoreUnavailableError(`session registry is full (${this.#maxEntries} sessions)`);
    }
    this.#drop(sessionId);
    this.#entries.set(sessionId, copyRecord(record));
  }

  async lookup(sessionId: string): Promise<EapiSessionRecord | undefined> {
    const entry = this.#entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#drop(sessionId);
      return undefined;
    }
    return copyRecord(entry);
  }

  async unregister(sessionId: string): Promise<void> {
    this.#drop(sessionId);
  }

  /** Drop (and wipe) every entry. */
  async close(): Promise<void> {
    for (const id of [...this.#entries.keys()]) this.#drop(id);
  }

  #drop(sessionId: string): void {
    const entry = this.#entries.get(sessionId);
    if (entry === undefined) return;
    entry.eapiRoot.fill(0);
    this.#entries.delete(sessionId);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) if (now >= entry.expiresAt) this.#drop(id);
  }
}

/**
 * The embedded ReplayStore: one process, in memory, each key kept for its ttl. When every slot
 * holds a live nonce, claim rejects with StoreUnavailableError (fail closed) rather than forget one.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #expiry = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    const max = options.maxEntries ?? DEFAULT_MEMORY_REPLAY_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1) throw new InvalidArgumentError('maxEntries must be a positive integer');
    this.#maxEntries = max;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#expiry.size;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError('key must be a non-empty string');
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new InvalidArgumentError('ttlMs must be a positive integer');
    const now = this.#now();
    const until = this.#expiry.get(key);
    if (until !== undefined && now < until) return false;
    if (until === undefined && this.#expiry.size >= this.#maxEntries) {
      for (const [k, t] of this.#expiry) if (now >= t) this.#expiry.delete(k);
      if (this.#expiry.size >= this.#maxEntries) throw new StoreUnavailableError(`replay store is full (${this.#maxEntries} live nonces)`);
    }
    this.#expiry.set(key, now + ttlMs);
    return true;
  }

  /** Forget every nonce. */
  async close(): Promise<void> {
    this.#expiry.clear();
  }
}

function assertRecord(sessionId: string, record: EapiSessionRecord): void {
  if (typeof sessionId !== 'string' || !SESSION_ID_HEX.test(sessionId)) throw new InvalidArgumentError('sessionId must be 32 lowercase hex characters');
  if (typeof record !== 'object' || record === null) throw new InvalidArgumentError('record must be an object');
  if (!(record.eapiRoot instanceof Uint8Array) || record.eapiRoot.length !== EAPI_ROOT_BYTES) throw new InvalidArgumentError(`eapiRoot must be ${EAPI_ROOT_BYTES} bytes`);
  if (typeof record.keyId !== 'string') throw new InvalidArgumentError('keyId must be a string');
  if (!Number.isSafeInteger(record.expiresAt) || record.expiresAt < 0) throw new InvalidArgumentError('expiresAt must be a time in ms since the Unix epoch');
}

const SESSION_ID_HEX = /^[0-9a-f]{32}$/;
