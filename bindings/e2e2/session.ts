/**
 * E2-E2 sessions (SPEC.md §7): the transport phase after the handshake, sans-IO (records in,
 * records out). A record is one Noise transport message (Noise §5.1 EncryptWithAd with empty ad)
 * whose plaintext is type (1 byte) || body:
 *
 *   0x01 DATA   application data (0..65,518 bytes)
 *   0x02 CLOSE  empty; the sender's direction ends here (so truncation is detected)
 *   0x03 REKEY  application data (possibly empty); the sender's key becomes REKEY(k) (Noise §4.2)
 *               right after this record, on both sides. Sent by rekey(), and automatically as the
 *               last record under a key once `rekeyAfterRecords` records were sent with it.
 *
 * States: 'pending' (server only: until the client's first record authenticates, which proves
 * the client knows the API key), 'established', 'closing' (one direction closed), 'closed'
 * (both), 'disposed' (keys wiped). Every failed open() or seal() changes nothing.
 */
import {
  InvalidArgumentError,
  InvalidStateError,
  MalformedMessageError,
  MessageTooLargeError,
  PayloadTooLargeError,
  SessionClosedError,
  SessionDisposedError,
  AuthenticationError,
} from '../errors.js';
import { CipherState } from '../noise/cipher-state.js';
import { assertBytes } from '../core/bytes.js';
import { authenticationFailed } from '../noise/failures.js';
import {
  EAPI_MAX_INDEX,
  MAX_MESSAGE_BYTES,
  MAX_RECORD_DATA_BYTES,
  MIN_RECORD_BYTES,
  RECORD_TYPE_CLOSE,
  RECORD_TYPE_DATA,
  RECORD_TYPE_REKEY,
} from './constants.js';
import { deriveEapiRoot, type K3 } from './derive.js';
import { Eapi, ReplayCache, verifyEapiRequest, type VerifiedEapi, type VerifyEapiOptions } from './eapi.js';
import { verifyEapiHttpRequest, type EapiHttpPolicy, type EapiHttpRequest, type VerifiedEapiHttp } from './eapi-http.js';
import { toHex } from './encoding.js';

/** A session's state (SPEC.md §7.6). */
export type SessionState = 'pending' | 'established' | 'closing' | 'closed' | 'disposed';

/** What open() found in a record. `rekey` records carry application data like `data` ones (possibly empty). */
export type OpenResult = { type: 'data'; data: Uint8Array } | { type: 'rekey'; data: Uint8Array } | { type: 'close' };

/** Which end of the handshake a session is: the client is the Noise initiator. */
export type SessionRole = 'client' | 'server';

const EMPTY = new Uint8Array(0);

/** @internal Everything a session needs from the handshake. Arrays are taken over (and wiped by dispose). */
export interface SessionInit {
  role: SessionRole;
  keyId: string;
  k3: K3;
  rekeyAfterRecords: number;
  /** Server only: the key id was unknown, so a dummy key was used (reported only in error causes). */
  unknownKey?: boolean;
  /** The handshake was E2-E2 v2-hybrid (X25519 + ML-KEM-768), not v1. */
  postQuantum?: boolean;
}

/** Keys and counters of one session, reachable only through `coreOf` (never enumerable on the public objects). */
class SessionCore {
  readonly role: SessionRole;
  readonly keyId: string;
  readonly postQuantum: boolean;
  readonly sessionId: Uint8Array;
  readonly send = new CipherState();
  readonly receive = new CipherState();
  readonly rekeyAfterRecords: number;
  readonly unknownKey: boolean;
  exporter: Uint8Array;
  /** deriveEapiRoot(exporter): what EAPIs derive from, and all a verifier outside this session needs. */
  eapiRoot: Uint8Array;
  pending: boolean;
  sendClosed = false;
  receiveClosed = false;
  disposed = false;
  sentUnderKey = 0;

  constructor(init: SessionInit) {
    const { k3 } = init;
    this.role = init.role;
    this.keyId = init.keyId;
    this.postQuantum = init.postQuantum === true;
    this.sessionId = k3.sessionId.slice();
    this.rekeyAfterRecords = init.rekeyAfterRecords;
    this.unknownKey = init.unknownKey === true;
    const [sendKey, receiveKey] = init.role === 'client' ? [k3.initiatorToResponder, k3.responderToInitiator] : [k3.responderToInitiator, k3.initiatorToResponder];
    this.send.initializeKey(sendKey);
    this.receive.initializeKey(receiveKey);
    this.exporter = k3.exporter.slice();
    this.eapiRoot = deriveEapiRoot(this.exporter);
    k3.initiatorToResponder.fill(0);
    k3.responderToInitiator.fill(0);
    k3.exporter.fill(0);
    this.pending = init.role === 'server';
  }

  get state(): SessionState {
    if (this.disposed) return 'disposed';
    if (this.pending) return 'pending';
    if (this.sendClosed && this.receiveClosed) return 'closed';
    if (this.sendClosed || this.receiveClosed) return 'closing';
    return 'established';
  }

  assertNotDisposed(): void {
    if (this.disposed) throw new SessionDisposedError('session was disposed');
  }

  assertCanSend(): void {
    this.assertNotDisposed();
    if (this.pending) throw new InvalidStateError('server session is pending: the client has not yet proven the API key (wait for its first record)');
    if (this.sendClosed) throw new SessionClosedError('this side already sent its close record');
  }

  /** Encrypt one record of `type` (after `headroom` free bytes); rekeys the sending key after REKEY records. */
  sealRecord(type: number, body: Uint8Array, headroom = 0): Uint8Array {
    // type || body goes straight into the AEAD (no plaintext copy is built here).
    const record = this.send.encryptPrefixed(type, body, headroom);
    if (type === RECORD_TYPE_REKEY) {
      this.send.rekey();
      this.sentUnderKey = 0;
    } else {
      this.sentUnderKey += 1;
    }
    return record;
  }

  seal(data: Uint8Array, forceRekey: boolean, headroom = 0): Uint8Array {
    this.assertCanSend();
    assertBytes(data, 'data');
    if (data.length > MAX_RECORD_DATA_BYTES) throw new PayloadTooLargeError(`one record carries at most ${MAX_RECORD_DATA_BYTES} bytes of data`);
    // The last record a key may encrypt is sent as REKEY, so no key encrypts more than rekeyAfterRecords.
    const type = forceRekey || this.sentUnderKey + 1 >= this.rekeyAfterRecords ? RECORD_TYPE_REKEY : RECORD_TYPE_DATA;
    return this.sealRecord(type, data, headroom);
  }

  close(): Uint8Array {
    this.assertCanSend();
    const record = this.sealRecord(RECORD_TYPE_CLOSE, EMPTY);
    this.sendClosed = true;
    return record;
  }

  open(record: Uint8Array): OpenResult {
    this.assertNotDisposed();
    if (this.receiveClosed) throw new SessionClosedError('the peer already sent its close record');
    assertBytes(record, 'record');
    if (record.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError(`record exceeds ${MAX_MESSAGE_BYTES} bytes (Noise §3)`);
    if (record.length < MIN_RECORD_BYTES) throw new MalformedMessageError(`record is shorter than ${MIN_RECORD_BYTES} bytes`);
    let plaintext: Uint8Array;
    try {
      plaintext = this.receive.decryptPeek(EMPTY, record, 'record');
    } catch (error) {
      // Same code and message either way; only the local cause says a dummy key was in use.
      if (this.unknownKey && error instanceof AuthenticationError) throw authenticationFailed('record (unknown key id: dummy key in use)', error);
      throw error;
    }
    const type = plaintext[0];
    let result: OpenResult;
    // `data` is a view of the freshly decrypted plaintext (no copy); nothing else refers to it.
    if (type === RECORD_TYPE_DATA) result = { type: 'data', data: plaintext.subarray(1) };
    else if (type === RECORD_TYPE_REKEY) result = { type: 'rekey', data: plaintext.subarray(1) };
    else if (type === RECORD_TYPE_CLOSE && plaintext.length === 1) result = { type: 'close' };
    else throw new MalformedMessageError(type === RECORD_TYPE_CLOSE ? 'close record with a body' : 'unknown record type');
    // Commit only now: the record authenticated and is well formed.
    this.receive.advance();
    if (type === RECORD_TYPE_REKEY) this.receive.rekey();
    if (type === RECORD_TYPE_CLOSE) this.receiveClosed = true;
    this.pending = false;
    return result;
  }

  dispose(): void {
    this.send.destroy();
    this.receive.destroy();
    this.exporter.fill(0);
    this.eapiRoot.fill(0);
    this.disposed = true;
  }
}

let coreOf: (session: Session) => SessionCore;

/** Operations common to client and server sessions. */
export abstract class Session {
  readonly #core: SessionCore;

  static {
    coreOf = (session) => session.#core;
  }

  /** @internal */
  constructor(init: SessionInit) {
    this.#core = new SessionCore(init);
  }

  /** 'client' or 'server'. */
  get role(): SessionRole {
    return this.#core.role;
  }

  /** The API key id this session was made with (public). */
  get keyId(): string {
    return this.#core.keyId;
  }

  /** True when the handshake was E2-E2 v2-hybrid (X25519 + ML-KEM-768, SPEC.md §13), false for v1. */
  get postQuantum(): boolean {
    return this.#core.postQuantum;
  }

  /** Hex of the 16-byte session id: equal on both sides, derived, never sent during the handshake. */
  get sessionId(): string {
    return toHex(this.#core.sessionId);
  }

  get state(): SessionState {
    return this.#core.state;
  }

  /** Seal application data (0..65,518 bytes) into one record. May be a REKEY record (automatic rekey). */
  seal(data: Uint8Array): Uint8Array {
    return this.#core.seal(data, false);
  }

  /** Seal a REKEY record (optionally carrying data); the sending key changes right after it. */
  rekey(data: Uint8Array = EMPTY): Uint8Array {
    return this.#core.seal(data, true);
  }

  /** Seal the CLOSE record: the last record in this direction. */
  close(): Uint8Array {
    return this.#core.close();
  }

  /** Open one record from the peer. On any error nothing changes: the next valid record still opens. */
  open(record: Uint8Array): OpenResult {
    return this.#core.open(record);
  }

  /** Wipe every key of the session (and its EAPIs). Idempotent. */
  dispose(): void {
    this.#core.dispose();
  }
}

/** The client's session: records, plus EAPI issuing. */
export class ClientSession extends Session {
  #nextEapiIndex = 0;
  readonly #eapis = new Set<Eapi>();

  /**
   * Issue an EAPI bound to this session, `scope` and `expiresAt` (ms since the Unix epoch).
   * `index` defaults to a counter (0, 1, 2, ...); give it to re-derive a known EAPI.
   */
  issueEapi(options: { scope: string; expiresAt: number; index?: number }): Eapi {
    const core = coreOf(this);
    core.assertNotDisposed();
    if (core.sendClosed || core.receiveClosed) throw new SessionClosedError('session is closing or closed: EAPIs end with it');
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    const index = options.index ?? this.#nextEapiIndex;
    const eapi = new Eapi(core.eapiRoot, core.sessionId, { index, scope: options.scope, expiresAt: options.expiresAt });
    if (options.index === undefined) this.#nextEapiIndex = Math.min(index + 1, EAPI_MAX_INDEX);
    // Held only to wipe them with the session; disposed ones (rotated away) are let go, so a
    // long session that rotates EAPIs does not keep each one (about 1 KB) until it ends.
    for (const old of this.#eapis) if (old.disposed) this.#eapis.delete(old);
    this.#eapis.add(eapi);
    return eapi;
  }

  override dispose(): void {
    for (const eapi of this.#eapis) eapi.dispose();
    this.#eapis.clear();
    super.dispose();
  }
}

/** @internal Server-session settings from the handshake options. */
export interface ServerSessionSettings {
  eapiClockSkewMs: number;
  eapiReplayCacheEntries: number;
}

/** The server's session: records (after the client's first record authenticates), plus EAPI verification. */
export class ServerSession extends Session {
  readonly #replay: ReplayCache;
  readonly #clockSkewMs: number;

  /** @internal */
  constructor(init: SessionInit, settings: ServerSessionSettings) {
    super(init);
    this.#replay = new ReplayCache(settings.eapiReplayCacheEntries);
    this.#clockSkewMs = settings.eapiClockSkewMs;
  }

  /**
   * Verify an EAPI-signed request (SPEC.md §8.4). Returns what the EAPI vouches for, or throws:
   * ERR_MALFORMED_MESSAGE, ERR_AUTHENTICATION_FAILED (forged, or another session's EAPI),
   * ERR_EAPI_EXPIRED, ERR_EAPI_CLOCK_SKEW, ERR_EAPI_SCOPE, ERR_EAPI_REPLAYED. Works while the
   * session is pending or established (a valid signature itself proves the API key).
   */
  verifyEapi(options: VerifyEapiOptions): VerifiedEapi {
    const core = coreOf(this);
    core.assertNotDisposed();
    if (core.sendClosed || core.receiveClosed) throw new SessionClosedError('session is closing or closed: EAPIs end with it');
    try {
      return verifyEapiRequest(core.eapiRoot, core.sessionId, this.#replay, { clockSkewMs: this.#clockSkewMs }, options);
    } catch (error) {
      if (core.unknownKey && error instanceof AuthenticationError) throw authenticationFailed('eapi (unknown key id: dummy key in use)', error);
      throw error;
    }
  }

  /**
   * Verify a request signed with the RFC 9421 EAPI profile (SPEC.md §8.6) against this session,
   * with its replay cache and clock skew. Rejects with ERR_AUTHENTICATION_FAILED (parse, another
   * session's EAPI, MAC, body digest), then ERR_EAPI_EXPIRED, ERR_EAPI_CLOCK_SKEW, ERR_EAPI_SCOPE,
   * ERR_EAPI_POLICY, ERR_EAPI_REPLAYED. Find the session with claimedEapiHttpSessionId(request).
   */
  async verifyEapiHttp(request: EapiHttpRequest, options: { now?: number; requiredScope?: string; policy?: EapiHttpPolicy } = {}): Promise<VerifiedEapiHttp> {
    const core = coreOf(this);
    core.assertNotDisposed();
    if (core.sendClosed || core.receiveClosed) throw new SessionClosedError('session is closing or closed: EAPIs end with it');
    const sessionId = toHex(core.sessionId);
    return verifyEapiHttpRequest(request, {
      ...options,
      clockSkewMs: this.#clockSkewMs,
      replay: this.#replay,
      // Called synchronously by verifyEapiHttpRequest, before its first await: right after the
      // disposed check above, so the session cannot have been disposed in between.
      lookupSession: (id) => (id === sessionId ? { eapiRoot: core.eapiRoot, keyId: core.keyId } : undefined),
    });
  }

  /**
   * A copy of this session's EAPI root (SPEC.md §6.5): what a verifier elsewhere (another process,
   * a shared SessionRegistry) needs to check this session's EAPIs, and nothing more: it decrypts
   * no record. Secret: the caller wipes its copy when done.
   */
  exportEapiRoot(): Uint8Array {
    const core = coreOf(this);
    core.assertNotDisposed();
    return core.eapiRoot.slice();
  }

  override dispose(): void {
    this.#replay.clear();
    super.dispose();
  }
}

/**
 * @internal seal() (or rekey() when `forceRekey`) into a buffer whose first `headroom` bytes are
 * left free for a transport's frame header (the TCP and `ws` adapters write theirs there instead
 * of copying the record behind it). The record is the rest of the buffer, the same bytes seal() gives.
 */
export function sealWithHeadroom(session: Session, data: Uint8Array, forceRekey: boolean, headroom: number): Uint8Array {
  return coreOf(session).seal(data, forceRekey, headroom);
}

/** Set a session's nonce counters (tests of the 2^64 - 1 limit only). Not exported from the package. */
export function setSessionNoncesForTestingOnly(session: Session, nonces: { send?: bigint; receive?: bigint }): void {
  const core = coreOf(session);
  if (nonces.send !== undefined) core.send.setNonce(nonces.send);
  if (nonces.receive !== undefined) core.receive.setNonce(nonces.receive);
}

/** The live arrays holding a session's secrets (send key, receive key, exporter, EAPI root), not copies: wipe tests only. Not exported from the package. */
export function sessionLiveSecretsForTestingOnly(session: Session): Uint8Array[] {
  const core = coreOf(session);
  return [core.send.liveKeyForTestingOnly(), core.receive.liveKeyForTestingOnly(), core.exporter, core.eapiRoot].filter((a): a is Uint8Array => a !== null);
}

/** A snapshot of a session's keys and counters (tests of rollback only). Not exported from the package. */
export function sessionSnapshotForTestingOnly(session: Session): Record<string, unknown> {
  const core = coreOf(session);
  return {
    state: core.state,
    sendKey: core.send.keyForTestingOnly(),
    sendNonce: core.send.nonce,
    receiveKey: core.receive.keyForTestingOnly(),
    receiveNonce: core.receive.nonce,
    sentUnderKey: core.sentUnderKey,
    exporter: core.exporter.slice(),
  };
}

/** @internal Whether a server session runs on the dummy key of an unknown key id (SPEC.md §5.4): it can never verify anything. */
export function sessionUsesDummyKey(session: ServerSession): boolean {
  return coreOf(session).unknownKey;
}
