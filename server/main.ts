import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`lazydb: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, log);
  } catch (error) {
    // A setting only checkable at start (LAZYDB_OIDC_ISSUERS) is reported like the others.
    if (error instanceof ConfigError) {
      process.stderr.write(`lazydb: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const stop = (signal: string) => {
    log.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`lazydb failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
