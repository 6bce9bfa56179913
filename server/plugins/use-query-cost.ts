import {
  getNamedType,
  getNullableType,
  getOperationAST,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { requestRefusal } from '../errors/graphql';
import type { LazydbPlugin } from '../pipeline/plugin';

/** Bounds on what one operation may read, judged from its document, its variables and the schema, before it runs. */
export interface CostLimits {
  /**
   * Most relation levels along one path (`LAZYDB_MAX_DEPTH`): fields that read rows — a
   * table's list, `_by_pk`, `_aggregate`, an object or array relation, `returning`. A
   * database's namespace field in `/graphql` is not one.
   * @default 10
   */
  maxDepth: number;
  /**
   * Most rows the operation is estimated to read (`LAZYDB_MAX_COST`): every row-reading field
   * counts its parent's rows times its own `limit` (lists; the default page where none is
   * given) or 1 (`_by_pk`, object relations, aggregates), summed over the operation.
   * @default 5 × maxLimit² (5000000): two nested default pages pass, a few times over; a third level does not
   */
  maxCost: number;
  /**
   * The largest page and the default one (`LAZYDB_MAX_LIMIT`): a larger `limit` is LIMIT_TOO_LARGE.
   * @default 1000
   */
  maxLimit: number;
}

/** How the schema builder marks the types whose fields read rows (server/schema/build.ts). */
const ROW_TYPES = new Set(['table', 'aggregate']);

function readsRows(type: GraphQLNamedType): boolean {
  return ROW_TYPES.has((type.extensions as { lazydb?: string } | undefined)?.lazydb ?? '');
}

export function limitTooLargeMessage(limit: number, maxLimit: number): string {
  return `limit ${limit} is above the maximum page size of ${maxLimit} (LAZYDB_MAX_LIMIT); page with offset`;
}

export function queryTooDeepMessage(depth: number, maxDepth: number): string {
  return `the operation nests ${Number.isFinite(depth) ? depth : `more than ${maxDepth + 3}`} relation levels; at most ${maxDepth} are allowed (LAZYDB_MAX_DEPTH): query fewer levels at once, and start another query from the rows this one returns`;
}

export function queryTooCostlyMessage(rows: number, limits: CostLimits): string {
  const estimate = rows >= Number.MAX_SAFE_INTEGER ? `more than ${Number.MAX_SAFE_INTEGER}` : String(rows);
  return (
    `the operation is estimated to read up to ${estimate} rows (each list's limit, or ${limits.maxLimit} where none is given, multiplied along its path); ` +
    `at most ${limits.maxCost} are allowed (LAZYDB_MAX_COST): give nested lists a smaller limit`
  );
}

/**
 * What a selection set reads, with fields merged by response key as graphql-js executes them
 * (`albums { title }` selected twice, directly or through fragments, is one read): per key, the
 * field's rows per row of its parent (its limit, or 1), whether it reads rows at all (a namespace
 * or a mutation's response does not), and its own selections.
 */
type Shape = Map<string, { factor: number; reads: boolean; children: Shape }>;

/**
 * The operation's estimate: the deepest path in relation levels (Infinity beyond `maxDepth`
 * plus a margin for the levels that read nothing, where the walk stops), and the rows summed.
 * Throws PageTooLarge for a limit above the page size.
 */
export function estimateOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: unknown,
  limits: Pick<CostLimits, 'maxLimit' | 'maxDepth'>,
): Estimate | null {
  return walkOperation(schema, document, operationName, variables, limits)?.estimate ?? null;
}

/** The estimate, and the variables its `limit`s came from (the estimate depends on these alone). */
function walkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: unknown,
  limits: Pick<CostLimits, 'maxLimit' | 'maxDepth'>,
): { estimate: Estimate; limitVariables: string[] } | null {
  const operation = getOperationAST(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return null;
  const given = variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : {};
  const walker = new Walker(schema, operation, given, limits.maxLimit, limits.maxDepth + 3);
  walker.fragmentShapes(document);
  const shape: Shape = new Map();
  walker.shapeInto(shape, operation.selectionSet, root, 0);
  const totals = { rows: 0, depth: 0 };
  evaluate(shape, 1, 0, totals);
  return {
    estimate: { rows: totals.rows, depth: walker.tooDeep ? Number.POSITIVE_INFINITY : totals.depth, variableLimits: walker.readVariables },
    limitVariables: [...walker.limitVariables],
  };
}

interface Estimate {
  depth: number;
  rows: number;
  /** Whether a `limit` came from a variable: the estimate then holds for these variables only. */
  variableLimits: boolean;
}

/**
 * Judgements of an operation whose limits come from variables (a REST list's `$limit`): the
 * same for the same values of those variables, which most requests repeat (a page size).
 */
class ByLimitValues {
  readonly judgements = new Map<string, CostJudgement>();
  constructor(readonly names: readonly string[]) {}

  /** The values of the limit variables as a key; null when one is neither absent, null nor a number (then not remembered). */
  keyOf(variables: unknown): string | null {
    const given = variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : {};
    let key = '';
    for (const name of this.names) {
      const value = given[name];
      if (!(name in given)) key += 'a;';
      else if (value === null) key += 'n;';
      else if (typeof value === 'number') key += `${value};`;
      else return null;
    }
    return key;
  }

  remember(key: string, judgement: CostJudgement): void {
    if (this.judgements.size >= MAX_JUDGED_LIMIT_VALUES) this.judgements.clear();
    this.judgements.set(key, judgement);
  }
}

/** How many values of its limit variables one operation's judgements are kept for. */
const MAX_JUDGED_LIMIT_VALUES = 32;

/** How an operation was judged: its refusal, if any, and the rows it is estimated to read (0 when refused or when it names no operation). */
export interface CostJudgement {
  refusal: GraphQLError | null;
  rows: number;
}

const NO_OPERATION: CostJudgement = Object.freeze({ refusal: null, rows: 0 });

/** Judgements per limits, schema, document and operation: most requests repeat a document. */
const judged = new WeakMap<CostLimits, WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, CostJudgement | ByLimitValues>>>>();

/** The refusal for an operation beyond a bound (LIMIT_TOO_LARGE, QUERY_TOO_DEEP, QUERY_TOO_COSTLY), or undefined. */
export function checkOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: unknown,
  limits: CostLimits,
): GraphQLError | undefined {
  return judgeOperationCost(schema, document, operationName, variables, limits).refusal ?? undefined;
}

/** The refusal, if any, and the estimated rows of an operation (see checkOperationCost). */
export function judgeOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: unknown,
  limits: CostLimits,
): CostJudgement {
  let bySchema = judged.get(limits);
  if (!bySchema) judged.set(limits, (bySchema = new WeakMap()));
  let byDocument = bySchema.get(schema);
  if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
  let byOperation = byDocument.get(document);
  if (!byOperation) byDocument.set(document, (byOperation = new Map()));
  const known = byOperation.get(operationName ?? '');
  let valuesKey: string | null = null;
  if (known instanceof ByLimitValues) {
    valuesKey = known.keyOf(variables);
    const judgement = valuesKey === null ? undefined : known.judgements.get(valuesKey);
    if (judgement !== undefined) return judgement;
  } else if (known !== undefined) return known;
  let walked: ReturnType<typeof walkOperation>;
  try {
    walked = walkOperation(schema, document, operationName, variables, limits);
  } catch (error) {
    // A literal limit is the same every time; one from a variable is not cached (the walk stopped before knowing).
    if (error instanceof PageTooLarge) return { refusal: requestRefusal('LIMIT_TOO_LARGE', limitTooLargeMessage(error.limit, limits.maxLimit)), rows: 0 };
    throw error;
  }
  if (!walked) return NO_OPERATION;
  const { estimate } = walked;
  let refusal: GraphQLError | null = null;
  if (estimate.depth > limits.maxDepth) refusal = requestRefusal('QUERY_TOO_DEEP', queryTooDeepMessage(estimate.depth, limits.maxDepth));
  else if (estimate.rows > limits.maxCost) refusal = requestRefusal('QUERY_TOO_COSTLY', queryTooCostlyMessage(estimate.rows, limits));
  const judgement: CostJudgement = { refusal, rows: refusal ? 0 : estimate.rows };
  if (!estimate.variableLimits) byOperation.set(operationName ?? '', judgement);
  else {
    let byValues = known instanceof ByLimitValues ? known : undefined;
    if (!byValues) byOperation.set(operationName ?? '', (byValues = new ByLimitValues(walked.limitVariables)));
    valuesKey ??= byValues.keyOf(variables);
    if (valuesKey !== null) byValues.remember(valuesKey, judgement);
  }
  return judgement;
}

class PageTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`limit ${limit}`);
  }
}

class Walker {
  /** Set when a path nests deeper than `cap` levels: the walk goes no deeper (recursion stays bounded). */
  tooDeep = false;
  /** Set when a `limit` was read from the variables. */
  readVariables = false;
  /** The variables `limit`s were read from. */
  readonly limitVariables = new Set<string>();
  private readonly fragments = new Map<string, Shape>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly operation: OperationDefinitionNode,
    private readonly variables: Record<string, unknown>,
    private readonly maxLimit: number,
    private readonly cap: number,
  ) {}

  /** Each fragment's shape, once (memo), dependencies first with a stack of its own; a cycle (refused by validation) adds nothing. */
  fragmentShapes(document: DocumentNode): void {
    const definitions = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) definitions.set(definition.name.value, definition);
    const entered = new Set<string>();
    for (const start of definitions.keys()) {
      const stack = [start];
      while (stack.length > 0) {
        const name = stack[stack.length - 1]!;
        const definition = definitions.get(name);
        if (this.fragments.has(name) || !definition) {
          stack.pop();
          continue;
        }
        if (!entered.has(name)) {
          entered.add(name);
          for (const spread of spreadsOf(definition.selectionSet)) if (!entered.has(spread)) stack.push(spread);
          continue;
        }
        const shape: Shape = new Map();
        const type = this.schema.getType(definition.typeCondition.name.value);
        if (isObjectType(type)) this.shapeInto(shape, definition.selectionSet, type, 0);
        this.fragments.set(name, shape);
        stack.pop();
      }
    }
  }

  /** Adds a selection set's fields into `into`, merged by response key; `level` counts the fields above it. */
  shapeInto(into: Shape, set: SelectionSetNode, parent: GraphQLObjectType, level: number): void {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = this.fragments.get(selection.name.value);
        if (fragment) this.merge(into, fragment, level);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        if (isObjectType(type)) this.shapeInto(into, selection.selectionSet, type, level);
      } else {
        const field = parent.getFields()[selection.name.value];
        if (!field || !selection.selectionSet) continue;
        const type = getNamedType(field.type);
        if (!isObjectType(type)) continue;
        if (level >= this.cap) {
          this.tooDeep = true;
          continue;
        }
        const reads = readsRows(type);
        const isList = isListType(getNullableType(field.type));
        const limit = reads && field.args.some((a) => a.name === 'limit') ? this.limitOf(selection.arguments?.find((a) => a.name.value === 'limit')?.value) : null;
        const factor = reads && isList ? (limit ?? this.maxLimit) : 1;
        const key = selection.alias?.value ?? selection.name.value;
        let node = into.get(key);
        if (!node) into.set(key, (node = { factor, reads, children: new Map() }));
        // Merged fields have the same arguments (validation checks it); the larger factor is kept all the same.
        else node.factor = Math.max(node.factor, factor);
        this.shapeInto(node.children, selection.selectionSet, type, level + 1);
      }
    }
  }

  /** Copies `from` (a fragment's shape) into `into` at `level`, merging keys; a copy, so that memoised shapes never change. */
  private merge(into: Shape, from: Shape, level: number): void {
    for (const [key, source] of from) {
      if (level >= this.cap) {
        this.tooDeep = true;
        return;
      }
      let node = into.get(key);
      if (!node) into.set(key, (node = { factor: source.factor, reads: source.reads, children: new Map() }));
      else node.factor = Math.max(node.factor, source.factor);
      this.merge(node.children, source.children, level + 1);
    }
  }

  /** A `limit` argument's value: a literal, or a variable (given, else its default); null when none is given. */
  private limitOf(value: ValueNode | undefined): number | null {
    let limit: unknown = null;
    if (value?.kind === Kind.INT) limit = Number(value.value);
    else if (value?.kind === Kind.VARIABLE) {
      const name = value.name.value;
      this.readVariables = true;
      this.limitVariables.add(name);
      const definition = this.operation.variableDefinitions?.find((d) => d.variable.name.value === name);
      if (name in this.variables) limit = this.variables[name];
      else if (definition?.defaultValue?.kind === Kind.INT) limit = Number(definition.defaultValue.value);
    }
    if (typeof limit !== 'number' || !Number.isFinite(limit)) return null;
    if (limit > this.maxLimit) throw new PageTooLarge(limit);
    // A negative limit is refused by the resolver (BAD_USER_INPUT); it reads nothing.
    return Math.max(0, limit);
  }
}

/** The fragments a selection set spreads, at any depth (a stack, no recursion). */
function spreadsOf(root: SelectionSetNode): Set<string> {
  const names = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    for (const selection of stack.pop()!.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) names.add(selection.name.value);
      else if (selection.selectionSet) stack.push(selection.selectionSet);
    }
  }
  return names;
}

/** Rows summed over the shape (each read: its parent's rows × its factor) and the deepest read; as deep as the shape (at most the cap). */
function evaluate(shape: Shape, rows: number, depth: number, totals: { rows: number; depth: number }): void {
  for (const node of shape.values()) {
    if (!node.reads) {
      evaluate(node.children, rows, depth, totals);
      continue;
    }
    const read = Math.min(Number.MAX_SAFE_INTEGER, rows * node.factor);
    totals.rows = Math.min(Number.MAX_SAFE_INTEGER, totals.rows + read);
    totals.depth = Math.max(totals.depth, depth + 1);
    evaluate(node.children, read, depth + 1, totals);
  }
}

/**
 * The plugin: refuses before execution (graphql-js coerces the variables a `limit` may come
 * from inside execute, and nothing has reached SQL yet), on GraphQL and REST reads alike.
 */
export function useQueryCost(limits: CostLimits): LazydbPlugin {
  return {
    name: 'query-cost',
    onExecute(args, context) {
      const { refusal, rows } = judgeOperationCost(args.schema, args.document, args.operationName, args.variables, limits);
      if (refusal) return refusal;
      context.estimatedRows = Math.min(Number.MAX_SAFE_INTEGER, context.estimatedRows + rows);
      return undefined;
    },
  };
}
