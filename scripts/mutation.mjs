// `npm run test:mutation`: build the WASM module the tests embed, then run StrykerJS under the
// Node of the `node` devDependency (Stryker 10 needs Node >= 22; the project supports Node >= 20).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = join(root, 'node_modules', 'node', 'bin', 'node');
if (!existsSync(node)) {
  console.error('test:mutation: node_modules/node/bin/node is missing: run `npm ci` (the `node` devDependency provides Node 24)');
  process.exit(1);
}
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run(process.execPath, [join(root, 'scripts', 'build-wasm.mjs')]);
run(node, [join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', ...process.argv.slice(2)]);
