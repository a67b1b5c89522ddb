/**
 * Writes test/vectors/eapi-http.json: RFC 9421 EAPI signatures (SPEC.md §8.6) from fixed inputs,
 * produced by e2e2. test/eapi-http.test.ts recomputes the secret, digest and MAC with the noble
 * oracle and checks that e2e2 reproduces every header. Run: npx tsx scripts/gen-eapi-http-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { Eapi } from '../bindings/e2e2/eapi.js';
import { deriveEapiRoot } from '../bindings/e2e2/derive.js';
import { buildSignatureBase, parseHttpSignatures, signEapiHttpRequest } from '../bindings/e2e2/eapi-http.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const seq = (n: number, start: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

const exporter = seq(32, 0x40);
const sessionId = seq(16, 0xa0);
const eapiRoot = deriveEapiRoot(exporter);
const cases = [
  {
    name: 'POST with JSON body',
    index: 0,
    scope: 'orders:read orders:write',
    expiresAt: 1_800_000_600_000,
    now: 1_800_000_000_000,
    nonce: seq(16, 1),
    request: { method: 'POST', url: 'https://api.example.com/orders?dry-run=1', headers: { 'content-type': 'application/json' }, body: '{"item":"tea","qty":2}' },
  },
  {
    name: 'GET without body, default port, no query',
    index: 7,
    scope: 'orders:read',
    expiresAt: 1_800_000_030_500,
    now: 1_800_000_000_999,
    nonce: seq(16, 0xf0),
    request: { method: 'GET', url: 'https://api.example.com:443/orders/42', headers: {} as Record<string, string> },
  },
];

const vectors = cases.map((c) => {
  const eapi = new Eapi(eapiRoot, sessionId, c);
  const sig = signEapiHttpRequest(eapi, c.request, { now: c.now, nonce: c.nonce });
  const headers = { ...c.request.headers, ...sig };
  const [parsed] = parseHttpSignatures({ ...c.request, headers });
  const signatureBase = buildSignatureBase({ ...c.request, headers }, parsed!.components, parsed!.params);
  return {
    name: c.name,
    exporter: hex(exporter),
    eapiRoot: hex(eapiRoot),
    sessionId: hex(sessionId),
    index: c.index,
    scope: c.scope,
    expiresAt: c.expiresAt,
    now: c.now,
    nonce: hex(c.nonce),
    request: c.request,
    secret: hex(eapi.secretForTestingOnly()),
    ...(sig['content-digest'] ? { contentDigest: sig['content-digest'] } : {}),
    signatureBase,
    signatureInput: sig['signature-input'],
    signature: sig.signature,
  };
});
writeFileSync(new URL('../test/vectors/eapi-http.json', import.meta.url), `${JSON.stringify({ description: 'EAPI RFC 9421 profile (SPEC.md §8.6), e2e2-eapi/v1', vectors }, null, 2)}\n`);
console.log(`wrote ${vectors.length} vectors`);
