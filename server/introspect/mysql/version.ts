/** Whether a MySQL-protocol server's version string is MariaDB's (`10.11.6-MariaDB-…`): the two differ in catalog and capabilities. */
export function isMariaDbVersion(version: string): boolean {
  return /mariadb/i.test(version);
}
