import { readFileSync } from 'node:fs';
import type { ServiceAccount } from 'firebase-admin/app';
import { ConfigError, type Config } from '../../config';
import { Auth0Directory } from './auth0';
import { FirebaseDirectory } from './firebase';
import type { UserDirectory } from './types';

/** The settings a directory is made from (loadConfig checked that the chosen one has what it needs). */
export type DirectorySettings = Pick<Config, 'directory' | 'auth0Domain' | 'auth0ClientId' | 'auth0ClientSecret' | 'auth0Connection' | 'firebaseProjectId' | 'firebaseCredentials'>;

/**
 * The remote user directory the settings choose, or null for `local` (lazydb's own users, which
 * the caller provides). Throws a ConfigError naming the variable at fault, never its secret.
 */
export function directoryFromConfig(settings: DirectorySettings): UserDirectory | null {
  switch (settings.directory) {
    case 'local':
      return null;
    case 'auth0':
      return new Auth0Directory({
        domain: required(settings.auth0Domain, 'LAZYDB_AUTH0_DOMAIN'),
        clientId: required(settings.auth0ClientId, 'LAZYDB_AUTH0_CLIENT_ID'),
        clientSecret: required(settings.auth0ClientSecret, 'LAZYDB_AUTH0_CLIENT_SECRET'),
        connection: settings.auth0Connection,
      });
    case 'firebase': {
      const projectId = required(settings.firebaseProjectId, 'LAZYDB_FIREBASE_PROJECT_ID');
      if (settings.firebaseCredentials !== undefined) return new FirebaseDirectory({ projectId, serviceAccount: readServiceAccount(settings.firebaseCredentials) });
      if (!process.env.FIREBASE_AUTH_EMULATOR_HOST) {
        throw new ConfigError([{ variable: 'LAZYDB_FIREBASE_CREDENTIALS', message: "must be set: LAZYDB_DIRECTORY=firebase needs a service account's JSON key file (or FIREBASE_AUTH_EMULATOR_HOST for the emulator)" }]);
      }
      return new FirebaseDirectory({ projectId });
    }
  }
}

function required(value: string | undefined, variable: string): string {
  if (value === undefined) throw new ConfigError([{ variable, message: 'must be set for the chosen LAZYDB_DIRECTORY' }]);
  return value;
}

/**
 * A service account key file, checked for the fields firebase-admin signs with. The messages
 * name the file only: JSON.parse's own message can quote the text around a fault, which here is
 * a private key.
 */
export function readServiceAccount(file: string): ServiceAccount {
  const variable = 'LAZYDB_FIREBASE_CREDENTIALS';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([{ variable, message: `cannot read ${file} (${code})` }]);
  }
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    throw new ConfigError([{ variable, message: `${file} is not JSON: download the key again (Firebase console, Project settings, Service accounts)` }]);
  }
  const fields = key as Record<string, unknown> | null;
  const field = (name: string) => (typeof fields?.[name] === 'string' && fields[name] !== '' ? (fields[name] as string) : undefined);
  const clientEmail = field('client_email');
  const privateKey = field('private_key');
  if (fields?.type !== 'service_account' || clientEmail === undefined || privateKey === undefined) {
    throw new ConfigError([{ variable, message: `${file} is not a service account key (it needs "type": "service_account", client_email and private_key)` }]);
  }
  const projectId = field('project_id');
  return { clientEmail, privateKey, ...(projectId ? { projectId } : {}) };
}
