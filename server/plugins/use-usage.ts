import { getNamedType, isObjectType, Kind, type GraphQLField, type GraphQLNamedType, type GraphQLObjectType, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import type { LazydbPlugin, OperationArgs } from '../pipeline/plugin';
import type { RequestContext } from '../pipeline/context';
import { operationShapeOf, type OperationShape } from '../usage/operations';
import type { UsageRecorder } from '../usage/recorder';

/**
 * Usage history (server/usage): every answered request of the data APIs is counted in memory by
 * the recorder, which adds the per-minute deltas to the registry on a timer. Before execution
 * the root fields of the GraphQL operation name the tables it touches (`context.tables`), unless
 * the REST layer named its table already, and its normalised text is noted for the top operations.
 */
export function useUsage(recorder: UsageRecorder): LazydbPlugin {
  // A GraphQL request's (first) operation, for the top operations; REST's own documents are not the client's.
  const operations = new WeakMap<RequestContext, OperationShape>();
  return {
    name: 'usage',
    onExecute(args, context) {
      context.tables ??= rootTablesOf(args);
      if (context.transport !== 'rest' && !operations.has(context)) operations.set(context, operationShapeOf(args.document));
      return undefined;
    },
    onResponse(context, outcome) {
      recorder.record(context, outcome, operations.get(context));
    },
    close: () => recorder.close(),
  };
}

/** The table a root field reads or writes, per field of the schema (schemas are immutable: the answer never changes). */
const tableOfField = new WeakMap<GraphQLField<unknown, unknown>, string | null>();

function isTable(type: GraphQLNamedType): boolean {
  return type.extensions?.lazydb === 'table';
}

/** Fields of an aggregate or a mutation's answer that hold the rows of its table. */
const ROWS_FIELDS = ['nodes', 'returning'];

/**
 * A root field's table: its type when that is a row type, else the row type of its rows field
 * (`X_aggregate.nodes`, `X_mutation_response.returning`); null for anything else.
 */
function tableOf(field: GraphQLField<unknown, unknown>): string | null {
  const known = tableOfField.get(field);
  if (known !== undefined) return known;
  const type = getNamedType(field.type);
  let table: string | null = isTable(type) ? type.name : null;
  if (table === null && isObjectType(type)) {
    const fields = type.getFields();
    for (const name of ROWS_FIELDS) {
      const inner = fields[name] ? getNamedType(fields[name].type) : null;
      if (inner && isTable(inner)) table = inner.name;
    }
  }
  tableOfField.set(field, table);
  return table;
}

/** Adds the tables of `selections` as fields of `parent`; one level further for a field of no table (the gateway's per-database namespaces). */
function collect(parent: GraphQLObjectType, selections: readonly SelectionNode[], tables: string[], nested: boolean): void {
  const fields = parent.getFields();
  for (const selection of selections) {
    if (selection.kind !== Kind.FIELD) continue;
    const field = fields[selection.name.value];
    if (!field) continue;
    const table = tableOf(field);
    if (table !== null) {
      if (!tables.includes(table)) tables.push(table);
      continue;
    }
    const type = getNamedType(field.type);
    if (!nested && selection.selectionSet && isObjectType(type)) collect(type, selection.selectionSet.selections, tables, true);
  }
}

/** The distinct tables of the executed operation's root fields (fragments at the root are not followed). */
export function rootTablesOf(args: OperationArgs): string[] {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (args.operationName === undefined || d.name?.value === args.operationName),
  );
  if (!operation) return [];
  const root = operation.operation === 'query' ? args.schema.getQueryType() : operation.operation === 'mutation' ? args.schema.getMutationType() : args.schema.getSubscriptionType();
  if (!root) return [];
  const tables: string[] = [];
  collect(root, operation.selectionSet.selections, tables, false);
  return tables;
}
