import { z } from 'zod';
import type { NamedColumn, NamedModel, NamedTable } from '../schema/naming';
import { boolExpProblems, type ExpressionProblem } from '../schema/bool-exp';
import { OPERATIONS, sessionVariableName, type Operation, type PermissionDocument, type TableRules } from './document';

/**
 * Checks a permission document against the model it is for: its shape (zod), then every name
 * and value in it. PUT answers the errors as 400 INVALID_PERMISSIONS with one `{field, message}`
 * per bad entry; a stored document is judged again on every schema change (servableRules).
 */

export type PermissionProblem = ExpressionProblem;

export type PermissionValidation = { ok: true; value: PermissionDocument } | { ok: false; errors: PermissionProblem[] };

/** Most names a column list or preset may hold, and values an `_in` list of a rule: documents are stored and compiled into every statement. */
const MAX_LIST = 1000;

const columnList = z.union([z.literal('*'), z.array(z.string().min(1).max(256)).max(MAX_LIST)], {
  error: 'must be "*" or a list of field names',
});
const expression = z.record(z.string(), z.unknown(), { error: 'must be a boolean expression (a JSON object; {} is every row)' });
const presets = z.record(z.string(), z.unknown(), { error: 'must be an object of field: value' });

function selectRule(maxLimit: number | undefined) {
  let limit = z.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be 1 or more');
  if (maxLimit !== undefined) limit = limit.max(maxLimit, `must be at most ${maxLimit} (LAZYDB_MAX_LIMIT)`);
  return z.strictObject({ columns: columnList, filter: expression, limit: limit.optional(), aggregate: z.boolean({ error: 'must be true or false' }).optional() });
}

function tableRulesShape(maxLimit: number | undefined) {
  return z.strictObject(
    {
      select: selectRule(maxLimit).optional(),
      insert: z.strictObject({ columns: columnList, check: expression, set: presets.optional() }).optional(),
      update: z.strictObject({ columns: columnList, filter: expression, check: expression.optional(), set: presets.optional() }).optional(),
      delete: z.strictObject({ filter: expression }).optional(),
    },
    { error: 'must be an object of select, insert, update, delete rules' },
  );
}

function shapeProblems(error: z.ZodError, prefix: string[] = []): PermissionProblem[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return { field: [...path, issue.keys[0] ?? ''].join('.'), message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
    }
    const missing = issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined;
    return { field: path.join('.') || '(document)', message: missing ? 'is required' : issue.message };
  });
}

/** Why a literal is not a value of `column`'s kind, or null. */
function literalProblem(column: NamedColumn, value: unknown): string | null {
  const { kind, enumValues } = column.column;
  switch (kind) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? null : `must be a whole number (${column.field} is an integer)`;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? null : `must be a number`;
    case 'bigint':
    case 'decimal':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^[-+]?\d+(\.\d+)?$/.test(value)) ? null : 'must be a number (or its digits as a string)';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'enum':
      return typeof value === 'string' && (enumValues ?? []).includes(value) ? null : `must be one of ${(enumValues ?? []).map((v) => `"${v}"`).join(', ')}`;
    default:
      return typeof value === 'string' ? null : 'must be a string';
  }
}

/** A session variable (`X-Lazydb-User-Id`) fits any column (its value is bound at run time); anything else must be a literal of the column's kind. */
function valueProblem(column: NamedColumn, value: unknown): string | null {
  if (typeof value === 'string' && /^x-lazydb-/i.test(value)) {
    return sessionVariableName(value) ? null : 'is not a well-formed session variable: X-Lazydb- then 1 to 64 letters, digits, - or _';
  }
  if (value === null) return 'must not be null (use _is_null)';
  return literalProblem(column, value);
}

function operandProblem(column: NamedColumn, operator: string, operand: unknown): string | null {
  if (operator === '_is_null') return typeof operand === 'boolean' ? null : 'must be true or false';
  if (operator === '_in' || operator === '_nin') {
    if (!Array.isArray(operand)) return 'must be a list of values';
    if (operand.length > MAX_LIST) return `must hold at most ${MAX_LIST} values`;
    for (const [i, item] of operand.entries()) {
      const why = valueProblem(column, item);
      if (why) return `value ${i} ${why}`;
    }
    return null;
  }
  if (operator.includes('like')) {
    if (typeof operand !== 'string') return 'must be a pattern (a string)';
    return /^x-lazydb-/i.test(operand) && !sessionVariableName(operand) ? valueProblem(column, operand) : null;
  }
  return valueProblem(column, operand);
}

function expressionProblems(table: NamedTable, expr: unknown, path: string): PermissionProblem[] {
  return boolExpProblems(table, expr, path, operandProblem);
}

function columnListProblems(table: NamedTable, list: readonly string[] | '*', path: string, writable: boolean): PermissionProblem[] {
  if (list === '*') return [];
  const problems: PermissionProblem[] = [];
  for (const [i, field] of list.entries()) {
    const column = table.columns.find((c) => c.field === field);
    if (!column) problems.push({ field: `${path}.${i}`, message: `${table.typeName} has no field "${field}"` });
    else if (writable && !isWritableColumn(column)) problems.push({ field: `${path}.${i}`, message: `${field} is computed by the database or of a type lazydb cannot write` });
  }
  return problems;
}

function isWritableColumn(column: NamedColumn): boolean {
  return !column.column.generated && column.column.kind !== 'unknown';
}

function presetProblems(table: NamedTable, set: Readonly<Record<string, unknown>> | undefined, path: string): PermissionProblem[] {
  const problems: PermissionProblem[] = [];
  for (const [field, value] of Object.entries(set ?? {})) {
    const at = `${path}.${field}`;
    const column = table.columns.find((c) => c.field === field);
    if (!column) problems.push({ field: at, message: `${table.typeName} has no field "${field}"` });
    else if (!isWritableColumn(column)) problems.push({ field: at, message: `${field} is computed by the database or of a type lazydb cannot write` });
    else if (value === null) {
      if (!column.column.nullable) problems.push({ field: at, message: `${field} is NOT NULL` });
    } else {
      const why = valueProblem(column, value);
      if (why) problems.push({ field: at, message: why });
    }
  }
  return problems;
}

/** Problems of one operation's rule of one table (its shape already checked). */
function ruleProblems(table: NamedTable, operation: Operation, rules: TableRules, path: string): PermissionProblem[] {
  const at = `${path}.${operation}`;
  if (operation !== 'select' && rules[operation] && !table.writable) {
    return [{ field: at, message: `${table.typeName} is a view: it takes no ${operation}` }];
  }
  switch (operation) {
    case 'select': {
      const rule = rules.select!;
      return [...columnListProblems(table, rule.columns, `${at}.columns`, false), ...expressionProblems(table, rule.filter, `${at}.filter`)];
    }
    case 'insert': {
      const rule = rules.insert!;
      return [
        ...columnListProblems(table, rule.columns, `${at}.columns`, true),
        ...expressionProblems(table, rule.check, `${at}.check`),
        ...presetProblems(table, rule.set, `${at}.set`),
      ];
    }
    case 'update': {
      const rule = rules.update!;
      return [
        ...columnListProblems(table, rule.columns, `${at}.columns`, true),
        ...expressionProblems(table, rule.filter, `${at}.filter`),
        ...(rule.check ? expressionProblems(table, rule.check, `${at}.check`) : []),
        ...presetProblems(table, rule.set, `${at}.set`),
      ];
    }
    case 'delete':
      return expressionProblems(table, rules.delete!.filter, `${at}.filter`);
  }
}

function tablesByType(named: NamedModel): Map<string, NamedTable> {
  return new Map(named.tables.map((t) => [t.typeName, t]));
}

/** `input` as a permission document of `named`, or every problem found (all of them, not just the first). */
export function validatePermissions(input: unknown, named: NamedModel, maxLimit: number): PermissionValidation {
  const parsed = z.record(z.string(), tableRulesShape(maxLimit), { error: 'must be an object of table: rules' }).safeParse(input);
  if (!parsed.success) return { ok: false, errors: shapeProblems(parsed.error) };
  const tables = tablesByType(named);
  const errors: PermissionProblem[] = [];
  for (const [typeName, rules] of Object.entries(parsed.data)) {
    const table = tables.get(typeName);
    if (!table) {
      errors.push({ field: typeName, message: `the database has no table or view whose GraphQL type is "${typeName}"` });
      continue;
    }
    for (const operation of OPERATIONS) if (rules[operation]) errors.push(...ruleProblems(table, operation, rules as TableRules, typeName));
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: parsed.data as PermissionDocument };
}

export interface DroppedRule {
  table: string;
  /** null: every rule of the table (it is gone, or its rules are not a valid shape). */
  operation: Operation | null;
  reason: string;
}

/**
 * The part of a stored document that still fits the model (after a schema change a column it
 * names may be gone): each rule with a problem is dropped whole, so access only ever narrows
 * (fail closed), and what was dropped is reported. Nothing read from the registry is trusted:
 * the shape is judged again too, table by table.
 */
export function servableRules(doc: unknown, named: NamedModel, maxLimit?: number): { document: PermissionDocument; dropped: DroppedRule[] } {
  const document: PermissionDocument = {};
  const dropped: DroppedRule[] = [];
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { document, dropped: [{ table: '*', operation: null, reason: 'the document is not an object' }] };
  const tables = tablesByType(named);
  const shape = tableRulesShape(maxLimit);
  for (const [typeName, raw] of Object.entries(doc)) {
    const table = tables.get(typeName);
    if (!table) {
      dropped.push({ table: typeName, operation: null, reason: 'no such table or view any more' });
      continue;
    }
    const parsed = shape.safeParse(raw);
    if (!parsed.success) {
      dropped.push({ table: typeName, operation: null, reason: shapeProblems(parsed.error, [typeName]).map((p) => `${p.field}: ${p.message}`).join('; ') });
      continue;
    }
    const rules = parsed.data as TableRules;
    const kept: Record<string, unknown> = {};
    for (const operation of OPERATIONS) {
      if (!rules[operation]) continue;
      const problems = ruleProblems(table, operation, rules, typeName);
      if (problems.length === 0) kept[operation] = rules[operation];
      else dropped.push({ table: typeName, operation, reason: problems.map((p) => `${p.field}: ${p.message}`).join('; ') });
    }
    if (Object.keys(kept).length > 0) document[typeName] = kept as TableRules;
  }
  return { document, dropped };
}
