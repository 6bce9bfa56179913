import { ACCESS_ERRORS } from './access';
import { AUTH_ERRORS } from './auth';
import { CAPACITY_ERRORS } from './capacity';
import { DATABASE_ERRORS } from './database';
import { INTERNAL_ERRORS } from './internal';
import { LazydbError, type ErrorClass } from './lazydb-error';
import { LIMIT_ERRORS } from './limits';
import { RATE_ERRORS } from './rate';
import { REGISTRY_ERRORS } from './registry';
import { REQUEST_ERRORS } from './request';

/** Every error code lazydb answers with, by family. A code is a contract: never rename one. */
export const CATALOGUE = {
  ...REQUEST_ERRORS,
  ...ACCESS_ERRORS,
  ...AUTH_ERRORS,
  ...LIMIT_ERRORS,
  ...RATE_ERRORS,
  ...CAPACITY_ERRORS,
  ...DATABASE_ERRORS,
  ...REGISTRY_ERRORS,
  ...INTERNAL_ERRORS,
} as const satisfies Record<string, ErrorClass>;

export type ErrorCode = keyof typeof CATALOGUE;

const entries: Readonly<Record<string, ErrorClass>> = CATALOGUE;

/** The error for `code`, its status and headers from the catalogue; `message` says what was wrong and what to do. */
export function fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): LazydbError {
  return new LazydbError(code, message, details, CATALOGUE[code], headers);
}

/** The HTTP status of a code; 500 for one the catalogue does not know (it is not lazydb's). */
export function statusOf(code: string | undefined): number {
  return (code !== undefined && Object.hasOwn(entries, code) ? entries[code]!.status : undefined) ?? 500;
}

/** The headers that go with a code (`Retry-After`…), none for one the catalogue does not know. */
export function headersOf(code: string | undefined): Readonly<Record<string, string>> {
  return (code !== undefined && Object.hasOwn(entries, code) ? entries[code]!.headers : undefined) ?? {};
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(entries, code);
}
