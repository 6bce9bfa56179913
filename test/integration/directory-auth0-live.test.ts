import { randomBytes } from 'node:crypto';
import { ManagementClient } from 'auth0';
import { afterAll, describe, expect, it } from 'vitest';
import { Auth0Directory } from '../../server/auth/directory/auth0';

/**
 * The Auth0 directory against a real tenant, opt-in: set LAZYDB_TEST_AUTH0_DOMAIN,
 * LAZYDB_TEST_AUTH0_CLIENT_ID and LAZYDB_TEST_AUTH0_CLIENT_SECRET (a machine-to-machine application
 * allowed read:users, create:users, update:users, delete:users, read:roles, create:roles,
 * delete:roles; LAZYDB_TEST_AUTH0_CONNECTION if the database connection is not the default).
 * Unset, the suite is reported skipped. It creates one user and two roles named after a random
 * tag, and deletes them afterwards.
 */
const domain = process.env.LAZYDB_TEST_AUTH0_DOMAIN?.trim();
const clientId = process.env.LAZYDB_TEST_AUTH0_CLIENT_ID?.trim();
const clientSecret = process.env.LAZYDB_TEST_AUTH0_CLIENT_SECRET?.trim();
const live = Boolean(domain && clientId && clientSecret);
if (!live) console.info('[directory-auth0-live] skipped: set LAZYDB_TEST_AUTH0_DOMAIN, LAZYDB_TEST_AUTH0_CLIENT_ID and LAZYDB_TEST_AUTH0_CLIENT_SECRET to run it against a tenant');

describe.skipIf(!live)('the Auth0 user directory on a live tenant', () => {
  const tag = randomBytes(4).toString('hex');
  const email = `lazydb-live-${tag}@lazydb.test`;
  const [reader, editor] = [`lazydb-test-reader-${tag}`, `lazydb-test-editor-${tag}`];
  const options = { domain: domain!, clientId: clientId!, clientSecret: clientSecret! };
  const connection = process.env.LAZYDB_TEST_AUTH0_CONNECTION?.trim();
  const directory = live ? new Auth0Directory({ ...options, ...(connection ? { connection } : {}) }) : undefined;
  let userId: string | undefined;

  afterAll(async () => {
    if (!live) return;
    const admin = new ManagementClient(options);
    if (userId) await admin.users.delete(userId).catch(() => undefined);
    for (const name of [reader, editor]) {
      const roles = await admin.roles.list({ name_filter: name });
      for (const role of roles.data) if (role.name === name && role.id) await admin.roles.delete(role.id);
    }
  });

  it('creates, finds, sets roles on, blocks and deletes a user', async () => {
    const created = await directory!.create({ email, password: `Lz-${randomBytes(12).toString('base64url')}-9a`, roles: [reader] });
    userId = created.id;
    expect(created).toMatchObject({ email, roles: [reader], blocked: false });
    expect((await directory!.get(created.id))?.roles).toEqual([reader]);

    expect((await directory!.setRoles(created.id, [editor])).roles).toEqual([editor]);
    expect((await directory!.get(created.id))?.roles).toEqual([editor]);
    expect((await directory!.setBlocked(created.id, true)).blocked).toBe(true);
    expect((await directory!.setBlocked(created.id, false)).blocked).toBe(false);

    // Auth0's search index lags behind writes by a few seconds: look for a while, not for ever.
    let found = false;
    for (let attempt = 0; attempt < 10 && !found; attempt += 1) {
      found = (await directory!.list({ search: `lazydb-live-${tag}` })).users.some((user) => user.id === created.id);
      if (!found) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    expect(found).toBe(true);

    await directory!.remove(created.id);
    userId = undefined;
    expect(await directory!.get(created.id)).toBeNull();
  });
});
