/**
 * knex prefixes a failed statement's error message with the statement text and " - "; the
 * describeError functions cut that prefix off. Statements lazydb runs on the driver itself
 * (server/query/runner.ts) fail with the driver's message as it is: they are marked here, so
 * describeError does not cut a message that merely contains " - " (a quoted value, a name).
 */
const unprefixed = new WeakSet<object>();

export function markUnprefixed(error: unknown): void {
  if (typeof error === 'object' && error !== null) unprefixed.add(error);
}

/** Whether the message may start with knex's "<sql> - " prefix. */
export function mayCarrySqlPrefix(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && unprefixed.has(error));
}
