import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { databasesApi } from './api';
import type { DatabaseInfo, DatabaseModel, ResourceInfo } from './model';

/**
 * The registered databases and their models, kept current by polling the management API:
 * status changes show without a reload, and a database added, changed or removed (here or
 * by anyone else) brings or takes away its screens.
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
  reload(): Promise<void>;
  /** Reads the latest models (stable function: the data provider keeps it). */
  lookup(database: string, table: string): ResourceInfo | undefined;
}

const RegistryContext = createContext<Registry | null>(null);

export const POLL_MS = 3000;

export function RegistryProvider({ children }: { children: ReactNode }) {
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

  const load = useCallback(async () => {
    let list: DatabaseInfo[];
    try {
      list = await databasesApi.list();
      setError(null);
    } catch (e) {
      setError((e as Error).message);
      setReady(true);
      return;
    }
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
  }, []);

  const reload = useCallback(() => {
    // One request at a time: a poll and a reload asked for by an action share it.
    inFlight.current ??= load().finally(() => {
      inFlight.current = null;
    });
    return inFlight.current;
  }, [load]);

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
    () => ({ databases, models, modelErrors, error, ready, reload, lookup }),
    [databases, models, modelErrors, error, ready, reload, lookup],
  );
  return <RegistryContext.Provider value={value}>{children}</RegistryContext.Provider>;
}

export function useRegistry(): Registry {
  const registry = useContext(RegistryContext);
  if (!registry) throw new Error('useRegistry outside RegistryProvider');
  return registry;
}
