/**
 * The channel layer's small pure parts, pinned exactly (issue 13, mutation testing): the close-code
 * table and reasons (SPEC.md §7.7.6), the option checks and defaults (SPEC.md §7.7.5), the
 * per-address budget keys (RFC 4291 §2.5.4 /64s), the one-reader claim, and the key-store helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { AddressBudget, addressKey } from '../bindings/channel/addresses.js';
import { CloseCode, closeCodeFor, closeReason, errorForClose, whatwgCloseCode } from '../bindings/channel/close-codes.js';
import { apiKeyToken, DEFAULT_KEY_STORE_PATH, keyStoreResolver, openKeyStore } from '../bindings/channel/keys.js';
import * as limits from '../bindings/channel/limits.js';
import { channelSettings, integerOption, printError } from '../bindings/channel/limits.js';
import { claimChannelReader } from '../bindings/channel/stream-claim.js';
import type { Channel } from '../bindings/channel/channel.js';
import { parseApiKey } from '../bindings/e2e2/api-key.js';
import { KeepaliveTimeoutError, KeyRevokedError, PostQuantumRequiredError, ConnectionClosedError } from '../bindings/errors.js';

describe('close codes: the exact table', () => {
  it('names every code with its number', () => {
    expect(CloseCode).toEqual({
      NORMAL: 1000,
      GOING_AWAY: 1001,
      PROTOCOL_ERROR: 1002,
      INVALID_PAYLOAD: 1007,
      POLICY_VIOLATION: 1008,
      MESSAGE_TOO_BIG: 1009,
      INTERNAL_ERROR: 1011,
      AUTHENTICATION_FAILED: 4001,
      PROTOCOL_VIOLATION: 4002,
      HANDSHAKE_TIMEOUT: 4003,
      SERVER_BUSY: 4004,
      SESSION_EXHAUSTED: 4005,
      KEY_REVOKED: 4006,
      SESSION_EXPIRED: 4007,
      KEEPALIVE_TIMEOUT: 4008,
      POST_QUANTUM_REQUIRED: 4010,
      MESSAGE_TOO_BIG_BROWSER: 4009,
      INTERNAL_ERROR_BROWSER: 4011,
    });
  });

  it('sends the fixed reason of each code (README "Close codes"), and none for an unknown code', () => {
    const reasons: Record<number, string> = {
      1000: 'closed',
      1001: 'server shutting down',
      1002: 'invalid frame',
      1007: 'invalid payload',
      1008: 'policy violation',
      1009: 'message too large',
      1011: 'internal error',
      4001: 'authentication failed',
      4002: 'protocol violation',
      4003: 'handshake timeout',
      4004: 'server busy',
      4005: 'session exhausted',
      4006: 'key revoked',
      4007: 'session expired',
      4008: 'keepalive timeout',
      4009: 'message too large',
      4010: 'post-quantum handshake required',
      4011: 'internal error',
    };
    for (const [code, reason] of Object.entries(reasons)) expect(closeReason(Number(code)), code).toBe(reason);
    expect(closeReason(4999)).toBe('');
    expect(closeReason(1006)).toBe('');
  });

  it('maps the remaining error codes (revocation, keepalive, post-quantum)', () => {
    expect(closeCodeFor(new KeyRevokedError('x'))).toBe(4006);
    expect(closeCodeFor(new KeepaliveTimeoutError('x'))).toBe(4008);
    expect(closeCodeFor(new PostQuantumRequiredError('x'))).toBe(4010);
    expect(closeCodeFor({ code: 'ERR_KEY_REVOKED' }, true)).toBe(4006);
    expect(closeCodeFor({ code: 'ERR_SOMETHING_NEW' }, true)).toBe(4011);
    expect(closeCodeFor(null)).toBe(1011);
  });

  it('whatwgCloseCode keeps 1000 and 3000-4999 and replaces what a browser may not send', () => {
    for (const code of [1000, 3000, 3001, 4000, 4001, 4998, 4999]) expect(whatwgCloseCode(code), String(code)).toBe(code);
    expect(whatwgCloseCode(1009)).toBe(4009);
    expect(whatwgCloseCode(1001)).toBe(1000);
    for (const code of [1002, 1007, 1008, 1011, 2999, 5000, 999]) expect(whatwgCloseCode(code), String(code)).toBe(4011);
  });

  it('errorForClose: each code its typed error, its message, and the close frame in the cause', () => {
    const cases: [number, string, string][] = [
      [4001, 'ERR_AUTHENTICATION_FAILED', 'authentication failed'],
      [4003, 'ERR_HANDSHAKE_TIMEOUT', 'the server closed the connection: handshake timeout'],
      [4004, 'ERR_SERVER_BUSY', 'the server is busy (too many handshakes in progress); try again later'],
      [1009, 'ERR_MESSAGE_TOO_LARGE', 'the peer closed the connection: message too large'],
      [4009, 'ERR_MESSAGE_TOO_LARGE', 'the peer closed the connection: message too large'],
      [4006, 'ERR_KEY_REVOKED', 'the server closed the channel: its API key was revoked'],
      [4010, 'ERR_PQ_REQUIRED', 'the server requires the post-quantum handshake: connect with postQuantum: true'],
    ];
    for (const [code, errorCode, message] of cases) {
      for (const during of ['handshake', 'session'] as const) {
        const error = errorForClose(code, 'peer said', during);
        expect(error.code, String(code)).toBe(errorCode);
        expect(error.message, String(code)).toBe(message);
        expect(error.cause).toEqual({ closeCode: code, closeReason: 'peer said' });
      }
    }
  });

  it('a clean-looking close frame before the CLOSE record is a truncation during the session, a plain close during the handshake', () => {
    for (const code of [1000, 1001, 4007, 1005]) {
      const session = errorForClose(code, 'bye', 'session') as ConnectionClosedError;
      expect(session).toBeInstanceOf(ConnectionClosedError);
      expect(session.message).toBe(`the channel was truncated: the WebSocket closed (code ${code}) before the peer's CLOSE record`);
      expect([session.closeCode, session.closeReason]).toEqual([code, 'bye']);
      const handshake = errorForClose(code, 'bye', 'handshake') as ConnectionClosedError;
      expect(handshake.message).toBe(`connection closed during the handshake (code ${code}: bye)`);
      expect([handshake.closeCode, handshake.closeReason]).toEqual([code, 'bye']);
    }
    const other = errorForClose(4002, '', 'session') as ConnectionClosedError;
    expect(other.code).toBe('ERR_CONNECTION_CLOSED');
    expect(other.message).toBe('connection closed during the session (code 4002)');
    expect([other.closeCode, other.closeReason]).toEqual([4002, '']);
    expect(errorForClose(1006, 'x', 'session').message).toBe('connection closed during the session (code 1006: x)');
  });
});

describe('limits: defaults and option checks', () => {
  it('has the documented defaults (README "Limits")', () => {
    expect({ ...limits, integerOption: undefined, channelSettings: undefined, printError: undefined }).toEqual({
      integerOption: undefined,
      channelSettings: undefined,
      printError: undefined,
      DEFAULT_HANDSHAKE_TIMEOUT_MS: 10_000,
      DEFAULT_MESSAGE1_TIMEOUT_MS: 5_000,
      DEFAULT_CLOSE_TIMEOUT_MS: 5_000,
      DEFAULT_MAX_MESSAGE_BYTES: 65_535,
      DEFAULT_WRITABLE_HIGH_WATER_MARK_BYTES: 1_048_576,
      DEFAULT_READABLE_HIGH_WATER_MARK_BYTES: 1_048_576,
      DEFAULT_WEB_STREAM_HIGH_WATER_MARK_BYTES: 65_536,
      DEFAULT_KEEPALIVE_INTERVAL_MS: 30_000,
      DEFAULT_KEEPALIVE_TIMEOUT_MS: 10_000,
      DEFAULT_MAX_PENDING_HANDSHAKES: 1024,
      DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS: 64,
      DEFAULT_MAX_FRAGMENTS: 16,
      DEFAULT_MAX_BUFFERED_CHUNKS: 1024,
      DEFAULT_MAX_HTTP_CONNECTIONS: 512,
      DEFAULT_MAX_HTTP_CONNECTIONS_PER_ADDRESS: 32,
      DEFAULT_HEADERS_TIMEOUT_MS: 10_000,
      DEFAULT_REQUEST_TIMEOUT_MS: 30_000,
      DEFAULT_REVOCATION_CHECK_INTERVAL_MS: 2_000,
    });
  });

  it('integerOption: the default when absent, the value within [min, max], ERR_INVALID_ARGUMENT otherwise', () => {
    expect(integerOption(undefined, 7, 'n')).toBe(7);
    expect(integerOption(1, 7, 'n')).toBe(1);
    expect(integerOption(Number.MAX_SAFE_INTEGER, 7, 'n')).toBe(Number.MAX_SAFE_INTEGER);
    expect(integerOption(0, 7, 'n', 0)).toBe(0);
    expect(integerOption(10, 7, 'n', 3, 10)).toBe(10);
    expect(integerOption(3, 7, 'n', 3, 10)).toBe(3);
    const bad: [number, number?, number?][] = [[0], [-1], [1.5], [Number.NaN], [Infinity], [2 ** 53], [11, 3, 10], [2, 3, 10]];
    for (const [value, min, max] of bad) {
      expect(() => integerOption(value, 7, 'things', min, max), String(value)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: `things must be an integer from ${min ?? 1} to ${max ?? Number.MAX_SAFE_INTEGER}` }),
      );
    }
  });

  it('channelSettings: defaults, checked values, and the ranges of each option', () => {
    const reportError = () => {};
    expect(channelSettings({}, { maxAgeMs: 5, reportError })).toEqual({
      maxMessageBytes: 65_535,
      closeTimeoutMs: 5_000,
      allowHalfOpen: false,
      writableHighWaterMark: 1 << 20,
      readableHighWaterMark: 1 << 20,
      keepaliveIntervalMs: 30_000,
      keepaliveTimeoutMs: 10_000,
      maxAgeMs: 5,
      reportError,
    });
    const given = {
      maxMessageBytes: 100,
      closeTimeoutMs: 1,
      allowHalfOpen: true,
      writableHighWaterMark: 2,
      readableHighWaterMark: 3,
      keepaliveIntervalMs: 0,
      keepaliveTimeoutMs: 4,
    };
    expect(channelSettings(given, { maxAgeMs: 0, reportError })).toEqual({ ...given, maxAgeMs: 0, reportError });
    // allowHalfOpen is true only when it is exactly true.
    expect(channelSettings({ allowHalfOpen: 'yes' as unknown as boolean }, { maxAgeMs: 0, reportError }).allowHalfOpen).toBe(false);
    const message = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => `${name} must be an integer from ${min} to ${max}`;
    const rejects: [Record<string, number>, string][] = [
      [{ maxMessageBytes: 65_536 }, message('maxMessageBytes', 1, 65_535)],
      [{ maxMessageBytes: 0 }, message('maxMessageBytes', 1, 65_535)],
      [{ closeTimeoutMs: 0 }, message('closeTimeoutMs', 1)],
      [{ writableHighWaterMark: 0 }, message('writableHighWaterMark', 1)],
      [{ readableHighWaterMark: 0 }, message('readableHighWaterMark', 1)],
      [{ keepaliveIntervalMs: -1 }, message('keepaliveIntervalMs', 0)],
      [{ keepaliveTimeoutMs: 0 }, message('keepaliveTimeoutMs', 1)],
    ];
    for (const [options, text] of rejects) {
      expect(() => channelSettings(options, { maxAgeMs: 0, reportError }), text).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: text }));
    }
  });

  it('printError prints with the prefix and never throws', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const error = new Error('boom');
      printError('e2e2 server')(error);
      expect(spy).toHaveBeenCalledWith('e2e2 server:', error);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('addresses: budget keys', () => {
  it('IPv4 as is; unknown for none; zones dropped; IPv4-mapped IPv6 as its IPv4 address', () => {
    expect(addressKey(undefined)).toBe('unknown');
    expect(addressKey('')).toBe('unknown');
    expect(addressKey('127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('10.0.0.1%x')).toBe('10.0.0.1');
    expect(addressKey('%x')).toBe('');
    // Only a whole ::ffff:a.b.c.d is IPv4-mapped; multi-digit parts in every position.
    expect(addressKey('::ffff:10.12.34.56')).toBe('10.12.34.56');
    expect(addressKey('::ffff:192.168.100.200')).toBe('192.168.100.200');
    expect(addressKey('1::ffff:10.1.2.3')).toBe('1:0:0:0::/64');
    expect(addressKey('::ffff:1.2.3.4:5')).toBe('0:0:0:0::/64');
  });

  it('IPv6: the first four hextets, lower case, leading zeros dropped, :: expanded', () => {
    expect(addressKey('2001:DB8:0001:00a0:1:2:3:4')).toBe('2001:db8:1:a0::/64');
    expect(addressKey('2001:db8:1:a0:ffff:2:3:4')).toBe('2001:db8:1:a0::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8:1:2::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1::5:6:7')).toBe('2001:db8:1:0::/64');
    // The hextets after '::' count: they decide how many zeros it stands for.
    expect(addressKey('1::2:3:4:5:6:7')).toBe('1:0:2:3::/64');
    expect(addressKey('1::2:3:4:5:1.2.3.4')).toBe('1:0:2:3::/64');
    expect(addressKey('1::')).toBe('1:0:0:0::/64');
    // Not well formed (fewer than eight hextets, no '::'): the missing ones are zeros.
    expect(addressKey('1:2')).toBe('1:2:0:0::/64');
    expect(addressKey('0000:0:00:000::')).toBe('0:0:0:0::/64');
    // A trailing dotted IPv4 part is two hextets.
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('1:2:3::4:5:1.2.3.4')).toBe('1:2:3:0::/64');
    expect(addressKey('1:2::1.2.3.4')).toBe('1:2:0:0::/64');
    // A malformed address with too many parts still gives a key (no throw, no negative fill).
    expect(addressKey('1:2:3:4:5:6:7::8:9')).toBe('1:2:3:4::/64');
    expect(addressKey('1.2.3.4::1')).toBe('1.2.3.4:0:0:0::/64');
  });

  it('AddressBudget: a cap per key and in all, release gives back, unknown release is a no-op', () => {
    const budget = new AddressBudget(3, 2);
    expect(budget.size).toBe(0);
    expect(budget.take('a')).toBe(true);
    expect(budget.take('a')).toBe(true);
    expect(budget.take('a')).toBe(false);
    expect(budget.size).toBe(2);
    expect(budget.take('b')).toBe(true);
    expect(budget.take('c')).toBe(false);
    expect(budget.size).toBe(3);
    budget.release('nobody');
    expect(budget.size).toBe(3);
    budget.release('a');
    expect(budget.size).toBe(2);
    expect(budget.take('c')).toBe(true);
    expect(budget.take('a')).toBe(false);
    // a:1 b:1 c:1. The second release of 'a' finds nothing to give back.
    budget.release('a');
    budget.release('a');
    expect(budget.size).toBe(2);
    expect(budget.take('a')).toBe(true);
    expect(budget.size).toBe(3);
    budget.release('b');
    expect(budget.take('a')).toBe(true);
    expect(budget.take('a')).toBe(false);
    budget.release('a');
    expect(budget.take('a')).toBe(true);
  });
});

describe('stream claim', () => {
  it('a second adapter gets ERR_INVALID_STATE naming the first', () => {
    const channel = {} as Channel;
    claimChannelReader(channel, 'webStreams()');
    expect(() => claimChannelReader(channel, 'channelDuplex()')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STATE', message: 'this channel is already read by webStreams(); a channel feeds one stream adapter' }),
    );
    expect(() => claimChannelReader({} as Channel, 'channelDuplex()')).not.toThrow();
  });
});

describe('keys: the file store in the E2-E2 key format', () => {
  it('creates 24-hex-digit ids with 32-byte base64url secrets, tokens that parse back, and a resolver', () => {
    expect(DEFAULT_KEY_STORE_PATH).toBe('e2e2-keys.json');
    const dir = mkdtempSync(join(tmpdir(), 'e2e2-keys-'));
    try {
      const store = openKeyStore(join(dir, 'keys.json'));
      const key = store.create('label');
      expect(key.id).toMatch(/^[0-9a-f]{24}$/);
      expect(key.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const token = apiKeyToken(key);
      const parsed = parseApiKey(token);
      expect(parsed.keyId).toBe(key.id);
      expect(Buffer.from(parsed.secret).toString('base64url')).toBe(key.secret);
      const resolve = keyStoreResolver(store);
      expect(resolve(key.id)).toEqual(new Uint8Array(parsed.secret));
      expect(resolve('0'.repeat(24))).toBeUndefined();
      // Two keys differ.
      expect(store.create().secret).not.toBe(key.secret);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('apiKeyToken refuses a secret that is not base64url (ERR_KEY_STORE)', () => {
    const key = { id: 'a'.repeat(24), secret: 'not base64!', label: '', created: '', revoked: null };
    expect(() => apiKeyToken(key)).toThrow(expect.objectContaining({ code: 'ERR_KEY_STORE', message: `key ${'a'.repeat(24)} has a secret that is not base64url` }));
  });
});
