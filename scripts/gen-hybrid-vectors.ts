/**
 * Writes test/vectors/e2e2-v2-hybrid.json: E2-E2 v2-hybrid (SPEC.md §13) with fixed inputs, every
 * intermediate value, produced by e2e2. test/e2e2-hybrid.test.ts recomputes all of it with the
 * noble + @noble/post-quantum oracle (test/oracle/e2e2-hybrid.ts) and has e2e2 reproduce it.
 * Inputs are SHA-256 (or two SHA-256 for 64 bytes) of readable seed strings.
 * Run: npx tsx scripts/gen-hybrid-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { sha256 } from '../bindings/core/sha256.js';
import { createClientHandshake, createServerHandshake, deriveEapiRoot, formatApiKey } from '../bindings/index.js';
import { HandshakeState, NNHFS_PSK2 } from '../bindings/noise/handshake-state.js';
import { buildPrologue } from '../bindings/e2e2/derive.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const seeded = (seed: string): Uint8Array => sha256(utf8(seed));
const seeded64 = (seed: string): Uint8Array => new Uint8Array([...seeded(`${seed} 1`), ...seeded(`${seed} 2`)]);

const context = 'orders-api';
const keyId = hex(seeded('e2e2 hybrid vector key id').subarray(0, 12));
const secret = seeded('e2e2 hybrid vector secret');
const clientEphemeralPrivate = seeded('e2e2 hybrid vector client ephemeral');
const serverEphemeralPrivate = seeded('e2e2 hybrid vector server ephemeral');
const kemSeed = seeded64('e2e2 hybrid vector kem seed');
const kemMessage = seeded('e2e2 hybrid vector kem message');
const token = formatApiKey({ keyId, secret });

// The key schedule, observed on the Noise layer with the same inputs.
const stages: Record<string, string> = {};
const onKeyStage = (t: string, s: Uint8Array) => void (stages[t] = hex(s));
const prologue = buildPrologue(context, 'e2e2/v2-hybrid');
const i = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk: secret, prologue, fixedEphemeralPrivateKeyForTestingOnly: clientEphemeralPrivate, fixedKemSeedForTestingOnly: kemSeed, onKeyStage });
const r = new HandshakeState({ role: 'responder', pattern: NNHFS_PSK2, psk: secret, prologue, fixedEphemeralPrivateKeyForTestingOnly: serverEphemeralPrivate, fixedKemMessageForTestingOnly: kemMessage });
r.readMessage(i.writeMessage(new Uint8Array(Buffer.from(keyId, 'hex'))));
i.readMessage(r.writeMessage(new Uint8Array(0)));
const handshakeHash = hex(i.getHandshakeHash());

// The E2-E2 handshake proper.
const client = createClientHandshake({ apiKey: token, context, postQuantum: true, fixedEphemeralPrivateKeyForTestingOnly: clientEphemeralPrivate, fixedKemSeedForTestingOnly: kemSeed });
const server = createServerHandshake({ resolveKey: (id) => (id === keyId ? secret : undefined), context, postQuantum: 'require', fixedEphemeralPrivateKeyForTestingOnly: serverEphemeralPrivate, fixedKemMessageForTestingOnly: kemMessage });
const message1 = client.writeMessage1();
const { message2, session: serverSession } = await server.respond(message1);
const clientSession = client.readMessage2(message2);
const snapshot = sessionSnapshotForTestingOnly(clientSession);
const exporter = snapshot.exporter as Uint8Array;
const toServer = clientSession.seal(utf8('hello post-quantum server'));
serverSession.open(toServer);
const toClient = serverSession.seal(utf8('hello post-quantum client'));
clientSession.open(toClient);

const vector = {
  description: 'E2-E2 v2-hybrid (SPEC.md §13): Noise_NNhfs+psk2_25519+MLKEM768_ChaChaPoly_SHA256, every intermediate value',
  inputs: {
    context,
    apiKey: token,
    keyId,
    secret: hex(secret),
    clientEphemeralPrivate: hex(clientEphemeralPrivate),
    serverEphemeralPrivate: hex(serverEphemeralPrivate),
    kemSeed: hex(kemSeed),
    kemMessage: hex(kemMessage),
  },
  prologue: hex(prologue),
  message1: hex(message1),
  message2: hex(message2),
  k1: stages.ee,
  kemOutput: stages.ekem1,
  k2: stages.psk,
  handshakeHash,
  k3: { initiatorToResponder: hex(snapshot.sendKey as Uint8Array), responderToInitiator: hex(snapshot.receiveKey as Uint8Array), exporter: hex(exporter) },
  sessionId: clientSession.sessionId,
  eapiRoot: hex(deriveEapiRoot(exporter)),
  records: [
    { from: 'client', data: hex(utf8('hello post-quantum server')), record: hex(toServer) },
    { from: 'server', data: hex(utf8('hello post-quantum client')), record: hex(toClient) },
  ],
};
writeFileSync(new URL('../test/vectors/e2e2-v2-hybrid.json', import.meta.url), `${JSON.stringify(vector, null, 2)}\n`);
console.log(`wrote test/vectors/e2e2-v2-hybrid.json (message 1: ${message1.length} bytes, message 2: ${message2.length} bytes)`);
