/**
 * One entry of the error catalogue: a stable code, the HTTP status it is answered with, the
 * headers that go with it (`Retry-After` where trying again later helps) and what a client can
 * do about it. Each family of errors keeps its entries in a module of its own in this folder
 * (request, access, limits, rate, capacity, database, registry, internal); catalogue.ts joins them.
 */
export interface ErrorClass {
  readonly status: number;
  /** What to do about it, in a few words (the README's table of errors lists it; a test keeps the two alike). */
  readonly hint: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Headers every answer with this code carries, whose value differs from one answer to the next (`Retry-After` of a rate limit). */
  readonly variableHeaders?: readonly string[];
}

/** A family's entries, keyed by code. */
export type ErrorFamily = Readonly<Record<string, ErrorClass>>;

/**
 * An error that knows its answer: the catalogue's status and headers for its code, the message
 * (which says what to fix), and details that go into the body beside them. HTTP endpoints answer
 * `{ "error": { "code", "message", ...details } }`; GraphQL endpoints carry the code in
 * `extensions.code` (see graphql.ts).
 */
export class LazydbError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    entry: ErrorClass,
    /** Headers of this answer beside the catalogue's (`Allow` for a 405). */
    extraHeaders: Record<string, string> = {},
  ) {
    super(message);
    this.status = entry.status;
    this.headers = { ...entry.headers, ...extraHeaders };
  }
}
