import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { Logger } from 'pino';
import type { AuthorityConfig } from './config';
import { ClockController } from './clock/clock.controller';
import {
  HealthCodesController,
  NucleicAcidCodesController,
  OfflineCodesController,
  RelativeCodesController,
} from './codes/codes.controller';
import { CodesService } from './codes/codes.service';
import {
  HealthCodeStore,
  NucleicAcidCodeStore,
  OfflineCodeStore,
  RelativeCodeStore,
} from './codes/code-store';
import { AuthorityClock, systemClock, type Clock } from './common/clock';
import { ApiKeyMiddleware } from './common/api-key.middleware';
import { BulkController } from './bulk/bulk.controller';
import { ErrorFilter } from './common/error.filter';
import { AUTHORITY_CONFIG, LOGGER } from './common/tokens';
import { validationPipe } from './common/validation';
import { ConsentStore } from './consents/consent-store';
import { ConsentsController } from './consents/consents.controller';
import { ConsentsService } from './consents/consents.service';
import { FaultsController } from './faults/faults.controller';
import { FaultsService } from './faults/faults.service';
import { HealthController } from './health/health.controller';
import { LookupsController } from './lookups/lookups.controller';
import { LookupsService } from './lookups/lookups.service';
import { StatusNotifier } from './notify/status-notifier';
import { PersonStore } from './persons/person-store';
import { PersonsController } from './persons/persons.controller';
import { PersonsService } from './persons/persons.service';
import { GrantStore } from './sign-in/grant-store';
import { GrantsController, SignInPageController } from './sign-in/sign-in.controller';
import { SignInService } from './sign-in/sign-in.service';

@Module({})
export class AppModule implements NestModule {
  /** Config, logger and clock come in as values so tests can start several instances in one process. */
  static forRoot(
    config: AuthorityConfig,
    logger: Logger,
    clock: Clock = systemClock,
  ): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        HealthController,
        PersonsController,
        ConsentsController,
        FaultsController,
        BulkController,
        ClockController,
        OfflineCodesController,
        RelativeCodesController,
        NucleicAcidCodesController,
        HealthCodesController,
        LookupsController,
        SignInPageController,
        GrantsController,
      ],
      providers: [
        { provide: AUTHORITY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: AuthorityClock, useValue: new AuthorityClock(clock) },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_PIPE, useFactory: validationPipe },
        PersonStore,
        ConsentStore,
        StatusNotifier,
        FaultsService,
        PersonsService,
        ConsentsService,
        OfflineCodeStore,
        NucleicAcidCodeStore,
        RelativeCodeStore,
        HealthCodeStore,
        CodesService,
        LookupsService,
        GrantStore,
        SignInService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ApiKeyMiddleware).forRoutes({ path: 'v1/*path', method: RequestMethod.ALL });
  }
}
