// Placement probe for X25519 (issue 11 item 4): COPIES separate compilations of the same WASM code in one process
// (each copy gets a distinct custom section, so V8 compiles it anew: its own machine-code placement and its own
// linear memory), timed in interleaved rounds in ops per CPU-second. Rates that differ between copies in one
// process, with the same keys, stack and load, point to code or memory placement, not to the arithmetic.
// `node bench/x25519-placement-probe.mjs [file.wasm[:export]]`; env COPIES (default 6), ROUNDS (7), MS (100).
import { readFileSync } from 'node:fs';

const [file, name = 'x25519SharedSecret'] = (process.argv[2] ?? 'build/e2e2.wasm').split(':');
const COPIES = Number(process.env.COPIES ?? 6), ROUNDS = Number(process.env.ROUNDS ?? 7), MS = Number(process.env.MS ?? 100);
const bytes = readFileSync(file);
const sk = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff);
const peer = new Uint8Array(32).map((_, i) => (i * 53 + 11) & 0x7f);
const copies = Array.from({ length: COPIES }, (_, k) => {
  const tag = Buffer.from(`copy${k}`);
  const section = Buffer.concat([Buffer.from([0, tag.length + 1, tag.length]), tag]); // custom section "copyK"
  const ex = new WebAssembly.Instance(new WebAssembly.Module(Buffer.concat([bytes, section])), {}).exports;
  const heap = new Uint8Array(ex.memory.buffer), S = ex.X25519_SCALAR.value, P = ex.X25519_POINT.value, fn = ex[name];
  return () => { heap.set(sk, S); heap.set(peer, P); return fn(); };
});
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
function rate(op) {
  let n = 0; const t0 = cpu(); let t = t0;
  while (t - t0 < MS) { for (let i = 0; i < 10; i++) op(); n += 10; t = cpu(); }
  return Math.round((n * 1000) / (t - t0));
}
for (const op of copies) { rate(op); rate(op); } // warm-up and tier-up of every copy
const rounds = copies.map(() => []);
for (let r = 0; r < ROUNDS; r++) for (let k = 0; k < COPIES; k++) { const c = (k + r) % COPIES; rounds[c].push(rate(copies[c])); }
const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
console.log(JSON.stringify({ file: `${file}:${name}`, medians: rounds.map(med), rounds }));
