/**
 * Limits and fixed values of the EAPI HTTP server layer (e2e2/http): body bound, CORS defaults,
 * the 401 challenge (RFC 9110 §11.6.1 WWW-Authenticate, RFC 9421 §5.1 Accept-Signature).
 */
import { EAPI_HTTP_ALG, EAPI_HTTP_BASE_COMPONENTS, EAPI_HTTP_LABEL, EAPI_HTTP_TAG } from '../e2e2/eapi-http.js';

/** Default largest request body read to check its Content-Digest, bytes (1 MiB). Larger: 413 ERR_BODY_TOO_LARGE. */
export const DEFAULT_EAPI_MAX_BODY_BYTES = 1_048_576;

/** Default Access-Control-Max-Age of an allowed preflight, seconds (10 minutes). */
export const DEFAULT_EAPI_CORS_MAX_AGE_S = 600;

/** Default Access-Control-Allow-Methods of an allowed preflight. */
export const DEFAULT_EAPI_CORS_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Request headers a signed cross-origin request sends (always allowed by a preflight answer). */
export const EAPI_CORS_ALLOW_HEADERS: readonly string[] = ['signature', 'signature-input', 'content-digest', 'content-type'];

/** Response headers a cross-origin page may read: the challenge of a 401. */
export const EAPI_CORS_EXPOSE_HEADERS: readonly string[] = ['www-authenticate', 'accept-signature'];

/** Retry-After of a 503 (ERR_STORE_UNAVAILABLE), seconds. */
export const EAPI_STORE_RETRY_AFTER_S = 1;

/**
 * WWW-Authenticate of every 401 (RFC 9110 §15.5.2 requires a challenge). The `Signature` scheme
 * is not in the IANA HTTP Authentication Scheme registry: it names RFC 9421 signatures, and the
 * `tag` parameter names this profile (SPEC.md §8.6).
 */
export const EAPI_WWW_AUTHENTICATE = `Signature tag="${EAPI_HTTP_TAG}"`;

/** Accept-Signature of every 401 (RFC 9421 §5.1): the components, tag and algorithm the profile signs with. */
export const EAPI_ACCEPT_SIGNATURE = `${EAPI_HTTP_LABEL}=(${EAPI_HTTP_BASE_COMPONENTS.map((c) => `"${c}"`).join(' ')});alg="${EAPI_HTTP_ALG}";tag="${EAPI_HTTP_TAG}"`;
