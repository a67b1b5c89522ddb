/**
 * The runtime conformance script: one file, plain JavaScript, no imports of its own, run unchanged
 * in every runtime of the matrix (test/runtime-matrix.test.ts, test/runtime-workerd.test.ts).
 * The caller imports e2e2 through its public entry points, the way that runtime resolves them
 * (`e2e2` + `e2e2/channel` by package name; `e2e2/browser` in a page), and passes them in.
 *
 * Checks: RFC vectors (SHA-256 FIPS 180-2 B.1 / RFC 6234, HKDF-SHA256 RFC 5869 A.1, X25519
 * RFC 7748 §5.2 and §6.1, ChaCha20-Poly1305 RFC 8439 §2.8.2), an in-memory handshake with records
 * both ways (data, rekey, a forged record refused, close), an EAPI round trip (sign, verify, a
 * request it does not cover refused), createEapiFetch refusing a Request body over maxBodyBytes
 * (string and endless stream: it once hung in Bun) and, given a server URL, connect() with an echo and a clean close.
 * It never throws: every check reports { name, ok, detail }.
 */

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
const utf8 = (text) => new TextEncoder().encode(text);
const range = (from, to) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

function expectHex(actual, expected) {
  const got = hex(actual);
  if (got !== expected) throw new Error(`expected ${expected}, got ${got}`);
}

function expectCode(fn, code) {
  try {
    fn();
  } catch (err) {
    if (err?.code === code) return;
    throw new Error(`expected ${code}, got ${err?.code ?? err}`);
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

async function expectCodeAsync(fn, code) {
  try {
    await fn();
  } catch (err) {
    if (err?.code === code) return;
    throw new Error(`expected ${code}, got ${err?.code ?? err}`);
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** Rejects when `promise` has not settled in `seconds`: a hang is reported by name, not as the whole run timing out. */
async function settlesWithin(seconds, what, promise) {
  let timer;
  const hung = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${seconds} s`)), seconds * 1000)));
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** RFC 8439 §2.8.2: the AEAD construction's example. */
const RFC8439_PLAINTEXT =
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
const RFC8439_CIPHERTEXT =
  'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
  '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
  '3ff4def08e4b7a9de576d26586cec64b6116';
const RFC8439_TAG = '1ae10b594f09e26a7e902ecbd0600691';

function vectorChecks(e2e2) {
  return {
    'sha256 FIPS 180-2 B.1 ("abc")': () =>
      expectHex(e2e2.sha256(utf8('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'),
    'hkdf-sha256 RFC 5869 A.1': () =>
      expectHex(
        e2e2.hkdf(e2e2.sha256, new Uint8Array(22).fill(0x0b), range(0x00, 0x0c), range(0xf0, 0xf9), 42),
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      ),
    'x25519 RFC 7748 §5.2 (first vector)': () =>
      expectHex(
        e2e2.x25519.getSharedSecret(
          unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
          unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
        ),
        'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
      ),
    'x25519 RFC 7748 §6.1 (Diffie-Hellman)': () => {
      const alice = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
      const bob = unhex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
      expectHex(e2e2.x25519.getPublicKey(alice), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      expectHex(e2e2.x25519.getPublicKey(bob), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      expectHex(e2e2.x25519.getSharedSecret(alice, e2e2.x25519.getPublicKey(bob)), shared);
      expectHex(e2e2.x25519.getSharedSecret(bob, e2e2.x25519.getPublicKey(alice)), shared);
      expectCode(() => e2e2.x25519.getSharedSecret(alice, new Uint8Array(32)), 'ERR_LOW_ORDER_POINT');
    },
    'chacha20poly1305 RFC 8439 §2.8.2': () => {
      const key = range(0x80, 0x9f);
      const nonce = unhex('070000004041424344454647');
      const aad = unhex('50515253c0c1c2c3c4c5c6c7');
      const sealed = e2e2.chacha20poly1305(key, nonce, aad).encrypt(utf8(RFC8439_PLAINTEXT));
      expectHex(sealed, RFC8439_CIPHERTEXT + RFC8439_TAG);
      const opened = e2e2.chacha20poly1305(key, nonce, aad).decrypt(sealed);
      if (new TextDecoder().decode(opened) !== RFC8439_PLAINTEXT) throw new Error('decrypt did not return the plaintext');
      sealed[0] ^= 1;
      expectCode(() => e2e2.chacha20poly1305(key, nonce, aad).decrypt(sealed), 'ERR_AUTHENTICATION_FAILED');
    },
  };
}

async function handshake(e2e2, key) {
  const c = e2e2.createClientHandshake({ apiKey: key.token });
  const s = e2e2.createServerHandshake({ resolveKey: (keyId) => (keyId === key.keyId ? key.secret : undefined) });
  const message1 = c.writeMessage1();
  const { message2, session: server } = await s.respond(message1);
  const client = c.readMessage2(message2);
  return { client, server, sizes: [message1.length, message2.length] };
}

function protocolChecks(e2e2) {
  return {
    'handshake and records (data both ways, rekey, forged record, close)': async () => {
      const { client, server, sizes } = await handshake(e2e2, e2e2.generateApiKey());
      if (sizes.join() !== '60,48') throw new Error(`handshake message sizes ${sizes}`);
      if (String(client.sessionId) !== String(server.sessionId)) throw new Error('session ids differ');
      const up = server.open(client.seal(utf8('hello server')));
      if (up.type !== 'data' || new TextDecoder().decode(up.data) !== 'hello server') throw new Error(`client->server: ${up.type}`);
      const down = client.open(server.seal(utf8('hello client')));
      if (down.type !== 'data' || new TextDecoder().decode(down.data) !== 'hello client') throw new Error(`server->client: ${down.type}`);
      const rekeyed = server.open(client.rekey(utf8('after rekey')));
      if (rekeyed.type !== 'rekey' || new TextDecoder().decode(rekeyed.data) !== 'after rekey') throw new Error(`rekey: ${rekeyed.type}`);
      const genuine = client.seal(utf8('still fine'));
      const forged = genuine.slice();
      forged[forged.length - 1] ^= 1;
      expectCode(() => server.open(forged), 'ERR_AUTHENTICATION_FAILED');
      // A failed open consumes no nonce: the genuine record still opens.
      const after = server.open(genuine);
      if (new TextDecoder().decode(after.data) !== 'still fine') throw new Error('a forged record changed the session state');
      const closed = server.open(client.close());
      if (closed.type !== 'close') throw new Error(`close: ${closed.type}`);
    },
    'post-quantum handshake (E2-E2 v2-hybrid, X25519 + ML-KEM-768) and a record each way': async () => {
      const key = e2e2.generateApiKey();
      const c = e2e2.createClientHandshake({ apiKey: key.token, postQuantum: true });
      const s = e2e2.createServerHandshake({ resolveKey: (keyId) => (keyId === key.keyId ? key.secret : undefined), postQuantum: 'require' });
      const message1 = c.writeMessage1();
      const { message2, session: server } = await s.respond(message1);
      const client = c.readMessage2(message2);
      if (`${message1.length},${message2.length}` !== '1260,1152') throw new Error(`hybrid message sizes ${message1.length},${message2.length}`);
      if (!client.postQuantum || !server.postQuantum) throw new Error('sessions are not marked postQuantum');
      const up = server.open(client.seal(utf8('pq up')));
      if (new TextDecoder().decode(up.data) !== 'pq up') throw new Error('hybrid client->server');
      const down = client.open(server.seal(utf8('pq down')));
      if (new TextDecoder().decode(down.data) !== 'pq down') throw new Error('hybrid server->client');
      const v1 = e2e2.createClientHandshake({ apiKey: key.token }).writeMessage1();
      await expectCodeAsync(() => e2e2.createServerHandshake({ resolveKey: () => key.secret, postQuantum: 'require' }).respond(v1), 'ERR_PQ_REQUIRED');
    },
    'wrong API key is ERR_AUTHENTICATION_FAILED': async () => {
      const key = e2e2.generateApiKey();
      const impostor = e2e2.formatApiKey({ keyId: key.keyId, secret: new Uint8Array(32).fill(7) });
      const c = e2e2.createClientHandshake({ apiKey: impostor });
      const s = e2e2.createServerHandshake({ resolveKey: () => key.secret });
      const { message2 } = await s.respond(c.writeMessage1());
      expectCode(() => c.readMessage2(message2), 'ERR_AUTHENTICATION_FAILED');
    },
    'EAPI round trip (sign, verify, wrong path refused)': async () => {
      const { client, server } = await handshake(e2e2, e2e2.generateApiKey());
      server.open(client.seal(new Uint8Array(0)));
      const now = Date.now();
      const eapi = client.issueEapi({ scope: 'orders:read', expiresAt: now + 60_000 });
      const authorization = eapi.sign({ method: 'GET', path: '/orders', timestamp: now });
      const verified = server.verifyEapi({ authorization, method: 'GET', path: '/orders', now, requiredScope: 'orders:read' });
      if (verified.scope !== 'orders:read') throw new Error(`verified scope ${verified.scope}`);
      const other = eapi.sign({ method: 'GET', path: '/orders', timestamp: now + 1 });
      expectCode(() => server.verifyEapi({ authorization: other, method: 'GET', path: '/admin', now, requiredScope: 'orders:read' }), 'ERR_AUTHENTICATION_FAILED');
    },
    'createEapiFetch: a Request over maxBodyBytes is ERR_PAYLOAD_TOO_LARGE and nothing is sent (string and stream bodies)': async () => {
      const { client, server } = await handshake(e2e2, e2e2.generateApiKey());
      server.open(client.seal(new Uint8Array(0)));
      let sent = 0;
      const send = async () => {
        sent++;
        return new Response(null, { status: 204 });
      };
      const signedFetch = e2e2.createEapiFetch(client, { scope: 'orders:write', lifetimeMs: 60_000, maxBodyBytes: 8, fetch: send });
      const url = 'https://api.example.test/orders';
      const bodies = { string: () => '123456789' };
      // An endless stream; Firefox has no stream request bodies (no Request.prototype.body).
      if ('body' in Request.prototype) bodies.stream = () => new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(4)) });
      for (const [kind, body] of Object.entries(bodies)) {
        // A Request input is cloned (a tee): giving up on that branch must not wait for the caller's branch.
        const request = new Request(url, { method: 'POST', body: body(), duplex: 'half' });
        await settlesWithin(30, `${kind} body`, expectCodeAsync(() => signedFetch(request), 'ERR_PAYLOAD_TOO_LARGE'));
      }
      const ok = await signedFetch(url, { method: 'POST', body: '12345678' });
      if (ok.status !== 204 || sent !== 1) throw new Error(`exactly maxBodyBytes: status ${ok.status}, ${sent} requests sent`);
    },
  };
}

function connectCheck(e2e2, connect, url, apiKey) {
  return {
    'connect(): echo over a local e2e2 server, clean close': async () => {
      const channel = await connect(url, { apiKey, handshakeTimeoutMs: 30_000 });
      const echoed = new Promise((resolve) => {
        const off = channel.on('message', (m) => {
          off();
          resolve(new TextDecoder().decode(m));
        });
      });
      channel.send('ping from the runtime');
      const text = await echoed;
      if (text !== 'ping from the runtime') throw new Error(`echo: ${text}`);
      const info = await channel.close();
      if (info.code !== 1000) throw new Error(`close code ${info.code} (${info.reason})`);
    },
    'createEapiFetch(channel): a signed POST the server verifies, a tampered one refused': async () => {
      const channel = await connect(url, { apiKey, handshakeTimeoutMs: 30_000 });
      // Wait for the echo of a first message: the server holds the session by then.
      const first = new Promise((resolve) => {
        const off = channel.on('message', () => {
          off();
          resolve();
        });
      });
      channel.send('hello');
      await first;
      const target = String(url).replace(/^ws/, 'http').replace(/\/e2e2$/, '/eapi');
      const signedFetch = e2e2.createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60_000 });
      const ok = await signedFetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"qty":2}' });
      const okBody = await ok.json();
      if (ok.status !== 200 || okBody.scope !== 'orders:write' || okBody.body !== '{"qty":2}') throw new Error(`signed POST: ${ok.status} ${JSON.stringify(okBody)}`);
      const unsigned = await fetch(target, { method: 'POST', body: '{"qty":2}' });
      const refused = await unsigned.json();
      if (unsigned.status !== 401 || refused.code !== 'ERR_AUTHENTICATION_FAILED') throw new Error(`unsigned POST: ${unsigned.status} ${JSON.stringify(refused)}`);
      await channel.close();
    },
    'connect({ postQuantum: true }): a hybrid channel echoes, clean close': async () => {
      const channel = await connect(url, { apiKey, handshakeTimeoutMs: 30_000, postQuantum: true });
      if (channel.postQuantum !== true) throw new Error('the channel is not post-quantum');
      const echoed = new Promise((resolve) => {
        const off = channel.on('message', (m) => {
          off();
          resolve(new TextDecoder().decode(m));
        });
      });
      channel.send('post-quantum ping');
      if ((await echoed) !== 'post-quantum ping') throw new Error('hybrid echo');
      const info = await channel.close();
      if (info.code !== 1000) throw new Error(`close code ${info.code} (${info.reason})`);
    },
  };
}

/**
 * Run every check. `e2e2`: the package root's namespace. `connect` and `url`/`apiKey` (a server
 * that echoes): optional; without them the connect() check is reported as skipped with `skipReason`.
 */
export async function runConformance({ e2e2, connect, url, apiKey, skipReason }) {
  const checks = { ...vectorChecks(e2e2), ...protocolChecks(e2e2) };
  if (connect && url) Object.assign(checks, connectCheck(e2e2, connect, url, apiKey));
  const results = [];
  for (const [name, check] of Object.entries(checks)) {
    try {
      await check();
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, detail: `${err?.code ?? ''} ${err?.message ?? err}`.trim() });
    }
  }
  if (!(connect && url)) results.push({ name: 'connect()', ok: true, skipped: skipReason ?? 'no server URL given' });
  return results;
}
