/** The close-code table (README "Close codes") in both directions. */
import { describe, expect, it } from 'vitest';
import { CloseCode, closeCodeFor, closeReason, errorForClose } from '../bindings/channel/close-codes.js';
import {
  AuthenticationError,
  ConnectionClosedError,
  HandshakeTimeoutError,
  InvalidArgumentError,
  LowOrderPointError,
  MalformedMessageError,
  MessageTooLargeError,
  NonceExhaustedError,
  ServerBusyError,
  SessionClosedError,
} from '../bindings/errors.js';

describe('close codes', () => {
  it('maps each error code family to its close code', () => {
    expect(closeCodeFor(new AuthenticationError('authentication failed'))).toBe(4001);
    expect(closeCodeFor(new MalformedMessageError('x'))).toBe(4002);
    expect(closeCodeFor(new LowOrderPointError('x'))).toBe(4002);
    expect(closeCodeFor(new SessionClosedError('x'))).toBe(4002);
    expect(closeCodeFor(new HandshakeTimeoutError('x'))).toBe(4003);
    expect(closeCodeFor(new ServerBusyError('x'))).toBe(4004);
    expect(closeCodeFor(new NonceExhaustedError('x'))).toBe(4005);
    expect(closeCodeFor(new MessageTooLargeError('x'))).toBe(1009);
    expect(closeCodeFor(new MessageTooLargeError('x'), true)).toBe(4009);
    // Anything that is not a peer's fault is ours: internal error.
    expect(closeCodeFor(new InvalidArgumentError('x'))).toBe(1011);
    expect(closeCodeFor(new ConnectionClosedError('x'))).toBe(1011);
    expect(closeCodeFor(new Error('bug'))).toBe(1011);
    expect(closeCodeFor(undefined)).toBe(1011);
  });

  it('every close code a browser may send is in 1000 or 3000-4999 (the WebSocket API refuses others)', () => {
    const browserCodes = [
      new AuthenticationError('x'),
      new MalformedMessageError('x'),
      new HandshakeTimeoutError('x'),
      new MessageTooLargeError('x'),
      new NonceExhaustedError('x'),
    ].map((e) => closeCodeFor(e, true));
    for (const code of browserCodes) expect(code === 1000 || (code >= 3000 && code <= 4999), String(code)).toBe(true);
  });

  it('turns a received close code into the typed error the client sees', () => {
    const cases: [number, string][] = [
      [4001, 'ERR_AUTHENTICATION_FAILED'],
      [4003, 'ERR_HANDSHAKE_TIMEOUT'],
      [4004, 'ERR_SERVER_BUSY'],
      [1009, 'ERR_MESSAGE_TOO_LARGE'],
      [4009, 'ERR_MESSAGE_TOO_LARGE'],
      [4002, 'ERR_CONNECTION_CLOSED'],
      [4005, 'ERR_CONNECTION_CLOSED'],
      [1011, 'ERR_CONNECTION_CLOSED'],
      [1006, 'ERR_CONNECTION_CLOSED'],
    ];
    for (const [code, errorCode] of cases) {
      const error = errorForClose(code, closeReason(code), 'handshake');
      expect(error.code, String(code)).toBe(errorCode);
      if (error instanceof ConnectionClosedError) expect(error.closeCode).toBe(code);
    }
    // The authentication failure carries the protocol's one message, nothing more.
    expect(errorForClose(4001, 'anything the peer said', 'session').message).toBe('authentication failed');
  });

  it('has one fixed reason per code, all within the 123-byte close-frame limit', () => {
    for (const code of Object.values(CloseCode)) {
      const reason = closeReason(code);
      expect(reason.length, String(code)).toBeGreaterThan(0);
      expect(new TextEncoder().encode(reason).length).toBeLessThanOrEqual(123);
    }
    expect(new Set(Object.values(CloseCode)).size).toBe(Object.values(CloseCode).length);
  });
});
