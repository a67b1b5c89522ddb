/** `e2e2 keys create|list|revoke`: the API key store. A secret is printed once, at creation. */
import { fingerprint } from '../e2e2/derive.js';
import { parseApiKey } from '../e2e2/api-key.js';
import { apiKeyToken } from '../channel/keys.js';
import { openKeyStore } from '../fleet/keys.js';
import { parse, storeOption, storePath, usage } from './util.js';

export const KEYS_HELP = `Usage: e2e2 keys <create|list|revoke> [options]

  e2e2 keys create [--label TEXT] [--json]   create an API key; its token is printed once
  e2e2 keys list [--json]                    list keys (id, label, created, revoked; never secrets)
  e2e2 keys revoke KEY_ID                    revoke a key: new handshakes with it fail at once

Options:
  --store PATH   key store file (default: $E2E2_KEY_STORE or ./e2e2-keys.json, mode 0600),
                 or a Redis URL (redis://HOST:PORT, rediss:// for TLS): the fleet's key store;
                 a revocation there closes the key's live channels on every server at once
  --json         machine-readable output
  -h, --help     this help
`;

export async function keysCommand(args: string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parse(args, { ...storeOption, label: { type: 'string' }, json: { type: 'boolean' } });
  const [sub, ...rest] = positionals;
  if (values.help || sub === undefined) {
    out(KEYS_HELP);
    if (sub === undefined && !values.help) throw usage('missing subcommand: create, list or revoke');
    return;
  }
  const store = openKeyStore(storePath(values.store));
  try {
    await run(store, sub, rest, values, out);
  } finally {
    await store.close();
  }
}

async function run(
  store: ReturnType<typeof openKeyStore>,
  sub: string,
  rest: string[],
  values: { label?: string | undefined; json?: boolean | undefined },
  out: (line: string) => void,
): Promise<void> {
  const where = 'path' in store ? store.path : store.location;
  switch (sub) {
    case 'create': {
      if (rest.length > 0) throw usage('keys create takes no positional arguments');
      const key = await store.create(values.label ?? '');
      const token = apiKeyToken(key);
      const { secret } = parseApiKey(token);
      const print = fingerprint(secret);
      secret.fill(0);
      if (values.json) {
        out(JSON.stringify({ id: key.id, label: key.label, created: key.created, fingerprint: print, apiKey: token }));
      } else {
        out(`key id:      ${key.id}`);
        out(`label:       ${key.label || '(none)'}`);
        out(`created:     ${key.created}`);
        out(`fingerprint: ${print}`);
        out(`API key:     ${token}`);
        out('');
        out('The API key is shown only now. Give it to the client (e.g. E2E2_API_KEY); the store keeps it for the server.');
      }
      return;
    }
    case 'list': {
      if (rest.length > 0) throw usage('keys list takes no positional arguments');
      const keys = await store.list();
      if (values.json) {
        out(JSON.stringify(keys));
        return;
      }
      if (keys.length === 0) {
        out(`no keys in ${where}`);
        return;
      }
      out(`${'KEY ID'.padEnd(24)}  ${'CREATED'.padEnd(24)}  ${'STATUS'.padEnd(7)}  LABEL`);
      for (const k of keys) out(`${k.id.padEnd(24)}  ${k.created.padEnd(24)}  ${(k.revoked ? 'revoked' : 'valid').padEnd(7)}  ${k.label}`);
      return;
    }
    case 'revoke': {
      if (rest.length !== 1) throw usage('keys revoke takes exactly one KEY_ID');
      const info = await store.revoke(rest[0]!);
      if (values.json) out(JSON.stringify(info));
      else out(`revoked ${info.id} at ${info.revoked}`);
      return;
    }
    default:
      throw usage(`unknown keys subcommand "${sub}"`);
  }
}
