/**
 * Shared state behind EAPI verification (SPEC.md §8): which sessions are live and which request
 * nonces were used. The embedded default keeps both in memory; a fleet puts them in Redis
 * (e2e2/fleet) so that any node verifies an EAPI issued on any other.
 *
 * What a registry holds is the session's EAPI root, a separate HKDF output of the exporter
 * (LABEL_EAPI_ROOT): it derives EAPI secrets and nothing else, so reading the store never
 * decrypts traffic or forges records.
 */

/** What a verifier needs to check a session's EAPIs. */
export interface EapiSessionRecord {
  /** eapiRoot = HKDF-Expand(exporter, "e2e2/v1/eapi-root" || 0x00, 32). Secret: wipe copies after use. */
  eapiRoot: Uint8Array;
  /** Id of the API key the session authenticated with (scope policy, revocation). */
  keyId: string;
  /** When the session ends at the latest, ms since the Unix epoch: the entry's time to live. */
  expiresAt: number;
}

/** Session id (32 lowercase hex characters) → record. Entries vanish at `expiresAt` or on `unregister`. */
export interface SessionRegistry {
  register(sessionId: string, record: EapiSessionRecord): Promise<void>;
  /** The record, or undefined when the session is unknown, closed or expired. Rejects with StoreUnavailableError. */
  lookup(sessionId: string): Promise<EapiSessionRecord | undefined>;
  /** Idempotent. Called when the session closes for any reason. */
  unregister(sessionId: string): Promise<void>;
  close?(): Promise<void>;
}

/** Single-use request nonces. */
export interface ReplayStore {
  /**
   * Record the first use of `key` for `ttlMs` milliseconds: resolves true the first time, false for a
   * replay. Rejects with StoreUnavailableError when the store cannot answer (the caller fails closed).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  close?(): Promise<void>;
}
