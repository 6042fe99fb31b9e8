import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { ApiKeyCheck } from './common/api-key.middleware';
import type { Clock } from './common/clock';
import type { AuthorityConfig } from './config';
import { createLogger, PinoNestLogger } from './logger';
import { ConsentsService } from './consents/consents.service';
import { LeanBatchRoute } from './consents/lean-batch.route';
import { StatusNotifier } from './notify/status-notifier';

export interface RunningAuthority {
  app: NestExpressApplication;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:3100 */
  url: string;
  close(): Promise<void>;
}

/** How long startup waits for NATS before serving HTTP anyway (it keeps retrying behind). */
const NATS_STARTUP_WAIT_MS = 2000;

/** Logs the route pattern, never the URL: paths can carry an ID number. */
function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? '(unmatched)';
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(
        { method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    next();
  };
}

function urlOf(host: string, port: number): string {
  const dialable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${dialable.includes(':') ? `[${dialable}]` : dialable}:${port}`;
}

export interface AuthorityOptions {
  /** The base clock for ages and code validity (default: the system clock). */
  clock?: Clock;
  /** false: batch status reads go through Nest like every other route (to compare the two). */
  leanBatchRoute?: boolean;
}

/** Creates, starts and listens the authority; port 0 picks a free port (see `url`). */
export async function bootstrapAuthority(
  config: AuthorityConfig,
  logger: Logger = createLogger(config),
  opts: AuthorityOptions = {},
): Promise<RunningAuthority> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, logger, opts.clock),
    { logger: new PinoNestLogger(logger), forceCloseConnections: true },
  );
  app.disable('x-powered-by');
  app.use(requestLog(logger));

  const docs = new DocumentBuilder()
    .setTitle('Health authority stand-in (随申码)')
    .setDescription(
      "Person administration, consent-scoped status reads, offline/relatives'/nucleic-acid codes, " +
        'lookups, fault injection and a settable clock. /v1 needs x-api-key.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, docs));

  if (opts.leanBatchRoute !== false)
    new LeanBatchRoute(app.get(ConsentsService), new ApiKeyCheck(config.apiKey), logger).install(
      app.getHttpServer(),
    );

  await app.get(StatusNotifier).start(NATS_STARTUP_WAIT_MS);
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = urlOf(config.host, port);
  logger.info({ url }, 'health authority listening');

  let closing: Promise<void> | undefined;
  return { app, url, close: () => (closing ??= app.close()) };
}
