/**
 * Runs test/conformance/http-check.mjs in a server-side runtime (Bun, Deno, Node), importing
 * `e2e2` and `e2e2/http` by package name. Prints one line: E2E2_HTTP {"runtime": ..., "results": [...]}.
 */
import * as e2e2 from 'e2e2';
import * as http from 'e2e2/http';
import { runHttpCheck } from './http-check.mjs';

const runtime =
  typeof Bun !== 'undefined' ? `bun ${Bun.version}` : typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : `node ${process.version}`;
const results = await runHttpCheck({ e2e2, http });
console.log(`E2E2_HTTP ${JSON.stringify({ runtime, results })}`);
