import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet, { type HelmetOptions } from 'helmet';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { runMigrations } from '@app/persistence';
import { GATEWAY_INBOX_PREFIX, GATEWAY_SERVICE, QUEUE_GROUP } from '@app/protocol';
import { loadKeySet, type KeySetFile, type LoadedKeySet } from '@app/ride-code';
import { accessVerifier, type AccessKeyFile, type AccessVerifier } from '@app/access-token';
import { GatewayModule } from './app.module';
import { systemClock, type Clock } from './common/clock';
import { HttpErrorFilter } from './common/http-error.filter';
import { createLogger, type Logger } from './common/logger';
import { openDatabase } from './database';
import { natsSecurityOptions } from './nats-auth';
import { GateTransport, inboxReplyPolicy } from './gate/gate.transport';
import { accessLog } from './ops/http-log';
import { Metrics } from './ops/metrics';
import { mountConsole } from './feed/console.static';
import { startAdminServer } from './ops/admin-server';
import { buildOpenApi } from './ops/openapi';
import { ShutdownState } from './ops/shutdown-state';
import { RideCodeService } from './ride-code/ride-code.service';
import { productionKeyFileRefusals, refuseDevelopmentDefaults, type GatewayConfig } from './config';

/**
 * helmet's defaults, except: no page may frame the API or its docs, and no upgrade of
 * plain-HTTP requests, since a gateway on a private network may rightly serve plain HTTP
 * behind its TLS terminator.
 */
const API_HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: true,
    directives: { 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': null },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
};

/** What `nats micro ls` shows as the service's version. */
const GATEWAY_VERSION = '1.1.0';

export interface GatewayOptions {
  clock?: Clock;
  logger?: Logger;
  /** Tests pass keys in; otherwise they are read from RIDE_CODE_KEYS_FILE. */
  rideCodeKeys?: LoadedKeySet;
  /** Tests pass a verifier in; otherwise public keys are read from ACCESS_KEYS_FILE. */
  accessVerifier?: AccessVerifier;
}

export interface RunningGateway {
  app: INestApplication;
  url: string;
  /** The admin port's base URL: GET /metrics. */
  adminUrl: string;
  nats: NatsConnection;
  /** The gate protocol's Nest transport: taps, scans and broadcasts. */
  gate: GateTransport;
  close(): Promise<void>;
}

async function readJson<T>(file: string, variable: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file} not found: run "npm run keys -- init" or set ${variable}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // JSON.parse quotes the text, and these files hold private keys: never repeat it.
    throw new Error(`${file} (${variable}) is not a JSON key file`);
  }
}

/**
 * nats.js ignores credentials in a server URL (and would misread `user:pass@` as a port), so
 * `nats://user:pass@host:port` is split into plain servers plus user and pass options.
 */
export function natsServers(url: string): { servers: string[]; user?: string; pass?: string } {
  let auth: { user: string; pass: string } | undefined;
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(s);
      if (!m) return s;
      const colon = m[2].indexOf(':');
      const user = colon < 0 ? m[2] : m[2].slice(0, colon);
      const pass = colon < 0 ? '' : m[2].slice(colon + 1);
      auth = { user: decodeURIComponent(user), pass: decodeURIComponent(pass) };
      return m[1] + m[3];
    });
  return { servers, ...auth };
}

/** Opens NATS so that it never gives up: the default is 10 reconnect attempts. */
export function connectNats(
  url: string,
  name: string,
  logger: Logger,
  security: Partial<ConnectionOptions> = {},
): Promise<NatsConnection> {
  const { servers, user, pass } = natsServers(url);
  logger.info({ url: servers.join(','), user }, 'connecting to NATS');
  return connect({
    servers,
    ...(user !== undefined ? { user, pass } : {}),
    name,
    // Its own inbox prefix, so its NATS user may read its replies and no device's.
    inboxPrefix: GATEWAY_INBOX_PREFIX,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
    ...security,
  });
}

export async function startGateway(
  config: GatewayConfig,
  opts: GatewayOptions = {},
): Promise<RunningGateway> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const rideCodeFile = opts.rideCodeKeys
    ? null
    : await readJson<KeySetFile>(config.rideCodeKeysFile, 'RIDE_CODE_KEYS_FILE');
  const accessFile = opts.accessVerifier
    ? null
    : await readJson<AccessKeyFile>(config.accessKeysFile, 'ACCESS_KEYS_FILE');
  // Before anything is touched: the environment was checked by loadConfig, the files are here.
  if (config.production)
    refuseDevelopmentDefaults(
      productionKeyFileRefusals(
        { file: config.rideCodeKeysFile, content: rideCodeFile ?? { environment: 'production' } },
        { file: config.accessKeysFile, content: accessFile ?? {} },
      ),
    );
  // NATS credential and TLS files are read and checked before anything is started.
  const natsSecurity = natsSecurityOptions(config.natsSecurity);
  if (config.runMigrations) {
    const applied = await runMigrations(config.databaseUrl);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  const rideCodeKeys = opts.rideCodeKeys ?? (await loadKeySet(rideCodeFile as KeySetFile));
  const verifier =
    opts.accessVerifier ?? (await accessVerifier(accessFile as AccessKeyFile, config.accessIssuer));
  const db = await openDatabase(config, logger);
  const nats = await connectNats(config.natsUrl, `gateway-${process.pid}`, logger, natsSecurity);

  const app = await NestFactory.create<NestExpressApplication>(
    GatewayModule.create({
      config,
      clock: opts.clock ?? systemClock,
      logger,
      db,
      nats,
      rideCodeKeys,
      accessVerifier: verifier,
    }),
    // Nest's own messages go to the gateway's pino, as JSON, once the logger module is up.
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(app.get(NestPinoLogger));
  app.use(accessLog(logger));
  // Security headers on every answer, no X-Powered-By; the consoles set a stricter CSP of their own.
  app.use(helmet(API_HELMET));
  app.useBodyParser('json', { limit: '16kb' });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter(logger));
  mountConsole(app, logger);
  const doc = buildOpenApi(app);
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs-json' });
  const metrics = app.get(Metrics);
  const gate = new GateTransport({
    nc: nats,
    log: logger,
    queue: QUEUE_GROUP,
    service: {
      name: GATEWAY_SERVICE,
      version: GATEWAY_VERSION,
      description: 'Gate protocol v1: taps and checkpoint scans',
    },
    replyPolicy: inboxReplyPolicy(config.gateReplyInbox, GATEWAY_INBOX_PREFIX),
    onRefusedReply: (subject, replyTo) => {
      metrics.refusedReplies.inc();
      logger.warn({ subject, replyTo }, 'reply refused: the reply subject is not an inbox');
    },
  });
  // A hybrid application: HTTP, and the gate protocol as a Nest microservice. Rules and keys
  // are loaded (init) before the first tap is taken.
  app.connectMicroservice({ strategy: gate });
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://${config.host}:${address.port}`;
  const rideCodes = app.get(RideCodeService);
  metrics.watch({
    tapsInFlight: () => gate.pending,
    verifyingThreads: () => rideCodes.verifyingThreadIds,
  });
  const admin = await startAdminServer(metrics.registry, config.adminHost, config.adminPort).catch(
    async (e: unknown) => {
      await app.close();
      throw e;
    },
  );
  logger.info({ url, adminUrl: admin.url }, 'gateway listening');

  let closed = false;
  return {
    app,
    url,
    adminUrl: admin.url,
    nats,
    gate,
    async close() {
      if (closed) return;
      closed = true;
      // Readiness answers 503 from here on, while the taps in hand are answered.
      app.get(ShutdownState).begin();
      await gate.close(); // no new taps; those in hand are answered
      await app.close();
      await admin.close();
      await nats.drain().catch(() => undefined);
      await db.close();
    },
  };
}
