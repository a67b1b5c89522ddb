// The Node side's session registry and replay store (SPEC.md §8.7), served over HTTP to the
// Worker (remote-stores.mjs) as an httpHandler of e2e2/server, behind a bearer token:
//   GET  /registry/sessions/<id>  200 { eapiRoot (base64), keyId, expiresAt } | 404 unknown or closed
//   POST /registry/claims         { key, ttlMs } -> 200 { first }  (a ReplayStore claim)
// An EAPI root derives the session's EAPI secrets, nothing else (it never decrypts traffic), but
// whoever reads it can sign requests as that session: serve this only over TLS or a private link.
import { createHash, timingSafeEqual } from 'node:crypto';

const MAX_CLAIM_BODY_BYTES = 1024;
const digest = (text) => createHash('sha256').update(text).digest();

export function registryHandler({ sessions, replay, token }) {
  const expected = digest(`Bearer ${token}`);
  const send = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  async function readClaim(req) {
    const chunks = [];
    let total = 0;
    for await (const chunk of req) {
      total += chunk.length;
      if (total > MAX_CLAIM_BODY_BYTES) {
        req.socket.destroy(); // a claim is about 100 bytes: the rest is not read, the connection ends
        return undefined;
      }
      chunks.push(chunk);
    }
    try {
      const { key, ttlMs } = JSON.parse(Buffer.concat(chunks).toString());
      return typeof key === 'string' && Number.isSafeInteger(ttlMs) && ttlMs > 0 ? { key, ttlMs } : undefined;
    } catch {
      return undefined;
    }
  }

  return async (req, res) => {
    try {
      await answer(req, res);
    } catch {
      if (!res.headersSent) send(res, 503, { error: 'store unavailable' }); // the Worker answers 503 in turn
    }
  };

  async function answer(req, res) {
    // Equal-length digests compared in constant time: the token does not leak byte by byte.
    if (!timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) return send(res, 401, { error: 'unauthorized' });
    const lookup = /^\/registry\/sessions\/([0-9a-f]{32})$/.exec(req.url ?? '');
    if (lookup && req.method === 'GET') {
      const record = await sessions.lookup(lookup[1]);
      if (record === undefined) return send(res, 404, { error: 'unknown session' });
      send(res, 200, { eapiRoot: Buffer.from(record.eapiRoot).toString('base64'), keyId: record.keyId, expiresAt: record.expiresAt });
      record.eapiRoot.fill(0); // the registry handed out a copy: wipe it
      return;
    }
    if (req.url === '/registry/claims' && req.method === 'POST') {
      const claim = await readClaim(req);
      if (claim === undefined) return req.socket.destroyed ? undefined : send(res, 400, { error: 'bad claim' });
      return send(res, 200, { first: await replay.claim(claim.key, claim.ttlMs) });
    }
    send(res, 404, { error: 'not found' });
  }
}
