/**
 * Options shared by verifyEapiRequest (web-standard Request) and eapiMiddleware (Node), and the
 * target URI a signature is checked against. RFC 9421 §2.2 derives `@authority` and `@scheme`
 * from the target URI the client used; behind a proxy that is not the one the server sees:
 * - `publicOrigin: 'https://api.example.com'` replaces scheme and authority with that origin (the
 *   safe choice: the client's signature must name exactly it);
 * - `trustProxy: true` takes them from the first X-Forwarded-Proto and X-Forwarded-Host values;
 *   only behind a proxy that always overwrites both, since any client can send them.
 * Without either, the scheme is the connection's and the authority the Host header (HTTP/1.1) or
 * :authority (HTTP/2).
 */
import { InvalidArgumentError } from '../errors.js';
import type { ReplayStore, SessionRegistry } from '../e2e2/eapi-stores.js';
import type { ReplayCache } from '../e2e2/eapi.js';
import type { EapiHttpPolicy, EapiHttpSession, VerifiedEapiHttp, VerifyEapiHttpOptions } from '../e2e2/eapi-http.js';
import { authenticationFailed } from '../noise/failures.js';
import { SCOPE_TOKEN_PATTERN } from '../e2e2/derive.js';
import type { E2E2Error } from '../errors.js';
import { DEFAULT_EAPI_MAX_BODY_BYTES } from './constants.js';
import { resolveCors, type EapiCorsOptions, type ResolvedCors } from './cors.js';

/** Where the verifier finds a session's EAPI material: a SessionRegistry (e.g. `server.eapiSessions`) or any lookup. */
export type EapiSessionSource =
  | Pick<SessionRegistry, 'lookup'>
  | {
      /** The session's `{ eapiRoot, keyId }`, or undefined when it is unknown or closed. */
      lookup(sessionId: string): EapiHttpSession | undefined | Promise<EapiHttpSession | undefined>;
    };

/** Options of verifyEapiRequest, checkEapiRequest, eapiHandler and eapiMiddleware. */
export interface EapiVerifierOptions {
  /** The live sessions. An unknown or closed session is ERR_AUTHENTICATION_FAILED; a lookup that rejects, ERR_STORE_UNAVAILABLE. */
  sessions: EapiSessionSource;
  /** Nonce memory shared by everything that verifies for these sessions (required: replays are refused). */
  replay: ReplayStore | ReplayCache;
  /** What an EAPI may be (lifetime, scopes per API key id, covered components): ERR_EAPI_POLICY, 403. */
  policy?: EapiHttpPolicy;
  /** A scope token every request must carry (ERR_EAPI_SCOPE, 403). */
  requiredScope?: string;
  /** Accepted |now − created|, ms (default 30 000). */
  clockSkewMs?: number;
  /** Largest body read and digested, bytes (default DEFAULT_EAPI_MAX_BODY_BYTES, 1 MiB). Larger: 413 ERR_BODY_TOO_LARGE. */
  maxBodyBytes?: number;
  /** The origin clients sign for (`https://api.example.com`), when the server sits behind a proxy. */
  publicOrigin?: string;
  /** Take scheme and authority from X-Forwarded-Proto / X-Forwarded-Host (only behind a proxy that sets both). */
  trustProxy?: boolean;
  /** Cross-origin callers; without it, no CORS headers and every preflight is refused (403). */
  cors?: EapiCorsOptions;
  /**
   * Called with every refusal before it is answered: the place to log what failed
   * (`error.cause`), which the response never says. Must not throw.
   */
  onFailure?(error: E2E2Error, request: { method: string; url: string }): void;
}

export interface ResolvedVerifierOptions {
  verify: Omit<VerifyEapiHttpOptions, 'now'>;
  maxBodyBytes: number;
  publicOrigin: string | undefined;
  trustProxy: boolean;
  cors: ResolvedCors | undefined;
  onFailure: EapiVerifierOptions['onFailure'];
}

/** The claims of a verified request. */
export type EapiClaims = VerifiedEapiHttp;

function serializedOrigin(value: string, what: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.origin !== value || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new InvalidArgumentError(`${what} must be an http(s) origin such as https://api.example.com (no path, no trailing slash)`);
  }
  return value;
}

export function resolveVerifierOptions(options: EapiVerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
  const { sessions, replay } = options;
  if (typeof sessions !== 'object' || sessions === null || typeof sessions.lookup !== 'function') throw new InvalidArgumentError('options.sessions must have lookup(sessionId)');
  if (replay === undefined || replay === null) throw new InvalidArgumentError('options.replay is required: a ReplayStore or a ReplayCache');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_EAPI_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw new InvalidArgumentError('options.maxBodyBytes must be a non-negative integer');
  if (options.publicOrigin !== undefined && options.trustProxy === true) throw new InvalidArgumentError('give publicOrigin or trustProxy, not both');
  const publicOrigin = options.publicOrigin === undefined ? undefined : serializedOrigin(options.publicOrigin, 'options.publicOrigin');
  if (options.requiredScope !== undefined && (typeof options.requiredScope !== 'string' || !SCOPE_TOKEN_PATTERN.test(options.requiredScope))) {
    throw new InvalidArgumentError('options.requiredScope must be one RFC 6749 §3.3 scope token');
  }
  if (options.onFailure !== undefined && typeof options.onFailure !== 'function') throw new InvalidArgumentError('options.onFailure must be a function');
  const verify: Omit<VerifyEapiHttpOptions, 'now'> = {
    lookupSession: (id) => sessions.lookup(id),
    replay,
  };
  if (options.policy !== undefined) verify.policy = options.policy;
  if (options.requiredScope !== undefined) verify.requiredScope = options.requiredScope;
  if (options.clockSkewMs !== undefined) verify.clockSkewMs = options.clockSkewMs;
  return { verify, maxBodyBytes, publicOrigin, trustProxy: options.trustProxy === true, cors: resolveCors(options.cors), onFailure: options.onFailure };
}

/** reg-name or IPv4 (RFC 3986 §3.2.2, without percent-encoding), or an IP-literal; optional port. */
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

function firstValue(value: string | undefined): string | undefined {
  const first = value?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

/**
 * The absolute target URI the signature must cover. `scheme`/`authority` are what the
 * connection says; `pathAndQuery` is the origin-form request target. A target that cannot be
 * made into a URL is an authentication failure (there is nothing a signature could cover).
 */
export function targetUri(
  options: ResolvedVerifierOptions,
  connection: { scheme: string; authority: string | undefined; pathAndQuery: string },
  forwarded: { proto: string | undefined; host: string | undefined },
): string {
  const { pathAndQuery } = connection;
  if (!pathAndQuery.startsWith('/')) throw authenticationFailed('eapi-http: the request target is not in origin form');
  let origin: string;
  if (options.publicOrigin !== undefined) {
    origin = options.publicOrigin;
  } else {
    const proto = (options.trustProxy ? firstValue(forwarded.proto) : undefined) ?? connection.scheme;
    const host = (options.trustProxy ? firstValue(forwarded.host) : undefined) ?? connection.authority;
    if (host === undefined || (proto !== 'http' && proto !== 'https')) throw authenticationFailed('eapi-http: no authority for the request');
    // RFC 9110 §7.2 Host = uri-host [ ":" port ]: no userinfo, path or query can ride along.
    if (!HOST.test(host)) throw authenticationFailed('eapi-http: the authority is not a host[:port]');
    origin = `${proto}://${host}`;
  }
  // Concatenated, not resolved against a base: a path of `//host/x` stays a path.
  let url: URL;
  try {
    url = new URL(origin + pathAndQuery);
  } catch (error) {
    throw authenticationFailed('eapi-http: the request target is not a URL', error);
  }
  return url.href;
}
