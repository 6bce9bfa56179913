import type { ConnectionSpec } from '../model/types';

/**
 * What a person needs to know to connect to one dialect, written once in that dialect's folder
 * (`<dialect>/connection-help.ts`): validation quotes it in its messages and the management API
 * serves it (GET /api/dialects) to the admin's connection form. Types only, no imports of code:
 * the admin imports it as a type.
 */
export interface ConnectionHelp {
  /** The engine's name as people write it (`PostgreSQL`). */
  readonly label: string;
  /** URL schemes accepted, lower case, without the `:`; the first is the one the examples use. */
  readonly urlSchemes: readonly string[];
  /** Where the server listens unless told otherwise; null for an engine without a server (SQLite). */
  readonly defaultPort: number | null;
  /** A connection URL of the usual shape (its password is the word `password`). */
  readonly exampleUrl: string;
  /** The same connection as separate fields (SQLite: a filename), without a password. */
  readonly exampleConnection: Readonly<Omit<ConnectionSpec, 'password' | 'url'>>;
  /** What names the database within a connection: the `database` field (`Database`; Oracle: `Service name`), SQLite's `filename` (`File`). */
  readonly databaseLabel: string;
  /** One line: what "schemas" are on this engine and which are read when none are named. */
  readonly schemasHelp: string;
}
