import type { ErrorFamily } from './lazydb-error';

/** The management API's own refusals about registered databases. */
export const REGISTRY_ERRORS = {
  DUPLICATE_NAME: { status: 409, hint: 'choose another name, or change the database of that name' },
  GATEWAY_NAME_CLASH: { status: 409, hint: 'rename the database or its tables so that /graphql type names stay apart' },
  INVALID_STORED_ENTRY: { status: 409, hint: 'delete the stored entry and register the database again' },
} as const satisfies ErrorFamily;
