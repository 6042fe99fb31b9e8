import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import type { AccessVerifier } from '@app/access-token';
import { AuthGuard, CallerThrottlerGuard } from './auth/auth';
import type { LoadedKeySet } from '@app/ride-code';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { pgPool } from '@app/persistence';
import { AdmissionBatcher } from './admissions/admission.batcher';
import { AdmissionsRepository } from './admissions/admissions.repository';
import { MaintenanceService } from './admissions/maintenance.service';
import { Reconciler } from './broadcasts/reconciler';
import { RevocationsRepository } from './broadcasts/revocations.repository';
import { CardLookupService } from './cards/card-lookup.service';
import { CardRegistryController, RiderCardsController } from './cards/cards.controller';
import { CardsRepository } from './cards/cards.repository';
import { CardsService } from './cards/cards.service';
import { RiderFactsService } from './riders/rider-facts.service';
import { CheckpointService } from './gate/checkpoint.service';
import { ClearancesRepository } from './checkpoint/clearances.repository';
import { CheckinsController } from './checkins/checkins.controller';
import { CheckinsRepository } from './checkins/checkins.repository';
import { ExportService } from './checkins/export.service';
import { TraceService } from './checkins/trace.service';
import { PartitionsRepository } from './checkins/partitions.repository';
import { RetentionService } from './checkins/retention.service';
import type { Clock } from './common/clock';
import type { Logger } from './common/logger';
import {
  ACCESS_VERIFIER,
  CLOCK,
  CONFIG,
  LOGGER,
  NATS,
  PG_POOL,
  ADMISSIONS_POOL,
  ADMISSIONS_DATA_SOURCE,
  EXPORT_POOL,
  RIDE_CODE_KEYS,
  RULES_RELOADER,
  GATE_CLIENT,
  CONSENT_DIRECTORY_STATUS,
} from './common/tokens';
import type { GatewayConfig } from './config';
import type { GatewayDatabase } from './database';
import { GateClient } from './gate/gate.client';
import { GateController } from './gate/gate.controller';
import { GateService } from './gate/gate.service';
import { IdempotencyCache } from './gate/idempotency.cache';
import { IdLookupLimiter } from './id-lookups/id-lookup-limiter';
import { IdLookupsRepository } from './id-lookups/id-lookups.repository';
import { GatePipeline } from './gate/gate.pipeline';
import { TapService } from './gate/tap.service';
import { AuthorityClient } from './health-link/authority.client';
import { HealthStatusService } from './health-link/health-status.service';
import { Metrics } from './ops/metrics';
import { NetworkController } from './network/network.controller';
import { NetworkDirectory } from './network/network.directory';
import { NetworkRepository } from './network/network.repository';
import { NetworkService } from './network/network.service';
import { OpsController } from './ops/ops.controller';
import { nestLogParams } from './ops/http-log';
import { MetricSourcesWiring } from './metric-sources';
import { ShutdownState } from './ops/shutdown-state';
import { RideCodeService } from './ride-code/ride-code.service';
import { RidersController } from './riders/riders.controller';
import { ConsentDirectory } from './riders/consent-directory';
import { RidersRepository } from './riders/riders.repository';
import { RidersService } from './riders/riders.service';
import { IdentityProofs } from './riders/identity-proofs';
import { RulesRepository } from './rules/rules.repository';
import { RulesService } from './rules/rules.service';
import { AuditRepository } from './staff/audit.repository';
import { StaffAuditService } from './staff/audit.service';
import { StaffDeskController } from './staff/desk.controller';
import { StationFeedController } from './feed/feed.controller';
import { StationFeed } from './feed/station-feed.service';
import { DeskService } from './staff/desk.service';
import { GATE_ACK_TIMEOUT_MS, GateCommandService } from './staff/gate-command.service';
import { IdLookupService } from './staff/id-lookup.service';
import { PassesRepository } from './staff/passes.repository';
import { VerifyService } from './staff/verify.service';
import { VerificationLog } from './staff/verification-log.service';
import { VerificationsRepository } from './staff/verifications.repository';
import { RulesController } from './rules/rules.controller';
import { RulePreviewService } from './rules/rule-preview.service';
import { RuleQueryService } from './rules/rule-query.service';
import { RuleScheduleService } from './rules/rule-schedule.service';
import { RuleShadowService } from './rules/rule-shadow.service';
import { ShadowCountsRepository } from './rules/shadow-counts.repository';

/** What the module is built from: resources opened (and later closed) by the bootstrap. */
export interface GatewayResources {
  config: GatewayConfig;
  clock: Clock;
  logger: Logger;
  db: GatewayDatabase;
  nats: NatsConnection;
  rideCodeKeys: LoadedKeySet;
  accessVerifier: AccessVerifier;
}

@Module({})
export class GatewayModule {
  static create(r: GatewayResources): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        LoggerModule.forRoot(nestLogParams(r.logger)),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: r.config.riderRequestsPerMinute }],
          errorMessage: `too many requests: at most ${r.config.riderRequestsPerMinute} a minute; retry after the seconds in Retry-After`,
        }),
      ],
      controllers: [
        RidersController,
        OpsController,
        CheckinsController,
        RulesController,
        NetworkController,
        RiderCardsController,
        CardRegistryController,
        StaffDeskController,
        StationFeedController,
        GateController,
      ],
      providers: [
        { provide: CONFIG, useValue: r.config },
        { provide: CLOCK, useValue: r.clock },
        { provide: LOGGER, useValue: r.logger },
        { provide: DataSource, useValue: r.db.general },
        { provide: ADMISSIONS_DATA_SOURCE, useValue: r.db.admissions },
        { provide: PG_POOL, useValue: pgPool(r.db.general) },
        { provide: ADMISSIONS_POOL, useValue: pgPool(r.db.admissions) },
        { provide: EXPORT_POOL, useValue: pgPool(r.db.exports) },
        { provide: NATS, useValue: r.nats },
        { provide: GATE_CLIENT, useValue: new GateClient(r.nats, GATE_ACK_TIMEOUT_MS) },
        { provide: RIDE_CODE_KEYS, useValue: r.rideCodeKeys },
        { provide: ACCESS_VERIFIER, useValue: r.accessVerifier },
        { provide: APP_GUARD, useClass: AuthGuard },
        CallerThrottlerGuard,
        Metrics,
        NetworkRepository,
        NetworkDirectory,
        NetworkService,
        RulesRepository,
        RulesService,
        { provide: RULES_RELOADER, useExisting: RulesService },
        RuleScheduleService,
        RuleQueryService,
        RulePreviewService,
        ShadowCountsRepository,
        RuleShadowService,
        RidersRepository,
        RidersService,
        IdentityProofs,
        RideCodeService,
        AuthorityClient,
        HealthStatusService,
        AdmissionsRepository,
        AdmissionBatcher,
        MaintenanceService,
        PartitionsRepository,
        RetentionService,
        CheckinsRepository,
        ExportService,
        TraceService,
        IdempotencyCache,
        CardsRepository,
        CardsService,
        RiderFactsService,
        ConsentDirectory,
        { provide: CONSENT_DIRECTORY_STATUS, useExisting: ConsentDirectory },
        CardLookupService,
        ClearancesRepository,
        CheckpointService,
        PassesRepository,
        AuditRepository,
        StaffAuditService,
        VerificationsRepository,
        VerificationLog,
        VerifyService,
        DeskService,
        GateCommandService,
        IdLookupService,
        IdLookupsRepository,
        IdLookupLimiter,
        RevocationsRepository,
        Reconciler,
        GatePipeline,
        TapService,
        StationFeed,
        GateService,
        MetricSourcesWiring,
        ShutdownState,
      ],
    };
  }
}
