/**
 * EAPI verification as `(req, res, next)` middleware for Node `http`, Express and Connect.
 *
 * Raw body rule: the signature covers the body bytes as sent (RFC 9530 Content-Digest), so the
 * middleware needs those bytes, not a parsed value. It uses, in this order:
 *   1. `req.rawBody`, when a Uint8Array/Buffer (e.g. `express.json({ verify: (req, res, buf) => { req.rawBody = buf } })`);
 *   2. `req.body`, when a Uint8Array/Buffer (`express.raw({ type: '*\/*' })`);
 *   3. otherwise the request stream itself, read to the end, at most `maxBodyBytes`.
 * A stream some parser already consumed without keeping the bytes cannot be checked: that is a
 * setup error (ERR_INVALID_STATE, passed to next(err)), not a refusal. Mount the middleware
 * before body parsers, or keep the raw bytes as in 1.
 *
 * On success: `req.rawBody` (the bytes, a Buffer under Node), `req.eapi` (the claims), CORS headers
 * set on `res`, then next(). Refusals are answered here (problem+json, see problem.ts) and never
 * reach next(err); next(err) is only for errors that are not about the request (configuration, bugs).
 */
import { BodyTooLargeError, InvalidStateError, isE2E2Error, type E2E2Error } from '../errors.js';
import { verifyEapiHttpRequest, type HttpHeaders } from '../e2e2/eapi-http.js';
import { isPreflight, preflightAnswer, responseCorsHeaders } from './cors.js';
import { eapiProblem } from './problem.js';
import { resolveVerifierOptions, targetUri, type EapiClaims, type EapiVerifierOptions, type ResolvedVerifierOptions } from './options.js';

/** The parts of a Node IncomingMessage (or Express/Connect request) the middleware uses. */
export interface EapiNodeRequest {
  method?: string | undefined;
  url?: string | undefined;
  /** Express: the URL before mounting stripped its prefix. */
  originalUrl?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** A TLS socket has `encrypted: true`. */
  socket?: unknown;
  readableEnded?: boolean;
  // The EventEmitter signatures of Node's own types, so IncomingMessage and Express's Request fit.
  /** Listen for 'data', 'end', 'error' and 'close' while the body is read. */
  on(event: string, listener: (...args: any[]) => void): unknown;
  /** Stop listening once the body is read (or refused). */
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  /** Drain and drop the rest of a body over the limit. */
  resume?(): unknown;
  rawBody?: unknown;
  body?: unknown;
  eapi?: EapiClaims;
}

/** The parts of a Node ServerResponse the middleware uses. */
export interface EapiNodeResponse {
  statusCode: number;
  headersSent?: boolean;
  /** Set a response header (CORS, the challenge, problem+json). */
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  /** Read a header already set (to add to Vary rather than replace it). */
  getHeader(name: string): string | number | string[] | undefined;
  /** Send a refusal or a preflight answer. */
  end(body?: string): unknown;
}

/** What the middleware adds to a request it let through (`EapiVerifiedRequestFields<Buffer>` under Node). */
export interface EapiVerifiedRequestFields<Bytes extends Uint8Array = Uint8Array> {
  rawBody: Bytes;
  eapi: EapiClaims;
}

/** A Connect/Express-style middleware: `(req, res, next)`. */
export type EapiMiddleware = (req: EapiNodeRequest, res: EapiNodeResponse, next: (error?: unknown) => void) => void;

const ABORTED = Symbol('aborted');

function headerValue(req: EapiNodeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function hasBody(req: EapiNodeRequest): boolean {
  const length = headerValue(req, 'content-length');
  return headerValue(req, 'transfer-encoding') !== undefined || (length !== undefined && length.trim() !== '0');
}

function asBuffer(bytes: Uint8Array): Uint8Array {
  // Under Node, a Buffer (so `req.rawBody.toString()` reads as text); elsewhere the plain bytes.
  const B = (globalThis as { Buffer?: { from(a: ArrayBufferLike, o: number, l: number): Uint8Array } }).Buffer;
  return B === undefined ? bytes : B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The request's body bytes (rule in the file comment); ABORTED when the client went away. */
function readBody(req: EapiNodeRequest, max: number): Promise<Uint8Array | typeof ABORTED> {
  const tooLarge = (cause: object) => new BodyTooLargeError('request body too large', { cause: { ...cause, maxBodyBytes: max } });
  const given = req.rawBody instanceof Uint8Array ? req.rawBody : req.body instanceof Uint8Array ? req.body : undefined;
  if (given !== undefined) return given.byteLength > max ? Promise.reject(tooLarge({ length: given.byteLength })) : Promise.resolve(given);
  if (req.readableEnded === true) {
    if (!hasBody(req)) return Promise.resolve(new Uint8Array(0));
    return Promise.reject(
      new InvalidStateError('the request body was consumed before eapiMiddleware: mount it before body parsers, or keep the raw bytes in req.rawBody (a Buffer)'),
    );
  }
  const declared = headerValue(req, 'content-length');
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > max) return Promise.reject(tooLarge({ contentLength: Number(declared) }));
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onClose);
      req.removeListener('close', onClose);
      f();
    };
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      total += bytes.byteLength;
      if (total > max) {
        // Stop keeping bytes; the rest is drained and dropped (the response closes the connection).
        settle(() => reject(tooLarge({ received: total })));
        req.resume?.();
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () =>
      settle(() => {
        const out = new Uint8Array(total);
        let at = 0;
        for (const c of chunks) {
          out.set(c, at);
          at += c.byteLength;
        }
        resolve(out);
      });
    const onClose = () => settle(() => resolve(ABORTED));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onClose);
    req.on('close', onClose);
  });
}

function appendVary(res: EapiNodeResponse, value: string): void {
  const prev = res.getHeader('vary');
  const list = prev === undefined ? '' : Array.isArray(prev) ? prev.join(', ') : String(prev);
  const have = new Set(list.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== ''));
  const add = value.split(',').map((v) => v.trim()).filter((v) => !have.has(v.toLowerCase()));
  if (add.length > 0) res.setHeader('vary', list === '' ? add.join(', ') : `${list}, ${add.join(', ')}`);
}

function setHeaders(res: EapiNodeResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'vary') appendVary(res, value);
    else res.setHeader(name, value);
  }
}

function refuse(res: EapiNodeResponse, error: E2E2Error): void {
  const p = eapiProblem(error)!;
  res.statusCode = p.status;
  setHeaders(res, p.headers);
  // The unread rest of a too-large body is dropped: do not keep the connection for another request.
  if (error.code === 'ERR_BODY_TOO_LARGE') res.setHeader('connection', 'close');
  res.end(p.body);
}

async function handle(req: EapiNodeRequest, res: EapiNodeResponse, options: ResolvedVerifierOptions): Promise<boolean> {
  const method = req.method ?? 'GET';
  const origin = headerValue(req, 'origin');
  if (isPreflight(method, origin, headerValue(req, 'access-control-request-method'))) {
    const answer = preflightAnswer(options.cors, origin!);
    res.statusCode = answer.status;
    setHeaders(res, answer.headers);
    res.end();
    return false;
  }
  setHeaders(res, responseCorsHeaders(options.cors, origin));
  const path = req.originalUrl ?? req.url ?? '';
  const authority = headerValue(req, 'host') ?? headerValue(req, ':authority');
  try {
    const url = targetUri(
      options,
      { scheme: (req.socket as { encrypted?: unknown } | null | undefined)?.encrypted === true ? 'https' : 'http', authority, pathAndQuery: path },
      { proto: headerValue(req, 'x-forwarded-proto'), host: headerValue(req, 'x-forwarded-host') },
    );
    const body = await readBody(req, options.maxBodyBytes);
    if (body === ABORTED) return false; // nobody is left to answer
    const claims = await verifyEapiHttpRequest(
      { method, url, headers: req.headers as HttpHeaders, ...(body.byteLength === 0 ? {} : { body }) },
      options.verify,
    );
    req.rawBody = asBuffer(body);
    req.eapi = claims;
    return true;
  } catch (error) {
    if (!isE2E2Error(error) || eapiProblem(error) === undefined) throw error;
    options.onFailure?.(error, { method, url: path });
    refuse(res, error);
    return false;
  }
}

/**
 * `app.use('/api', eapiMiddleware({ sessions: server.eapiSessions, replay, cors }))`: verifies
 * every request's EAPI signature before the route runs (SPEC.md §8.6). Throws ERR_INVALID_ARGUMENT
 * here for bad options.
 */
export function eapiMiddleware(options: EapiVerifierOptions): EapiMiddleware {
  const resolved = resolveVerifierOptions(options);
  return (req, res, next) => {
    handle(req, res, resolved).then(
      (verified) => {
        if (verified) next();
      },
      (error: unknown) => next(error),
    );
  };
}
