import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Auth0Directory } from '../../server/auth/directory/auth0';
import { FirebaseDirectory } from '../../server/auth/directory/firebase';
import { directoryFromConfig } from '../../server/auth/directory/index';
import { ConfigError, loadConfig, redactedConfig } from '../../server/config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lazydb-directory-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulatorHost = process.env.FIREBASE_AUTH_EMULATOR_HOST;
afterEach(() => {
  if (emulatorHost === undefined) delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
  else process.env.FIREBASE_AUTH_EMULATOR_HOST = emulatorHost;
});

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const AUTH0 = { LAZYDB_DIRECTORY: 'auth0', LAZYDB_AUTH0_DOMAIN: 'Lazydb-Test.eu.auth0.com', LAZYDB_AUTH0_CLIENT_ID: 'client-id', LAZYDB_AUTH0_CLIENT_SECRET: 'very-secret-client-secret' };

describe('the user directory settings', () => {
  it('default to the local directory, which the caller provides', () => {
    const config = loadConfig({});
    expect([config.directory, config.auth0Connection, config.auth0Domain, config.firebaseProjectId]).toEqual(['local', 'Username-Password-Authentication', undefined, undefined]);
    expect(directoryFromConfig(config)).toBeNull();
  });

  it('make an Auth0 directory, its secret hidden from the logged config', () => {
    const config = loadConfig({ ...AUTH0, LAZYDB_AUTH0_CONNECTION: 'staff' });
    expect([config.auth0Domain, config.auth0Connection]).toEqual(['lazydb-test.eu.auth0.com', 'staff']);
    expect(directoryFromConfig(config)).toBeInstanceOf(Auth0Directory);
    expect(JSON.stringify(redactedConfig(config))).not.toContain('very-secret-client-secret');
    expect(redactedConfig(config).auth0ClientSecret).toBe('********');
  });

  it('name every Auth0 setting that is missing or malformed, without echoing the secret', () => {
    const missing = configError(() => loadConfig({ LAZYDB_DIRECTORY: 'auth0', LAZYDB_AUTH0_CLIENT_SECRET: 'very-secret-client-secret' }));
    expect(missing.issues.map((issue) => issue.variable).sort()).toEqual(['LAZYDB_AUTH0_CLIENT_ID', 'LAZYDB_AUTH0_DOMAIN']);
    expect(missing.message).not.toContain('very-secret');
    const malformed = configError(() => loadConfig({ ...AUTH0, LAZYDB_AUTH0_DOMAIN: 'https://tenant.auth0.com/' }));
    expect(malformed.issues.map((issue) => issue.variable)).toEqual(['LAZYDB_AUTH0_DOMAIN']);
    expect(configError(() => loadConfig({ LAZYDB_DIRECTORY: 'okta' })).issues[0]?.message).toContain('local, auth0, firebase');
  });

  it('make a Firebase directory from a service account key file, or for the emulator', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const keyFile = path.join(dir, 'key.json');
    writeFileSync(keyFile, JSON.stringify({ type: 'service_account', project_id: 'lazydb-test', client_email: 'lazydb@lazydb-test.iam.gserviceaccount.com', private_key: privateKey }));
    delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    const withKey = directoryFromConfig(loadConfig({ LAZYDB_DIRECTORY: 'firebase', LAZYDB_FIREBASE_PROJECT_ID: 'lazydb-test', LAZYDB_FIREBASE_CREDENTIALS: keyFile }));
    expect(withKey).toBeInstanceOf(FirebaseDirectory);
    await (withKey as FirebaseDirectory).close();

    process.env.FIREBASE_AUTH_EMULATOR_HOST = '127.0.0.1:9099';
    const config = loadConfig({ LAZYDB_DIRECTORY: 'firebase', LAZYDB_FIREBASE_PROJECT_ID: 'demo-lazydb', FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099' });
    const emulated = directoryFromConfig(config);
    expect(emulated).toBeInstanceOf(FirebaseDirectory);
    await (emulated as FirebaseDirectory).close();
  });

  it('refuse Firebase without credentials or an emulator, and a key file that is not one, without quoting it', () => {
    const none = configError(() => loadConfig({ LAZYDB_DIRECTORY: 'firebase' }));
    expect(none.issues.map((issue) => issue.variable).sort()).toEqual(['LAZYDB_FIREBASE_CREDENTIALS', 'LAZYDB_FIREBASE_PROJECT_ID']);

    delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ SECRETKEYTEXT');
    const settings = (file: string) => loadConfig({ LAZYDB_DIRECTORY: 'firebase', LAZYDB_FIREBASE_PROJECT_ID: 'lazydb-test', LAZYDB_FIREBASE_CREDENTIALS: file });
    const notJson = configError(() => directoryFromConfig(settings(broken)));
    expect(notJson.issues[0]?.variable).toBe('LAZYDB_FIREBASE_CREDENTIALS');
    expect(notJson.message).not.toContain('SECRETKEYTEXT');

    const other = path.join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ type: 'authorized_user', refresh_token: 'SECRETKEYTEXT' }));
    expect(configError(() => directoryFromConfig(settings(other))).message).toMatch(/not a service account key/);
    expect(configError(() => directoryFromConfig(settings(path.join(dir, 'absent.json')))).message).toMatch(/ENOENT/);
  });
});
