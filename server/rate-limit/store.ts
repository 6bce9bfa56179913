import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { redactedUrl, type Config } from '../config';
import type { Logger } from '../log';

/** What a budget says about one partition: whether the request may go on, what is left, and when the window ends. */
export interface Decision {
  allowed: boolean;
  /** Units left in the window after this request. */
  remaining: number;
  /** Milliseconds until the window ends and the budget is whole again. */
  resetMs: number;
}

/** One quota of one policy (its requests, or its rows), per partition key, in the store. */
export interface Budget {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Spends `points`; not allowed when that goes past the limit. */
  consume(key: string, points?: number): Promise<Decision>;
  /** What is left, spending nothing. */
  peek(key: string): Promise<Decision>;
  /** Adds `points` to what was spent and refuses nothing (rows are charged once the request is answered). */
  charge(key: string, points: number): Promise<void>;
}

/** How the store has fared, for the metrics plugin (`lazydb_rate_limit_*`). */
export interface RateStoreCounters {
  /** Decisions the in-memory insurance made because Redis did not answer. */
  insuredDecisions: number;
  /** Times Redis became unreachable. */
  outages: number;
}

const totals: RateStoreCounters = { insuredDecisions: 0, outages: 0 };

/** The counters of every rate-limit store of this process, summed (a copy). */
export function rateLimitCounters(): Readonly<RateStoreCounters> {
  return { ...totals };
}

/** A command that takes this long means Redis is in trouble: the insurance decides instead, and the request does not wait. */
const REDIS_COMMAND_TIMEOUT_MS = 500;
/** Longest a connection attempt may take, and the longest the first decisions wait for the first one. */
const CONNECT_TIMEOUT_MS = 2000;
/** How often an outage is probed for its end while the connection looks up (commands timing out). */
const PROBE_INTERVAL_MS = 1000;

export type StoreConfig = Pick<Config, 'redisUrl' | 'redisPrefix'>;

/**
 * Where budgets are kept: Redis when LAZYDB_REDIS_URL is set (every replica sharing it shares
 * them), else this process's memory. With Redis, every budget has an in-memory insurance of the
 * same size (rate-limiter-flexible's `insuranceLimiter`) that decides while Redis cannot: the
 * service keeps answering and keeps limiting, per replica. The outage is logged when it starts
 * and when it ends, never per request, and counted.
 */
export class RateStore {
  private readonly budgets = new Map<string, Budget>();
  private readonly redis: RedisLink | null;
  readonly counters: RateStoreCounters = { insuredDecisions: 0, outages: 0 };

  constructor(
    private readonly config: StoreConfig,
    log: Logger,
  ) {
    this.redis = config.redisUrl === undefined ? null : new RedisLink(config.redisUrl, log, this.counters);
  }

  /** `redis` or `memory`, for the start-up line. */
  get kind(): 'redis' | 'memory' {
    return this.redis ? 'redis' : 'memory';
  }

  /** The budget of `limit` units per window for one quota of a policy (made once, then shared by every request). */
  budget(policy: string, quota: 'requests' | 'rows' | 'failures', limit: number, windowSeconds: number): Budget {
    const id = `${policy}:${quota}:${limit}:${windowSeconds}`;
    let budget = this.budgets.get(id);
    if (!budget) {
      const keyPrefix = `${this.config.redisPrefix}rl:${policy}:${quota}`;
      const options = { points: limit, duration: windowSeconds, keyPrefix };
      const limiter: RateLimiterAbstract = this.redis
        ? new RateLimiterRedis({
            ...options,
            storeClient: this.redis.client,
            rejectIfRedisNotReady: true,
            // A partition over its budget is refused from memory for the rest of the window: a
            // flooding client costs Redis one command per replica and window, not one per request.
            ...(quota === 'requests' ? { inMemoryBlockOnConsumed: limit + 1 } : {}),
            insuranceLimiter: new Insurance(options, () => this.redis!.insured()),
          })
        : new RateLimiterMemory(options);
      this.budgets.set(id, (budget = new LimiterBudget(limiter, limit, windowSeconds, this.redis)));
    }
    return budget;
  }

  async close(): Promise<void> {
    this.redis?.close();
  }
}

class LimiterBudget implements Budget {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    readonly limit: number,
    readonly windowSeconds: number,
    private readonly redis: RedisLink | null,
  ) {}

  async consume(key: string, points = 1): Promise<Decision> {
    if (this.redis?.connecting) await this.redis.connected;
    try {
      const spent = await this.limiter.consume(key, points);
      return { allowed: true, remaining: spent.remainingPoints, resetMs: this.resetOf(spent) };
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return { allowed: false, remaining: 0, resetMs: this.resetOf(refusal) };
      throw refusal;
    }
  }

  async peek(key: string): Promise<Decision> {
    if (this.redis?.connecting) await this.redis.connected;
    // Spending 0 reads what was spent in one script call (a GET would be MULTI, GET, PTTL, EXEC);
    // it opens the window when there is none, which the first charge would do a moment later.
    let spent: RateLimiterRes;
    try {
      spent = await this.limiter.consume(key, 0);
    } catch (over) {
      if (!(over instanceof RateLimiterRes)) throw over;
      spent = over;
    }
    return { allowed: spent.consumedPoints < this.limit, remaining: Math.max(0, this.limit - spent.consumedPoints), resetMs: this.resetOf(spent) };
  }

  async charge(key: string, points: number): Promise<void> {
    await this.limiter.penalty(key, points);
  }

  /** A window's end in ms, never 0 or less (a key without a time to live would otherwise read as "now"). */
  private resetOf(result: RateLimiterRes): number {
    return result.msBeforeNext > 0 ? result.msBeforeNext : this.windowSeconds * 1000;
  }
}

/** The insurance of a Redis budget: an in-memory limiter that counts each decision it has to make. */
class Insurance extends RateLimiterMemory {
  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly used: () => void,
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): Promise<RateLimiterRes> {
    this.used();
    return super.consume(...args);
  }

  override get(...args: Parameters<RateLimiterMemory['get']>): Promise<RateLimiterRes | null> {
    this.used();
    return super.get(...args);
  }

  override penalty(...args: Parameters<RateLimiterMemory['penalty']>): Promise<RateLimiterRes> {
    this.used();
    return super.penalty(...args);
  }
}

/**
 * The Redis connection of a store and the state of its outages. Commands never queue while it
 * is down (`enableOfflineQueue: false`, and rate-limiter-flexible's `rejectIfRedisNotReady`):
 * a request is decided by the insurance at once instead of waiting for a reconnect.
 *
 * An outage starts with the first connection error or closed connection, or the first decision
 * the insurance had to make on a live connection (a command that timed out); it ends when the
 * connection is ready again or, for timeouts, when a PING answers. Until the first connection is
 * made (or fails), decisions wait for it, at most CONNECT_TIMEOUT_MS: the first requests after a
 * start are shared like the rest instead of being counted by this replica alone.
 */
class RedisLink {
  readonly client: Redis;
  private state: 'connecting' | 'up' | 'down' | 'closed' = 'connecting';
  /** Settles once the first connection is ready or has failed, or CONNECT_TIMEOUT_MS after the start. */
  readonly connected: Promise<void>;
  private settle!: () => void;
  private downSince = 0;
  private insuredSinceDown = 0;
  private probe: NodeJS.Timeout | undefined;
  private readonly shownUrl: string;

  constructor(
    url: string,
    private readonly log: Logger,
    private readonly counters: RateStoreCounters,
  ) {
    this.shownUrl = redactedUrl(url);
    this.connected = new Promise<void>((resolve) => (this.settle = resolve));
    setTimeout(() => this.settle(), CONNECT_TIMEOUT_MS).unref();
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      // Reconnect forever, backing off to one attempt every 5 s.
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    this.client.on('ready', () => this.up());
    // Every failed reconnect attempt emits one: only the first of an outage is logged (down()).
    this.client.on('error', (error: Error) => this.down(error.message || String(error)));
    this.client.on('close', () => this.down('the connection was closed'));
  }

  /** True until the first connection is ready or has failed. */
  get connecting(): boolean {
    return this.state === 'connecting';
  }

  /** The insurance made a decision: counted; on a connection that looks up, that starts an outage. */
  insured(): void {
    this.counters.insuredDecisions++;
    totals.insuredDecisions++;
    if (this.state === 'down') this.insuredSinceDown++;
    else if (this.state === 'up') this.down('a command timed out');
  }

  close(): void {
    this.state = 'closed';
    this.settle();
    clearTimeout(this.probe);
    this.client.disconnect();
  }

  private down(reason: string): void {
    if (this.state === 'down' || this.state === 'closed') return;
    this.state = 'down';
    this.settle();
    this.downSince = Date.now();
    this.insuredSinceDown = 0;
    this.counters.outages++;
    totals.outages++;
    this.log.warn('Redis is unreachable: rate limits are kept in this process until it is back (each replica counts alone)', { redis: this.shownUrl, reason });
    this.scheduleProbe();
  }

  private up(): void {
    if (this.state === 'closed') return;
    if (this.state === 'down') {
      this.log.info('Redis is reachable again: rate limits are shared again', { redis: this.shownUrl, downForMs: Date.now() - this.downSince, insuredDecisions: this.insuredSinceDown });
    }
    this.state = 'up';
    this.settle();
    clearTimeout(this.probe);
    this.probe = undefined;
  }

  /** While down on a connection that stays open (timeouts), nothing else would say it is over. */
  private scheduleProbe(): void {
    clearTimeout(this.probe);
    this.probe = setTimeout(() => {
      if (this.state !== 'down') return;
      if (this.client.status !== 'ready') return this.scheduleProbe();
      this.client.ping().then(
        () => this.up(),
        () => this.scheduleProbe(),
      );
    }, PROBE_INTERVAL_MS);
    this.probe.unref();
  }
}
