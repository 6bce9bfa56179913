import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLScalarType,
} from 'graphql';
import type { ScalarKind } from '../model/types';
import { badInput, lazydbError } from '../errors/graphql';
import { limitTooLargeMessage } from '../plugins/use-query-cost';
import type { SchemaAccess } from '../permissions/access';
import { operatorsFor } from './bool-exp';
import { toGraphQLName, type NamedColumn, type NamedModel, type NamedRelation, type NamedTable } from './naming';
import {
  BigIntScalar,
  BytesScalar,
  DateScalar,
  DateTimeScalar,
  DecimalScalar,
  JSONScalar,
  TimeScalar,
  UUIDScalar,
} from './scalars';
import { columnsFor, nestedReads, requestedColumns, requestedFields } from './selection';
import { dataSourceFor, prefetched, isReadableRow, type BoolExp, type DataSource, type ListArgs, type NestedRead, type Row } from './source';

export interface BuildOptions {
  /** Prepended to every type name lazydb derives (the gateway uses `<db>_`). Scalars are shared, never prefixed. */
  typePrefix?: string;
  /** Default and maximum page size (LAZYDB_MAX_LIMIT). */
  maxLimit: number;
  /** Shown as the root types' description. */
  description?: string;
  /**
   * A role's view (server/permissions/access.ts): what it may not use is left out of the schema
   * (absent, not erroring). Without it, everything the model has is offered.
   */
  access?: SchemaAccess;
}

const SCALAR_FOR_KIND: Record<Exclude<ScalarKind, 'enum'>, GraphQLScalarType> = {
  int: GraphQLInt,
  bigint: BigIntScalar,
  float: GraphQLFloat,
  decimal: DecimalScalar,
  string: GraphQLString,
  boolean: GraphQLBoolean,
  date: DateScalar,
  time: TimeScalar,
  datetime: DateTimeScalar,
  json: JSONScalar,
  uuid: UUIDScalar,
  bytes: BytesScalar,
  unknown: GraphQLString,
};

const ORDER_VALUES: Record<string, string> = {
  asc: 'in ascending order, nulls last',
  asc_nulls_first: 'in ascending order, nulls first',
  asc_nulls_last: 'in ascending order, nulls last',
  desc: 'in descending order, nulls first',
  desc_nulls_first: 'in descending order, nulls first',
  desc_nulls_last: 'in descending order, nulls last',
};

/** Columns a client may write: not computed by the database, and of a type lazydb can encode. */
export function isWritable(column: NamedColumn): boolean {
  // Any name is writable: the fragment layer quotes each identifier whole (a dot included).
  return !column.column.generated && column.column.kind !== 'unknown';
}

/** Builds the GraphQL schema of one database. Pure: it touches no database; resolvers call `source`. */
export function buildSchema(named: NamedModel, source: DataSource, options: BuildOptions): GraphQLSchema {
  return new SchemaBuilder(named, source, options).build();
}

/** What a root field's `extensions` say about it: the table it reads or writes (server/pipeline/root-tables.ts reads it for metrics). */
export type RootFieldExtensions = {
  lazydbTable: string;
};

/** Marks each root field with its table's GraphQL type name. */
function markedRoots(table: NamedTable, fields: GraphQLFieldConfigMap<unknown, object>): GraphQLFieldConfigMap<unknown, object> {
  const extensions: RootFieldExtensions = { lazydbTable: table.typeName };
  for (const field of Object.values(fields)) field.extensions = extensions;
  return fields;
}

const mutationChains = new WeakMap<object, Promise<unknown>>();

/**
 * Runs the mutation fields of one request one after another, in document order. GraphQL
 * does that for root fields, but under a gateway namespace (`mutation { db { a b } }`) the
 * fields are no longer root fields and would run concurrently.
 */
function serialised(fields: GraphQLFieldConfigMap<unknown, object>): GraphQLFieldConfigMap<unknown, object> {
  for (const field of Object.values(fields)) {
    const resolve = field.resolve!;
    field.resolve = (root, args, context, info) => {
      const previous = mutationChains.get(context) ?? Promise.resolve();
      const result = previous.then(() => resolve(root, args, context, info));
      mutationChains.set(context, result.catch(() => undefined));
      return result;
    };
  }
  return fields;
}

/** A table's types; null where the table's exposure offers nothing that would use the type. */
interface TableTypes {
  object: GraphQLObjectType | null;
  boolExp: GraphQLInputObjectType | null;
  orderBy: GraphQLInputObjectType | null;
  insertInput: GraphQLInputObjectType | null;
  setInput: GraphQLInputObjectType | null;
  pkColumnsInput: GraphQLInputObjectType | null;
  mutationResponse: GraphQLObjectType | null;
  aggregate: GraphQLObjectType | null;
}

/**
 * What the schema shows of one table: everything the model has (no access given), or what a
 * role's access allows. Every type and field of the table is derived from this, never from the
 * table itself, so nothing hidden can slip in through a relation or an input.
 */
interface Exposure {
  /** Columns of the object type, `where` and `order_by`; null: the table is not read (no object type). */
  columns: NamedColumn[] | null;
  /** Relations to tables that are read. */
  relations: NamedRelation[];
  aggregate: boolean;
  byPk: boolean;
  /** Fields of `<table>_insert_input`; null: no such type (and no insert). */
  insertColumns: NamedColumn[] | null;
  /** Fields of `<table>_set_input`; null: no such type (and no update). */
  setColumns: NamedColumn[] | null;
  delete: boolean;
  /** `_pk_columns_input`: without access for every keyed table (as always); with it only where update by key is offered. */
  pkColumnsInput: boolean;
  /** `where` input type: needed by reads, updates and deletes. */
  boolExp: boolean;
}

function fullExposure(table: NamedTable): Exposure {
  const writable = table.columns.filter(isWritable);
  return {
    columns: table.columns,
    relations: table.relations,
    aggregate: true,
    byPk: table.primaryKey.length > 0,
    insertColumns: writable,
    setColumns: writable,
    delete: true,
    pkColumnsInput: table.primaryKey.length > 0,
    boolExp: true,
  };
}

/** The exposure of every table `access` shows: a table it has no entry for is absent altogether. */
function exposuresFor(named: NamedModel, access: SchemaAccess | undefined): Map<NamedTable, Exposure> {
  const exposures = new Map<NamedTable, Exposure>();
  if (!access) {
    for (const table of named.tables) exposures.set(table, fullExposure(table));
    return exposures;
  }
  const selectable = (table: NamedTable) => access.tables.get(table.typeName)?.select ?? null;
  for (const table of named.tables) {
    const rules = access.tables.get(table.typeName);
    if (!rules) continue;
    const select = rules.select;
    const chosen = (fields: ReadonlySet<string> | null) => {
      if (!fields || !table.writable) return null;
      const columns = table.columns.filter((c) => isWritable(c) && fields.has(c.field));
      // An input object without fields is not valid GraphQL: a rule of no columns offers no operation.
      return columns.length > 0 ? columns : null;
    };
    const insertColumns = chosen(rules.insert);
    const setColumns = chosen(rules.update);
    const byPk = select?.byPk === true;
    const del = rules.delete && table.writable;
    exposures.set(table, {
      columns: select ? table.columns.filter((c) => select.columns.has(c.field)) : null,
      relations: select ? table.relations.filter((r) => selectable(r.target) !== null) : [],
      aggregate: select?.aggregate === true,
      byPk,
      insertColumns,
      setColumns,
      delete: del,
      pkColumnsInput: byPk && setColumns !== null,
      boolExp: select !== null || setColumns !== null || del,
    });
  }
  return exposures;
}

class SchemaBuilder {
  private readonly prefix: string;
  private readonly types = new Map<NamedTable, TableTypes>();
  private readonly exposures: Map<NamedTable, Exposure>;
  private readonly comparisonTypes = new Map<string, GraphQLInputObjectType>();
  private readonly enumTypes = new Map<NamedColumn, GraphQLEnumType>();
  private readonly orderByEnum: GraphQLEnumType;

  constructor(
    private readonly named: NamedModel,
    private readonly source: DataSource,
    private readonly options: BuildOptions,
  ) {
    this.prefix = options.typePrefix ?? '';
    this.exposures = exposuresFor(named, options.access);
    this.orderByEnum = new GraphQLEnumType({
      name: `${this.prefix}order_by`,
      description: 'Column ordering options',
      values: Object.fromEntries(Object.entries(ORDER_VALUES).map(([value, description]) => [value, { value, description }])),
    });
  }

  build(): GraphQLSchema {
    for (const [table, exposure] of this.exposures) this.types.set(table, this.tableTypes(table, exposure));
    const queryFields: GraphQLFieldConfigMap<unknown, object> = {};
    const mutationFields: GraphQLFieldConfigMap<unknown, object> = {};
    for (const [table, exposure] of this.exposures) {
      Object.assign(queryFields, markedRoots(table, this.queryFields(table, exposure)));
      if (table.writable) Object.assign(mutationFields, serialised(markedRoots(table, this.mutationFields(table, exposure))));
    }
    if (Object.keys(queryFields).length === 0) {
      queryFields._empty = { type: GraphQLBoolean, description: 'This database has no tables or views lazydb can expose.' };
    }
    const query = new GraphQLObjectType({ name: `${this.prefix}Query`, description: this.options.description, fields: queryFields });
    const mutation =
      Object.keys(mutationFields).length > 0
        ? new GraphQLObjectType({ name: `${this.prefix}Mutation`, description: this.options.description, fields: mutationFields })
        : undefined;
    return new GraphQLSchema({ query, mutation, types: this.tableTypeList() });
  }

  /**
   * Every table's types, handed to the schema up front. graphql-js collects a schema's types
   * by recursing from the roots, one level per relation: a chain of a few thousand foreign
   * keys exhausted the stack. Types it already holds are not descended into, so with all of
   * them listed the recursion stays a level or two deep.
   */
  private tableTypeList(): (GraphQLObjectType | GraphQLInputObjectType)[] {
    const list: (GraphQLObjectType | GraphQLInputObjectType)[] = [];
    for (const types of this.types.values()) {
      for (const type of [types.object, types.boolExp, types.orderBy, types.insertInput, types.setInput, types.mutationResponse, types.aggregate, types.pkColumnsInput]) {
        if (type) list.push(type);
      }
    }
    return list;
  }

  private typeName(table: NamedTable, suffix = ''): string {
    return `${this.prefix}${table.typeName}${suffix}`;
  }

  private scalarType(column: NamedColumn): GraphQLScalarType | GraphQLEnumType {
    if (column.column.kind === 'enum') return this.enumType(column);
    return SCALAR_FOR_KIND[column.column.kind];
  }

  private enumType(column: NamedColumn): GraphQLEnumType {
    let type = this.enumTypes.get(column);
    if (!type) {
      const owner = this.named.tables.find((t) => t.columns.includes(column))!;
      const values: Record<string, { value: string }> = {};
      for (const value of column.column.enumValues ?? []) {
        let name = toGraphQLName(value);
        if (name === 'true' || name === 'false' || name === 'null') name = `_${name}`;
        for (let n = 2; values[name]; n++) name = `${toGraphQLName(value)}_${n}`;
        values[name] = { value };
      }
      if (Object.keys(values).length === 0) values._empty = { value: '' };
      type = new GraphQLEnumType({ name: this.typeName(owner, `_${column.field}_enum`), values });
      this.enumTypes.set(column, type);
    }
    return type;
  }

  private comparisonType(column: NamedColumn): GraphQLInputObjectType {
    const valueType = this.scalarType(column);
    const key = column.column.kind === 'enum' ? valueType.name : `${this.prefix}${valueType.name}_${column.column.kind}`;
    let type = this.comparisonTypes.get(key);
    if (!type) {
      const fields: GraphQLInputFieldConfigMap = {};
      for (const op of operatorsFor(column.column.kind)) {
        if (op === '_is_null') fields[op] = { type: GraphQLBoolean };
        else if (op === '_in' || op === '_nin') fields[op] = { type: new GraphQLList(new GraphQLNonNull(valueType)) };
        else if (op.includes('like')) fields[op] = { type: GraphQLString };
        else fields[op] = { type: valueType };
      }
      const base = column.column.kind === 'enum' ? valueType.name : `${this.prefix}${valueType.name}`;
      // Two kinds can share a scalar (unknown/string both String): the one with fewer operators gets its kind in the name.
      const name = column.column.kind === 'unknown' ? `${base}_unknown_comparison_exp` : `${base}_comparison_exp`;
      type = new GraphQLInputObjectType({
        name,
        description: `Filter on a ${valueType.name} column. All conditions given must hold.`,
        fields,
      });
      this.comparisonTypes.set(key, type);
    }
    return type;
  }

  private tableTypes(table: NamedTable, exposure: Exposure): TableTypes {
    const description = table.table.comment ?? undefined;
    const { columns: readable, relations, insertColumns, setColumns } = exposure;
    const object = readable
      ? new GraphQLObjectType<Row, object>({
          name: this.typeName(table),
          description: description ?? `${table.table.kind === 'view' ? 'View' : 'Table'} ${table.label}`,
          // Its fields read rows: the query cost and depth limits count them (server/plugins/use-query-cost.ts).
          extensions: { lazydb: 'table' },
          fields: () => this.objectFields(table, readable, relations),
        })
      : null;
    const boolExp: GraphQLInputObjectType | null = exposure.boolExp
      ? new GraphQLInputObjectType({
          name: this.typeName(table, '_bool_exp'),
          description: `Boolean expression to filter rows of ${table.label}. All conditions given must hold.`,
          // Marks filters for the document limits (LAZYDB_MAX_FILTER_TERMS counts their objects).
          extensions: { lazydb: 'bool_exp' },
          fields: () => {
            const fields: GraphQLInputFieldConfigMap = {
              _and: { type: new GraphQLList(new GraphQLNonNull(boolExp!)) },
              _or: { type: new GraphQLList(new GraphQLNonNull(boolExp!)) },
              _not: { type: boolExp! },
            };
            for (const column of readable ?? []) fields[column.field] = { type: this.comparisonType(column) };
            for (const relation of relations) {
              fields[relation.field] = {
                type: this.types.get(relation.target)!.boolExp!,
                description:
                  relation.kind === 'object'
                    ? `The referenced ${relation.target.label} row matches`
                    : `At least one ${relation.target.label} row referencing this one matches`,
              };
            }
            return fields;
          },
        })
      : null;
    const orderBy = readable
      ? new GraphQLInputObjectType({
          name: this.typeName(table, '_order_by'),
          description: `Ordering of ${table.label} rows: one column per list entry.`,
          fields: Object.fromEntries(readable.map((c) => [c.field, { type: this.orderByEnum }])),
        })
      : null;
    const insertInput = insertColumns
      ? new GraphQLInputObjectType({
          name: this.typeName(table, '_insert_input'),
          description: `A row to insert into ${table.label}. Required fields are NOT NULL columns without a default.`,
          fields: Object.fromEntries(
            insertColumns.map((c) => {
              const required = !c.column.nullable && !c.column.hasDefault;
              const type = this.scalarType(c);
              return [c.field, { type: required ? new GraphQLNonNull(type) : type, description: c.column.comment ?? undefined }];
            }),
          ),
        })
      : null;
    const setInput = setColumns
      ? new GraphQLInputObjectType({
          name: this.typeName(table, '_set_input'),
          description: `Columns to change in ${table.label}.`,
          fields: Object.fromEntries(setColumns.map((c) => [c.field, { type: this.scalarType(c) }])),
        })
      : null;
    const pkColumnsInput = exposure.pkColumnsInput
      ? new GraphQLInputObjectType({
          name: this.typeName(table, '_pk_columns_input'),
          description: `Primary key of ${table.label}.`,
          fields: Object.fromEntries(table.primaryKey.map((c) => [c.field, { type: new GraphQLNonNull(this.scalarType(c)) }])),
        })
      : null;
    const mutates = table.writable || !this.options.access;
    const mutationResponse =
      mutates && (insertColumns || setColumns || exposure.delete)
        ? new GraphQLObjectType<Row[], object>({
            name: this.typeName(table, '_mutation_response'),
            description: `Rows of ${table.label} affected by a mutation.`,
            fields: {
              affected_rows: { type: new GraphQLNonNull(GraphQLInt), resolve: (rows) => rows.length },
              // A role that may not read the table learns how many rows it changed, nothing of them.
              ...(object ? { returning: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(object))), resolve: (rows: Row[]) => rows.filter(isReadableRow) } } : {}),
            },
          })
        : null;
    const aggregate = exposure.aggregate ? this.aggregateType(table) : null;
    return { object, boolExp, orderBy, insertInput, setInput, pkColumnsInput, mutationResponse, aggregate };
  }

  private aggregateType(table: NamedTable): GraphQLObjectType {
    const aggregateFields = new GraphQLObjectType<{ where?: BoolExp | null }, object>({
      name: this.typeName(table, '_aggregate_fields'),
      fields: {
        count: {
          type: new GraphQLNonNull(GraphQLInt),
          resolve: (parent, _args, context) => dataSourceFor(context, this.source).count(table, parent.where, context),
        },
      },
    });
    return new GraphQLObjectType<{ where?: BoolExp | null }, object>({
      name: this.typeName(table, '_aggregate'),
      description: `Aggregates over ${table.label}.`,
      extensions: { lazydb: 'aggregate' },
      fields: { aggregate: { type: new GraphQLNonNull(aggregateFields), resolve: (parent) => parent } },
    });
  }

  private listArgs(table: NamedTable): GraphQLFieldConfigArgumentMap {
    const types = this.types.get(table)!;
    return {
      where: { type: types.boolExp!, description: 'Filter: only rows matching this expression.' },
      order_by: { type: new GraphQLList(new GraphQLNonNull(types.orderBy!)), description: 'Sort order, most significant first.' },
      limit: { type: GraphQLInt, description: `Rows to return: at most ${this.options.maxLimit} (the default).` },
      offset: { type: GraphQLInt, description: 'Rows to skip.' },
    };
  }

  private objectFields(table: NamedTable, columns: NamedColumn[], relations: NamedRelation[]): GraphQLFieldConfigMap<Row, object> {
    const fields: GraphQLFieldConfigMap<Row, object> = {};
    for (const column of columns) {
      const type = this.scalarType(column);
      const nonNull = !column.column.nullable && table.table.kind === 'table';
      const notes = [column.column.comment, column.column.kind === 'unknown' ? `SQL type ${column.column.sqlType}, read-only text` : null];
      fields[column.field] = {
        type: nonNull ? new GraphQLNonNull(type) : type,
        description: notes.filter(Boolean).join('. ') || undefined,
      };
    }
    for (const relation of relations) fields[relation.field] = this.relationField(table, relation);
    return fields;
  }

  private relationField(owner: NamedTable, relation: NamedRelation): GraphQLFieldConfig<Row, object> {
    // Relations are exposed only to tables that are read, so the target has its object type.
    const target = this.types.get(relation.target)!;
    const targetObject = target.object!;
    if (relation.kind === 'object') {
      return {
        type: targetObject,
        description: this.shows(owner, relation.ownerColumns)
          ? `The ${relation.target.label} row referenced by ${relation.ownerColumns.map((c) => c.field).join(', ')}`
          : `The ${relation.target.label} row this row references`,
        resolve: (parent, _args, context, info) => {
          const ready = prefetched(parent, info.path.key);
          if (ready !== undefined) return ready;
          return dataSourceFor(context, this.source).related(relation, parent, requestedColumns(relation.target, info), context);
        },
      };
    }
    return {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(targetObject))),
      description: this.shows(relation.target, relation.targetColumns)
        ? `${relation.target.label} rows whose ${relation.targetColumns.map((c) => c.field).join(', ')} reference this row`
        : `${relation.target.label} rows referencing this row`,
      args: this.listArgs(relation.target),
      resolve: (parent, args: ListArgs, context, info) => {
        const ready = prefetched(parent, info.path.key);
        if (ready !== undefined) return ready;
        return dataSourceFor(context, this.source).relatedList(relation, parent, this.checkPage(args), requestedColumns(relation.target, info), context);
      },
    };
  }

  /** Whether every one of `columns` of `table` is in the schema: a description names join columns only then (a hidden column's name is hidden too). */
  private shows(table: NamedTable, columns: NamedColumn[]): boolean {
    if (!this.options.access) return true;
    const visible = this.exposures.get(table)?.columns ?? [];
    return columns.every((c) => visible.includes(c));
  }

  private nested(table: NamedTable, info: GraphQLResolveInfo): NestedRead[] | undefined {
    return this.source.readsNested ? nestedReads(info, table, this.checkPage) : undefined;
  }

  private readonly checkPage = (args: ListArgs): ListArgs => {
    const { maxLimit } = this.options;
    if (args.limit != null) {
      if (args.limit < 0) throw badInput(`limit must be 0 or more; got ${args.limit}`);
      // Refused before execution on every path (use-query-cost, rest/params); kept for documents run directly.
      if (args.limit > maxLimit) throw lazydbError('LIMIT_TOO_LARGE', limitTooLargeMessage(args.limit, maxLimit));
    }
    if (args.offset != null && args.offset < 0) throw badInput(`offset must be 0 or more; got ${args.offset}`);
    return { ...args, limit: args.limit ?? maxLimit };
  };

  private keyArgs(table: NamedTable): GraphQLFieldConfigArgumentMap {
    return Object.fromEntries(table.primaryKey.map((c) => [c.field, { type: new GraphQLNonNull(this.scalarType(c)) }]));
  }

  private queryFields(table: NamedTable, exposure: Exposure): GraphQLFieldConfigMap<unknown, object> {
    const types = this.types.get(table)!;
    const object = types.object;
    if (!object) return {};
    const fields: GraphQLFieldConfigMap<unknown, object> = {
      [table.root.list]: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(object))),
        description: `Rows of ${table.label}`,
        args: this.listArgs(table),
        resolve: (_root, args: ListArgs, context, info) =>
          dataSourceFor(context, this.source).list(table, this.checkPage(args), requestedColumns(table, info), context, this.nested(table, info)),
      },
    };
    if (types.aggregate) {
      fields[table.root.aggregate] = {
        type: new GraphQLNonNull(types.aggregate),
        description: `Aggregates over rows of ${table.label}`,
        args: { where: { type: types.boolExp! } },
        resolve: (_root, args: { where?: BoolExp | null }) => ({ where: args.where }),
      };
    }
    if (exposure.byPk) {
      fields[table.root.byPk] = {
        type: object,
        description: `One row of ${table.label} by its primary key`,
        args: this.keyArgs(table),
        resolve: (_root, args: Row, context, info) =>
          dataSourceFor(context, this.source).byKey(table, args, requestedColumns(table, info), context, this.nested(table, info)),
      };
    }
    return fields;
  }

  private mutationFields(table: NamedTable, exposure: Exposure): GraphQLFieldConfigMap<unknown, object> {
    const types = this.types.get(table)!;
    const { object, insertInput, setInput, mutationResponse, pkColumnsInput } = types;
    const returned = (info: GraphQLResolveInfo, below?: string) => columnsFor(table, requestedFields(info, below));
    const keyWhere = (key: Row): BoolExp => Object.fromEntries(Object.entries(key).map(([field, value]) => [field, { _eq: value }]));
    const fields: GraphQLFieldConfigMap<unknown, object> = {};
    if (!mutationResponse) return fields;
    if (insertInput) {
      fields[table.root.insert] = {
        type: mutationResponse,
        description: `Insert rows into ${table.label} (all or none)`,
        args: { objects: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(insertInput))) } },
        resolve: (_root, args: { objects: Row[] }, context, info) => {
          if (args.objects.length > this.options.maxLimit) {
            throw badInput(`at most ${this.options.maxLimit} objects per insert (LAZYDB_MAX_LIMIT); got ${args.objects.length}`);
          }
          return dataSourceFor(context, this.source).insert(table, args.objects, returned(info, 'returning'), context);
        },
      };
      // Answers the row itself: offered only to a role that may read the table.
      if (object) {
        fields[table.root.insertOne] = {
          type: object,
          description: `Insert one row into ${table.label}`,
          args: { object: { type: new GraphQLNonNull(insertInput) } },
          resolve: async (_root, args: { object: Row }, context, info) =>
            (await dataSourceFor(context, this.source).insert(table, [args.object], returned(info), context))[0] ?? null,
        };
      }
    }
    if (setInput) {
      fields[table.root.update] = {
        type: mutationResponse,
        description: `Update the rows of ${table.label} matching \`where\``,
        args: { where: { type: new GraphQLNonNull(types.boolExp!) }, _set: { type: setInput } },
        resolve: (_root, args: { where: BoolExp; _set?: Row | null }, context, info) =>
          dataSourceFor(context, this.source).update(table, args.where, args._set ?? {}, returned(info, 'returning'), context),
      };
    }
    if (exposure.delete) {
      fields[table.root.delete] = {
        type: mutationResponse,
        description: `Delete the rows of ${table.label} matching \`where\``,
        args: { where: { type: new GraphQLNonNull(types.boolExp!) } },
        resolve: (_root, args: { where: BoolExp }, context, info) =>
          dataSourceFor(context, this.source).delete(table, args.where, returned(info, 'returning'), context),
      };
    }
    // By key: answers the row, so only where the role reads the table and its whole key.
    if (object && exposure.byPk) {
      if (pkColumnsInput && setInput) {
        fields[table.root.updateByPk] = {
          type: object,
          description: `Update one row of ${table.label} by its primary key`,
          args: { pk_columns: { type: new GraphQLNonNull(pkColumnsInput) }, _set: { type: setInput } },
          resolve: async (_root, args: { pk_columns: Row; _set?: Row | null }, context, info) =>
            (await dataSourceFor(context, this.source).update(table, keyWhere(args.pk_columns), args._set ?? {}, returned(info), context)).find(isReadableRow) ?? null,
        };
      }
      if (exposure.delete) {
        fields[table.root.deleteByPk] = {
          type: object,
          description: `Delete one row of ${table.label} by its primary key`,
          args: this.keyArgs(table),
          resolve: async (_root, args: Row, context, info) =>
            (await dataSourceFor(context, this.source).delete(table, keyWhere(args), returned(info), context)).find(isReadableRow) ?? null,
        };
      }
    }
    return fields;
  }
}

