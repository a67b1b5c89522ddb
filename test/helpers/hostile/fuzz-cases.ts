/**
 * The raw-socket fuzzer's inputs: hostile HTTP requests (request lines, headers, random bytes and
 * mutations of a valid upgrade) and hostile WebSocket frames (RFC 6455 §5 rules broken one at a
 * time, then random frames). Seeded: the same seed gives the same cases.
 */
import { createClientHandshake } from '../../../bindings/e2e2/handshake.js';
import { generateApiKey } from '../../../bindings/e2e2/api-key.js';
import { bytesFromSeed } from '../random.js';
import { closePayload, frame, OP } from './frames.js';
import { upgradeRequest } from './raw-http.js';

export interface FuzzCase {
  name: string;
  /** Written one chunk per write() call. */
  chunks: (string | Uint8Array)[];
}

/** mulberry32: a small seeded generator (test data only, not cryptographic). */
export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (max: number) => Math.floor(next() * max),
    bytes: (length: number) => bytesFromSeed(Math.floor(next() * 2 ** 31) + 1, length),
  };
}
export type Random = ReturnType<typeof seeded>;

const UPGRADE_HEADERS = ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13'];
const key = () => `Sec-WebSocket-Key: ${Buffer.from(bytesFromSeed(7, 16)).toString('base64')}`;

function request(method: string, target: string, version: string, headers: string[]): string {
  return `${method} ${target} ${version}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
}

/** Hostile HTTP requests for a server on `port` whose channel endpoint is `path`. */
export function httpCases(port: number, path: string, random: Random): FuzzCase[] {
  const host = `Host: 127.0.0.1:${port}`;
  const upgrade = [host, ...UPGRADE_HEADERS, key()];
  const cases: FuzzCase[] = [];
  const add = (name: string, ...chunks: (string | Uint8Array)[]) => cases.push({ name, chunks });

  const targets = [
    '//[', 'http://[', 'http://[::1', '*', '//', '/%', '/%zz', `${path}?%`, 'http://a@b@c/', `${path}#x`, `ws://127.0.0.1${path}`,
    `http://127.0.0.1:99999${path}`, '\\\\', `${path}/../${path}`, '?', 'e2e2', '/\u00ff', '/%00', `/${'a'.repeat(65_536)}`,
    `${path}?${'x'.repeat(20_000)}`, `http://[${'f'.repeat(5000)}]/`,
  ];
  for (const target of targets) {
    add(`upgrade to ${JSON.stringify(target.slice(0, 40))}`, request('GET', target, 'HTTP/1.1', upgrade));
    add(`plain GET ${JSON.stringify(target.slice(0, 40))}`, request('GET', target, 'HTTP/1.1', [host]));
  }
  for (const method of ['FOO', 'get', 'CONNECT', 'POST', 'G\0T', 'OPTIONS', 'PRI', '', 'GET GET']) {
    add(`method ${JSON.stringify(method)}`, request(method, path, 'HTTP/1.1', upgrade));
  }
  for (const version of ['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', 'FOO', '']) {
    add(`version ${JSON.stringify(version)}`, request('GET', path, version, upgrade));
  }
  const headerCases: [string, string[]][] = [
    ['no Host', [...UPGRADE_HEADERS, key()]],
    ['two Hosts', [...upgrade, 'Host: evil.example']],
    ['two Upgrades', [...upgrade, 'Upgrade: h2c']],
    ['Upgrade list', [host, 'Upgrade: websocket, h2c', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', key()]],
    ['no key', [host, ...UPGRADE_HEADERS]],
    ['bad key', [host, ...UPGRADE_HEADERS, 'Sec-WebSocket-Key: x']],
    ['two keys', [...upgrade, key()]],
    ['version 8', [host, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 8', key()]],
    ['version list', [host, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13, 13', key()]],
    ['two versions', [...upgrade, 'Sec-WebSocket-Version: 12']],
    ['100 KiB header', [...upgrade, `X-Big: ${'b'.repeat(100 * 1024)}`]],
    ['2,000 headers', [...upgrade, ...Array.from({ length: 2000 }, (_, i) => `X-${i}: ${i}`)]],
    ['bare CR in a value', [...upgrade, 'X-A: a\rInjected: yes']],
    ['bare LF in a value', [...upgrade, 'X-A: a\nInjected: yes']],
    ['space in a name', [...upgrade, 'X A: b']],
    ['obs-fold', [...upgrade, 'X-A: a', ' folded']],
    ['NUL in a value', [...upgrade, 'X-A: a\0b']],
    ['huge Content-Length', [...upgrade, 'Content-Length: 99999999999999999999']],
    ['chunked upgrade', [...upgrade, 'Transfer-Encoding: chunked', 'Content-Length: 5']],
    ['deflate offered', [...upgrade, 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits']],
    ['64 KiB protocol list', [...upgrade, `Sec-WebSocket-Protocol: ${'p,'.repeat(32 * 1024)}p`]],
    ['non-ASCII header', [...upgrade, 'X-\u00e9: \u00ff']],
  ];
  for (const [name, headers] of headerCases) add(`headers: ${name}`, request('GET', path, 'HTTP/1.1', headers));
  add('CRLF injected into the target', `GET ${path}\r\nX-Injected: 1 HTTP/1.1\r\n${upgrade.join('\r\n')}\r\n\r\n`);
  add('two pipelined upgrades', upgradeRequest(port, path) + upgradeRequest(port, path));
  add('upgrade and a frame in one write', Buffer.concat([Buffer.from(upgradeRequest(port, path)), frame({ opcode: OP.BINARY, payload: new Uint8Array(60) })]));
  add('upgrade one byte per write', ...Array.from(Buffer.from(upgradeRequest(port, path)), (byte) => Uint8Array.of(byte)));
  add('half a request, then FIN', upgradeRequest(port, path).slice(0, 40));

  for (let i = 0; i < 60; i++) add(`random bytes #${i}`, random.bytes(1 + random.int(4096)));
  const valid = Buffer.from(upgradeRequest(port, path));
  for (let i = 0; i < 80; i++) add(`mutated upgrade #${i}`, mutate(valid, random));
  return cases;
}

/** Flip, insert or delete a few bytes. */
function mutate(input: Uint8Array, random: Random): Uint8Array {
  let bytes = Array.from(input);
  for (let n = 1 + random.int(5); n > 0; n--) {
    const at = random.int(bytes.length);
    const op = random.int(3);
    if (op === 0) bytes[at] = random.int(256);
    else if (op === 1) bytes.splice(at, 0, ...random.bytes(1 + random.int(8)));
    else bytes.splice(at, 1 + random.int(8));
  }
  if (bytes.length === 0) bytes = [0];
  return Uint8Array.from(bytes);
}

/** Hostile WebSocket frames, written after a valid upgrade. */
export function frameCases(random: Random): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const add = (name: string, ...chunks: (string | Uint8Array)[]) => cases.push({ name, chunks });
  const message1 = createClientHandshake({ apiKey: generateApiKey().token }).writeMessage1();

  for (let opcode = 0; opcode < 16; opcode++) add(`opcode ${opcode}`, frame({ opcode, payload: random.bytes(random.int(11)) }));
  for (let rsv = 1; rsv < 8; rsv++) add(`RSV bits ${rsv}`, frame({ opcode: OP.BINARY, rsv, payload: message1 }));
  add('unmasked binary', frame({ opcode: OP.BINARY, masked: false, payload: message1 }));
  add('unmasked close', frame({ opcode: OP.CLOSE, masked: false, payload: closePayload(1000) }));
  add('unmasked ping', frame({ opcode: OP.PING, masked: false }));
  add('continuation without a start', frame({ opcode: OP.CONTINUATION, payload: message1 }));
  add('unfinished continuation without a start', frame({ opcode: OP.CONTINUATION, fin: false, payload: message1 }));
  add('ping of 126 bytes', frame({ opcode: OP.PING, payload: new Uint8Array(126) }));
  add('close of 200 bytes', frame({ opcode: OP.CLOSE, payload: closePayload(1000, 'r'.repeat(198)) }));
  add('pong of 65,535 bytes', frame({ opcode: OP.PONG, payload: new Uint8Array(65_535) }));
  add('fragmented ping', frame({ opcode: OP.PING, fin: false }), frame({ opcode: OP.CONTINUATION }));
  for (const code of [0, 999, 1000, 1004, 1005, 1006, 1012, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 65_535]) {
    add(`close code ${code}`, frame({ opcode: OP.CLOSE, payload: closePayload(code) }));
  }
  add('close with a 1-byte payload', frame({ opcode: OP.CLOSE, payload: Uint8Array.of(3) }));
  add('close reason not UTF-8', frame({ opcode: OP.CLOSE, payload: closePayload(1000, Uint8Array.of(0xc3, 0x28, 0xff)) }));
  add('5,000 pings', Buffer.concat(Array.from({ length: 5000 }, () => frame({ opcode: OP.PING, payload: new Uint8Array(125) }))));
  add('5,000 pongs', Buffer.concat(Array.from({ length: 5000 }, () => frame({ opcode: OP.PONG, payload: new Uint8Array(125) }))));
  for (const length of [2n ** 63n - 1n, 2n ** 63n, 2n ** 53n, 2n ** 32n, 70_000n, 65_536n]) {
    add(`declared length ${length}`, frame({ opcode: OP.BINARY, declaredLength: length, payload: random.bytes(100) }));
  }
  for (const bad of [[0xc3, 0x28], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80]]) {
    add(`text not UTF-8 ${bad.join(',')}`, frame({ opcode: OP.TEXT, payload: Uint8Array.from(bad) }));
  }
  add('valid text', frame({ opcode: OP.TEXT, payload: Buffer.from('hello') }));
  add('text with a character split across fragments', frame({ opcode: OP.TEXT, fin: false, payload: Uint8Array.of(0xc3) }), frame({ opcode: OP.CONTINUATION, payload: Uint8Array.of(0xa9) }));
  add('forged message 1', frame({ opcode: OP.BINARY, payload: random.bytes(60) }));
  add('empty binary', frame({ opcode: OP.BINARY }));
  add('binary of 65,535 bytes', frame({ opcode: OP.BINARY, payload: random.bytes(65_535) }));
  add('binary of 65,536 bytes', frame({ opcode: OP.BINARY, payload: random.bytes(65_536) }));
  add('message 1 twice', frame({ opcode: OP.BINARY, payload: message1 }), frame({ opcode: OP.BINARY, payload: message1 }));
  add('a new message inside a fragmented one', frame({ opcode: OP.BINARY, fin: false, payload: message1.subarray(0, 10) }), frame({ opcode: OP.TEXT, payload: Buffer.from('x') }));
  add('message 1 one byte per write', ...Array.from(frame({ opcode: OP.BINARY, payload: message1 }), (byte) => Uint8Array.of(byte)));
  for (let i = 0; i < 100; i++) {
    const declared = [random.int(126), 126 + random.int(65_410), 65_536 + random.int(1 << 20)][random.int(3)]!;
    add(`random frame #${i}`, frame({ opcode: random.int(16), fin: random.int(2) === 0, rsv: random.int(8), masked: random.int(8) !== 0, declaredLength: declared, payload: random.bytes(Math.min(declared, random.int(300))) }));
  }
  for (let i = 0; i < 30; i++) add(`random bytes after the upgrade #${i}`, random.bytes(1 + random.int(2048)));
  return cases;
}

/** An unfinished message in `count` empty fragments: what maxFragments (hardening.md: 16, close 1008) stops. */
export function tinyFragments(count: number): Buffer {
  return Buffer.concat([frame({ opcode: OP.BINARY, fin: false }), ...Array.from({ length: count - 1 }, () => frame({ opcode: OP.CONTINUATION, fin: false }))]);
}
