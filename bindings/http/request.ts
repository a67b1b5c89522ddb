/**
 * EAPI verification for web-standard handlers: a WHATWG `Request` in, claims or a `Response`
 * out (Hono, Deno.serve, Bun.serve, Cloudflare Workers through the `workerd` condition, Node's
 * fetch-style adapters). The body is read from a clone, so the handler
 * still reads the original; it is read at most `maxBodyBytes` far (RFC 9530 Content-Digest needs
 * every byte before anything is trusted).
 */
import { BodyTooLargeError, InvalidStateError, isE2E2Error, type E2E2Error } from '../errors.js';
import { verifyEapiHttpRequest } from '../e2e2/eapi-http.js';
import { readStreamBounded } from '../e2e2/bounded-body.js';
import { isPreflight, preflightAnswer, resolveCors, responseCorsHeaders, type EapiCorsOptions, type ResolvedCors } from './cors.js';
import { eapiProblem } from './problem.js';
import { resolveVerifierOptions, targetUri, type EapiClaims, type EapiVerifierOptions, type ResolvedVerifierOptions } from './options.js';

/** What checkEapiRequest decided. */
export type EapiCheck =
  | {
      ok: true;
      claims: EapiClaims;
      /** Headers to add to the handler's response (CORS for an allowed origin, Vary: Origin). */
      headers: Headers;
    }
  | {
      ok: false;
      /** Send this as is: the preflight answer (204/403) or the refusal (401/403/413/503, problem+json). */
      response: Response;
      /** The refusal; undefined for a preflight. */
      error?: E2E2Error;
    };

async function readBounded(request: Request, max: number): Promise<Uint8Array | undefined> {
  if (request.bodyUsed) throw new InvalidStateError('the request body was already read: verify before the handler reads it');
  const tooLarge = (cause: Record<string, number>) => new BodyTooLargeError('request body too large', { cause: { ...cause, maxBodyBytes: max } });
  const declared = request.headers.get('content-length');
  // Refused before reading a byte when the sender says it is too long.
  if (declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > max) throw tooLarge({ contentLength: Number(declared) });
  if (request.body === null) return undefined;
  // From a clone, so the handler still reads the original.
  const body = await readStreamBounded(request.clone().body!, max, () => tooLarge({}));
  return body.byteLength === 0 ? undefined : body;
}

function header(request: Request, name: string): string | undefined {
  return request.headers.get(name) ?? undefined;
}

async function verifyResolved(request: Request, options: ResolvedVerifierOptions): Promise<EapiClaims> {
  const parsed = new URL(request.url);
  const url = targetUri(
    options,
    { scheme: parsed.protocol.slice(0, -1), authority: parsed.host, pathAndQuery: parsed.pathname + parsed.search },
    { proto: header(request, 'x-forwarded-proto'), host: header(request, 'x-forwarded-host') },
  );
  const body = await readBounded(request, options.maxBodyBytes);
  return verifyEapiHttpRequest({ method: request.method, url, headers: request.headers, ...(body === undefined ? {} : { body }) }, options.verify);
}

/**
 * Verify the EAPI signature of `request` (SPEC.md §8.6). Resolves with the claims; rejects with
 * ERR_AUTHENTICATION_FAILED, ERR_EAPI_EXPIRED, ERR_EAPI_CLOCK_SKEW, ERR_EAPI_SCOPE,
 * ERR_EAPI_POLICY, ERR_EAPI_REPLAYED, ERR_BODY_TOO_LARGE or ERR_STORE_UNAVAILABLE
 * (eapiProblem turns each into its response). The request's own body is left unread.
 */
export async function verifyEapiRequest(request: Request, options: EapiVerifierOptions): Promise<EapiClaims> {
  return verifyResolved(request, resolveVerifierOptions(options));
}

function problemResponse(error: E2E2Error, cors: Record<string, string>): Response {
  const p = eapiProblem(error)!;
  return new Response(p.body, { status: p.status, headers: { ...p.headers, ...cors } });
}

function preflightResponse(request: Request, cors: ResolvedCors | undefined): Response | undefined {
  const origin = header(request, 'origin');
  if (!isPreflight(request.method, origin, header(request, 'access-control-request-method'))) return undefined;
  return new Response(null, preflightAnswer(cors, origin!));
}

/** The answer to a CORS preflight (204 for a configured origin, 403 otherwise), or undefined when `request` is not one. */
export function eapiPreflight(request: Request, options: { cors?: EapiCorsOptions }): Response | undefined {
  return preflightResponse(request, resolveCors(options.cors));
}

/**
 * Everything a handler needs in one call: answers preflights, verifies, and maps refusals to
 * their problem+json responses (with CORS headers, so a cross-origin page can read them).
 * Errors that are not refusals (a misconfigured option, a bug) are rethrown.
 *
 *   const check = await checkEapiRequest(request, options);
 *   if (!check.ok) return check.response;
 *   const response = await handle(request, check.claims);
 *   check.headers.forEach((v, k) => response.headers.set(k, v));
 */
export async function checkEapiRequest(request: Request, options: EapiVerifierOptions): Promise<EapiCheck> {
  return checkResolved(request, resolveVerifierOptions(options));
}

async function checkResolved(request: Request, resolved: ResolvedVerifierOptions): Promise<EapiCheck> {
  const preflight = preflightResponse(request, resolved.cors);
  if (preflight !== undefined) return { ok: false, response: preflight };
  const cors = responseCorsHeaders(resolved.cors, header(request, 'origin'));
  try {
    const claims = await verifyResolved(request, resolved);
    return { ok: true, claims, headers: new Headers(cors) };
  } catch (error) {
    if (!isE2E2Error(error) || eapiProblem(error) === undefined) throw error;
    resolved.onFailure?.(error, { method: request.method, url: request.url });
    return { ok: false, response: problemResponse(error, cors), error };
  }
}

/**
 * A fetch handler (`Deno.serve(h)`, `Bun.serve({ fetch: h })`) that runs `handler` only for
 * verified requests, and adds the CORS headers to its response. Options are checked here, once.
 */
export function eapiHandler(
  options: EapiVerifierOptions,
  handler: (request: Request, claims: EapiClaims) => Response | Promise<Response>,
): (request: Request) => Promise<Response> {
  const resolved = resolveVerifierOptions(options);
  return async (request) => {
    const check = await checkResolved(request, resolved);
    if (!check.ok) return check.response;
    const returned = await handler(request, check.claims);
    const extra: Array<[string, string]> = [];
    check.headers.forEach((value, name) => void extra.push([name, value]));
    if (extra.length === 0) return returned;
    // A Response from fetch() has immutable headers: copy it once.
    const response = new Response(returned.body, returned);
    for (const [name, value] of extra) {
      if (name === 'vary') response.headers.append(name, value);
      else response.headers.set(name, value);
    }
    return response;
  };
}
