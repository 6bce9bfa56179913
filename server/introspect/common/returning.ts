import { sql, type SqlFragment } from '../../sql/fragment';

/** ` returning a, b`: the clause PostgreSQL, SQLite and MariaDB (since 10.5) share; Oracle's differs. */
export function returningList(columns: readonly string[]): SqlFragment {
  return sql` returning ${sql.join(
    columns.map((c) => sql.identifier(c)),
    ', ',
  )}`;
}
