import { randomBytes, randomInt } from 'node:crypto';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/gateway_test';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** The database tests use. Throws unless its name ends in `_test`: tests never touch a real one. */
export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  const name = databaseName(url);
  if (!name.endsWith('_test')) {
    throw new Error(
      `Refusing to run tests against database "${name}" (TEST_DATABASE_URL): ` +
        'its name must end in _test, because tests create and delete data.',
    );
  }
  return url;
}

export function testNatsUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.NATS_URL || DEFAULT_NATS_URL;
}

export function databaseName(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Not a database URL: "${url}"`);
  }
  return decodeURIComponent(parsed.pathname.replace(/^\//, ''));
}

/** The same server's `postgres` maintenance database, for CREATE DATABASE. */
export function maintenanceUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

/** A short random id matching ^[A-Za-z0-9_-]{1,32}$, e.g. `S-k3J9x_Qa2Lw`. */
export function uniqueId(prefix = 'id'): string {
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(prefix)) {
    throw new Error(`uniqueId prefix must match ^[A-Za-z0-9_-]{1,20}$, got "${prefix}"`);
  }
  return `${prefix}-${randomBytes(8).toString('base64url')}`;
}

// Shanghai district division codes: the first six digits of a resident ID number.
const SHANGHAI_DIVISIONS = ['310101', '310104', '310105', '310106', '310107', '310109', '310115'];
const CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/**
 * A random, well-formed resident ID number (GB 11643 layout and ISO 7064 check character):
 * ^[0-9]{17}[0-9X]$. The birth date is random within `birthYear` (default 1950..2010).
 */
export function randomIdNumber(options: { birthYear?: number } = {}): string {
  const year = options.birthYear ?? randomInt(1950, 2011);
  if (!Number.isInteger(year) || year < 1900 || year > 2099) {
    throw new Error(`randomIdNumber birthYear must be 1900..2099, got ${year}`);
  }
  const start = Date.UTC(year, 0, 1);
  const days = Math.round((Date.UTC(year + 1, 0, 1) - start) / 86_400_000);
  const birth = new Date(start + randomInt(days) * 86_400_000).toISOString().slice(0, 10);
  const body =
    SHANGHAI_DIVISIONS[randomInt(SHANGHAI_DIVISIONS.length)] +
    birth.replace(/-/g, '') +
    String(randomInt(1000)).padStart(3, '0');
  const sum = [...body].reduce((acc, digit, i) => acc + Number(digit) * CHECK_WEIGHTS[i], 0);
  return body + CHECK_CHARS[sum % 11];
}
