/**
 * The two crypto backends of e2e2 side by side (README "Pure-JS backend"): the WASM core ('e2e2'),
 * the same API with `useBackend(nobleBackend)` ('e2e2 noble backend'), and @noble/* called directly
 * (baseline: what the noble backend costs on top of noble itself). Every contender's output is
 * checked against e2e2's before timing; each contender selects its backend before every operation.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { chacha20poly1305 as nobleChaCha } from '@noble/ciphers/chacha.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 as nobleMlKem } from '@noble/post-quantum/ml-kem.js';
import { chacha20poly1305Seal, ml_kem768, sha256, useBackend, x25519 } from '../bindings/crypto.js';
import { createClientHandshake, createServerHandshake, generateApiKey } from '../bindings/index.js';
import { nobleBackend } from '../bindings/noble.js';
import { batchFor, checkedContenders, sizeLabel, type Case } from './harness.js';

/** `fn` under the WASM core and under the noble backend, plus noble itself. */
function both(fn: () => Uint8Array, noble: () => Uint8Array): Array<[string, () => Uint8Array, boolean?]> {
  return [
    ['e2e2', () => (useBackend('wasm'), fn())],
    ['e2e2 noble backend', () => (useBackend(nobleBackend), fn())],
    ['@noble/*', noble, true],
  ];
}

export async function backendCases(): Promise<Case[]> {
  const cases: Case[] = [];
  for (const size of [1024, 65_536]) {
    const message = new Uint8Array(size).map((_, i) => i * 31);
    const batch = batchFor(size);
    useBackend('wasm');
    cases.push({ group: 'sha256', size: sizeLabel(size), bytes: size, batch, contenders: checkedContenders(sha256(message), both(() => sha256(message), () => nobleSha256(message)), batch) });
    const key = new Uint8Array(32).fill(1), nonce = new Uint8Array(12).fill(2);
    cases.push({
      group: 'chacha20poly1305 seal', size: sizeLabel(size), bytes: size, batch,
      contenders: checkedContenders(chacha20poly1305Seal(key, nonce, message), both(() => chacha20poly1305Seal(key, nonce, message), () => nobleChaCha(key, nonce).encrypt(message)), batch),
    });
  }
  const secret = new Uint8Array(32).fill(3), peer = x25519.getPublicKey(new Uint8Array(32).fill(4));
  cases.push({
    group: 'x25519 shared secret', size: '', bytes: 0, batch: 1,
    contenders: checkedContenders(x25519.getSharedSecret(secret, peer), both(() => x25519.getSharedSecret(secret, peer), () => nobleX25519.getSharedSecret(secret, peer)), 1),
  });
  const { publicKey } = ml_kem768.keygen(new Uint8Array(64).fill(5));
  const m = new Uint8Array(32).fill(6);
  cases.push({
    group: 'ml_kem768 encapsulate', size: '', bytes: 0, batch: 1,
    contenders: checkedContenders(ml_kem768.encapsulate(publicKey, m).cipherText, both(() => ml_kem768.encapsulate(publicKey, m).cipherText, () => nobleMlKem.encapsulate(publicKey, m).cipherText), 1),
  });
  // A whole in-memory E2-E2 handshake and one record each way; the noble backend is the baseline here.
  const apiKey = generateApiKey();
  const hello = new Uint8Array(32);
  const handshake = async (): Promise<void> => {
    const client = createClientHandshake({ apiKey: apiKey.token });
    const server = createServerHandshake({ resolveKey: () => apiKey.secret });
    const { message2, session } = await server.respond(client.writeMessage1());
    const clientSession = client.readMessage2(message2);
    session.open(clientSession.seal(hello));
    clientSession.open(session.seal(hello));
    clientSession.dispose();
    session.dispose();
  };
  cases.push({
    group: 'E2-E2 handshake + 2 records', size: '', bytes: 0, batch: 1,
    contenders: [
      { name: 'e2e2', fn: async () => (useBackend('wasm'), handshake()) },
      { name: 'e2e2 noble backend', fn: async () => (useBackend(nobleBackend), handshake()), baseline: true },
    ],
  });
  useBackend('wasm');
  return cases;
}
