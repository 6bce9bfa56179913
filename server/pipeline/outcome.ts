import { LazydbError } from '../errors/lazydb-error';

/** The catalogue code an error thrown out of routing stands for (INTERNAL for anything unexpected), or null when there was none. */
export function errorCodeOf(error: unknown): string | null {
  if (error === undefined) return null;
  return error instanceof LazydbError ? error.code : 'INTERNAL';
}
