/**
 * `e2e2/http`: the server side of EAPI over HTTP (SPEC.md §8.6, RFC 9421 `hmac-sha256` profile).
 *
 *   verifyEapiRequest(request, options)  → claims       web-standard Request (Hono, Deno, Bun, Workers)
 *   checkEapiRequest(request, options)   → { ok, ... }  the same, with preflight and refusal responses
 *   eapiHandler(options, handler)        → fetch handler
 *   eapiMiddleware(options)              → (req, res, next) for Node http, Express, Connect
 *   eapiProblem(error)                   → the 401/403/413/503 problem+json response of a refusal
 *
 * Options: { sessions, replay, policy?, requiredScope?, clockSkewMs?, maxBodyBytes?, publicOrigin?,
 * trustProxy?, cors?: { origins, maxAgeSeconds? }, onFailure? }.
 */
export { verifyEapiRequest, checkEapiRequest, eapiHandler, eapiPreflight, type EapiCheck } from './request.js';
export { eapiMiddleware, type EapiMiddleware, type EapiNodeRequest, type EapiNodeResponse, type EapiVerifiedRequestFields } from './middleware.js';
export { eapiProblem, type EapiProblemDetails, type EapiProblemCode, type EapiProblemResponse } from './problem.js';
export type { EapiVerifierOptions, EapiSessionSource, EapiClaims } from './options.js';
export type { EapiCorsOptions } from './cors.js';
export {
  DEFAULT_EAPI_MAX_BODY_BYTES,
  DEFAULT_EAPI_CORS_MAX_AGE_S,
  DEFAULT_EAPI_CORS_METHODS,
  EAPI_CORS_ALLOW_HEADERS,
  EAPI_CORS_EXPOSE_HEADERS,
  EAPI_WWW_AUTHENTICATE,
  EAPI_ACCEPT_SIGNATURE,
} from './constants.js';
export { BodyTooLargeError } from '../errors.js';
