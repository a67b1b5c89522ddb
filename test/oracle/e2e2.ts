/**
 * Differential oracle, part 2: E2-E2 v1 (SPEC.md) on top of the oracle Noise in ./noise.ts, using
 * only noble and Node's Buffer. Written from SPEC.md, sharing no code with bindings/. Computes
 * every intermediate value so tests can compare the implementation byte for byte.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  cat,
  DH,
  HKDF,
  HMAC,
  REKEY,
  decryptWithAd,
  encryptWithAd,
  initialize,
  readMessage1,
  readMessage2,
  transportFor,
  writeMessage1,
  writeMessage2,
  type Cipher,
  type Party,
} from './noise.js';

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const labelled = (text: string): Uint8Array => cat(ascii(text), new Uint8Array([0]));
export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHexString = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function be(value: number | bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** RFC 5869 §2.3 HKDF-Expand, written out (T(1)..T(n)). */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  let t: Uint8Array = new Uint8Array(0);
  let okm: Uint8Array = new Uint8Array(0);
  for (let i = 1; okm.length < length; i++) {
    t = HMAC(prk, cat(t, info, new Uint8Array([i])));
    okm = cat(okm, t);
  }
  return okm.slice(0, length);
}

// SPEC.md §4: tokens.
export function formatToken(keyIdHex: string, secret: Uint8Array): string {
  return `e2e2_${keyIdHex}_${Buffer.from(secret).toString('base64url')}`;
}

export function parseToken(token: string): { keyId: string; secret: Uint8Array } {
  const m = /^e2e2_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) throw new Error('oracle: bad token');
  const secret = new Uint8Array(Buffer.from(m[2]!, 'base64url'));
  if (Buffer.from(secret).toString('base64url') !== m[2]) throw new Error('oracle: non-canonical secret');
  return { keyId: m[1]!, secret };
}

// SPEC.md §5.1: prologue.
export function prologueFor(context: Uint8Array): Uint8Array {
  return cat(labelled('e2e2/v1'), context);
}

export interface OracleK3 {
  initiatorToResponder: Uint8Array;
  responderToInitiator: Uint8Array;
  exporter: Uint8Array;
  sessionId: Uint8Array;
}

/** SPEC.md §6.3: Split keys, exporter and session id from K2 and h. */
export function k3Of(k2: Uint8Array, h: Uint8Array): OracleK3 {
  const [initiatorToResponder, responderToInitiator] = HKDF(k2, new Uint8Array(0), 2);
  const exporter = hkdfExpand(k2, cat(labelled('e2e2/v1/exporter'), h), 32);
  const sessionId = hkdfExpand(exporter, labelled('e2e2/v1/session-id'), 16);
  return { initiatorToResponder: initiatorToResponder!, responderToInitiator: responderToInitiator!, exporter, sessionId };
}

/** Everything one handshake computes, from both sides. */
export interface OracleHandshake {
  prologue: Uint8Array;
  clientEphemeralPublic: Uint8Array;
  serverEphemeralPublic: Uint8Array;
  message1: Uint8Array;
  message2: Uint8Array;
  k1: Uint8Array;
  k2: Uint8Array;
  handshakeHash: Uint8Array;
  k3: OracleK3;
  client: { send: Cipher; receive: Cipher };
  server: { send: Cipher; receive: Cipher };
  clientTrace: NonNullable<Party['s']['trace']>;
  serverTrace: NonNullable<Party['s']['trace']>;
}

/** A complete handshake with fixed ephemerals; the server uses `serverSecret` (may differ from the client's). */
export function handshake(params: {
  context: Uint8Array;
  keyId: string;
  clientSecret: Uint8Array;
  serverSecret?: Uint8Array;
  clientEphemeralPrivate: Uint8Array;
  serverEphemeralPrivate: Uint8Array;
}): OracleHandshake {
  const prologue = prologueFor(params.context);
  const client = initialize(true, prologue, params.clientSecret, params.clientEphemeralPrivate);
  const server = initialize(false, prologue, params.serverSecret ?? params.clientSecret, params.serverEphemeralPrivate);
  const message1 = writeMessage1(client, fromHexString(params.keyId));
  const keyId = readMessage1(server, message1);
  if (hexOf(keyId) !== params.keyId) throw new Error('oracle: key id mismatch');
  const message2 = writeMessage2(server, new Uint8Array(0));
  readMessage2(client, message2);
  const k1 = DH(params.clientEphemeralPrivate, server.e.pub);
  const k2 = client.s.ck.slice();
  const handshakeHash = client.s.h.slice();
  if (hexOf(handshakeHash) !== hexOf(server.s.h)) throw new Error('oracle: h mismatch');
  const [cs, cr] = transportFor(client);
  const [ss, sr] = transportFor(server);
  return {
    prologue,
    clientEphemeralPublic: client.e.pub,
    serverEphemeralPublic: server.e.pub,
    message1,
    message2,
    k1,
    k2,
    handshakeHash,
    k3: k3Of(k2, handshakeHash),
    client: { send: cs!, receive: cr! },
    server: { send: ss!, receive: sr! },
    clientTrace: client.s.trace!,
    serverTrace: server.s.trace!,
  };
}

// SPEC.md §7: records.
export const RECORD = { data: 1, close: 2, rekey: 3 } as const;
export type RecordType = keyof typeof RECORD;

/** Seal a record; REKEY rekeys the sending cipher after it. */
export function sealRecord(c: Cipher, type: RecordType, body: Uint8Array): Uint8Array {
  const record = encryptWithAd(c, new Uint8Array(0), cat(new Uint8Array([RECORD[type]]), body));
  if (type === 'rekey') c.k = REKEY(c.k!);
  return record;
}

export function openRecord(c: Cipher, record: Uint8Array): { type: RecordType; body: Uint8Array } {
  const plaintext = decryptWithAd(c, new Uint8Array(0), record);
  const type = (Object.keys(RECORD) as RecordType[]).find((t) => RECORD[t] === plaintext[0]);
  if (!type) throw new Error('oracle: unknown record type');
  if (type === 'rekey') c.k = REKEY(c.k!);
  return { type, body: plaintext.slice(1) };
}

// SPEC.md §6.5 and §8: EAPI.
export function eapiRoot(exporter: Uint8Array): Uint8Array {
  return hkdfExpand(exporter, labelled('e2e2/v1/eapi-root'), 32);
}

export function eapiSecretFromRoot(root: Uint8Array, index: number, scope: string, expiresAt: number): Uint8Array {
  const scopeBytes = ascii(scope);
  return hkdfExpand(root, cat(labelled('e2e2/v1/eapi'), be(index, 4), be(expiresAt, 8), new Uint8Array([scopeBytes.length]), scopeBytes), 32);
}

/** The EAPI secret of the session with this exporter (through its EAPI root). */
export function eapiSecret(exporter: Uint8Array, index: number, scope: string, expiresAt: number): Uint8Array {
  return eapiSecretFromRoot(eapiRoot(exporter), index, scope, expiresAt);
}

export interface OracleRequest {
  method: string;
  path: string;
  body: Uint8Array;
  timestamp: number;
  nonce: Uint8Array;
}

export function eapiFields(sessionId: Uint8Array, index: number, scope: string, expiresAt: number, timestamp: number, nonce: Uint8Array): Uint8Array {
  const scopeBytes = ascii(scope);
  return cat(new Uint8Array([1]), sessionId, be(index, 4), be(expiresAt, 8), be(timestamp, 8), nonce, new Uint8Array([scopeBytes.length]), scopeBytes);
}

export function eapiSignature(secret: Uint8Array, fields: Uint8Array, request: OracleRequest): Uint8Array {
  const method = ascii(request.method);
  const path = ascii(request.path);
  return HMAC(secret, cat(labelled('e2e2/v1/eapi-request'), fields, be(method.length, 2), method, be(path.length, 2), path, sha256(request.body)));
}

/** The Authorization header value for one request. */
export function eapiAuthorization(k3: OracleK3, index: number, scope: string, expiresAt: number, request: OracleRequest): { header: string; secret: Uint8Array; signature: Uint8Array } {
  const secret = eapiSecret(k3.exporter, index, scope, expiresAt);
  const fields = eapiFields(k3.sessionId, index, scope, expiresAt, request.timestamp, request.nonce);
  const signature = eapiSignature(secret, fields, request);
  return { header: `E2E2-EAPI ${Buffer.from(cat(fields, signature)).toString('base64url')}`, secret, signature };
}

/** SPEC.md §6.5 fingerprint. */
export function fingerprintOf(key: Uint8Array): string {
  return hexOf(sha256(cat(labelled('e2e2/v1/fingerprint'), key)).slice(0, 8));
}
