/**
 * `e2e2/noise`: the raw Noise_NNpsk2_25519_ChaChaPoly_SHA256 layer (Noise rev 34), for
 * conformance tools and for anyone who wants plain Noise rather than the E2-E2 layer.
 *
 *     const initiator = createHandshake({ role: 'initiator', psk });
 *     const responder = createHandshake({ role: 'responder', psk });
 *     const m1 = initiator.writeMessage(payload1);      // -> e
 *     responder.readMessage(m1);
 *     const m2 = responder.writeMessage(payload2);      // <- e, ee, psk
 *     initiator.readMessage(m2);
 *     const a = initiator.split(), b = responder.split();
 *     b.decrypt(a.encrypt(data));                        // transport messages
 *
 * Shape guarantees: a failed `readMessage` or `decrypt` changes nothing (a later valid input
 * still works); messages are at most 65,535 bytes (Noise §3); errors are typed (bindings/errors.ts).
 */
import { InvalidArgumentError, InvalidStateError, MalformedMessageError, MessageTooLargeError, PayloadTooLargeError } from '../errors.js';
import { MAX_MESSAGE_BYTES, TAG_BYTES } from './constants.js';
import type { CipherState } from './cipher-state.js';
import { HandshakeState, type Role } from './handshake-state.js';
import { assertBytes } from '../core/bytes.js';

export type { Role, Token, HandshakePattern } from './handshake-state.js';
export { NNPSK2 } from './handshake-state.js';
export { NOISE_PROTOCOL_NAME } from './constants.js';

/** Options of createHandshake: the role, the pre-shared key and prologue, fixed ephemerals for tests. */
export interface CreateHandshakeOptions {
  role: Role;
  /** The 32-byte pre-shared key (Noise §9.1). */
  psk: Uint8Array;
  /** Prologue bytes both parties must agree on (Noise §6). Default: empty. */
  prologue?: Uint8Array;
  /**
   * Use this X25519 private key as the ephemeral instead of a fresh random one. For test
   * vectors only: a fixed ephemeral destroys forward secrecy and makes sessions linkable.
   */
  fixedEphemeralPrivateKeyForTestingOnly?: Uint8Array;
}

/** The transport phase for one party: encrypt with its sending CipherState, decrypt with its receiving one. */
export interface NoiseTransport {
  /** EncryptWithAd(zerolen, plaintext) on the sending CipherState. Plaintext at most 65,519 bytes. */
  encrypt(plaintext: Uint8Array): Uint8Array;
  /** DecryptWithAd(zerolen, ciphertext) on the receiving CipherState. A failure consumes no nonce. */
  decrypt(ciphertext: Uint8Array): Uint8Array;
  /** Rekey() the sending CipherState (Noise §4.2, §11.3). */
  rekeySend(): void;
  /** Rekey() the receiving CipherState. */
  rekeyReceive(): void;
  /** Wipe both keys. */
  dispose(): void;
}

/** A raw Noise_NNpsk2_25519_ChaChaPoly_SHA256 handshake (Noise rev 34): write/read its two messages, then split into transport CipherStates. */
export interface NoiseHandshake {
  readonly role: Role;
  /** Produce the next handshake message carrying `payload` (default: empty). */
  writeMessage(payload?: Uint8Array): Uint8Array;
  /** Consume the peer's next handshake message; returns its payload. */
  readMessage(message: Uint8Array): Uint8Array;
  /** True once both messages were processed. */
  readonly isComplete: boolean;
  /** The final handshake hash h (Noise §11.2 channel binding). */
  getHandshakeHash(): Uint8Array;
  /** Split() (Noise §5.2) into the transport for this role. Once; wipes the chaining key. */
  split(): NoiseTransport;
  /** Wipe every secret held by the handshake. */
  dispose(): void;
}

const EMPTY = new Uint8Array(0);
const MAX_TRANSPORT_PLAINTEXT_BYTES = MAX_MESSAGE_BYTES - TAG_BYTES;

/** Wrap (send, receive) CipherStates as the public transport object. */
function transport(send: CipherState, receive: CipherState): NoiseTransport {
  let disposed = false;
  const assertUsable = (): void => {
    if (disposed) throw new InvalidStateError('transport was disposed');
  };
  return {
    encrypt(plaintext: Uint8Array): Uint8Array {
      assertUsable();
      assertBytes(plaintext, 'plaintext');
      if (plaintext.length > MAX_TRANSPORT_PLAINTEXT_BYTES) {
        throw new PayloadTooLargeError(`plaintext must be at most ${MAX_TRANSPORT_PLAINTEXT_BYTES} bytes (Noise §3)`);
      }
      return send.encryptWithAd(EMPTY, plaintext);
    },
    decrypt(ciphertext: Uint8Array): Uint8Array {
      assertUsable();
      assertBytes(ciphertext, 'ciphertext');
      if (ciphertext.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError(`transport message exceeds ${MAX_MESSAGE_BYTES} bytes (Noise §3)`);
      if (ciphertext.length < TAG_BYTES) throw new MalformedMessageError('transport message is shorter than the tag');
      return receive.decryptWithAd(EMPTY, ciphertext, 'transport message');
    },
    rekeySend(): void {
      assertUsable();
      send.rekey();
    },
    rekeyReceive(): void {
      assertUsable();
      receive.rekey();
    },
    dispose(): void {
      send.destroy();
      receive.destroy();
      disposed = true;
    },
  };
}

/** Create one party of a Noise_NNpsk2_25519_ChaChaPoly_SHA256 handshake. */
export function createHandshake(options: CreateHandshakeOptions): NoiseHandshake {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
  const state = new HandshakeState(options);
  return {
    role: state.role,
    writeMessage: (payload?: Uint8Array) => state.writeMessage(payload),
    readMessage: (message: Uint8Array) => state.readMessage(message),
    get isComplete() {
      return state.isComplete;
    },
    getHandshakeHash: () => state.getHandshakeHash(),
    split(): NoiseTransport {
      const [c1, c2] = state.splitCipherStates();
      return state.role === 'initiator' ? transport(c1, c2) : transport(c2, c1);
    },
    dispose: () => state.dispose(),
  };
}
export * from '../errors.js';
