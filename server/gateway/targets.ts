import { lookup } from 'node:dns/promises';
import fs from 'node:fs';
import path from 'node:path';
import { BlockList, isIP } from 'node:net';
import Database from 'better-sqlite3';
import type { Config } from '../config';
import type { ConnectionTarget, DialectModule } from '../introspect/dialect';
import type { DatabaseSpec, DbModel } from '../model/types';
import { KEY_FILE_NAME } from '../registry/secrets';
import { REGISTRY_FILE_NAME, REGISTRY_TABLE } from '../registry/store';

/**
 * Connection targets are policy, not free input. Every connection lazydb opens to a user's
 * database waits for {@link TargetPolicy.check} first (the gateway's pools call it before each
 * physical connection), so registering, testing, changing, loading from the registry and
 * following another replica's change all meet the same rules:
 *
 * - servers: the host name and every address it resolves to are matched against
 *   LAZYDB_DENY_TARGETS (none may match) and, when set, LAZYDB_ALLOW_TARGETS (the name, or else
 *   every address, must match);
 * - SQLite files: only inside the folders of LAZYDB_SQLITE_DIRS, symlinks and `..` resolved,
 *   never lazydb's own registry, secret key, schema cache or anything else of its data folder,
 *   and never a file that holds a lazydb registry;
 * - any database whose introspected model holds a lazydb registry table ({@link refuseRegistryModel}).
 *
 * The check answers with what it approved (the address of a server name, the real path of a
 * file), and the pools connect there (PoolHandle, PinnedConnectOptions): a DNS answer that
 * changes between the check and the driver's own lookup (rebinding), or a symlink swapped in
 * between, cannot send a connection anywhere the check did not see. Oracle is the exception (see
 * server/introspect/oracle/connection.ts).
 */

/** A target the policy refuses. HTTP 403 `TARGET_NOT_ALLOWED`; `setting` names what to change. */
export class TargetNotAllowedError extends Error {
  readonly code = 'TARGET_NOT_ALLOWED';
  constructor(
    message: string,
    readonly setting: 'LAZYDB_ALLOW_TARGETS' | 'LAZYDB_DENY_TARGETS' | 'LAZYDB_SQLITE_DIRS' | 'LAZYDB_REGISTRY_URL',
    /** For the server's log only, never a response: e.g. the folders' absolute paths. */
    readonly logDetails: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'TargetNotAllowedError';
  }
}

/** The database holds lazydb's own registry: never served, whatever the lists allow. */
export class RegistryDatabaseError extends TargetNotAllowedError {
  constructor() {
    super(
      `this database holds a lazydb registry (table ${REGISTRY_TABLE}): lazydb's own registry cannot be registered ` +
        'or served as a database; register a database without that table',
      'LAZYDB_REGISTRY_URL',
    );
    this.name = 'RegistryDatabaseError';
  }
}

/**
 * Throws {@link RegistryDatabaseError} when an introspected model holds a lazydb registry table in
 * any schema: served, its sealed secrets could be read and its clear columns rewritten over REST.
 * (Names compared without case: an engine may fold them.)
 */
export function refuseRegistryModel(model: Pick<DbModel, 'tables'>): void {
  if (holdsRegistryTable(model)) throw new RegistryDatabaseError();
}

export function holdsRegistryTable(model: Pick<DbModel, 'tables'>): boolean {
  return model.tables.some((table) => table.name.toLowerCase() === REGISTRY_TABLE);
}

/** How the policy resolves a host name: dns/promises' lookup with `all: true` (a seam for tests). */
export type HostLookup = (name: string) => Promise<Array<{ address: string; family: number }>>;

const systemLookup: HostLookup = (name) => lookup(name, { all: true, verbatim: true });

type HostPattern =
  | { kind: 'any' }
  | { kind: 'name'; name: string }
  /** `*.corp.example`: any name below it (not the name itself). */
  | { kind: 'suffix'; suffix: string }
  | { kind: 'addresses'; list: BlockList };

export interface TargetRule {
  /** As written in the setting, for messages. */
  text: string;
  host: HostPattern;
  /** Only this port; undefined for any. */
  port?: number;
}

const HOST_LABELS = /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/;

/**
 * One entry of LAZYDB_ALLOW_TARGETS / LAZYDB_DENY_TARGETS: a host name, `*.domain`, `*`, an
 * address or a CIDR range, optionally with `:port` (`db:5432`, `10.0.0.0/8:5432`,
 * `[::1]:5432`, `[fd00::/8]:5432`; a bare IPv6 address or range takes no port).
 */
export function parseTargetRule(text: string, setting: string): TargetRule {
  const entry = text.trim().toLowerCase();
  const bad = (why: string) => new Error(`${setting}: "${text}" ${why}`);
  let hostPart = entry;
  let portPart: string | undefined;
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) throw bad('opens a [ without closing it');
    hostPart = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw bad('has text after ] that is not :port');
      portPart = rest.slice(1);
    }
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    [hostPart, portPart] = entry.split(':') as [string, string];
  }
  const rule: TargetRule = { text, host: hostPattern(hostPart, bad) };
  if (portPart !== undefined) {
    const port = /^\d{1,5}$/.test(portPart) ? Number(portPart) : NaN;
    if (!(port >= 1 && port <= 65535)) throw bad('has a port that is not a number from 1 to 65535');
    rule.port = port;
  }
  return rule;
}

function hostPattern(host: string, bad: (why: string) => Error): HostPattern {
  if (host === '*') return { kind: 'any' };
  if (host.startsWith('*.')) {
    const suffix = host.slice(1);
    if (!HOST_LABELS.test(suffix.slice(1))) throw bad('is not a valid *.domain pattern');
    return { kind: 'suffix', suffix };
  }
  const slash = host.indexOf('/');
  const address = slash < 0 ? host : host.slice(0, slash);
  const family = isIP(address);
  if (family !== 0) {
    const list = new BlockList();
    const canonical = canonicalAddress(address);
    const canonicalFamily = isIP(canonical) === 6 ? 'ipv6' : 'ipv4';
    if (slash < 0) {
      list.addAddress(canonical, canonicalFamily);
    } else {
      const max = family === 6 ? 128 : 32;
      const prefixText = host.slice(slash + 1);
      let prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
      if (!(prefix >= 0 && prefix <= max)) throw bad(`has a prefix length that is not 0 to ${max}`);
      // ::ffff:10.0.0.0/104 is the IPv4 range 10.0.0.0/8.
      if (family === 6 && canonicalFamily === 'ipv4') prefix = Math.max(0, prefix - 96);
      list.addSubnet(canonical, prefix, canonicalFamily);
    }
    return { kind: 'addresses', list };
  }
  if (slash >= 0) throw bad('is not a valid address range (expected e.g. 10.0.0.0/8 or fd00::/8)');
  const name = host.replace(/\.$/, '');
  if (!HOST_LABELS.test(name)) throw bad('is not a host name, address, range or *.domain');
  return { kind: 'name', name };
}

/** IPv4-mapped IPv6 addresses (`::ffff:169.254.169.254`, `::ffff:a9fe:a9fe`) as the IPv4 address they are. */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = expandIPv6(address.toLowerCase());
  if (groups && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const high = groups[6]!;
    const low = groups[7]!;
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return address.toLowerCase();
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a trailing dotted IPv4 part expanded). */
function expandIPv6(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const bytes = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 0) return null;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

function nameMatches(rule: TargetRule, name: string, port: number): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  switch (rule.host.kind) {
    case 'any':
      return true;
    case 'name':
      return rule.host.name === name;
    case 'suffix':
      return name.endsWith(rule.host.suffix) && name.length > rule.host.suffix.length;
    case 'addresses':
      return false;
  }
}

function addressMatches(rule: TargetRule, address: string, port: number): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  if (rule.host.kind === 'any') return true;
  if (rule.host.kind !== 'addresses') return false;
  return rule.host.list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export type PolicyConfig = Pick<Config, 'allowTargets' | 'denyTargets' | 'sqliteDirs' | 'dataDir' | 'schemaCacheDir'> &
  Partial<Pick<Config, 'connectTimeoutMs'>>;

export interface CheckOptions {
  /**
   * Resolve host names (default true). Without it only what the spec itself says is checked
   * (names, literal addresses, files): what a start can afford for every stored database before
   * serving; the connection itself then checks the rest.
   */
  resolve?: boolean;
}

export interface PolicyOptions {
  /** Host name resolution; default: the system's (getaddrinfo, as the drivers would). */
  lookup?: HostLookup;
}

export class TargetPolicy {
  private readonly allow: TargetRule[];
  private readonly deny: TargetRule[];
  private readonly sqliteDirs: string[];
  private readonly dataDir: string;
  private readonly cacheDir: string;
  private readonly lookupTimeoutMs: number;
  private readonly lookup: HostLookup;

  /** Throws when an entry of a list cannot be read, naming the setting and the entry. */
  constructor(config: PolicyConfig, options: PolicyOptions = {}) {
    this.lookup = options.lookup ?? systemLookup;
    this.allow = config.allowTargets.map((text) => parseTargetRule(text, 'LAZYDB_ALLOW_TARGETS'));
    this.deny = config.denyTargets.map((text) => parseTargetRule(text, 'LAZYDB_DENY_TARGETS'));
    this.sqliteDirs = config.sqliteDirs.map((dir) => path.resolve(dir));
    this.dataDir = path.resolve(config.dataDir);
    this.cacheDir = path.resolve(config.schemaCacheDir);
    this.lookupTimeoutMs = Math.min(config.connectTimeoutMs ?? 10_000, 10_000);
  }

  /**
   * Resolves when `spec` may be connected to, with what was approved: the address to connect to
   * (a server; undefined when nothing was resolved) or the real path of the file (undefined for
   * `:memory:`). Throws {@link TargetNotAllowedError} otherwise.
   */
  async check(dialect: DialectModule, spec: DatabaseSpec, options: CheckOptions = {}): Promise<string | undefined> {
    const target: ConnectionTarget = dialect.connectionTarget(spec);
    if (target.kind === 'file') return this.checkFile(target.path);
    return this.checkServer(target.host, target.port, options.resolve ?? true);
  }

  // ---------------------------------------------------------------------------------------
  // Servers

  /** The address to connect to (the first the name resolves to, all of them checked), or undefined without `resolve`. */
  async checkServer(host: string, port: number, resolve = true): Promise<string | undefined> {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const name = host.toLowerCase().replace(/\.$/, '');
    const literal = isIP(name) !== 0 ? canonicalAddress(name) : null;
    const denied = () =>
      new TargetNotAllowedError(
        `the connection target ${where} is refused by LAZYDB_DENY_TARGETS (it names or resolves to a refused address or range); ` +
          'change LAZYDB_DENY_TARGETS to allow it',
        'LAZYDB_DENY_TARGETS',
      );
    const notAllowed = () =>
      new TargetNotAllowedError(
        `the connection target ${where} is not in LAZYDB_ALLOW_TARGETS; add it (or its address range) there to allow it`,
        'LAZYDB_ALLOW_TARGETS',
      );
    if (literal === null && this.deny.some((rule) => nameMatches(rule, name, port))) throw denied();
    const allowedByName = literal === null && this.allow.some((rule) => nameMatches(rule, name, port));
    let addresses: string[];
    if (literal !== null) addresses = [literal];
    else if (resolve) addresses = await this.resolve(name);
    else {
      // Nothing resolved: a name the allow list does not name is decided when connecting.
      return;
    }
    if (addresses.some((address) => this.deny.some((rule) => addressMatches(rule, address, port)))) throw denied();
    if (this.allow.length > 0 && !allowedByName) {
      const everyAllowed = addresses.every((address) => this.allow.some((rule) => addressMatches(rule, address, port)));
      if (!everyAllowed) throw notAllowed();
    }
    return addresses[0];
  }

  /** Every address of the name, as the drivers' own lookups (getaddrinfo) see it; bounded in time. */
  private async resolve(name: string): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('host name lookup timed out'), { code: 'EAI_AGAIN' })), this.lookupTimeoutMs);
      timer.unref();
    });
    try {
      const found = await Promise.race([this.lookup(name), late]);
      if (found.length === 0) throw Object.assign(new Error('host name has no address'), { code: 'ENOTFOUND' });
      return found.map((entry) => canonicalAddress(entry.address));
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------------------------------
  // SQLite files

  /** Without the folders' paths: those are the server's business (they go to the log). */
  private fileRefused(): TargetNotAllowedError {
    return new TargetNotAllowedError(
      'the file must be inside one of the folders of LAZYDB_SQLITE_DIRS, and never be ' +
        "lazydb's own registry, secret key, schema cache or another file of its data folder; move the file into one of those folders or change LAZYDB_SQLITE_DIRS",
      'LAZYDB_SQLITE_DIRS',
      { sqliteDirs: this.sqliteDirs, dataDir: this.dataDir },
    );
  }

  /**
   * Resolves with the real path (symlinks and `..` resolved) that was checked: the one to open.
   * Opening the path as written instead would follow a symlink that was swapped after the check.
   * What remains is a folder on the way replaced between this check and the open, which needs
   * write access to an allowed folder (better-sqlite3 opens by name, so no descriptor can be checked).
   */
  async checkFile(file: string): Promise<string | undefined> {
    if (file === ':memory:') return undefined;
    const lexical = path.resolve(file);
    // The folders first, on the path as written: nothing outside them is ever looked at, so the
    // answer cannot tell whether such a file exists.
    if (!this.placeAllowed(lexical, this.sqliteDirs, this.dataDir, this.cacheDir)) throw this.fileRefused();
    const real = await realLocation(lexical);
    if (real === null) throw this.fileRefused(); // a link that leads nowhere
    const [dirs, dataDir, cacheDir] = await Promise.all([
      Promise.all(this.sqliteDirs.map((dir) => realOrSelf(dir))),
      realOrSelf(this.dataDir),
      realOrSelf(this.cacheDir),
    ]);
    if (!this.placeAllowed(real, dirs, dataDir, cacheDir)) throw this.fileRefused();
    if (holdsRegistry(real)) {
      throw new TargetNotAllowedError(
        `this SQLite file holds a lazydb registry (table ${REGISTRY_TABLE}): lazydb does not serve a registry as a database`,
        'LAZYDB_SQLITE_DIRS',
      );
    }
    return real;
  }

  /** Inside an allowed folder, and not one of lazydb's own files. Pure path logic: no file system access. */
  private placeAllowed(file: string, dirs: string[], dataDir: string, cacheDir: string): boolean {
    if (!dirs.some((dir) => inside(file, dir))) return false;
    const registry = path.join(dataDir, REGISTRY_FILE_NAME);
    // The registry with its -wal, -shm and -journal companions, the key, the cache folder.
    if (file === registry || file.startsWith(`${registry}-`)) return false;
    if (file === path.join(dataDir, KEY_FILE_NAME)) return false;
    if (file === cacheDir || inside(file, cacheDir)) return false;
    // In the data folder, only below an allowed folder that is itself in it (`<dataDir>/databases`).
    if (inside(file, dataDir)) return dirs.some((dir) => (dir === dataDir || inside(dir, dataDir)) && inside(file, dir));
    return true;
  }
}

function inside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * Where the path really leads: its realpath when it exists; for a file not made yet, the
 * realpath of the nearest existing folder above it plus the rest; null for a dangling link.
 */
async function realLocation(file: string): Promise<string | null> {
  try {
    return await fs.promises.realpath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return file;
  }
  try {
    await fs.promises.lstat(file);
    return null; // the name exists, but leads nowhere: a dangling link
  } catch {
    // not there at all
  }
  const parent = path.dirname(file);
  if (parent === file) return file;
  const real = await realLocation(parent);
  return real === null ? null : path.join(real, path.basename(file));
}

async function realOrSelf(dir: string): Promise<string> {
  try {
    return await fs.promises.realpath(dir);
  } catch {
    return dir;
  }
}

/** Defence in depth: a copy of a registry, wherever it lies, is not served. Unreadable files are the driver's to report. */
function holdsRegistry(file: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return db.prepare("select 1 from sqlite_master where type = 'table' and lower(name) = ?").get(REGISTRY_TABLE) !== undefined;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}
