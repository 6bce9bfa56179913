import { isWritable } from '../schema/build';
import type { NamedModel, NamedTable } from '../schema/naming';
import type { ResourceInfo } from './types';
import type { SchemaAccess } from '../permissions/access';

/**
 * The API view of a database's tables: what the admin (and any client generator) needs to
 * build screens and requests — GraphQL names, REST paths, field types and relations — beside
 * the SQL identifiers they stand for.
 */
export function describeResources(database: string, named: NamedModel): ResourceInfo[] {
  return named.tables.map((table) => describeResource(database, table));
}

function describeResource(database: string, table: NamedTable): ResourceInfo {
  const hasKey = table.primaryKey.length > 0;
  const writable = table.writable;
  return {
    name: table.typeName,
    schema: table.table.schema,
    table: table.table.name,
    kind: table.table.kind,
    comment: table.table.comment,
    writable,
    primaryKey: table.primaryKey.map((c) => c.field),
    rest: `/db/${database}/rest/${table.typeName}`,
    graphql: {
      list: table.root.list,
      aggregate: table.root.aggregate,
      byPk: hasKey ? table.root.byPk : null,
      insert: writable ? table.root.insert : null,
      insertOne: writable ? table.root.insertOne : null,
      update: writable ? table.root.update : null,
      updateByPk: writable && hasKey ? table.root.updateByPk : null,
      delete: writable ? table.root.delete : null,
      deleteByPk: writable && hasKey ? table.root.deleteByPk : null,
    },
    fields: table.columns.map((c) => ({
      name: c.field,
      column: c.column.name,
      kind: c.column.kind,
      sqlType: c.column.sqlType,
      nullable: c.column.nullable,
      hasDefault: c.column.hasDefault,
      autoIncrement: c.column.autoIncrement,
      generated: c.column.generated,
      withTimeZone: c.column.withTimeZone ?? false,
      writable: writable && isWritable(c),
      required: writable && isWritable(c) && !c.column.nullable && !c.column.hasDefault,
      length: c.column.length,
      enumValues: c.column.enumValues ?? null,
      comment: c.column.comment,
    })),
    relations: table.relations.map((r) => ({
      name: r.field,
      kind: r.kind,
      target: r.target.typeName,
      fields: r.ownerColumns.map((c) => c.field),
      targetFields: r.targetColumns.map((c) => c.field),
    })),
  };
}

/**
 * The resources as a role may use them: the writes its rules do not give are null (and a table it
 * may not write at all is not writable), so the admin offers no button the server would refuse.
 */
export function withinAccess(resources: ResourceInfo[], access: SchemaAccess): ResourceInfo[] {
  return resources.map((resource) => {
    const table = access.tables.get(resource.name);
    const insert = Boolean(table?.insert);
    const update = Boolean(table?.update);
    const remove = Boolean(table?.delete);
    const { graphql } = resource;
    return {
      ...resource,
      writable: resource.writable && (insert || update || remove),
      graphql: {
        ...graphql,
        byPk: table?.select?.byPk ? graphql.byPk : null,
        insert: insert ? graphql.insert : null,
        insertOne: insert ? graphql.insertOne : null,
        update: update ? graphql.update : null,
        updateByPk: update ? graphql.updateByPk : null,
        delete: remove ? graphql.delete : null,
        deleteByPk: remove ? graphql.deleteByPk : null,
      },
    };
  });
}
