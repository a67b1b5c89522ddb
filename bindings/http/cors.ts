/**
 * CORS (WHATWG Fetch §3.2) for EAPI-signed cross-origin requests: a preflight from a configured
 * origin is answered 204, allowing the signature headers (Signature, Signature-Input,
 * Content-Digest, Content-Type); actual responses to it carry the exact origin (never `*`) with
 * `Vary: Origin` and expose the 401 challenge. An origin not configured gets no CORS header at all
 * (a preflight from it: 403), so the browser refuses to send the request or to show its response.
 */
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_EAPI_CORS_MAX_AGE_S, DEFAULT_EAPI_CORS_METHODS, EAPI_CORS_ALLOW_HEADERS, EAPI_CORS_EXPOSE_HEADERS } from './constants.js';

/** Which origins may call cross-origin, and what their preflights are told. */
export interface EapiCorsOptions {
  /**
   * Origins allowed to call: serialized origins compared exactly (`https://app.example.com`,
   * `http://127.0.0.1:5173`: scheme, host, port; no path, no trailing slash, no wildcard), or a
   * predicate over the request's Origin header value.
   */
  origins: readonly string[] | ((origin: string) => boolean);
  /** Access-Control-Max-Age of an allowed preflight, seconds (default 600). */
  maxAgeSeconds?: number;
  /** Access-Control-Allow-Methods (default GET, HEAD, POST, PUT, PATCH, DELETE). */
  methods?: readonly string[];
  /** Request headers allowed besides the signature headers. */
  allowHeaders?: readonly string[];
  /** Response headers exposed besides WWW-Authenticate and Accept-Signature. */
  exposeHeaders?: readonly string[];
}

/** Validated CORS settings. */
export interface ResolvedCors {
  allows(origin: string): boolean;
  maxAge: string;
  methods: string;
  allowHeaders: string;
  exposeHeaders: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2 token (method and field names)

function tokens(list: readonly string[] | undefined, what: string): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' && TOKEN.test(t))) throw new InvalidArgumentError(`cors.${what} must be an array of HTTP tokens`);
  return [...list];
}

export function resolveCors(cors: EapiCorsOptions | undefined): ResolvedCors | undefined {
  if (cors === undefined) return undefined;
  if (typeof cors !== 'object' || cors === null) throw new InvalidArgumentError('cors must be an object');
  let allows: (origin: string) => boolean;
  if (typeof cors.origins === 'function') {
    const predicate = cors.origins;
    allows = (origin) => predicate(origin) === true;
  } else if (Array.isArray(cors.origins)) {
    for (const o of cors.origins) {
      let parsed: URL | undefined;
      try {
        parsed = typeof o === 'string' ? new URL(o) : undefined;
      } catch {
        parsed = undefined;
      }
      // Exactly the serialization a browser sends in Origin: a typo (trailing slash, path) would otherwise never match.
      if (parsed === undefined || parsed.origin === 'null' || parsed.origin !== o) throw new InvalidArgumentError('cors.origins entries must be serialized origins such as https://app.example.com');
    }
    const set = new Set(cors.origins);
    allows = (origin) => set.has(origin);
  } else {
    throw new InvalidArgumentError('cors.origins must be an array of origins or a function');
  }
  const maxAge = cors.maxAgeSeconds ?? DEFAULT_EAPI_CORS_MAX_AGE_S;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new InvalidArgumentError('cors.maxAgeSeconds must be a non-negative integer');
  const methods = cors.methods === undefined ? [...DEFAULT_EAPI_CORS_METHODS] : tokens(cors.methods, 'methods');
  const allowHeaders = [...new Set([...EAPI_CORS_ALLOW_HEADERS, ...tokens(cors.allowHeaders, 'allowHeaders').map((h) => h.toLowerCase())])];
  const exposeHeaders = [...new Set([...EAPI_CORS_EXPOSE_HEADERS, ...tokens(cors.exposeHeaders, 'exposeHeaders').map((h) => h.toLowerCase())])];
  return { allows, maxAge: String(maxAge), methods: methods.join(', '), allowHeaders: allowHeaders.join(', '), exposeHeaders: exposeHeaders.join(', ') };
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string, origin: string | undefined, requestMethod: string | undefined): boolean {
  return method.toUpperCase() === 'OPTIONS' && origin !== undefined && requestMethod !== undefined;
}

/** Status and headers answering a preflight: 204 and the allow headers, or 403 and none. */
export function preflightAnswer(cors: ResolvedCors | undefined, origin: string): { status: number; headers: Record<string, string> } {
  const vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
  if (cors === undefined || !cors.allows(origin)) return { status: 403, headers: { vary } };
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': cors.methods,
      'access-control-allow-headers': cors.allowHeaders,
      'access-control-max-age': cors.maxAge,
      vary,
    },
  };
}

/** Headers for an actual (non-preflight) response: always Vary: Origin; the CORS ones only for an allowed origin. */
export function responseCorsHeaders(cors: ResolvedCors | undefined, origin: string | undefined): Record<string, string> {
  if (cors === undefined) return {};
  if (origin === undefined || !cors.allows(origin)) return { vary: 'Origin' };
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': cors.exposeHeaders, vary: 'Origin' };
}
