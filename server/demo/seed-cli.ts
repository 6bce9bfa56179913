import { loadConfig } from '../config';
import { ensureDemoDatabase } from './seed';

/** `npm run seed:demo [-- --reset]`: builds the demo database in LAZYDB_DATA_DIR. */
async function main(): Promise<void> {
  const reset = process.argv.includes('--reset');
  const config = loadConfig();
  const file = await ensureDemoDatabase(config.dataDir, { reset });
  console.log(`demo database ready: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
