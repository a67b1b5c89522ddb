// Steadiness probe for X25519 (issue 11 item 4): one process, raw WASM calls (no bindings), interleaved with
// libsodium-wrappers as a load control. Run it in many fresh processes to tell per-process effects (JIT code
// placement, tiering) from machine load: `node bench/x25519-fresh.mjs [file.wasm[:export]...]`; prints one JSON line.
// Env: ROUNDS (default 7), MS per contender per round (default 150), CLOCK=cpu, FN (default x25519SharedSecret).
import { readFileSync } from 'node:fs';
import sodium from 'libsodium-wrappers';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const MS = Number(process.env.MS ?? 150);
const files = process.argv.slice(2).length ? process.argv.slice(2) : ['build/e2e2.wasm'];
await sodium.ready;
const sk = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff);
const peer = sodium.crypto_scalarmult_base(new Uint8Array(32).map((_, i) => (i * 53 + 11) & 0xff));
// x25519PublicKey is compared with crypto_scalarmult_base, every other export with crypto_scalarmult.
const base = (process.env.FN ?? files[0].split(':')[1]) === 'x25519PublicKey';
const sodiumRun = base ? () => sodium.crypto_scalarmult_base(sk) : () => sodium.crypto_scalarmult(sk, peer);
const expected = Buffer.from(sodiumRun()).toString('hex');

const contenders = files.map((arg) => {
  const [file, name = process.env.FN ?? 'x25519SharedSecret'] = arg.split(':');
  const ex = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {}).exports;
  const heap = new Uint8Array(ex.memory.buffer);
  const S = ex.X25519_SCALAR.value, P = ex.X25519_POINT.value, O = ex.X25519_OUT.value;
  const fn = ex[name];
  const run = () => { heap.set(sk, S); heap.set(peer, P); fn(); return heap.slice(O, O + 32); };
  if (Buffer.from(run()).toString('hex') !== expected) throw new Error(`${file}: wrong result`);
  return { name: arg, run };
});
contenders.push({ name: 'libsodium', run: sodiumRun });

// CLOCK=cpu counts process CPU time (excludes time the scheduler gave to other processes), else wall time.
const CPU = process.env.CLOCK === 'cpu';
const now = CPU ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
function rate(run) {
  let n = 0; const t0 = now(); let t = t0;
  while (t - t0 < MS) { for (let i = 0; i < 20; i++) run(); n += 20; t = now(); }
  return (n * 1000) / (t - t0);
}
for (const c of contenders) rate(c.run); // warm-up
const rounds = Object.fromEntries(contenders.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < contenders.length; k++) { const c = contenders[(k + r) % contenders.length]; rounds[c.name].push(Math.round(rate(c.run))); }
}
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[s.length >> 1]; };
const out = {};
for (const [name, v] of Object.entries(rounds)) out[name] = { median: med(v), min: Math.min(...v), max: Math.max(...v) };
console.log(JSON.stringify(out));
