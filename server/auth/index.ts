import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Logger } from '../log';
import { AccessRules } from '../permissions/rules';
import { LocalDirectory } from './directory/local';
import type { UserDirectory } from './directory/types';
import { Identity, type JwtVerifier } from './identity';
import { ApiKeys } from './keys';
import { LoginGuard } from './login-guard';
import type { RateStore } from '../rate-limit/store';
import { generatePassword } from './passwords';
import { ADMIN_ROLE } from './principal';
import { Sessions } from './sessions';
import { AccessStore } from './store';

export type AccessConfig = Pick<Config, 'adminSecret' | 'adminEmail' | 'adminPassword' | 'sessionTtlHours' | 'accessPollMs' | 'loginMaxFailures' | 'redisUrl' | 'redisPrefix'>;

/** Everything about who may do what, opened once per server over the registry's database. */
export interface Access {
  store: AccessStore;
  /** lazydb's own users (sign-in with a password). */
  local: LocalDirectory;
  /** Where the admin's Users screen manages users: the local directory, Auth0 or Firebase. */
  directory: UserDirectory;
  sessions: Sessions;
  keys: ApiKeys;
  rules: AccessRules;
  identity: Identity;
  loginGuard: LoginGuard;
  /** Re-reads rules and forgets verified credentials now (a change made through this replica). */
  changed(): Promise<void>;
  /** Subscribes to changes (this replica's or, through the poll, another's). */
  onChange(listener: () => void): void;
  close(): Promise<void>;
}

export interface AccessOptions {
  jwt?: JwtVerifier | null;
  /** Users managed elsewhere (Auth0, Firebase); absent: the local directory. */
  directory?: UserDirectory | null;
  /** Where failed sign-ins are counted (the rate limits' store, so one Redis connection serves both); absent: one of its own. */
  rates?: RateStore;
}

export async function openAccess(config: AccessConfig, db: Knex, log: Logger, options: AccessOptions = {}): Promise<Access> {
  const store = new AccessStore(db);
  await store.ensureTables();
  const rules = new AccessRules(store);
  await rules.load();
  const local = new LocalDirectory(store);
  const sessions = new Sessions(store, config.sessionTtlHours * 3_600_000);
  const keys = new ApiKeys(store);
  const identity = new Identity(store, local, sessions, keys, { adminSecret: config.adminSecret, jwt: options.jwt ?? null, hasRole: (role) => rules.hasRole(role) });
  const loginGuard = new LoginGuard(config, log, options.rates);
  await ensureFirstAdmin(config, local, log);

  const listeners = new Set<() => void>();
  let known = await store.version();
  const reload = async () => {
    await rules.load();
    identity.forget();
    for (const listener of listeners) listener();
  };
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    store
      .version()
      .then(async (version) => {
        if (version === known) return;
        known = version;
        await reload();
      })
      .catch((error: unknown) => log.warn('could not check the registry for access changes', { error: (error as Error)?.message ?? String(error) }))
      .finally(() => {
        polling = false;
      });
  }, config.accessPollMs);
  timer.unref();
  const prune = setInterval(() => void sessions.prune().catch(() => undefined), 3_600_000);
  prune.unref();

  return {
    store,
    local,
    directory: options.directory ?? local,
    sessions,
    keys,
    rules,
    identity,
    loginGuard,
    async changed() {
      known = await store.version();
      await reload();
    },
    onChange(listener) {
      listeners.add(listener);
    },
    async close() {
      clearInterval(timer);
      clearInterval(prune);
      await loginGuard.close();
    },
  };
}

/**
 * On the first start (no local user yet) an admin user is made: LAZYDB_ADMIN_EMAIL with
 * LAZYDB_ADMIN_PASSWORD, or a generated password printed once here (only its hash is kept).
 */
async function ensureFirstAdmin(config: AccessConfig, local: LocalDirectory, log: Logger): Promise<void> {
  if ((await local.count()) > 0) return;
  const password = config.adminPassword ?? generatePassword();
  try {
    await local.create({ email: config.adminEmail, password, roles: [ADMIN_ROLE] });
  } catch (error) {
    // Another replica made it meanwhile.
    if ((await local.count()) > 0) return;
    throw error;
  }
  if (config.adminPassword !== undefined) {
    log.info('first start: admin user created; sign in with LAZYDB_ADMIN_PASSWORD', { email: config.adminEmail });
  } else {
    log.info(`first start: admin user created. Sign in to the admin as ${config.adminEmail} with the password ${password} (shown only this once; change it in the admin, or set LAZYDB_ADMIN_PASSWORD before the first start)`, { email: config.adminEmail });
  }
}
