/**
 * One place that builds the protocol's authentication failure, so every such failure (bad tag,
 * wrong API key, unknown key id, forged or wrong-session EAPI) has the same code AND the same
 * message. What actually failed is kept only in `cause` (for the local log, never for the peer).
 */
import { AuthenticationError } from '../errors.js';

export const AUTHENTICATION_FAILED_MESSAGE = 'authentication failed';

/** Why authentication failed: for the local log only. */
export interface AuthenticationFailureCause {
  /** Which check failed, e.g. 'message 1 payload', 'record', 'unknown key id', 'eapi signature'. */
  reason: string;
  /** The underlying error, when there is one (e.g. the AEAD's). */
  error?: unknown;
}

export function authenticationFailed(reason: string, error?: unknown): AuthenticationError {
  const cause: AuthenticationFailureCause = error === undefined ? { reason } : { reason, error };
  return new AuthenticationError(AUTHENTICATION_FAILED_MESSAGE, { cause });
}
