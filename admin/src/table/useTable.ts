import { useResourceContext } from 'react-admin';
import { capabilities, type DatabaseModel, type FieldInfo, type RelationInfo, type ReportEntry, type ResourceInfo } from '../model';
import { useRegistry } from '../registry';
import { resourceName, splitResourceName } from '../rest/provider';

export interface TableContext {
  database: string;
  resource: ResourceInfo;
  model: DatabaseModel;
  /** The react-admin resource name (`db/<database>/<table>`). */
  raName: string;
  caps: ReturnType<typeof capabilities>;
}

/** The table behind the current react-admin resource, or null while its model loads. */
export function useTable(name?: string): TableContext | null {
  const contextName = useResourceContext();
  const raName = name ?? contextName;
  const { models } = useRegistry();
  if (!raName) return null;
  const { database, table } = splitResourceName(raName);
  const model = models[database];
  const resource = model?.resources.find((r) => r.name === table);
  if (!model || !resource) return null;
  return { database, resource, model, raName, caps: capabilities(resource) };
}

export function findResource(model: DatabaseModel, name: string): ResourceInfo | undefined {
  return model.resources.find((r) => r.name === name);
}

/** Single-column foreign keys to the target's primary key: those become links and reference inputs. */
export function referenceFor(model: DatabaseModel, resource: ResourceInfo, field: string): { relation: RelationInfo; target: ResourceInfo } | null {
  for (const relation of resource.relations) {
    if (relation.kind !== 'object' || relation.fields.length !== 1 || relation.fields[0] !== field) continue;
    const target = findResource(model, relation.target);
    if (!target || target.primaryKey.length !== 1 || target.primaryKey[0] !== relation.targetFields[0]) continue;
    return { relation, target };
  }
  return null;
}

export function targetName(database: string, target: string): string {
  return resourceName(database, target);
}

const LABEL_NAMES = ['title', 'label', 'full_name', 'fullname', 'display_name', 'username', 'email', 'code', 'sku'];

/**
 * The columns that name a row best (for links, selects and titles), or none: then the row is
 * called by its table and key ("invoice #12") rather than by some arbitrary text column.
 */
export function labelFields(resource: ResourceInfo): string[] {
  const text = resource.fields.filter((f) => f.kind === 'string' && !resource.primaryKey.includes(f.name));
  const byName = (wanted: string) => text.find((f) => f.name.toLowerCase() === wanted);
  const name = byName('name');
  if (name) return [name.name];
  const first = text.find((f) => /^first_?name$/i.test(f.name));
  const last = text.find((f) => /^last_?name$/i.test(f.name));
  if (first && last) return [first.name, last.name];
  for (const wanted of LABEL_NAMES) {
    const found = byName(wanted);
    if (found) return [found.name];
  }
  const named = text.find((f) => /(name|title|label)$/i.test(f.name));
  return named ? [named.name] : [];
}

/** How a row is named in links and selects: its label columns, else its key. */
export function representation(resource: ResourceInfo): (record: Record<string, unknown>) => string {
  const labels = labelFields(resource);
  return (record) => {
    if (!record) return '';
    const text = labels
      .map((f) => record[f])
      .filter((v) => v !== null && v !== undefined && v !== '')
      .join(' ');
    if (text) return text;
    const key = resource.primaryKey.map((f) => record[f]).join(' · ');
    return key ? `${resource.name} #${key}` : '';
  };
}

/** The introspection report lines about this table or its columns. */
export function reportFor(model: DatabaseModel, resource: ResourceInfo): ReportEntry[] {
  const names = new Set([resource.table, resource.schema ? `${resource.schema}.${resource.table}` : resource.table, resource.name]);
  return model.report.filter((entry) => {
    for (const name of names) {
      if (entry.object === name || entry.object.startsWith(`${name}.`)) return true;
    }
    return false;
  });
}

/** Whether a column stores a time zone (the resource view omits it; the model's table has it). */
export function withTimeZone(model: DatabaseModel, resource: ResourceInfo, field: FieldInfo): boolean {
  const table = model.tables?.find((t) => t.name === resource.table && t.schema === resource.schema);
  const column = table?.columns.find((c) => c.name === field.column);
  return column?.withTimeZone === true;
}
