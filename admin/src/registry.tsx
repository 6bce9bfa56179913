import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { databasesApi } from './api';
import { isAdminRole } from './auth/access';
import { authApi } from './auth/api';
import type { ReadableDatabase } from './auth/model';
import { useSession } from './auth/session';
import type { DatabaseInfo, DatabaseModel, ResourceInfo } from './model';

/**
 * The registered databases and their models, kept current by polling the management API:
 * status changes show without a reload, and a database added, changed or removed (here or
 * by anyone else) brings or takes away its screens.
 *
 * Admins read every database (/api/databases and each model). Anyone else (a visitor, a user
 * with another role) reads /api/auth/databases: only the databases and tables their role may
 * read, so only those get screens. A sign-in or sign-out switches between the two.
 */
export interface Registry {
  /** null until the first answer. */
  databases: DatabaseInfo[] | null;
  models: Record<string, DatabaseModel>;
  /** Why a database's model could not be read, by database. */
  modelErrors: Record<string, string>;
  /** Why the list could not be read (server down), or null. */
  error: string | null;
  /** The first list and the models it named have been read (deep links can be resolved). */
  ready: boolean;
  /** `admin`: every database with its connection; `role`: what the signed-in role may read, without connections. */
  scope: Scope;
  reload(): Promise<void>;
  /** Reads the latest models (stable function: the data provider keeps it). */
  lookup(database: string, table: string): ResourceInfo | undefined;
}

const RegistryContext = createContext<Registry | null>(null);

export type Scope = 'admin' | 'role';

/**
 * A database a non-admin may read, in the shapes the screens use: its links are lazydb's fixed
 * routes; what only the management API knows (connection, introspection report) stays empty.
 */
export function readableAsRegistered(db: ReadableDatabase): { info: DatabaseInfo; model: DatabaseModel } {
  const base = `/db/${db.name}`;
  const info: DatabaseInfo = {
    name: db.name,
    dialect: db.dialect,
    connection: {},
    schemas: null,
    statementTimeoutMs: null,
    status: db.status,
    lastError: null,
    tableCount: db.resources.filter((r) => r.kind === 'table').length,
    viewCount: db.resources.filter((r) => r.kind === 'view').length,
    introspectedAt: null,
    introspectMs: null,
    buildMs: null,
    serverVersion: null,
    links: { graphql: `${base}/graphql`, gateway: '/graphql', rest: `${base}/rest`, openapi: `${base}/openapi.json`, docs: `${base}/docs`, model: '', sdl: '' },
  };
  const model: DatabaseModel = { formatVersion: 1, dialect: db.dialect, serverVersion: '', schemas: [], tables: [], report: [], introspectedAt: '', resources: db.resources };
  return { info, model };
}

export const POLL_MS = 3000;

export function RegistryProvider({ children }: { children: ReactNode }) {
  const session = useSession();
  const scope: Scope | null = session === null ? null : isAdminRole(session.principal.role) ? 'admin' : 'role';
  const scopeRef = useRef(scope);
  scopeRef.current = scope;
  /** Whose view this is: another role (a visitor who signs in as a user) reads again at once. */
  const viewer = session === null ? null : `${scope}\u0001${session.principal.role}`;
  const viewerRef = useRef(viewer);
  viewerRef.current = viewer;
  const [databases, setDatabases] = useState<DatabaseInfo[] | null>(null);
  const [models, setModels] = useState<Record<string, DatabaseModel>>({});
  const [modelErrors, setModelErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const modelsRef = useRef(models);
  modelsRef.current = models;
  /** introspectedAt of the database when its model was last read: a new value means read it again. */
  const loadedFor = useRef(new Map<string, string | null>());
  const inFlight = useRef<Promise<void> | null>(null);

  /**
   * The list as read for the viewer who asked, or null: the read failed (its error is shown) or
   * the viewer signed in or out meanwhile (the answer is theirs no longer, so it is dropped).
   */
  const readForViewer = useCallback(async <T,>(read: () => Promise<T>): Promise<{ value: T; asked: string | null } | null> => {
    const asked = viewerRef.current;
    try {
      const value = await read();
      if (viewerRef.current !== asked) return null;
      setError(null);
      return { value, asked };
    } catch (e) {
      if (viewerRef.current !== asked) return null;
      setError((e as Error).message);
      setReady(true);
      return null;
    }
  }, []);

  const loadReadable = useCallback(async () => {
    const answer = await readForViewer<ReadableDatabase[]>(() => authApi.databases());
    if (!answer) return;
    const converted = answer.value.map(readableAsRegistered);
    const list = converted.map((c) => c.info);
    setDatabases((current) => (JSON.stringify(current) === JSON.stringify(list) ? current : list));
    setModels((current) => {
      const next: Record<string, DatabaseModel> = {};
      // The same model object while its tables are the same: screens built from it stay put.
      for (const { info, model } of converted) {
        const known = current[info.name];
        next[info.name] = known && JSON.stringify(known.resources) === JSON.stringify(model.resources) ? known : model;
      }
      const same = Object.keys(next).length === Object.keys(current).length && Object.entries(next).every(([k, v]) => current[k] === v);
      return same ? current : next;
    });
    setModelErrors((current) => (Object.keys(current).length === 0 ? current : {}));
    setReady(true);
  }, [readForViewer]);

  const load = useCallback(async () => {
    if (scopeRef.current === null) return;
    if (scopeRef.current === 'role') return loadReadable();
    const answer = await readForViewer<DatabaseInfo[]>(() => databasesApi.list());
    if (!answer) return;
    const { value: list, asked } = answer;
    setDatabases((current) => (JSON.stringify(current) === JSON.stringify(list) ? current : list));
    const names = new Set(list.map((d) => d.name));
    const stale = list.filter((d) => d.introspectedAt !== null && (!loadedFor.current.has(d.name) || loadedFor.current.get(d.name) !== d.introspectedAt));
    const fetched = await Promise.all(
      stale.map(async (d) => {
        try {
          const model = await databasesApi.model(d.name);
          loadedFor.current.set(d.name, d.introspectedAt);
          return { name: d.name, model, error: null };
        } catch (e) {
          return { name: d.name, model: null, error: (e as Error).message };
        }
      }),
    );
    // Signed out (or in) meanwhile: these answers belong to the other viewer.
    if (viewerRef.current !== asked) return;
    for (const name of [...loadedFor.current.keys()]) if (!names.has(name)) loadedFor.current.delete(name);
    setModels((current) => {
      const next: Record<string, DatabaseModel> = {};
      for (const [name, model] of Object.entries(current)) if (names.has(name)) next[name] = model;
      for (const f of fetched) if (f.model) next[f.name] = f.model;
      const same = Object.keys(next).length === Object.keys(current).length && Object.entries(next).every(([k, v]) => current[k] === v);
      return same ? current : next;
    });
    setModelErrors((current) => {
      const next: Record<string, string> = {};
      for (const [name, message] of Object.entries(current)) if (names.has(name)) next[name] = message;
      for (const f of fetched) {
        if (f.error) next[f.name] = f.error;
        else delete next[f.name];
      }
      return JSON.stringify(next) === JSON.stringify(current) ? current : next;
    });
    setReady(true);
  }, [loadReadable, readForViewer]);

  const reload = useCallback(() => {
    // One request at a time: a poll and a reload asked for by an action share it.
    if (inFlight.current) return inFlight.current;
    const reading: Promise<void> = load().finally(() => {
      if (inFlight.current === reading) inFlight.current = null;
    });
    inFlight.current = reading;
    return reading;
  }, [load]);

  // A sign-in or sign-out changes what may be read: forget what the other view read, read again.
  useEffect(() => {
    if (viewer === null) return;
    loadedFor.current.clear();
    setModels({});
    setDatabases(null);
    setModelErrors({});
    // A poll of the other scope may be under way: this read must not wait for (or share) it.
    inFlight.current = null;
    void reload();
  }, [viewer, reload]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const tick = async () => {
      await reload();
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [reload]);

  const lookup = useCallback((database: string, table: string) => modelsRef.current[database]?.resources.find((r) => r.name === table), []);

  const value = useMemo<Registry>(
    () => ({ databases, models, modelErrors, error, ready, scope: scope ?? 'role', reload, lookup }),
    [databases, models, modelErrors, error, ready, scope, reload, lookup],
  );
  return <RegistryContext.Provider value={value}>{children}</RegistryContext.Provider>;
}

export function useRegistry(): Registry {
  const registry = useContext(RegistryContext);
  if (!registry) throw new Error('useRegistry outside RegistryProvider');
  return registry;
}
