import type { INestApplication } from '@nestjs/common';
import {
  ApiProperty,
  ApiPropertyOptional,
  DocumentBuilder,
  SwaggerModule,
  getSchemaPath,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../common/errors';

/** The body of every HTTP error: one of the stable codes, and a message for people. */
export class ErrorResponseDto {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), description: 'Stable error code' })
  code!: ErrorCode;
  @ApiProperty({ description: 'What went wrong, for people; may change between versions' })
  message!: string;
  @ApiPropertyOptional({
    description: 'With 429 and some 503s: seconds to wait (also in the Retry-After header)',
  })
  retryAfterSeconds?: number;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** What a protected operation may answer before its handler runs. */
const GUARD_RESPONSES: Record<string, string> = {
  '401':
    'No bearer token, or one that is forged, expired, too old or for another audience (`UNAUTHENTICATED`)',
  '403': 'The token is valid, but its role or station may not do this (`FORBIDDEN`)',
  '429': 'Too many requests (`RATE_LIMITED`); retry after the seconds in `Retry-After`',
};

/**
 * The API's OpenAPI document. Every operation that needs a bearer token (the controllers say so
 * with @ApiBearerAuth, and a test checks that against the guard) documents the guard's 401, 403
 * and 429, and every operation documents the error body, so clients code against one shape.
 */
export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('One code to ride: fare-gate gateway')
      .setDescription(
        'Rider, operator and staff API. Gates speak gate protocol v1 on NATS (see README and the ' +
          'AsyncAPI document). Every error answers `ErrorResponse`.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { extraModels: [ErrorResponseDto] },
  );
  const error = { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) } } };
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const guarded = (op.security ?? []).some((s) => 'bearer' in s);
      if (guarded)
        for (const [status, description] of Object.entries(GUARD_RESPONSES))
          op.responses[status] ??= { description, content: error };
      for (const [status, response] of Object.entries(op.responses))
        if (/^[45]\d\d$/.test(status) && response && 'description' in response && !response.content)
          response.content = error;
      op.responses.default ??= { description: 'Any other error', content: error };
    }
  }
  return doc;
}
