import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Auth0Directory, searchQuery } from '../../server/auth/directory/auth0';
import { REPO_ROOT } from '../helpers/databases';
import { readContract, replay, type RecordedContract, type Replay } from '../helpers/recorded-http';

/**
 * The Auth0 directory against the Management API's recorded contract (test/fixtures/recorded/auth0/):
 * the real SDK sends its real requests to a replay on 127.0.0.1 (through the SDK's `fetch` option:
 * it always builds https://<domain> URLs), which answers each recorded request with its recorded
 * answer. Every test checks that the adapter sent nothing the contract lacks and everything it has.
 * The recorded requests are those auth0 7.1.0 sent for these scenarios; the answers follow the
 * Management API reference (shapes, status codes, error bodies) and were not captured from a live
 * tenant: directory-auth0-live.test.ts is the check against one.
 */
const contract = (name: string): RecordedContract => readContract(path.join(REPO_ROOT, 'test/fixtures/recorded/auth0', `${name}.json`));

const ADA = 'auth0|65a1f0c2e4b0000001';
const ALAN = 'auth0|65a1f0c2e4b0000002';
const GRACE = 'auth0|65a1f0c2e4b0000003';
const UNKNOWN = 'auth0|000000000000000000000000';
const SECRET = 'lazydb-test-client-secret';

let open: Replay | undefined;

async function directoryOn(recorded: RecordedContract): Promise<{ directory: Auth0Directory; replayed: Replay }> {
  const replayed = await replay(recorded);
  open = replayed;
  // No retries: a refusal of the replay shows at once (the SDK would retry a 501 as a server error).
  const directory = new Auth0Directory({ domain: recorded.host, clientId: 'lazydb-test-client', clientSecret: SECRET, maxRetries: 0, fetch: replayed.fetch });
  return { directory, replayed };
}

function expectContractKept(replayed: Replay): void {
  expect(replayed.unexpected).toEqual([]);
  expect(replayed.unused().map((exchange) => `${exchange.request.method} ${exchange.request.path}`)).toEqual([]);
}

afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('the Auth0 user directory, on the recorded Management API contract', () => {
  it('says what it can do', () => {
    const directory = new Auth0Directory({ domain: 'lazydb-test.eu.auth0.com', clientId: 'id', clientSecret: SECRET });
    expect(directory.kind).toBe('auth0');
    expect([...directory.capabilities].sort()).toEqual(['block', 'create', 'delete', 'list', 'search', 'setRoles']);
  });

  it('lists page by page with totals and each user\'s roles, searches, and gets one user', async () => {
    const { directory, replayed } = await directoryOn(contract('list-search-get'));
    const first = await directory.list({ perPage: 2 });
    expect(first.total).toBe(3);
    expect(first.next).toBe('1');
    expect(first.users.map((user) => [user.id, user.email, user.roles, user.blocked])).toEqual([
      [ADA, 'ada@lazydb.test', ['reader'], false],
      [ALAN, 'alan@lazydb.test', [], true],
    ]);
    expect(first.users[0]).toMatchObject({ name: 'ada@lazydb.test', lastSignInAt: '2026-11-30T08:15:00.000Z' });
    expect(first.users[0]!.createdAt).toMatch(/^2026-11-\d\dT/);

    const second = await directory.list({ perPage: 2, page: first.next });
    expect(second.users.map((user) => user.id)).toEqual([GRACE]);
    expect(second.next).toBeNull();

    const found = await directory.list({ search: 'al' });
    expect(found.users.map((user) => user.email)).toEqual(['alan@lazydb.test']);

    expect(await directory.get(ADA)).toMatchObject({ id: ADA, roles: ['reader'], blocked: false });
    expect(await directory.get(UNKNOWN)).toBeNull();
    expectContractKept(replayed);
  });

  it('creates a user with roles, creating the Auth0 roles missing, then makes their roles exactly the set asked for', async () => {
    const { directory, replayed } = await directoryOn(contract('create-set-roles'));
    const created = await directory.create({ email: 'linus@lazydb.test', password: 'correct horse battery staple', roles: ['reader', 'editor'] });
    expect(created).toMatchObject({ id: 'auth0|65a1f0c2e4b0000004', email: 'linus@lazydb.test', roles: ['reader', 'editor'], blocked: false });
    const changed = await directory.setRoles(created.id, ['editor', 'auditor', 'editor']);
    expect(changed.roles).toEqual(['editor', 'auditor']);
    expectContractKept(replayed);
  });

  it('blocks and unblocks (users.update blocked), deletes, and answers NOT_FOUND for a user deleted already', async () => {
    const { directory, replayed } = await directoryOn(contract('block-remove'));
    expect(await directory.setBlocked(ALAN, false)).toMatchObject({ id: ALAN, blocked: false, roles: [] });
    expect(await directory.setBlocked(ALAN, true)).toMatchObject({ id: ALAN, blocked: true });
    await directory.remove(ALAN);
    await expect(directory.remove(ALAN)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expectContractKept(replayed);
  });

  it("answers the catalogue's codes for Auth0's refusals", async () => {
    const { directory, replayed } = await directoryOn(contract('refusals'));
    await expect(directory.create({ email: 'ada@lazydb.test', password: 'correct horse battery staple', roles: [] })).rejects.toMatchObject({ code: 'USER_EXISTS', status: 409 });
    const weak = directory.create({ email: 'weak@lazydb.test', password: 'abc', roles: [] });
    await expect(weak).rejects.toMatchObject({ code: 'DIRECTORY_REFUSED', status: 400 });
    await expect(weak).rejects.toThrow(/PasswordStrengthError/);
    await expect(directory.setRoles(UNKNOWN, ['reader'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expectContractKept(replayed);
  });

  it('fails the contract when the adapter sends a call it does not have', async () => {
    // The role changes of create-set-roles without the removal of reader: the adapter still sends it.
    const recorded = contract('create-set-roles');
    recorded.exchanges = recorded.exchanges.filter((exchange) => exchange.request.method !== 'DELETE');
    const { directory, replayed } = await directoryOn(recorded);
    const created = await directory.create({ email: 'linus@lazydb.test', password: 'correct horse battery staple', roles: ['reader', 'editor'] });
    await expect(directory.setRoles(created.id, ['editor', 'auditor'])).rejects.toMatchObject({ code: 'DIRECTORY_UNAVAILABLE' });
    expect(replayed.unexpected).toEqual([`DELETE /api/v2/users/auth0%7C65a1f0c2e4b0000004/roles {"roles":["rol_Zb4mYq81TPKcJv6e"]}`]);
  });

  it("answers DIRECTORY_UNAVAILABLE without the client secret when Auth0 refuses lazydb's credentials, or cannot be reached", async () => {
    const refused: RecordedContract = {
      description: 'The token exchange refused (a wrong client secret).',
      host: 'lazydb-test.eu.auth0.com',
      exchanges: [
        {
          request: { method: 'POST', path: '/oauth/token', body: { grant_type: 'client_credentials', client_id: 'lazydb-test-client', audience: 'https://lazydb-test.eu.auth0.com/api/v2/', client_secret: SECRET } },
          response: { status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } },
        },
      ],
    };
    const { directory, replayed } = await directoryOn(refused);
    const error = (await directory.list({}).then(() => null, (caught: unknown) => caught)) as Error & { code: string; status: number };
    expect([error.code, error.status]).toEqual(['DIRECTORY_UNAVAILABLE', 502]);
    expect(error.message).toMatch(/client credentials/);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(SECRET);
    expectContractKept(replayed);

    await replayed.close();
    const gone = new Auth0Directory({ domain: refused.host, clientId: 'lazydb-test-client', clientSecret: SECRET, maxRetries: 0, fetch: replayed.fetch });
    const unreachable = (await gone.get(ADA).then(() => null, (caught: unknown) => caught)) as Error & { code: string };
    expect(unreachable.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(unreachable.message).not.toContain(SECRET);
  });

  it('refuses a page token it did not give out before calling Auth0', async () => {
    const { directory, replayed } = await directoryOn({ description: 'nothing', host: 'lazydb-test.eu.auth0.com', exchanges: [] });
    await expect(directory.list({ page: 'abc' })).rejects.toMatchObject({ code: 'BAD_PARAMETER' });
    expect(replayed.unexpected).toEqual([]);
  });
});

describe('the Auth0 search query', () => {
  it('is a prefix match on email or name with every Lucene special character escaped', () => {
    expect(searchQuery('ada')).toBe('email:ada* OR name:ada*');
    expect(searchQuery('a b')).toBe('email:a\\ b* OR name:a\\ b*');
    expect(searchQuery('x") OR (email:*')).toBe('email:x\\"\\)\\ OR\\ \\(email\\:\\** OR name:x\\"\\)\\ OR\\ \\(email\\:\\**');
  });
});
