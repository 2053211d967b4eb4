/**
 * The one error catalog of Ward. Every failure that crosses a process boundary (HTTP, the host
 * socket, the CLI's exit line and `-o json`) carries one of these codes. The HTTP status lives
 * here too, so the server maps errors in exactly one place.
 */
export const ERROR_CATALOG = {
  bad_request: { status: 400, message: 'the request is malformed' },
  invalid_name: { status: 400, message: 'the name is not valid' },
  invalid_attribute: { status: 400, message: 'an attribute value is not valid' },
  invalid_ssh_key: { status: 400, message: 'the SSH public key is not valid' },
  invalid_password: { status: 400, message: 'the password does not meet the policy' },
  reserved_id: { status: 400, message: 'the number is in a reserved system range' },
  duplicate_name: { status: 409, message: 'the name is already in use' },
  duplicate_id: { status: 409, message: 'the number is already in use' },
  duplicate_ssh_key: { status: 409, message: 'the SSH key or its tag is already present' },
  conflict: { status: 409, message: 'the change conflicts with the current state' },
  referenced: { status: 409, message: 'the entry is referenced and cannot be removed' },
  builtin: { status: 409, message: 'built-in entries cannot be changed this way' },
  not_found: { status: 404, message: 'no such entry' },
  unauthenticated: { status: 401, message: 'authentication is required' },
  auth_failed: { status: 401, message: 'the name or the credential is wrong' },
  token_invalid: { status: 401, message: 'the token is invalid, expired or revoked' },
  forbidden: { status: 403, message: 'you are not allowed to do this' },
  read_only_token: { status: 403, message: 'this token is read-only' },
  payload_too_large: { status: 413, message: 'the request body is too large' },
  unsupported_media_type: { status: 415, message: 'the request body must be JSON' },
  rate_limited: { status: 429, message: 'too many attempts; try again later' },
  internal: { status: 500, message: 'internal server error' },
  unavailable: { status: 503, message: 'the service is unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOG, value);
}

/** The JSON body of every error response of the REST API. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

export class WardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERROR_CATALOG[code].message);
    this.name = 'WardError';
    this.code = code;
  }
  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }
  toBody(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}
