/**
 * `npm run bench:ct`: a dudect-style timing-leak check (Reparaz, Balasch, Verbauwhede, "Dude, is my code
 * constant time?", 2017). For each operation, calls with one fixed secret input (class 0) and with fresh
 * random inputs (class 1) are interleaved at random; both classes are copied into the same buffers first,
 * so only the values differ. Welch's t-test compares the classes' timings, cropped at several percentiles
 * to cut scheduler noise. |t| above 4.5 would suggest a leak. This is a measurement, not a test: it
 * asserts nothing (timings do not belong in tests), and a quiet machine gives cleaner numbers.
 */
import { chacha20poly1305, hmac, ml_kem768, sha256, x25519 } from '../bindings/crypto.js';

interface Target {
  name: string;
  samples: number;
  /** Bytes of secret input per call. */
  inputBytes: number;
  run: (input: Uint8Array) => void;
  /** Makes a slot of random bytes a valid input (applied to the fixed input and to every random one). */
  fix?: (slot: Uint8Array) => void;
  /** The fixed input, when it must be a particular one rather than random bytes. */
  fixed?: () => Uint8Array;
}

const nonce = new Uint8Array(12);
const message = new Uint8Array(64);
// ML-KEM keygen is not measured: SampleNTT's time depends on rho (public, FIPS 203 §4.2.2), so fixed and random
// seeds differ in timing by design; encapsulate and decapsulate use one key pair, so A is the same for both classes.
const kem = ml_kem768.keygen();

const targets: Target[] = [
  {
    name: 'x25519.getSharedSecret (secret key and point)', samples: 20_000, inputBytes: 64, run: (b) => x25519.getSharedSecret(b.subarray(0, 32), b.subarray(32)),
    // A valid curve point, so neither class hits the low-order error path.
    fix: (slot) => slot.set(x25519.getPublicKey(slot.subarray(32)), 32),
  },
  { name: 'x25519.getPublicKey (secret key)', samples: 40_000, inputBytes: 32, run: (b) => x25519.getPublicKey(b) },
  { name: 'chacha20poly1305 seal, 64 B (key)', samples: 200_000, inputBytes: 32, run: (b) => chacha20poly1305(b, nonce).encrypt(message) },
  { name: 'hmac-sha256, 64 B (key)', samples: 200_000, inputBytes: 32, run: (b) => hmac(sha256, b, message) },
  { name: 'ml_kem768.encapsulate (m)', samples: 40_000, inputBytes: 32, run: (b) => ml_kem768.encapsulate(kem.publicKey, b) },
  {
    // Implicit rejection (FIPS 203 Algorithm 18): a valid ciphertext (fixed) against random ones, all rejected.
    name: 'ml_kem768.decapsulate (valid vs rejected c)', samples: 40_000, inputBytes: 1088, run: (b) => ml_kem768.decapsulate(b, kem.secretKey),
    fixed: () => ml_kem768.encapsulate(kem.publicKey).cipherText,
  },
];

function welch(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: number[], m: number) => x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1);
  const ma = mean(a), mb = mean(b);
  return (ma - mb) / Math.sqrt(variance(a, ma) / a.length + variance(b, mb) / b.length);
}

function measure(target: Target): void {
  const fixed = target.fixed?.() ?? crypto.getRandomValues(new Uint8Array(target.inputBytes));
  if (!target.fixed) target.fix?.(fixed);
  // All inputs are made before timing starts (as dudect does), so both classes run the same code around the call.
  const classes = Uint8Array.from({ length: target.samples }, () => (Math.random() < 0.5 ? 0 : 1));
  const inputs = new Uint8Array(target.samples * target.inputBytes);
  for (let i = 0; i < target.samples; i++) {
    const slot = inputs.subarray(i * target.inputBytes, (i + 1) * target.inputBytes);
    if (classes[i] === 0) slot.set(fixed);
    else {
      crypto.getRandomValues(slot);
      target.fix?.(slot);
    }
  }
  const buffer = new Uint8Array(target.inputBytes);
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < target.samples / 10; i++) target.run(fixed); // warm-up
  for (let i = 0; i < target.samples; i++) {
    buffer.set(inputs.subarray(i * target.inputBytes, (i + 1) * target.inputBytes));
    const start = process.hrtime.bigint();
    target.run(buffer);
    times[classes[i]!]!.push(Number(process.hrtime.bigint() - start));
  }
  const pooled = [...times[0], ...times[1]].sort((x, y) => x - y);
  const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
  const crops = [0.25, 0.5, 0.75, 0.9].map((p) => {
    const cut = pooled[Math.floor(p * (pooled.length - 1))]!;
    return `p${p * 100}: ${welch(times[0].filter((t) => t <= cut), times[1].filter((t) => t <= cut)).toFixed(2)}`;
  });
  console.log(`${target.name.padEnd(48)} median ${median(times[0])} / ${median(times[1])} ns  t (cropped) ${crops.join('  ')}`);
}

console.log('Welch t of fixed-input vs random-input timings; |t| > 4.5 would suggest a leak.');
for (const target of targets) measure(target);
