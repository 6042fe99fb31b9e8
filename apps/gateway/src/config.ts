import { DEV_ISSUER } from '@app/access-token';

/** Environment -> typed config, validated once at boot; the first bad value stops the process. */
export interface GatewayConfig {
  /** NODE_ENV=production: development defaults are refused at boot (see productionRefusals). */
  production: boolean;
  host: string;
  port: number;
  /** The admin listener (Prometheus /metrics), apart from the public API. */
  adminHost: string;
  /** 0 takes a free port (tests); never the API's port. */
  adminPort: number;
  databaseUrl: string;
  natsUrl: string;
  /** NATS credentials beyond a user and password in NATS_URL, and TLS (see nats-auth.ts). */
  natsSecurity: NatsSecurity;
  /**
   * Which reply subjects a tap or scan is answered on: `any-inbox` (`_INBOX.`), or
   * `device-inbox` (`_INBOX.<stationId>.<deviceId>.`, where devices have their own credentials).
   */
  gateReplyInbox: 'any-inbox' | 'device-inbox';
  authorityUrl: string;
  authorityApiKey: string;
  /** Where a rider's browser reaches the authority's sign-in page (AUTHORITY_URL by default). */
  authorityPublicUrl: string;
  /**
   * Where the authority sends the rider back after sign-in: the rider screen, as registered
   * with the authority. Null: this gateway's own /console/rider.html on its listening port.
   */
  riderRedirectUri: string | null;
  idHashKey: string;
  /** During a key rotation: riders hashed under the old key are still found, then re-hashed. */
  idHashKeyPrevious: string | null;
  rideCodeKeysFile: string;
  rideCodeIssuer: string;
  rideCodeTtlSeconds: number;
  rideCodeLeewaySeconds: number;
  /** Threads that check ride-code signatures for bursts; 0 checks them all on the main thread. */
  rideCodeVerifyThreads: number;
  healthCacheTtlMs: number;
  /** Last-known statuses kept for the operator's cached fallback; 0 keeps none. */
  healthLastKnownMax: number;
  /** Statuses read when a ride code was asked for, kept for its taps; 0 turns warm taps off. */
  healthWarmMax: number;
  /** Riders whose consent id is kept in memory (about 200 bytes each). */
  consentCacheMax: number;
  antiPassbackMinutes: number;
  idempotencyWindowMinutes: number;
  checkInBatchMax: number;
  checkInBatchWindowMs: number;
  /**
   * A tap is answered within this of its arrival, whatever does not answer behind it: the health
   * lookup and the check-in commit use what is left of it.
   */
  tapDeadlineMs: number;
  /** Taps waiting for a check-in batch; beyond, a tap is answered at once. */
  admissionQueueMax: number;
  shutdownGraceMs: number;
  /** V8 lets the old generation grow to 1 + this/100 times the live heap; 0 keeps V8's own. */
  heapGrowthPercent: number;
  logLevel: string;
  runMigrations: boolean;
  accessKeysFile: string;
  accessIssuer: string;
  /** Bearer tokens with a longer lifetime (exp - iat), or older than this, are refused. */
  accessTokenMaxAgeSeconds: number;
  riderRequestsPerMinute: number;
  /** A trace export ends this long after its request arrived, whether or not it was read. */
  exportDeadlineMs: number;
  /** Exports streaming at once per instance, each on a connection of its own; more get 503. */
  exportConnections: number;
  /**
   * How often every instance reads rule changes and revocations from PostgreSQL, whatever
   * the broadcasts said: the bound on how late a missed broadcast's change arrives.
   */
  reconcileIntervalMs: number;
  /** Status lookups by ID number a staff member may make per minute. */
  idLookupsPerMinute: number;
  /** ID-card (and other by-number) reads a checkpoint device may make per minute. */
  idScansPerMinute: number;
  /** The same over all of a station's devices together. */
  idScansPerMinutePerStation: number;
  /** Staff consoles that may follow one station's feed at once on one instance. */
  feedStreamsPerStation: number;
  /** Check-ins older than this many days are purged (whole day partitions are dropped). */
  retentionDays: number;
  /** How often partitions are created ahead and expired ones dropped. */
  checkInMaintenanceIntervalMs: number;
  /** Daily partitions are kept ready for today and this many days ahead (Asia/Shanghai days). */
  checkInPartitionsAheadDays: number;
}

export class ConfigError extends Error {}

/** How the gateway proves itself to NATS, and how it checks NATS; files are read at boot. */
export interface NatsSecurity {
  /** A `.creds` file (user JWT and NKey seed), as `nsc` writes them for operator/JWT accounts. */
  credsFile: string | null;
  /** A file holding a user NKey seed (`SU…`), for servers that list users by NKey. */
  nkeySeedFile: string | null;
  /** TLS: the CA to trust, and a client certificate and key where the server asks for one. */
  tls: { caFile: string | null; certFile: string | null; keyFile: string | null } | null;
}

/** NATS_CREDS_FILE, NATS_NKEY_SEED_FILE, NATS_TLS_*: one way to authenticate, a whole key pair. */
function natsSecurity(env: Env, natsUrl: string): NatsSecurity {
  const credsFile = env.NATS_CREDS_FILE || null;
  const nkeySeedFile = env.NATS_NKEY_SEED_FILE || null;
  if (credsFile !== null && nkeySeedFile !== null)
    throw new ConfigError('set one of NATS_CREDS_FILE and NATS_NKEY_SEED_FILE, not both');
  if ((credsFile !== null || nkeySeedFile !== null) && /:\/\/[^/]*@/.test(natsUrl))
    throw new ConfigError(
      'NATS_URL carries a user and password and NATS_CREDS_FILE or NATS_NKEY_SEED_FILE is set: use one way to authenticate',
    );
  const caFile = env.NATS_TLS_CA_FILE || null;
  const certFile = env.NATS_TLS_CERT_FILE || null;
  const keyFile = env.NATS_TLS_KEY_FILE || null;
  if ((certFile === null) !== (keyFile === null))
    throw new ConfigError(
      'NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together: set both or neither',
    );
  const tls =
    caFile !== null ||
    certFile !== null ||
    natsUrl.split(',').some((u) => u.trim().startsWith('tls:'))
      ? { caFile, certFile, keyFile }
      : null;
  return { credsFile, nkeySeedFile, tls };
}

type Env = Record<string, string | undefined>;

/**
 * The development defaults: what the gateway falls back to outside production, and what
 * production refuses by name even when it is set explicitly.
 */
export const DEV_DEFAULTS = {
  AUTHORITY_API_KEY: 'dev-authority-key',
  ID_HASH_KEY: 'dev-only-id-hash-key-change-me',
  ACCESS_ISSUER: DEV_ISSUER,
  /** Where `npm start` writes its development keys. */
  RIDE_CODE_KEYS_FILE: '.data/keys/ride-code-keys.json',
  ACCESS_KEYS_FILE: '.data/keys/access-keys.json',
} as const;

/** Secrets shorter than this are refused in production. */
const MIN_SECRET_LENGTH = 16;

/** Every secret value the project ships for development, whatever variable it turns up in. */
const DEV_SECRETS: ReadonlySet<string> = new Set([
  DEV_DEFAULTS.AUTHORITY_API_KEY,
  DEV_DEFAULTS.ID_HASH_KEY,
  'dev-authority-admin-key',
]);

/**
 * Every development default the environment would leave a production gateway with, each named.
 * Key files are checked by content too, once read (productionKeyFileRefusals).
 */
export function productionRefusals(env: Env): string[] {
  const refusals: string[] = [];
  for (const name of ['AUTHORITY_API_KEY', 'ID_HASH_KEY', 'ID_HASH_KEY_PREVIOUS'] as const) {
    const v = env[name];
    if (!v) {
      if (name !== 'ID_HASH_KEY_PREVIOUS')
        refusals.push(`${name} must be set (its development default is refused)`);
    } else if (DEV_SECRETS.has(v)) refusals.push(`${name} is a development default ("${v}")`);
    else if (v.length < MIN_SECRET_LENGTH)
      refusals.push(`${name} must be a secret of at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (!env.ACCESS_ISSUER)
    refusals.push(`ACCESS_ISSUER must be set (the development issuer "${DEV_ISSUER}" is refused)`);
  else if (env.ACCESS_ISSUER === DEV_ISSUER)
    refusals.push(`ACCESS_ISSUER is the development issuer ("${DEV_ISSUER}")`);
  for (const name of ['RIDE_CODE_KEYS_FILE', 'ACCESS_KEYS_FILE'] as const) {
    const v = env[name];
    if (!v)
      refusals.push(
        `${name} must be set (npm start writes development keys to ${DEV_DEFAULTS[name]})`,
      );
    else if (v.replace(/^\.\//, '') === DEV_DEFAULTS[name])
      refusals.push(`${name} is where npm start writes development keys (${v})`);
  }
  return refusals;
}

/** A key file as read from disk: only the parts the production check looks at. */
interface KeyFileContent {
  environment?: string;
  keys?: object[];
}

/**
 * Key files by content: whatever their path, the files `npm run keys` makes for development
 * carry `"environment": "development"` (or, from older versions, nothing), and an access key
 * file with a private part is a development identity provider.
 */
export function productionKeyFileRefusals(
  rideCodeKeys: { file: string; content: KeyFileContent },
  accessKeys: { file: string; content: KeyFileContent },
): string[] {
  const refusals: string[] = [];
  if (rideCodeKeys.content.environment !== 'production')
    refusals.push(
      `RIDE_CODE_KEYS_FILE (${rideCodeKeys.file}) is a development key set` +
        ` (environment "${rideCodeKeys.content.environment ?? 'unmarked'}"); make production keys with NODE_ENV=production npm run keys -- init`,
    );
  if (accessKeys.content.environment === 'development')
    refusals.push(
      `ACCESS_KEYS_FILE (${accessKeys.file}) is the development identity provider's key (npm start makes it)`,
    );
  if ((accessKeys.content.keys ?? []).some((k) => 'd' in k))
    refusals.push(
      `ACCESS_KEYS_FILE (${accessKeys.file}) holds a private signing key: production verifies the identity provider's public keys only`,
    );
  return refusals;
}

/** One error naming every development default, so an operator fixes them all in one go. */
export function refuseDevelopmentDefaults(refusals: string[]): void {
  if (refusals.length > 0)
    throw new ConfigError(
      `NODE_ENV=production refuses development defaults: ${refusals.join('; ')}`,
    );
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

/** One of the listed values; the first is the default. */
function oneOf<T extends string>(env: Env, name: string, values: readonly [T, ...T[]]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return values[0];
  if (!(values as readonly string[]).includes(raw))
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function url(env: Env, name: string, def: string, protocols: string[]): string {
  const raw = env[name] || def;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** A comma-separated list, as for a NATS cluster's seed servers; each entry must be a URL. */
function urlList(env: Env, name: string, def: string, protocols: string[]): string {
  const raw = env[name] || def;
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') throw new ConfigError(`${name} has an empty entry: "${raw}"`);
    url({ [name]: entry.trim() }, name, def, protocols);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  if (production) refuseDevelopmentDefaults(productionRefusals(env));
  const idHashKey = env.ID_HASH_KEY || DEV_DEFAULTS.ID_HASH_KEY;
  if (idHashKey.length < 16) {
    throw new ConfigError(
      'ID_HASH_KEY must be set to a secret of at least 16 characters (required in production)',
    );
  }
  const idHashKeyPrevious = env.ID_HASH_KEY_PREVIOUS || null;
  if (idHashKeyPrevious !== null && idHashKeyPrevious.length < 16) {
    throw new ConfigError('ID_HASH_KEY_PREVIOUS, when set, must be at least 16 characters');
  }
  // warn: at info every tap writes a line, which cost 17-36 µs of the gateway's CPU per tap in the
  // benchmark (about a tenth of it at 256 in flight); see README, "Log level".
  const logLevel = env.LOG_LEVEL || 'warn';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`,
    );
  }
  const port = int(env, 'PORT', 3000, 0, 65535);
  const adminPort = int(env, 'ADMIN_PORT', 9464, 0, 65535);
  if (adminPort !== 0 && adminPort === port)
    throw new ConfigError(
      `ADMIN_PORT must differ from PORT (${port}): metrics stay off the public API port`,
    );
  return {
    production,
    host: env.HOST || '127.0.0.1',
    port,
    adminHost: env.ADMIN_HOST || '127.0.0.1',
    adminPort,
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/gateway', [
      'postgres:',
      'postgresql:',
    ]),
    natsUrl: urlList(env, 'NATS_URL', 'nats://127.0.0.1:4222', ['nats:', 'tls:']),
    natsSecurity: natsSecurity(env, env.NATS_URL || ''),
    gateReplyInbox: oneOf(env, 'GATE_REPLY_INBOX', ['any-inbox', 'device-inbox'] as const),
    authorityUrl: url(env, 'AUTHORITY_URL', 'http://127.0.0.1:3100', ['http:', 'https:']),
    authorityApiKey: env.AUTHORITY_API_KEY || DEV_DEFAULTS.AUTHORITY_API_KEY,
    authorityPublicUrl: url(
      env,
      'AUTHORITY_PUBLIC_URL',
      env.AUTHORITY_URL || 'http://127.0.0.1:3100',
      ['http:', 'https:'],
    ),
    riderRedirectUri: env.RIDER_REDIRECT_URI
      ? url(env, 'RIDER_REDIRECT_URI', '', ['http:', 'https:'])
      : null,
    idHashKey,
    idHashKeyPrevious,
    rideCodeKeysFile: env.RIDE_CODE_KEYS_FILE || DEV_DEFAULTS.RIDE_CODE_KEYS_FILE,
    rideCodeIssuer: env.RIDE_CODE_ISSUER || 'one-code-ride-gateway',
    rideCodeTtlSeconds: int(env, 'RIDE_CODE_TTL_SECONDS', 60, 5, 600),
    rideCodeLeewaySeconds: int(env, 'RIDE_CODE_LEEWAY_SECONDS', 2, 0, 30),
    rideCodeVerifyThreads: int(env, 'RIDE_CODE_VERIFY_THREADS', 1, 0, 16),
    healthCacheTtlMs: int(env, 'HEALTH_CACHE_TTL_MS', 10_000, 0, 300_000),
    healthLastKnownMax: int(env, 'HEALTH_LAST_KNOWN_MAX', 200_000, 0, 10_000_000),
    healthWarmMax: int(env, 'HEALTH_WARM_MAX', 200_000, 0, 10_000_000),
    consentCacheMax: int(env, 'CONSENT_CACHE_MAX', 1_000_000, 0, 50_000_000),
    antiPassbackMinutes: int(env, 'ANTI_PASSBACK_MINUTES', 240, 1, 24 * 60),
    idempotencyWindowMinutes: int(env, 'IDEMPOTENCY_WINDOW_MINUTES', 10, 1, 24 * 60),
    checkInBatchMax: int(env, 'CHECKIN_BATCH_MAX', 256, 1, 5000),
    checkInBatchWindowMs: int(env, 'CHECKIN_BATCH_WINDOW_MS', 0, 0, 100),
    tapDeadlineMs: int(env, 'TAP_DEADLINE_MS', 900, 100, 30_000),
    admissionQueueMax: int(env, 'ADMISSION_QUEUE_MAX', 4_096, 1, 1_000_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    heapGrowthPercent: int(env, 'HEAP_GROWTH_PERCENT', 50, 0, 300),
    logLevel,
    runMigrations: env.RUN_MIGRATIONS !== 'false',
    accessKeysFile: env.ACCESS_KEYS_FILE || DEV_DEFAULTS.ACCESS_KEYS_FILE,
    accessIssuer: env.ACCESS_ISSUER || DEV_DEFAULTS.ACCESS_ISSUER,
    accessTokenMaxAgeSeconds: int(env, 'ACCESS_TOKEN_MAX_AGE_SECONDS', 3600, 60, 12 * 3600),
    riderRequestsPerMinute: int(env, 'RIDER_REQUESTS_PER_MINUTE', 120, 1, 100_000),
    exportDeadlineMs: int(env, 'EXPORT_DEADLINE_MS', 60_000, 1_000, 3_600_000),
    exportConnections: int(env, 'EXPORT_CONNECTIONS', 2, 1, 16),
    reconcileIntervalMs: int(env, 'RECONCILE_INTERVAL_MS', 1_000, 100, 60_000),
    idLookupsPerMinute: int(env, 'ID_LOOKUPS_PER_MINUTE', 10, 1, 10_000),
    idScansPerMinute: int(env, 'ID_SCANS_PER_MINUTE', 30, 1, 10_000),
    idScansPerMinutePerStation: int(env, 'ID_SCANS_PER_MINUTE_PER_STATION', 300, 1, 100_000),
    feedStreamsPerStation: int(env, 'FEED_STREAMS_PER_STATION', 16, 1, 1000),
    retentionDays: int(env, 'RETENTION_DAYS', 28, 1, 3650),
    checkInMaintenanceIntervalMs: int(
      env,
      'CHECKIN_MAINTENANCE_INTERVAL_MS',
      3_600_000,
      100,
      86_400_000,
    ),
    checkInPartitionsAheadDays: int(env, 'CHECKIN_PARTITIONS_AHEAD_DAYS', 2, 0, 60),
  };
}
