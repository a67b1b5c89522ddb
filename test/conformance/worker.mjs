/**
 * The Cloudflare Worker of test/runtime-workerd.test.ts, bundled with esbuild the way wrangler
 * bundles (conditions workerd, worker, browser; `.wasm` imports kept as modules).
 * - GET /conformance?url=&apiKey=: conformance.mjs on `e2e2` and `e2e2/channel` as the `workerd`
 *   condition resolves them (dist/workerd/, the module imported from dist/e2e2.wasm).
 * - GET /embedded: the bundle that embeds the bytes (e2e2/browser) inside workerd: its first call
 *   is refused (ERR_WASM_UNAVAILABLE), then initSync(the imported module) makes it work.
 * - GET /compile: whether this worker may compile WASM itself (workerd refuses).
 * - GET /http: http-check.mjs on `e2e2/http` (eapiHandler on Requests: 200, replay, 401, preflight, 413).
 * - POST /readme?url=&apiKey=: the README's example Worker, with those as its env.
 */
import * as e2e2 from 'e2e2';
import { connect } from 'e2e2/channel';
import * as embedded from 'e2e2/browser';
import wasmModule from 'e2e2/wasm';
import { runConformance } from './conformance.mjs';
import * as http from 'e2e2/http';
import { runHttpCheck } from './http-check.mjs';
// The README's Workers example, extracted from README.md by the test (so the documentation cannot rot).
import readmeWorker from './readme-worker.mjs';

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const describe = (err) => ({ name: err?.name, code: err?.code, message: String(err?.message ?? err), cause: err?.cause?.message });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/conformance') {
      const results = await runConformance({
        e2e2,
        connect,
        url: url.searchParams.get('url') ?? undefined,
        apiKey: url.searchParams.get('apiKey') ?? undefined,
      });
      return Response.json({ runtime: `workerd (${navigator.userAgent})`, results });
    }
    if (url.pathname === '/http') {
      return Response.json({ runtime: `workerd (${navigator.userAgent})`, results: await runHttpCheck({ e2e2, http }) });
    }
    if (url.pathname === '/embedded') {
      const abc = new TextEncoder().encode('abc');
      let before;
      try {
        before = { digest: hex(embedded.sha256(abc)) };
      } catch (err) {
        before = { error: describe(err) };
      }
      embedded.initSync(wasmModule);
      return Response.json({ before, after: hex(embedded.sha256(abc)), isModule: wasmModule instanceof WebAssembly.Module });
    }
    if (url.pathname === '/readme') {
      const env = { E2E2_URL: url.searchParams.get('url'), E2E2_API_KEY: url.searchParams.get('apiKey') };
      return readmeWorker.fetch(request, env);
    }
    if (url.pathname === '/compile') {
      try {
        new WebAssembly.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
        return Response.json({ compiled: true });
      } catch (err) {
        return Response.json({ compiled: false, error: describe(err) });
      }
    }
    return new Response('not found', { status: 404 });
  },
};
