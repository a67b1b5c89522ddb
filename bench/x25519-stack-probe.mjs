// Stack-position probe for X25519 (issue 11 item 4): calls the WASM ladder from JS recursion depths 0..DEPTHS-1,
// which moves the native stack pointer (and V8's spill slots) by one JS frame per step, and prints ops per
// CPU-second at each depth (median of three passes). A rate that changes with depth, the same code and keys, points to the stack
// position (4 KiB aliasing between spill slots and the static scratch buffers), not to the arithmetic.
// `node bench/x25519-stack-probe.mjs [file.wasm[:export]]`; env DEPTHS (default 48), MS per depth (default 60).
import { readFileSync } from 'node:fs';

const [file, name = 'x25519SharedSecret'] = (process.argv[2] ?? 'build/e2e2.wasm').split(':');
const DEPTHS = Number(process.env.DEPTHS ?? 48);
const MS = Number(process.env.MS ?? 60);
const ex = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {}).exports;
const heap = new Uint8Array(ex.memory.buffer);
const S = ex.X25519_SCALAR.value, P = ex.X25519_POINT.value;
const sk = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff);
const peer = new Uint8Array(32).map((_, i) => (i * 53 + 11) & 0x7f);
const fn = ex[name];
const op = () => { heap.set(sk, S); heap.set(peer, P); return fn(); };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
function measure() {
  let n = 0; const t0 = cpu(); let t = t0;
  while (t - t0 < MS) { for (let i = 0; i < 10; i++) op(); n += 10; t = cpu(); }
  return Math.round((n * 1000) / (t - t0));
}
function atDepth(d, a, b, c) { return d === 0 ? measure() + a + b + c : atDepth(d - 1, a + 1, b, c) - 1; }
for (let d = 0; d < DEPTHS; d++) atDepth(d, 0, 0, 0); // warm-up (tiering, optimized recursion frames)
// Three passes (up, down, up) so that a drift of the machine's load over time does not look like a depth pattern.
const passes = [[], [], []];
for (let d = 0; d < DEPTHS; d++) passes[0][d] = atDepth(d, 0, 0, 0) - d;
for (let d = DEPTHS - 1; d >= 0; d--) passes[1][d] = atDepth(d, 0, 0, 0) - d;
for (let d = 0; d < DEPTHS; d++) passes[2][d] = atDepth(d, 0, 0, 0) - d;
const med3 = (a, b, c) => a + b + c - Math.min(a, b, c) - Math.max(a, b, c);
const rates = passes[0].map((x, d) => med3(x, passes[1][d], passes[2][d]));
const sorted = [...rates].sort((x, y) => x - y);
console.log(JSON.stringify({ file: `${file}:${name}`, min: sorted[0], median: sorted[sorted.length >> 1], max: sorted.at(-1), rates, passes }));
