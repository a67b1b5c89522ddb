/**
 * Noise HandshakeState (Noise rev 34 §5.3), driven by a pattern's token list (snow's
 * handshakestate.rs style): each message pattern is an array of tokens, run in order. E2-E2 uses
 * NNpsk2 (§7.5, §9.4):
 *
 *     -> e
 *     <- e, ee, psk
 *
 * Modifiers are part of the token list (`psk2` is the `psk` token at the end of message 2). When
 * the pattern has any `psk` token the PSK rules of §9.2 apply: every `e` token is
 * MixHash(e.public_key) followed by MixKey(e.public_key), and `psk` is MixKeyAndHash(psk).
 * Because of that MixKey, NNpsk2's message 1 payload is encrypted too, under a key derived only
 * from public values (readable by anyone).
 *
 * The Noise HFS tokens (../shared/specs/noise_hfs.md §4) with ML-KEM-768 (FIPS 203) as the KEM:
 * `e1` sends a fresh KEM public key and `ekem1` answers it with a KEM ciphertext; both are sent
 * like a static public key (EncryptAndHash, so encrypted once a key is set), and `ekem1` then
 * calls MixKey(kem_output) on both sides. NNhfs+psk2 (E2-E2 v2-hybrid) is
 *
 *     -> e, e1
 *     <- e, ee, ekem1, psk
 *
 * and its protocol name carries the KEM in the DH section: Noise_NNhfs+psk2_25519+MLKEM768_ChaChaPoly_SHA256.
 *
 * Every step computes on a copy of the SymmetricState and commits only on success, so a failed
 * readMessage/writeMessage (bad tag, low-order key, malformed length) leaves the state as it was.
 */
import { x25519 } from '../core/x25519.js';
import { ml_kem768 } from '../core/mlkem.js';
import { assertBytes } from '../core/bytes.js';
import { InvalidArgumentError, InvalidKeyLengthError, InvalidPublicKeyError, InvalidStateError, MalformedMessageError, MessageTooLargeError, PayloadTooLargeError } from '../errors.js';
import { DH_BYTES, HFS_DH_NAME, KEM_CIPHERTEXT_BYTES, KEM_PUBLIC_KEY_BYTES, MAX_MESSAGE_BYTES, PSK_BYTES, TAG_BYTES } from './constants.js';
import { concatBytes } from './bytes.js';
import type { CipherState } from './cipher-state.js';
import { SymmetricState } from './symmetric-state.js';

/** The Noise role (Noise §5.3): the initiator writes the first message. */
export type Role = 'initiator' | 'responder';
/** Tokens of NN-based patterns (§7) with PSK modifiers (§9) and the HFS extension (e1, ekem1). */
export type Token = 'e' | 'ee' | 'psk' | 'e1' | 'ekem1';

/** A handshake pattern: its name in the protocol name (§8) and its message patterns; even indexes are sent by the initiator. */
export interface HandshakePattern {
  readonly name: string;
  readonly messages: readonly (readonly Token[])[];
}

/** NNpsk2 (§7.5, §9.4): `-> e` / `<- e, ee, psk`. */
export const NNPSK2: HandshakePattern = Object.freeze({ name: 'NNpsk2', messages: Object.freeze([Object.freeze(['e'] as Token[]), Object.freeze(['e', 'ee', 'psk'] as Token[])]) });

/**
 * NNhfs+psk2 (Noise HFS §5 on NN, then §9.4's psk2): `-> e, e1` / `<- e, ee, ekem1, psk`. The
 * hfs modifier puts e1 after the first `e` (message 1 has no DH) and ekem1 after the first `ee`;
 * psk2 appends psk to message 2. Modifiers are named in the order applied, joined by '+' (Noise §8).
 */
export const NNHFS_PSK2: HandshakePattern = Object.freeze({
  name: 'NNhfs+psk2',
  messages: Object.freeze([Object.freeze(['e', 'e1'] as Token[]), Object.freeze(['e', 'ee', 'ekem1', 'psk'] as Token[])]),
});

const KNOWN_TOKENS: ReadonlySet<string> = new Set(['e', 'ee', 'psk', 'e1', 'ekem1']);

/** Checked form of a pattern: §5.3's token rules hold, and per message the fixed overhead (bytes). */
interface CompiledPattern {
  readonly protocolName: string;
  readonly messages: readonly (readonly Token[])[];
  /** §9.2: the pattern has a `psk` token, so `e` also calls MixKey. */
  readonly pskMode: boolean;
  /** Bytes each message adds to its payload: 32 per `e`, plus the tag when a key is set by then. */
  readonly overhead: readonly number[];
}

function compilePattern(pattern: HandshakePattern): CompiledPattern {
  if (typeof pattern !== 'object' || pattern === null || typeof pattern.name !== 'string' || !Array.isArray(pattern.messages) || pattern.messages.length === 0) {
    throw new InvalidArgumentError('pattern must be { name: string, messages: Token[][] } with at least one message');
  }
  const messages = pattern.messages.map((m) => {
    if (!Array.isArray(m)) throw new InvalidArgumentError('each message pattern must be an array of tokens');
    return Object.freeze(m.slice()) as readonly Token[];
  });
  const pskMode = messages.some((m) => m.includes('psk'));
  const hfs = messages.some((m) => m.includes('e1') || m.includes('ekem1'));
  // The sides (0 initiator, 1 responder) that have sent their `e` and their `e1`.
  const sentE = new Set<number>();
  const sentE1 = new Set<number>();
  let kemAnswered = false;
  let hasKey = false;
  const overhead: number[] = [];
  messages.forEach((tokens, index) => {
    const side = index % 2;
    let bytes = 0;
    for (const token of tokens) {
      if (!KNOWN_TOKENS.has(token)) throw new InvalidArgumentError(`unknown token ${JSON.stringify(token)} in message ${index + 1} of ${pattern.name}`);
      switch (token) {
        case 'e':
          if (sentE.has(side)) throw new InvalidArgumentError(`message ${index + 1} of ${pattern.name} sends a second 'e' (Noise §7.3)`);
          sentE.add(side);
          bytes += DH_BYTES;
          if (pskMode) hasKey = true;
          break;
        case 'ee':
          if (!sentE.has(0) || !sentE.has(1)) throw new InvalidArgumentError(`'ee' in message ${index + 1} of ${pattern.name} comes before both ephemerals (Noise §7.3)`);
          hasKey = true;
          break;
        case 'psk':
          hasKey = true;
          break;
        case 'e1':
          // HFS §4: one KEM key pair per side, sent like a static key (encrypted once a key is set).
          if (sentE1.has(side)) throw new InvalidArgumentError(`message ${index + 1} of ${pattern.name} sends a second 'e1' (Noise HFS §4)`);
          sentE1.add(side);
          bytes += KEM_PUBLIC_KEY_BYTES + (hasKey ? TAG_BYTES : 0);
          break;
        case 'ekem1':
          // HFS §4: a ciphertext to the peer's KEM public key, which must have been received.
          if (!sentE1.has(1 - side) || kemAnswered) throw new InvalidArgumentError(`'ekem1' in message ${index + 1} of ${pattern.name} needs exactly one earlier 'e1' from the peer (Noise HFS §4)`);
          kemAnswered = true;
          bytes += KEM_CIPHERTEXT_BYTES + (hasKey ? TAG_BYTES : 0);
          hasKey = true;
          break;
      }
    }
    overhead.push(bytes + (hasKey ? TAG_BYTES : 0));
  });
  // HFS §5: the KEM's name follows the DH name in the DH section, joined by '+'.
  return { protocolName: `Noise_${pattern.name}_${hfs ? HFS_DH_NAME : '25519'}_ChaChaPoly_SHA256`, messages, pskMode, overhead };
}

/** The built-in patterns, compiled once. */
const PRECOMPILED: ReadonlyMap<HandshakePattern, CompiledPattern> = new Map([NNPSK2, NNHFS_PSK2].map((p) => [p, compilePattern(p)]));

const EMPTY = new Uint8Array(0);

interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface HandshakeStateOptions {
  role: Role;
  /** The handshake pattern (default NNPSK2). Its protocol name is Noise_<name>_25519_ChaChaPoly_SHA256 (25519+MLKEM768 with HFS tokens). */
  pattern?: HandshakePattern;
  /** 32-byte PSK, or undefined when it will be supplied later with `setPsk()` (before the `psk` token). */
  psk?: Uint8Array;
  prologue?: Uint8Array;
  /**
   * Key-schedule observer (the E2-E2 layer's K1/K2 trace): called during `ee` with the DH output,
   * during `ekem1` with the KEM output, and after `psk` with the new chaining key. Each array is
   * wiped after the call returns.
   */
  onKeyStage?: (token: 'ee' | 'ekem1' | 'psk', secret: Uint8Array) => void;
  /** Fixed ephemeral private key (test vectors only). Never use it for real traffic: it destroys forward secrecy. */
  fixedEphemeralPrivateKeyForTestingOnly?: Uint8Array;
  /** Fixed 64-byte ML-KEM key generation seed d ‖ z for `e1` (test vectors only; FIPS 203 §7.1). */
  fixedKemSeedForTestingOnly?: Uint8Array;
  /** Fixed 32-byte ML-KEM encapsulation randomness m for `ekem1` (test vectors only; FIPS 203 §7.2). */
  fixedKemMessageForTestingOnly?: Uint8Array;
}

export class HandshakeState {
  readonly role: Role;
  readonly #pattern: CompiledPattern;
  readonly #symmetric: SymmetricState;
  readonly #onKeyStage: HandshakeStateOptions['onKeyStage'];
  #psk: Uint8Array | undefined;
  #e: KeyPair | undefined;
  #re: Uint8Array | undefined;
  /** Our KEM key pair (e1) and the peer's KEM public key (re1), Noise HFS §4. */
  #e1: KeyPair | undefined;
  #re1: Uint8Array | undefined;
  #fixedEphemeral: Uint8Array | undefined;
  #fixedKemSeed: Uint8Array | undefined;
  #fixedKemMessage: Uint8Array | undefined;
  #messageIndex = 0;
  #split = false;
  #disposed = false;

  constructor(options: HandshakeStateOptions) {
    if (options.role !== 'initiator' && options.role !== 'responder') {
      throw new InvalidArgumentError("role must be 'initiator' or 'responder'");
    }
    this.role = options.role;
    const pattern = options.pattern === undefined ? NNPSK2 : options.pattern;
    this.#pattern = PRECOMPILED.get(pattern) ?? compilePattern(pattern);
    if (options.psk !== undefined) this.setPsk(options.psk);
    if (options.onKeyStage !== undefined && typeof options.onKeyStage !== 'function') throw new InvalidArgumentError('onKeyStage must be a function');
    this.#onKeyStage = options.onKeyStage;
    const prologue = options.prologue ?? EMPTY;
    assertBytes(prologue, 'prologue');
    if (options.fixedEphemeralPrivateKeyForTestingOnly !== undefined) {
      const fixed = options.fixedEphemeralPrivateKeyForTestingOnly;
      if (!(fixed instanceof Uint8Array) || fixed.length !== DH_BYTES) {
        throw new InvalidKeyLengthError(`fixedEphemeralPrivateKeyForTestingOnly must be ${DH_BYTES} bytes`);
      }
      this.#fixedEphemeral = fixed.slice();
    }
    this.#fixedKemSeed = fixedBytes(options.fixedKemSeedForTestingOnly, 64, 'fixedKemSeedForTestingOnly');
    this.#fixedKemMessage = fixedBytes(options.fixedKemMessageForTestingOnly, 32, 'fixedKemMessageForTestingOnly');
    // Initialize() (§5.3): InitializeSymmetric(protocol_name), MixHash(prologue); NN has no pre-messages.
    this.#symmetric = SymmetricState.initialize(this.#pattern.protocolName);
    this.#symmetric.mixHash(prologue);
  }

  /** Supply the PSK (32 bytes) if it was not given at construction. */
  setPsk(psk: Uint8Array): void {
    if (!(psk instanceof Uint8Array) || psk.length !== PSK_BYTES) {
      throw new InvalidKeyLengthError(`psk must be ${PSK_BYTES} bytes (Noise §9.1)`);
    }
    this.#psk?.fill(0);
    this.#psk = psk.slice();
  }

  get isComplete(): boolean {
    return this.#messageIndex >= this.#pattern.messages.length;
  }

  #assertUsable(): void {
    if (this.#disposed) throw new InvalidStateError('handshake was disposed');
  }

  #assertTurn(writing: boolean): readonly Token[] {
    this.#assertUsable();
    if (this.isComplete) throw new InvalidStateError('handshake is already complete');
    const initiatorTurn = this.#messageIndex % 2 === 0;
    const myTurn = initiatorTurn === (this.role === 'initiator');
    if (myTurn !== writing) {
      throw new InvalidStateError(writing ? 'it is the peer’s turn to send: call readMessage()' : 'it is our turn to send: call writeMessage()');
    }
    return this.#pattern.messages[this.#messageIndex]!;
  }

  #generateEphemeral(): KeyPair {
    if (this.#fixedEphemeral !== undefined) {
      const secretKey = this.#fixedEphemeral.slice();
      return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
    }
    const { secretKey, publicKey } = x25519.keygen();
    return { secretKey, publicKey };
  }

  /** The `psk` token (§9.2): MixKeyAndHash(psk) on the working copy, then the K2 observer sees ck. */
  #mixPsk(work: SymmetricState): void {
    work.mixKeyAndHash(this.#pskOrThrow());
    if (this.#onKeyStage === undefined) return;
    const ck = work.chainingKey;
    try {
      this.#onKeyStage('psk', ck);
    } finally {
      ck.fill(0);
    }
  }

  #pskOrThrow(): Uint8Array {
    if (this.#psk === undefined) throw new InvalidStateError('psk is not set: call setPsk() before the psk token');
    return this.#psk;
  }

  /** WriteMessage(payload, message_buffer) (§5.3). Returns the message bytes. */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    const tokens = this.#assertTurn(true);
    assertBytes(payload, 'payload');
    const overhead = this.#pattern.overhead[this.#messageIndex]!;
    if (payload.length + overhead > MAX_MESSAGE_BYTES) {
      throw new PayloadTooLargeError(`payload must be at most ${MAX_MESSAGE_BYTES - overhead} bytes (message limit ${MAX_MESSAGE_BYTES}, Noise §3)`);
    }
    const work = this.#symmetric.clone();
    const parts: Uint8Array[] = [];
    let e = this.#e;
    let generated: KeyPair | undefined;
    let generatedKem: KeyPair | undefined;
    try {
      for (let t = 0; t < tokens.length; t++) {
        const token = tokens[t]!;
        const keyUnused = this.#keyOverwritten(tokens, t);
        switch (token) {
          case 'e':
            generated = this.#generateEphemeral();
            e = generated;
            parts.push(e.publicKey);
            work.mixHash(e.publicKey);
            if (this.#pattern.pskMode) this.#mixKey(work, e.publicKey, keyUnused); // §9.2: PSK handshakes follow MixHash(e) with MixKey(e)
            break;
          case 'ee':
            this.#dhInto(work, e!, this.#re!, keyUnused);
            break;
          case 'psk':
            this.#mixPsk(work);
            break;
          case 'e1':
            generatedKem = ml_kem768.keygen(this.#fixedKemSeed);
            parts.push(work.encryptAndHash(generatedKem.publicKey));
            break;
          case 'ekem1': {
            const { cipherText, sharedSecret } = encapsulateToPeer(this.#re1!, this.#fixedKemMessage);
            parts.push(work.encryptAndHash(cipherText));
            this.#mixKemOutput(work, sharedSecret, keyUnused);
            break;
          }
        }
      }
      parts.push(work.encryptAndHash(payload));
    } catch (error) {
      generated?.secretKey.fill(0);
      generatedKem?.secretKey.fill(0);
      work.destroy();
      throw error;
    }
    // Take the new ephemeral before #commit: when this message completes the handshake, #commit
    // wipes #e, and that must be this ephemeral (the responder generates its own in message 2).
    if (generated !== undefined) {
      this.#e?.secretKey.fill(0);
      this.#e = generated;
    }
    if (generatedKem !== undefined) this.#e1 = generatedKem;
    this.#commit(work);
    return concatBytes(...parts);
  }

  /** ReadMessage(message, payload_buffer) (§5.3). Returns the decrypted payload. */
  readMessage(message: Uint8Array): Uint8Array {
    const tokens = this.#assertTurn(false);
    assertBytes(message, 'message');
    if (message.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError(`handshake message exceeds ${MAX_MESSAGE_BYTES} bytes (Noise §3)`);
    const work = this.#symmetric.clone();
    let offset = 0;
    let re = this.#re;
    let re1 = this.#re1;
    try {
      for (let t = 0; t < tokens.length; t++) {
        const token = tokens[t]!;
        const keyUnused = this.#keyOverwritten(tokens, t);
        switch (token) {
          case 'e':
            if (message.length - offset < DH_BYTES) throw new MalformedMessageError('handshake message is too short for the ephemeral public key');
            re = message.slice(offset, offset + DH_BYTES);
            offset += DH_BYTES;
            work.mixHash(re);
            if (this.#pattern.pskMode) this.#mixKey(work, re, keyUnused); // §9.2
            break;
          case 'ee':
            this.#dhInto(work, this.#e!, re!, keyUnused);
            break;
          case 'psk':
            this.#mixPsk(work);
            break;
          case 'e1': {
            const length = KEM_PUBLIC_KEY_BYTES + (work.cipher.hasKey() ? TAG_BYTES : 0);
            if (message.length - offset < length) throw new MalformedMessageError('handshake message is too short for the KEM public key');
            re1 = work.decryptAndHash(message.subarray(offset, offset + length), `message ${this.#messageIndex + 1} KEM public key`);
            offset += length;
            break;
          }
          case 'ekem1': {
            const length = KEM_CIPHERTEXT_BYTES + (work.cipher.hasKey() ? TAG_BYTES : 0);
            if (message.length - offset < length) throw new MalformedMessageError('handshake message is too short for the KEM ciphertext');
            const cipherText = work.decryptAndHash(message.subarray(offset, offset + length), `message ${this.#messageIndex + 1} KEM ciphertext`);
            offset += length;
            // A modified ciphertext does not throw: ML-KEM's implicit rejection gives another output
            // (FIPS 203 §7.3), so the keys differ and the payload tag below fails.
            this.#mixKemOutput(work, ml_kem768.decapsulate(cipherText, this.#e1!.secretKey), keyUnused);
            break;
          }
        }
      }
      const rest = message.subarray(offset);
      if (work.cipher.hasKey() && rest.length < TAG_BYTES) {
        throw new MalformedMessageError('handshake message is too short for the payload tag');
      }
      const payload = work.decryptAndHash(rest, `message ${this.#messageIndex + 1} payload`);
      this.#commit(work);
      this.#re = re;
      this.#re1 = re1;
      return payload;
    } catch (error) {
      work.destroy();
      throw error;
    }
  }

  /**
   * True when the cipher key a MixKey at `tokens[t]` would set is replaced by the next token
   * before any encryption (the next token mixes a key too): then only ck needs computing. The
   * state after the next token is exactly Noise's.
   */
  #keyOverwritten(tokens: readonly Token[], t: number): boolean {
    const next = tokens[t + 1];
    return next === 'ee' || next === 'psk' || (next === 'e' && this.#pattern.pskMode);
  }

  #mixKey(work: SymmetricState, input: Uint8Array, keyUnused: boolean): void {
    if (keyUnused) work.mixKeyChainingKeyOnly(input);
    else work.mixKey(input);
  }

  /** DH(e, re) → MixKey; the WASM X25519 rejects low-order points with ERR_LOW_ORDER_POINT. */
  #dhInto(work: SymmetricState, e: KeyPair, re: Uint8Array, keyUnused: boolean): void {
    const shared = x25519.getSharedSecret(e.secretKey, re);
    try {
      this.#onKeyStage?.('ee', shared);
      this.#mixKey(work, shared, keyUnused);
    } finally {
      shared.fill(0);
    }
  }

  /** `ekem1` (HFS §4): MixKey(kem_output); the K-stage observer sees it first; wiped after. */
  #mixKemOutput(work: SymmetricState, output: Uint8Array, keyUnused: boolean): void {
    try {
      this.#onKeyStage?.('ekem1', output);
      this.#mixKey(work, output, keyUnused);
    } finally {
      output.fill(0);
    }
  }

  #commit(work: SymmetricState): void {
    this.#symmetric.assign(work);
    work.destroy();
    this.#messageIndex += 1;
    if (this.isComplete) {
      // Ephemeral private key and PSK are no longer needed once both messages are processed.
      this.#e?.secretKey.fill(0);
      this.#e1?.secretKey.fill(0);
      this.#psk?.fill(0);
      this.#fixedEphemeral?.fill(0);
      this.#fixedKemSeed?.fill(0);
      this.#fixedKemMessage?.fill(0);
    }
  }

  /** GetHandshakeHash() (§5.2): h, for channel binding (§11.2). Only once the handshake is complete. */
  getHandshakeHash(): Uint8Array {
    this.#assertUsable();
    if (!this.isComplete) throw new InvalidStateError('the handshake hash is final only once the handshake is complete');
    return this.#symmetric.handshakeHash;
  }

  /** Split() (§5.2): (c1, c2) = initiator→responder, responder→initiator. Once. Wipes ck. */
  splitCipherStates(): [CipherState, CipherState] {
    this.#assertUsable();
    if (!this.isComplete) throw new InvalidStateError('split() needs a complete handshake');
    if (this.#split) throw new InvalidStateError('split() was already called');
    this.#split = true;
    const pair = this.#symmetric.split();
    this.#symmetric.destroy();
    return pair;
  }

  /**
   * The final chaining key (a copy; the caller wipes it), for derivations beyond Split() such as
   * E2-E2's K2 → K3 (SPEC.md §6). Only once complete and before split.
   */
  finalChainingKey(): Uint8Array {
    this.#assertUsable();
    if (!this.isComplete) throw new InvalidStateError('the chaining key is final only once the handshake is complete');
    if (this.#split) throw new InvalidStateError('split() was already called');
    return this.#symmetric.chainingKey;
  }

  /** Current symmetric values (tests, traces and vectors only). */
  symmetricForTestingOnly(): SymmetricState {
    return this.#symmetric.clone();
  }

  /**
   * The live arrays that hold secrets (ck, cipher key, ephemeral private key, PSK, fixed
   * ephemeral), not copies: wipe tests hold them across dispose()/split()/a failed step.
   */
  liveSecretsForTestingOnly(): Uint8Array[] {
    const out = this.#symmetric.liveSecretsForTestingOnly();
    for (const a of [this.#e?.secretKey, this.#e1?.secretKey, this.#psk, this.#fixedEphemeral, this.#fixedKemSeed, this.#fixedKemMessage]) if (a !== undefined) out.push(a);
    return out;
  }

  dispose(): void {
    this.#symmetric.destroy();
    this.#e?.secretKey.fill(0);
    this.#e1?.secretKey.fill(0);
    this.#psk?.fill(0);
    this.#fixedEphemeral?.fill(0);
    this.#fixedKemSeed?.fill(0);
    this.#fixedKemMessage?.fill(0);
    this.#disposed = true;
  }
}

/** A copy of a fixed test input of `length` bytes, or undefined. */
function fixedBytes(value: Uint8Array | undefined, length: number, name: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array) || value.length !== length) throw new InvalidKeyLengthError(`${name} must be ${length} bytes`);
  return value.slice();
}

/** ML-KEM.Encaps to the peer's e1 key; a key failing FIPS 203 §7.2's modulus check is the peer's malformed message. */
function encapsulateToPeer(publicKey: Uint8Array, msg: Uint8Array | undefined): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  try {
    return ml_kem768.encapsulate(publicKey, msg);
  } catch (error) {
    if (error instanceof InvalidPublicKeyError) throw new MalformedMessageError("the peer's KEM public key fails the modulus check (FIPS 203 §7.2)", { cause: error });
    throw error;
  }
}
