/** Shapes of the committed vector files in test/vectors/ (written by scripts/gen-protocol-vectors.ts). */
import type { RecordType } from './e2e2.js';

export interface E2E2Case {
  name: string;
  context: string;
  prologue: string;
  apiKey: { token: string; keyId: string; secret: string };
  clientEphemeralPrivate: string;
  clientEphemeralPublic: string;
  serverEphemeralPrivate: string;
  serverEphemeralPublic: string;
  message1: string;
  message2: string;
  k1: string;
  k2: string;
  handshakeHash: string;
  k3: { initiatorToResponder: string; responderToInitiator: string; exporter: string };
  sessionId: string;
  eapiRoot: string;
  fingerprints: { k1: string; k2: string; k3: string };
  trace: { op: string; ck: string; h: string; k: string | null }[];
  records: { from: 'client' | 'server'; type: RecordType; data: string; key: string; nonce: number; record: string; keyAfter?: string }[];
  eapis: { index: number; scope: string; expiresAt: number; secret: string; requests: { method: string; path: string; body: string; timestamp: number; nonce: string; signature: string; authorization: string }[] }[];
}

export interface NoiseVector {
  protocol_name: string;
  init_prologue: string;
  init_psks: string[];
  init_ephemeral: string;
  resp_prologue: string;
  resp_psks: string[];
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}
