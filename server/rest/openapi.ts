import type { ScalarKind } from '../model/types';
import type { NamedColumn, NamedModel, NamedTable } from '../schema/naming';

type Json = Record<string, any>;

/** JSON Schema of lazydb's scalars, for SOFA's `customScalars` (fresh objects: SOFA writes descriptions into them). */
export function customScalars(): Record<string, Json> {
  const shapes: Record<string, () => Json> = {
    BigInt: () => ({ type: 'string', pattern: '^-?\\d+$', description: '64-bit integer as a string' }),
    Decimal: () => ({ type: 'string', format: 'decimal', pattern: '^[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?$', description: 'exact decimal as a string' }),
    Date: () => ({ type: 'string', format: 'date' }),
    Time: () => ({ type: 'string', format: 'time', example: '13:45:00' }),
    DateTime: () => ({ type: 'string', format: 'date-time' }),
    JSON: () => ({ description: 'any JSON value' }),
    UUID: () => ({ type: 'string', format: 'uuid' }),
    Bytes: () => ({ type: 'string', format: 'byte', description: 'base64' }),
  };
  const scalars: Record<string, Json> = {};
  for (const [name, shape] of Object.entries(shapes)) Object.defineProperty(scalars, name, { get: shape, enumerable: true });
  return scalars;
}

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'A parameter or the body is wrong; the message says which and how',
  '404': 'No such database, table or row',
  '409': 'A unique or foreign-key constraint refused the change (the constraint is named)',
  '413': 'The body is larger than LAZYDB_MAX_BODY',
  '503': 'The database is unavailable; retry after the Retry-After delay',
};

function errors(codes: string[]): Json {
  return Object.fromEntries(
    codes.map((code) => [code, { description: ERROR_RESPONSES[code], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );
}

function parameterSchema(kind: ScalarKind, column: NamedColumn): Json {
  switch (kind) {
    case 'int':
      return { type: 'integer', format: 'int32' };
    case 'float':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'string', enum: column.column.enumValues ?? [] };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'datetime':
      return { type: 'string', format: 'date-time' };
    case 'uuid':
      return { type: 'string', format: 'uuid' };
    default:
      return { type: 'string' };
  }
}

function listParameters(table: NamedTable, maxLimit: number | undefined): Json[] {
  const relations = table.relations.map((r) => r.field);
  return [
    {
      in: 'query',
      name: 'where',
      description: `Filter as a JSON boolean expression, the same as GraphQL's \`where\` (${table.typeName}_bool_exp), e.g. {"${table.columns[0]?.field ?? 'field'}":{"_eq":1}}`,
      schema: { type: 'string' },
    },
    {
      in: 'query',
      name: 'order_by',
      description: 'Sort: `field.asc`, `field.desc`, `field.asc_nulls_first`, … comma-separated, most significant first (default: the primary key)',
      schema: { type: 'string' },
    },
    { in: 'query', name: 'limit', description: `Rows to return${maxLimit ? ` (at most ${maxLimit}, the default)` : ''}`, schema: { type: 'integer', minimum: 0 } },
    { in: 'query', name: 'offset', description: 'Rows to skip', schema: { type: 'integer', minimum: 0 } },
    ...(relations.length > 0
      ? [{ in: 'query', name: 'include', description: `Related rows to embed, comma-separated: ${relations.join(', ')}`, schema: { type: 'string' } }]
      : []),
    ...table.columns
      .filter((c) => !['json', 'unknown', 'bytes'].includes(c.column.kind))
      .map((c) => ({ in: 'query', name: c.field, description: `Only rows whose ${c.field} equals this value`, schema: parameterSchema(c.column.kind, c) })),
  ];
}

/** Marks nullable columns (OpenAPI 3.0 `nullable`; a `$ref` needs `allOf` to carry it). */
function markNullable(schema: Json | undefined, table: NamedTable): void {
  if (!schema?.properties) return;
  for (const column of table.columns) {
    const property = schema.properties[column.field];
    if (!property || !column.column.nullable) continue;
    if (property.$ref) schema.properties[column.field] = { allOf: [{ $ref: property.$ref }], nullable: true, ...(property.description ? { description: property.description } : {}) };
    else property.nullable = true;
  }
}

/**
 * SOFA describes each route as the GraphQL field it runs. lazydb's routes take simpler shapes
 * (the row as the body, `field=value` filters, key columns in the path), so the document is
 * corrected to describe exactly what the server accepts and answers.
 */
export function correctOpenAPI(document: Json, named: NamedModel, database: string, maxLimit?: number): Json {
  const doc = structuredClone(document) as Json;
  doc.info = { ...doc.info };
  const schemas: Json = (doc.components ??= {}).schemas ?? {};
  doc.components.schemas = schemas;
  delete schemas.Query;
  delete schemas.Mutation;
  schemas.Error = {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, constraint: { type: 'string' } },
      },
    },
  };
  doc.servers = [{ url: `/db/${database}/rest`, description: `REST API of database ${database}` }];

  for (const table of named.tables) {
    for (const suffix of ['', '_insert_input', '_set_input']) markNullable(schemas[`${table.typeName}${suffix}`], table);
    const base = doc.paths?.[`/${table.typeName}`];
    const keyed = doc.paths?.[`/${table.typeName}${table.primaryKey.map((c) => `/{${c.field}}`).join('')}`];
    const rowRef = { $ref: `#/components/schemas/${table.typeName}` };

    if (base?.get) {
      base.get.summary = `List ${table.label}`;
      base.get.parameters = listParameters(table, maxLimit);
      base.get.responses = {
        '200': {
          description: 'The rows of this page',
          headers: {
            'X-Total-Count': { description: 'Rows matching the filter, all pages together', schema: { type: 'integer' } },
            'Content-Range': { description: '`<table> <first>-<last>/<total>`', schema: { type: 'string' } },
          },
          content: { 'application/json': { schema: { type: 'array', items: rowRef } } },
        },
        ...errors(['400', '404', '503']),
      };
    }
    if (base?.post) {
      base.post.summary = `Insert into ${table.label}`;
      delete base.post.parameters;
      base.post.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${table.typeName}_insert_input` } } } };
      base.post.responses = { '201': { description: 'The row as stored', content: { 'application/json': { schema: rowRef } } }, ...errors(['400', '404', '409', '413', '503']) };
    }
    if (keyed) {
      const keyParameters = keyed.get?.parameters ?? table.primaryKey.map((c) => ({ in: 'path', name: c.field, required: true, schema: parameterSchema(c.column.kind, c) }));
      const one = (description: string) => ({ '200': { description, content: { 'application/json': { schema: rowRef } } } });
      if (keyed.get) {
        keyed.get.summary = `One ${table.label} row`;
        keyed.get.responses = { ...one('The row'), ...errors(['400', '404', '503']) };
      }
      if (keyed.patch) {
        keyed.patch.summary = `Change one ${table.label} row`;
        keyed.patch.parameters = keyParameters;
        keyed.patch.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${table.typeName}_set_input` } } } };
        keyed.patch.responses = { ...one('The row as stored after the change'), ...errors(['400', '404', '409', '413', '503']) };
      }
      if (keyed.delete) {
        keyed.delete.summary = `Delete one ${table.label} row`;
        keyed.delete.parameters = keyParameters;
        keyed.delete.responses = { ...one('The row as it was'), ...errors(['400', '404', '409', '503']) };
      }
    }
  }
  return doc;
}
