import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { dialectsApi } from './api';
import type { Dialect, DialectInfo } from './model';

/**
 * The dialects the server supports and how to connect to each (GET /api/dialects): names, default
 * ports, example URLs and fields, what "schemas" mean there. The server's dialect modules are the
 * one source; the list never changes while the server runs, so it is read once (again only after
 * a failure).
 */
export interface Dialects {
  /** null until the first answer, in the server's order. */
  list: DialectInfo[] | null;
  /** Why the list could not be read yet, or null. */
  error: string | null;
  info(dialect: Dialect): DialectInfo | undefined;
  /** The engine's name (`PostgreSQL`); the dialect's id until the list is read. */
  label(dialect: Dialect): string;
}

const DialectsContext = createContext<Dialects | null>(null);

/** After a failure (the server not up yet), the next try. */
export const RETRY_MS = 3000;

export function DialectsProvider({ children }: { children: ReactNode }) {
  const [list, setList] = useState<DialectInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const load = async () => {
      try {
        const dialects = await dialectsApi.list();
        if (stopped) return;
        setList(dialects);
        setError(null);
      } catch (e) {
        if (stopped) return;
        setError((e as Error).message);
        timer = setTimeout(load, RETRY_MS);
      }
    };
    void load();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, []);

  const byId = useMemo(() => new Map((list ?? []).map((d) => [d.dialect, d])), [list]);
  const info = useCallback((dialect: Dialect) => byId.get(dialect), [byId]);
  const label = useCallback((dialect: Dialect) => byId.get(dialect)?.label ?? dialect, [byId]);
  const value = useMemo<Dialects>(() => ({ list, error, info, label }), [list, error, info, label]);
  return <DialectsContext.Provider value={value}>{children}</DialectsContext.Provider>;
}

export function useDialects(): Dialects {
  const dialects = useContext(DialectsContext);
  if (!dialects) throw new Error('useDialects outside DialectsProvider');
  return dialects;
}
