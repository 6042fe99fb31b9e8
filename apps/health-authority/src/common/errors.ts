import { HttpException, HttpStatus } from '@nestjs/common';

/** Stable codes clients switch on; the message is for humans. */
export type ErrorCode =
  | 'MALFORMED_REQUEST'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'PERSON_NOT_FOUND'
  | 'PERSON_EXISTS'
  | 'CONSENT_NOT_FOUND'
  | 'INVALID_GRANT'
  | 'NOT_ELIGIBLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** An HTTP error that already carries its stable code. */
export class ApiError extends HttpException {
  constructor(status: HttpStatus, code: ErrorCode, message: string) {
    super({ code, message } satisfies ErrorBody, status);
  }
}

export const malformed = (message: string) =>
  new ApiError(HttpStatus.BAD_REQUEST, 'MALFORMED_REQUEST', message);

export const personNotFound = (message = 'no person with this idNumber') =>
  new ApiError(HttpStatus.NOT_FOUND, 'PERSON_NOT_FOUND', message);

/** 422: the person exists but the rules do not allow what was asked for them. */
export const notEligible = (message: string) =>
  new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'NOT_ELIGIBLE', message);
