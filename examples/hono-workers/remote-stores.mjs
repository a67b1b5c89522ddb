// The Worker's view of the Node server's EAPI state (SPEC.md §8.7): a session registry
// ({ lookup }) and a replay store ({ claim }) that ask registry.mjs over HTTP. Nothing is cached:
// a session that closed is refused on the next request, and a nonce used through any isolate
// (or the Node server itself) is refused everywhere. Any failure to get an answer is
// StoreUnavailableError, which e2e2/http answers 503 (fails closed, never accepts unchecked).
import { StoreUnavailableError } from 'e2e2';

const SESSION_ID = /^[0-9a-f]{32}$/; // SPEC.md §6.4: 16 bytes, lowercase hex

function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Waited for an answer of the registry; past it, the request is refused (503). */
const REGISTRY_TIMEOUT_MS = 5_000;

export function remoteStores(env) {
  const base = new URL(env.REGISTRY_URL);
  /** The registry's JSON answer, or undefined for 404; anything else is StoreUnavailableError. */
  async function call(path, init = {}) {
    try {
      const response = await fetch(new URL(path, base), {
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${env.REGISTRY_TOKEN}` },
        signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
      });
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`session registry answered ${response.status}`);
      }
      return await response.json();
    } catch (error) {
      throw new StoreUnavailableError('session registry unreachable', { cause: error });
    }
  }
  return {
    sessions: {
      async lookup(sessionId) {
        // The id comes from a not yet verified keyid: only a well-formed one goes into a URL.
        if (!SESSION_ID.test(sessionId)) return undefined;
        const record = await call(`sessions/${sessionId}`);
        if (record === undefined) return undefined;
        return { eapiRoot: base64ToBytes(record.eapiRoot), keyId: record.keyId, expiresAt: record.expiresAt };
      },
    },
    replay: {
      async claim(key, ttlMs) {
        const answer = await call('claims', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, ttlMs }) });
        if (typeof answer?.first !== 'boolean') throw new StoreUnavailableError('replay store gave no answer to the claim');
        return answer.first;
      },
    },
  };
}
