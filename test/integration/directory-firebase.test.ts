import { randomBytes } from 'node:crypto';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirebaseDirectory } from '../../server/auth/directory/firebase';
import { LazydbError } from '../../server/errors/lazydb-error';
import { startTestServer } from '../helpers/server';
import { FIREBASE_TOOLS, firebaseSkipReason, nonLoopbackCalls, startFirebaseEmulator, type FirebaseEmulator } from '../helpers/firebase-emulator';

/**
 * The Firebase directory against the real Auth emulator (firebase-tools), offline on loopback: what
 * the adapter writes is read back by firebase-admin and by the emulator's sign-in REST API, as an
 * application signing its users in would.
 */
const skipReason = firebaseSkipReason();
if (skipReason) console.info(`[directory-firebase] skipped: ${skipReason}`);

const PASSWORD = 'correct horse battery staple';

describe.skipIf(skipReason !== null)('the Firebase user directory on the Auth emulator', () => {
  let emulator: FirebaseEmulator;
  let directory: FirebaseDirectory;
  // A second, independent firebase-admin app: what the directory wrote, seen from outside it.
  let witnessApp: App;
  let witness: Auth;
  const tag = randomBytes(4).toString('hex');
  const email = (name: string) => `${name}-${tag}@lazydb.test`;

  beforeAll(async () => {
    emulator = await startFirebaseEmulator(FIREBASE_TOOLS!);
    // firebase-admin reads the emulator's address from the environment, for every app of the process.
    process.env.FIREBASE_AUTH_EMULATOR_HOST = emulator.host;
    directory = new FirebaseDirectory({ projectId: emulator.projectId });
    witnessApp = initializeApp({ projectId: emulator.projectId }, `witness-${tag}`);
    witness = getAuth(witnessApp);
    // The emulator compiles its API description on start: tens of seconds on a busy machine.
  }, 240_000);

  afterAll(async () => {
    await directory?.close();
    if (witnessApp) await deleteApp(witnessApp);
    await emulator?.stop();
    delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
  }, 60_000);

  /** Signs in as an application would (the emulator accepts any API key), returning the ID token's claims. */
  async function signIn(address: string, password = PASSWORD): Promise<{ status: number; idToken?: string; error?: string }> {
    const answer = await fetch(`http://${emulator.host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=fake-api-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: address, password, returnSecureToken: true }),
    });
    const body = (await answer.json()) as { idToken?: string; error?: { message?: string } };
    return { status: answer.status, ...(body.idToken ? { idToken: body.idToken } : {}), ...(body.error?.message ? { error: body.error.message } : {}) };
  }

  it('says what it can do: everything but search', () => {
    expect([...directory.capabilities].sort()).toEqual(['block', 'create', 'delete', 'list', 'setRoles']);
    expect(directory.kind).toBe('firebase');
  });

  it('creates a user with roles that a signed-in ID token carries as the roles claim', async () => {
    const user = await directory.create({ email: email('ada'), password: PASSWORD, roles: ['reader'] });
    expect(user).toMatchObject({ email: email('ada'), blocked: false, roles: ['reader'], name: null });
    expect(user.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await witness.getUser(user.id)).customClaims).toEqual({ roles: ['reader'] });

    const signedIn = await signIn(email('ada'));
    expect(signedIn.status).toBe(200);
    // Emulator tokens are unsigned (alg "none"): only their claims are checked here, never a signature.
    expect(decodeProtectedHeader(signedIn.idToken!).alg).toBe('none');
    const claims = decodeJwt(signedIn.idToken!);
    expect(claims).toMatchObject({ roles: ['reader'], email: email('ada'), user_id: user.id, aud: emulator.projectId });
  });

  it('sets roles without losing other custom claims, and revokes the tokens issued before', async () => {
    const user = await directory.create({ email: email('grace'), password: PASSWORD, roles: [] });
    expect(user.roles).toEqual([]);
    await witness.setCustomUserClaims(user.id, { tenant: 'acme', roles: ['old'] });
    const before = await signIn(email('grace'));
    expect(decodeJwt(before.idToken!)).toMatchObject({ tenant: 'acme', roles: ['old'] });
    // Revocation has a resolution of one second (tokensValidAfterTime against auth_time): let the
    // sign-in above fall into an earlier second than the revocation below.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const changed = await directory.setRoles(user.id, ['editor', 'reader', 'editor']);
    expect(changed.roles).toEqual(['editor', 'reader']);
    expect((await witness.getUser(user.id)).customClaims).toEqual({ tenant: 'acme', roles: ['editor', 'reader'] });
    await expect(witness.verifyIdToken(before.idToken!, true)).rejects.toMatchObject({ code: 'auth/id-token-revoked' });

    const after = await signIn(email('grace'));
    expect(decodeJwt(after.idToken!)).toMatchObject({ tenant: 'acme', roles: ['editor', 'reader'] });
    expect((await witness.verifyIdToken(after.idToken!, true)).roles).toEqual(['editor', 'reader']);
  });

  it('blocks a user (Firebase disabled: sign-in refused) and unblocks them', async () => {
    const user = await directory.create({ email: email('linus'), password: PASSWORD, roles: ['reader'] });
    const blocked = await directory.setBlocked(user.id, true);
    expect(blocked).toMatchObject({ id: user.id, blocked: true, roles: ['reader'] });
    expect((await witness.getUser(user.id)).disabled).toBe(true);
    expect(await signIn(email('linus'))).toMatchObject({ status: 400, error: 'USER_DISABLED' });

    expect((await directory.setBlocked(user.id, false)).blocked).toBe(false);
    expect((await signIn(email('linus'))).status).toBe(200);
    expect((await directory.get(user.id))?.blocked).toBe(false);
  });

  it('lists every user page by page with the page token, and refuses to search', async () => {
    const made = await Promise.all(['p1', 'p2', 'p3'].map((name) => directory.create({ email: email(name), password: PASSWORD, roles: [name] })));
    const seen = new Map<string, string[]>();
    let page: string | null = null;
    let pages = 0;
    do {
      const result = await directory.list({ page, perPage: 2 });
      expect(result.users.length).toBeLessThanOrEqual(2);
      expect(result.total).toBeNull();
      for (const user of result.users) seen.set(user.id, user.roles);
      page = result.next;
      pages += 1;
    } while (page !== null && pages < 50);
    expect(page).toBeNull();
    for (const user of made) expect(seen.get(user.id)).toEqual(user.roles);
    expect(pages).toBeGreaterThanOrEqual(2);

    await expect(directory.list({ search: 'p1' })).rejects.toMatchObject({ code: 'DIRECTORY_ACTION_UNSUPPORTED', status: 400 });
  });

  it('answers the catalogue codes for a taken email, a weak password and an unknown user', async () => {
    await directory.create({ email: email('dup'), password: PASSWORD, roles: [] });
    await expect(directory.create({ email: email('dup'), password: PASSWORD, roles: [] })).rejects.toMatchObject({ code: 'USER_EXISTS', status: 409 });
    const weak = await directory.create({ email: email('weak'), password: '123', roles: [] }).catch((error: unknown) => error);
    expect(weak).toBeInstanceOf(LazydbError);
    expect(weak).toMatchObject({ code: 'DIRECTORY_REFUSED', status: 400 });
    expect((weak as Error).message).toMatch(/password/i);

    expect(await directory.get('no-such-user')).toBeNull();
    await expect(directory.setBlocked('no-such-user', true)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(directory.setRoles('no-such-user', ['reader'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(directory.remove('no-such-user')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('deletes a user, who can no longer sign in', async () => {
    const user = await directory.create({ email: email('gone'), password: PASSWORD, roles: [] });
    await directory.remove(user.id);
    expect(await directory.get(user.id)).toBeNull();
    expect(await signIn(email('gone'))).toMatchObject({ status: 400, error: 'EMAIL_NOT_FOUND' });
  });

  it('keeps several directories in one process, each on its own named app', async () => {
    const other = new FirebaseDirectory({ projectId: emulator.projectId });
    try {
      const user = await other.create({ email: email('second'), password: PASSWORD, roles: ['x'] });
      expect((await directory.get(user.id))?.roles).toEqual(['x']);
    } finally {
      await other.close();
    }
  });

  it('answers DIRECTORY_UNAVAILABLE when the emulator does not answer', async () => {
    const closed = await startClosedPort();
    process.env.FIREBASE_AUTH_EMULATOR_HOST = `127.0.0.1:${closed}`;
    const lost = new FirebaseDirectory({ projectId: emulator.projectId });
    try {
      await expect(lost.list({})).rejects.toMatchObject({ code: 'DIRECTORY_UNAVAILABLE', status: 502 });
    } finally {
      process.env.FIREBASE_AUTH_EMULATOR_HOST = emulator.host;
      await lost.close();
    }
  });

  it('stayed on loopback: the emulator logged no call to any other host', () => {
    // A demo- project makes the emulator offline-only; it says so when it starts.
    expect(emulator.output()).toContain('Detected demo project ID "demo-lazydb"');
    expect(nonLoopbackCalls(emulator.output())).toEqual([]);
    // The check finds such a call where there is one (the CLI's message-of-the-day fetch, which CI=1 turns off).
    expect(nonLoopbackCalls('[debug] >>> [apiv2][query] GET https://firebase-public.firebaseio.com/cli.json [none]\n[debug] >>> [apiv2][query] GET http://127.0.0.1:9099/')).toHaveLength(1);
  });
  it('is what the admin manages through /api/users when LAZYDB_DIRECTORY=firebase: list, create, roles, block, delete', async () => {
    const server = await startTestServer({ env: { LAZYDB_DIRECTORY: 'firebase', LAZYDB_FIREBASE_PROJECT_ID: emulator.projectId, FIREBASE_AUTH_EMULATOR_HOST: emulator.host } });
    try {
      expect((await server.request('/api/roles', { method: 'POST', json: { name: 'reader' } })).status).toBe(201);
      const created = await server.request('/api/users', { method: 'POST', json: { email: email('http'), password: PASSWORD, roles: ['reader'] } });
      expect(created.status, created.text).toBe(201);
      expect((await witness.getUser(created.body.id)).customClaims).toEqual({ roles: ['reader'] });
      const listed = await server.request('/api/users');
      expect(listed.body.directory).toEqual({ kind: 'firebase', capabilities: expect.arrayContaining(['list', 'create', 'block', 'delete', 'setRoles']) });
      expect(listed.body.directory.capabilities).not.toContain('search');
      expect(listed.body.users.map((u: { email: string }) => u.email)).toContain(email('http'));
      expect((await server.request('/api/users?search=x')).body.error.code).toBe('DIRECTORY_ACTION_UNSUPPORTED');
      const blocked = await server.request(`/api/users/${created.body.id}`, { method: 'PATCH', json: { blocked: true, roles: [] } });
      expect(blocked.body).toMatchObject({ blocked: true, roles: [] });
      expect((await witness.getUser(created.body.id)).disabled).toBe(true);
      expect((await signIn(email('http'))).status).toBe(400);
      expect((await server.request(`/api/users/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
      await expect(witness.getUser(created.body.id)).rejects.toThrow();
      expect((await server.request('/api/users', { anonymous: true })).status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});

/** A loopback port nobody listens on (bound, then released). */
async function startClosedPort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
