import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context';
import type { Pipeline } from './pipeline';

/** What lazydb hands graphql-yoga as the server context of a request. */
export type YogaServerContext = GraphQLContext & { lazydbSchema: import('graphql').GraphQLSchema };

/**
 * The pipeline's GraphQL hooks as one graphql-yoga plugin, at the points where the fast path
 * calls them: parameters as soon as the body is parsed (before yoga's own batching check),
 * the pipeline's parse in place of yoga's, its validation rules and rewriting, its refusals
 * before execution, its result hooks after. Yoga then answers exactly what the fast path
 * answers (test/integration/graphql-transport.test.ts compares them byte for byte).
 */
export function yogaPipeline(pipeline: Pipeline): Plugin<YogaServerContext> {
  return {
    onRequestParse({ serverContext }) {
      return {
        onRequestParseDone({ requestParserResult }) {
          const error = pipeline.params(requestParserResult, (serverContext as unknown as YogaServerContext).lazydb);
          if (error) throw error;
        },
      };
    },
    onParse({ setParseFn }) {
      setParseFn((source) => pipeline.parse(typeof source === 'string' ? source : source.body).document);
    },
    onValidate({ addValidationRule }) {
      for (const rule of pipeline.extraRules) addValidationRule(rule);
      return ({ result, setResult }) => {
        if (result.length > 0) setResult([...pipeline.validated(result as readonly GraphQLError[])]);
      };
    },
    onExecute({ args, setResultAndStopExecution }) {
      const context = (args.contextValue as GraphQLContext).lazydb;
      const refusal = pipeline.beforeExecute(
        { schema: args.schema, document: args.document, operationName: args.operationName ?? undefined, variables: args.variableValues },
        context,
      );
      if (refusal) return setResultAndStopExecution({ errors: [refusal] });
      return {
        onExecuteDone({ result, setResult }) {
          if (!(Symbol.asyncIterator in result)) setResult(pipeline.result(result as ExecutionResult, context));
        },
      };
    },
  };
}
