import { useEffect, useState } from 'react';
import { api } from '../api';
import type { UsageReport, UsageStep } from '../model';

/** How often the usage page asks again: about the server's flush interval. */
export const USAGE_POLL_MS = 10_000;

export interface UsageWindow {
  /** Minutes back from now. */
  minutes: number;
  step: UsageStep;
  database: string | null;
}

/** GET /api/usage for the window, asked again every USAGE_POLL_MS while the page is open. */
export function useUsage(window: UsageWindow): { report: UsageReport | null; error: string | null } {
  const [report, setReport] = useState<UsageReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let controller: AbortController | null = null;
    const load = async () => {
      controller?.abort();
      controller = new AbortController();
      const to = Date.now();
      const search = new URLSearchParams({ from: String(to - window.minutes * 60_000), to: String(to), step: window.step });
      if (window.database !== null) search.set('database', window.database);
      try {
        setReport(await api<UsageReport>(`/api/usage?${search}`, { signal: controller.signal }));
        setError(null);
      } catch (failure) {
        if ((failure as Error).name !== 'AbortError') setError((failure as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), USAGE_POLL_MS);
    return () => {
      clearInterval(timer);
      controller?.abort();
    };
  }, [window.minutes, window.step, window.database]);
  return { report, error };
}
