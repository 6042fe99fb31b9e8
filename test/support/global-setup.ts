import { connect } from 'nats';
import { Client } from 'pg';
import { databaseName, maintenanceUrl, testDatabaseUrl, testNatsUrl } from './db';
import { PrivateNats, natsServerBinary } from './nats-server';

/**
 * Jest globalSetup for the integration and e2e projects. Runs in the parent process before any
 * worker starts, so the environment set here is what the tests see.
 */
export default async function globalSetup(): Promise<void> {
  const url = testDatabaseUrl();
  await ensureDatabase(url);
  process.env.TEST_DATABASE_URL = url;
  process.env.DATABASE_URL = url;

  const natsUrl = (await privateNatsUrl()) ?? testNatsUrl();
  await checkNats(natsUrl);
  process.env.NATS_URL = natsUrl;
}

type WithNats = typeof globalThis & { __privateNats?: PrivateNats };

/**
 * Tests get a NATS server of their own when nats-server is installed, so a gateway a developer
 * has running in the `fare-gateway` queue group never answers a test's taps. TEST_NATS_URL
 * (or no local binary) uses a shared server instead.
 */
async function privateNatsUrl(): Promise<string | null> {
  if (process.env.TEST_NATS_URL) return process.env.TEST_NATS_URL;
  const g = globalThis as WithNats;
  if (!g.__privateNats && natsServerBinary()) g.__privateNats = await PrivateNats.start();
  return g.__privateNats?.url ?? null;
}

async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const client = new Client({
    connectionString: maintenanceUrl(url),
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable for TEST_DATABASE_URL (${redact(url)}): ${message(err)}. ` +
        'Run `npm run services` (or `npm test`, which does it).',
    );
  }
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name.replace(/"/g, '""')}"`).catch((err: unknown) => {
        // Another project's globalSetup may have created it a moment ago.
        if ((err as { code?: string }).code !== '42P04') throw err;
      });
    }
  } finally {
    await client.end();
  }
}

async function checkNats(url: string): Promise<void> {
  let nc;
  try {
    nc = await connect({ servers: url.split(','), timeout: 3000, maxReconnectAttempts: 0 });
  } catch (err) {
    throw new Error(
      `NATS is not reachable at NATS_URL (${url}): ${message(err)}. ` +
        'Run `npm run services` (or `npm test`, which does it).',
    );
  }
  try {
    await nc.jetstreamManager();
  } catch (err) {
    throw new Error(`NATS at ${url} has no JetStream (start it with -js): ${message(err)}`);
  } finally {
    await nc.close();
  }
}

const message = (err: unknown): string =>
  err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
const redact = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
