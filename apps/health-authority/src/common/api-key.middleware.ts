import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { AuthorityConfig } from '../config';
import { ApiError } from './errors';
import { AUTHORITY_CONFIG } from './tokens';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compared in constant time over fixed-length digests. */
export class ApiKeyCheck {
  private readonly expected: Buffer;

  constructor(apiKey: string) {
    this.expected = digest(apiKey);
  }

  matches(given: string | string[] | undefined): boolean {
    return typeof given === 'string' && timingSafeEqual(digest(given), this.expected);
  }
}

/** Every /v1 request must carry x-api-key. */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware {
  private readonly check: ApiKeyCheck;

  constructor(@Inject(AUTHORITY_CONFIG) config: AuthorityConfig) {
    this.check = new ApiKeyCheck(config.apiKey);
  }

  use(req: Request, _res: Response, next: NextFunction): void {
    if (!this.check.matches(req.headers['x-api-key'])) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'UNAUTHENTICATED',
        'x-api-key header is missing or wrong',
      );
    }
    next();
  }
}
