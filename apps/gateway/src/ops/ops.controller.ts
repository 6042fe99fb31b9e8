import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { gateProtocolAsyncApi } from '@app/protocol';
import {
  CONSENT_DIRECTORY_STATUS,
  NATS,
  PG_POOL,
  type ConsentDirectoryStatus,
} from '../common/tokens';
import { Public } from '../auth/auth';
import { RideCodeService } from '../ride-code/ride-code.service';
import { JwksDto, LivenessDto, ReadinessDto } from './ops.dto';
import { ShutdownState } from './shutdown-state';

/** Built once: it depends only on the protocol library. */
const GATE_PROTOCOL_ASYNCAPI = gateProtocolAsyncApi();

@ApiTags('operations')
@Public()
@Controller()
export class OpsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly rideCodes: RideCodeService,
    @Inject(CONSENT_DIRECTORY_STATUS) private readonly consents: ConsentDirectoryStatus,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('health')
  @ApiOkResponse({
    type: ReadinessDto,
    description:
      'Readiness: 200 when PostgreSQL and NATS answer. `consentDirectory` says whether ' +
      'the in-memory consent ids are still loading (taps are served meanwhile, a query each).',
  })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description:
      'Not ready: PostgreSQL or NATS does not answer (`unavailable`), or the process is ' +
      'shutting down and finishing the taps in hand (`draining`)',
  })
  async ready(@Res() res: Response): Promise<void> {
    const db = await this.pool
      .query('SELECT 1')
      .then(() => 'up' as const)
      .catch(() => 'down' as const);
    const nats = this.nc.isClosed()
      ? 'down'
      : this.nc.isDraining()
        ? 'draining'
        : this.nc.info
          ? 'up'
          : 'down';
    const draining = this.shutdown.draining;
    const ok = !draining && db === 'up' && nats === 'up';
    const body: ReadinessDto = {
      status: draining ? 'draining' : ok ? 'ok' : 'unavailable',
      checks: { postgres: db, nats },
      consentDirectory: { loading: this.consents.isLoading, riders: this.consents.size },
    };
    res.status(ok ? 200 : 503).json(body);
  }

  @Get('health/live')
  @ApiOkResponse({ type: LivenessDto, description: 'Liveness: the process answers' })
  live(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('asyncapi.json')
  @ApiOkResponse({
    description:
      'The gate protocol on NATS (taps, scans, replies, gate commands) as an AsyncAPI 3.0 ' +
      'document, for gate and scanner vendors; the same as docs/asyncapi.json',
    schema: { type: 'object', additionalProperties: true },
  })
  asyncapi(): Record<string, unknown> {
    return GATE_PROTOCOL_ASYNCAPI;
  }

  @Get('.well-known/jwks.json')
  @ApiOkResponse({
    type: JwksDto,
    description: 'Public keys that verify ride codes, including rotated-out ones still in use',
  })
  jwks(): ReturnType<RideCodeService['jwks']> {
    return this.rideCodes.jwks();
  }
}
