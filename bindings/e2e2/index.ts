/**
 * The E2-E2 layer (SPEC.md), sans-IO: bytes in, bytes out; no sockets, timers or clocks inside
 * (times are passed in, in milliseconds since the Unix epoch).
 *
 * API keys
 *   generateApiKey() → { keyId, secret, token }      parseApiKey(token) → { keyId, secret }
 *
 * Handshake (Noise_NNpsk2_25519_ChaChaPoly_SHA256)
 *   const client = createClientHandshake({ apiKey: token, context? });
 *   const server = createServerHandshake({ resolveKey: (keyId) => secret | undefined, context? });
 *   const m1 = client.writeMessage1();                       // 60 bytes, client → server
 *   const { message2, session: s } = await server.respond(m1); // 48 bytes, server → client
 *   const c = client.readMessage2(message2);                 // ClientSession, established
 *   s.open(c.seal(data));                                     // first client record: s is established
 *
 * Sessions: seal(data) / rekey(data?) / close() → record; open(record) → { type, data? };
 *   sessionId, keyId, state, dispose(). One record per message (WebSocket) or framed with
 *   encodeFrame / FrameDecoder on byte streams.
 *
 * EAPI
 *   const eapi = c.issueEapi({ scope: 'orders:read', expiresAt: now + 60_000 });
 *   const authorization = eapi.sign({ method: 'GET', path: '/orders', timestamp: now });
 *   s.verifyEapi({ authorization, method: 'GET', path: '/orders', now, requiredScope: 'orders:read' });
 *
 * Signed fetch (RFC 9421 profile): const signedFetch = createEapiFetch(channelOrSession, { scope, lifetimeMs });
 *   await signedFetch(url, init) — signs each request, rotates the EAPI before it expires.
 *
 * Derivations (pure, for demos, vectors and other implementations): deriveK1, deriveK2,
 * deriveK3, deriveEapiRoot, deriveEapi, fingerprint, buildPrologue.
 */
export { generateApiKey, parseApiKey, formatApiKey, type ApiKey, type GeneratedApiKey } from './api-key.js';
export {
  createClientHandshake,
  createServerHandshake,
  ClientHandshake,
  ServerHandshake,
  type ClientHandshakeOptions,
  type ServerHandshakeOptions,
  type ClientHandshakeState,
  type ServerHandshakeState,
  type ServerResponse,
  type ResolveKey,
  type TraceEvent,
  type PostQuantumMode,
} from './handshake.js';
export { Session, ClientSession, ServerSession, type SessionState, type SessionRole, type OpenResult } from './session.js';
export {
  signEapiHttpRequest,
  verifyEapiHttpRequest,
  claimedEapiHttpSessionId,
  buildSignatureBase,
  signHttpMessageHmac,
  verifyHttpMessageHmac,
  parseHttpSignatures,
  contentDigest,
  formatEapiKeyId,
  parseEapiKeyId,
  EAPI_HTTP_TAG,
  EAPI_HTTP_ALG,
  EAPI_HTTP_LABEL,
  type EapiHttpRequest,
  type HttpHeaders,
  type EapiHttpSignOptions,
  type EapiHttpSignature,
  type EapiHttpSession,
  type EapiHttpPolicy,
  type VerifyEapiHttpOptions,
  type VerifiedEapiHttp,
  type ParsedHttpSignature,
} from './eapi-http.js';
export { SfBytes, SfToken, type SfParams, type SfBareItem, type SfInnerList } from './structured-fields.js';
export {
  createEapiFetch,
  EAPI_FETCH_MIN_LIFETIME_MS,
  EAPI_FETCH_MAX_LIFETIME_MS,
  DEFAULT_EAPI_FETCH_RENEW_FRACTION,
  DEFAULT_EAPI_FETCH_MAX_BODY_BYTES,
  type EapiSource,
  type EapiFetchOptions,
  type FetchFunction,
} from './eapi-fetch.js';
export { ReplayCache } from './eapi.js';
export { MemorySessionRegistry, MemoryReplayStore, type ReplayStore, type SessionRegistry, type EapiSessionRecord } from './eapi-stores.js';
export { Eapi, parseEapiAuthorization, type EapiAuthorization, type EapiRequest, type EapiSignOptions, type VerifyEapiOptions, type VerifiedEapi } from './eapi.js';
export { deriveK1, deriveK2, deriveK3, deriveEapiRoot, deriveEapi, fingerprint, buildPrologue, type K2Derivation, type K3, type EapiParams } from './derive.js';
export { encodeFrame, FrameDecoder } from './framing.js';
/** E2-E2 wire constants (SPEC.md §3): sizes, labels, limits, each named once with its unit. */
export * as constants from './constants.js';
