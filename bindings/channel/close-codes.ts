/**
 * WebSocket close codes of the E2-E2 channel (SPEC.md §7.7.6, README "Close codes"). One code per
 * family of error codes, in the private range 4000-4999 (RFC 6455 §7.4.2), except where RFC 6455
 * §7.4.1 already has the exact meaning. Every authentication failure (unknown key id, wrong or
 * revoked key, forged record) is 4001 with the same reason, so a peer cannot tell them apart.
 *
 * A WHATWG WebSocket (browsers, Node's global WebSocket) may only send 1000 and 3000-4999
 * (its close() throws otherwise), so such endpoints send 4009 for 1009, 4011 for 1011 and 1000 for
 * 1001 (closeCodeFor(error, true), whatwgCloseCode()).
 */
import {
  AuthenticationError,
  ConnectionClosedError,
  HandshakeTimeoutError,
  KeyRevokedError,
  PostQuantumRequiredError,
  MessageTooLargeError,
  ServerBusyError,
  type E2E2Error,
} from '../errors.js';

/** WebSocket close codes of the E2-E2 binding (SPEC.md §7.7.6), by name. */
export const CloseCode = {
  /** Orderly close: both directions ended with a CLOSE record. */
  NORMAL: 1000,
  /** The server is shutting down (after its CLOSE record). */
  GOING_AWAY: 1001,
  /** An invalid WebSocket frame (sent by the `ws` package itself): ERR_MALFORMED_MESSAGE locally. */
  PROTOCOL_ERROR: 1002,
  /** Invalid UTF-8 in a text or close frame (sent by `ws`): ERR_MALFORMED_MESSAGE locally. */
  INVALID_PAYLOAD: 1007,
  /** More frames in one message than maxFragments, or more buffered chunks than maxBufferedChunks (sent by `ws`). */
  POLICY_VIOLATION: 1008,
  /** A message exceeds the maximum size (ERR_MESSAGE_TOO_LARGE), sent by Node endpoints (`ws` enforces it before buffering the payload). */
  MESSAGE_TOO_BIG: 1009,
  /** Application code threw (ERR_APPLICATION), the key resolver failed, a tunnel's TCP side failed. */
  INTERNAL_ERROR: 1011,
  /** ERR_AUTHENTICATION_FAILED: any authentication failure. */
  AUTHENTICATION_FAILED: 4001,
  /** ERR_MALFORMED_MESSAGE, ERR_LOW_ORDER_POINT, ERR_SESSION_CLOSED from the peer, a text message, a message out of order. */
  PROTOCOL_VIOLATION: 4002,
  /** ERR_HANDSHAKE_TIMEOUT: no message 1, or no key confirmation, in time. */
  HANDSHAKE_TIMEOUT: 4003,
  /** ERR_SERVER_BUSY: too many handshakes in progress (in all, or from one address); try again later. */
  SERVER_BUSY: 4004,
  /** ERR_NONCE_EXHAUSTED: a cipher's nonce space is used up; the session must end. */
  SESSION_EXHAUSTED: 4005,
  /** ERR_KEY_REVOKED: the API key this channel authenticated with was revoked. */
  KEY_REVOKED: 4006,
  /** The server's maximum session age was reached (after its CLOSE record). */
  SESSION_EXPIRED: 4007,
  /** ERR_KEEPALIVE_TIMEOUT: the peer did not answer a ping in time. */
  KEEPALIVE_TIMEOUT: 4008,
  /** ERR_PQ_REQUIRED: the server requires the post-quantum handshake (E2-E2 v2-hybrid); connect with postQuantum. */
  POST_QUANTUM_REQUIRED: 4010,
  /** ERR_MESSAGE_TOO_LARGE detected by a WHATWG endpoint (it cannot send 1009). */
  MESSAGE_TOO_BIG_BROWSER: 4009,
  /** As 1011, sent by a WHATWG endpoint (it cannot send 1011). */
  INTERNAL_ERROR_BROWSER: 4011,
} as const;

/** One of the CloseCode values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Fixed reason strings (never details: those stay in the local error's `cause`). */
const REASONS: Record<number, string> = {
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

export function closeReason(code: number): string {
  return REASONS[code] ?? '';
}

/** The code a WHATWG WebSocket can send in place of `code` (its close() accepts only 1000 and 3000-4999). */
export function whatwgCloseCode(code: number): number {
  if (code === CloseCode.NORMAL || (code >= 3000 && code <= 4999)) return code;
  if (code === CloseCode.MESSAGE_TOO_BIG) return CloseCode.MESSAGE_TOO_BIG_BROWSER;
  if (code === CloseCode.GOING_AWAY) return CloseCode.NORMAL;
  return CloseCode.INTERNAL_ERROR_BROWSER;
}

/** The close code to send after `error` ended a connection on our side. */
export function closeCodeFor(error: unknown, whatwg = false): number {
  const code = closeCodeForError((error as Partial<E2E2Error> | undefined)?.code);
  return whatwg ? whatwgCloseCode(code) : code;
}

function closeCodeForError(code: string | undefined): number {
  switch (code) {
    case 'ERR_AUTHENTICATION_FAILED':
      return CloseCode.AUTHENTICATION_FAILED;
    case 'ERR_MALFORMED_MESSAGE':
    case 'ERR_LOW_ORDER_POINT':
    case 'ERR_SESSION_CLOSED':
      return CloseCode.PROTOCOL_VIOLATION;
    case 'ERR_MESSAGE_TOO_LARGE':
      return CloseCode.MESSAGE_TOO_BIG;
    case 'ERR_HANDSHAKE_TIMEOUT':
      return CloseCode.HANDSHAKE_TIMEOUT;
    case 'ERR_SERVER_BUSY':
      return CloseCode.SERVER_BUSY;
    case 'ERR_NONCE_EXHAUSTED':
      return CloseCode.SESSION_EXHAUSTED;
    case 'ERR_KEY_REVOKED':
      return CloseCode.KEY_REVOKED;
    case 'ERR_KEEPALIVE_TIMEOUT':
      return CloseCode.KEEPALIVE_TIMEOUT;
    case 'ERR_PQ_REQUIRED':
      return CloseCode.POST_QUANTUM_REQUIRED;
    default:
      return CloseCode.INTERNAL_ERROR;
  }
}

/**
 * The typed error a local caller sees when the peer closed with `code` (or the connection
 * dropped: 1006) without ending cleanly. Close frames are not authenticated, so this is a hint of
 * what the peer said, never a proof: a clean end is only the peer's CLOSE record.
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
    case CloseCode.KEY_REVOKED:
      return new KeyRevokedError('the server closed the channel: its API key was revoked', options);
    case CloseCode.POST_QUANTUM_REQUIRED:
      return new PostQuantumRequiredError('the server requires the post-quantum handshake: connect with postQuantum: true', options);
    case CloseCode.NORMAL:
    case CloseCode.GOING_AWAY:
    case CloseCode.SESSION_EXPIRED:
    case 1005:
      // A "clean" close frame without the peer's CLOSE record: the rest of the stream may be missing.
      if (during === 'session') {
        return new ConnectionClosedError(`the channel was truncated: the WebSocket closed (code ${code}) before the peer's CLOSE record`, {
          closeCode: code,
          closeReason: reason,
        });
      }
    // falls through
    default:
      return new ConnectionClosedError(`connection closed during the ${during} (code ${code}${reason ? `: ${reason}` : ''})`, {
        closeCode: code,
        closeReason: reason,
      });
  }
}
