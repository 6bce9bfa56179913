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
import { dataSourceFor, prefetched, type BoolExp, type DataSource, type ListArgs, type NestedRead, type Row } from './source';

export interface BuildOptions {
  /** Prepended to every type name lazydb derives (the gateway uses `<db>_`). Scalars are shared, never prefixed. */
  typePrefix?: string;
  /** Default and maximum page size (LAZYDB_MAX_LIMIT). */
  maxLimit: number;
  /** Shown as the root types' description. */
  description?: string;
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

/** Operators per kind of value; text adds the LIKE family. */
const ORDERED_OPERATORS = ['_eq', '_neq', '_gt', '_gte', '_lt', '_lte', '_in', '_nin', '_is_null'] as const;
const EQUALITY_OPERATORS = ['_eq', '_neq', '_in', '_nin', '_is_null'] as const;
const TEXT_OPERATORS = ['_like', '_nlike', '_ilike', '_nilike'] as const;

function operatorsFor(kind: ScalarKind): readonly string[] {
  switch (kind) {
    case 'string':
      return [...ORDERED_OPERATORS, ...TEXT_OPERATORS];
    case 'boolean':
    case 'uuid':
    case 'bytes':
    case 'enum':
      return EQUALITY_OPERATORS;
    case 'json':
    case 'unknown':
      return ['_is_null'];
    default:
      return ORDERED_OPERATORS;
  }
}

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

interface TableTypes {
  object: GraphQLObjectType;
  boolExp: GraphQLInputObjectType;
  orderBy: GraphQLInputObjectType;
  insertInput: GraphQLInputObjectType;
  setInput: GraphQLInputObjectType;
  pkColumnsInput: GraphQLInputObjectType | null;
  mutationResponse: GraphQLObjectType;
  aggregate: GraphQLObjectType;
}

class SchemaBuilder {
  private readonly prefix: string;
  private readonly types = new Map<NamedTable, TableTypes>();
  private readonly comparisonTypes = new Map<string, GraphQLInputObjectType>();
  private readonly enumTypes = new Map<NamedColumn, GraphQLEnumType>();
  private readonly orderByEnum: GraphQLEnumType;

  constructor(
    private readonly named: NamedModel,
    private readonly source: DataSource,
    private readonly options: BuildOptions,
  ) {
    this.prefix = options.typePrefix ?? '';
    this.orderByEnum = new GraphQLEnumType({
      name: `${this.prefix}order_by`,
      description: 'Column ordering options',
      values: Object.fromEntries(Object.entries(ORDER_VALUES).map(([value, description]) => [value, { value, description }])),
    });
  }

  build(): GraphQLSchema {
    for (const table of this.named.tables) this.types.set(table, this.tableTypes(table));
    const queryFields: GraphQLFieldConfigMap<unknown, object> = {};
    const mutationFields: GraphQLFieldConfigMap<unknown, object> = {};
    for (const table of this.named.tables) {
      Object.assign(queryFields, markedRoots(table, this.queryFields(table)));
      if (table.writable) Object.assign(mutationFields, serialised(markedRoots(table, this.mutationFields(table))));
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
      list.push(types.object, types.boolExp, types.orderBy, types.insertInput, types.setInput, types.mutationResponse, types.aggregate);
      if (types.pkColumnsInput) list.push(types.pkColumnsInput);
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

  private tableTypes(table: NamedTable): TableTypes {
    const description = table.table.comment ?? undefined;
    const object = new GraphQLObjectType<Row, object>({
      name: this.typeName(table),
      description: description ?? `${table.table.kind === 'view' ? 'View' : 'Table'} ${table.label}`,
      // Its fields read rows: the query cost and depth limits count them (server/plugins/use-query-cost.ts).
      extensions: { lazydb: 'table' },
      fields: () => this.objectFields(table),
    });
    const boolExp: GraphQLInputObjectType = new GraphQLInputObjectType({
      name: this.typeName(table, '_bool_exp'),
      description: `Boolean expression to filter rows of ${table.label}. All conditions given must hold.`,
      // Marks filters for the document limits (LAZYDB_MAX_FILTER_TERMS counts their objects).
      extensions: { lazydb: 'bool_exp' },
      fields: () => {
        const fields: GraphQLInputFieldConfigMap = {
          _and: { type: new GraphQLList(new GraphQLNonNull(boolExp)) },
          _or: { type: new GraphQLList(new GraphQLNonNull(boolExp)) },
          _not: { type: boolExp },
        };
        for (const column of table.columns) fields[column.field] = { type: this.comparisonType(column) };
        for (const relation of table.relations) {
          fields[relation.field] = {
            type: this.types.get(relation.target)!.boolExp,
            description:
              relation.kind === 'object'
                ? `The referenced ${relation.target.label} row matches`
                : `At least one ${relation.target.label} row referencing this one matches`,
          };
        }
        return fields;
      },
    });
    const orderBy = new GraphQLInputObjectType({
      name: this.typeName(table, '_order_by'),
      description: `Ordering of ${table.label} rows: one column per list entry.`,
      fields: Object.fromEntries(table.columns.map((c) => [c.field, { type: this.orderByEnum }])),
    });
    const writableColumns = table.columns.filter(isWritable);
    const insertInput = new GraphQLInputObjectType({
      name: this.typeName(table, '_insert_input'),
      description: `A row to insert into ${table.label}. Required fields are NOT NULL columns without a default.`,
      fields: Object.fromEntries(
        writableColumns.map((c) => {
          const required = !c.column.nullable && !c.column.hasDefault;
          const type = this.scalarType(c);
          return [c.field, { type: required ? new GraphQLNonNull(type) : type, description: c.column.comment ?? undefined }];
        }),
      ),
    });
    const setInput = new GraphQLInputObjectType({
      name: this.typeName(table, '_set_input'),
      description: `Columns to change in ${table.label}.`,
      fields: Object.fromEntries(writableColumns.map((c) => [c.field, { type: this.scalarType(c) }])),
    });
    const pkColumnsInput =
      table.primaryKey.length > 0
        ? new GraphQLInputObjectType({
            name: this.typeName(table, '_pk_columns_input'),
            description: `Primary key of ${table.label}.`,
            fields: Object.fromEntries(table.primaryKey.map((c) => [c.field, { type: new GraphQLNonNull(this.scalarType(c)) }])),
          })
        : null;
    const mutationResponse = new GraphQLObjectType<Row[], object>({
      name: this.typeName(table, '_mutation_response'),
      description: `Rows of ${table.label} affected by a mutation.`,
      fields: {
        affected_rows: { type: new GraphQLNonNull(GraphQLInt), resolve: (rows) => rows.length },
        returning: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(object))), resolve: (rows) => rows },
      },
    });
    const aggregateFields = new GraphQLObjectType<{ where?: BoolExp | null }, object>({
      name: this.typeName(table, '_aggregate_fields'),
      fields: {
        count: {
          type: new GraphQLNonNull(GraphQLInt),
          resolve: (parent, _args, context) => dataSourceFor(context, this.source).count(table, parent.where, context),
        },
      },
    });
    const aggregate = new GraphQLObjectType<{ where?: BoolExp | null }, object>({
      name: this.typeName(table, '_aggregate'),
      description: `Aggregates over ${table.label}.`,
      extensions: { lazydb: 'aggregate' },
      fields: { aggregate: { type: new GraphQLNonNull(aggregateFields), resolve: (parent) => parent } },
    });
    return { object, boolExp, orderBy, insertInput, setInput, pkColumnsInput, mutationResponse, aggregate };
  }

  private listArgs(table: NamedTable): GraphQLFieldConfigArgumentMap {
    const types = this.types.get(table)!;
    return {
      where: { type: types.boolExp, description: 'Filter: only rows matching this expression.' },
      order_by: { type: new GraphQLList(new GraphQLNonNull(types.orderBy)), description: 'Sort order, most significant first.' },
      limit: { type: GraphQLInt, description: `Rows to return: at most ${this.options.maxLimit} (the default).` },
      offset: { type: GraphQLInt, description: 'Rows to skip.' },
    };
  }

  private objectFields(table: NamedTable): GraphQLFieldConfigMap<Row, object> {
    const fields: GraphQLFieldConfigMap<Row, object> = {};
    for (const column of table.columns) {
      const type = this.scalarType(column);
      const nonNull = !column.column.nullable && table.table.kind === 'table';
      const notes = [column.column.comment, column.column.kind === 'unknown' ? `SQL type ${column.column.sqlType}, read-only text` : null];
      fields[column.field] = {
        type: nonNull ? new GraphQLNonNull(type) : type,
        description: notes.filter(Boolean).join('. ') || undefined,
      };
    }
    for (const relation of table.relations) fields[relation.field] = this.relationField(relation);
    return fields;
  }

  private relationField(relation: NamedRelation): GraphQLFieldConfig<Row, object> {
    const target = this.types.get(relation.target)!;
    if (relation.kind === 'object') {
      return {
        type: target.object,
        description: `The ${relation.target.label} row referenced by ${relation.ownerColumns.map((c) => c.field).join(', ')}`,
        resolve: (parent, _args, context, info) => {
          const ready = prefetched(parent, info.path.key);
          if (ready !== undefined) return ready;
          return dataSourceFor(context, this.source).related(relation, parent, requestedColumns(relation.target, info), context);
        },
      };
    }
    return {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(target.object))),
      description: `${relation.target.label} rows whose ${relation.targetColumns.map((c) => c.field).join(', ')} reference this row`,
      args: this.listArgs(relation.target),
      resolve: (parent, args: ListArgs, context, info) => {
        const ready = prefetched(parent, info.path.key);
        if (ready !== undefined) return ready;
        return dataSourceFor(context, this.source).relatedList(relation, parent, this.checkPage(args), requestedColumns(relation.target, info), context);
      },
    };
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

  private queryFields(table: NamedTable): GraphQLFieldConfigMap<unknown, object> {
    const types = this.types.get(table)!;
    const fields: GraphQLFieldConfigMap<unknown, object> = {
      [table.root.list]: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(types.object))),
        description: `Rows of ${table.label}`,
        args: this.listArgs(table),
        resolve: (_root, args: ListArgs, context, info) =>
          dataSourceFor(context, this.source).list(table, this.checkPage(args), requestedColumns(table, info), context, this.nested(table, info)),
      },
      [table.root.aggregate]: {
        type: new GraphQLNonNull(types.aggregate),
        description: `Aggregates over rows of ${table.label}`,
        args: { where: { type: types.boolExp } },
        resolve: (_root, args: { where?: BoolExp | null }) => ({ where: args.where }),
      },
    };
    if (table.primaryKey.length > 0) {
      fields[table.root.byPk] = {
        type: types.object,
        description: `One row of ${table.label} by its primary key`,
        args: this.keyArgs(table),
        resolve: (_root, args: Row, context, info) =>
          dataSourceFor(context, this.source).byKey(table, args, requestedColumns(table, info), context, this.nested(table, info)),
      };
    }
    return fields;
  }

  private mutationFields(table: NamedTable): GraphQLFieldConfigMap<unknown, object> {
    const types = this.types.get(table)!;
    const returned = (info: GraphQLResolveInfo, below?: string) => columnsFor(table, requestedFields(info, below));
    const keyWhere = (key: Row): BoolExp => Object.fromEntries(Object.entries(key).map(([field, value]) => [field, { _eq: value }]));
    const fields: GraphQLFieldConfigMap<unknown, object> = {
      [table.root.insert]: {
        type: types.mutationResponse,
        description: `Insert rows into ${table.label} (all or none)`,
        args: { objects: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(types.insertInput))) } },
        resolve: (_root, args: { objects: Row[] }, context, info) => {
          if (args.objects.length > this.options.maxLimit) {
            throw badInput(`at most ${this.options.maxLimit} objects per insert (LAZYDB_MAX_LIMIT); got ${args.objects.length}`);
          }
          return dataSourceFor(context, this.source).insert(table, args.objects, returned(info, 'returning'), context);
        },
      },
      [table.root.insertOne]: {
        type: types.object,
        description: `Insert one row into ${table.label}`,
        args: { object: { type: new GraphQLNonNull(types.insertInput) } },
        resolve: async (_root, args: { object: Row }, context, info) =>
          (await dataSourceFor(context, this.source).insert(table, [args.object], returned(info), context))[0] ?? null,
      },
      [table.root.update]: {
        type: types.mutationResponse,
        description: `Update the rows of ${table.label} matching \`where\``,
        args: { where: { type: new GraphQLNonNull(types.boolExp) }, _set: { type: types.setInput } },
        resolve: (_root, args: { where: BoolExp; _set?: Row | null }, context, info) =>
          dataSourceFor(context, this.source).update(table, args.where, args._set ?? {}, returned(info, 'returning'), context),
      },
      [table.root.delete]: {
        type: types.mutationResponse,
        description: `Delete the rows of ${table.label} matching \`where\``,
        args: { where: { type: new GraphQLNonNull(types.boolExp) } },
        resolve: (_root, args: { where: BoolExp }, context, info) =>
          dataSourceFor(context, this.source).delete(table, args.where, returned(info, 'returning'), context),
      },
    };
    if (types.pkColumnsInput) {
      fields[table.root.updateByPk] = {
        type: types.object,
        description: `Update one row of ${table.label} by its primary key`,
        args: { pk_columns: { type: new GraphQLNonNull(types.pkColumnsInput) }, _set: { type: types.setInput } },
        resolve: async (_root, args: { pk_columns: Row; _set?: Row | null }, context, info) =>
          (await dataSourceFor(context, this.source).update(table, keyWhere(args.pk_columns), args._set ?? {}, returned(info), context))[0] ?? null,
      };
      fields[table.root.deleteByPk] = {
        type: types.object,
        description: `Delete one row of ${table.label} by its primary key`,
        args: this.keyArgs(table),
        resolve: async (_root, args: Row, context, info) =>
          (await dataSourceFor(context, this.source).delete(table, keyWhere(args), returned(info), context))[0] ?? null,
      };
    }
    return fields;
  }
}

