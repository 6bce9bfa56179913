import path from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * lazydb's runtime configuration, read from the environment by {@link loadConfig}.
 * Every knob has a default that works on a laptop; an empty variable counts as unset
 * (so `docker compose` can pass `${VAR:-}` through).
 */
export interface Config {
  /**
   * HTTP port (`PORT`); 0 picks a free port.
   * @default 4000
   */
  port: number;
  /**
   * Interface to listen on (`HOST`). Use `0.0.0.0` in a container.
   * @default '127.0.0.1'
   */
  host: string;
  /**
   * Where lazydb keeps its own state: the registry, the secret key file and the demo
   * database (`LAZYDB_DATA_DIR`). Resolved to an absolute path against the working directory.
   * @default './data'
   */
  dataDir: string;
  /**
   * Where introspected models and SDL are cached per database (`LAZYDB_SCHEMA_CACHE_DIR`).
   * Resolved to an absolute path.
   * @default './schema-cache'
   */
  schemaCacheDir: string;
  /**
   * Key that seals stored passwords (`LAZYDB_SECRET_KEY`): 32 bytes as 64 hex characters or
   * base64, or any other string as a passphrase. Unset: a random key is generated once into
   * `<dataDir>/secret.key`. Replicas sharing a PostgreSQL registry must all set the same key.
   * @default undefined
   */
  secretKey?: string;
  /**
   * A `postgres://` URL: keep the registry in that PostgreSQL database (table
   * `lazydb_databases`) instead of `<dataDir>/registry.sqlite` (`LAZYDB_REGISTRY_URL`).
   * @default undefined
   */
  registryUrl?: string;
  /**
   * Register the bundled demo database on first start (`LAZYDB_DEMO`; `0`/`false`/`no`/`off` disable it).
   * @default true
   */
  demo: boolean;
  /**
   * Largest page size a client may ask for (`LAZYDB_MAX_LIMIT`).
   * @default 1000
   */
  maxLimit: number;
  /**
   * Bound on every connection attempt to a user database, in ms (`LAZYDB_CONNECT_TIMEOUT_MS`).
   * @default 10000
   */
  connectTimeoutMs: number;
  /**
   * Largest accepted request body, in bytes (`LAZYDB_MAX_BODY`).
   * @default 1048576
   */
  maxBody: number;
  /**
   * Log verbosity (`LAZYDB_LOG_LEVEL`): debug, info, warn, error or silent.
   * @default 'info'
   */
  logLevel: LogLevel;
  /**
   * Upper bound of each database's connection pool (`LAZYDB_POOL_MAX`).
   * @default 10
   */
  poolMax: number;
  /**
   * Cap of the exponential backoff between reconnect attempts, in ms (`LAZYDB_RETRY_MAX_MS`).
   * @default 30000
   */
  retryMaxMs: number;
  /**
   * Serve plain `POST` JSON GraphQL requests on the direct path (cached documents, no yoga
   * pipeline) — `LAZYDB_GRAPHQL_FAST_PATH`; `0` sends everything through graphql-yoga, for
   * comparison or debugging.
   * @default true
   */
  graphqlFastPath: boolean;
  /**
   * Connection targets a database spec may name (`LAZYDB_ALLOW_TARGETS`), comma-separated:
   * host names (`db.internal`, `*.corp.example`), addresses, CIDR ranges (`10.0.0.0/8`,
   * `fd00::/8`), each optionally with `:port` (`[::1]:5432`, `10.0.0.0/8:5432`). Empty: any
   * target that {@link denyTargets} does not refuse. Checked against the name and every address
   * it resolves to.
   * @default []
   */
  allowTargets: string[];
  /**
   * Connection targets always refused (`LAZYDB_DENY_TARGETS`), same syntax. Setting it replaces
   * the default: link-local and cloud metadata addresses, and the unspecified address.
   * @default ['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128', 'fd00:ec2::254/128', '100.100.100.200/32']
   */
  denyTargets: string[];
  /**
   * Folders whose SQLite files may be registered (`LAZYDB_SQLITE_DIRS`, comma-separated,
   * resolved to absolute paths). The registry, the secret key and the schema cache are refused
   * wherever they are.
   * @default [`<dataDir>/databases`]
   */
  sqliteDirs: string[];
  /**
   * Host header values served (`LAZYDB_ALLOWED_HOSTS`, comma-separated names without port;
   * `*` allows any, `.example.com` a domain and its subdomains). Unset: loopback names only
   * (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`) when listening on a loopback address,
   * any host otherwise. Guards against DNS rebinding.
   * @default undefined
   */
  allowedHosts?: string[];
  /**
   * Most field selections one GraphQL document may expand to, fragments spread out
   * (`LAZYDB_MAX_SELECTIONS`): bounds fragment fan-out before anything is compiled.
   * @default 10000
   */
  maxSelections: number;
  /**
   * Most lexical tokens one GraphQL document may have (`LAZYDB_MAX_TOKENS`; graphql-js `parse`
   * stops at it).
   * @default 20000
   */
  maxTokens: number;
  /**
   * Deepest nesting of an input value, e.g. `_and`/`_or` inside each other or JSON variables
   * (`LAZYDB_MAX_INPUT_DEPTH`; at most 256: graphql-js parses and coerces values recursively).
   * @default 32
   */
  maxInputDepth: number;
  /**
   * Most values one `_in`/`_nin` list may hold (`LAZYDB_MAX_IN_VALUES`; at most 30000, the
   * values the filters of one statement may bind on every engine).
   * @default 10000
   */
  maxInValues: number;
  /**
   * Most rows one bulk update or delete (`update_T`, `delete_T`) may touch
   * (`LAZYDB_MAX_AFFECTED_ROWS`). The rows are found first, at most this many plus one, in the
   * write's transaction, and more is refused (TOO_MANY_ROWS) before any row changes: a write
   * answers with the rows it changed, so an unbounded `where` would otherwise read and return a
   * whole table.
   * @default 10000
   */
  maxAffectedRows: number;
  /**
   * Most boolean-expression terms in one operation's filters (`LAZYDB_MAX_FILTER_TERMS`): TOO_MANY_VALUES above.
   * @default 1000
   */
  maxFilterTerms: number;
  /**
   * Bytes the cache of parsed, validated and compiled GraphQL documents may hold, over all
   * schemas (`LAZYDB_DOCUMENT_CACHE_BYTES`); entries are keyed by a hash of the text.
   * @default 33554432
   */
  documentCacheBytes: number;
  /**
   * How often each database's server is pinged to keep its status true, in ms
   * (`LAZYDB_HEALTH_INTERVAL_MS`; 0 turns the checks off).
   * @default 10000
   */
  healthIntervalMs: number;
  /**
   * Origins whose pages may call lazydb from the browser (`LAZYDB_CORS_ORIGINS`, comma-separated,
   * e.g. `https://app.example.com,http://localhost:5173`): they get CORS headers and successful
   * preflights on every endpoint, without credentials (no cookies). Empty: no cross-origin access
   * at all, and state-changing requests from other origins are refused.
   * @default []
   */
  corsOrigins: string[];
  /**
   * Most relation levels one GraphQL operation may nest (`LAZYDB_MAX_DEPTH`): fields that read
   * rows (a table's list, `_by_pk`, `_aggregate`, an object or array relation). The database
   * namespace of `/graphql` does not count. `artist_by_pk { albums { tracks { genre } } }` is 4.
   * @default 10
   */
  maxDepth: number;
  /**
   * Most aliases (`name: field`) one GraphQL document may use (`LAZYDB_MAX_ALIASES`).
   * @default 100
   */
  maxAliases: number;
  /**
   * Most directives on one field or fragment (`LAZYDB_MAX_DIRECTIVES`); lazydb's only
   * executable directives, @include and @skip, are not repeatable, so a valid field has at most 2.
   * @default 5
   */
  maxDirectives: number;
  /**
   * Most rows one GraphQL operation or REST list is estimated to read (`LAZYDB_MAX_COST`):
   * each list's `limit` (LAZYDB_MAX_LIMIT when none is given) multiplied along its path, summed
   * over every row-reading field. Unset: 5 × LAZYDB_MAX_LIMIT², so that two nested lists of
   * default pages pass (1000 × 1000, a few times over), and a third level does not, whatever the page.
   * @default 5000000 (5 × 1000²)
   */
  maxCost: number;
  /**
   * Most operations in one batched GraphQL request, a JSON array body (`LAZYDB_MAX_BATCH`);
   * 1 turns batching off (an array body is refused with TOO_MANY_OPERATIONS).
   * @default 1
   */
  maxBatch: number;
  /**
   * Longest a statement may run on a user database, in ms (`LAZYDB_STATEMENT_TIMEOUT_MS`); a
   * database's spec may set its own `statementTimeoutMs`. The server cancels a statement past
   * it (PostgreSQL `statement_timeout`, MariaDB `max_statement_time`, MySQL `max_execution_time`
   * for SELECTs, Oracle's call timeout) and the client gets STATEMENT_TIMEOUT (504). 30 s: long
   * enough for any page an API should serve and for introspecting a large catalog, short
   * enough that a few runaway statements cannot hold a pool for minutes. SQLite is not bounded.
   * @default 30000
   */
  statementTimeoutMs: number;
  /**
   * Longest a request waits for a free connection of its database's pool, in ms
   * (`LAZYDB_POOL_WAIT_MS`), once every connection (LAZYDB_POOL_MAX) is busy; then it is answered
   * POOL_EXHAUSTED (503, Retry-After). Opening a new connection is bounded apart, by
   * LAZYDB_CONNECT_TIMEOUT_MS. 0: refuse at once when the pool is full.
   * @default 5000
   */
  poolWaitMs: number;
  /**
   * Whether lazydb runs in production (`NODE_ENV=production`): the three settings below then
   * default to their guarded values. Each can still be set by itself.
   * @default false
   */
  production: boolean;
  /**
   * Whether GraphQL introspection (`__schema`, `__type`) is answered (`LAZYDB_INTROSPECTION`).
   * Off, introspection queries are refused in validation (GRAPHQL_VALIDATION_FAILED) on every
   * path; GraphiQL then cannot load the schema. `__typename` stays.
   * @default true, false when NODE_ENV=production
   */
  introspection: boolean;
  /**
   * Whether validation errors suggest names ("Did you mean …?", `LAZYDB_FIELD_SUGGESTIONS`).
   * Suggestions tell a client without introspection which tables and columns exist.
   * @default true, false when NODE_ENV=production
   */
  fieldSuggestions: boolean;
  /**
   * Whether a database error's own text reaches clients (`LAZYDB_EXPOSE_DB_ERRORS`). Off, the
   * client gets the error's code, kind and constraint name with a fixed message and the request
   * id; the database's text (which can quote values, SQL fragments or catalog details) goes to
   * the log line with that request id.
   * @default true, false when NODE_ENV=production
   */
  exposeDatabaseErrors: boolean;
  /**
   * Requests per minute one client address may send without identifying itself
   * (`LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE`; 0 turns the limit off). Counted on /graphql,
   * /db/:name/... and /api/...; never on /healthz, /readyz or the admin's files. An address is
   * the connection's peer (see {@link trustProxy}); IPv6 addresses count per /64. 600 (10 a
   * second on average, bursts allowed) is far above what a person in the admin or GraphiQL
   * sends, and cuts a single flooding client down to that; a backend that sends more from one
   * address, or every client behind a proxy lazydb is not told about, shares one address, and
   * should raise it or turn it off (until API keys give each caller a policy of its own).
   * @default 600
   */
  anonymousRequestsPerMinute: number;
  /**
   * Rows per minute one client address's operations may be estimated to read
   * (`LAZYDB_ANONYMOUS_ROWS_PER_MINUTE`; 0 turns it off): use-query-cost's estimate, charged
   * when the request is answered; once spent, the address's next requests are refused until the
   * window ends. Off by default: the estimate counts pages asked for, not rows found (a list
   * without `limit` counts LAZYDB_MAX_LIMIT), so no number suits every schema.
   * @default 0
   */
  anonymousRowsPerMinute: number;
  /**
   * A `redis://` or `rediss://` URL (`LAZYDB_REDIS_URL`): rate-limit budgets are kept there, so
   * that every replica pointing at it shares them. Unset: each process keeps its own in memory.
   * While Redis cannot be reached, each replica falls back to its own memory (logged once per outage).
   * @default undefined
   */
  redisUrl?: string;
  /**
   * Prefix of every key lazydb writes to Redis (`LAZYDB_REDIS_PREFIX`), to share one Redis
   * with other applications or lazydb deployments.
   * @default 'lazydb:'
   */
  redisPrefix: string;
  /**
   * How many reverse proxies stand in front of lazydb (`LAZYDB_TRUST_PROXY`): with N, the client
   * address is the Nth address from the right of `X-Forwarded-For` (the one the outermost trusted
   * proxy saw); with 0 the header is ignored and the connection's peer is the client. Set it only
   * when every request comes through those proxies: otherwise a client names its own address.
   * @default 0
   */
  trustProxy: number;
  /**
   * Count requests and statements and serve them at `GET /metrics` in the Prometheus text format
   * (`LAZYDB_METRICS`; `0` takes the metrics plugin out of the pipeline and `/metrics` answers 404).
   * @default true
   */
  metrics: boolean;
  /**
   * Bearer token a scraper sends to read `/metrics` (`LAZYDB_METRICS_TOKEN`, at least 16
   * characters): `Authorization: Bearer <token>`, compared in constant time. Unset: `/metrics`
   * answers clients on loopback only (127.0.0.0/8, ::1).
   * @default undefined
   */
  metricsToken?: string;
  /**
   * The admin secret (`LAZYDB_ADMIN_SECRET`, at least 16 characters): `Authorization: Bearer
   * <secret>` acts as admin (with `X-Lazydb-Role`, as any role), compared in constant time. For
   * scripts and CI; people sign in. Unset: off.
   * @default undefined
   */
  adminSecret?: string;
  /**
   * The email of the admin user made on first start, when the registry has no user yet (`LAZYDB_ADMIN_EMAIL`).
   * @default 'admin@localhost'
   */
  adminEmail: string;
  /**
   * That first admin's password (`LAZYDB_ADMIN_PASSWORD`, at least 8 characters). Unset: one is
   * generated and printed once in the log; only its hash is kept.
   * @default undefined
   */
  adminPassword?: string;
  /**
   * How long a sign-in lasts, in hours (`LAZYDB_SESSION_TTL_HOURS`): the admin app's cookie and
   * the bearer token POST /api/auth/login answers.
   * @default 12
   */
  sessionTtlHours: number;
  /**
   * OpenID Connect issuers whose JWTs are accepted (`LAZYDB_OIDC_ISSUERS`): a JSON list of
   * `{issuer, audience, rolesClaim?, defaultRole?, claimsMap?, clientId?, clientSecret?, name?}`
   * (see README "Sign-in"). More can be added in the admin. Parsed and checked at start.
   * @default undefined
   */
  oidcIssuers?: string;
  /**
   * How often each replica checks the registry for changed users, keys, roles and permissions,
   * in ms (`LAZYDB_ACCESS_POLL_MS`); changes made through this replica apply at once.
   * @default 1000
   */
  accessPollMs: number;
  /**
   * Failed sign-ins allowed per account and client address in 15 minutes
   * (`LAZYDB_LOGIN_MAX_FAILURES`); then 429 LOGIN_RATE_LIMITED until the window passes. Each
   * client address also gets ten times as many over all accounts.
   * @default 10
   */
  loginMaxFailures: number;
  /**
   * Per-role schemas kept in memory (`LAZYDB_ROLE_SCHEMA_CACHE`): one per (database, role) in use,
   * least recently used out first, each as large as the part of the schema the role sees (about
   * 5–7 MB for a narrow role, 20–38 MB for a role that sees all of a 1,000-table database).
   * @default 32
   */
  roleSchemaCacheSize: number;
  /**
   * Most distinct `table` label values per database in the metrics (`LAZYDB_METRICS_MAX_TABLES`);
   * tables seen after that are counted under `(other)`, and `lazydb_metrics_label_folds_total`
   * counts what was folded. 0 counts every table under `(other)`.
   * @default 100
   */
  metricsMaxTables: number;
  /**
   * How often each replica adds the usage it counted in memory to the registry's per-minute
   * rollups, in ms (`LAZYDB_USAGE_FLUSH_MS`; 0 turns usage history off). What was counted since
   * the last flush is written on shutdown too; a crash loses at most this much.
   * @default 10000
   */
  usageFlushMs: number;
  /**
   * Days the usage rollups are kept (`LAZYDB_USAGE_RETENTION_DAYS`): minute rows for the last
   * day, hour rows before that, nothing older.
   * @default 30
   */
  usageRetentionDays: number;
  /**
   * Distinct tables per database the usage rollups label (`LAZYDB_USAGE_MAX_TABLES`): each
   * process labels the first ones it sees, requests for any other are counted as `other`.
   * @default 100
   */
  usageMaxTables: number;
  /**
   * Where lazydb's users live (`LAZYDB_DIRECTORY`): `local` (lazydb's registry), `auth0` (an Auth0
   * tenant, through its Management API) or `firebase` (Firebase Authentication). The admin's
   * Users screen and /api/users offer what that directory can do.
   * @default 'local'
   */
  directory: DirectoryChoice;
  /**
   * The Auth0 tenant's domain (`LAZYDB_AUTH0_DOMAIN`), a bare host name such as
   * `your-tenant.eu.auth0.com`; required with LAZYDB_DIRECTORY=auth0.
   * @default undefined
   */
  auth0Domain?: string;
  /**
   * Client id of the Auth0 machine-to-machine application lazydb calls the Management API as
   * (`LAZYDB_AUTH0_CLIENT_ID`), allowed read:users, create:users, update:users, delete:users,
   * read:roles and create:roles; required with LAZYDB_DIRECTORY=auth0.
   * @default undefined
   */
  auth0ClientId?: string;
  /**
   * That application's client secret (`LAZYDB_AUTH0_CLIENT_SECRET`); required with
   * LAZYDB_DIRECTORY=auth0. Never logged or echoed.
   * @default undefined
   */
  auth0ClientSecret?: string;
  /**
   * The Auth0 database connection users are created in (`LAZYDB_AUTH0_CONNECTION`).
   * @default 'Username-Password-Authentication'
   */
  auth0Connection: string;
  /**
   * The Firebase project whose users these are (`LAZYDB_FIREBASE_PROJECT_ID`); required with
   * LAZYDB_DIRECTORY=firebase.
   * @default undefined
   */
  firebaseProjectId?: string;
  /**
   * Path of a service account's JSON key for that project (`LAZYDB_FIREBASE_CREDENTIALS`),
   * resolved to an absolute path. Required with LAZYDB_DIRECTORY=firebase unless
   * `FIREBASE_AUTH_EMULATOR_HOST` names a Firebase Auth emulator (firebase-admin then talks to it
   * with no credentials). lazydb never falls back to Google's application-default credentials.
   * @default undefined
   */
  firebaseCredentials?: string;
}

export const DIRECTORY_CHOICES = ['local', 'auth0', 'firebase'] as const;
export type DirectoryChoice = (typeof DIRECTORY_CHOICES)[number];
export const DEFAULT_AUTH0_CONNECTION = 'Username-Password-Authentication';

export interface ConfigIssue {
  /** The environment variable at fault. */
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(
      `Invalid configuration: ${issues.map((issue) => `${issue.variable} ${issue.message}`).join('; ')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

type Env = Record<string, string | undefined>;

/** Unset and blank both mean "use the default". */
const optionalText = z
  .string()
  .optional()
  .transform((value) => {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? undefined : trimmed;
  });

function integer(fallback: number, min: number, max: number, unit = '') {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const range = `between ${min} and ${max}${unit}`;
    if (!/^\d+$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number ${range} (got "${clip(value)}")` });
      return z.NEVER;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      ctx.addIssue({ code: 'custom', message: `must be ${range} (got ${value})` });
      return z.NEVER;
    }
    return parsed;
  });
}

function directory(fallback: string) {
  return optionalText.transform((value) => path.resolve(value ?? fallback));
}

/** A comma-separated list; unset or blank is `undefined` (the caller's default), items trimmed, empty items dropped. */
function list() {
  return optionalText.transform((value) =>
    value === undefined
      ? undefined
      : value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
  );
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

/** A yes/no variable: unset means `fallback`. */
function onOff<T extends boolean | undefined>(fallback: T) {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const word = value.toLowerCase();
    if (TRUE_WORDS.includes(word)) return true as boolean | T;
    if (FALSE_WORDS.includes(word)) return false as boolean | T;
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')} (got "${clip(value)}")`,
    });
    return z.NEVER;
  });
}

const envSchema = z.object({
  PORT: integer(4000, 0, 65535),
  HOST: optionalText.transform((value, ctx) => {
    if (value === undefined) return '127.0.0.1';
    if (/\s/.test(value)) {
      ctx.addIssue({ code: 'custom', message: `must be a host name or address without spaces (got "${clip(value)}")` });
      return z.NEVER;
    }
    return value;
  }),
  LAZYDB_DATA_DIR: directory('./data'),
  LAZYDB_SCHEMA_CACHE_DIR: directory('./schema-cache'),
  // Neither of the next two is ever echoed in an error: both may carry a secret.
  LAZYDB_SECRET_KEY: optionalText,
  LAZYDB_REGISTRY_URL: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    let ok = /^postgres(ql)?:\/\//i.test(value);
    if (ok) {
      try {
        ok = new URL(value).hostname !== '' || new URL(value).searchParams.has('host');
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a PostgreSQL URL such as postgres://user:password@host:5432/lazydb',
      });
      return z.NEVER;
    }
    return value;
  }),
  LAZYDB_DEMO: onOff(true),
  LAZYDB_MAX_LIMIT: integer(1000, 1, 1_000_000),
  LAZYDB_CONNECT_TIMEOUT_MS: integer(10_000, 100, 600_000, ' ms'),
  LAZYDB_MAX_BODY: integer(1_048_576, 1024, 1024 * 1024 * 1024, ' bytes'),
  LAZYDB_LOG_LEVEL: optionalText.transform((value, ctx) => {
    if (value === undefined) return 'info' as LogLevel;
    const level = value.toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
    ctx.addIssue({ code: 'custom', message: `must be one of ${LOG_LEVELS.join(', ')} (got "${clip(value)}")` });
    return z.NEVER;
  }),
  LAZYDB_POOL_MAX: integer(10, 1, 1000),
  LAZYDB_RETRY_MAX_MS: integer(30_000, 100, 3_600_000, ' ms'),
  LAZYDB_GRAPHQL_FAST_PATH: onOff(true),
  LAZYDB_ALLOW_TARGETS: list(),
  LAZYDB_DENY_TARGETS: list(),
  LAZYDB_SQLITE_DIRS: list(),
  LAZYDB_ALLOWED_HOSTS: list(),
  LAZYDB_MAX_SELECTIONS: integer(10_000, 1, 10_000_000),
  LAZYDB_MAX_TOKENS: integer(20_000, 100, 10_000_000),
  LAZYDB_MAX_INPUT_DEPTH: integer(32, 2, 256),
  LAZYDB_MAX_IN_VALUES: integer(10_000, 1, 30_000),
  LAZYDB_MAX_FILTER_TERMS: integer(1000, 1, 30_000),
  LAZYDB_MAX_AFFECTED_ROWS: integer(10_000, 1, 100_000_000),
  LAZYDB_DOCUMENT_CACHE_BYTES: integer(32 * 1024 * 1024, 0, 16 * 1024 * 1024 * 1024, ' bytes'),
  LAZYDB_HEALTH_INTERVAL_MS: integer(10_000, 0, 3_600_000, ' ms'),
  LAZYDB_CORS_ORIGINS: list().transform((origins, ctx) => {
    const normalised: string[] = [];
    for (const origin of origins ?? []) {
      const parsed = webOrigin(origin);
      if (parsed === null) {
        ctx.addIssue({ code: 'custom', message: `must list origins such as https://app.example.com (scheme, host and optional port, no path; got "${clip(origin)}")` });
        return z.NEVER;
      }
      normalised.push(parsed);
    }
    return normalised;
  }),
  LAZYDB_MAX_DEPTH: integer(10, 1, 100),
  LAZYDB_MAX_ALIASES: integer(100, 0, 100_000),
  LAZYDB_MAX_DIRECTIVES: integer(5, 1, 1000),
  // 0 stands for unset (below the minimum, so never given): loadConfig derives it from LAZYDB_MAX_LIMIT.
  LAZYDB_MAX_COST: integer(0, 1, 1_000_000_000_000),
  LAZYDB_MAX_BATCH: integer(1, 1, 1000),
  LAZYDB_STATEMENT_TIMEOUT_MS: integer(30_000, 100, 86_400_000, ' ms'),
  LAZYDB_POOL_WAIT_MS: integer(5_000, 0, 600_000, ' ms'),
  NODE_ENV: optionalText,
  LAZYDB_INTROSPECTION: onOff(undefined),
  LAZYDB_FIELD_SUGGESTIONS: onOff(undefined),
  LAZYDB_EXPOSE_DB_ERRORS: onOff(undefined),
  LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: integer(600, 0, 1_000_000_000),
  LAZYDB_ANONYMOUS_ROWS_PER_MINUTE: integer(0, 0, Number.MAX_SAFE_INTEGER),
  // Never echoed in an error: it may carry a password.
  LAZYDB_REDIS_URL: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    let ok = /^rediss?:\/\//i.test(value);
    if (ok) {
      try {
        ok = new URL(value).hostname !== '';
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: 'must be a Redis URL such as redis://host:6379 or rediss://user:password@host:6380/0' });
      return z.NEVER;
    }
    return value;
  }),
  LAZYDB_METRICS: onOff(true),
  // Never echoed in an error: it is a secret.
  LAZYDB_METRICS_TOKEN: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value.length < 16 || /\s/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be at least 16 characters without spaces (e.g. `openssl rand -hex 24`)' });
      return z.NEVER;
    }
    return value;
  }),
  // Never echoed in an error: it is a secret.
  LAZYDB_ADMIN_SECRET: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value.length < 16 || /\s/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be at least 16 characters without spaces (e.g. `openssl rand -hex 24`)' });
      return z.NEVER;
    }
    return value;
  }),
  LAZYDB_ADMIN_EMAIL: optionalText.transform((value, ctx) => {
    if (value === undefined) return 'admin@localhost';
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: `must be an email address such as admin@example.com (got "${clip(value)}")` });
      return z.NEVER;
    }
    return value.toLowerCase();
  }),
  // Never echoed in an error: it is a secret.
  LAZYDB_ADMIN_PASSWORD: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value.length < 8 || value.length > 1024) {
      ctx.addIssue({ code: 'custom', message: 'must be 8 to 1024 characters' });
      return z.NEVER;
    }
    return value;
  }),
  LAZYDB_SESSION_TTL_HOURS: integer(12, 1, 24 * 90),
  LAZYDB_OIDC_ISSUERS: optionalText,
  LAZYDB_ACCESS_POLL_MS: integer(1000, 100, 3_600_000, ' ms'),
  LAZYDB_LOGIN_MAX_FAILURES: integer(10, 1, 10_000),
  LAZYDB_ROLE_SCHEMA_CACHE: integer(32, 1, 10_000),
  LAZYDB_REDIS_PREFIX: optionalText.transform((value, ctx) => {
    if (value === undefined) return 'lazydb:';
    if (value.length > 100 || /[\s*?[\]]/.test(value)) {
      ctx.addIssue({ code: 'custom', message: `must be at most 100 characters without spaces or the pattern characters * ? [ ] (got "${clip(value)}")` });
      return z.NEVER;
    }
    return value;
  }),
  LAZYDB_TRUST_PROXY: integer(0, 0, 32),
  LAZYDB_METRICS_MAX_TABLES: integer(100, 0, 100_000),
  LAZYDB_USAGE_FLUSH_MS: integer(10_000, 0, 3_600_000, ' ms'),
  LAZYDB_USAGE_RETENTION_DAYS: integer(30, 1, 3650),
  LAZYDB_USAGE_MAX_TABLES: integer(100, 1, 10_000),
  LAZYDB_DIRECTORY: optionalText.transform((value, ctx) => {
    if (value === undefined) return 'local' as DirectoryChoice;
    const choice = value.toLowerCase();
    if ((DIRECTORY_CHOICES as readonly string[]).includes(choice)) return choice as DirectoryChoice;
    ctx.addIssue({ code: 'custom', message: `must be one of ${DIRECTORY_CHOICES.join(', ')} (got "${clip(value)}")` });
    return z.NEVER;
  }),
  LAZYDB_AUTH0_DOMAIN: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const domain = value.toLowerCase();
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
      ctx.addIssue({ code: 'custom', message: `must be the tenant's bare host name, such as your-tenant.eu.auth0.com (no scheme or path; got "${clip(value)}")` });
      return z.NEVER;
    }
    return domain;
  }),
  LAZYDB_AUTH0_CLIENT_ID: optionalText,
  // Never echoed in an error: it is a secret.
  LAZYDB_AUTH0_CLIENT_SECRET: optionalText,
  LAZYDB_AUTH0_CONNECTION: optionalText.transform((value) => value ?? DEFAULT_AUTH0_CONNECTION),
  LAZYDB_FIREBASE_PROJECT_ID: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (!/^[a-z0-9][a-z0-9-]{2,62}$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: `must be a Firebase project id: lower-case letters, digits and dashes (got "${clip(value)}")` });
      return z.NEVER;
    }
    return value;
  }),
  LAZYDB_FIREBASE_CREDENTIALS: optionalText.transform((value) => (value === undefined ? undefined : path.resolve(value))),
  // Read here only to tell whether Firebase needs credentials: firebase-admin reads it itself.
  FIREBASE_AUTH_EMULATOR_HOST: optionalText,
});

/** The default of LAZYDB_DENY_TARGETS: link-local (cloud metadata lives there), the unspecified address, AWS/Alibaba metadata. */
export const DEFAULT_DENY_TARGETS: readonly string[] = ['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128', 'fd00:ec2::254/128', '100.100.100.200/32'];

/**
 * Reads the configuration from `env`. Throws a {@link ConfigError} naming every bad
 * variable at once (never echoing the secret key or the registry URL).
 */
export function loadConfig(env: Env = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const e = result.data;
  const missing = directoryIssues(e);
  if (missing.length > 0) throw new ConfigError(missing);
  const production = e.NODE_ENV === 'production';
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.LAZYDB_DATA_DIR,
    schemaCacheDir: e.LAZYDB_SCHEMA_CACHE_DIR,
    demo: e.LAZYDB_DEMO,
    maxLimit: e.LAZYDB_MAX_LIMIT,
    connectTimeoutMs: e.LAZYDB_CONNECT_TIMEOUT_MS,
    maxBody: e.LAZYDB_MAX_BODY,
    logLevel: e.LAZYDB_LOG_LEVEL,
    poolMax: e.LAZYDB_POOL_MAX,
    retryMaxMs: e.LAZYDB_RETRY_MAX_MS,
    graphqlFastPath: e.LAZYDB_GRAPHQL_FAST_PATH,
    allowTargets: e.LAZYDB_ALLOW_TARGETS ?? [],
    denyTargets: e.LAZYDB_DENY_TARGETS ?? [...DEFAULT_DENY_TARGETS],
    sqliteDirs: (e.LAZYDB_SQLITE_DIRS ?? [path.join(e.LAZYDB_DATA_DIR, 'databases')]).map((dir) => path.resolve(dir)),
    maxSelections: e.LAZYDB_MAX_SELECTIONS,
    maxTokens: e.LAZYDB_MAX_TOKENS,
    maxInputDepth: e.LAZYDB_MAX_INPUT_DEPTH,
    maxInValues: e.LAZYDB_MAX_IN_VALUES,
    maxFilterTerms: e.LAZYDB_MAX_FILTER_TERMS,
    maxAffectedRows: e.LAZYDB_MAX_AFFECTED_ROWS,
    documentCacheBytes: e.LAZYDB_DOCUMENT_CACHE_BYTES,
    healthIntervalMs: e.LAZYDB_HEALTH_INTERVAL_MS,
    corsOrigins: e.LAZYDB_CORS_ORIGINS,
    maxDepth: e.LAZYDB_MAX_DEPTH,
    maxAliases: e.LAZYDB_MAX_ALIASES,
    maxDirectives: e.LAZYDB_MAX_DIRECTIVES,
    maxCost: e.LAZYDB_MAX_COST || 5 * e.LAZYDB_MAX_LIMIT ** 2,
    maxBatch: e.LAZYDB_MAX_BATCH,
    statementTimeoutMs: e.LAZYDB_STATEMENT_TIMEOUT_MS,
    poolWaitMs: e.LAZYDB_POOL_WAIT_MS,
    production,
    introspection: e.LAZYDB_INTROSPECTION ?? !production,
    fieldSuggestions: e.LAZYDB_FIELD_SUGGESTIONS ?? !production,
    exposeDatabaseErrors: e.LAZYDB_EXPOSE_DB_ERRORS ?? !production,
    anonymousRequestsPerMinute: e.LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE,
    anonymousRowsPerMinute: e.LAZYDB_ANONYMOUS_ROWS_PER_MINUTE,
    redisPrefix: e.LAZYDB_REDIS_PREFIX,
    trustProxy: e.LAZYDB_TRUST_PROXY,
    metrics: e.LAZYDB_METRICS,
    metricsMaxTables: e.LAZYDB_METRICS_MAX_TABLES,
    usageFlushMs: e.LAZYDB_USAGE_FLUSH_MS,
    usageRetentionDays: e.LAZYDB_USAGE_RETENTION_DAYS,
    usageMaxTables: e.LAZYDB_USAGE_MAX_TABLES,
    adminEmail: e.LAZYDB_ADMIN_EMAIL,
    sessionTtlHours: e.LAZYDB_SESSION_TTL_HOURS,
    accessPollMs: e.LAZYDB_ACCESS_POLL_MS,
    loginMaxFailures: e.LAZYDB_LOGIN_MAX_FAILURES,
    roleSchemaCacheSize: e.LAZYDB_ROLE_SCHEMA_CACHE,
    directory: e.LAZYDB_DIRECTORY,
    auth0Connection: e.LAZYDB_AUTH0_CONNECTION,
  };
  if (e.LAZYDB_ADMIN_SECRET !== undefined) config.adminSecret = e.LAZYDB_ADMIN_SECRET;
  if (e.LAZYDB_ADMIN_PASSWORD !== undefined) config.adminPassword = e.LAZYDB_ADMIN_PASSWORD;
  if (e.LAZYDB_OIDC_ISSUERS !== undefined) config.oidcIssuers = e.LAZYDB_OIDC_ISSUERS;
  if (e.LAZYDB_AUTH0_DOMAIN !== undefined) config.auth0Domain = e.LAZYDB_AUTH0_DOMAIN;
  if (e.LAZYDB_AUTH0_CLIENT_ID !== undefined) config.auth0ClientId = e.LAZYDB_AUTH0_CLIENT_ID;
  if (e.LAZYDB_AUTH0_CLIENT_SECRET !== undefined) config.auth0ClientSecret = e.LAZYDB_AUTH0_CLIENT_SECRET;
  if (e.LAZYDB_FIREBASE_PROJECT_ID !== undefined) config.firebaseProjectId = e.LAZYDB_FIREBASE_PROJECT_ID;
  if (e.LAZYDB_FIREBASE_CREDENTIALS !== undefined) config.firebaseCredentials = e.LAZYDB_FIREBASE_CREDENTIALS;
  if (e.LAZYDB_METRICS_TOKEN !== undefined) config.metricsToken = e.LAZYDB_METRICS_TOKEN;
  if (e.LAZYDB_ALLOWED_HOSTS !== undefined) config.allowedHosts = e.LAZYDB_ALLOWED_HOSTS;
  if (e.LAZYDB_SECRET_KEY !== undefined) config.secretKey = e.LAZYDB_SECRET_KEY;
  if (e.LAZYDB_REGISTRY_URL !== undefined) config.registryUrl = e.LAZYDB_REGISTRY_URL;
  if (e.LAZYDB_REDIS_URL !== undefined) config.redisUrl = e.LAZYDB_REDIS_URL;
  return config;
}

/** The settings the chosen user directory cannot do without, each missing one an issue. */
function directoryIssues(e: z.infer<typeof envSchema>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const require = (variable: string, value: string | undefined, why: string) => {
    if (value === undefined) issues.push({ variable, message: `must be set: ${why}` });
  };
  if (e.LAZYDB_DIRECTORY === 'auth0') {
    require('LAZYDB_AUTH0_DOMAIN', e.LAZYDB_AUTH0_DOMAIN, 'LAZYDB_DIRECTORY=auth0 needs the tenant domain');
    require('LAZYDB_AUTH0_CLIENT_ID', e.LAZYDB_AUTH0_CLIENT_ID, 'LAZYDB_DIRECTORY=auth0 needs a machine-to-machine application allowed the Management API');
    require('LAZYDB_AUTH0_CLIENT_SECRET', e.LAZYDB_AUTH0_CLIENT_SECRET, "LAZYDB_DIRECTORY=auth0 needs that application's client secret");
  }
  if (e.LAZYDB_DIRECTORY === 'firebase') {
    require('LAZYDB_FIREBASE_PROJECT_ID', e.LAZYDB_FIREBASE_PROJECT_ID, 'LAZYDB_DIRECTORY=firebase needs the project id');
    if (e.FIREBASE_AUTH_EMULATOR_HOST === undefined) {
      require('LAZYDB_FIREBASE_CREDENTIALS', e.LAZYDB_FIREBASE_CREDENTIALS, "LAZYDB_DIRECTORY=firebase needs a service account's JSON key file (or FIREBASE_AUTH_EMULATOR_HOST for the emulator)");
    }
  }
  return issues;
}

/** The config as it may be logged: the secret key, the metrics token and the Auth0 client secret hidden, the registry and Redis URLs without their passwords. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (config.secretKey !== undefined) out.secretKey = '********';
  if (config.metricsToken !== undefined) out.metricsToken = '********';
  if (config.adminSecret !== undefined) out.adminSecret = '********';
  if (config.adminPassword !== undefined) out.adminPassword = '********';
  if (config.oidcIssuers !== undefined) out.oidcIssuers = '(set)';
  if (config.auth0ClientSecret !== undefined) out.auth0ClientSecret = '********';
  if (config.registryUrl !== undefined) out.registryUrl = redactedUrl(config.registryUrl);
  if (config.redisUrl !== undefined) out.redisUrl = redactedUrl(config.redisUrl);
  return out;
}

/** A URL as it may be logged: the password of its user part, and any query value that looks like one, hidden. */
export function redactedUrl(url: string): string {
  return (
    url
      .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^/?#]*@/i, '$1********@')
      // pg also reads a password from the query string (`?password=…`).
      .replace(/([?&][^=&#]*(?:pass|pwd|secret|token|key)[^=&#]*=)[^&#]*/gi, '$1********')
  );
}

/** `https://host[:port]` as browsers send it in Origin (lower case, no default port), or null when `text` is not just an origin. */
function webOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || !/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?$/i.test(text)) return null;
  return url.origin;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
