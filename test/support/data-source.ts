import { GatewayDataSource } from '@app/persistence';
import { testDatabaseUrl } from './db';

/** The gateway's DataSource configuration on the test database, for repository tests. */
export async function testDataSource(url = testDatabaseUrl(), max = 2): Promise<GatewayDataSource> {
  const ds = new GatewayDataSource(url, {
    max,
    statementTimeoutMs: 10_000,
    connectionTimeoutMs: 5_000,
    onConnectionError: () => undefined,
  });
  return ds.initialize();
}
