/** A node:http request as the EAPI verifier sees it: the raw body, and the absolute URL rebuilt from Host. */
import type { IncomingMessage } from 'node:http';
import type { EapiHttpRequest } from '../../bindings/index.js';

export function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function eapiHttpRequestOf(req: IncomingMessage, body: Buffer): EapiHttpRequest {
  return { method: req.method!, url: `http://${req.headers.host}${req.url}`, headers: req.headers, body: new Uint8Array(body) };
}
