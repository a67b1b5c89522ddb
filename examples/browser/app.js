// The browser demo: the same flow as `npm start`, in the browser, against `e2e2 serve --demo`.
// Results are also published on window.e2e2Demo for the automated Chromium test.
import { connect, CloseCode } from '/e2e2.js';

const logElement = document.getElementById('log');
const statusElement = document.getElementById('status');
const againButton = document.getElementById('again');

function log(text, cls) {
  const line = document.createElement('div');
  line.textContent = text;
  if (cls) line.className = cls;
  logElement.append(line);
}

const ms = (t) => `${(performance.now() - t).toFixed(1)} ms`;

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function run() {
  const results = { handshake: false, echo: false, stream: false, eapiVerified: false, eapiTamperedRejected: false, rekey: false, closeCode: null, stages: {} };
  window.e2e2Demo = { state: 'running', results };
  statusElement.textContent = 'running…';
  logElement.textContent = '';
  const config = await (await fetch('/demo/config.json')).json();
  log(`server ${config.url}, demo key id ${config.keyId}`);

  // 1. Handshake.
  let t = performance.now();
  const channel = await connect(config.url, {
    apiKey: config.apiKey,
    trace: (event) => {
      if (event.stage === 'K1' || event.stage === 'K2' || event.stage === 'K3') {
        results.stages[event.stage] = event.fingerprint;
        log(`  ${event.stage} fingerprint ${event.fingerprint}`);
      } else if (event.stage === 'open') log('  WebSocket open');
      else log(`  ${event.stage}: ${event.bytes} bytes`);
    },
  });
  results.handshake = true;
  results.sessionId = channel.sessionId;
  log(`handshake complete in ${ms(t)}: key ${channel.keyId}, session ${channel.sessionId}`, 'ok');

  // 2. Encrypted echo.
  const iterator = channel[Symbol.asyncIterator]();
  const next = async () => {
    const r = await iterator.next();
    if (r.done) throw new Error('channel ended early');
    return r.value;
  };
  t = performance.now();
  const hello = `hello from ${navigator.userAgent.includes('Chrome') ? 'Chromium' : 'a browser'}`;
  channel.send(hello);
  const back = new TextDecoder().decode(await next());
  results.echo = back === hello;
  log(`echo "${back}" in ${ms(t)}`, results.echo ? 'ok' : 'fail');

  t = performance.now();
  const blob = crypto.getRandomValues(new Uint8Array(65536));
  const blob2 = crypto.getRandomValues(new Uint8Array(65536));
  const sent = new Uint8Array(131072);
  sent.set(blob);
  sent.set(blob2, 65536);
  channel.write(sent);
  const received = new Uint8Array(sent.length);
  let offset = 0;
  while (offset < sent.length) {
    const part = await next();
    received.set(part, offset);
    offset += part.length;
  }
  results.stream = (await sha256Hex(received)) === (await sha256Hex(sent));
  log(`128 KiB stream echoed in ${ms(t)}, SHA-256 ${results.stream ? 'equal' : 'DIFFERENT'}`, results.stream ? 'ok' : 'fail');

  // 3. EAPI-signed request, verified by the server.
  t = performance.now();
  const eapi = channel.issueEapi({ scope: 'demo:echo', expiresAt: Date.now() + 60_000 });
  const body = JSON.stringify({ from: 'browser', n: 1 });
  const authorization = eapi.sign({ method: 'POST', path: '/api/echo', body, timestamp: Date.now() });
  const response = await fetch('/api/echo', { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
  const verdict = await response.json();
  results.eapiVerified = response.status === 200 && verdict.verified === true && verdict.sessionId === channel.sessionId;
  log(`EAPI-signed POST /api/echo -> ${response.status}, verified by the server: ${verdict.verified} (${ms(t)})`, results.eapiVerified ? 'ok' : 'fail');
  const forged = await fetch('/api/echo', { method: 'POST', headers: { authorization }, body: body.replace('1', '2') });
  const forgedVerdict = await forged.json();
  results.eapiTamperedRejected = forged.status === 401 && forgedVerdict.error === 'ERR_AUTHENTICATION_FAILED';
  log(`tampered body -> ${forged.status} ${forgedVerdict.error}`, results.eapiTamperedRejected ? 'ok' : 'fail');

  // 4. Rekey, then echo under the new key.
  channel.rekey();
  channel.send('after rekey');
  results.rekey = new TextDecoder().decode(await next()) === 'after rekey';
  log(`rekey, then echo: ${results.rekey ? 'OK' : 'FAILED'}`, results.rekey ? 'ok' : 'fail');

  // 5. Clean close.
  const info = await channel.close();
  results.closeCode = info.code;
  log(`closed: ${info.code}${info.error ? ` ${info.error.code}` : ' (clean)'}`, info.code === CloseCode.NORMAL && !info.error ? 'ok' : 'fail');

  const passed = results.handshake && results.echo && results.stream && results.eapiVerified && results.eapiTamperedRejected && results.rekey && results.closeCode === 1000;
  window.e2e2Demo = { state: passed ? 'passed' : 'failed', results };
  statusElement.textContent = passed ? 'all steps passed' : 'a step failed';
  statusElement.className = passed ? 'ok' : 'fail';
}

function start() {
  againButton.hidden = true;
  run()
    .catch((error) => {
      window.e2e2Demo = { state: 'failed', error: `${error.code ?? ''} ${error.message}`, results: window.e2e2Demo?.results };
      statusElement.textContent = `failed: ${error.message}`;
      statusElement.className = 'fail';
      log(`error: ${error.code ?? ''} ${error.message}`, 'fail');
    })
    .finally(() => (againButton.hidden = false));
}

againButton.addEventListener('click', start);
start();
