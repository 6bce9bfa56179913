import type { ConnectionHelp } from '../connection-help';

/** MySQL calls its schemas databases: one connection reads several of them. */
const schemasHelp = (label: string) =>
  `${label} calls schemas databases: database names, comma-separated; empty means the connection’s database`;

export const mysqlConnectionHelp: ConnectionHelp = {
  label: 'MySQL',
  urlSchemes: ['mysql'],
  defaultPort: 3306,
  exampleUrl: 'mysql://user:password@127.0.0.1:3306/mydb',
  exampleConnection: { host: '127.0.0.1', port: 3306, user: 'root', database: 'mydb' },
  databaseLabel: 'Database',
  schemasHelp: schemasHelp('MySQL'),
};

/** MariaDB takes MySQL's URLs too (the driver is the same). */
export const mariadbConnectionHelp: ConnectionHelp = {
  label: 'MariaDB',
  urlSchemes: ['mariadb', 'mysql'],
  defaultPort: 3306,
  exampleUrl: 'mariadb://user:password@127.0.0.1:3306/mydb',
  exampleConnection: { host: '127.0.0.1', port: 3306, user: 'root', database: 'mydb' },
  databaseLabel: 'Database',
  schemasHelp: schemasHelp('MariaDB'),
};
