// What building the X25519 fixed-base table at first use costs (assembly/x25519-table.ts, issue 10 item 3):
// the first x25519PublicKey() of each of 200 fresh instances of build/e2e2-x25519.wasm (table build + one
// public key) against a second call (public key only), medians and p90 in ms. Also checks 2,000 public keys
// from the built table against @noble/curves. Run after `npm run build:wasm`; numbers depend on load (quote `uptime`).
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { x25519 as noble } from '@noble/curves/ed25519.js';

const module = new WebAssembly.Module(readFileSync(new URL('../build/e2e2-x25519.wasm', import.meta.url)));
const fresh = () => {
  const exports = new WebAssembly.Instance(module, {}).exports;
  return { exports, heap: new Uint8Array(exports.memory.buffer) };
};
function publicKey({ exports, heap }, secretKey) {
  heap.set(secretKey, exports.X25519_SCALAR.value);
  exports.x25519PublicKey();
  return heap.slice(exports.X25519_OUT.value, exports.X25519_OUT.value + 32);
}

const one = fresh();
let mismatches = 0;
for (let i = 0; i < 2000; i++) {
  const sk = randomBytes(32);
  if (Buffer.compare(Buffer.from(publicKey(one, sk)), Buffer.from(noble.getPublicKey(sk))) !== 0) mismatches++;
}
console.log(`public keys differing from @noble/curves: ${mismatches} of 2000`);

const first = [], second = [];
for (let i = 0; i < 200; i++) {
  const instance = fresh();
  let t = performance.now();
  publicKey(instance, randomBytes(32));
  first.push(performance.now() - t);
  t = performance.now();
  publicKey(instance, randomBytes(32));
  second.push(performance.now() - t);
}
const at = (list, q) => list.slice().sort((a, b) => a - b)[Math.floor(list.length * q)].toFixed(3);
console.log(`first call (table + key): median ${at(first, 0.5)} ms, p90 ${at(first, 0.9)} ms; later call: median ${at(second, 0.5)} ms`);
if (mismatches > 0) process.exit(1);
