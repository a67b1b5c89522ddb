/**
 * EAPI as an RFC 9421 (HTTP Message Signatures) profile, SPEC.md §8.6. The same EAPI secret as
 * the `Authorization: E2E2-EAPI` encoding (eapi.ts); this encoding is understood by any RFC 9421
 * implementation given that secret as an `hmac-sha256` key.
 *
 *   Signature-Input: sig1=("@method" "@authority" "@path" "@query" ["content-digest"] ["content-type"])
 *     ;created=<s>;expires=<s>;nonce="<base64url 16 bytes>";keyid="<sessionIdHex>.<index>.<expiresAtMs>.<scope>"
 *     ;alg="hmac-sha256";tag="e2e2-eapi/v1"
 *   Signature: sig1=:<base64 HMAC-SHA256(EAPI secret, signature base (RFC 9421 §2.5))>:
 *   Content-Digest: sha-256=:<base64 SHA-256(body)>:   (RFC 9530; when there is a body)
 *
 * The keyid carries every input of deriveEapi, so a verifier holding the session's EAPI root
 * derives the EAPI secret without any per-EAPI state; the MAC then authenticates the keyid.
 * Verification order: parse, MAC (constant time), then claims: expiry, clock skew, scope,
 * policy, replay. Every failure before the claims is the one AUTHENTICATION_FAILED.
 */
import { hmac } from '../core/hmac.js';
import { sha256 } from '../core/sha256.js';
import { equalBytes } from '../core/bytes.js';
import { EapiClockSkewError, EapiExpiredError, EapiPolicyError, EapiReplayedError, EapiScopeError, InvalidArgumentError } from '../errors.js';
import { authenticationFailed } from '../noise/failures.js';
import { DEFAULT_EAPI_CLOCK_SKEW_MS, EAPI_NONCE_BYTES, EAPI_ROOT_BYTES } from './constants.js';
import { SCOPE_TOKEN_PATTERN, assertEapiParams, deriveEapi, type EapiParams } from './derive.js';
import type { Eapi, ReplayCache } from './eapi.js';
import type { ReplayStore } from './eapi-stores.js';
import { randomBytes, toBase64Url, utf8 } from './encoding.js';
import { SfBytes, parseDictionary, serializeDictionary, serializeMember, serializeString, type SfBareItem, type SfInnerList, type SfParams } from './structured-fields.js';

/** The `tag` parameter of every EAPI signature. */
export const EAPI_HTTP_TAG = 'e2e2-eapi/v1';
/** The only algorithm: fixed by the key, never taken from the request. */
export const EAPI_HTTP_ALG = 'hmac-sha256';
/** Default signature label. A verifier looks for the signature tagged EAPI_HTTP_TAG, whatever its label. */
export const EAPI_HTTP_LABEL = 'sig1';
/** Default lifetime of one signature (its `expires` parameter), capped by the EAPI's expiry. */
export const DEFAULT_EAPI_HTTP_SIGNATURE_LIFETIME_S = 60;
/** Components every EAPI signature covers (plus content-digest with a body, content-type when present). */
export const EAPI_HTTP_BASE_COMPONENTS = ['@method', '@authority', '@path', '@query'] as const;

/** Request headers: a plain object (names in any case; arrays for repeated fields) or anything with forEach, like WHATWG Headers. */
export type HttpHeaders =
  | Record<string, string | readonly string[] | undefined>
  | {
      /** Calls `cb` once per header field (WHATWG Headers). */
      forEach(cb: (value: string, name: string) => void): void;
    };

/** A request as the signature covers it. */
export interface EapiHttpRequest {
  method: string;
  /** The absolute target URI (scheme, authority, path, query). */
  url: string | URL;
  headers?: HttpHeaders;
  /** The body as sent; strings are UTF-8. Omitted or empty means no body. */
  body?: Uint8Array | string;
}

/** Options of signEapiHttpRequest. */
export interface EapiHttpSignOptions {
  /** When the request is signed, ms since the Unix epoch (default Date.now()); sent in seconds. */
  now?: number;
  /** 16 bytes; default fresh from the CSPRNG. */
  nonce?: Uint8Array;
  /** Signature lifetime in seconds (default 60), capped by the EAPI's expiry. */
  lifetimeSeconds?: number;
  /** Signature label (default sig1). */
  label?: string;
}

/** The headers to add to the request. */
export interface EapiHttpSignature {
  'signature-input': string;
  signature: string;
  'content-digest'?: string;
}

// ------------------------------------------------------------------ generic RFC 9421 parts

function normalizeHeaders(headers: HttpHeaders | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (headers === undefined) return out;
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    const v = value.trim();
    const prev = out.get(key);
    out.set(key, prev === undefined ? v : `${prev}, ${v}`);
  };
  if (typeof (headers as { forEach?: unknown }).forEach === 'function') {
    // A WHATWG Headers (or a Map-like): in a plain record, `forEach` would be a header value, not a function.
    (headers as { forEach(cb: (value: string, name: string) => void): void }).forEach((value, name) => add(name, value));
    return out;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (value === undefined) continue;
    if (typeof value === 'string') add(name, value);
    else for (const v of value) add(name, v);
  }
  return out;
}

function parseUrl(url: string | URL): URL {
  try {
    return url instanceof URL ? url : new URL(url);
  } catch (error) {
    throw new InvalidArgumentError('url must be an absolute URL', { cause: error });
  }
}

/** RFC 9421 §2.2: the value of a derived component, or of a header field (§2.1). */
function componentValue(name: string, method: string, url: URL, headers: Map<string, string>): string | undefined {
  switch (name) {
    case '@method':
      return method.toUpperCase();
    case '@authority':
      return url.host.toLowerCase(); // URL omits the scheme's default port (RFC 9421 §2.2.3)
    case '@scheme':
      return url.protocol.slice(0, -1).toLowerCase();
    case '@target-uri':
      return url.href;
    case '@request-target':
      return url.pathname + url.search;
    case '@path':
      return url.pathname === '' ? '/' : url.pathname;
    case '@query':
      return url.search === '' ? '?' : url.search; // §2.2.7: an absent query is "?"
    default:
      if (name.startsWith('@')) return undefined;
      return headers.get(name);
  }
}

/**
 * RFC 9421 §2.5 signature base: one line `"<name>": <value>` per covered component, then
 * `"@signature-params": <serialized inner list>`, lines separated by LF, no trailing LF.
 * Components are plain names (no component parameters). Throws if a component is absent.
 */
export function buildSignatureBase(request: EapiHttpRequest, components: readonly string[], params: SfParams): string {
  const url = parseUrl(request.url);
  const headers = normalizeHeaders(request.headers);
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const name of components) {
    if (name !== name.toLowerCase() || seen.has(name)) throw new InvalidArgumentError(`component ${name} is not lowercase or repeated`);
    seen.add(name);
    const value = componentValue(name, request.method, url, headers);
    if (value === undefined) throw new InvalidArgumentError(`component ${name} is not in the request`);
    // RFC 9421 §2.5: the base is ASCII. Refused rather than guessed at (obs-text, line breaks).
    if (!/^[\t\x20-\x7e]*$/.test(value)) throw new InvalidArgumentError(`component ${name} is not printable ASCII`);
    lines.push(`${serializeString(name)}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializeMember(coveredList(components, params))}`);
  return lines.join('\n');
}

/** The Signature-Input member: the covered component names as an Inner List of sf-strings, with the signature parameters. */
function coveredList(components: readonly string[], params: SfParams): SfInnerList {
  return { kind: 'list', items: components.map((value) => ({ value, params: [] })), params };
}

/** Sign with a raw HMAC-SHA256 key (the generic RFC 9421 hmac-sha256 signer). */
export function signHttpMessageHmac(
  key: Uint8Array,
  request: EapiHttpRequest,
  components: readonly string[],
  params: SfParams,
  label: string = EAPI_HTTP_LABEL,
): { 'signature-input': string; signature: string; base: string } {
  const base = buildSignatureBase(request, components, params);
  const mac = hmac(sha256, key, utf8(base));
  return {
    'signature-input': serializeDictionary([[label, coveredList(components, params)]]),
    signature: serializeDictionary([[label, { kind: 'item', value: new SfBytes(mac), params: [] }]]),
    base,
  };
}

/** One signature parsed from Signature-Input and Signature. Nothing in it is authenticated. */
export interface ParsedHttpSignature {
  label: string;
  components: string[];
  params: SfParams;
  signature: Uint8Array;
}

/** Parse every signature of a request. Throws ERR_MALFORMED_MESSAGE. */
export function parseHttpSignatures(request: EapiHttpRequest): ParsedHttpSignature[] {
  const headers = normalizeHeaders(request.headers);
  const input = headers.get('signature-input');
  const sig = headers.get('signature');
  if (input === undefined || sig === undefined) return [];
  const inputs = parseDictionary(input);
  const sigs = parseDictionary(sig);
  const out: ParsedHttpSignature[] = [];
  for (const [label, member] of inputs) {
    const s = sigs.get(label);
    if (member.kind !== 'list' || s === undefined || s.kind !== 'item' || !(s.value instanceof SfBytes)) continue;
    const components: string[] = [];
    let plain = true;
    for (const item of member.items) {
      if (typeof item.value !== 'string' || item.params.length > 0) plain = false;
      else components.push(item.value);
    }
    if (!plain) continue; // component parameters (;sf, ;key, ;req...) are outside this profile
    out.push({ label, components, params: member.params, signature: s.value.bytes });
  }
  return out;
}

/** Verify one parsed signature with a raw HMAC-SHA256 key, in constant time. */
export function verifyHttpMessageHmac(key: Uint8Array, request: EapiHttpRequest, parsed: ParsedHttpSignature): boolean {
  let base: string;
  try {
    base = buildSignatureBase(request, parsed.components, parsed.params);
  } catch {
    return false;
  }
  const expected = hmac(sha256, key, utf8(base));
  const ok = equalBytes(expected, parsed.signature); // false for another length too
  expected.fill(0);
  return ok;
}

// ------------------------------------------------------------------ Content-Digest (RFC 9530)

function bodyBytes(body: Uint8Array | string | undefined): Uint8Array | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body.length === 0 ? undefined : utf8(body);
  if (!(body instanceof Uint8Array)) throw new InvalidArgumentError('body must be a Uint8Array, a string or undefined');
  return body.length === 0 ? undefined : body;
}

/** `sha-256=:<base64 SHA-256(body)>:` (RFC 9530 §2). */
export function contentDigest(body: Uint8Array | string): string {
  const bytes = typeof body === 'string' ? utf8(body) : body;
  return serializeDictionary([['sha-256', { kind: 'item', value: new SfBytes(sha256(bytes)), params: [] }]]);
}

function digestMatches(header: string, body: Uint8Array): boolean {
  let dict;
  try {
    dict = parseDictionary(header);
  } catch {
    return false;
  }
  const member = dict.get('sha-256');
  if (member === undefined || member.kind !== 'item' || !(member.value instanceof SfBytes)) return false;
  return equalBytes(member.value.bytes, sha256(body)); // false for another length too
}

// ------------------------------------------------------------------ the EAPI profile

/** keyid = `<sessionIdHex>.<index>.<expiresAtMs>.<scope>` (SPEC.md §8.6). */
export function formatEapiKeyId(sessionId: string, params: EapiParams): string {
  assertEapiParams(params);
  return `${sessionId}.${params.index}.${params.expiresAt}.${params.scope}`;
}

/** Parse a keyid; undefined unless it is exactly the canonical form. */
export function parseEapiKeyId(keyid: unknown): ({ sessionId: string } & EapiParams) | undefined {
  if (typeof keyid !== 'string') return undefined;
  const m = /^([0-9a-f]{32})\.(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,15})\.(.+)$/.exec(keyid);
  if (!m) return undefined;
  const params = { index: Number(m[2]), expiresAt: Number(m[3]), scope: m[4]! };
  try {
    assertEapiParams(params);
  } catch {
    return undefined;
  }
  return { sessionId: m[1]!, ...params };
}

/**
 * The session id the request's e2e2 signature claims, for finding the session (e.g. in a Map of
 * ServerSessions) before verifying it. Unauthenticated: only a successful verification vouches for it.
 */
export function claimedEapiHttpSessionId(request: EapiHttpRequest): string | undefined {
  try {
    const parsed = parseHttpSignatures(request).find((s) => param(s.params, 'tag') === EAPI_HTTP_TAG);
    return parsed === undefined ? undefined : parseEapiKeyId(param(parsed.params, 'keyid'))?.sessionId;
  } catch {
    return undefined;
  }
}

function coveredComponents(headers: Map<string, string>, hasBody: boolean): string[] {
  const components: string[] = [...EAPI_HTTP_BASE_COMPONENTS];
  if (hasBody) components.push('content-digest');
  if (headers.has('content-type')) components.push('content-type');
  return components;
}

/**
 * Sign one request with an EAPI. Returns the headers to add: `signature-input`, `signature`,
 * and `content-digest` when there is a (non-empty) body. A `content-digest` already in
 * `request.headers` is ignored: the returned one replaces it.
 */
export function signEapiHttpRequest(eapi: Eapi, request: EapiHttpRequest, options: EapiHttpSignOptions = {}): EapiHttpSignature {
  if (typeof request !== 'object' || request === null) throw new InvalidArgumentError('request must be an object');
  const now = options.now ?? Date.now();
  if (!Number.isInteger(now) || now < 0) throw new InvalidArgumentError('now must be an integer number of ms since the Unix epoch');
  if (now >= eapi.expiresAt) throw new InvalidArgumentError('the EAPI has expired: issue a new one');
  const lifetime = options.lifetimeSeconds ?? DEFAULT_EAPI_HTTP_SIGNATURE_LIFETIME_S;
  if (!Number.isInteger(lifetime) || lifetime < 1) throw new InvalidArgumentError('lifetimeSeconds must be a positive integer');
  const nonce = options.nonce ?? randomBytes(EAPI_NONCE_BYTES);
  if (!(nonce instanceof Uint8Array) || nonce.length !== EAPI_NONCE_BYTES) throw new InvalidArgumentError(`nonce must be ${EAPI_NONCE_BYTES} bytes`);
  const created = Math.floor(now / 1000);
  const expires = Math.min(created + lifetime, Math.ceil(eapi.expiresAt / 1000));
  const body = bodyBytes(request.body);
  // A content-digest of the caller's is replaced with body, and never covered without one (coveredComponents).
  const headers = normalizeHeaders(request.headers);
  let digest: string | undefined;
  if (body !== undefined) {
    digest = contentDigest(body);
    headers.set('content-digest', digest);
  }
  const components = coveredComponents(headers, body !== undefined);
  const params: SfParams = [
    ['created', created],
    ['expires', expires],
    ['nonce', toBase64Url(nonce)],
    ['keyid', formatEapiKeyId(eapi.sessionId, eapi)],
    ['alg', EAPI_HTTP_ALG],
    ['tag', EAPI_HTTP_TAG],
  ];
  const plainHeaders: Record<string, string> = Object.fromEntries(headers);
  const base = buildSignatureBase({ method: request.method, url: request.url, headers: plainHeaders }, components, params);
  const mac = eapi.macForHttp(utf8(base));
  const label = options.label ?? EAPI_HTTP_LABEL;
  const out: EapiHttpSignature = {
    'signature-input': serializeDictionary([[label, coveredList(components, params)]]),
    signature: serializeDictionary([[label, { kind: 'item', value: new SfBytes(mac), params: [] }]]),
  };
  if (digest !== undefined) out['content-digest'] = digest;
  return out;
}

/** What the verifier knows about a session: its EAPI root (deriveEapiRoot) and the id of the API key it used. */
export interface EapiHttpSession {
  eapiRoot: Uint8Array;
  /** The API key id the session authenticated with (for allowedScopes). */
  keyId?: string;
}

/** Server policy: what an EAPI may be. Violations throw ERR_EAPI_POLICY (after the MAC). */
export interface EapiHttpPolicy {
  /** Largest accepted remaining EAPI lifetime, expiresAt − now, in ms. */
  maxLifetimeMs?: number;
  /**
   * Scope tokens an EAPI may carry, per API key id: a table (key id → tokens; a key id not in
   * the table may carry none) or a callback returning whether `scope` is allowed.
   */
  allowedScopes?: Readonly<Record<string, readonly string[]>> | ((context: { keyId: string | undefined; sessionId: string; scope: string }) => boolean);
  /** Components the signature must cover beyond the profile's own (e.g. 'authorization', 'x-request-id'). */
  requiredComponents?: readonly string[];
}

/** Options of verifyEapiHttpRequest: where sessions and nonces live, the clock, and the server policy. */
export interface VerifyEapiHttpOptions {
  /** The session an EAPI claims, by session id hex; undefined when unknown or closed. */
  lookupSession(sessionId: string): EapiHttpSession | undefined | Promise<EapiHttpSession | undefined>;
  /** Verifier clock, ms since the Unix epoch (default Date.now()). */
  now?: number;
  /** Accepted |now − created|, ms (default 30 000). */
  clockSkewMs?: number;
  /** A scope token the EAPI's scope must contain. */
  requiredScope?: string;
  /** Nonce memory: an in-process ReplayCache or a shared ReplayStore. Required: replays are refused. */
  replay: ReplayCache | ReplayStore;
  policy?: EapiHttpPolicy;
}

/** What a verified RFC 9421 EAPI signature vouches for. */
export interface VerifiedEapiHttp {
  sessionId: string;
  index: number;
  scope: string;
  expiresAt: number;
  /** `created`, in ms. */
  created: number;
  label: string;
  components: string[];
}

function param(params: SfParams, name: string): SfBareItem | undefined {
  return params.find(([k]) => k === name)?.[1];
}

function isReplayCache(replay: ReplayCache | ReplayStore): replay is ReplayCache {
  return typeof (replay as ReplayCache).admit === 'function';
}

/**
 * Verify a request signed with signEapiHttpRequest (or any RFC 9421 signer following the
 * profile). Resolves with the verified claims; rejects with ERR_AUTHENTICATION_FAILED (parse,
 * unknown session, MAC, digest), then ERR_EAPI_EXPIRED, ERR_EAPI_CLOCK_SKEW, ERR_EAPI_SCOPE,
 * ERR_EAPI_POLICY, ERR_EAPI_REPLAYED (or the replay store's ERR_STORE_UNAVAILABLE).
 */
export async function verifyEapiHttpRequest(request: EapiHttpRequest, options: VerifyEapiHttpOptions): Promise<VerifiedEapiHttp> {
  if (typeof options !== 'object' || options === null || typeof options.lookupSession !== 'function' || options.replay === undefined) {
    throw new InvalidArgumentError('options must give lookupSession and replay');
  }
  const now = options.now ?? Date.now();
  const skew = options.clockSkewMs ?? DEFAULT_EAPI_CLOCK_SKEW_MS;
  if (options.requiredScope !== undefined && (typeof options.requiredScope !== 'string' || !SCOPE_TOKEN_PATTERN.test(options.requiredScope))) {
    throw new InvalidArgumentError('requiredScope must be one RFC 6749 §3.3 scope token');
  }

  // 1. Parse (nothing here is trusted; it only selects the key and the base).
  let parsed: ParsedHttpSignature | undefined;
  let headers: Map<string, string>;
  try {
    headers = normalizeHeaders(request.headers);
    parsed = parseHttpSignatures(request).find((s) => param(s.params, 'tag') === EAPI_HTTP_TAG);
  } catch (error) {
    throw authenticationFailed('eapi-http: unparsable signature headers', error);
  }
  if (parsed === undefined) throw authenticationFailed('eapi-http: no signature tagged e2e2-eapi/v1');
  const alg = param(parsed.params, 'alg');
  if (alg !== undefined && alg !== EAPI_HTTP_ALG) throw authenticationFailed('eapi-http: alg is not hmac-sha256');
  const claims = parseEapiKeyId(param(parsed.params, 'keyid'));
  if (claims === undefined) throw authenticationFailed('eapi-http: keyid is not an EAPI key id');
  const created = param(parsed.params, 'created');
  const expires = param(parsed.params, 'expires');
  const nonce = param(parsed.params, 'nonce');
  if (typeof created !== 'number' || typeof expires !== 'number' || typeof nonce !== 'string' || nonce.length === 0) {
    throw authenticationFailed('eapi-http: created, expires and nonce are required');
  }
  let body: Uint8Array | undefined;
  try {
    body = bodyBytes(request.body);
  } catch (error) {
    throw authenticationFailed('eapi-http: unreadable body', error);
  }
  const required = [...EAPI_HTTP_BASE_COMPONENTS, ...(body !== undefined ? ['content-digest'] : []), ...(headers.has('content-type') ? ['content-type'] : [])];
  for (const name of required) if (!parsed.components.includes(name)) throw authenticationFailed(`eapi-http: ${name} is not covered`);

  // 2. MAC, under the EAPI secret derived from the claimed session's EAPI root and the keyid.
  // A store failure (ERR_STORE_UNAVAILABLE) propagates as is: it fails closed, typed, and is not an authentication failure.
  const found = await options.lookupSession(claims.sessionId);
  const known = found !== undefined;
  // An unknown session costs the same derivation and MAC (under a random root) as a known one, so
  // the response time does not tell a prober which session ids are live.
  const root = known ? found.eapiRoot : randomBytes(EAPI_ROOT_BYTES);
  const secret = deriveEapi(root, claims);
  const valid = verifyHttpMessageHmac(secret, request, parsed);
  secret.fill(0);
  if (!known) root.fill(0);
  if (!known) throw authenticationFailed('eapi-http: unknown session');
  if (!valid) throw authenticationFailed('eapi-http: signature');
  const session = found;
  // With a body the MAC already required a covered, hence present, content-digest; without one a digest sent anyway must be of the empty body.
  const digestHeader = headers.get('content-digest');
  if (digestHeader !== undefined && !digestMatches(digestHeader, body ?? new Uint8Array(0))) throw authenticationFailed('eapi-http: content-digest does not match the body');

  // 3. Claims: authentic from here on.
  const createdMs = created * 1000;
  if (now >= claims.expiresAt || now >= expires * 1000 || createdMs >= claims.expiresAt || expires <= created) {
    throw new EapiExpiredError('EAPI expired');
  }
  if (Math.abs(now - createdMs) > skew) throw new EapiClockSkewError('EAPI request created time is outside the accepted clock skew');
  const tokens = claims.scope.split(' ');
  if (options.requiredScope !== undefined && !tokens.includes(options.requiredScope)) throw new EapiScopeError('EAPI scope does not include the required scope');
  const policy = options.policy ?? {};
  if (policy.maxLifetimeMs !== undefined && claims.expiresAt - now > policy.maxLifetimeMs) {
    throw new EapiPolicyError('EAPI lifetime exceeds the server policy', { cause: { remainingMs: claims.expiresAt - now, maxLifetimeMs: policy.maxLifetimeMs } });
  }
  if (policy.allowedScopes !== undefined) {
    const allowed = policy.allowedScopes;
    const ok =
      typeof allowed === 'function'
        ? allowed({ keyId: session.keyId, sessionId: claims.sessionId, scope: claims.scope }) === true
        : session.keyId !== undefined && Object.hasOwn(allowed, session.keyId) && tokens.every((t) => allowed[session!.keyId!]!.includes(t));
    if (!ok) throw new EapiPolicyError('EAPI scope is not allowed for this key', { cause: { keyId: session.keyId, scope: claims.scope } });
  }
  for (const name of policy.requiredComponents ?? []) {
    if (!parsed.components.includes(name.toLowerCase())) throw new EapiPolicyError(`the signature does not cover ${name}`);
  }
  const replayKey = `${claims.sessionId}:${nonce}`;
  if (isReplayCache(options.replay)) {
    options.replay.admit(replayKey, createdMs, now, skew);
  } else {
    const ttl = Math.max(1, Math.min(claims.expiresAt, expires * 1000) - now + skew);
    if (!(await options.replay.claim(replayKey, ttl))) throw new EapiReplayedError('EAPI request replayed', { cause: { reason: 'nonce already used' } });
  }
  return {
    sessionId: claims.sessionId,
    index: claims.index,
    scope: claims.scope,
    expiresAt: claims.expiresAt,
    created: createdMs,
    label: parsed.label,
    components: parsed.components,
  };
}
