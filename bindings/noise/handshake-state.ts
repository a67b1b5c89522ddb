/**
 * Noise HandshakeState (Noise rev 34 §5.3) for the one pattern E2-E2 uses, NNpsk2 (§7.5, §9.4):
 *
 *     -> e
 *     <- e, ee, psk
 *
 * with the PSK token rules of §9.2: every `e` token is MixHash(e.public_key) followed by
 * MixKey(e.public_key), and `psk` is MixKeyAndHash(psk). Because of that MixKey, message 1's
 * payload is encrypted too, under a key derived only from public values (readable by anyone).
 *
 * Every step computes on a copy of the SymmetricState and commits only on success, so a failed
 * readMessage/writeMessage (bad tag, low-order key, malformed length) leaves the state as it was.
 */
import { x25519 } from '../core/x25519.js';
import { assertBytes } from '../core/bytes.js';
import { InvalidArgumentError, InvalidKeyLengthError, InvalidStateError, MalformedMessageError, MessageTooLargeError, PayloadTooLargeError } from '../errors.js';
import { DH_BYTES, MAX_MESSAGE_BYTES, PSK_BYTES, TAG_BYTES } from './constants.js';
import { concatBytes } from './bytes.js';
import type { CipherState } from './cipher-state.js';
import { SymmetricState } from './symmetric-state.js';

export type Role = 'initiator' | 'responder';
type Token = 'e' | 'ee' | 'psk';

/** NNpsk2 message patterns; even indexes are sent by the initiator. */
const MESSAGE_PATTERNS: readonly (readonly Token[])[] = [['e'], ['e', 'ee', 'psk']];

const EMPTY = new Uint8Array(0);

interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface HandshakeStateOptions {
  role: Role;
  /** 32-byte PSK, or undefined when it will be supplied later with `setPsk()` (before the `psk` token). */
  psk?: Uint8Array;
  prologue?: Uint8Array;
  /** Fixed ephemeral private key (test vectors only). Never use it for real traffic: it destroys forward secrecy. */
  fixedEphemeralPrivateKeyForTestingOnly?: Uint8Array;
}

export class HandshakeState {
  readonly role: Role;
  readonly #symmetric: SymmetricState;
  #psk: Uint8Array | undefined;
  #e: KeyPair | undefined;
  #re: Uint8Array | undefined;
  #fixedEphemeral: Uint8Array | undefined;
  #messageIndex = 0;
  #split = false;
  #disposed = false;

  constructor(options: HandshakeStateOptions) {
    if (options.role !== 'initiator' && options.role !== 'responder') {
      throw new InvalidArgumentError("role must be 'initiator' or 'responder'");
    }
    this.role = options.role;
    if (options.psk !== undefined) this.setPsk(options.psk);
    const prologue = options.prologue ?? EMPTY;
    assertBytes(prologue, 'prologue');
    if (options.fixedEphemeralPrivateKeyForTestingOnly !== undefined) {
      const fixed = options.fixedEphemeralPrivateKeyForTestingOnly;
      if (!(fixed instanceof Uint8Array) || fixed.length !== DH_BYTES) {
        throw new InvalidKeyLengthError(`fixedEphemeralPrivateKeyForTestingOnly must be ${DH_BYTES} bytes`);
      }
      this.#fixedEphemeral = fixed.slice();
    }
    // Initialize() (§5.3): InitializeSymmetric(protocol_name), MixHash(prologue); NN has no pre-messages.
    this.#symmetric = SymmetricState.initialize();
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
    return this.#messageIndex >= MESSAGE_PATTERNS.length;
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
    return MESSAGE_PATTERNS[this.#messageIndex]!;
  }

  #generateEphemeral(): KeyPair {
    if (this.#fixedEphemeral !== undefined) {
      const secretKey = this.#fixedEphemeral.slice();
      return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
    }
    const { secretKey, publicKey } = x25519.keygen();
    return { secretKey, publicKey };
  }

  #pskOrThrow(): Uint8Array {
    if (this.#psk === undefined) throw new InvalidStateError('psk is not set: call setPsk() before the psk token');
    return this.#psk;
  }

  /** WriteMessage(payload, message_buffer) (§5.3). Returns the message bytes. */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    const tokens = this.#assertTurn(true);
    assertBytes(payload, 'payload');
    const overhead = tokens.filter((t) => t === 'e').length * DH_BYTES + TAG_BYTES;
    if (payload.length + overhead > MAX_MESSAGE_BYTES) {
      throw new PayloadTooLargeError(`payload must be at most ${MAX_MESSAGE_BYTES - overhead} bytes (message limit ${MAX_MESSAGE_BYTES}, Noise §3)`);
    }
    const work = this.#symmetric.clone();
    const parts: Uint8Array[] = [];
    let e = this.#e;
    let generated: KeyPair | undefined;
    try {
      for (const token of tokens) {
        switch (token) {
          case 'e':
            generated = this.#generateEphemeral();
            e = generated;
            parts.push(e.publicKey);
            work.mixHash(e.publicKey);
            work.mixKey(e.publicKey); // §9.2: PSK handshakes follow MixHash(e) with MixKey(e)
            break;
          case 'ee':
            this.#dhInto(work, e!, this.#re!);
            break;
          case 'psk':
            work.mixKeyAndHash(this.#pskOrThrow());
            break;
        }
      }
      parts.push(work.encryptAndHash(payload));
    } catch (error) {
      generated?.secretKey.fill(0);
      work.destroy();
      throw error;
    }
    this.#commit(work);
    if (generated !== undefined) {
      this.#e?.secretKey.fill(0);
      this.#e = generated;
    }
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
    try {
      for (const token of tokens) {
        switch (token) {
          case 'e':
            if (message.length - offset < DH_BYTES) throw new MalformedMessageError('handshake message is too short for the ephemeral public key');
            re = message.slice(offset, offset + DH_BYTES);
            offset += DH_BYTES;
            work.mixHash(re);
            work.mixKey(re); // §9.2
            break;
          case 'ee':
            this.#dhInto(work, this.#e!, re!);
            break;
          case 'psk':
            work.mixKeyAndHash(this.#pskOrThrow());
            break;
        }
      }
      const rest = message.subarray(offset);
      if (work.cipher.hasKey() && rest.length < TAG_BYTES) {
        throw new MalformedMessageError('handshake message is too short for the payload tag');
      }
      const payload = work.decryptAndHash(rest, `handshake message ${this.#messageIndex + 1} payload`);
      this.#commit(work);
      this.#re = re;
      return payload;
    } catch (error) {
      work.destroy();
      throw error;
    }
  }

  /** DH(e, re) → MixKey; the WASM X25519 rejects low-order points with ERR_LOW_ORDER_POINT. */
  #dhInto(work: SymmetricState, e: KeyPair, re: Uint8Array): void {
    const shared = x25519.getSharedSecret(e.secretKey, re);
    try {
      work.mixKey(shared);
    } finally {
      shared.fill(0);
    }
  }

  #commit(work: SymmetricState): void {
    this.#symmetric.assign(work);
    work.destroy();
    this.#messageIndex += 1;
    if (this.isComplete) {
      // Ephemeral private key and PSK are no longer needed once both messages are processed.
      this.#e?.secretKey.fill(0);
      this.#psk?.fill(0);
      this.#fixedEphemeral?.fill(0);
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

  /** Current symmetric values (tests, traces and vectors only). */
  symmetricForTestingOnly(): SymmetricState {
    return this.#symmetric.clone();
  }

  dispose(): void {
    this.#symmetric.destroy();
    this.#e?.secretKey.fill(0);
    this.#psk?.fill(0);
    this.#fixedEphemeral?.fill(0);
    this.#disposed = true;
  }
}
