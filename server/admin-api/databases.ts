import { LazydbError } from '../errors/lazydb-error';
import { fail } from '../errors/catalogue';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config';
import { ConnectionFailedError, DuplicateNameError, GatewayClashError, UnknownDatabaseError, type Gateway } from '../gateway/gateway';
import type { Snapshot } from '../gateway/snapshot';
import { TargetNotAllowedError } from '../gateway/targets';
import type { DatabaseSpec } from '../model/types';
import { InvalidEntryError } from '../registry/store';
import { maskSpec, validatePatch, validateRegister, type FieldError, type ValidationResult } from '../registry/validate';
import { readJson, sendJson, databaseNotFound } from '../http/io';
import { describeResources } from './resources';
import type { ConnectionTestResult, DatabaseInfo, DatabaseList, DatabaseModel, RefreshResult, RemoveResult } from './types';

/** The public description of a registered database: never a password, never a stack. */
export function describeDatabase(snapshot: Snapshot, detail = false): DatabaseInfo {
  const tables = snapshot.built?.model.tables ?? [];
  const base = `/db/${snapshot.name}`;
  return {
    name: snapshot.name,
    dialect: snapshot.dialect.dialect,
    connection: maskSpec(snapshot.spec).connection,
    schemas: snapshot.spec.schemas ?? snapshot.built?.model.schemas ?? null,
    statementTimeoutMs: snapshot.spec.statementTimeoutMs ?? null,
    status: snapshot.status,
    lastError: snapshot.lastError,
    tableCount: tables.filter((t) => t.kind === 'table').length,
    viewCount: tables.filter((t) => t.kind === 'view').length,
    introspectedAt: snapshot.introspectedAt,
    introspectMs: snapshot.introspectMs,
    buildMs: snapshot.built ? Math.round(snapshot.built.buildMs) : null,
    serverVersion: snapshot.serverVersion,
    links: {
      graphql: `${base}/graphql`,
      gateway: '/graphql',
      rest: `${base}/rest`,
      openapi: `${base}/openapi.json`,
      docs: `${base}/docs`,
      model: `/api/databases/${snapshot.name}/model`,
      sdl: `/api/databases/${snapshot.name}/sdl`,
    },
    ...(detail ? { report: snapshot.built?.report ?? [] } : {}),
  };
}

type Handler = (request: IncomingMessage, response: ServerResponse, name?: string) => Promise<void>;

/**
 * Connection attempts (test, register, change) running at once. A test is a request to an
 * address of the caller's choosing: the cap keeps lazydb from being used to sweep a network
 * quickly, whatever the policy allows.
 */
export const MAX_CONNECTION_ATTEMPTS = 4;

type Attempt = 'test' | 'register' | 'change';

/**
 * /api/databases[/:name[/action]]: list, register, test, read, change, refresh, reconnect,
 * remove, and the model/SDL of one database. Each failure is an LazydbError with a status and
 * a message that says what to fix; validation names every bad field.
 */
export function databasesApi(gateway: Gateway, config: Pick<Config, 'maxBody'>) {
  const body = (request: IncomingMessage) => readJson(request, config.maxBody);
  const log = gateway.log;
  let attempts = 0;

  const validated = <T>(result: ValidationResult<T>): T => {
    if (!result.ok) throw invalid(result.errors);
    return result.value;
  };

  /**
   * Every test, registration and change is logged with the spec masked and how it ended (never
   * a password: maskSpec, and failure texts that are fixed or redacted).
   */
  const logAttempt = (attempt: Attempt, database: string, fields: Record<string, unknown>) =>
    log.info(`connection ${attempt}`, { database, ...fields });

  /** A spec that failed validation is logged by the fields at fault, never by its values. */
  const validatedFor = <T>(attempt: Attempt, database: string, result: ValidationResult<T>, shown?: DatabaseSpec): T => {
    if (!result.ok) {
      logAttempt(attempt, database, {
        ...(shown ? { spec: maskSpec(shown) } : {}),
        outcome: 'invalid',
        fields: result.errors.map((e) => e.field),
      });
    }
    return validated(result);
  };

  const connecting = async <T>(attempt: Attempt, spec: DatabaseSpec, work: () => Promise<T>): Promise<T> => {
    if (attempts >= MAX_CONNECTION_ATTEMPTS) {
      logAttempt(attempt, spec.name, { spec: maskSpec(spec), outcome: 'busy' });
      throw fail('TOO_MANY_CONNECTION_ATTEMPTS', `${MAX_CONNECTION_ATTEMPTS} connection tests or changes are running already; try again in a moment`
      );
    }
    attempts++;
    try {
      const result = await work();
      logAttempt(attempt, spec.name, { spec: maskSpec(spec), outcome: 'ok' });
      return result;
    } catch (error) {
      // A refusal's details (e.g. the allowed folders' paths) are for the log, never the response.
      const details = error instanceof TargetNotAllowedError ? error.logDetails : {};
      logAttempt(attempt, spec.name, { spec: maskSpec(spec), outcome: outcomeOf(error), ...details });
      throw error;
    } finally {
      attempts--;
    }
  };

  const routes: Record<string, Handler> = {
    'GET /': async (_req, res) =>
      sendJson(res, 200, { databases: gateway.list().map((s) => describeDatabase(s)), skipped: gateway.skippedEntries() } satisfies DatabaseList),
    'POST /': async (req, res) => {
      const spec = validated(validateRegister(await body(req)));
      const snapshot = await connecting('register', spec, () => gateway.register(spec));
      sendJson(res, 201, describeDatabase(snapshot, true), { location: `/api/databases/${spec.name}` });
    },
    'POST /test': async (req, res) => {
      // With the name of a registered database, the body is a change to test against its stored
      // connection (an empty password keeps the stored one), as an edit form needs.
      // The stored password is only reused while the target stays the same (validatePatch).
      const input = (await body(req)) as Record<string, unknown>;
      const existing = typeof input?.name === 'string' ? gateway.get(input.name) : undefined;
      const spec = existing
        ? validatedFor('test', existing.name, validatePatch(existing.spec, input), existing.spec)
        : validatedFor('test', 'connection_test', validateRegister({ name: 'connection_test', ...input }));
      const result = await connecting('test', spec, () => gateway.test(spec));
      sendJson(res, 200, { ok: true, ...result } satisfies ConnectionTestResult);
    },
    'GET /:name': async (_req, res, name) => sendJson(res, 200, describeDatabase(found(gateway, name!), true)),
    'PATCH /:name': async (req, res, name) => {
      const current = found(gateway, name!);
      const spec = validatedFor('change', current.name, validatePatch(current.spec, await body(req)), current.spec);
      sendJson(res, 200, describeDatabase(await connecting('change', spec, () => gateway.update(name!, spec)), true));
    },
    'DELETE /:name': async (_req, res, name) => {
      // An entry skipped at start (invalid, or refused by the target policy) can only be removed.
      if (!gateway.get(name!) && (await gateway.forgetSkipped(name!))) return sendJson(res, 200, { removed: name! } satisfies RemoveResult);
      found(gateway, name!);
      await gateway.remove(name!);
      sendJson(res, 200, { removed: name! } satisfies RemoveResult);
    },
    'POST /:name/refresh': async (_req, res, name) => {
      found(gateway, name!);
      const { changed, snapshot } = await gateway.refresh(name!);
      sendJson(res, 200, { changed, database: describeDatabase(snapshot, true) } satisfies RefreshResult);
    },
    'POST /:name/reconnect': async (_req, res, name) => {
      found(gateway, name!);
      sendJson(res, 200, describeDatabase(await gateway.reconnect(name!), true));
    },
    'GET /:name/model': async (_req, res, name) => {
      const snapshot = found(gateway, name!);
      if (!snapshot.built) throw notIntrospected(snapshot);
      // The introspected model as stored, plus how lazydb exposes each table (names, paths, relations).
      sendJson(res, 200, { ...snapshot.built.model, resources: describeResources(snapshot.name, snapshot.built.named) } satisfies DatabaseModel);
    },
    'GET /:name/sdl': async (_req, res, name) => {
      const snapshot = found(gateway, name!);
      if (!snapshot.built) throw notIntrospected(snapshot);
      const sdl = await snapshot.built.sdl();
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(sdl);
    },
  };

  /** `rest` is the path below /api/databases ('' or '/x' or '/x/refresh'). */
  return async function handle(request: IncomingMessage, response: ServerResponse, rest: string): Promise<void> {
    const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
    const method = request.method ?? 'GET';
    let key: string;
    let name: string | undefined;
    if (parts.length === 0) key = '/';
    else if (parts.length === 1 && parts[0] === 'test') key = '/test';
    else {
      name = parts[0];
      key = parts.length === 1 ? '/:name' : `/:name/${parts.slice(1).join('/')}`;
    }
    const route = routes[`${method} ${key}`];
    if (!route) {
      const allowed = Object.keys(routes).filter((r) => r.endsWith(` ${key}`)).map((r) => r.split(' ')[0]!);
      if (allowed.length > 0) {
        throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed.join(', ')}`, {}, { allow: allowed.join(', ') });
      }
      throw fail('NOT_FOUND', `no such endpoint: ${method} /api/databases${rest}`);
    }
    try {
      await route(request, response, name);
    } catch (error) {
      throw toLazydbError(error);
    }
  };
}

function invalid(errors: FieldError[]): LazydbError {
  const summary = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return fail('VALIDATION_FAILED', `invalid database spec — ${summary}`, { fields: errors });
}

/** How a connection attempt ended, for the log: a code or a fixed, redacted reason. */
function outcomeOf(error: unknown): string {
  if (error instanceof TargetNotAllowedError) return `refused: ${error.code} (${error.setting})`;
  if (error instanceof ConnectionFailedError) return `failed: ${error.reason}`;
  if (error instanceof LazydbError) return `failed: ${error.code}`;
  return `failed: ${(error as Error)?.name ?? 'error'}`;
}

function found(gateway: Gateway, name: string): Snapshot {
  const snapshot = gateway.get(name);
  if (!snapshot) throw databaseNotFound(name);
  return snapshot;
}

function notIntrospected(snapshot: Snapshot): LazydbError {
  return fail('DATABASE_UNAVAILABLE', `database "${snapshot.name}" has not been introspected yet: ${snapshot.lastError ?? 'connecting'}`);
}

function toLazydbError(error: unknown): unknown {
  if (error instanceof LazydbError) return error;
  if (error instanceof DuplicateNameError) return fail('DUPLICATE_NAME', `${error.message}; pick another name or PATCH the existing one`);
  if (error instanceof GatewayClashError) return fail('GATEWAY_NAME_CLASH', error.message);
  if (error instanceof UnknownDatabaseError) return fail('DATABASE_NOT_FOUND', error.message);
  if (error instanceof InvalidEntryError) {
    return fail('INVALID_STORED_ENTRY', `${error.message}; remove that row from the registry or pick another name`);
  }
  if (error instanceof TargetNotAllowedError) {
    return fail('TARGET_NOT_ALLOWED', error.message, { setting: error.setting });
  }
  if (error instanceof ConnectionFailedError) {
    return fail('CONNECTION_FAILED', error.message, { reason: error.reason });
  }
  return error;
}
