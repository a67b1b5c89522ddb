/**
 * Noise SymmetricState (Noise rev 34 §5.2) over SHA256 (§12.5): a CipherState plus the chaining
 * key `ck` and the handshake hash `h`.
 *
 * HKDF(ck, ikm, n) of Noise §4.3 is HMAC-based: temp = HMAC(ck, ikm), out1 = HMAC(temp, 0x01),
 * out2 = HMAC(temp, out1 || 0x02), out3 = HMAC(temp, out2 || 0x03). As §4.3 notes, that is
 * RFC 5869 HKDF with salt = ck, empty info and L = 32·n (RFC 5869 §2.2-2.3: T(i) = HMAC(PRK,
 * T(i-1) || info || i)), so it runs as one call into the WASM HKDF. The noble oracle in
 * test/oracle/ computes the HMAC chain literally, and the two are compared byte for byte.
 */
import { hkdf } from '../core/hkdf.js';
import { sha256 } from '../core/sha256.js';
import { HASH_BYTES, NOISE_PROTOCOL_NAME } from './constants.js';
import { CipherState } from './cipher-state.js';

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Noise HKDF(chainingKey, inputKeyMaterial, numOutputs) (§4.3): 2 or 3 outputs of 32 bytes. */
export function noiseHkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, numOutputs: 2 | 3): Uint8Array[] {
  const okm = hkdf(sha256, inputKeyMaterial, chainingKey, EMPTY, numOutputs * HASH_BYTES);
  const outputs: Uint8Array[] = [];
  for (let i = 0; i < numOutputs; i++) outputs.push(okm.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  okm.fill(0);
  return outputs;
}

/** Only the first output of Noise HKDF (the new chaining key), when the second is discarded unused. */
export function noiseHkdfFirst(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array): Uint8Array {
  return hkdf(sha256, inputKeyMaterial, chainingKey, EMPTY, HASH_BYTES);
}

/** h = HASH(a || b). */
function hashConcat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const input = new Uint8Array(a.length + b.length);
  input.set(a);
  input.set(b, a.length);
  return sha256(input);
}

let protocolNameHash: Uint8Array | undefined;

/** The initial h for E2-E2's protocol name, hashed once (§5.2). */
function initialHash(): Uint8Array {
  if (protocolNameHash === undefined) protocolNameHash = hashProtocolName(NOISE_PROTOCOL_NAME);
  return protocolNameHash;
}

/** §5.2 InitializeSymmetric: name padded with zeros to HASHLEN if it fits, else HASH(name). */
function hashProtocolName(protocolName: string): Uint8Array {
  const name = encoder.encode(protocolName);
  if (name.length > HASH_BYTES) return sha256(name);
  const h = new Uint8Array(HASH_BYTES);
  h.set(name);
  return h;
}

export class SymmetricState {
  readonly cipher: CipherState;
  #ck: Uint8Array;
  #h: Uint8Array;

  private constructor(ck: Uint8Array, h: Uint8Array, cipher: CipherState) {
    this.#ck = ck;
    this.#h = h;
    this.cipher = cipher;
  }

  /**
   * InitializeSymmetric(protocol_name) (§5.2): h = HASH(name) (or name zero-padded when it fits
   * in HASHLEN), ck = h, k empty. Defaults to Noise_NNpsk2_25519_ChaChaPoly_SHA256, whose h is cached.
   */
  static initialize(protocolName: string = NOISE_PROTOCOL_NAME): SymmetricState {
    const h = protocolName === NOISE_PROTOCOL_NAME ? initialHash() : hashProtocolName(protocolName);
    // h may be shared (here with the cached hash, in clone/assign with another state): it is never
    // written in place, only replaced by MixHash. ck is wiped in place, so each state owns a copy.
    return new SymmetricState(h.slice(), h, new CipherState());
  }

  /** The chaining key (a copy). */
  get chainingKey(): Uint8Array {
    return this.#ck.slice();
  }

  /** The handshake hash h (a copy). */
  get handshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  /** MixKey(ikm): ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k). */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = noiseHkdf(this.#ck, inputKeyMaterial, 2) as [Uint8Array, Uint8Array];
    this.#replaceChainingKey(ck);
    this.cipher.initializeKey(tempK);
    tempK.fill(0);
  }

  /** MixHash(data): h = HASH(h || data). */
  mixHash(data: Uint8Array): void {
    this.#h = hashConcat(this.#h, data);
  }

  /** MixKeyAndHash(ikm): ck, temp_h, temp_k = HKDF(ck, ikm, 3); MixHash(temp_h); InitializeKey(temp_k). */
  mixKeyAndHash(inputKeyMaterial: Uint8Array): void {
    const [ck, tempH, tempK] = noiseHkdf(this.#ck, inputKeyMaterial, 3) as [Uint8Array, Uint8Array, Uint8Array];
    this.applyKeyAndHash(ck, tempH, tempK);
  }

  /**
   * The state change of MixKeyAndHash given its three HKDF outputs: ck = newCk, MixHash(tempH),
   * InitializeKey(tempK). Lets the E2-E2 layer run the same step from its named K2 derivation.
   * Takes ownership of the three arrays and wipes the secret ones.
   */
  applyKeyAndHash(newChainingKey: Uint8Array, tempH: Uint8Array, tempK: Uint8Array): void {
    this.#replaceChainingKey(newChainingKey);
    this.mixHash(tempH);
    tempH.fill(0);
    this.cipher.initializeKey(tempK);
    tempK.fill(0);
  }

  /**
   * MixKey(ikm) when its temp_k is replaced by a later MixKey/MixKeyAndHash before any
   * encryption (message 2's `e` token, followed by `ee` and `psk`): only ck = HKDF(ck, ikm, 2)[0]
   * is computed. The cipher key is left as it was; it is never used before being replaced, so the
   * resulting state after the next key-setting step is identical to Noise's.
   */
  mixKeyChainingKeyOnly(inputKeyMaterial: Uint8Array): void {
    this.#replaceChainingKey(noiseHkdfFirst(this.#ck, inputKeyMaterial));
  }

  #replaceChainingKey(ck: Uint8Array): void {
    this.#ck.fill(0);
    this.#ck = ck;
  }

  /** EncryptAndHash(plaintext): ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext). */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** DecryptAndHash(ciphertext): plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext). */
  decryptAndHash(ciphertext: Uint8Array, what: string): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.#h, ciphertext, what);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** Split(): temp_k1, temp_k2 = HKDF(ck, zerolen, 2); returns (c1, c2): initiator→responder, responder→initiator. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = noiseHkdf(this.#ck, EMPTY, 2) as [Uint8Array, Uint8Array];
    const c1 = new CipherState();
    const c2 = new CipherState();
    c1.initializeKey(k1);
    c2.initializeKey(k2);
    k1.fill(0);
    k2.fill(0);
    return [c1, c2];
  }

  clone(): SymmetricState {
    return new SymmetricState(this.#ck.slice(), this.#h, this.cipher.clone());
  }

  /** Commit: take over another state's values (the other is left intact; destroy it afterwards). */
  assign(other: SymmetricState): void {
    this.#ck.fill(0);
    this.#ck = other.#ck.slice();
    this.#h = other.#h;
    this.cipher.assign(other.cipher);
  }

  /** The live secret arrays (ck, cipher key), not copies: wipe tests only. */
  liveSecretsForTestingOnly(): Uint8Array[] {
    const key = this.cipher.liveKeyForTestingOnly();
    return key === null ? [this.#ck] : [this.#ck, key];
  }

  /** Wipe ck and the cipher key (h is kept: it is the channel-binding value, Noise §11.2). */
  destroy(): void {
    this.#ck.fill(0);
    this.cipher.destroy();
  }
}
