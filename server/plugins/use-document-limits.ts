import {
  GraphQLError,
  getNamedType,
  getNullableType,
  getOperationAST,
  isInputObjectType,
  isLeafType,
  isListType,
  Kind,
  Lexer,
  parse,
  Source,
  TokenKind,
  typeFromAST,
  visit,
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { LazydbPlugin, ParsedDocument, TokenRule } from '../pipeline/plugin';
import type { Config } from '../config';
import { nestingExceeds } from '../query/filter';
import { requestRefusal } from '../errors/graphql';
import type { AliasLimits } from './use-alias-limits';
import type { CostLimits } from './use-query-cost';

/**
 * Bounds on the work one GraphQL document may ask for, checked before graphql-js validates it
 * and before anything compiles it, on every GraphQL path (the fast path calls the functions
 * here, graphql-yoga runs {@link useDocumentLimits}). Without them a 1.5 KB document of
 * fragments that spread each other twice holds the process for minutes, and inputs nested a
 * thousand deep overflow the stack of graphql-js's recursive parser and coercion.
 */
export interface DocumentLimits extends AliasLimits, CostLimits {
  /**
   * Most field selections the document may expand to once every fragment spread is replaced
   * by the fragment (`LAZYDB_MAX_SELECTIONS`).
   * @default 10000
   */
  maxSelections: number;
  /**
   * Most lexical tokens the document may have (`LAZYDB_MAX_TOKENS`; comments are not tokens).
   * @default 20000
   */
  maxTokens: number;
  /**
   * Deepest nesting of objects and lists in an input value: a literal argument, a JSON
   * variable, a REST `where` (`LAZYDB_MAX_INPUT_DEPTH`). `{"_and":[{"a":{"_eq":1}}]}` is 4 deep.
   * @default 32
   */
  maxInputDepth: number;
  /**
   * Most values one `_in`/`_nin` list may hold, as a literal or in a variable (`LAZYDB_MAX_IN_VALUES`).
   * @default 10000
   */
  maxInValues: number;
  /**
   * Most terms (objects of a boolean expression: `{name: {_eq: "x"}}`, each item of `_and`/`_or`,
   * `_not`) all the filters of one operation may hold, literals and variables together, REST
   * `where=` too (`LAZYDB_MAX_FILTER_TERMS`). Each term is a condition of its own for graphql-js
   * to coerce and the database to plan; many values of one column are one `_in` list instead.
   * @default 1000
   */
  maxFilterTerms: number;
  /**
   * Most operations in one batched request, a JSON array body (`LAZYDB_MAX_BATCH`; 1: batching
   * off). See use-batch-limit.
   * @default 1
   */
  maxBatch: number;
}

/** The defaults, as server/config gives them. */
export const DEFAULT_DOCUMENT_LIMITS: Readonly<DocumentLimits> = {
  maxSelections: 10_000,
  maxTokens: 20_000,
  maxInputDepth: 32,
  maxInValues: 10_000,
  maxFilterTerms: 1000,
  maxAliases: 100,
  maxDirectives: 5,
  maxDepth: 10,
  maxCost: 5_000_000,
  maxLimit: 1000,
  maxBatch: 1,
};

export function documentLimitsOf(config: Pick<Config, keyof DocumentLimits>): DocumentLimits {
  const { maxSelections, maxTokens, maxInputDepth, maxInValues, maxFilterTerms, maxAliases, maxDirectives, maxDepth, maxCost, maxLimit, maxBatch } = config;
  return { maxSelections, maxTokens, maxInputDepth, maxInValues, maxFilterTerms, maxAliases, maxDirectives, maxDepth, maxCost, maxLimit, maxBatch };
}

/**
 * Deepest nesting of selection sets. Not a policy (no real query comes near it) but a safety
 * bound: graphql-js parses, validates and executes selections recursively, and a few thousand
 * levels, well within the token limit, overflow its stack.
 */
export const MAX_SELECTION_NESTING = 128;

export type { ParsedDocument };

/**
 * Parses a document, refusing it before graphql-js's recursive parser runs when it has too many
 * tokens, aliases or directives (see use-alias-limits) or nests too deep (a scan of its tokens:
 * linear, no recursion), and after, before any validation, when it expands to too many field
 * selections. Throws the GraphQLError to answer:
 * a refusal (status 400 in GraphQL-over-HTTP terms) or graphql-js's own syntax error.
 */
export function parseWithinLimits(text: string, limits: DocumentLimits, tokenRules: readonly (() => TokenRule)[] = []): ParsedDocument {
  const tokens = scanTokens(text, limits, tokenRules.map((make) => make()));
  // The scan has counted exactly as parse does; its maxTokens stays as the parser's own guard.
  const document = parse(text, { maxTokens: limits.maxTokens });
  const selections = countSelections(document);
  if (selections > limits.maxSelections) {
    throw requestRefusal(
      'TOO_MANY_SELECTIONS',
      `the document expands to ${selections} field selections once its fragments are spread out; at most ${limits.maxSelections} are allowed (LAZYDB_MAX_SELECTIONS): spread fragments fewer times or split the query`,
    );
  }
  return { document, tokens, selections };
}

/**
 * Counts tokens, nesting, aliases and directives. Braces and brackets inside parentheses (arguments, variable
 * definitions, directive arguments) are input values; braces outside are selection sets.
 * A text the lexer cannot read is left to parse, which reports it as graphql-js always does.
 */
function scanTokens(text: string, limits: DocumentLimits, rules: readonly TokenRule[]): number {
  const lexer = new Lexer(new Source(text));
  let tokens = 0;
  let parens = 0;
  let input = 0;
  let selection = 0;
  for (;;) {
    let kind: TokenKind;
    try {
      kind = lexer.advance().kind;
    } catch {
      return tokens;
    }
    if (kind === TokenKind.EOF) return tokens;
    if (++tokens > limits.maxTokens) {
      throw requestRefusal('TOO_MANY_TOKENS', `the document has more than ${limits.maxTokens} tokens (LAZYDB_MAX_TOKENS): send a smaller document`);
    }
    if (parens === 0 && kind !== TokenKind.PAREN_L) {
      for (const rule of rules) {
        const breach = rule.next(kind);
        if (breach) throw requestRefusal(breach.code, breach.message);
      }
    }
    switch (kind) {
      case TokenKind.PAREN_L:
        parens++;
        break;
      case TokenKind.PAREN_R:
        if (parens > 0) parens--;
        break;
      case TokenKind.BRACE_L:
      case TokenKind.BRACKET_L:
        if (parens > 0) {
          if (++input > limits.maxInputDepth) throw inputTooDeep('an argument', limits.maxInputDepth);
        } else if (++selection > MAX_SELECTION_NESTING) {
          throw requestRefusal('QUERY_TOO_DEEP', `selection sets nest more than ${MAX_SELECTION_NESTING} levels deep; query fewer levels at a time`);
        }
        break;
      case TokenKind.BRACE_R:
      case TokenKind.BRACKET_R:
        if (parens > 0) input = Math.max(0, input - 1);
        else selection = Math.max(0, selection - 1);
        break;
    }
  }
}

/**
 * How many field selections the document expands to with every fragment spread replaced by the
 * fragment, as graphql-jit compiles and a naive walk visits them: the operations together, or
 * one fragment on its own if that is more (so that an unused fragment cannot hide a fan-out
 * from the validator). Each fragment is measured once (memo), so the count is linear in the
 * document however large the expansion; it saturates at Number.MAX_SAFE_INTEGER. Fragment
 * cycles count as nothing here: validation refuses them.
 */
export function countSelections(document: DocumentNode): number {
  const shapes = new Map<string, Shape>();
  let operations: Shape = { fields: 0, spreads: [] };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) shapes.set(definition.name.value, shapeOf(definition.selectionSet));
    else if (definition.kind === Kind.OPERATION_DEFINITION) {
      const shape = shapeOf(definition.selectionSet);
      operations = { fields: operations.fields + shape.fields, spreads: operations.spreads.concat(shape.spreads) };
    }
  }
  const totals = expandedTotals(shapes);
  let largest = total(operations, totals);
  for (const value of totals.values()) largest = Math.max(largest, value);
  return largest;
}

/** A selection set's own fields (at every depth, not through spreads) and the fragments it spreads, once per spread. */
interface Shape {
  fields: number;
  spreads: string[];
}

function shapeOf(root: SelectionSetNode): Shape {
  const shape: Shape = { fields: 0, spreads: [] };
  const stack: SelectionSetNode[] = [root];
  while (stack.length > 0) {
    for (const selection of stack.pop()!.selections) {
      if (selection.kind === Kind.FIELD) {
        shape.fields++;
        if (selection.selectionSet) stack.push(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) stack.push(selection.selectionSet);
      else shape.spreads.push(selection.name.value);
    }
  }
  return shape;
}

function total(shape: Shape, totals: Map<string, number>): number {
  let sum = shape.fields;
  for (const name of shape.spreads) sum = Math.min(Number.MAX_SAFE_INTEGER, sum + (totals.get(name) ?? 0));
  return sum;
}

/** Every fragment's expanded size, each computed once, dependencies first (an explicit stack, no recursion). */
function expandedTotals(shapes: Map<string, Shape>): Map<string, number> {
  const totals = new Map<string, number>();
  const entered = new Set<string>();
  for (const start of shapes.keys()) {
    const stack = [start];
    while (stack.length > 0) {
      const name = stack[stack.length - 1]!;
      const shape = shapes.get(name);
      if (totals.has(name) || !shape) {
        stack.pop();
        continue;
      }
      if (!entered.has(name)) {
        entered.add(name);
        // A dependency already entered but not done is a cycle: it counts as nothing.
        for (const spread of new Set(shape.spreads)) if (!entered.has(spread)) stack.push(spread);
        continue;
      }
      totals.set(name, total(shape, totals));
      stack.pop();
    }
  }
  return totals;
}

/** Refuses JSON variables nested deeper than the limit, before graphql-js coerces them (recursively). */
export function checkVariablesDepth(variables: unknown, limits: DocumentLimits): GraphQLError | undefined {
  if (!variables || typeof variables !== 'object' || Array.isArray(variables)) return undefined;
  for (const [name, value] of Object.entries(variables)) {
    if (nestingExceeds(value, limits.maxInputDepth)) return inputTooDeep(`variable $${name}`, limits.maxInputDepth);
  }
  return undefined;
}

const IN_OPERATORS = new Set(['_in', '_nin']);

/**
 * Refuses `_in`/`_nin` lists longer than the limit in the operation's variables: variables given
 * as such a list in the document (`{id: {_in: $ids}}`), and lists inside variables, found by
 * walking each variable with its declared type (so a JSON value that happens to have an `_in`
 * key is not taken for one). Iterative; variables are already bounded in depth.
 */
export function checkVariableLists(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: unknown,
  limits: DocumentLimits,
): GraphQLError | undefined {
  if (!variables || typeof variables !== 'object') return undefined;
  const given = variables as Record<string, unknown>;
  for (const [name, operator] of variablesUsedAsInLists(document)) {
    const value = given[name];
    if (Array.isArray(value) && value.length > limits.maxInValues) return tooManyValues(`${operator}: $${name}`, value.length, limits.maxInValues);
  }
  const stack: { value: unknown; type: GraphQLInputType; owner: string }[] = [];
  for (const { name, type } of variablesToWalk(schema, document, operationName)) {
    const value = given[name];
    if (value !== undefined) stack.push({ value, type, owner: `$${name}` });
  }
  let terms = 0;
  while (stack.length > 0) {
    const { value, type, owner } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      if (isLeafType(getNamedType(nullable))) continue;
      for (const item of Array.isArray(value) ? value : [value]) stack.push({ value: item, type: nullable.ofType, owner });
      continue;
    }
    if (!isInputObjectType(nullable) || Array.isArray(value)) continue;
    if (isFilter(nullable) && ++terms > limits.maxFilterTerms) return tooManyTerms(limits.maxFilterTerms);
    const fields = nullable.getFields();
    for (const [name, item] of Object.entries(value)) {
      const field = fields[name];
      if (!field) continue;
      if (IN_OPERATORS.has(name) && Array.isArray(item) && item.length > limits.maxInValues) {
        return tooManyValues(`${owner}.${name}`, item.length, limits.maxInValues);
      }
      if (!isLeafType(getNamedType(field.type))) stack.push({ value: item, type: field.type, owner: name });
    }
  }
  return undefined;
}

/** The variables of one operation that may hold an `_in` list: the document's, for the schema and operation name it was last asked about. */
interface WalkedVariables {
  schema: GraphQLSchema;
  operationName: string | null | undefined;
  variables: { name: string; type: GraphQLInputType }[];
}

const walkedVariables = new WeakMap<DocumentNode, WalkedVariables>();

/**
 * The operation's variables whose type has input objects in it (only those can hold an
 * `_in`/`_nin` list: a leaf, or a list of leaves, cannot), found once per document, schema
 * and operation: most requests repeat a document whose variables are all scalars.
 */
function variablesToWalk(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): WalkedVariables['variables'] {
  const known = walkedVariables.get(document);
  if (known && known.schema === schema && known.operationName === operationName) return known.variables;
  const variables: WalkedVariables['variables'] = [];
  for (const definition of getOperationAST(document, operationName)?.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (type && !isLeafType(getNamedType(type))) variables.push({ name: definition.variable.name.value, type });
  }
  walkedVariables.set(document, { schema, operationName, variables });
  return variables;
}

const inListVariables = new WeakMap<DocumentNode, Map<string, string>>();

/** The variables a document gives as the value of an `_in`/`_nin` field, with that operator; found once per document. */
function variablesUsedAsInLists(document: DocumentNode): Map<string, string> {
  let found = inListVariables.get(document);
  if (!found) {
    const names = new Map<string, string>();
    // graphql-js's visit walks with a stack of its own, not by recursion.
    visit(document, {
      ObjectField(node) {
        if (IN_OPERATORS.has(node.name.value) && node.value.kind === Kind.VARIABLE) names.set(node.value.name.value, node.name.value);
      },
    });
    found = names;
    inListVariables.set(document, found);
  }
  return found;
}

/** The validation rule refusing literal `_in`/`_nin` lists longer than the limit (typed: only where the schema has such a list). */
export function inValuesRule(limits: DocumentLimits): ValidationRule {
  return function LazydbInValuesLimit(context: ValidationContext): ASTVisitor {
    const owners: string[] = [];
    let terms = 0;
    return {
      ObjectValue(node) {
        const type = context.getInputType();
        const named = type ? getNamedType(type) : undefined;
        if (named && isInputObjectType(named) && isFilter(named) && ++terms === limits.maxFilterTerms + 1) {
          context.reportError(tooManyTerms(limits.maxFilterTerms, node));
        }
      },
      ObjectField: {
        enter(node) {
          const type = context.getInputType();
          if (IN_OPERATORS.has(node.name.value) && node.value.kind === Kind.LIST && type && isListType(getNullableType(type))) {
            const count = node.value.values.length;
            if (count > limits.maxInValues) context.reportError(tooManyValues(`${owners.at(-1) ?? 'a field'}.${node.name.value}`, count, limits.maxInValues, node));
          }
          owners.push(node.name.value);
        },
        leave() {
          owners.pop();
        },
      },
    };
  };
}

export function inputTooDeepMessage(what: string, limit: number): string {
  return `${what} nests objects and lists more than ${limit} levels deep (LAZYDB_MAX_INPUT_DEPTH): flatten nested _and/_or/_not, or send several simpler requests`;
}

export function tooManyValuesMessage(list: string, count: number, limit: number): string {
  return `${list} lists ${count} values; at most ${limit} are allowed (LAZYDB_MAX_IN_VALUES): split the list over several requests, or filter on a range`;
}

function inputTooDeep(what: string, limit: number): GraphQLError {
  return requestRefusal('INPUT_TOO_DEEP', inputTooDeepMessage(what, limit));
}

/** Whether an input type is a table's boolean expression (the schema builder marks them). */
function isFilter(type: GraphQLInputObjectType): boolean {
  return (type.extensions as { lazydb?: string } | undefined)?.lazydb === 'bool_exp';
}

function tooManyTerms(limit: number, node?: ASTNode): GraphQLError {
  return requestRefusal(
    'TOO_MANY_VALUES',
    `the operation's filters hold more than ${limit} terms (LAZYDB_MAX_FILTER_TERMS): compare many values of one column with one _in list instead of an _or of _eq`,
    node,
  );
}

function tooManyValues(list: string, count: number, limit: number, node?: ASTNode): GraphQLError {
  return requestRefusal('TOO_MANY_VALUES', tooManyValuesMessage(list, count, limit), node);
}


/** Tokens of the documents parsed within limits (for the cache to size them). */
const parsedTokens = new WeakMap<DocumentNode, number>();

export function tokensOf(document: DocumentNode): number | undefined {
  return parsedTokens.get(document);
}

/**
 * The plugin: the same bounds on every path and at the same points — variables before anything
 * (onParams), the document in place of graphql-js's parse (so that caches keep refusals too),
 * literal lists during validation, variable lists before execution (graphql-js coerces
 * variables inside execute).
 */
export function useDocumentLimits(limits: DocumentLimits): LazydbPlugin {
  return {
    name: 'document-limits',
    onParams(params) {
      for (const one of Array.isArray(params) ? params : [params]) {
        const error = checkVariablesDepth((one as { variables?: unknown }).variables, limits);
        if (error) return error;
      }
      return undefined;
    },
    parse(text, tokenRules) {
      const parsed = parseWithinLimits(text, limits, tokenRules);
      parsedTokens.set(parsed.document, parsed.tokens);
      return parsed;
    },
    validationRules: [inValuesRule(limits)],
    onExecute(args) {
      return checkVariableLists(args.schema, args.document, args.operationName, args.variables, limits);
    },
  };
}
