/**
 * A signing `fetch` (SPEC.md §8.6, RFC 9421 with RFC 9530 Content-Digest): every request goes
 * out with the EAPI profile's Signature-Input, Signature and (with a body) Content-Digest headers,
 * under an EAPI the wrapper issues from a client session or channel and rotates before it expires.
 *
 *   const signedFetch = createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60_000 });
 *   const response = await signedFetch('https://api.example.com/orders', { method: 'POST', body });
 *
 * The request is resolved by `new Request(input, init)`, exactly as fetch resolves it (a Request
 * input is cloned first, so the caller's stays readable). Its body (any BodyInit: string, bytes,
 * Blob, URLSearchParams, FormData, ReadableStream) is read once, up to maxBodyBytes, digested and
 * re-sent as those very bytes; the content-type the platform chose for it (with a FormData's
 * boundary) is sent explicitly, so the signature covers exactly what goes on the wire.
 */
import { InvalidArgumentError, PayloadTooLargeError, SessionClosedError } from '../errors.js';
import { DEFAULT_EAPI_HTTP_SIGNATURE_LIFETIME_S, EAPI_HTTP_LABEL, signEapiHttpRequest } from './eapi-http.js';
import { assertEapiParams } from './derive.js';
import { readStreamBounded } from './bounded-body.js';
import type { Eapi } from './eapi.js';
import { parseDictionary } from './structured-fields.js';

/** Anything that issues EAPIs: a client Channel (e2e2/channel) or a ClientSession. */
export interface EapiSource {
  /** Issue an EAPI for `scope` expiring at `expiresAt` (ms since the Unix epoch), under the next index. */
  issueEapi(options: { scope: string; expiresAt: number }): Eapi;
  /** When present ('closing', 'closed', 'disposed'), no request is signed: the source's own error is raised. */
  readonly state?: string;
}

/** The signature of the platform fetch: what createEapiFetch returns and what its `fetch` option takes. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Options of createEapiFetch: `scope` and `lifetimeMs` are required, the rest have defaults. */
export interface EapiFetchOptions {
  /** Space-separated RFC 6749 §3.3 scope tokens every EAPI carries. */
  scope: string;
  /** Lifetime of each EAPI, ms: from EAPI_FETCH_MIN_LIFETIME_MS (1 s) to EAPI_FETCH_MAX_LIFETIME_MS (24 h). */
  lifetimeMs: number;
  /** The fetch that sends the signed request (default: the global fetch, looked up at each call). */
  fetch?: FetchFunction;
  /** Issue the next EAPI once the current one has less than this left, ms. Default: a quarter of lifetimeMs. In [0, lifetimeMs). */
  renewBeforeMs?: number;
  /** Lifetime of each signature (its `expires`), s; capped by the EAPI's expiry. Default 60. */
  signatureLifetimeSeconds?: number;
  /** Largest request body read for the digest, bytes; a larger body is ERR_PAYLOAD_TOO_LARGE and nothing is sent. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Clock, ms since the Unix epoch (default Date.now). */
  now?: () => number;
}

/** Shortest accepted EAPI lifetime, ms: signatures carry whole seconds. */
export const EAPI_FETCH_MIN_LIFETIME_MS = 1_000;
/** Longest accepted EAPI lifetime, ms (24 h): EAPIs are meant to be short-lived; servers may cap it lower (policy.maxLifetimeMs). */
export const EAPI_FETCH_MAX_LIFETIME_MS = 86_400_000;
/** Default renewal margin, as a fraction of lifetimeMs: a quarter, so a 60 s EAPI is replaced after 45 s. */
export const DEFAULT_EAPI_FETCH_RENEW_FRACTION = 0.25;
/** Default largest body the wrapper reads (the whole body is held in memory to digest it), bytes. */
export const DEFAULT_EAPI_FETCH_MAX_BODY_BYTES = 16 * 1024 * 1024;

const ENDED_STATES = new Set(['closing', 'closed', 'disposed']);

function integerIn(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

/** Resolve input/init as fetch does; a relative URL without a base (Node) is a typed error. */
function resolveRequest(input: RequestInfo | URL, init: RequestInit | undefined): Request {
  try {
    // new Request(request) takes the input's body: clone it so the caller's Request stays readable.
    return new Request(input instanceof Request ? input.clone() : input, init);
  } catch (error) {
    if (!(input instanceof Request) && typeof (globalThis as { location?: unknown }).location === 'undefined') {
      let absolute = true;
      try {
        new URL(String(input));
      } catch {
        absolute = false;
      }
      if (!absolute) {
        throw new InvalidArgumentError('the request URL is relative and this runtime has no location to resolve it against: give an absolute URL', { cause: error });
      }
    }
    throw new InvalidArgumentError('the request could not be built from input and init (as fetch would reject it)', { cause: error });
  }
}

/** Read a request's body fully, refusing more than `max` bytes (the stream is cancelled, nothing is sent). */
async function readBody(request: Request, max: number): Promise<Uint8Array | null> {
  const tooLarge = () => new PayloadTooLargeError(`the request body is larger than maxBodyBytes (${max} bytes): it must be read whole to be signed`);
  const body = request.body as ReadableStream<Uint8Array> | null | undefined;
  if (body === undefined) {
    // Firefox has no Request.body (and no stream bodies): the body is already in memory, read it whole.
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > max) throw tooLarge();
    return bytes.byteLength === 0 && request.headers.get('content-type') === null ? null : bytes;
  }
  return body === null ? null : readStreamBounded(body, max, tooLarge);
}

/** A label for our signature that the request's own Signature-Input does not use. */
function freeLabel(existing: string | null): string {
  if (existing === null) return EAPI_HTTP_LABEL;
  let used: Map<string, unknown>;
  try {
    used = parseDictionary(existing);
  } catch (error) {
    throw new InvalidArgumentError('the request has a Signature-Input header that is not a structured-field dictionary', { cause: error });
  }
  for (let i = 1; ; i++) if (!used.has(`sig${i}`)) return `sig${i}`;
}

/**
 * Returns a fetch-compatible function that signs every request with an EAPI of `source`
 * (a client Channel or ClientSession), issuing the next EAPI (next index) once the current one
 * has less than renewBeforeMs left. Rejects, before anything is sent, with ERR_INVALID_ARGUMENT
 * (a request fetch would refuse, a relative URL in Node, mode 'no-cors'), ERR_PAYLOAD_TOO_LARGE
 * (body over maxBodyBytes), or the source's own error once it has closed (ERR_SESSION_CLOSED,
 * ERR_SESSION_DISPOSED). Anything fetch itself rejects with is passed on as is.
 */
export function createEapiFetch(source: EapiSource, options: EapiFetchOptions): FetchFunction {
  if (typeof source !== 'object' || source === null || typeof source.issueEapi !== 'function') {
    throw new InvalidArgumentError('source must issue EAPIs (a client Channel or ClientSession)');
  }
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
  const { scope } = options;
  assertEapiParams({ index: 0, scope, expiresAt: 0 });
  const lifetimeMs = integerIn(options.lifetimeMs, 'lifetimeMs', EAPI_FETCH_MIN_LIFETIME_MS, EAPI_FETCH_MAX_LIFETIME_MS);
  const renewBeforeMs =
    options.renewBeforeMs === undefined ? Math.floor(lifetimeMs * DEFAULT_EAPI_FETCH_RENEW_FRACTION) : integerIn(options.renewBeforeMs, 'renewBeforeMs', 0, lifetimeMs - 1);
  const signatureLifetime = integerIn(options.signatureLifetimeSeconds ?? DEFAULT_EAPI_HTTP_SIGNATURE_LIFETIME_S, 'signatureLifetimeSeconds', 1, 86_400);
  const maxBodyBytes = integerIn(options.maxBodyBytes ?? DEFAULT_EAPI_FETCH_MAX_BODY_BYTES, 'maxBodyBytes', 0, 2 ** 31 - 1);
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new InvalidArgumentError('fetch must be a function');
  if (options.now !== undefined && typeof options.now !== 'function') throw new InvalidArgumentError('now must be a function returning ms since the Unix epoch');
  const clock = options.now ?? Date.now;
  let current: Eapi | undefined;

  /** The EAPI to sign with at `now`: never an expired one, never one of an ended source. */
  const eapiAt = (now: number): Eapi => {
    if (typeof source.state === 'string' && ENDED_STATES.has(source.state)) {
      // The source raises its own typed error (ERR_SESSION_CLOSED / ERR_SESSION_DISPOSED).
      source.issueEapi({ scope, expiresAt: now + lifetimeMs }).dispose();
      throw new SessionClosedError('the session is closing or closed: EAPIs end with it');
    }
    if (current === undefined || current.disposed || now >= current.expiresAt - renewBeforeMs) {
      const next = source.issueEapi({ scope, expiresAt: now + lifetimeMs });
      current?.dispose(); // requests already signed with it are unaffected; its secret is wiped
      current = next;
    }
    return current;
  };

  return async function eapiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = resolveRequest(input, init);
    if (request.mode === 'no-cors') throw new InvalidArgumentError("mode 'no-cors' cannot send the signature headers: use 'cors' or 'same-origin'");
    const body = await readBody(request, maxBodyBytes);
    const headers = new Headers(request.headers);
    if (body === null || body.byteLength === 0) headers.delete('content-digest'); // a stale digest of no body would fail verification
    const label = freeLabel(headers.get('signature-input'));
    const now = clock();
    if (!Number.isSafeInteger(now) || now < 0) throw new InvalidArgumentError('now() must return an integer number of ms since the Unix epoch');
    const eapi = eapiAt(now);
    const signature = signEapiHttpRequest(
      eapi,
      { method: request.method, url: request.url, headers, ...(body === null ? {} : { body }) },
      { now, lifetimeSeconds: signatureLifetime, label },
    );
    headers.append('signature-input', signature['signature-input']);
    headers.append('signature', signature.signature);
    if (signature['content-digest'] !== undefined) headers.set('content-digest', signature['content-digest']);
    // The same request (mode, credentials, signal, redirect, ...) with the signed headers and the bytes just digested.
    const signed = new Request(request, body === null ? { headers } : { headers, body: body as BodyInit });
    return (options.fetch ?? globalThis.fetch)(signed);
  };
}
