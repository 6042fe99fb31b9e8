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
import { ApiKeyMiddleware } from './common/api-key.middleware';
import { ErrorFilter } from './common/error.filter';
import { AUTHORITY_CONFIG, LOGGER } from './common/tokens';
import { validationPipe } from './common/validation';
import { ConsentStore } from './consents/consent-store';
import { ConsentsController } from './consents/consents.controller';
import { ConsentsService } from './consents/consents.service';
import { FaultsController } from './faults/faults.controller';
import { FaultsService } from './faults/faults.service';
import { HealthController } from './health/health.controller';
import { StatusNotifier } from './notify/status-notifier';
import { PersonStore } from './persons/person-store';
import { PersonsController } from './persons/persons.controller';
import { PersonsService } from './persons/persons.service';

@Module({})
export class AppModule implements NestModule {
  /** Config and logger come in as values so tests can start several instances in one process. */
  static forRoot(config: AuthorityConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, PersonsController, ConsentsController, FaultsController],
      providers: [
        { provide: AUTHORITY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_PIPE, useFactory: validationPipe },
        PersonStore,
        ConsentStore,
        StatusNotifier,
        FaultsService,
        PersonsService,
        ConsentsService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ApiKeyMiddleware).forRoutes({ path: 'v1/*path', method: RequestMethod.ALL });
  }
}
