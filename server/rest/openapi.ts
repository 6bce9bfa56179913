import type { ColumnModel, ScalarKind } from '../model/types';
import type { NamedColumn, NamedModel, NamedTable } from '../schema/naming';
import { DATE_TIME_INPUT, TIME_INPUT } from '../schema/scalars';

type Json = Record<string, any>;

/** JSON Schema of lazydb's scalars, for SOFA's `customScalars` (fresh objects: SOFA writes descriptions into them). */
export function customScalars(): Record<string, Json> {
  const shapes: Record<string, () => Json> = {
    BigInt: () => ({ type: 'string', pattern: '^-?\\d+$', description: '64-bit integer as a string' }),
    Decimal: () => ({ type: 'string', format: 'decimal', pattern: '^[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?$', description: 'exact decimal as a string' }),
    Date: () => ({ type: 'string', format: 'date' }),
    // Time and DateTime as the scalars accept them; every column of these kinds gets its own,
    // exact schema in correctOpenAPI (with or without an offset, as the column is).
    Time: () => ({ type: 'string', pattern: TIME_INPUT.source, example: '13:45:00' }),
    DateTime: () => ({ type: 'string', pattern: DATE_TIME_INPUT.source }),
    JSON: () => ({ description: 'any JSON value' }),
    UUID: () => ({ type: 'string', format: 'uuid' }),
    Bytes: () => ({ type: 'string', format: 'byte', description: 'base64' }),
  };
  const scalars: Record<string, Json> = {};
  for (const [name, shape] of Object.entries(shapes)) Object.defineProperty(scalars, name, { get: shape, enumerable: true });
  return scalars;
}

// What the server answers for date and time columns (server/model/codec.ts). RFC 3339's
// `date-time` requires an offset, so only columns with a time zone are declared as one.
const LOCAL_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$';
// MySQL's TIME is also a duration (-838:59:59 to 838:59:59), so hours may exceed 23.
const LOCAL_TIME = '^-?\\d{2,3}:[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?$';
const TIME_WITH_OFFSET = '^\\d{2}:[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?([Zz]|[+-]\\d\\d(:?\\d\\d)?)$';

/**
 * The schema of a date or time column's value as the server answers it, or null for other kinds.
 * The GraphQL schema has one DateTime and one Time scalar for both flavours; the document
 * tells them apart per column, because a validator or a generated client must know whether
 * the text carries an offset.
 */
function answeredTemporalSchema(column: ColumnModel): Json | null {
  switch (column.kind) {
    case 'date':
      return { type: 'string', format: 'date', description: 'date, YYYY-MM-DD' };
    case 'datetime':
      return column.withTimeZone
        ? { type: 'string', format: 'date-time', description: 'date-time with an offset (RFC 3339), e.g. 2024-01-15T09:30:00+00:00' }
        : { type: 'string', pattern: LOCAL_DATE_TIME, example: '2024-01-15T09:30:00', description: 'local date-time, no offset: YYYY-MM-DDTHH:MM:SS[.fraction] as stored (the column has no time zone)' };
    case 'time':
      return column.withTimeZone
        ? { type: 'string', pattern: TIME_WITH_OFFSET, example: '13:45:00+02:00', description: 'time of day with an offset, HH:MM:SS[.fraction]±HH:MM' }
        : { type: 'string', pattern: LOCAL_TIME, example: '13:45:00', description: 'time without an offset, HH:MM:SS[.fraction] (MySQL and MariaDB TIME may be a duration up to ±838:59:59)' };
    default:
      return null;
  }
}

/** What a date or time column accepts (the GraphQL scalar's own rule), or null for other kinds. */
function acceptedTemporalSchema(column: ColumnModel): Json | null {
  switch (column.kind) {
    case 'date':
      return { type: 'string', format: 'date', description: 'date, YYYY-MM-DD' };
    case 'datetime':
      return {
        type: 'string',
        pattern: DATE_TIME_INPUT.source,
        example: column.withTimeZone ? '2024-01-15T09:30:00+02:00' : '2024-01-15T09:30:00',
        description: column.withTimeZone
          ? 'ISO-8601 date-time; without an offset it is read as UTC'
          : 'ISO-8601 date-time; the column has no time zone: a value with an offset is stored as its UTC wall-clock time',
      };
    case 'time':
      return { type: 'string', pattern: TIME_INPUT.source, example: '13:45:00', description: 'time of day, HH:MM[:SS[.fraction]] with an optional offset' };
    default:
      return null;
  }
}

interface ErrorAnswer {
  description: string;
  headers?: Json;
}

const ERROR_ANSWERS: Record<string, ErrorAnswer> = {
  '400': { description: 'A parameter or the body is wrong; the message says which and how' },
  '404': { description: 'No such database, table or row' },
  '409': { description: 'A unique or foreign-key constraint refused the change (the constraint is named)' },
  '413': { description: 'The body is larger than LAZYDB_MAX_BODY' },
  '415': { description: 'The body is not sent as JSON (Content-Type: application/json)' },
  '500': { description: 'An unexpected database or server error (DATABASE_ERROR, INTERNAL); the server log has the details' },
  '503': {
    description: 'The database is unavailable; retry after the Retry-After delay',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', required: true, schema: { type: 'integer' } } },
  },
};

/** The error answers of one operation, each `{ error: { code, message } }`; `override` rewords a status for this operation. */
function errors(codes: string[], override: Record<string, string> = {}): Json {
  return Object.fromEntries(
    codes.map((code) => {
      const answer = ERROR_ANSWERS[code]!;
      return [
        code,
        {
          description: override[code] ?? answer.description,
          ...(answer.headers ? { headers: answer.headers } : {}),
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      ];
    }),
  );
}

const VIEW_NOT_POPULATED = 'A materialized view that has not been populated yet (VIEW_NOT_POPULATED): `REFRESH MATERIALIZED VIEW` fills it';

function parameterSchema(kind: ScalarKind, column: NamedColumn): Json {
  const temporal = acceptedTemporalSchema(column.column);
  if (temporal) return temporal;
  switch (kind) {
    case 'int':
      return { type: 'integer', format: 'int32' };
    case 'float':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'string', enum: column.column.enumValues ?? [] };
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

/**
 * `$ref` or null. OpenAPI 3.0 `nullable` only widens a `type` in the same schema (3.0.3), so
 * beside a `$ref`, or through `allOf`, it admits nothing: null gets an alternative of its own.
 */
function nullableRef(ref: string, description?: string): Json {
  return { anyOf: [{ $ref: ref }, { type: 'object', nullable: true, enum: [null] }], ...(description ? { description } : {}) };
}

/**
 * Corrects one of the table's object schemas column by column: date and time columns get the
 * schema of their own flavour (`temporal`), nullable columns are marked (OpenAPI 3.0
 * `nullable`; a schema without a `type`, such as JSON's, already admits null).
 */
function correctColumns(schema: Json | undefined, table: NamedTable, temporal: (column: ColumnModel) => Json | null): void {
  if (!schema?.properties) return;
  for (const column of table.columns) {
    let property = schema.properties[column.field];
    if (!property) continue;
    const exact = temporal(column.column);
    if (exact) property = schema.properties[column.field] = exact;
    if (!column.column.nullable) continue;
    if (property.$ref) schema.properties[column.field] = nullableRef(property.$ref, property.description);
    else if (property.type !== undefined) {
      property.nullable = true;
      // `nullable` widens the type only: an `enum` admits null when it lists it (OpenAPI 3.0.3).
      if (Array.isArray(property.enum) && !property.enum.includes(null)) property.enum = [...property.enum, null];
    }
  }
}

/** A row as a list answers it: every column, plus the related rows `include=` asked for. */
function listedRow(table: NamedTable, rowRef: Json): Json {
  if (table.relations.length === 0) return rowRef;
  const related = Object.fromEntries(
    table.relations.map((relation) => {
      const target = `#/components/schemas/${relation.target.typeName}`;
      const description = `Only with include=${relation.field}`;
      return [relation.field, relation.kind === 'array' ? { type: 'array', items: { $ref: target }, description } : nullableRef(target, description)];
    }),
  );
  return { allOf: [rowRef, { type: 'object', properties: related }] };
}

const TOTAL_HEADERS = {
  'X-Total-Count': { description: 'Rows matching the filter, all pages together', required: true, schema: { type: 'integer', minimum: 0 } },
  'Content-Range': { description: '`<table> <first>-<last>/<total>`, `<table> */<total>` for an empty page', required: true, schema: { type: 'string' } },
};

/** A list whose total the caller may not learn (a role without the aggregate): told only when the page ends the rows. */
const UNCOUNTED_HEADERS = {
  'X-Total-Count': { description: 'Rows matching the filter: only when this page is the last one (the role may not count the rest)', required: false, schema: { type: 'integer', minimum: 0 } },
  'Content-Range': { description: '`<table> <first>-<last>/<total>`, with `*` as the total when it is not told', required: true, schema: { type: 'string' } },
};

/** `GET /`: the resources of this database. */
function indexPath(database: string): Json {
  return {
    get: {
      operationId: 'index',
      summary: `The tables and views of ${database}`,
      responses: {
        '200': {
          description: 'Every resource with its path and key',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['database', 'openapi', 'docs', 'tables'],
                properties: {
                  database: { type: 'string' },
                  openapi: { type: 'string' },
                  docs: { type: 'string' },
                  tables: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['name', 'table', 'kind', 'path', 'key'],
                      properties: {
                        name: { type: 'string', description: 'The resource name (the GraphQL type)' },
                        table: { type: 'string', description: 'schema.table in the database' },
                        kind: { type: 'string', enum: ['table', 'view'] },
                        path: { type: 'string' },
                        key: { type: 'array', items: { type: 'string' }, description: 'Primary key fields, in path order (empty: no row URLs)' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        ...errors(['404', '503']),
      },
    },
  };
}

/**
 * SOFA describes each route as the GraphQL field it runs. lazydb's routes take simpler shapes
 * (the row as the body, `field=value` filters, key columns in the path), so the document is
 * corrected to describe exactly what the server accepts and answers.
 */
export function correctOpenAPI(document: Json, named: NamedModel, database: string, maxLimit?: number, counted: (table: NamedTable) => boolean = () => true): Json {
  const doc = structuredClone(document) as Json;
  doc.info = {
    ...doc.info,
    description:
      `${doc.info?.description ?? ''}\n\nEvery error answer is \`{ "error": { "code", "message" } }\`. ` +
      'A method a path does not list answers 405 with an `Allow` header naming the ones it has; a path not listed answers 404. ' +
      'A resource is also reachable under its SQL name (URL-encoded) when no other resource has that name.',
  };
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
        properties: {
          code: { type: 'string', description: 'Stable code, e.g. BAD_PARAMETER, NOT_FOUND, CONSTRAINT_VIOLATION, VIEW_NOT_POPULATED' },
          message: { type: 'string', description: 'What went wrong and what to fix' },
          constraint: { type: 'string', description: 'The violated constraint, when the database names it' },
        },
      },
    },
  };
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  doc.components.responses = {
    ...doc.components.responses,
    MethodNotAllowed: {
      description: 'The path has no such method (a view is read-only; a table without a primary key has no row URLs)',
      headers: { Allow: { description: 'The methods this path has', required: true, schema: { type: 'string' } } },
      content: errorContent,
    },
    NotFound: { description: 'No such path, table, view or row', content: errorContent },
  };
  doc.servers = [{ url: `/db/${database}/rest`, description: `REST API of database ${database}` }];
  doc.paths = { '/': indexPath(database), ...doc.paths };

  for (const table of named.tables) {
    correctColumns(schemas[table.typeName], table, answeredTemporalSchema);
    for (const suffix of ['_insert_input', '_set_input']) correctColumns(schemas[`${table.typeName}${suffix}`], table, acceptedTemporalSchema);
    // Every column is in every answered row (null where it is null).
    const row = schemas[table.typeName];
    if (row?.properties) row.required = table.columns.map((c) => c.field).filter((field) => field in row.properties);

    const base = doc.paths?.[`/${table.typeName}`];
    // A table without a primary key has no row paths: its keyed path would be the base path itself.
    const keyed = table.primaryKey.length > 0 ? doc.paths?.[`/${table.typeName}${table.primaryKey.map((c) => `/{${c.field}}`).join('')}`] : undefined;
    const rowRef = { $ref: `#/components/schemas/${table.typeName}` };
    const isView = !table.writable;
    // Operation ids are the GraphQL root field and its operation type, as SOFA names queries
    // (`artist_by_pk_query`): unique, stable, and what the docs page anchors on.

    if (base?.get) {
      base.get.operationId = `${table.root.list}_query`;
      base.get.summary = `List ${table.label}${isView ? ' (read-only view)' : ''}`;
      base.get.parameters = listParameters(table, maxLimit);
      base.get.responses = {
        '200': {
          description: 'The rows of this page',
          headers: counted(table) ? TOTAL_HEADERS : UNCOUNTED_HEADERS,
          content: { 'application/json': { schema: { type: 'array', items: listedRow(table, rowRef) } } },
        },
        ...errors(isView ? ['400', '404', '409', '500', '503'] : ['400', '404', '500', '503'], { '409': VIEW_NOT_POPULATED }),
      };
    }
    if (base?.post) {
      base.post.operationId = `${table.root.insertOne}_mutation`;
      base.post.summary = `Insert into ${table.label}`;
      delete base.post.parameters;
      base.post.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${table.typeName}_insert_input` } } } };
      base.post.responses = { '201': { description: 'The row as stored', content: { 'application/json': { schema: rowRef } } }, ...errors(['400', '404', '409', '413', '415', '500', '503']) };
    }
    if (keyed) {
      const keyParameters = keyed.get?.parameters ?? table.primaryKey.map((c) => ({ in: 'path', name: c.field, required: true, schema: parameterSchema(c.column.kind, c) }));
      const one = (description: string) => ({ '200': { description, content: { 'application/json': { schema: rowRef } } } });
      if (keyed.get) {
        keyed.get.operationId = `${table.root.byPk}_query`;
        keyed.get.summary = `One ${table.label} row`;
        keyed.get.responses = { ...one('The row'), ...errors(['400', '404', '500', '503']) };
      }
      if (keyed.patch) {
        keyed.patch.operationId = `${table.root.updateByPk}_mutation`;
        keyed.patch.summary = `Change one ${table.label} row`;
        keyed.patch.parameters = keyParameters;
        keyed.patch.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${table.typeName}_set_input` } } } };
        keyed.patch.responses = { ...one('The row as stored after the change'), ...errors(['400', '404', '409', '413', '415', '500', '503']) };
      }
      if (keyed.delete) {
        keyed.delete.operationId = `${table.root.deleteByPk}_mutation`;
        keyed.delete.summary = `Delete one ${table.label} row`;
        keyed.delete.parameters = keyParameters;
        keyed.delete.responses = { ...one('The row as it was'), ...errors(['400', '404', '409', '500', '503']) };
      }
    }
  }
  return doc;
}
