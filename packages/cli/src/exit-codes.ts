/**
 * The exit status of `ward`, derived in one table from the error codes of the proto catalog, so a
 * script can branch on the kind of failure without parsing the message. Every code of the catalog
 * appears here; the compiler refuses a catalog change that forgets this table.
 */
import type { ErrorCode } from '@ward/proto';

export const EXIT = {
  ok: 0,
  /** Server or transport failure, or anything without a better class. */
  failure: 1,
  /** Usage error or bad input, found locally or by the server. Nothing was changed. */
  usage: 2,
  /** No token, an expired, revoked or forged one, or a wrong name or password. */
  auth: 3,
  notFound: 4,
  /** Authenticated but not allowed (including a write with a read-only token). */
  forbidden: 5,
  /** The change conflicts with what exists: a taken name, number or key tag, a referenced or built-in entry. */
  conflict: 6,
} as const;

export const EXIT_FOR_ERROR: Record<ErrorCode, number> = {
  bad_request: EXIT.usage,
  invalid_name: EXIT.usage,
  invalid_attribute: EXIT.usage,
  invalid_ssh_key: EXIT.usage,
  invalid_password: EXIT.usage,
  reserved_id: EXIT.usage,
  payload_too_large: EXIT.usage,
  unsupported_media_type: EXIT.usage,
  duplicate_name: EXIT.conflict,
  duplicate_id: EXIT.conflict,
  duplicate_ssh_key: EXIT.conflict,
  conflict: EXIT.conflict,
  referenced: EXIT.conflict,
  builtin: EXIT.conflict,
  not_found: EXIT.notFound,
  unauthenticated: EXIT.auth,
  auth_failed: EXIT.auth,
  token_invalid: EXIT.auth,
  forbidden: EXIT.forbidden,
  read_only_token: EXIT.forbidden,
  rate_limited: EXIT.failure,
  internal: EXIT.failure,
  unavailable: EXIT.failure,
};
