/**
 * The real Redis of this machine for tests (LAZYDB_TEST_REDIS_URL, default
 * redis://127.0.0.1:6379). Each test writes under a prefix of its own (`lazydb_t_<8 hex>:`)
 * and deletes every key under it afterwards; nothing else is touched.
 *
 * LAZYDB_REQUIRE_DBS=...,redis turns "not reachable" into a failure (as for the databases).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.LAZYDB_TEST_REDIS_URL?.trim() || 'redis://127.0.0.1:6379';

let probe: Promise<string | null> | undefined;

/** True when Redis answers PING; false (the caller skips) unless LAZYDB_REQUIRE_DBS names `redis`, then it throws. */
export async function requireRedisOrSkip(): Promise<boolean> {
  probe ??= (async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return null;
    } catch (error) {
      return `${REDIS_URL}: ${(error as Error).message}`;
    } finally {
      client.disconnect();
    }
  })();
  const problem = await probe;
  if (problem === null) return true;
  const required = (process.env.LAZYDB_REQUIRE_DBS ?? '').split(',').map((item) => item.trim().toLowerCase());
  if (required.includes('redis')) throw new Error(`LAZYDB_REQUIRE_DBS includes "redis" but it is not available: ${problem}`);
  console.info(`[redis] skipping Redis tests: ${problem}`);
  return false;
}

/** A key prefix no other test uses. */
export function redisPrefix(): string {
  return `lazydb_t_${randomBytes(4).toString('hex')}:`;
}

/** A client for a test's own reads; disconnect() it after. */
export function redisClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** Every key under `prefix` (SCAN, never KEYS). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix`; how many there were. */
export async function deleteKeysUnder(prefix: string): Promise<number> {
  const client = redisClient();
  try {
    const keys = await keysUnder(client, prefix);
    if (keys.length > 0) await client.del(...keys);
    return keys.length;
  } finally {
    client.disconnect();
  }
}
