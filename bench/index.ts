/**
 * `npm run bench [-- filter...]`: every benchmark suite, or those whose name contains a filter.
 * Results print as tables and are written to bench/results/<suite>.json.
 */
import { runSuite, type Case } from './harness.js';

type SuiteFactory = () => Promise<Case[]>;

const suites: Record<string, () => Promise<SuiteFactory>> = {
  hashes: async () => (await import('./hashes.js')).hashCases,
  aead: async () => (await import('./aead.js')).aeadCases,
  x25519: async () => (await import('./x25519.js')).x25519Cases,
  mlkem: async () => (await import('./mlkem.js')).mlkemCases,
  protocol: async () => (await import('./protocol.js')).protocolCases,
  channel: async () => (await import('./channel.js')).channelCases,
  eapi: async () => (await import('./eapi.js')).eapiCases,
  backend: async () => (await import('./backend.js')).backendCases,
};

const filters = process.argv.slice(2);
for (const [name, load] of Object.entries(suites)) {
  if (filters.length > 0 && !filters.some((f) => name.includes(f))) continue;
  const cases = await (await load())();
  await runSuite(name, cases);
}
