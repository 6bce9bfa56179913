import { Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { RootFieldExtensions } from '../schema/build';
import type { NamespaceFieldExtensions } from '../gateway/compose';
import type { RootTable } from './context';

const NONE: readonly RootTable[] = Object.freeze([]);

/** Per schema and document, per operation name: most requests repeat a document, so the walk is done once for it. */
const known = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, readonly RootTable[]>>>();

/**
 * The tables an operation's root fields read or write, each once, in document order, as the
 * schema builder marked them (`extensions.lazydbTable` on every root field). Under `/graphql`
 * the fields one level down, below a database's namespace field (`extensions.lazydbDatabase`),
 * count, with that database. `__typename` and introspection fields name no table. Fragments
 * spread at the root are followed (once each). Cached: a repeated document costs three lookups.
 */
export function rootTablesOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): readonly RootTable[] {
  let byDocument = known.get(schema);
  if (!byDocument) known.set(schema, (byDocument = new WeakMap()));
  let byOperation = byDocument.get(document);
  if (!byOperation) byDocument.set(document, (byOperation = new Map()));
  const key = operationName ?? '';
  let tables = byOperation.get(key);
  if (tables === undefined) {
    tables = walk(schema, document, operationName);
    byOperation.set(key, tables);
  }
  return tables;
}

function walk(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): readonly RootTable[] {
  let operation: OperationDefinitionNode | undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION && (operationName == null || definition.name?.value === operationName)) operation ??= definition;
  }
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return NONE;
  const found: RootTable[] = [];
  const seen = new Set<string>();
  const spread = new Set<string>();
  const visit = (set: SelectionSetNode, type: GraphQLObjectType, database: string | null, level: number) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, type, database, level);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Once each per level: a cycle (refused by validation anyway) cannot loop.
        if (!fragment || spread.has(`${level}:${name}`)) continue;
        spread.add(`${level}:${name}`);
        visit(fragment.selectionSet, type, database, level);
        continue;
      }
      const field = type.getFields()[selection.name.value];
      if (!field) continue;
      const extensions = field.extensions as Partial<RootFieldExtensions & NamespaceFieldExtensions>;
      if (extensions.lazydbTable !== undefined) {
        const id = `${database ?? ''}\u0000${extensions.lazydbTable}`;
        if (!seen.has(id)) {
          seen.add(id);
          found.push({ database, table: extensions.lazydbTable });
        }
      } else if (extensions.lazydbDatabase !== undefined && level === 0 && selection.selectionSet) {
        const namespace = field.type as GraphQLObjectType;
        if (typeof namespace.getFields === 'function') visit(selection.selectionSet, namespace, extensions.lazydbDatabase, 1);
      }
    }
  };
  visit(operation.selectionSet, root, null, 0);
  return found.length === 0 ? NONE : Object.freeze(found);
}
