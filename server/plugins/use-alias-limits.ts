import { TokenKind } from 'graphql';
import type { LazydbPlugin, LimitBreach, TokenRule } from '../pipeline/plugin';

/** Bounds on a document's aliases and directives, counted on its tokens before it is parsed. */
export interface AliasLimits {
  /**
   * Most aliases (`a: field`) in the document, counted as written (`LAZYDB_MAX_ALIASES`).
   * Aliases are how one document repeats the same field, each a statement of its own:
   * `a1: track_by_pk(…) … a9999: track_by_pk(…)`. Clients that alias a few fields, or fetch a
   * handful of rows by key, stay far below; many rows by key are one `_in` filter.
   * @default 100
   */
  maxAliases: number;
  /**
   * Most directives on one field, fragment spread, inline fragment or operation
   * (`LAZYDB_MAX_DIRECTIVES`). lazydb's executable directives, @include and @skip, are not
   * repeatable, so a valid field carries at most 2; a field with thousands of unknown
   * directives would make validation report one error for each.
   * @default 5
   */
  maxDirectives: number;
}

/**
 * Counts aliases and directives as the document limits' token scan goes, so that a document of
 * 10,000 aliases is refused after the 101st, before graphql-js parses any of it (parsing and
 * walking 100,000 tokens takes longer than the whole refusal may). It is fed the tokens outside
 * parentheses only: arguments, variable definitions and directive arguments hold neither. There,
 * a colon can only follow an alias, and an `@` starts a directive of the field, fragment or
 * operation named just before it (a name not after `@`, or a brace, starts the next one).
 */
export class AliasAndDirectiveCounter implements TokenRule {
  private aliases = 0;
  private directives = 0;
  private afterAt = false;

  constructor(private readonly limits: AliasLimits) {}

  /** The token's kind (outside parentheses; parentheses themselves are not given): a breach, or null. */
  next(kind: TokenKind): LimitBreach | null {
    const afterAt = this.afterAt;
    this.afterAt = false;
    switch (kind) {
      case TokenKind.COLON:
        if (++this.aliases > this.limits.maxAliases) {
          return {
            code: 'TOO_MANY_ALIASES',
            message: `the document uses more than ${this.limits.maxAliases} aliases (LAZYDB_MAX_ALIASES): fetch many rows in one field with a where filter (e.g. _in) instead of one aliased field each`,
          };
        }
        return null;
      case TokenKind.AT:
        this.afterAt = true;
        if (++this.directives > this.limits.maxDirectives) {
          return {
            code: 'TOO_MANY_DIRECTIVES',
            message: `a field carries ${this.directives} directives; at most ${this.limits.maxDirectives} are allowed on one field (LAZYDB_MAX_DIRECTIVES): lazydb's @include and @skip are each used at most once`,
          };
        }
        return null;
      case TokenKind.NAME:
        // The directive's own name keeps the count; any other name is the next field or fragment.
        if (!afterAt) this.directives = 0;
        return null;
      case TokenKind.BRACE_L:
      case TokenKind.BRACE_R:
        this.directives = 0;
        return null;
      default:
        return null;
    }
  }
}

/** The plugin: counts aliases and directives on the tokens, while the document is scanned before it is parsed. */
export function useAliasLimits(limits: AliasLimits): LazydbPlugin {
  return { name: 'alias-limits', tokenRule: () => new AliasAndDirectiveCounter(limits) };
}
