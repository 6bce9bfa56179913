import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  /** null until the first answer. */
  data: T | null;
  /** Why the last read failed, or null. */
  error: string | null;
  reload(): Promise<void>;
}

/** Reads once on mount (and whenever `key` changes), again on reload(); answers to an older key are dropped. */
export function useLoaded<T>(read: () => Promise<T>, key = ''): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const readRef = useRef(read);
  readRef.current = read;
  const keyRef = useRef(key);
  keyRef.current = key;

  const reload = useCallback(async () => {
    const asked = keyRef.current;
    try {
      const value = await readRef.current();
      if (keyRef.current !== asked) return;
      setData(value);
      setError(null);
    } catch (e) {
      if (keyRef.current !== asked) return;
      setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    setData(null);
    void reload();
  }, [key, reload]);

  return { data, error, reload };
}
