/**
 * The permission editor's working copy of one role's PermissionDocument: per table and
 * operation, whether it is allowed, its columns, and its JSON entries as the text being typed
 * (so a half-typed filter is kept and its parse error shown, not lost). Pure: unit-tested.
 */
import { formatJson, parseJsonObject } from '../common/json';
import type { FieldError } from '../model';
import type { Operation, PermissionDocument, TableRules } from '../auth/model';

export const OPERATIONS: readonly Operation[] = ['select', 'insert', 'update', 'delete'];

export type EntryName = 'columns' | 'filter' | 'check' | 'set' | 'limit' | 'aggregate';

/** The entries each operation has, in the order the editor shows them. */
export const ENTRIES: Readonly<Record<Operation, readonly EntryName[]>> = {
  select: ['columns', 'filter', 'limit', 'aggregate'],
  insert: ['columns', 'check', 'set'],
  update: ['columns', 'filter', 'check', 'set'],
  delete: ['filter'],
};

export interface OperationDraft {
  enabled: boolean;
  /** `"*"`: every column, now and after schema changes. */
  allColumns: boolean;
  columns: string[];
  filter: string;
  check: string;
  set: string;
  /** Digits, or empty for the server's LAZYDB_MAX_LIMIT. */
  limit: string;
  aggregate: boolean;
}

export type TableDraft = Record<Operation, OperationDraft>;
export type PermissionDraft = Record<string, TableDraft>;

export function emptyOperation(operation: Operation): OperationDraft {
  // An insert must name its check; an update's is optional and starts empty (no check).
  return { enabled: false, allColumns: true, columns: [], filter: '{}', check: operation === 'insert' ? '{}' : '', set: '', limit: '', aggregate: false };
}

function emptyTable(): TableDraft {
  return { select: emptyOperation('select'), insert: emptyOperation('insert'), update: emptyOperation('update'), delete: emptyOperation('delete') };
}

function operationDraft(operation: Operation, rules: TableRules): OperationDraft {
  const draft = emptyOperation(operation);
  const rule = rules[operation] as Record<string, unknown> | undefined;
  if (!rule) return draft;
  draft.enabled = true;
  const columns = rule.columns;
  if (Array.isArray(columns)) {
    draft.allColumns = false;
    draft.columns = columns.filter((c): c is string => typeof c === 'string');
  }
  if (rule.filter !== undefined) draft.filter = formatJson(rule.filter);
  if (rule.check !== undefined) draft.check = formatJson(rule.check);
  if (rule.set !== undefined) draft.set = formatJson(rule.set);
  if (typeof rule.limit === 'number') draft.limit = String(rule.limit);
  draft.aggregate = rule.aggregate === true;
  return draft;
}

/** Every table of the database (API names), and any the document names that the schema no longer has. */
export function draftFromDocument(document: PermissionDocument, tables: readonly string[]): PermissionDraft {
  const draft: PermissionDraft = {};
  for (const table of [...tables, ...Object.keys(document).filter((t) => !tables.includes(t))]) {
    const rules = document[table] ?? {};
    draft[table] = emptyTable();
    for (const operation of OPERATIONS) draft[table]![operation] = operationDraft(operation, rules);
  }
  return draft;
}

/** Something in the draft that cannot be sent yet, at the entry that has it. */
export interface DraftProblem {
  table: string;
  operation: Operation;
  entry: EntryName;
  message: string;
}

function jsonEntry(text: string, at: Omit<DraftProblem, 'message'>, problems: DraftProblem[]): Record<string, unknown> | undefined {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) {
    problems.push({ ...at, message: parsed.message });
    return undefined;
  }
  return parsed.value;
}

/** The document the draft stands for, or the problems that keep it from being one (then nothing is sent). */
export function documentFromDraft(draft: PermissionDraft): { document: PermissionDocument; problems: DraftProblem[] } {
  const document: PermissionDocument = {};
  const problems: DraftProblem[] = [];
  for (const [table, operations] of Object.entries(draft)) {
    const rules: Record<string, unknown> = {};
    for (const operation of OPERATIONS) {
      const op = operations[operation];
      if (!op.enabled) continue;
      const rule: Record<string, unknown> = {};
      const at = (entry: EntryName) => ({ table, operation, entry });
      if (ENTRIES[operation].includes('columns')) rule.columns = op.allColumns ? '*' : [...op.columns];
      if (ENTRIES[operation].includes('filter')) rule.filter = jsonEntry(op.filter, at('filter'), problems);
      if (ENTRIES[operation].includes('check') && (operation === 'insert' || op.check.trim() !== '')) rule.check = jsonEntry(op.check, at('check'), problems);
      if (ENTRIES[operation].includes('set') && op.set.trim() !== '') {
        const set = jsonEntry(op.set, at('set'), problems);
        if (set && Object.keys(set).length > 0) rule.set = set;
      }
      if (operation === 'select') {
        const limit = op.limit.trim();
        if (limit !== '') {
          if (/^[1-9]\d{0,8}$/.test(limit)) rule.limit = Number(limit);
          else problems.push({ ...at('limit'), message: 'A whole number of rows, 1 or more (empty: the server\'s maximum).' });
        }
        if (op.aggregate) rule.aggregate = true;
      }
      rules[operation] = rule;
    }
    if (Object.keys(rules).length > 0) document[table] = rules as TableRules;
  }
  return { document, problems };
}

/** Where a message shows in the editor: one entry of one operation of one table. */
export function entryKey(table: string, operation: Operation | '', entry: EntryName | ''): string {
  return `${table}\u0001${operation}\u0001${entry}`;
}

export function problemsByEntry(problems: readonly DraftProblem[]): Map<string, string[]> {
  const byEntry = new Map<string, string[]>();
  for (const p of problems) {
    const key = entryKey(p.table, p.operation, p.entry);
    byEntry.set(key, [...(byEntry.get(key) ?? []), p.message]);
  }
  return byEntry;
}

const ENTRY_NAMES = new Set<string>(['columns', 'filter', 'check', 'set', 'limit', 'aggregate']);

/**
 * The server's INVALID_PERMISSIONS `fields` placed next to the entry each names. A field is a
 * path into the document (`album.select.filter`, `/album/select/columns/2`, `album.select.columns[2]`,
 * possibly under a prefix such as `document.`): its table, then its operation, then its entry.
 * One that names no known table lands in `general`; one that stops early lands on its table or
 * operation.
 */
export function placeServerErrors(fields: readonly FieldError[], tables: readonly string[]): { byEntry: Map<string, string[]>; general: string[] } {
  const byEntry = new Map<string, string[]>();
  const general: string[] = [];
  const known = new Set(tables);
  for (const { field, message } of fields) {
    const segments = field.split(/[./[\]]+/).filter(Boolean);
    const at = segments.findIndex((s) => known.has(s));
    if (at < 0) {
      // `(document)` / `(body)`: the document as a whole.
      general.push(field && !/^\(\w+\)$/.test(field) ? `${field}: ${message}` : message);
      continue;
    }
    const table = segments[at]!;
    const operation = (OPERATIONS as readonly string[]).includes(segments[at + 1] ?? '') ? (segments[at + 1] as Operation) : '';
    const entry = operation && ENTRY_NAMES.has(segments[at + 2] ?? '') ? (segments[at + 2] as EntryName) : '';
    // What inside the entry is wrong (a column's position, a filter's key) stays in the message.
    const rest = segments.slice(at + (entry ? 3 : operation ? 2 : 1));
    const key = entryKey(table, operation, entry);
    byEntry.set(key, [...(byEntry.get(key) ?? []), rest.length > 0 ? `${rest.join('.')}: ${message}` : message]);
  }
  return { byEntry, general };
}

/** How many operations of a table are allowed, for the grid's summary. */
export function allowedCount(table: TableDraft): number {
  return OPERATIONS.filter((o) => table[o].enabled).length;
}
