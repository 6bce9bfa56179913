import type { ConnectionSpec } from '../../model/types';
import type { ConnectionProblem, ConnectionTarget, ConnectOptions } from '../dialect';

/**
 * ConnectOptions as the gateway's pools pass them to knexConfig for one physical connection:
 * `connectTo` is where the target policy approved connecting (an IP address of the server's name,
 * or the real path of a SQLite file). A dialect that can, connects there rather than resolving the
 * name (or following the path) again, so a DNS answer or a symlink that changes after the check
 * changes nothing; the name stays what TLS checks the certificate against.
 */
export interface PinnedConnectOptions extends ConnectOptions {
  connectTo?: string;
}

/** Where a server-based dialect connects, once `url` and the discrete fields are combined. */
export type ConnectionFields = Pick<ConnectionSpec, 'host' | 'port' | 'user' | 'password' | 'database' | 'ssl'>;

/** How one dialect spells its connection URL. */
export interface UrlFormat {
  /** Names the dialect in the error for a malformed URL, e.g. `MySQL/MariaDB`. */
  label: string;
  /** The expected shape, shown in that error in place of the URL itself. */
  example: string;
  /** Query parameters that turn TLS on or off; the first one present decides. */
  sslParams: readonly string[];
  /** Schemes (as `URL#protocol` gives them: lower case, with the colon) that always mean TLS. */
  tlsProtocols?: readonly string[];
}

/**
 * The URL's fields, overridden by any discrete field the spec sets, so a registry can keep
 * the password apart from the URL. Errors never repeat the URL: it may carry a password.
 */
export function connectionFields(connection: ConnectionSpec, format: UrlFormat): ConnectionFields {
  const fields = connection.url ? parseConnectionUrl(connection.url, format) : {};
  return { ...fields, ...discreteFields(connection) };
}

/** The discrete fields the spec sets (undefined ones left out, so they override nothing). */
export function discreteFields(connection: ConnectionSpec): ConnectionFields {
  const fields: ConnectionFields = {};
  if (connection.host !== undefined) fields.host = connection.host;
  if (connection.port !== undefined) fields.port = connection.port;
  if (connection.user !== undefined) fields.user = connection.user;
  if (connection.password !== undefined) fields.password = connection.password;
  if (connection.database !== undefined) fields.database = connection.database;
  if (connection.ssl !== undefined) fields.ssl = connection.ssl;
  return fields;
}

/** `scheme://user:password@host:port/database?ssl=true`, parts percent-decoded. */
export function parseConnectionUrl(url: string, format: UrlFormat): ConnectionFields {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Invalid ${format.label} connection URL (expected ${format.example})`);
  }
  const fields: ConnectionFields = {};
  // URL keeps IPv6 hosts in brackets; the drivers want them bare.
  if (parsed.hostname) fields.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (parsed.port) fields.port = Number(parsed.port);
  if (parsed.username) fields.user = decode(parsed.username);
  if (parsed.password) fields.password = decode(parsed.password);
  const database = decode(parsed.pathname.replace(/^\//, ''));
  if (database) fields.database = database;
  const ssl = format.sslParams.map((name) => parsed.searchParams.get(name)).find((value) => value !== null);
  if (ssl !== undefined && ssl !== null) fields.ssl = !/^(false|0|off|disable|disabled)$/i.test(ssl);
  if (format.tlsProtocols?.includes(parsed.protocol)) fields.ssl = true;
  return fields;
}

/** A malformed escape is kept as written rather than failing the whole URL. */
function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The URL query parameters a dialect passes on to its driver, each with the values it takes
 * (`null`: any value). Everything else is refused: parameters that name another host, a socket
 * folder or a file to read (`host`, `sslcert`, `passfile`, ...) would turn a connection test into
 * a probe of lazydb's own machine.
 */
export type UrlParameterRules = Readonly<Record<string, RegExp | null>>;

/** The query parameters of a URL (after `?`, before `#`), decoded as URLSearchParams does. */
export function urlParameters(url: string): Array<[string, string]> {
  const start = url.indexOf('?');
  if (start < 0) return [];
  const hash = url.indexOf('#', start);
  return [...new URLSearchParams(url.slice(start + 1, hash < 0 ? undefined : hash)).entries()];
}

/** One problem per parameter the dialect does not take, or whose value it does not take. */
export function urlParameterProblems(url: string | undefined, rules: UrlParameterRules, dialectLabel: string): ConnectionProblem[] {
  if (url === undefined) return [];
  const problems: ConnectionProblem[] = [];
  const allowed = Object.keys(rules);
  for (const [name, value] of urlParameters(url)) {
    if (!Object.hasOwn(rules, name)) {
      problems.push({
        field: 'url',
        message:
          `query parameter "${clip(name)}" is not allowed for ${dialectLabel}` +
          (allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ' (this dialect takes none)'),
      });
      continue;
    }
    const rule = rules[name];
    if (rule && !rule.test(value)) {
      problems.push({ field: 'url', message: `query parameter "${name}" must match ${rule.source}` });
    }
  }
  return problems;
}

/** A server target from connection fields, with the dialect's defaults filled in. */
export function serverTarget(
  fields: ConnectionFields,
  defaults: { host: string; port: number; database?: string | null },
  parameters: Array<[string, string]>,
): ConnectionTarget {
  return {
    kind: 'server',
    host: (fields.host ?? defaults.host).toLowerCase().replace(/\.$/, ''),
    port: fields.port ?? defaults.port,
    user: fields.user ?? null,
    database: fields.database ?? defaults.database ?? null,
    tls: fields.ssl === true,
    parameters: parameters.filter(([name]) => name !== 'password').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
