import { bootstrapAuthority } from './app';
import { ConfigError, DEV_SECRETS, loadConfig, type AuthorityConfig } from './config';
import { createLogger } from './logger';

async function main(): Promise<void> {
  let config: AuthorityConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`health-authority: invalid configuration: ${err.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config);
  if (config.apiKey === DEV_SECRETS.AUTHORITY_API_KEY)
    logger.warn('AUTHORITY_API_KEY is the development default');
  const running = await bootstrapAuthority(config, logger);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void running.close().then(() => process.exit(0)));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `health-authority: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
