/**
 * BENCH ONLY (not shipped): E2-E2 v1 (SPEC.md §5-7) written once over a small set of primitives,
 * so the libsodium-wrappers and node:crypto contenders run the same protocol, each through its
 * library's fastest routes. test/protocol-bench-impls.test.ts checks that their bytes equal
 * e2e2's. Minimal validation: this is a measuring device, not an implementation to use.
 */

export interface Ephemeral {
  publicKey: Uint8Array;
  /** Library-specific private key handle (bytes, or a KeyObject). */
  privateKey: unknown;
}

export interface Primitives {
  /** A fresh X25519 key pair. */
  generateEphemeral(): Ephemeral;
  /** A fixed key pair (test vectors): private scalar and its public key. */
  ephemeralFrom(privateKey: Uint8Array, publicKey: Uint8Array): Ephemeral;
  /** X25519; throws on an all-zero result. */
  dh(own: Ephemeral, peerPublicKey: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF-SHA256 with empty info (Noise HKDF with n outputs = length 32·n). */
  noiseHkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, length: 64 | 96): Uint8Array;
  /** RFC 5869 HKDF-Expand-SHA256, L ≤ 32. */
  expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** ChaCha20-Poly1305 (RFC 8439): ciphertext || tag. */
  seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws on a bad tag. */
  open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const label = (s: string): Uint8Array => {
  const a = enc.encode(s);
  const out = new Uint8Array(a.length + 1);
  out.set(a);
  return out;
};
const LABEL_EXPORTER = label('e2e2/v1/exporter');
const LABEL_SESSION_ID = label('e2e2/v1/session-id');
const NAME = enc.encode('Noise_NNpsk2_25519_ChaChaPoly_SHA256');

function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function nonce(n: number): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setUint32(4, n >>> 0, true);
  new DataView(out.buffer).setUint32(8, Math.floor(n / 0x1_0000_0000), true);
  return out;
}
const MAX_NONCE = new Uint8Array([0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255]);

/** One direction of a session. */
class Direction {
  n = 0;
  constructor(
    private readonly p: Primitives,
    public key: Uint8Array,
  ) {}
  seal(type: number, data: Uint8Array): Uint8Array {
    const plaintext = new Uint8Array(1 + data.length);
    plaintext[0] = type;
    plaintext.set(data, 1);
    const record = this.p.seal(this.key, nonce(this.n++), EMPTY, plaintext);
    if (type === 3) this.key = this.p.seal(this.key, MAX_NONCE, EMPTY, new Uint8Array(32)).subarray(0, 32);
    return record;
  }
  open(record: Uint8Array): Uint8Array {
    const plaintext = this.p.open(this.key, nonce(this.n), EMPTY, record);
    this.n++;
    if (plaintext[0] === 3) this.key = this.p.seal(this.key, MAX_NONCE, EMPTY, new Uint8Array(32)).subarray(0, 32);
    return plaintext.subarray(1);
  }
}

export class BenchSession {
  readonly send: Direction;
  readonly receive: Direction;
  constructor(
    p: Primitives,
    sendKey: Uint8Array,
    receiveKey: Uint8Array,
    readonly sessionId: Uint8Array,
    readonly exporter: Uint8Array,
  ) {
    this.send = new Direction(p, sendKey);
    this.receive = new Direction(p, receiveKey);
  }
  /** A DATA record. */
  seal(data: Uint8Array): Uint8Array {
    return this.send.seal(1, data);
  }
  open(record: Uint8Array): Uint8Array {
    return this.receive.open(record);
  }
}

interface Symmetric {
  ck: Uint8Array;
  h: Uint8Array;
  k: Uint8Array;
}

export class BenchProtocol {
  readonly #h0: Uint8Array;

  constructor(private readonly p: Primitives) {
    this.#h0 = p.sha256(NAME);
  }

  #start(prologue: Uint8Array): Symmetric {
    return { ck: this.#h0, h: this.p.sha256(cat(this.#h0, prologue)), k: EMPTY };
  }

  #mixHash(s: Symmetric, data: Uint8Array): void {
    s.h = this.p.sha256(cat(s.h, data));
  }

  #mixKey(s: Symmetric, ikm: Uint8Array): void {
    const out = this.p.noiseHkdf(s.ck, ikm, 64);
    s.ck = out.subarray(0, 32);
    s.k = out.subarray(32, 64);
  }

  #mixKeyAndHash(s: Symmetric, ikm: Uint8Array): void {
    const out = this.p.noiseHkdf(s.ck, ikm, 96);
    s.ck = out.subarray(0, 32);
    this.#mixHash(s, out.subarray(32, 64));
    s.k = out.subarray(64, 96);
  }

  #encryptAndHash(s: Symmetric, plaintext: Uint8Array): Uint8Array {
    const c = this.p.seal(s.k, nonce(0), s.h, plaintext);
    this.#mixHash(s, c);
    return c;
  }

  #decryptAndHash(s: Symmetric, ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.p.open(s.k, nonce(0), s.h, ciphertext);
    this.#mixHash(s, ciphertext);
    return plaintext;
  }

  #session(s: Symmetric, client: boolean): BenchSession {
    const keys = this.p.noiseHkdf(s.ck, EMPTY, 64);
    const exporter = this.p.expand(s.ck, cat(LABEL_EXPORTER, s.h), 32);
    const sessionId = this.p.expand(exporter, LABEL_SESSION_ID, 16);
    const c1 = keys.subarray(0, 32);
    const c2 = keys.subarray(32, 64);
    return client ? new BenchSession(this.p, c1, c2, sessionId, exporter) : new BenchSession(this.p, c2, c1, sessionId, exporter);
  }

  /** The `e, ee, psk` schedule of message 2, from either side. */
  #message2Schedule(s: Symmetric, responderPublic: Uint8Array, own: Ephemeral, peerPublic: Uint8Array, psk: Uint8Array): void {
    this.#mixHash(s, responderPublic);
    this.#mixKey(s, responderPublic);
    this.#mixKey(s, this.p.dh(own, peerPublic));
    this.#mixKeyAndHash(s, psk);
  }

  clientStart(keyId: Uint8Array, prologue: Uint8Array, fixed?: Ephemeral): { message1: Uint8Array; state: { s: Symmetric; e: Ephemeral } } {
    const s = this.#start(prologue);
    const e = fixed ?? this.p.generateEphemeral();
    this.#mixHash(s, e.publicKey);
    this.#mixKey(s, e.publicKey);
    return { message1: cat(e.publicKey, this.#encryptAndHash(s, keyId)), state: { s, e } };
  }

  serverRespond(message1: Uint8Array, lookup: (keyId: Uint8Array) => Uint8Array, prologue: Uint8Array, fixed?: Ephemeral): { message2: Uint8Array; session: BenchSession } {
    if (message1.length !== 60) throw new Error('bench: message 1 length');
    const s = this.#start(prologue);
    const re = message1.subarray(0, 32);
    this.#mixHash(s, re);
    this.#mixKey(s, re);
    const keyId = this.#decryptAndHash(s, message1.subarray(32));
    const psk = lookup(keyId);
    const e = fixed ?? this.p.generateEphemeral();
    this.#message2Schedule(s, e.publicKey, e, re, psk);
    const message2 = cat(e.publicKey, this.#encryptAndHash(s, EMPTY));
    return { message2, session: this.#session(s, false) };
  }

  clientFinish(state: { s: Symmetric; e: Ephemeral }, message2: Uint8Array, psk: Uint8Array): BenchSession {
    if (message2.length !== 48) throw new Error('bench: message 2 length');
    const re = message2.subarray(0, 32);
    this.#message2Schedule(state.s, re, state.e, re, psk);
    this.#decryptAndHash(state.s, message2.subarray(32));
    return this.#session(state.s, true);
  }
}
