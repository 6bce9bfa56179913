import { describe, expect, it } from 'vitest';
import { correctOpenAPI } from '../../server/rest/openapi';
import { buildSofaRest } from '../../server/rest/sofa';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource } from '../../server/schema/source';
import { hardCaseModel } from '../helpers/model';

describe('REST routes and OpenAPI document from SOFA', () => {
  const named = nameModel(hardCaseModel());
  // Building routes and the document never reads data.
  const schema = buildSchema(named, { readsNested: false } as DataSource, { maxLimit: 100 });
  const rest = buildSofaRest('shop', named, schema);
  const document = correctOpenAPI(rest.openAPIDocument, named, 'shop', 100);

  it('describes every operation and every query parameter from the model', () => {
    const operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ at: `${method.toUpperCase()} ${path}`, operation })),
    );
    expect(operations.map((o) => o.at)).toEqual(expect.arrayContaining(['GET /artist', 'POST /artist', 'GET /artist/{artist_id}', 'PATCH /artist/{artist_id}', 'DELETE /artist/{artist_id}']));
    for (const { at, operation } of operations) {
      expect([at, typeof operation.summary]).toEqual([at, 'string']);
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'query') expect([at, parameter.name, typeof parameter.description]).toEqual([at, parameter.name, 'string']);
      }
    }
    const list = (document.paths['/artist'].get.parameters as { name: string; description: string }[]).find((p) => p.name === 'limit');
    expect(list?.description).toBe('Rows to return (at most 100, the default)');
  });

  it('keeps every route SOFA made, one per table and operation', () => {
    expect([...rest.routes.keys()]).toEqual(expect.arrayContaining(['artist list', 'artist byKey', 'artist insert', 'artist update', 'artist delete']));
    expect(rest.routes.get('artist byKey')).toMatchObject({ method: 'GET', path: '/artist/:artist_id' });
  });
});
