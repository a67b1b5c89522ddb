/**
 * Runs test/conformance/conformance.mjs in a server-side runtime (Node, Bun, Deno), importing e2e2
 * by package name as an installed package is: `e2e2` and `e2e2/channel` resolve through the
 * package's export conditions for that runtime. The test copies this file and conformance.mjs
 * into a directory whose node_modules/e2e2 links to the repository.
 * Environment: E2E2_URL, E2E2_API_KEY (a local echo server; optional). Prints one line:
 * E2E2_CONFORMANCE {"runtime": ..., "results": [...]}.
 */
import * as e2e2 from 'e2e2';
import { connect } from 'e2e2/channel';
import { runConformance } from './conformance.mjs';

const env = (name) => (typeof Deno !== 'undefined' ? Deno.env.get(name) : process.env[name]);
const runtime =
  typeof Bun !== 'undefined' ? `bun ${Bun.version}` : typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : `node ${process.version}`;

const results = await runConformance({ e2e2, connect, url: env('E2E2_URL'), apiKey: env('E2E2_API_KEY') });
console.log(`E2E2_CONFORMANCE ${JSON.stringify({ runtime, results })}`);
