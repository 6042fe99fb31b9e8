import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { NATS, PG_POOL } from '../common/tokens';
import { Public } from '../auth/auth';
import { RideCodeService } from '../ride-code/ride-code.service';
import { ConsentDirectory } from '../riders/consent-directory';

@ApiTags('operations')
@Public()
@Controller()
export class OpsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly rideCodes: RideCodeService,
    private readonly consents: ConsentDirectory,
  ) {}

  @Get('health')
  @ApiOkResponse({
    description:
      'Readiness: 200 when PostgreSQL and NATS answer, else 503. `consentDirectory` says whether ' +
      'the in-memory consent ids are still loading (taps are served meanwhile, a query each).',
  })
  async ready(@Res() res: Response): Promise<void> {
    const db = await this.pool
      .query('SELECT 1')
      .then(() => 'up')
      .catch(() => 'down');
    const nats = this.nc.isClosed()
      ? 'down'
      : this.nc.isDraining()
        ? 'draining'
        : this.nc.info
          ? 'up'
          : 'down';
    const ok = db === 'up' && nats === 'up';
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'unavailable',
      checks: { postgres: db, nats },
      consentDirectory: { loading: this.consents.isLoading, riders: this.consents.size },
    });
  }

  @Get('health/live')
  @ApiOkResponse({ description: 'Liveness: the process answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('.well-known/jwks.json')
  @ApiOkResponse({
    description: 'Public keys that verify ride codes, including rotated-out ones still in use',
  })
  jwks(): ReturnType<RideCodeService['jwks']> {
    return this.rideCodes.jwks();
  }
}
