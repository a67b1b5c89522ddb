/**
 * Plain HTTP routes next to the channel endpoint, for `e2e2 serve` and the demo:
 *
 *   POST /api/echo   an EAPI-signed request (Authorization: E2E2-EAPI ...), scope "demo:echo";
 *                    the server finds the channel by the session id in the header and verifies
 *                    the signature, expiry, clock skew, scope and replay (SPEC.md §8.4)
 *   GET  /           the browser demo page (only with --demo), plus its script and the bundle
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { E2E2Server } from '../channel/server.js';

export const DEMO_SCOPE = 'demo:echo';
export const EAPI_ECHO_PATH = '/api/echo';
const MAX_BODY_BYTES = 64 * 1024;

export interface DemoPage {
  /** Package root (for examples/browser and dist/browser). */
  root: string;
  /** What the page needs: the ws:// URL and the demo API key token. */
  config: () => { url: string; apiKey: string; keyId: string };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    request.on('error', reject);
  });
}

const STATIC: Record<string, [file: (root: string) => string, type: string]> = {
  '/': [(root) => join(root, 'examples/browser/index.html'), 'text/html; charset=utf-8'],
  '/app.js': [(root) => join(root, 'examples/browser/app.js'), 'text/javascript; charset=utf-8'],
  '/e2e2.js': [(root) => join(root, 'dist/browser/e2e2.js'), 'text/javascript; charset=utf-8'],
};

/** The request handler for the server's plain HTTP side. */
export function httpRoutes(server: () => E2E2Server, demo?: DemoPage) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === EAPI_ECHO_PATH && request.method === 'POST') {
        const body = await readBody(request);
        if (body === undefined) return json(response, 413, { error: 'ERR_PAYLOAD_TOO_LARGE' });
        try {
          const { channel, eapi } = server().verifyRequest({
            authorization: request.headers.authorization ?? '',
            method: request.method,
            path: url.pathname + url.search,
            body,
            requiredScope: DEMO_SCOPE,
          });
          return json(response, 200, { verified: true, keyId: channel.keyId, sessionId: eapi.sessionId, scope: eapi.scope, index: eapi.index, expiresAt: eapi.expiresAt, body: new TextDecoder().decode(body) });
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'ERR_INTERNAL';
          return json(response, code === 'ERR_EAPI_SCOPE' ? 403 : 401, { verified: false, error: code });
        }
      }
      if (demo && request.method === 'GET') {
        if (url.pathname === '/demo/config.json') return json(response, 200, demo.config());
        if (url.pathname === '/favicon.ico') return void response.writeHead(204).end();
        const entry = STATIC[url.pathname];
        if (entry) {
          const content = await readFile(entry[0](demo.root));
          response.writeHead(200, { 'content-type': entry[1], 'cache-control': 'no-store' }).end(content);
          return;
        }
      }
      if (url.pathname === '/' && !request.headers.upgrade) {
        response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('E2-E2 channel endpoint: connect with WebSocket\n');
        return;
      }
      json(response, 404, { error: 'not found' });
    } catch (error) {
      json(response, 500, { error: (error as NodeJS.ErrnoException).code ?? 'internal error' });
    }
  };
}
