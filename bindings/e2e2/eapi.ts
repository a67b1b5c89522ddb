/**
 * Ephemeral API Keys (SPEC.md §8). A client derives an EAPI from its session's EAPI root
 * (deriveEapi; the root is deriveEapiRoot(exporter)) and signs requests with it; the EAPI secret is never sent. The server derives the
 * same EAPI from its own session and verifies: signature (ERR_AUTHENTICATION_FAILED, also for an
 * EAPI of another session), expiry (ERR_EAPI_EXPIRED), clock skew (ERR_EAPI_CLOCK_SKEW), scope
 * (ERR_EAPI_SCOPE), replay (ERR_EAPI_REPLAYED), in that order: nothing but the signature check
 * runs on unauthenticated claims.
 *
 * Authorization header value: "E2E2-EAPI " || base64url(layout), layout =
 *   version u8 (0x01) || sessionId [16] || index u32be || expiresAt u64be || timestamp u64be
 *   || nonce [16] || scopeLength u8 || scope || signature [32]
 * signature = HMAC-SHA256(EAPI secret, "e2e2/v1/eapi-request" || 0x00 || layout without signature
 *   || u16be(len(method)) || method || u16be(len(path)) || path || SHA-256(body))
 */
import { hmac } from '../core/hmac.js';
import { sha256 } from '../core/sha256.js';
import { equalBytes } from '../core/bytes.js';
import {
  EapiClockSkewError,
  EapiExpiredError,
  EapiReplayedError,
  EapiScopeError,
  InvalidArgumentError,
  MalformedMessageError,
  SessionDisposedError,
} from '../errors.js';
import { authenticationFailed } from '../noise/failures.js';
import {
  EAPI_AUTHORIZATION_SCHEME,
  EAPI_AUTHORIZATION_VERSION,
  EAPI_MAX_METHOD_BYTES,
  EAPI_MAX_PATH_BYTES,
  EAPI_MAX_SCOPE_BYTES,
  EAPI_MAX_TIME_MS,
  EAPI_NONCE_BYTES,
  EAPI_SIGNATURE_BYTES,
  LABEL_EAPI_REQUEST,
  SESSION_ID_BYTES,
} from './constants.js';
import { SCOPE_TOKEN_PATTERN, assertEapiParams, deriveEapi, label, type EapiParams } from './derive.js';
import { concatBytes, fromBase64Url, fromHex, fromUtf8, randomBytes, readU32be, readU64be, toBase64Url, toHex, u16be, u32be, u64be, u8, utf8 } from './encoding.js';

/** A request as the EAPI signature covers it. */
export interface EapiRequest {
  /** HTTP method, an RFC 9110 §5.6.2 token (case-sensitive), at most 32 bytes. */
  method: string;
  /** Request target (path and query, exactly as sent), 1 to 8192 UTF-8 bytes. */
  path: string;
  /** Request body; omitted means empty. Strings are signed as UTF-8. */
  body?: Uint8Array | string;
}

export interface EapiSignOptions extends EapiRequest {
  /** When the request is signed, milliseconds since the Unix epoch (the caller's clock). */
  timestamp: number;
  /** 16 random bytes; default: fresh from the platform CSPRNG. Never reuse one. */
  nonce?: Uint8Array;
}

/** A parsed Authorization header value. Nothing in it is authenticated until verifyEapi succeeds. */
export interface EapiAuthorization {
  /** Hex of the 16-byte session id the EAPI claims to belong to (use it to find the session). */
  sessionId: string;
  index: number;
  scope: string;
  expiresAt: number;
  timestamp: number;
  nonce: Uint8Array;
  signature: Uint8Array;
}

export interface VerifyEapiOptions extends EapiRequest {
  /** The Authorization header value, or its parsed form. */
  authorization: string | EapiAuthorization;
  /** The verifier's clock, milliseconds since the Unix epoch. Should not go backwards. */
  now: number;
  /** A scope token the EAPI's scope must contain. */
  requiredScope: string;
}

/** What a successful verification vouches for. */
export interface VerifiedEapi {
  sessionId: string;
  index: number;
  scope: string;
  expiresAt: number;
  timestamp: number;
}

const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2 tchar
const FIXED_FIELDS_BYTES = 1 + SESSION_ID_BYTES + 4 + 8 + 8 + EAPI_NONCE_BYTES + 1;
const SCHEME_PREFIX = `${EAPI_AUTHORIZATION_SCHEME} `;
const EMPTY = new Uint8Array(0);

function assertTime(value: unknown, name: string): asserts value is number {
  // Number.isInteger is false for anything that is not a number.
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > EAPI_MAX_TIME_MS) {
    throw new InvalidArgumentError(`${name} must be an integer number of milliseconds since the Unix epoch`);
  }
}

interface EncodedRequest {
  method: Uint8Array;
  path: Uint8Array;
  bodyHash: Uint8Array;
}

/** Both callers (sign, verifyEapiRequest) have already checked that `request` is an object. */
function encodeRequest(request: EapiRequest): EncodedRequest {
  const { method, path, body } = request;
  if (typeof method !== 'string' || method.length > EAPI_MAX_METHOD_BYTES || !TOKEN_PATTERN.test(method)) {
    throw new InvalidArgumentError(`method must be an RFC 9110 token of 1 to ${EAPI_MAX_METHOD_BYTES} bytes`);
  }
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path must be a non-empty string');
  const pathBytes = utf8(path);
  if (pathBytes.length > EAPI_MAX_PATH_BYTES) throw new InvalidArgumentError(`path must be at most ${EAPI_MAX_PATH_BYTES} UTF-8 bytes`);
  let bodyBytes: Uint8Array;
  if (body === undefined) bodyBytes = EMPTY;
  else if (typeof body === 'string') bodyBytes = utf8(body);
  else if (body instanceof Uint8Array) bodyBytes = body;
  else throw new InvalidArgumentError('body must be a Uint8Array, a string or undefined');
  return { method: utf8(method), path: pathBytes, bodyHash: sha256(bodyBytes) };
}

/** The layout without the signature. */
function encodeFields(sessionId: Uint8Array, params: EapiParams, timestamp: number, nonce: Uint8Array): Uint8Array {
  const scope = utf8(params.scope);
  return concatBytes(
    u8(EAPI_AUTHORIZATION_VERSION),
    sessionId,
    u32be(params.index),
    u64be(params.expiresAt),
    u64be(timestamp),
    nonce,
    u8(scope.length),
    scope,
  );
}

function signatureInput(fields: Uint8Array, request: EncodedRequest): Uint8Array {
  return concatBytes(
    label(LABEL_EAPI_REQUEST),
    fields,
    u16be(request.method.length),
    request.method,
    u16be(request.path.length),
    request.path,
    request.bodyHash,
  );
}

/** Parse an Authorization header value. Throws ERR_MALFORMED_MESSAGE unless it is exactly the canonical layout. */
export function parseEapiAuthorization(header: string): EapiAuthorization {
  if (typeof header !== 'string' || !header.startsWith(SCHEME_PREFIX)) {
    throw new MalformedMessageError(`EAPI authorization must start with "${SCHEME_PREFIX}"`);
  }
  const bytes = fromBase64Url(header.slice(SCHEME_PREFIX.length));
  if (bytes === undefined) throw new MalformedMessageError('EAPI authorization is not canonical base64url');
  if (bytes.length < FIXED_FIELDS_BYTES + EAPI_SIGNATURE_BYTES) throw new MalformedMessageError('EAPI authorization is too short');
  if (bytes[0] !== EAPI_AUTHORIZATION_VERSION) throw new MalformedMessageError('EAPI authorization has an unknown version');
  const scopeLength = bytes[FIXED_FIELDS_BYTES - 1]!;
  if (bytes.length !== FIXED_FIELDS_BYTES + scopeLength + EAPI_SIGNATURE_BYTES) throw new MalformedMessageError('EAPI authorization has the wrong length');
  let offset = 1;
  const sessionId = toHex(bytes.subarray(offset, offset + SESSION_ID_BYTES));
  offset += SESSION_ID_BYTES;
  const index = readU32be(bytes, offset);
  offset += 4;
  const expiresAt = readU64be(bytes, offset);
  offset += 8;
  const timestamp = readU64be(bytes, offset);
  offset += 8;
  if (expiresAt === undefined || timestamp === undefined) throw new MalformedMessageError('EAPI authorization time is out of range');
  const nonce = bytes.slice(offset, offset + EAPI_NONCE_BYTES);
  offset += EAPI_NONCE_BYTES + 1;
  const scope = fromUtf8(bytes.subarray(offset, offset + scopeLength));
  offset += scopeLength;
  if (scope === undefined) throw new MalformedMessageError('EAPI authorization scope is not valid');
  try {
    assertEapiParams({ index, scope, expiresAt });
  } catch (error) {
    throw new MalformedMessageError('EAPI authorization scope is not valid', { cause: error });
  }
  const signature = bytes.slice(offset, offset + EAPI_SIGNATURE_BYTES);
  return { sessionId, index, scope, expiresAt, timestamp, nonce, signature };
}

/**
 * One EAPI, issued by a client session. Holds the EAPI secret (wiped by dispose(), and by the
 * session's dispose()). `sign()` returns the Authorization header value for one request.
 */
export class Eapi {
  readonly sessionId: string;
  readonly index: number;
  readonly scope: string;
  readonly expiresAt: number;
  readonly #sessionIdBytes: Uint8Array;
  #secret: Uint8Array | null;

  /** @internal Created by ClientSession.issueEapi(). */
  constructor(eapiRoot: Uint8Array, sessionId: Uint8Array, params: EapiParams) {
    this.#secret = deriveEapi(eapiRoot, params);
    this.#sessionIdBytes = sessionId.slice();
    this.sessionId = toHex(sessionId);
    this.index = params.index;
    this.scope = params.scope;
    this.expiresAt = params.expiresAt;
  }

  get disposed(): boolean {
    return this.#secret === null;
  }

  /** Sign one request; returns the value for an `Authorization` header. */
  sign(options: EapiSignOptions): string {
    if (this.#secret === null) throw new SessionDisposedError('EAPI was disposed');
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    assertTime(options.timestamp, 'timestamp');
    if (options.timestamp >= this.expiresAt) throw new InvalidArgumentError('timestamp is at or after the EAPI expiry: issue a new EAPI');
    const nonce = options.nonce ?? randomBytes(EAPI_NONCE_BYTES);
    if (!(nonce instanceof Uint8Array) || nonce.length !== EAPI_NONCE_BYTES) throw new InvalidArgumentError(`nonce must be ${EAPI_NONCE_BYTES} bytes`);
    const request = encodeRequest(options);
    const fields = encodeFields(this.#sessionIdBytes, this, options.timestamp, nonce);
    const signature = hmac(sha256, this.#secret, signatureInput(fields, request));
    return SCHEME_PREFIX + toBase64Url(concatBytes(fields, signature));
  }

  /** @internal HMAC-SHA256 of `data` under the EAPI secret (the RFC 9421 profile, eapi-http.ts). */
  macForHttp(data: Uint8Array): Uint8Array {
    if (this.#secret === null) throw new SessionDisposedError('EAPI was disposed');
    return hmac(sha256, this.#secret, data);
  }

  /** A copy of the EAPI secret (test vectors only). */
  secretForTestingOnly(): Uint8Array {
    if (this.#secret === null) throw new SessionDisposedError('EAPI was disposed');
    return this.#secret.slice();
  }

  /** The live secret array itself, not a copy (wipe tests only), or null once disposed. */
  liveSecretForTestingOnly(): Uint8Array | null {
    return this.#secret;
  }

  /** Wipe the secret; later sign() calls throw ERR_SESSION_DISPOSED. */
  dispose(): void {
    this.#secret?.fill(0);
    this.#secret = null;
  }
}

/**
 * The nonces a server session has accepted, with their timestamps. Entries older than the skew
 * window are evicted (a replay of them fails the skew check); the oldest timestamp the cache can
 * still vouch for (`horizon`) only moves forward, so a clock that goes back cannot revive them.
 */
export class ReplayCache {
  readonly capacity: number;
  readonly #seen = new Map<string, number>();
  #horizon = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Record `nonce`; throws ERR_EAPI_REPLAYED when it was seen or freshness cannot be proven. */
  admit(nonce: string, timestamp: number, now: number, skewMs: number): void {
    if (timestamp < this.#horizon) throw new EapiReplayedError('EAPI request replayed', { cause: { reason: 'timestamp older than the replay window' } });
    if (this.#seen.has(nonce)) throw new EapiReplayedError('EAPI request replayed', { cause: { reason: 'nonce already used' } });
    if (this.#seen.size >= this.capacity) this.#evict(now - skewMs);
    if (this.#seen.size >= this.capacity) throw new EapiReplayedError('EAPI request replayed', { cause: { reason: 'replay cache full' } });
    this.#seen.set(nonce, timestamp);
  }

  #evict(oldest: number): void {
    if (oldest > this.#horizon) this.#horizon = oldest;
    for (const [nonce, timestamp] of this.#seen) if (timestamp < this.#horizon) this.#seen.delete(nonce);
  }

  /** Forget every nonce (the session is gone). */
  clear(): void {
    this.#seen.clear();
  }
}

export interface EapiVerifierConfig {
  clockSkewMs: number;
}

/**
 * Verify one request against the session's EAPI root. Check order (SPEC.md §8.4): parse,
 * session id, signature, expiry, clock skew, scope, replay (the nonce is recorded last, only
 * for requests that pass everything else).
 */
export function verifyEapiRequest(
  eapiRoot: Uint8Array,
  sessionId: Uint8Array,
  cache: ReplayCache,
  config: EapiVerifierConfig,
  options: VerifyEapiOptions,
): VerifiedEapi {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
  assertTime(options.now, 'now');
  if (typeof options.requiredScope !== 'string' || !SCOPE_TOKEN_PATTERN.test(options.requiredScope) || options.requiredScope.length > EAPI_MAX_SCOPE_BYTES) {
    throw new InvalidArgumentError('requiredScope must be one RFC 6749 §3.3 scope token');
  }
  const request = encodeRequest(options);
  const auth = typeof options.authorization === 'string' ? parseEapiAuthorization(options.authorization) : options.authorization;
  if (typeof auth !== 'object' || auth === null) throw new InvalidArgumentError('authorization must be a string or a parsed EapiAuthorization');
  const claimedSession = fromHex(auth.sessionId);
  if (claimedSession === undefined || !equalBytes(claimedSession, sessionId)) { // equalBytes is false for another length
    throw authenticationFailed('eapi for another session');
  }
  if (!(auth.nonce instanceof Uint8Array) || auth.nonce.length !== EAPI_NONCE_BYTES || !(auth.signature instanceof Uint8Array)) {
    throw new MalformedMessageError('EAPI authorization nonce or signature has the wrong length');
  }
  try {
    assertEapiParams(auth);
    assertTime(auth.timestamp, 'timestamp');
  } catch (error) {
    throw new MalformedMessageError('EAPI authorization fields are out of range', { cause: error });
  }
  const secret = deriveEapi(eapiRoot, auth);
  const fields = encodeFields(sessionId, auth, auth.timestamp, auth.nonce);
  const expected = hmac(sha256, secret, signatureInput(fields, request));
  secret.fill(0);
  const valid = equalBytes(expected, auth.signature);
  expected.fill(0);
  if (!valid) throw authenticationFailed('eapi signature');
  // From here on the claims are authentic: the client holding this session's EAPI root made them.
  if (options.now >= auth.expiresAt || auth.timestamp >= auth.expiresAt) throw new EapiExpiredError('EAPI expired');
  if (Math.abs(options.now - auth.timestamp) > config.clockSkewMs) throw new EapiClockSkewError('EAPI request timestamp is outside the accepted clock skew');
  if (!auth.scope.split(' ').includes(options.requiredScope)) throw new EapiScopeError('EAPI scope does not include the required scope');
  cache.admit(toHex(auth.nonce), auth.timestamp, options.now, config.clockSkewMs);
  return { sessionId: auth.sessionId, index: auth.index, scope: auth.scope, expiresAt: auth.expiresAt, timestamp: auth.timestamp };
}
