import type { Level } from 'pino';

export interface AuthorityConfig {
  port: number;
  host: string;
  natsUrl: string;
  apiKey: string;
  logLevel: Level | 'silent';
  /**
   * Where the metro app may be sent back after sign-in (its registered redirect URIs). A
   * loopback http URI matches on any port, as RFC 8252 7.3 asks of native apps' redirects.
   */
  redirectUris?: string[];
}

export const DEFAULT_REDIRECT_URIS = [
  'http://127.0.0.1:3000/console/rider.html',
  'http://localhost:3000/console/rider.html',
];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NATS_SCHEMES = new Set(['nats:', 'tls:', 'ws:', 'wss:']);

/** Thrown once at startup; the message names the variable and what it must be. */
export class ConfigError extends Error {}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535)
    throw new ConfigError(`${name} must be an integer 0..65535, got "${raw}"`);
  return n;
}

function natsUrl(raw: string): string {
  // nats.js accepts a comma-separated server list; each entry must be a URL it can dial.
  for (const entry of raw.split(',')) {
    let url: URL;
    try {
      url = new URL(entry.trim());
    } catch {
      throw new ConfigError(
        `NATS_URL must be nats://host:port (comma-separated for a cluster), got "${raw}"`,
      );
    }
    if (!NATS_SCHEMES.has(url.protocol))
      throw new ConfigError(`NATS_URL scheme must be nats, tls, ws or wss, got "${url.protocol}"`);
  }
  return raw;
}

/** The development default of each secret: used outside production, refused in it by name. */
export const DEV_SECRETS = { AUTHORITY_API_KEY: 'dev-authority-key' } as const;

/** What a production stand-in would be left with from development, each named. */
export function productionRefusals(env: NodeJS.ProcessEnv): string[] {
  const refusals: string[] = [];
  for (const [name, dev] of Object.entries(DEV_SECRETS)) {
    const v = env[name];
    if (!v) refusals.push(`${name} must be set (its development default is refused)`);
    else if (v === dev) refusals.push(`${name} is a development default ("${dev}")`);
  }
  return refusals;
}

function redirectUris(raw: string | undefined): string[] {
  if (!raw) return DEFAULT_REDIRECT_URIS;
  return raw.split(',').map((entry) => {
    const uri = entry.trim();
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new ConfigError(`AUTHORITY_REDIRECT_URIS has an entry that is not a URL: "${uri}"`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.hash !== '')
      throw new ConfigError(`AUTHORITY_REDIRECT_URIS entries must be http(s) without a fragment`);
    return uri;
  });
}

/** Reads and validates the environment once; throws ConfigError on the first bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AuthorityConfig {
  if (env.NODE_ENV === 'production') {
    const refusals = productionRefusals(env);
    if (refusals.length > 0)
      throw new ConfigError(
        `NODE_ENV=production refuses development defaults: ${refusals.join('; ')}`,
      );
  }
  const host = env.AUTHORITY_HOST || '127.0.0.1';
  if (/\s/.test(host))
    throw new ConfigError(`AUTHORITY_HOST must be a host name or address, got "${host}"`);
  const apiKey = env.AUTHORITY_API_KEY ?? DEV_SECRETS.AUTHORITY_API_KEY;
  if (apiKey.length < 8 || /\s/.test(apiKey)) {
    throw new ConfigError('AUTHORITY_API_KEY must be at least 8 characters with no whitespace');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    port: port(env, 'AUTHORITY_PORT', 3100),
    host,
    natsUrl: natsUrl(env.NATS_URL || 'nats://127.0.0.1:4222'),
    apiKey,
    logLevel: logLevel as AuthorityConfig['logLevel'],
    redirectUris: redirectUris(env.AUTHORITY_REDIRECT_URIS),
  };
}
