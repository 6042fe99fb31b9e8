/** Stable error codes; each edge (HTTP filter, NATS reply) translates them once. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  IDENTITY_PROOF_INVALID: 400,
  RULE_REFUSED: 400,
  NETWORK_REFUSED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  IDENTITY_MISMATCH: 403,
  CARD_NOT_YOURS: 403,
  RIDER_NOT_FOUND: 404,
  NOT_FOUND: 404,
  RIDER_EXISTS: 409,
  NOT_AUTHORIZED: 409,
  RULE_ALREADY_EFFECTIVE: 409,
  RULE_ALREADY_CANCELLED: 409,
  CARD_LINKED_ELSEWHERE: 409,
  CARD_BLOCKED: 409,
  TICKET_EXISTS: 409,
  LINE_EXISTS: 409,
  STATION_EXISTS: 409,
  NOT_ELIGIBLE: 422,
  CODE_INVALID: 422,
  CODE_EXPIRED: 422,
  VERIFICATION_NOT_FOUND: 404,
  VERIFICATION_NOT_PASSED: 422,
  VERIFICATION_EXPIRED: 422,
  VERIFICATION_OTHER_PERSON: 422,
  VERIFICATION_USED: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** A body in a charset or content-encoding the gateway does not read. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Any other refusal by the HTTP layer itself (a method or header it does not serve). */
  BAD_REQUEST: 400,
  RATE_LIMITED: 429,
  AUTHORITY_UNAVAILABLE: 503,
  CHECK_IN_UNAVAILABLE: 503,
  EXPORT_BUSY: 503,
  EXPORT_DEADLINE_EXCEEDED: 503,
  FEED_STREAMS_FULL: 429,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
