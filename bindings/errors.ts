/**
 * Typed errors. One class per stable `code` (jose style), grouped by whose fault it is:
 * - `peer`: the bytes we received are bad (forged, corrupted, replayed, malformed);
 * - `caller`: the API was misused (wrong type, length or option);
 * - `lifecycle`: the call came at the wrong time (wrong order, closed, disposed, exhausted).
 *
 * Messages are fixed strings: they never include key material or input bytes.
 * Details that could help an attacker (which check failed) go only into `cause`,
 * and every authentication failure shares one code and one message.
 */

export type ErrorFault = 'peer' | 'caller' | 'lifecycle';

/** Base of every error e2e2 throws: a stable `code` (ERR_*), and `fault` telling whose fault it is (peer, caller or lifecycle). Details only in `cause`; never key material. */
export abstract class E2E2Error extends Error {
  /** Stable machine-readable code, e.g. `ERR_AUTHENTICATION_FAILED`. */
  abstract readonly code: E2E2ErrorCode;
  /** Who has to act: the remote peer's bytes, the calling code, or the object's state. */
  abstract readonly fault: ErrorFault;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// ---------------------------------------------------------------- caller faults

/** An argument has the wrong type or an invalid value. */
export class InvalidArgumentError extends E2E2Error {
  override readonly name = 'InvalidArgumentError';
  static readonly code = 'ERR_INVALID_ARGUMENT';
  readonly code = 'ERR_INVALID_ARGUMENT';
  readonly fault = 'caller';
}

/** A key has the wrong length for the primitive. */
export class InvalidKeyLengthError extends E2E2Error {
  override readonly name = 'InvalidKeyLengthError';
  static readonly code = 'ERR_INVALID_KEY_LENGTH';
  readonly code = 'ERR_INVALID_KEY_LENGTH';
  readonly fault = 'caller';
}

/** A nonce has the wrong length for the primitive. */
export class InvalidNonceLengthError extends E2E2Error {
  override readonly name = 'InvalidNonceLengthError';
  static readonly code = 'ERR_INVALID_NONCE_LENGTH';
  readonly code = 'ERR_INVALID_NONCE_LENGTH';
  readonly fault = 'caller';
}

/** A requested output length is outside what the primitive can produce. */
export class InvalidOutputLengthError extends E2E2Error {
  override readonly name = 'InvalidOutputLengthError';
  static readonly code = 'ERR_INVALID_OUTPUT_LENGTH';
  readonly code = 'ERR_INVALID_OUTPUT_LENGTH';
  readonly fault = 'caller';
}

/** A KEM ciphertext has the wrong length for the parameter set (ML-KEM-768: 1,088 bytes, FIPS 203 §7.3). */
export class InvalidCiphertextLengthError extends E2E2Error {
  override readonly name = 'InvalidCiphertextLengthError';
  static readonly code = 'ERR_INVALID_CIPHERTEXT_LENGTH';
  readonly code = 'ERR_INVALID_CIPHERTEXT_LENGTH';
  readonly fault = 'caller';
}

/** A decapsulation key fails the FIPS 203 §7.3 hash check: it is corrupted or was not made by KeyGen. */
export class InvalidSecretKeyError extends E2E2Error {
  override readonly name = 'InvalidSecretKeyError';
  static readonly code = 'ERR_INVALID_SECRET_KEY';
  readonly code = 'ERR_INVALID_SECRET_KEY';
  readonly fault = 'caller';
}

// ---------------------------------------------------------------- peer faults

/** An encapsulation key fails the FIPS 203 §7.2 modulus check (a coefficient is not below q). */
export class InvalidPublicKeyError extends E2E2Error {
  override readonly name = 'InvalidPublicKeyError';
  static readonly code = 'ERR_INVALID_PUBLIC_KEY';
  readonly code = 'ERR_INVALID_PUBLIC_KEY';
  readonly fault = 'peer';
}

/**
 * Authentication failed. Used for every such failure (bad AEAD tag, too-short
 * ciphertext, wrong API key, unknown key id) so that none can be told apart.
 */
export class AuthenticationError extends E2E2Error {
  override readonly name = 'AuthenticationError';
  static readonly code = 'ERR_AUTHENTICATION_FAILED';
  readonly code = 'ERR_AUTHENTICATION_FAILED';
  readonly fault = 'peer';
}

/** An X25519 public key is of small order (or otherwise yields the all-zero shared secret), RFC 7748 §6.1. */
export class LowOrderPointError extends E2E2Error {
  override readonly name = 'LowOrderPointError';
  static readonly code = 'ERR_LOW_ORDER_POINT';
  readonly code = 'ERR_LOW_ORDER_POINT';
  readonly fault = 'peer';
}

// ---------------------------------------------------------------- lifecycle faults

/** The object is not in a state that allows this call (e.g. `update()` after `digest()`). */
export class InvalidStateError extends E2E2Error {
  override readonly name = 'InvalidStateError';
  static readonly code = 'ERR_INVALID_STATE';
  readonly code = 'ERR_INVALID_STATE';
  readonly fault = 'lifecycle';
}

// ---------------------------------------------------------------- protocol (Noise layer and E2-E2 layer, SPEC.md §10)

/** Bytes from the peer do not have the layout the protocol requires (length, record type, encoding). */
export class MalformedMessageError extends E2E2Error {
  override readonly name = 'MalformedMessageError';
  static readonly code = 'ERR_MALFORMED_MESSAGE';
  readonly code = 'ERR_MALFORMED_MESSAGE';
  readonly fault = 'peer';
}

/** A received handshake message or record exceeds 65,535 bytes (Noise §3). */
export class MessageTooLargeError extends E2E2Error {
  override readonly name = 'MessageTooLargeError';
  static readonly code = 'ERR_MESSAGE_TOO_LARGE';
  readonly code = 'ERR_MESSAGE_TOO_LARGE';
  readonly fault = 'peer';
}

/** The caller asked to send more than fits in one message (65,535 bytes on the wire, Noise §3). */
export class PayloadTooLargeError extends E2E2Error {
  override readonly name = 'PayloadTooLargeError';
  static readonly code = 'ERR_PAYLOAD_TOO_LARGE';
  readonly code = 'ERR_PAYLOAD_TOO_LARGE';
  readonly fault = 'caller';
}

/** An API key token, key id or secret is not in the E2-E2 format (SPEC.md §4); nothing weaker is accepted. */
export class InvalidApiKeyError extends E2E2Error {
  override readonly name = 'InvalidApiKeyError';
  static readonly code = 'ERR_INVALID_API_KEY';
  readonly code = 'ERR_INVALID_API_KEY';
  readonly fault = 'caller';
}

/** A cipher's 64-bit nonce reached 2^64 - 1 (Noise §5.1): the session must end. */
export class NonceExhaustedError extends E2E2Error {
  override readonly name = 'NonceExhaustedError';
  static readonly code = 'ERR_NONCE_EXHAUSTED';
  readonly code = 'ERR_NONCE_EXHAUSTED';
  readonly fault = 'lifecycle';
}

/** The direction was closed by a close record (sent or received); no more records that way. */
export class SessionClosedError extends E2E2Error {
  override readonly name = 'SessionClosedError';
  static readonly code = 'ERR_SESSION_CLOSED';
  readonly code = 'ERR_SESSION_CLOSED';
  readonly fault = 'lifecycle';
}

/** The session (or handshake, or EAPI) was disposed and its keys wiped. */
export class SessionDisposedError extends E2E2Error {
  override readonly name = 'SessionDisposedError';
  static readonly code = 'ERR_SESSION_DISPOSED';
  readonly code = 'ERR_SESSION_DISPOSED';
  readonly fault = 'lifecycle';
}

/** An authentic EAPI request whose EAPI expired (or was signed at or after its expiry). */
export class EapiExpiredError extends E2E2Error {
  override readonly name = 'EapiExpiredError';
  static readonly code = 'ERR_EAPI_EXPIRED';
  readonly code = 'ERR_EAPI_EXPIRED';
  readonly fault = 'peer';
}

/** An authentic EAPI request whose nonce was already accepted (or cannot be proven fresh). */
export class EapiReplayedError extends E2E2Error {
  override readonly name = 'EapiReplayedError';
  static readonly code = 'ERR_EAPI_REPLAYED';
  readonly code = 'ERR_EAPI_REPLAYED';
  readonly fault = 'peer';
}

/** An authentic EAPI request whose scope does not include the scope the server requires. */
export class EapiScopeError extends E2E2Error {
  override readonly name = 'EapiScopeError';
  static readonly code = 'ERR_EAPI_SCOPE';
  readonly code = 'ERR_EAPI_SCOPE';
  readonly fault = 'peer';
}

/** An authentic EAPI request whose timestamp is outside the verifier's clock-skew window. */
export class EapiClockSkewError extends E2E2Error {
  override readonly name = 'EapiClockSkewError';
  static readonly code = 'ERR_EAPI_CLOCK_SKEW';
  readonly code = 'ERR_EAPI_CLOCK_SKEW';
  readonly fault = 'peer';
}

// ---------------------------------------------------------------- channel (WebSocket transport, key store)

/** The API key store file is unreadable, malformed, too widely readable, locked, or has no such key. */
export class KeyStoreError extends E2E2Error {
  override readonly name = 'KeyStoreError';
  static readonly code = 'ERR_KEY_STORE';
  readonly code = 'ERR_KEY_STORE';
  readonly fault = 'caller';
}

/** The peer did not complete the handshake within the allowed time. */
export class HandshakeTimeoutError extends E2E2Error {
  override readonly name = 'HandshakeTimeoutError';
  static readonly code = 'ERR_HANDSHAKE_TIMEOUT';
  readonly code = 'ERR_HANDSHAKE_TIMEOUT';
  readonly fault = 'peer';
}

/** The server refused the connection because too many handshakes are already in progress. */
export class ServerBusyError extends E2E2Error {
  override readonly name = 'ServerBusyError';
  static readonly code = 'ERR_SERVER_BUSY';
  readonly code = 'ERR_SERVER_BUSY';
  readonly fault = 'lifecycle';
}

/** The API key a live channel authenticated with was revoked; the server closed the channel (4006). */
export class KeyRevokedError extends E2E2Error {
  override readonly name = 'KeyRevokedError';
  static readonly code = 'ERR_KEY_REVOKED';
  readonly code = 'ERR_KEY_REVOKED';
  readonly fault = 'lifecycle';
}

/** Nothing arrived from the peer within the keepalive timeout after a ping: it is gone or frozen (4008). */
export class KeepaliveTimeoutError extends E2E2Error {
  override readonly name = 'KeepaliveTimeoutError';
  static readonly code = 'ERR_KEEPALIVE_TIMEOUT';
  readonly code = 'ERR_KEEPALIVE_TIMEOUT';
  readonly fault = 'peer';
}

/**
 * Application code (a channel listener, a server handler) threw or rejected. The channel it ran for
 * is closed (1011); the thrown value is the `cause`, never shown to the peer.
 */
export class ApplicationError extends E2E2Error {
  override readonly name = 'ApplicationError';
  static readonly code = 'ERR_APPLICATION';
  readonly code = 'ERR_APPLICATION';
  readonly fault = 'caller';
}

/**
 * The WebSocket closed (or could not open) before the operation completed. `closeCode` is the
 * WebSocket close code (1006 when the connection dropped without a close frame).
 */
export class ConnectionClosedError extends E2E2Error {
  override readonly name = 'ConnectionClosedError';
  static readonly code = 'ERR_CONNECTION_CLOSED';
  readonly code = 'ERR_CONNECTION_CLOSED';
  readonly fault = 'lifecycle';
  readonly closeCode: number;
  readonly closeReason: string;

  constructor(message: string, options?: { cause?: unknown; closeCode?: number; closeReason?: string }) {
    super(message, options);
    this.closeCode = options?.closeCode ?? 1006;
    this.closeReason = options?.closeReason ?? '';
  }
}

// ---------------------------------------------------------------- EAPI over HTTP, fleet state, runtimes

/** A request's EAPI is authentic but outside the verifier's policy (lifetime, scope for its key, covered components). */
export class EapiPolicyError extends E2E2Error {
  override readonly name = 'EapiPolicyError';
  static readonly code = 'ERR_EAPI_POLICY';
  readonly code = 'ERR_EAPI_POLICY';
  readonly fault = 'peer';
}

/**
 * A shared store (session registry, replay store, key store on Redis) could not answer. Verification
 * fails closed: the request is refused, never accepted unchecked. The store's own error is the `cause`.
 */
export class StoreUnavailableError extends E2E2Error {
  override readonly name = 'StoreUnavailableError';
  static readonly code = 'ERR_STORE_UNAVAILABLE';
  readonly code = 'ERR_STORE_UNAVAILABLE';
  readonly fault = 'lifecycle';
}

/** An HTTP request body is larger than the verifier reads (`maxBodyBytes`, e2e2/http): answered 413, never authenticated. */
export class BodyTooLargeError extends E2E2Error {
  override readonly name = 'BodyTooLargeError';
  static readonly code = 'ERR_BODY_TOO_LARGE';
  readonly code = 'ERR_BODY_TOO_LARGE';
  readonly fault = 'peer';
}

/**
 * The runtime refuses to compile WebAssembly (a Content-Security-Policy without 'wasm-unsafe-eval', a
 * Worker runtime without code generation, or no WebAssembly at all). The message names the fix.
 */
export class WasmUnavailableError extends E2E2Error {
  override readonly name = 'WasmUnavailableError';
  static readonly code = 'ERR_WASM_UNAVAILABLE';
  readonly code = 'ERR_WASM_UNAVAILABLE';
  readonly fault = 'lifecycle';
}

/**
 * The peer started the v1 handshake with a server that requires E2-E2 v2-hybrid (X25519 +
 * ML-KEM-768, SPEC.md §13). The WebSocket binding closes with 4010; a client sees it as the cause.
 */
export class PostQuantumRequiredError extends E2E2Error {
  override readonly name = 'PostQuantumRequiredError';
  static readonly code = 'ERR_PQ_REQUIRED';
  readonly code = 'ERR_PQ_REQUIRED';
  readonly fault = 'peer';
}

/** Every code, for exhaustive `switch (err.code)` in callers. */
export type E2E2ErrorCode =
  | 'ERR_PQ_REQUIRED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_KEY_LENGTH'
  | 'ERR_INVALID_NONCE_LENGTH'
  | 'ERR_INVALID_OUTPUT_LENGTH'
  | 'ERR_INVALID_CIPHERTEXT_LENGTH'
  | 'ERR_INVALID_SECRET_KEY'
  | 'ERR_INVALID_PUBLIC_KEY'
  | 'ERR_AUTHENTICATION_FAILED'
  | 'ERR_LOW_ORDER_POINT'
  | 'ERR_INVALID_STATE'
  | 'ERR_MALFORMED_MESSAGE'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_INVALID_API_KEY'
  | 'ERR_NONCE_EXHAUSTED'
  | 'ERR_SESSION_CLOSED'
  | 'ERR_SESSION_DISPOSED'
  | 'ERR_EAPI_EXPIRED'
  | 'ERR_EAPI_REPLAYED'
  | 'ERR_EAPI_SCOPE'
  | 'ERR_EAPI_CLOCK_SKEW'
  | 'ERR_KEY_STORE'
  | 'ERR_HANDSHAKE_TIMEOUT'
  | 'ERR_SERVER_BUSY'
  | 'ERR_CONNECTION_CLOSED'
  | 'ERR_KEY_REVOKED'
  | 'ERR_KEEPALIVE_TIMEOUT'
  | 'ERR_APPLICATION'
  | 'ERR_EAPI_POLICY'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_WASM_UNAVAILABLE';

/** Narrow an unknown thrown value to an e2e2 error (optionally of one code). */
export function isE2E2Error(value: unknown, code?: E2E2ErrorCode): value is E2E2Error {
  return value instanceof E2E2Error && (code === undefined || value.code === code);
}
