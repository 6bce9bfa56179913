import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Logger } from '../log';
import { UsageRecorder } from './recorder';
import { UsageStore } from './store';

/** Usage history: the rollups' store and this process's recorder, both handed to the app. */
export interface Usage {
  store: UsageStore;
  recorder: UsageRecorder;
}

/** Creates the rollups' table beside the registry's and starts recording; undefined when LAZYDB_USAGE_FLUSH_MS is 0 (off). */
export async function openUsage(
  config: Pick<Config, 'usageFlushMs' | 'usageRetentionDays' | 'usageMaxTables'>,
  registry: Knex,
  isDatabase: (name: string) => boolean,
  log: Logger,
): Promise<Usage | undefined> {
  if (config.usageFlushMs === 0) return undefined;
  const store = new UsageStore(registry);
  await store.ensureTable();
  const recorder = new UsageRecorder(store, { flushMs: config.usageFlushMs, retentionDays: config.usageRetentionDays, maxTablesPerDatabase: config.usageMaxTables, isDatabase }, log);
  return { store, recorder };
}
