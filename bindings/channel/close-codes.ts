/**
 * WebSocket close codes of the E2-E2 channel (README "Close codes"). One code per family of error
 * codes, in the private range 4000-4999 (RFC 6455 §7.4.2), except where RFC 6455 §7.4.1 already
 * has the exact meaning. Every authentication failure (unknown key id, wrong or revoked key,
 * forged record) is 4001 with the same reason, so a peer cannot tell them apart.
 */
import { AuthenticationError, ConnectionClosedError, HandshakeTimeoutError, MessageTooLargeError, ServerBusyError, type E2E2Error } from '../errors.js';

export const CloseCode = {
  /** Orderly close: both directions ended with a CLOSE record. */
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** A message exceeds the maximum size (ERR_MESSAGE_TOO_LARGE), sent by Node endpoints (`ws` enforces it before buffering the payload). */
  MESSAGE_TOO_BIG: 1009,
  /** The application's channel handler threw, or an unexpected error. */
  INTERNAL_ERROR: 1011,
  /** ERR_AUTHENTICATION_FAILED: any authentication failure. */
  AUTHENTICATION_FAILED: 4001,
  /** ERR_MALFORMED_MESSAGE, ERR_LOW_ORDER_POINT, ERR_SESSION_CLOSED from the peer, a text message, a message out of order. */
  PROTOCOL_VIOLATION: 4002,
  /** ERR_HANDSHAKE_TIMEOUT: the handshake (including the client's key confirmation) did not complete in time. */
  HANDSHAKE_TIMEOUT: 4003,
  /** ERR_SERVER_BUSY: too many handshakes in progress; try again later. */
  SERVER_BUSY: 4004,
  /** ERR_NONCE_EXHAUSTED: a cipher's nonce space is used up; the session must end. */
  SESSION_EXHAUSTED: 4005,
  /** ERR_MESSAGE_TOO_LARGE detected by a browser endpoint (the WebSocket API cannot send 1009). */
  MESSAGE_TOO_BIG_BROWSER: 4009,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Fixed reason strings (never details: those stay in the local error's `cause`). */
const REASONS: Record<number, string> = {
  1000: 'closed',
  1001: 'server shutting down',
  1009: 'message too large',
  1011: 'internal error',
  4001: 'authentication failed',
  4002: 'protocol violation',
  4003: 'handshake timeout',
  4004: 'server busy',
  4005: 'session exhausted',
  4009: 'message too large',
};

export function closeReason(code: number): string {
  return REASONS[code] ?? '';
}

/** The close code to send after `error` ended a connection on our side. */
export function closeCodeFor(error: unknown, browser = false): number {
  const code = (error as Partial<E2E2Error> | undefined)?.code;
  switch (code) {
    case 'ERR_AUTHENTICATION_FAILED':
      return CloseCode.AUTHENTICATION_FAILED;
    case 'ERR_MALFORMED_MESSAGE':
    case 'ERR_LOW_ORDER_POINT':
    case 'ERR_SESSION_CLOSED':
      return CloseCode.PROTOCOL_VIOLATION;
    case 'ERR_MESSAGE_TOO_LARGE':
      return browser ? CloseCode.MESSAGE_TOO_BIG_BROWSER : CloseCode.MESSAGE_TOO_BIG;
    case 'ERR_HANDSHAKE_TIMEOUT':
      return CloseCode.HANDSHAKE_TIMEOUT;
    case 'ERR_SERVER_BUSY':
      return CloseCode.SERVER_BUSY;
    case 'ERR_NONCE_EXHAUSTED':
      return CloseCode.SESSION_EXHAUSTED;
    default:
      return CloseCode.INTERNAL_ERROR;
  }
}

/**
 * The typed error a local caller sees when the peer closed with `code` (or the connection
 * dropped: 1006). Normal closes (1000, 1001, 1005) map to ERR_CONNECTION_CLOSED too; callers
 * that only wait for `closed` never see it thrown.
 */
export function errorForClose(code: number, reason: string, during: 'handshake' | 'session'): E2E2Error {
  const options = { cause: { closeCode: code, closeReason: reason } };
  switch (code) {
    case CloseCode.AUTHENTICATION_FAILED:
      return new AuthenticationError('authentication failed', options);
    case CloseCode.HANDSHAKE_TIMEOUT:
      return new HandshakeTimeoutError('the server closed the connection: handshake timeout', options);
    case CloseCode.SERVER_BUSY:
      return new ServerBusyError('the server is busy (too many handshakes in progress); try again later', options);
    case CloseCode.MESSAGE_TOO_BIG:
    case CloseCode.MESSAGE_TOO_BIG_BROWSER:
      return new MessageTooLargeError('the peer closed the connection: message too large', options);
    default:
      return new ConnectionClosedError(
        `connection closed during the ${during} (code ${code}${reason ? `: ${reason}` : ''})`,
        { closeCode: code, closeReason: reason },
      );
  }
}
