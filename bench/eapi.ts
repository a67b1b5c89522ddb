/**
 * EAPI over HTTP (SPEC.md §8.6), side by side in one process:
 *   e2e2                            signEapiHttpRequest / verifyEapiHttpRequest (WASM HMAC, SHA-256, HKDF)
 *   http-message-signatures+node    the independent RFC 9421 implementation with its node:crypto
 *                                   hmac-sha256 signer/verifier, plus a node:crypto Content-Digest
 *
 * The same request both ways: POST with a JSON body (covered: @method @authority @path @query
 * content-digest content-type) and a GET (the four derived components). Work per operation:
 *   sign:   e2e2 digests the body and MACs the base; the peer does the same (node:crypto digest).
 *   verify: e2e2 parses, derives the EAPI secret from the session's root (one HKDF-Expand), MACs,
 *           checks the digest and claims, and records the nonce in a replay cache; the peer parses,
 *           MACs with a fixed key and checks the digest. e2e2 does strictly more per verify.
 * Each contender's output is verified by the other before timing.
 */
import { createHash } from 'node:crypto';
import { createSigner, createVerifier, httpbis } from 'http-message-signatures';
import { createClientHandshake, createServerHandshake, deriveEapi, generateApiKey, signEapiHttpRequest, verifyEapiHttpRequest, type EapiHttpRequest } from '../bindings/index.js';
import { ReplayCache } from '../bindings/e2e2/eapi.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';
import { deriveEapiRoot } from '../bindings/e2e2/derive.js';
import type { Case } from './harness.js';

const FIELDS_WITH_BODY = ['@method', '@authority', '@path', '@query', 'content-digest', 'content-type'];
const FIELDS_NO_BODY = ['@method', '@authority', '@path', '@query'];
const BATCH = 50;

type Signed = { method: string; url: string; headers: Record<string, string>; body?: string };

function digestOf(body: string): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

export async function eapiCases(): Promise<Case[]> {
  const key = generateApiKey();
  const client = createClientHandshake({ apiKey: key });
  const server = createServerHandshake({ resolveKey: (id) => (id === key.keyId ? key.secret : undefined) });
  const { message2, session: serverSession } = await server.respond(client.writeMessage1());
  const clientSession = client.readMessage2(message2);
  const eapiRoot = deriveEapiRoot(sessionSnapshotForTestingOnly(serverSession).exporter as Uint8Array);
  const expiresAt = Date.now() + 3_600_000;
  const eapi = clientSession.issueEapi({ scope: 'orders:write', expiresAt });
  const secret = Buffer.from(deriveEapi(eapiRoot, eapi));
  const keyid = `${eapi.sessionId}.${eapi.index}.${eapi.expiresAt}.${eapi.scope}`;
  const lookupSession = (id: string) => (id === eapi.sessionId ? { eapiRoot, keyId: key.keyId } : undefined);

  const requests: { size: string; request: EapiHttpRequest & { headers: Record<string, string> }; fields: string[] }[] = [
    {
      size: 'POST 1 KiB JSON',
      request: { method: 'POST', url: 'https://api.example.com/orders?dry-run=1', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: 'x'.repeat(1000) }) },
      fields: FIELDS_WITH_BODY,
    },
    { size: 'GET', request: { method: 'GET', url: 'https://api.example.com/orders/42?expand=items', headers: {} }, fields: FIELDS_NO_BODY },
  ];

  const cases: Case[] = [];
  for (const { size, request, fields } of requests) {
    const body = typeof request.body === 'string' ? request.body : undefined;
    const hmsSign = async (nonce: string): Promise<Signed> => {
      const created = new Date(Math.floor(Date.now() / 1000) * 1000);
      const headers: Record<string, string> = { ...request.headers };
      if (body !== undefined) headers['content-digest'] = digestOf(body);
      const signed = await httpbis.signMessage(
        {
          key: createSigner(secret, 'hmac-sha256', keyid),
          fields,
          params: ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'],
          paramValues: { created, expires: new Date(created.getTime() + 60_000), nonce, tag: 'e2e2-eapi/v1' },
        },
        { method: request.method, url: String(request.url), headers },
      );
      return { method: signed.method, url: signed.url, headers: signed.headers as Record<string, string>, ...(body === undefined ? {} : { body }) };
    };
    const e2e2Sign = (): Signed => ({ ...request, url: String(request.url), headers: { ...request.headers, ...(signEapiHttpRequest(eapi, request) as unknown as Record<string, string>) } }) as Signed;
    const hmsVerify = async (signed: Signed): Promise<boolean> => {
      if (body !== undefined && signed.headers['content-digest'] !== digestOf(body)) return false;
      const ok = await httpbis.verifyMessage(
        { keyLookup: async () => ({ id: keyid, algs: ['hmac-sha256'], verify: createVerifier(secret, 'hmac-sha256') }), requiredFields: fields },
        { method: signed.method, url: signed.url, headers: signed.headers },
      );
      return ok === true;
    };

    // Cross-checks before timing: each side accepts the other's signature.
    if (!(await hmsVerify(e2e2Sign()))) throw new Error(`${size}: http-message-signatures rejects e2e2's signature`);
    await verifyEapiHttpRequest(await hmsSign('cross-check'), { lookupSession, replay: new ReplayCache(10) });

    cases.push({
      group: 'eapi-http sign',
      size,
      bytes: 0,
      batch: BATCH,
      contenders: [
        {
          name: 'e2e2',
          fn: () => {
            for (let i = 0; i < BATCH; i++) e2e2Sign();
          },
        },
        {
          name: 'http-message-signatures+node',
          baseline: true,
          fn: async () => {
            for (let i = 0; i < BATCH; i++) await hmsSign(`n${i}`);
          },
        },
      ],
    });

    // Verify: a pool of distinct signed requests for e2e2 (each nonce once per replay cache).
    const pool = Array.from({ length: BATCH }, () => e2e2Sign());
    const peerSigned = e2e2Sign();
    cases.push({
      group: 'eapi-http verify',
      size,
      bytes: 0,
      batch: BATCH,
      contenders: [
        {
          name: 'e2e2',
          fn: async () => {
            const replay = new ReplayCache(BATCH);
            for (let i = 0; i < BATCH; i++) await verifyEapiHttpRequest(pool[i]!, { lookupSession, replay });
          },
        },
        {
          name: 'http-message-signatures+node',
          baseline: true,
          fn: async () => {
            for (let i = 0; i < BATCH; i++) if (!(await hmsVerify(peerSigned))) throw new Error('verify failed');
          },
        },
      ],
    });
  }
  return cases;
}
