import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from '../../server/config';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted a bad environment');
}

describe('loadConfig', () => {
  it('has a working default for every knob', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 4000,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      schemaCacheDir: path.resolve('./schema-cache'),
      demo: true,
      maxLimit: 1000,
      connectTimeoutMs: 10000,
      maxBody: 1048576,
      logLevel: 'info',
      poolMax: 10,
      retryMaxMs: 30000,
      graphqlFastPath: true,
      allowTargets: [],
      denyTargets: ['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128', 'fd00:ec2::254/128', '100.100.100.200/32'],
      sqliteDirs: [path.resolve('./data/databases')],
      maxSelections: 10000,
      maxTokens: 20000,
      maxInputDepth: 32,
      maxInValues: 10000,
      maxFilterTerms: 1000,
      maxAffectedRows: 10000,
      documentCacheBytes: 33554432,
      healthIntervalMs: 10000,
      corsOrigins: [],
      maxDepth: 10,
      maxAliases: 100,
      maxDirectives: 5,
      maxCost: 5000000,
      maxBatch: 1,
      statementTimeoutMs: 30000,
      poolWaitMs: 5000,
      production: false,
      introspection: true,
      fieldSuggestions: true,
      exposeDatabaseErrors: true,
      anonymousRequestsPerMinute: 600,
      anonymousRowsPerMinute: 0,
      redisPrefix: 'lazydb:',
      trustProxy: 0,
      metrics: true,
      metricsMaxTables: 100,
      usageFlushMs: 10000,
      usageRetentionDays: 30,
      usageMaxTables: 100,
      directory: 'local',
      auth0Connection: 'Username-Password-Authentication',
      adminEmail: 'admin@localhost',
      sessionTtlHours: 12,
      accessPollMs: 1000,
      loginMaxFailures: 10,
      roleSchemaCacheSize: 32,
    });
    // No admin secret, no known first password (one is generated), no OIDC issuer unless configured.
    expect(config.adminSecret).toBeUndefined();
    expect(config.adminPassword).toBeUndefined();
    expect(config.oidcIssuers).toBeUndefined();
    expect(config.allowedHosts).toBeUndefined();
    expect(config.metricsToken).toBeUndefined();
    expect(config.secretKey).toBeUndefined();
    expect(config.registryUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      LAZYDB_DATA_DIR: '/var/lib/lazydb',
      LAZYDB_SCHEMA_CACHE_DIR: 'cache',
      LAZYDB_SECRET_KEY: 'correct horse battery staple',
      LAZYDB_REGISTRY_URL: 'postgresql://app:pw@db.internal:5433/lazydb',
      LAZYDB_DEMO: 'false',
      LAZYDB_MAX_LIMIT: '250',
      LAZYDB_CONNECT_TIMEOUT_MS: '2500',
      LAZYDB_MAX_BODY: '65536',
      LAZYDB_LOG_LEVEL: 'DEBUG',
      LAZYDB_POOL_MAX: '3',
      LAZYDB_RETRY_MAX_MS: '5000',
      LAZYDB_GRAPHQL_FAST_PATH: 'off',
      LAZYDB_ALLOW_TARGETS: 'db.internal, 10.0.0.0/8:5432',
      LAZYDB_DENY_TARGETS: '10.0.0.9',
      LAZYDB_SQLITE_DIRS: '/srv/sqlite,rel',
      LAZYDB_ALLOWED_HOSTS: 'lazydb.example.com,.corp.example',
      LAZYDB_MAX_SELECTIONS: '500',
      LAZYDB_MAX_TOKENS: '1000',
      LAZYDB_MAX_INPUT_DEPTH: '8',
      LAZYDB_MAX_IN_VALUES: '50',
      LAZYDB_DOCUMENT_CACHE_BYTES: '1024',
      LAZYDB_HEALTH_INTERVAL_MS: '0',
      LAZYDB_CORS_ORIGINS: 'https://App.Example.com, http://localhost:5173/,https://x.example:443',
      LAZYDB_MAX_DEPTH: '4',
      LAZYDB_MAX_ALIASES: '0',
      LAZYDB_MAX_DIRECTIVES: '2',
      LAZYDB_MAX_COST: '20000',
      LAZYDB_MAX_BATCH: '10',
      LAZYDB_STATEMENT_TIMEOUT_MS: '1500',
      LAZYDB_MAX_FILTER_TERMS: '77',
      LAZYDB_MAX_AFFECTED_ROWS: '500',
      LAZYDB_POOL_WAIT_MS: '0',
      NODE_ENV: 'production',
      LAZYDB_INTROSPECTION: 'on',
      LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '0',
      LAZYDB_ANONYMOUS_ROWS_PER_MINUTE: '250000',
      LAZYDB_REDIS_URL: 'rediss://:pw@cache.internal:6380/2',
      LAZYDB_REDIS_PREFIX: 'prod-lazydb:',
      LAZYDB_TRUST_PROXY: '2',
      LAZYDB_METRICS: 'off',
      LAZYDB_METRICS_TOKEN: 'scrape-me-0123456789',
      LAZYDB_METRICS_MAX_TABLES: '7',
      LAZYDB_USAGE_FLUSH_MS: '500',
      LAZYDB_USAGE_RETENTION_DAYS: '7',
      LAZYDB_USAGE_MAX_TABLES: '20',
      LAZYDB_DIRECTORY: 'Auth0',
      LAZYDB_AUTH0_DOMAIN: 'tenant.eu.auth0.com',
      LAZYDB_AUTH0_CLIENT_ID: 'm2m-client',
      LAZYDB_AUTH0_CLIENT_SECRET: 'm2m-secret',
      LAZYDB_AUTH0_CONNECTION: 'staff',
      LAZYDB_FIREBASE_PROJECT_ID: 'lazydb-prod',
      LAZYDB_FIREBASE_CREDENTIALS: 'keys/firebase.json',
      LAZYDB_ADMIN_SECRET: 'ci-admin-secret-0123456789',
      LAZYDB_ADMIN_EMAIL: 'Ops@Example.com',
      LAZYDB_ADMIN_PASSWORD: 'first-admin-pass',
      LAZYDB_SESSION_TTL_HOURS: '48',
      LAZYDB_OIDC_ISSUERS: '[{"issuer":"https://id.example.com","audience":"lazydb"}]',
      LAZYDB_ACCESS_POLL_MS: '250',
      LAZYDB_LOGIN_MAX_FAILURES: '3',
      LAZYDB_ROLE_SCHEMA_CACHE: '8',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/lazydb',
      schemaCacheDir: path.resolve('cache'),
      secretKey: 'correct horse battery staple',
      registryUrl: 'postgresql://app:pw@db.internal:5433/lazydb',
      demo: false,
      maxLimit: 250,
      connectTimeoutMs: 2500,
      maxBody: 65536,
      logLevel: 'debug',
      poolMax: 3,
      retryMaxMs: 5000,
      graphqlFastPath: false,
      allowTargets: ['db.internal', '10.0.0.0/8:5432'],
      denyTargets: ['10.0.0.9'],
      sqliteDirs: ['/srv/sqlite', path.resolve('rel')],
      allowedHosts: ['lazydb.example.com', '.corp.example'],
      maxSelections: 500,
      maxTokens: 1000,
      maxInputDepth: 8,
      maxInValues: 50,
      maxFilterTerms: 77,
      maxAffectedRows: 500,
      documentCacheBytes: 1024,
      healthIntervalMs: 0,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173', 'https://x.example'],
      maxDepth: 4,
      maxAliases: 0,
      maxDirectives: 2,
      maxCost: 20000,
      maxBatch: 10,
      statementTimeoutMs: 1500,
      poolWaitMs: 0,
      production: true,
      introspection: true,
      fieldSuggestions: false,
      exposeDatabaseErrors: false,
      anonymousRequestsPerMinute: 0,
      anonymousRowsPerMinute: 250000,
      redisUrl: 'rediss://:pw@cache.internal:6380/2',
      redisPrefix: 'prod-lazydb:',
      trustProxy: 2,
      metrics: false,
      metricsToken: 'scrape-me-0123456789',
      metricsMaxTables: 7,
      usageFlushMs: 500,
      usageRetentionDays: 7,
      usageMaxTables: 20,
      directory: 'auth0',
      auth0Domain: 'tenant.eu.auth0.com',
      auth0ClientId: 'm2m-client',
      auth0ClientSecret: 'm2m-secret',
      auth0Connection: 'staff',
      firebaseProjectId: 'lazydb-prod',
      firebaseCredentials: path.resolve('keys/firebase.json'),
      adminSecret: 'ci-admin-secret-0123456789',
      adminEmail: 'ops@example.com',
      adminPassword: 'first-admin-pass',
      sessionTtlHours: 48,
      oidcIssuers: '[{"issuer":"https://id.example.com","audience":"lazydb"}]',
      accessPollMs: 250,
      loginMaxFailures: 3,
      roleSchemaCacheSize: 8,
    });
  });

  it('refuses a short admin secret or password without echoing either', () => {
    for (const [variable, value] of [
      ['LAZYDB_ADMIN_SECRET', 'short-secret-15'],
      ['LAZYDB_ADMIN_SECRET', 'has spaces in the admin secret'],
      ['LAZYDB_ADMIN_PASSWORD', 'pw-1234'],
    ] as const) {
      const error = errorOf({ [variable]: value });
      expect(error.issues.map((issue) => issue.variable)).toEqual([variable]);
      expect(error.message).not.toContain(value);
    }
    expect(loadConfig({ LAZYDB_ADMIN_SECRET: 'x'.repeat(16), LAZYDB_ADMIN_PASSWORD: 'p'.repeat(8) })).toMatchObject({ adminSecret: 'x'.repeat(16), adminPassword: 'p'.repeat(8) });
  });

  it('refuses an admin email that is not one, and sign-in knobs out of range', () => {
    for (const [variable, value] of [
      ['LAZYDB_ADMIN_EMAIL', 'admin'],
      ['LAZYDB_ADMIN_EMAIL', 'two words@example.com'],
      ['LAZYDB_SESSION_TTL_HOURS', '0'],
      ['LAZYDB_SESSION_TTL_HOURS', `${24 * 90 + 1}`],
      ['LAZYDB_ACCESS_POLL_MS', '99'],
      ['LAZYDB_LOGIN_MAX_FAILURES', '0'],
      ['LAZYDB_ROLE_SCHEMA_CACHE', 'many'],
    ] as const) {
      expect(errorOf({ [variable]: value }).issues.map((issue) => issue.variable)).toEqual([variable]);
    }
  });

  it('redactedConfig hides the admin secret, the first admin password and the OIDC issuers (they may hold client secrets)', () => {
    const issuers = '[{"issuer":"https://id.example.com","audience":"lazydb","clientSecret":"oidc-client-secret-42"}]';
    const config = loadConfig({ LAZYDB_ADMIN_SECRET: 'ci-admin-secret-0123456789', LAZYDB_ADMIN_PASSWORD: 'first-admin-pass', LAZYDB_OIDC_ISSUERS: issuers });
    const shown = JSON.stringify(redactedConfig(config));
    for (const secret of ['ci-admin-secret-0123456789', 'first-admin-pass', 'oidc-client-secret-42']) expect(shown).not.toContain(secret);
    expect(redactedConfig(config)).toMatchObject({ adminSecret: '********', adminPassword: '********', oidcIssuers: '(set)', adminEmail: 'admin@localhost' });
    expect(redactedConfig(loadConfig({}))).not.toHaveProperty('adminSecret');
    expect(redactedConfig(loadConfig({}))).not.toHaveProperty('adminPassword');
  });

  it('refuses a short metrics token without echoing it, and hides it from logs', () => {
    const error = errorOf({ LAZYDB_METRICS_TOKEN: 'short-secret' });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['LAZYDB_METRICS_TOKEN']);
    expect(error.message).not.toContain('short-secret');
    expect(JSON.stringify(redactedConfig(loadConfig({ LAZYDB_METRICS_TOKEN: 'scrape-me-0123456789' })))).not.toContain('scrape-me');
  });

  it('derives LAZYDB_MAX_COST from LAZYDB_MAX_LIMIT when it is unset: two nested default pages, five times over', () => {
    expect(loadConfig({ LAZYDB_MAX_LIMIT: '100' }).maxCost).toBe(50_000);
    expect(loadConfig({ LAZYDB_MAX_LIMIT: '5000' }).maxCost).toBe(125_000_000);
    expect(loadConfig({ LAZYDB_MAX_LIMIT: '5000', LAZYDB_MAX_COST: '7' }).maxCost).toBe(7);
  });

  it('guards GraphQL and database errors under NODE_ENV=production, each setting still its own', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ production: true, introspection: false, fieldSuggestions: false, exposeDatabaseErrors: false });
    expect(loadConfig({ NODE_ENV: 'development' })).toMatchObject({ production: false, introspection: true, fieldSuggestions: true, exposeDatabaseErrors: true });
    expect(loadConfig({ LAZYDB_INTROSPECTION: '0', LAZYDB_FIELD_SUGGESTIONS: 'off', LAZYDB_EXPOSE_DB_ERRORS: 'no' })).toMatchObject({
      production: false,
      introspection: false,
      fieldSuggestions: false,
      exposeDatabaseErrors: false,
    });
    expect(() => loadConfig({ LAZYDB_INTROSPECTION: 'maybe' })).toThrow(/LAZYDB_INTROSPECTION/);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ PORT: '', LAZYDB_SECRET_KEY: '  ', LAZYDB_REGISTRY_URL: '', LAZYDB_DEMO: '' });
    expect(config.port).toBe(4000);
    expect(config.secretKey).toBeUndefined();
    expect(config.registryUrl).toBeUndefined();
    expect(config.demo).toBe(true);
  });

  it.each([
    ['0', false],
    ['off', false],
    ['NO', false],
    ['1', true],
    ['yes', true],
    ['True', true],
  ])('LAZYDB_DEMO=%s -> %s', (value, expected) => {
    expect(loadConfig({ LAZYDB_DEMO: value }).demo).toBe(expected);
  });

  it.each([
    ['PORT', 'abc', /PORT must be a whole number between 0 and 65535 \(got "abc"\)/],
    ['PORT', '70000', /PORT must be between 0 and 65535 \(got 70000\)/],
    ['PORT', '65536', /PORT must be between 0 and 65535/],
    ['PORT', '-1', /PORT must be a whole number/],
    ['PORT', '80.5', /PORT must be a whole number/],
    ['HOST', 'local host', /HOST must be a host name/],
    ['LAZYDB_DEMO', 'maybe', /LAZYDB_DEMO must be one of 1, true, yes, on, 0, false, no, off \(got "maybe"\)/],
    ['LAZYDB_LOG_LEVEL', 'verbose', /LAZYDB_LOG_LEVEL must be one of debug, info, warn, error, silent/],
    ['LAZYDB_MAX_LIMIT', '0', /LAZYDB_MAX_LIMIT must be between 1/],
    ['LAZYDB_CONNECT_TIMEOUT_MS', '10s', /LAZYDB_CONNECT_TIMEOUT_MS must be a whole number between 100 and 600000 ms/],
    ['LAZYDB_MAX_BODY', '1mb', /LAZYDB_MAX_BODY must be a whole number .* bytes/],
    ['LAZYDB_POOL_MAX', '0', /LAZYDB_POOL_MAX must be between 1 and 1000/],
    ['LAZYDB_RETRY_MAX_MS', 'forever', /LAZYDB_RETRY_MAX_MS must be a whole number/],
    // Bounded where the code that uses them would otherwise overflow the stack or an engine's bind limit.
    ['LAZYDB_MAX_INPUT_DEPTH', '257', /LAZYDB_MAX_INPUT_DEPTH must be between 2 and 256/],
    ['LAZYDB_MAX_IN_VALUES', '30001', /LAZYDB_MAX_IN_VALUES must be between 1 and 30000/],
    // Past the fixed bound of 128 nested selection sets a depth limit would never be reached.
    ['LAZYDB_MAX_DEPTH', '101', /LAZYDB_MAX_DEPTH must be between 1 and 100/],
    ['LAZYDB_MAX_BATCH', '0', /LAZYDB_MAX_BATCH must be between 1 and 1000/],
    ['LAZYDB_MAX_COST', '0', /LAZYDB_MAX_COST must be between 1 and/],
    // Every statement has a timeout: there is no value that turns it off.
    ['LAZYDB_STATEMENT_TIMEOUT_MS', '0', /LAZYDB_STATEMENT_TIMEOUT_MS must be between 100 and 86400000 ms/],
    ['LAZYDB_REGISTRY_URL', 'mysql://root@localhost/x', /LAZYDB_REGISTRY_URL must be a PostgreSQL URL/],
    ['LAZYDB_REGISTRY_URL', 'not a url', /LAZYDB_REGISTRY_URL must be a PostgreSQL URL/],
    ['LAZYDB_CORS_ORIGINS', '*', /LAZYDB_CORS_ORIGINS must list origins such as https:\/\/app.example.com .*got "\*"/],
    ['LAZYDB_CORS_ORIGINS', 'https://app.example.com/admin', /LAZYDB_CORS_ORIGINS must list origins/],
    ['LAZYDB_CORS_ORIGINS', 'app.example.com', /LAZYDB_CORS_ORIGINS must list origins/],
    ['LAZYDB_CORS_ORIGINS', 'ftp://app.example.com', /LAZYDB_CORS_ORIGINS must list origins/],
    ['LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE', '-1', /LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE must be a whole number between 0 and/],
    ['LAZYDB_ANONYMOUS_ROWS_PER_MINUTE', '1e6', /LAZYDB_ANONYMOUS_ROWS_PER_MINUTE must be a whole number/],
    ['LAZYDB_REDIS_URL', 'localhost:6379', /LAZYDB_REDIS_URL must be a Redis URL/],
    ['LAZYDB_REDIS_URL', 'http://cache:6379', /LAZYDB_REDIS_URL must be a Redis URL/],
    ['LAZYDB_REDIS_PREFIX', 'a b', /LAZYDB_REDIS_PREFIX must be at most 100 characters without spaces/],
    ['LAZYDB_REDIS_PREFIX', 'lazy*', /LAZYDB_REDIS_PREFIX must be/],
    ['LAZYDB_TRUST_PROXY', 'true', /LAZYDB_TRUST_PROXY must be a whole number between 0 and 32/],
    ['LAZYDB_USAGE_RETENTION_DAYS', '0', /LAZYDB_USAGE_RETENTION_DAYS must be between 1 and 3650/],
  ])('rejects %s=%s and names the variable', (variable, value, message) => {
    const error = errorOf({ [variable]: value });
    expect(error.message).toMatch(message);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.variable).toBe(variable);
  });

  it('names every bad variable at once', () => {
    const error = errorOf({ PORT: 'x', LAZYDB_POOL_MAX: 'y', LAZYDB_LOG_LEVEL: 'loud' });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual(['LAZYDB_LOG_LEVEL', 'LAZYDB_POOL_MAX', 'PORT']);
  });

  it('never echoes the registry URL (it may carry a password)', () => {
    const error = errorOf({ LAZYDB_REGISTRY_URL: 'mysql://admin:hunter2secret@db/x' });
    expect(error.message).not.toContain('hunter2secret');
  });

  it('never echoes the Redis URL, and hides its password in the logged config', () => {
    expect(errorOf({ LAZYDB_REDIS_URL: 'memcached://admin:hunter2secret@cache' }).message).not.toContain('hunter2secret');
    const shown = redactedConfig(loadConfig({ LAZYDB_REDIS_URL: 'redis://default:hunter2secret@cache:6379/0' }));
    expect(shown.redisUrl).toBe('redis://default:********@cache:6379/0');
  });

  it('accepts any non-empty secret key (a passphrase is fine)', () => {
    expect(loadConfig({ LAZYDB_SECRET_KEY: 'x' }).secretKey).toBe('x');
  });

  it('redactedConfig hides the secret key and the registry password for logs', () => {
    const config = loadConfig({ LAZYDB_SECRET_KEY: 'topsecret', LAZYDB_REGISTRY_URL: 'postgres://app:p%40ss@db:5432/reg' });
    const shown = JSON.stringify(redactedConfig(config));
    expect(shown).not.toContain('topsecret');
    expect(shown).not.toContain('p%40ss');
    expect(redactedConfig(config)).toMatchObject({ secretKey: '********', registryUrl: 'postgres://app:********@db:5432/reg', port: 4000 });
    expect(redactedConfig(loadConfig({}))).not.toHaveProperty('secretKey');
    const inQuery = redactedConfig(loadConfig({ LAZYDB_REGISTRY_URL: 'postgres://db:5432/reg?sslmode=require&password=hunter2&sslpassword=x' }));
    expect(inQuery.registryUrl).toBe('postgres://db:5432/reg?sslmode=require&password=********&sslpassword=********');
  });
});
