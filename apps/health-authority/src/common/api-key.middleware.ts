import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { AuthorityConfig } from '../config';
import { ApiError } from './errors';
import { AUTHORITY_CONFIG } from './tokens';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Every /v1 request must carry x-api-key. Compared in constant time over fixed-length digests. */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware {
  private readonly expected: Buffer;

  constructor(@Inject(AUTHORITY_CONFIG) config: AuthorityConfig) {
    this.expected = digest(config.apiKey);
  }

  use(req: Request, _res: Response, next: NextFunction): void {
    const given = req.headers['x-api-key'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), this.expected)) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'UNAUTHENTICATED',
        'x-api-key header is missing or wrong',
      );
    }
    next();
  }
}
