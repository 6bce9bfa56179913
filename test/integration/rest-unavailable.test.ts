/**
 * The REST answer when a registered database goes away, which the engine suite cannot cause:
 * 503 DATABASE_UNAVAILABLE with Retry-After, exactly as the database's OpenAPI document
 * (taken while it was up) says, checked by the independent validator.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/databases';
import { RestContract } from '../helpers/openapi-contract';
import { useRegisteredDatabase } from '../helpers/registered';

const pgUp = await requireOrSkip('postgres');

describe.skipIf(!pgUp)('REST when the database is gone', () => {
  const database = useRegisteredDatabase('postgres', {
    available: pgUp,
    name: 'gone',
    sql: 'create table item (id integer primary key, label text null)\n--;;\ninsert into item (id, label) values (1, \'one\')',
  });
  let contract: RestContract;

  beforeAll(async () => {
    if (!pgUp) return;
    contract = await RestContract.load((await database.server.request('/db/gone/openapi.json')).body);
  });

  it('answers 503 with Retry-After, as documented, for reads and writes', async () => {
    const before = await database.server.request('/db/gone/rest/item/1');
    expect(contract.check({ method: 'GET', path: '/item/1' }, before)).toEqual([]);
    expect(before.body).toEqual({ id: 1, label: 'one' });
    await database.db.drop();
    const exchanges: [string, string, unknown][] = [
      ['GET', '/item', undefined],
      ['GET', '/item/1', undefined],
      ['POST', '/item', { id: 2, label: 'two' }],
      ['PATCH', '/item/1', { label: 'uno' }],
      ['DELETE', '/item/1', undefined],
    ];
    for (const [method, path, json] of exchanges) {
      const response = await database.server.request(`/db/gone/rest${path}`, { method, json });
      expect([method, path, response.status, response.body.error?.code]).toEqual([method, path, 503, 'DATABASE_UNAVAILABLE']);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(contract.check({ method, path, body: json }, response)).toEqual([]);
    }
  });
});
