import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import { demoFilePath, ensureDemoDatabase, legacyDemoFilePath } from './demo/seed';
import { Gateway } from './gateway/gateway';
import { SchemaCache } from './gateway/schema-cache';
import { TargetPolicy } from './gateway/targets';
import { createApp, type App, type AppOptions } from './http/app';
import { createLogger, type Logger } from './log';
import { RegistryStore } from './registry/store';
import { openUsage } from './usage';
import { openAccess, type Access } from './auth';
import { parseIssuers } from './auth/issuers';
import { TokenVerifier } from './auth/jwt';
import { createOidcLogin } from './auth/oidc-login';
import { oidcSignIn } from './admin-api/oidc-sign-in';
import { identityProvidersApi } from './admin-api/identity-providers';
import { IdentityProviders } from './auth/providers';
import { RateStore } from './rate-limit/store';
import { ANONYMOUS_ROLE } from './auth/principal';
import type { PermissionDocument } from './permissions/document';
import { ConfigError } from './config';
import { directoryFromConfig } from './auth/directory';
import type { RoleViewsLike } from './http/app';
import { RoleViews, type GatewayMember } from './permissions/role-views';
import { PermissionedSource } from './permissions/restricted-source';
import type { GuardedDataSource } from './query/engine';

export interface RunningServer {
  app: App;
  access: Access;
  gateway: Gateway;
  registry: RegistryStore;
  url: string;
  log: Logger;
  close(): Promise<void>;
}

const DEMO_MARKER = '.demo-registered';
/** How long shutdown waits for requests in flight before it closes every connection. */
const SHUTDOWN_GRACE_MS = 5000;

/**
 * Starts lazydb: registry -> cached models served at once -> listen -> reconnect in the
 * background. Used by main.ts and by the integration tests (with port 0).
 */
export async function startServer(config: Config, log: Logger = createLogger(config.logLevel), options: AppOptions = {}): Promise<RunningServer> {
  // Read first: a bad LAZYDB_ALLOW_TARGETS / LAZYDB_DENY_TARGETS entry stops the start, naming it.
  const targets = new TargetPolicy(config);
  let issuers;
  try {
    issuers = parseIssuers(config.oidcIssuers ?? '');
  } catch (error) {
    throw new ConfigError([{ variable: 'LAZYDB_OIDC_ISSUERS', message: (error as Error).message }]);
  }
  const registry = await RegistryStore.open(config, { warn: (message) => log.warn(message) });
  await moveLegacyDemo(config, registry, log);
  const jwt = new TokenVerifier(issuers);
  // One rate-limit store (one Redis connection) for the rate limits and the sign-in guard.
  const rates = new RateStore(config, log);
  const access = await openAccess(config, registry.database(), log, { jwt, directory: directoryFromConfig(config), rates });
  // A database's rules go with it: one registered again under the same name starts with none.
  registry.onChange((change) => {
    if (change.type === 'remove' && change.origin === 'local') void access.rules.dropDatabase(change.name).catch((error: unknown) => log.warn('could not drop the permissions of a removed database', { database: change.name, error: (error as Error)?.message }));
  });
  const gateway = new Gateway(config, registry, new SchemaCache(config.schemaCacheDir), log, targets);
  await gateway.start();
  if (config.demo) await registerDemoOnce(config, gateway, registry, log, access);

  const usage = await openUsage(config, registry.database(), (name) => gateway.get(name) !== undefined, log);
  // Trusted issuers: LAZYDB_OIDC_ISSUERS and those added in the admin; a change re-keys the verifier and sign-in.
  const providers = new IdentityProviders(access.store, issuers, registry, (message, fields) => log.warn(message, fields));
  await providers.load();
  const stateKey = registry.derivedKey('oidc-sign-in-state');
  let login = createOidcLogin({ issuers: providers.all(), stateKey, verifier: jwt });
  const reconfigure = () => {
    jwt.setIssuers(providers.all());
    login = createOidcLogin({ issuers: providers.all(), stateKey, verifier: jwt });
  };
  reconfigure();
  access.onChange(() => void providers.load().then(reconfigure, (error: unknown) => log.warn('could not re-read the identity providers', { error: (error as Error)?.message })));
  const signIn = oidcSignIn(() => login, access, { trustProxy: config.trustProxy, log });
  const views = roleViewsFor(gateway, access, config, log);
  const app = createApp(gateway, config, log, { ...options, ...(usage ? { usage } : {}), access: { access, views, rates, providers: signIn.providers, oidcSignIn: signIn.handle, identityProviders: identityProvidersApi(providers, access, { maxBody: config.maxBody, changed: reconfigure }) } });
  await new Promise<void>((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(config.port, config.host, () => resolve());
  });
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  log.info('lazydb listening', { url, admin: `${url}/admin/`, graphql: `${url}/graphql` });

  let closing: Promise<void> | null = null;
  return {
    app,
    access,
    gateway,
    registry,
    url,
    log,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          app.server.close(() => resolve());
          app.server.closeIdleConnections();
          // Requests in flight get a moment to finish; a socket its client left half-open
          // (an aborted request on keep-alive) would otherwise hold shutdown for the keep-alive timeout.
          setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
        });
        await app.close();
        await access.close();
        await rates.close();
        await gateway.close();
        await registry.close();
      })()),
  };
}

/**
 * Before SQLite files were confined to LAZYDB_SQLITE_DIRS the demo lived in `<dataDir>/demo.sqlite`,
 * which the policy now refuses. An install that still has it there gets it moved, once, into
 * `<dataDir>/databases/` and its registry entry pointed at the new place.
 */
async function moveLegacyDemo(config: Config, registry: RegistryStore, log: Logger): Promise<void> {
  const legacy = legacyDemoFilePath(config.dataDir);
  let spec;
  try {
    spec = await registry.get('demo');
  } catch {
    return; // an unreadable entry is reported (and skipped) by the gateway's start
  }
  const filename = spec?.dialect === 'sqlite' ? spec.connection.filename : undefined;
  if (!spec || filename === undefined || resolve(filename) !== legacy) return;
  const target = demoFilePath(config.dataDir);
  if (existsSync(legacy) && !existsSync(target)) {
    await mkdir(dirname(target), { recursive: true });
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      if (existsSync(legacy + suffix)) await rename(legacy + suffix, target + suffix);
    }
  }
  await registry.update('demo', { ...spec, connection: { filename: target } });
  log.info('demo database moved into the SQLite folder', { from: legacy, to: target });
}

/** The demo database is registered on the first start only: removing it sticks. */
async function registerDemoOnce(config: Config, gateway: Gateway, registry: RegistryStore, log: Logger, access: Access): Promise<void> {
  const marker = join(config.dataDir, DEMO_MARKER);
  if (existsSync(marker)) return;
  if (!(await registry.get('demo'))) {
    const filename = await ensureDemoDatabase(config.dataDir);
    try {
      await gateway.register({ name: 'demo', dialect: 'sqlite', connection: { filename } });
    } catch (error) {
      log.warn('could not register the demo database', { error: (error as Error).message });
      return;
    }
    // Deny by default, but the README's first query works: anonymous may read the demo, and nothing else.
    const tables = gateway.get('demo')?.built?.named.tables ?? [];
    const readOnly: PermissionDocument = Object.fromEntries(tables.map((table) => [table.typeName, { select: { columns: '*', filter: {}, aggregate: true } }]));
    await access.rules.putPermissions('demo', ANONYMOUS_ROLE, readOnly);
  }
  await writeFile(marker, 'The demo database was registered once; remove this file to register it again.\n');
}

/**
 * Each role's view of each database: its own schema, REST API and gateway, built on first use over
 * a PermissionedSource (the role's row rules), cached per (database build, role, rules version).
 */
function roleViewsFor(gateway: Gateway, access: Access, config: Config, log: Logger): RoleViewsLike {
  const views = new RoleViews<GuardedDataSource>({
    rules: (database, role) => access.rules.effective(database, role),
    sourceFactory: (base, document) => new PermissionedSource(base, document),
    maxLimit: config.maxLimit,
    whereLimits: config,
    disclosure: config,
    capacity: config.roleSchemaCacheSize,
    onDropped: (database, role, dropped) => log.warn('permission rules left out: they no longer fit the database', { database, role, dropped }),
  });
  return {
    database: (snapshot, role) => (snapshot.built ? views.view(snapshot.name, snapshot.built, role) : null),
    gateway: (role, databases) => {
      const members = databases === null ? gateway.members() : onlyThese(gateway.members(), databases);
      if (!members.some((member) => access.rules.sees(member.name, role))) return null;
      return views.gateway(members, role);
    },
  };
}

/**
 * The members an API key limited to some databases may use: the same array for the same
 * composition and list, so the per-role gateway cache (keyed by the array) serves it too.
 */
const limitedMembers = new WeakMap<object, Map<string, readonly GatewayMember<GuardedDataSource>[]>>();
function onlyThese(members: readonly GatewayMember<GuardedDataSource>[], databases: readonly string[]): readonly GatewayMember<GuardedDataSource>[] {
  let byList = limitedMembers.get(members);
  if (!byList) limitedMembers.set(members, (byList = new Map()));
  const key = [...databases].sort().join('\u0000');
  let list = byList.get(key);
  if (!list) {
    list = members.filter((member) => databases.includes(member.name));
    if (byList.size > 1000) byList.clear();
    byList.set(key, list);
  }
  return list;
}
