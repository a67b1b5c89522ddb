/**
 * The E2-E2 handshake (SPEC.md §5): Noise_NNpsk2_25519_ChaChaPoly_SHA256 with the prologue
 * "e2e2/v1" || 0x00 || context, message 1 payload = key id (12 bytes), message 2 payload empty.
 *
 *   client                                              server
 *   writeMessage1()  -- e, ENCRYPT(keyId) (60 bytes) -->  respond(message1)
 *                                                         resolveKey(keyId) (may be async)
 *   readMessage2()   <-- e, ee, psk, ENCRYPT() (48) ---  → { message2, session (pending) }
 *   → ClientSession  -- first record ----------------->  session.open() → established
 *
 * Built on the pattern-driven Noise HandshakeState (bindings/noise) running NNPSK2's token list,
 * so the token sequence has one implementation; K1 (the `ee` DH output) and K2 (ck after `psk`)
 * are observed for the trace, K3 = deriveK3(K2, h). Every step computes on a copy and commits
 * only on success: after any error the handshake is as it was, and the right message still works. An unknown key id continues with a random dummy key,
 * so on the wire and in timing it behaves exactly like a wrong secret (SPEC.md §5.4).
 *
 * E2-E2 v2-hybrid (SPEC.md §13, `postQuantum: true` on the client) runs NNhfs+psk2 instead:
 * `-> e, e1` / `<- e, ee, ekem1, psk`, prologue "e2e2/v2-hybrid" || 0x00 || context, messages of
 * 1,260 and 1,152 bytes; K2 then depends on X25519, ML-KEM-768 and the API key. A server tells
 * the two apart by the length of message 1 and accepts, requires or refuses the hybrid one.
 */
import { InvalidArgumentError, InvalidKeyLengthError, InvalidStateError, MalformedMessageError, MessageTooLargeError, PostQuantumRequiredError, SessionDisposedError } from '../errors.js';
import { HandshakeState, NNHFS_PSK2, NNPSK2 } from '../noise/handshake-state.js';
import { assertSecret, keyIdBytes, normalizeApiKey, type ApiKey } from './api-key.js';
import {
  DEFAULT_EAPI_CLOCK_SKEW_MS,
  DEFAULT_EAPI_REPLAY_CACHE_ENTRIES,
  DEFAULT_REKEY_AFTER_RECORDS,
  DH_BYTES,
  MAX_MESSAGE_BYTES,
  E2E2_VERSION,
  E2E2_VERSION_HYBRID,
  MESSAGE1_BYTES,
  MESSAGE1_HYBRID_BYTES,
  MESSAGE2_BYTES,
  MESSAGE2_HYBRID_BYTES,
  PSK_BYTES,
} from './constants.js';
import { buildPrologue, deriveK3, fingerprint, fingerprintK3, type K3 } from './derive.js';
import { randomBytes, toHex } from './encoding.js';
import { ClientSession, ServerSession } from './session.js';

/** A K1/K2/K3 stage, reported to `trace` with a one-way fingerprint (never the key). */
export interface TraceEvent {
  /** K1 (X25519), KEM (the ML-KEM-768 shared secret, v2-hybrid only), K2, K3. */
  stage: 'K1' | 'KEM' | 'K2' | 'K3';
  /** fingerprint() of K1, of the KEM output, of K2, or of K3 (both transport keys and the exporter). Equal on both sides when keys agree. */
  fingerprint: string;
}

interface CommonOptions {
  /** Application context mixed into the prologue; both sides must use the same (default: empty). */
  context?: string | Uint8Array;
  /** Each sending key encrypts at most this many records; the last is a REKEY record. Default 65,536. `Infinity` disables. */
  rekeyAfterRecords?: number;
  /** Called at each key stage with a fingerprint (for demos and logs). */
  trace?: (event: TraceEvent) => void;
  /** Fixed X25519 ephemeral private key, for test vectors only: it destroys forward secrecy. */
  fixedEphemeralPrivateKeyForTestingOnly?: Uint8Array;
}

/** Client: v1 (default) or the post-quantum hybrid; server: which handshakes it takes. */
export type PostQuantumMode = 'accept' | 'require' | 'refuse';

/** Options of createClientHandshake: the API key, and optionally the context (SPEC.md §5.1). */
export interface ClientHandshakeOptions extends CommonOptions {
  /** The API key: the token `e2e2_<keyId>_<secret>` or `{ keyId, secret }`. */
  apiKey: string | ApiKey;
  /** Run E2-E2 v2-hybrid (X25519 + ML-KEM-768, SPEC.md §13) instead of v1. Default false. */
  postQuantum?: boolean;
  /** Fixed 64-byte ML-KEM key generation seed (v2-hybrid test vectors only). */
  fixedKemSeedForTestingOnly?: Uint8Array;
}

/** A key store lookup: the 32-byte secret for a key id, or undefined/null when there is none. */
export type ResolveKey = (keyId: string) => Uint8Array | undefined | null | Promise<Uint8Array | undefined | null>;

/** Options of createServerHandshake: how key ids resolve to secrets (SPEC.md §5.4), and optionally the context. */
export interface ServerHandshakeOptions extends CommonOptions {
  resolveKey: ResolveKey;
  /** EAPI verification: accepted |now - timestamp|, ms. Default 30,000. */
  eapiClockSkewMs?: number;
  /** EAPI verification: nonces remembered per session. Default 10,000. */
  eapiReplayCacheEntries?: number;
  /**
   * E2-E2 v2-hybrid (SPEC.md §13): 'accept' (default) runs whichever handshake the client
   * started, 'require' refuses v1 (ERR_PQ_REQUIRED), 'refuse' takes only v1.
   */
  postQuantum?: PostQuantumMode;
  /** Fixed 32-byte ML-KEM encapsulation randomness (v2-hybrid test vectors only). */
  fixedKemMessageForTestingOnly?: Uint8Array;
}

function checkFixedEphemeral(value: Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array) || value.length !== DH_BYTES) throw new InvalidKeyLengthError(`fixedEphemeralPrivateKeyForTestingOnly must be ${DH_BYTES} bytes`);
  return value.slice();
}

function checkRekeyAfter(value: number | undefined): number {
  if (value === undefined) return DEFAULT_REKEY_AFTER_RECORDS;
  if (value === Infinity || (Number.isSafeInteger(value) && value >= 1)) return value;
  throw new InvalidArgumentError('rekeyAfterRecords must be a positive integer or Infinity');
}

function checkInteger(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) return fallback;
  if (Number.isSafeInteger(value) && value >= min) return value;
  throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
}

function checkMessage(message: unknown, expected: number, name: string): asserts message is Uint8Array {
  if (!(message instanceof Uint8Array)) throw new InvalidArgumentError(`${name} must be a Uint8Array`);
  if (message.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError(`${name} exceeds ${MAX_MESSAGE_BYTES} bytes (Noise §3)`);
  if (message.length !== expected) throw new MalformedMessageError(`${name} must be exactly ${expected} bytes`);
}

/** The HandshakeState observer that reports K1 (the `ee` DH output) and K2 (ck after `psk`) to `trace`. */
function keyStageTrace(trace: CommonOptions['trace']): ((token: 'ee' | 'ekem1' | 'psk', secret: Uint8Array) => void) | undefined {
  if (trace === undefined) return undefined;
  return (token, secret) => trace({ stage: token === 'ee' ? 'K1' : token === 'ekem1' ? 'KEM' : 'K2', fingerprint: fingerprint(secret) });
}

function checkFixed(value: Uint8Array | undefined, length: number, name: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array) || value.length !== length) throw new InvalidKeyLengthError(`${name} must be ${length} bytes`);
  return value.slice();
}

/** K3 = deriveK3(K2, h) from a complete handshake (K2 is its final chaining key); disposes `hs`. */
function finish(hs: HandshakeState, trace: CommonOptions['trace']): K3 {
  const k2 = hs.finalChainingKey();
  let k3: K3;
  try {
    k3 = deriveK3(k2, hs.getHandshakeHash());
  } finally {
    k2.fill(0);
    hs.dispose();
  }
  trace?.({ stage: 'K3', fingerprint: fingerprintK3(k3) });
  return k3;
}

/** Where a client handshake is: before message 1, waiting for message 2, done, or disposed. */
export type ClientHandshakeState = 'initial' | 'sent' | 'complete' | 'disposed';

/** The client side: writeMessage1(), then readMessage2(message2) → ClientSession. */
export class ClientHandshake {
  readonly keyId: string;
  readonly #keyIdBytes: Uint8Array;
  readonly #secret: Uint8Array;
  readonly #prologue: Uint8Array;
  readonly #rekeyAfterRecords: number;
  readonly #trace: CommonOptions['trace'];
  readonly #postQuantum: boolean;
  #fixedEphemeral: Uint8Array | undefined;
  #fixedKemSeed: Uint8Array | undefined;
  #handshake: HandshakeState | undefined;
  #state: ClientHandshakeState = 'initial';

  constructor(options: ClientHandshakeOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    const apiKey = normalizeApiKey(options.apiKey);
    this.keyId = apiKey.keyId;
    this.#keyIdBytes = keyIdBytes(apiKey.keyId);
    this.#secret = apiKey.secret;
    if (options.postQuantum !== undefined && typeof options.postQuantum !== 'boolean') throw new InvalidArgumentError('postQuantum must be a boolean');
    this.#postQuantum = options.postQuantum === true;
    this.#prologue = buildPrologue(options.context, this.#postQuantum ? E2E2_VERSION_HYBRID : E2E2_VERSION);
    this.#rekeyAfterRecords = checkRekeyAfter(options.rekeyAfterRecords);
    this.#trace = options.trace;
    this.#fixedEphemeral = checkFixedEphemeral(options.fixedEphemeralPrivateKeyForTestingOnly);
    this.#fixedKemSeed = checkFixed(options.fixedKemSeedForTestingOnly, 64, 'fixedKemSeedForTestingOnly');
  }

  /** True when this handshake is E2-E2 v2-hybrid. */
  get postQuantum(): boolean {
    return this.#postQuantum;
  }

  get state(): ClientHandshakeState {
    return this.#state;
  }

  /** Message 1: e || ENCRYPT(keyId), 60 bytes (v2-hybrid: e || ENCRYPT(e1) || ENCRYPT(keyId), 1,260). The key id in it is readable by anyone (SPEC.md §5.2). */
  writeMessage1(): Uint8Array {
    if (this.#state === 'disposed') throw new SessionDisposedError('handshake was disposed');
    if (this.#state !== 'initial') throw new InvalidStateError('message 1 was already written');
    const handshake = new HandshakeState({
      role: 'initiator',
      pattern: this.#postQuantum ? NNHFS_PSK2 : NNPSK2,
      psk: this.#secret,
      prologue: this.#prologue,
      // Each may be undefined: HandshakeState then uses a fresh ephemeral/KEM key and no observer.
      fixedEphemeralPrivateKeyForTestingOnly: this.#fixedEphemeral,
      fixedKemSeedForTestingOnly: this.#fixedKemSeed,
      onKeyStage: keyStageTrace(this.#trace),
    });
    const message1 = handshake.writeMessage(this.#keyIdBytes); // e, [e1,] ENCRYPT(keyId)
    this.#handshake = handshake;
    this.#state = 'sent';
    return message1;
  }

  /**
   * Consume message 2 (48 bytes); returns the established ClientSession. Throws
   * ERR_AUTHENTICATION_FAILED for a wrong API key or an unknown key id (indistinguishable),
   * ERR_LOW_ORDER_POINT, ERR_MALFORMED_MESSAGE, ERR_MESSAGE_TOO_LARGE. A failure changes nothing.
   */
  readMessage2(message2: Uint8Array): ClientSession {
    if (this.#state === 'disposed') throw new SessionDisposedError('handshake was disposed');
    if (this.#state !== 'sent') throw new InvalidStateError(this.#state === 'initial' ? 'call writeMessage1() first' : 'message 2 was already read');
    checkMessage(message2, this.#postQuantum ? MESSAGE2_HYBRID_BYTES : MESSAGE2_BYTES, 'message 2');
    const handshake = this.#handshake!;
    handshake.readMessage(message2); // e, ee, [ekem1,] psk, DECRYPT(): rolls back on failure
    const k3 = finish(handshake, this.#trace);
    this.#wipe();
    this.#state = 'complete';
    return new ClientSession({ role: 'client', keyId: this.keyId, k3, rekeyAfterRecords: this.#rekeyAfterRecords, postQuantum: this.#postQuantum });
  }

  #wipe(): void {
    this.#handshake?.dispose();
    this.#handshake = undefined;
    this.#secret.fill(0);
    this.#fixedEphemeral?.fill(0);
    this.#fixedKemSeed?.fill(0);
  }

  /** The live arrays holding secrets (API key copy, ephemeral, fixed ephemeral, ck, cipher key), not copies: wipe tests only. */
  liveSecretsForTestingOnly(): Uint8Array[] {
    const out = [this.#secret];
    if (this.#fixedEphemeral !== undefined) out.push(this.#fixedEphemeral);
    if (this.#handshake !== undefined) out.push(...this.#handshake.liveSecretsForTestingOnly());
    return out;
  }

  /** Wipe the ephemeral key, the API key copy and the handshake state. */
  dispose(): void {
    this.#wipe();
    this.#state = 'disposed';
  }
}

/** Where a server handshake is: before message 1, resolving the key, done, or disposed. */
export type ServerHandshakeState = 'initial' | 'responding' | 'complete' | 'disposed';

/** What respond() returns: message 2 to send, and the pending ServerSession. */
export interface ServerResponse {
  message2: Uint8Array;
  session: ServerSession;
}

/** The server side: one respond(message1) call per connection. */
export class ServerHandshake {
  readonly #resolveKey: ResolveKey;
  readonly #prologue: Uint8Array;
  readonly #rekeyAfterRecords: number;
  readonly #trace: CommonOptions['trace'];
  readonly #eapiClockSkewMs: number;
  readonly #eapiReplayCacheEntries: number;
  readonly #prologueHybrid: Uint8Array;
  readonly #postQuantum: PostQuantumMode;
  #fixedEphemeral: Uint8Array | undefined;
  #fixedKemMessage: Uint8Array | undefined;
  #state: ServerHandshakeState = 'initial';

  constructor(options: ServerHandshakeOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    if (typeof options.resolveKey !== 'function') throw new InvalidArgumentError('resolveKey must be a function');
    this.#resolveKey = options.resolveKey;
    this.#prologue = buildPrologue(options.context);
    this.#prologueHybrid = buildPrologue(options.context, E2E2_VERSION_HYBRID);
    const mode = options.postQuantum ?? 'accept';
    if (mode !== 'accept' && mode !== 'require' && mode !== 'refuse') throw new InvalidArgumentError("postQuantum must be 'accept', 'require' or 'refuse'");
    this.#postQuantum = mode;
    this.#fixedKemMessage = checkFixed(options.fixedKemMessageForTestingOnly, 32, 'fixedKemMessageForTestingOnly');
    this.#rekeyAfterRecords = checkRekeyAfter(options.rekeyAfterRecords);
    this.#trace = options.trace;
    this.#eapiClockSkewMs = checkInteger(options.eapiClockSkewMs, DEFAULT_EAPI_CLOCK_SKEW_MS, 0, 'eapiClockSkewMs');
    this.#eapiReplayCacheEntries = checkInteger(options.eapiReplayCacheEntries, DEFAULT_EAPI_REPLAY_CACHE_ENTRIES, 1, 'eapiReplayCacheEntries');
    this.#fixedEphemeral = checkFixedEphemeral(options.fixedEphemeralPrivateKeyForTestingOnly);
  }

  get state(): ServerHandshakeState {
    return this.#state;
  }

  /**
   * Consume message 1, look the key id up (the resolver may be async), and produce message 2 and
   * a pending ServerSession. Throws ERR_MALFORMED_MESSAGE / ERR_MESSAGE_TOO_LARGE (length),
   * ERR_AUTHENTICATION_FAILED (message 1 was altered, or the prologue differs),
   * ERR_LOW_ORDER_POINT (client ephemeral of small order), or whatever resolveKey throws.
   * A failure changes nothing: respond() can be called again.
   */
  async respond(message1: Uint8Array): Promise<ServerResponse> {
    if (this.#state === 'disposed') throw new SessionDisposedError('handshake was disposed');
    if (this.#state !== 'initial') throw new InvalidStateError(this.#state === 'responding' ? 'respond() is already running' : 'respond() already succeeded');
    const postQuantum = this.#classify(message1);
    this.#state = 'responding';
    const handshake = new HandshakeState({
      role: 'responder',
      pattern: postQuantum ? NNHFS_PSK2 : NNPSK2,
      prologue: postQuantum ? this.#prologueHybrid : this.#prologue,
      // Each may be undefined (see writeMessage1); a v1 pattern never reads the KEM randomness.
      fixedEphemeralPrivateKeyForTestingOnly: this.#fixedEphemeral,
      fixedKemMessageForTestingOnly: this.#fixedKemMessage,
      onKeyStage: keyStageTrace(this.#trace),
    });
    let psk: Uint8Array | undefined;
    try {
      // -> e, payload
      const keyId = toHex(handshake.readMessage(message1));
      const resolved = await this.#resolveKey(keyId);
      if (this.#state !== 'responding') throw new SessionDisposedError('handshake was disposed while resolving the key');
      const unknownKey = resolved === undefined || resolved === null;
      // Unknown key id: continue with a random dummy key, so the server's bytes and work are the
      // same as for a wrong secret; the client fails on message 2, or we fail on its first record.
      // Both paths draw the dummy, validate one 32-byte secret and copy it (SPEC.md §5.4): the
      // resolver's buffer belongs to the caller and is never written to; our copy is wiped below.
      const dummy = randomBytes(PSK_BYTES);
      psk = assertSecret(unknownKey ? dummy : resolved).slice();
      dummy.fill(0);
      handshake.setPsk(psk);
      // <- e, ee, [ekem1,] psk, payload
      const message2 = handshake.writeMessage(new Uint8Array(0));
      const k3 = finish(handshake, this.#trace);
      const session = new ServerSession(
        { role: 'server', keyId, k3, rekeyAfterRecords: this.#rekeyAfterRecords, unknownKey, postQuantum },
        { eapiClockSkewMs: this.#eapiClockSkewMs, eapiReplayCacheEntries: this.#eapiReplayCacheEntries },
      );
      this.#fixedEphemeral?.fill(0);
      this.#fixedKemMessage?.fill(0);
      this.#state = 'complete';
      return { message2, session };
    } catch (error) {
      handshake.dispose();
      if (this.#state === 'responding') this.#state = 'initial';
      throw error;
    } finally {
      psk?.fill(0);
    }
  }

  /**
   * Which handshake message 1 starts, by its length (v1: 60 bytes, v2-hybrid: 1,260), under the
   * server's postQuantum mode. A v1 message 1 to a server that requires v2-hybrid is ERR_PQ_REQUIRED.
   */
  #classify(message1: Uint8Array): boolean {
    if (!(message1 instanceof Uint8Array)) throw new InvalidArgumentError('message 1 must be a Uint8Array');
    if (message1.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError(`message 1 exceeds ${MAX_MESSAGE_BYTES} bytes (Noise §3)`);
    const mode = this.#postQuantum;
    if (message1.length === MESSAGE1_BYTES && mode !== 'require') return false;
    if (message1.length === MESSAGE1_HYBRID_BYTES && mode !== 'refuse') return true;
    if (message1.length === MESSAGE1_BYTES) throw new PostQuantumRequiredError('this server requires the post-quantum handshake (E2-E2 v2-hybrid)');
    const allowed = mode === 'accept' ? `${MESSAGE1_BYTES} bytes (v1) or ${MESSAGE1_HYBRID_BYTES} bytes (v2-hybrid)` : `${mode === 'require' ? MESSAGE1_HYBRID_BYTES : MESSAGE1_BYTES} bytes`;
    throw new MalformedMessageError(`message 1 must be exactly ${allowed}`);
  }

  /** Wipe held secrets; a respond() still awaiting the resolver will fail with ERR_SESSION_DISPOSED. */
  dispose(): void {
    this.#fixedEphemeral?.fill(0);
    this.#fixedKemMessage?.fill(0);
    this.#state = 'disposed';
  }
}

/** Start a client handshake. */
export function createClientHandshake(options: ClientHandshakeOptions): ClientHandshake {
  return new ClientHandshake(options);
}

/** Start a server handshake (one per incoming connection). */
export function createServerHandshake(options: ServerHandshakeOptions): ServerHandshake {
  return new ServerHandshake(options);
}
