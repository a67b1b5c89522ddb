/**
 * Refused EAPI requests as HTTP responses: RFC 9457 problem details (`application/problem+json`)
 * with the stable error code. One fixed body per code; what failed is only in the error's `cause`
 * (log it with `onFailure`), so every authentication failure answers byte-for-byte the same.
 *
 *   ERR_AUTHENTICATION_FAILED  401  no/unparsable signature, unknown or closed session, MAC, Content-Digest
 *   ERR_EAPI_EXPIRED           401  the EAPI or the signature expired: sign with a fresh EAPI
 *   ERR_EAPI_CLOCK_SKEW        401  `created` is outside the server's skew window
 *   ERR_EAPI_REPLAYED          401  the nonce was used before
 *   ERR_EAPI_SCOPE             403  authentic, without the required scope token
 *   ERR_EAPI_POLICY            403  authentic, outside the server policy (lifetime, scopes for its key, components)
 *   ERR_BODY_TOO_LARGE         413  the body is larger than maxBodyBytes (never read further)
 *   ERR_STORE_UNAVAILABLE      503  the session registry or replay store could not answer (fails closed)
 *
 * 401s carry `WWW-Authenticate` and `Accept-Signature` (constants.ts); a 503 carries `Retry-After`.
 */
import { isE2E2Error, type E2E2ErrorCode } from '../errors.js';
import { EAPI_ACCEPT_SIGNATURE, EAPI_STORE_RETRY_AFTER_S, EAPI_WWW_AUTHENTICATE } from './constants.js';

/** RFC 9457 §3 members, plus the `code` extension member. */
export interface EapiProblemDetails {
  /** `about:blank` (RFC 9457 §4.2.1): the status says what kind of problem; `code` says which. */
  type: 'about:blank';
  /** The status code's reason phrase (RFC 9457 §4.2.1). */
  title: string;
  status: number;
  /** A fixed sentence for the code: never the failed check, never request data. */
  detail: string;
  code: EapiProblemCode;
}

/** The codes answered as refusals (the others are not about the request: they reach the framework's error handling). */
export type EapiProblemCode = Extract<
  E2E2ErrorCode,
  'ERR_AUTHENTICATION_FAILED' | 'ERR_EAPI_EXPIRED' | 'ERR_EAPI_CLOCK_SKEW' | 'ERR_EAPI_REPLAYED' | 'ERR_EAPI_SCOPE' | 'ERR_EAPI_POLICY' | 'ERR_BODY_TOO_LARGE' | 'ERR_STORE_UNAVAILABLE'
>;

/** A response to send: status, headers (lower-case names) and the serialized problem. */
export interface EapiProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  problem: EapiProblemDetails;
}

const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 413: 'Content Too Large', 503: 'Service Unavailable' };

const PROBLEMS: Record<EapiProblemCode, { status: number; detail: string }> = {
  ERR_AUTHENTICATION_FAILED: { status: 401, detail: 'The request does not carry a valid e2e2 EAPI signature.' },
  ERR_EAPI_EXPIRED: { status: 401, detail: 'The EAPI or its signature has expired: sign the request with a fresh EAPI.' },
  ERR_EAPI_CLOCK_SKEW: { status: 401, detail: "The signature's creation time is outside the server's clock-skew window." },
  ERR_EAPI_REPLAYED: { status: 401, detail: 'The signature was already used: sign every request anew.' },
  ERR_EAPI_SCOPE: { status: 403, detail: "The EAPI's scope does not include the scope this resource requires." },
  ERR_EAPI_POLICY: { status: 403, detail: "The EAPI is outside the server's policy (lifetime, scopes for its key or covered components)." },
  ERR_BODY_TOO_LARGE: { status: 413, detail: 'The request body is larger than the server verifies.' },
  ERR_STORE_UNAVAILABLE: { status: 503, detail: 'The server cannot verify EAPIs right now: retry later.' },
};

/**
 * The response for a refused request, or undefined when `error` is not a refusal of the request
 * (a programming or configuration error: let it reach the framework's error handling).
 */
export function eapiProblem(error: unknown): EapiProblemResponse | undefined {
  if (!isE2E2Error(error) || !Object.hasOwn(PROBLEMS, error.code)) return undefined;
  const code = error.code as EapiProblemCode;
  const { status, detail } = PROBLEMS[code];
  const problem: EapiProblemDetails = { type: 'about:blank', title: TITLES[status]!, status, detail, code };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json', 'cache-control': 'no-store' };
  if (status === 401) {
    headers['www-authenticate'] = EAPI_WWW_AUTHENTICATE;
    headers['accept-signature'] = EAPI_ACCEPT_SIGNATURE;
  }
  if (status === 503) headers['retry-after'] = String(EAPI_STORE_RETRY_AFTER_S);
  return { status, headers, body: JSON.stringify(problem), problem };
}
