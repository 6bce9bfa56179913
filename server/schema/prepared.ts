import {
  execute,
  getNamedType,
  isInputObjectType,
  typeFromAST,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';

/** A validated document, ready to run many times against one schema. */
export interface PreparedDocument {
  /** True when graphql-jit compiled it, false when it runs on graphql-js. */
  readonly compiled: boolean;
  run(contextValue: object, variableValues: Record<string, unknown> | undefined): Promise<ExecutionResult>;
}

export interface PrepareOptions {
  /**
   * Whether graphql-jit may compile the document. Its compilation takes time and memory in
   * proportion to the fields it expands to (about 30 µs and 2 KB each): callers turn it off for
   * documents too large to be worth it, which then run on graphql-js.
   * @default true
   */
  jit?: boolean;
}

/**
 * Compiles the operation to JavaScript with graphql-jit where it can: per-field execution is
 * most of the time of a large answer, and the compiled query skips graphql-js's per-field
 * argument and path bookkeeping. graphql-jit cannot coerce variables of recursive input types
 * (every `*_bool_exp` is one: it recurses until the stack overflows), so operations with
 * input-object variables run on graphql-js. The document must already be valid.
 */
export function prepareDocument(schema: GraphQLSchema, document: DocumentNode, operationName?: string, options: PrepareOptions = {}): PreparedDocument {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition' && (operationName === undefined || d.name?.value === operationName),
  );
  if (options.jit !== false && operation && !hasInputObjectVariables(schema, operation)) {
    const compiled = compileQuery(schema, document, operationName);
    if (isCompiledQuery(compiled)) {
      return { compiled: true, run: async (contextValue, variableValues) => compiled.query(undefined, contextValue, variableValues) };
    }
  }
  return {
    compiled: false,
    run: async (contextValue, variableValues) =>
      (await execute({ schema, document, operationName, contextValue, variableValues })) as ExecutionResult,
  };
}

function hasInputObjectVariables(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
  return (operation.variableDefinitions ?? []).some((definition) => {
    const type = typeFromAST(schema, definition.type as Parameters<typeof typeFromAST>[1]);
    return type !== undefined && isInputObjectType(getNamedType(type));
  });
}
