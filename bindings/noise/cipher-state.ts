/**
 * Noise CipherState (Noise rev 34 §5.1) for ChaChaPoly (§12.3): a 32-byte key `k` (or empty) and a
 * 64-bit counter nonce `n`. ENCRYPT/DECRYPT are AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) with the
 * 96-bit nonce 0x00000000 || little-endian(n) (§12.3). REKEY(k) is the first 32 bytes of
 * ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes) (§4.2).
 *
 * Invariants: a failed decryption changes nothing (the nonce is not consumed, §5.1); 2^64 - 1 is
 * never used to encrypt a message: once `n` reaches it, encrypt and decrypt signal
 * ERR_NONCE_EXHAUSTED (§5.1).
 */
import { chacha20poly1305, chacha20poly1305Open, chacha20poly1305Seal, chacha20poly1305SealPrefixed } from '../core/chacha20poly1305.js';
import { AuthenticationError, InvalidStateError, NonceExhaustedError } from '../errors.js';
import { CIPHER_KEY_BYTES, NONCE_MAX_HIGH, NONCE_MAX_LOW } from './constants.js';
import { authenticationFailed } from './failures.js';

const TWO_POW_32 = 0x1_0000_0000;
const EMPTY = new Uint8Array(0);
const REKEY_ZEROS = new Uint8Array(CIPHER_KEY_BYTES);

/** The 12-byte ChaChaPoly nonce for counter (high, low): 4 zero bytes, then n as u64 little-endian (Noise §12.3). */
export function noiseNonce(high: number, low: number): Uint8Array {
  return writeNoiseNonce(new Uint8Array(12), high, low);
}

/** Write counter (high, low) into bytes 4..11 of a 12-byte nonce whose first 4 bytes are zero (Noise §12.3). */
function writeNoiseNonce(nonce: Uint8Array, high: number, low: number): Uint8Array {
  nonce[4] = low & 0xff;
  nonce[5] = (low >>> 8) & 0xff;
  nonce[6] = (low >>> 16) & 0xff;
  nonce[7] = low >>> 24;
  nonce[8] = high & 0xff;
  nonce[9] = (high >>> 8) & 0xff;
  nonce[10] = (high >>> 16) & 0xff;
  nonce[11] = high >>> 24;
  return nonce;
}

export class CipherState {
  /** The key, or null for Noise's `empty`. Owned: copied in, wiped on replace and destroy. */
  #k: Uint8Array | null = null;
  /** n = high * 2^32 + low, each an unsigned 32-bit integer kept in a JS number. */
  #high = 0;
  #low = 0;
  /** The 12-byte nonce of (high, low), rewritten per message instead of allocated (it is public). */
  readonly #nonce = new Uint8Array(12);

  /** InitializeKey(key): k = key (copied; null means empty), n = 0. */
  initializeKey(key: Uint8Array | null): void {
    this.#k?.fill(0);
    this.#k = key === null ? null : key.slice();
    this.#high = 0;
    this.#low = 0;
  }

  /** HasKey(). */
  hasKey(): boolean {
    return this.#k !== null;
  }

  /** The current nonce as a bigint (tests and traces). */
  get nonce(): bigint {
    return (BigInt(this.#high) << 32n) | BigInt(this.#low);
  }

  /** SetNonce(nonce) (§5.1). Not used by the protocol itself; tests use it to reach the 2^64 - 1 limit. */
  setNonce(nonce: bigint): void {
    this.#high = Number((nonce >> 32n) & 0xffffffffn);
    this.#low = Number(nonce & 0xffffffffn);
  }

  #assertNonceUsable(): void {
    if (this.#high === NONCE_MAX_HIGH && this.#low === NONCE_MAX_LOW) {
      throw new NonceExhaustedError('nonce exhausted: 2^64 - 1 messages were processed with this key (Noise §5.1); end the session');
    }
  }

  #increment(): void {
    this.#low += 1;
    if (this.#low === TWO_POW_32) {
      this.#low = 0;
      this.#high += 1;
    }
  }

  /** The current nonce (Noise §12.3 layout) in the reused #nonce buffer. */
  #currentNonce(): Uint8Array {
    return writeNoiseNonce(this.#nonce, this.#high, this.#low);
  }

  /**
   * EncryptWithAd(empty, prefix || body) for a record layer, into one buffer that starts with
   * `headroom` zero bytes for a transport's frame header (see chacha20poly1305SealPrefixed).
   * Requires a key (transport phase only).
   */
  encryptPrefixed(prefix: number, body: Uint8Array, headroom: number): Uint8Array {
    if (this.#k === null) throw new InvalidStateError('encryptPrefixed needs a key (transport phase)');
    this.#assertNonceUsable();
    const sealed = chacha20poly1305SealPrefixed(this.#k, this.#currentNonce(), prefix, body, headroom);
    this.#increment();
    return sealed;
  }

  /** EncryptWithAd(ad, plaintext): ENCRYPT(k, n++, ad, plaintext), or a copy of the plaintext when k is empty. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.#k === null) return plaintext.slice();
    this.#assertNonceUsable();
    const ciphertext = chacha20poly1305Seal(this.#k, this.#currentNonce(), plaintext, ad);
    this.#increment();
    return ciphertext;
  }

  /**
   * DECRYPT(k, n, ad, ciphertext) WITHOUT consuming the nonce: callers that must validate the
   * plaintext before committing call `advance()` afterwards. Throws ERR_AUTHENTICATION_FAILED
   * (uniform message; the AEAD error is the cause) and changes nothing on failure.
   */
  decryptPeek(ad: Uint8Array, ciphertext: Uint8Array, what: string): Uint8Array {
    if (this.#k === null) return ciphertext.slice();
    this.#assertNonceUsable();
    // A ciphertext shorter than the tag fails inside the AEAD (AuthenticationError, RFC 8439 §2.8),
    // so it is reported below like any forgery, with the AEAD's reason in the cause.
    try {
      return chacha20poly1305Open(this.#k, this.#currentNonce(), ciphertext, ad);
    } catch (error) {
      if (error instanceof AuthenticationError) throw authenticationFailed(what, error);
      throw error;
    }
  }

  /** Consume the nonce of a successful `decryptPeek` (no-op when k is empty, like DecryptWithAd). */
  advance(): void {
    if (this.#k !== null) this.#increment();
  }

  /** DecryptWithAd(ad, ciphertext): DECRYPT(k, n++, ad, ciphertext); on failure n is not incremented. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array, what = 'ciphertext'): Uint8Array {
    const plaintext = this.decryptPeek(ad, ciphertext, what);
    this.advance();
    return plaintext;
  }

  /** Rekey(): k = REKEY(k), n unchanged (§4.2, §11.3). */
  rekey(): void {
    if (this.#k === null) return;
    const maxNonce = noiseNonce(NONCE_MAX_HIGH, NONCE_MAX_LOW);
    const output = chacha20poly1305(this.#k, maxNonce, EMPTY).encrypt(REKEY_ZEROS);
    this.#k.set(output.subarray(0, CIPHER_KEY_BYTES));
    output.fill(0);
  }

  /** An independent copy (key copied), for compute-then-commit. */
  clone(): CipherState {
    const copy = new CipherState();
    copy.#k = this.#k === null ? null : this.#k.slice();
    copy.#high = this.#high;
    copy.#low = this.#low;
    return copy;
  }

  /** Copy another state's key and nonce into this one (the commit step). */
  assign(other: CipherState): void {
    this.#k?.fill(0);
    this.#k = other.#k === null ? null : other.#k.slice();
    this.#high = other.#high;
    this.#low = other.#low;
  }

  /** Wipe the key; the state becomes empty. */
  destroy(): void {
    this.#k?.fill(0);
    this.#k = null;
    this.#high = 0;
    this.#low = 0;
  }

  /** The live key array itself, not a copy (wipe tests: hold it, dispose, check it is zero). Never exposed by the public API. */
  liveKeyForTestingOnly(): Uint8Array | null {
    return this.#k;
  }

  /** A copy of k (tests, traces and vectors; never exposed by the public API). */
  keyForTestingOnly(): Uint8Array | null {
    return this.#k === null ? null : this.#k.slice();
  }
}
