import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { correctOpenAPI } from '../../server/rest/openapi';
import { buildSofaRest } from '../../server/rest/sofa';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource } from '../../server/schema/source';
import { column, hardCaseModel, model, table } from '../helpers/model';
import { RestContract } from '../helpers/openapi-contract';

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

  it('documents every list, of views and of tables without a primary key too, as an array of rows with its total headers', () => {
    for (const path of ['/artist', '/album_with_artist', '/event_log']) {
      const ok = document.paths[path].get.responses['200'];
      expect([path, ok.content['application/json'].schema.type]).toEqual([path, 'array']);
      expect([path, Object.keys(ok.headers)]).toEqual([path, ['X-Total-Count', 'Content-Range']]);
    }
    expect(document.paths['/album_with_artist'].get.summary).toBe('List public.album_with_artist (read-only view)');
    expect(document.paths['/album_with_artist'].get.responses['409'].description).toMatch(/VIEW_NOT_POPULATED/);
  });

  it('documents the error answers of every operation in the shared error shape', () => {
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, any> }>>;
    const expected: Record<string, string[]> = {
      'get /artist': ['200', '400', '404', '500', '503'],
      'post /artist': ['201', '400', '404', '409', '413', '415', '500', '503'],
      'get /artist/{artist_id}': ['200', '400', '404', '500', '503'],
      'patch /artist/{artist_id}': ['200', '400', '404', '409', '413', '415', '500', '503'],
      'delete /artist/{artist_id}': ['200', '400', '404', '409', '500', '503'],
    };
    for (const [at, codes] of Object.entries(expected)) {
      const [method, path] = at.split(' ') as [string, string];
      const responses = paths[path]![method]!.responses;
      expect([at, Object.keys(responses)]).toEqual([at, codes]);
      for (const code of codes.filter((c) => Number(c) >= 400)) {
        expect([at, code, responses[code].content['application/json'].schema]).toEqual([at, code, { $ref: '#/components/schemas/Error' }]);
      }
    }
    expect(paths['/artist']!.get!.responses['503'].headers['Retry-After'].required).toBe(true);
    expect(document.components.responses.MethodNotAllowed.headers.Allow.required).toBe(true);
    expect(document.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
  });

  it('is a valid OpenAPI 3 document', async () => {
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

describe('OpenAPI schemas of dates and times, column by column', () => {
  const temporal = model([
    table(
      'moment',
      [
        column('id', 'int', { nullable: false }),
        column('on_day', 'date'),
        column('at_time', 'time', { withTimeZone: false }),
        column('at_time_tz', 'time', { withTimeZone: true }),
        column('local_stamp', 'datetime', { withTimeZone: false }),
        column('zoned_stamp', 'datetime', { withTimeZone: true }),
      ],
      { primaryKey: ['id'] },
    ),
  ]);
  const named = nameModel(temporal);
  const schema = buildSchema(named, { readsNested: false } as DataSource, { maxLimit: 100 });
  const document = correctOpenAPI(buildSofaRest('t', named, schema).openAPIDocument, named, 't', 100);
  const json = new Headers({ 'content-type': 'application/json; charset=utf-8' });
  const row = { id: 1, on_day: '2024-01-15', at_time: '09:30:00', at_time_tz: '09:30:00+02:00', local_stamp: '2024-01-15T09:30:00', zoned_stamp: '2024-01-15T08:30:00.5+00:00' };

  it('declares date-time only where the value carries an offset, a pattern otherwise', () => {
    const properties = document.components.schemas.moment.properties;
    expect(properties.zoned_stamp).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    expect(properties.local_stamp).toMatchObject({ type: 'string', pattern: expect.any(String), nullable: true, description: expect.stringMatching(/local date-time, no offset/) });
    expect(properties.local_stamp.format).toBeUndefined();
    expect(properties.on_day).toMatchObject({ type: 'string', format: 'date' });
    expect(properties.at_time.format).toBeUndefined();
    expect(properties.at_time_tz.format).toBeUndefined();
    expect(document.components.schemas.moment.required).toEqual(['id', 'on_day', 'at_time', 'at_time_tz', 'local_stamp', 'zoned_stamp']);
  });

  it('lets a validator accept the values as the server answers them, and refuse the other flavour', async () => {
    const contract = await RestContract.load(document as never);
    const answer = (body: unknown) => ({ status: 200, headers: json, text: JSON.stringify(body) });
    expect(contract.check({ method: 'GET', path: '/moment/1' }, answer(row))).toEqual([]);
    expect(contract.check({ method: 'GET', path: '/moment/1' }, answer({ ...row, on_day: null, at_time: null, at_time_tz: null, local_stamp: null, zoned_stamp: null }))).toEqual([]);
    const wrong: [string, string][] = [
      ['local_stamp', '2024-01-15T09:30:00Z'],
      ['zoned_stamp', '2024-01-15T09:30:00'],
      ['on_day', '2024-02-30'],
      ['at_time', '09:30:00+02:00'],
      ['at_time_tz', '09:30:00'],
    ];
    for (const [field, value] of wrong) {
      expect([field, contract.check({ method: 'GET', path: '/moment/1' }, answer({ ...row, [field]: value }))]).toEqual([field, [expect.stringContaining(`/${field}`)]]);
    }
  });
});
