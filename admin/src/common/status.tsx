import { Chip } from '@mui/material';
import { useEffect, useState } from 'react';
import type { DatabaseInfo, DatabaseStatus } from '../model';

const STATUS: Record<DatabaseStatus, { label: string; color: 'success' | 'warning' | 'error' }> = {
  ready: { label: 'ready', color: 'success' },
  connecting: { label: 'connecting…', color: 'warning' },
  degraded: { label: 'degraded', color: 'warning' },
  error: { label: 'error', color: 'error' },
};

export function StatusChip({ status }: { status: DatabaseStatus }) {
  const s = STATUS[status] ?? { label: status, color: 'warning' as const };
  return <Chip size="small" label={s.label} color={s.color} variant={status === 'ready' ? 'filled' : 'outlined'} data-testid="status" />;
}

/** Where a database is, without its password (the API masks it already). */
export function connectionSummary(db: Pick<DatabaseInfo, 'connection' | 'dialect'>): string {
  const c = db.connection;
  if (c.filename) return c.filename;
  if (c.url) return c.url;
  const host = c.host ? `${c.host}${c.port ? `:${c.port}` : ''}` : '';
  return `${c.user ? `${c.user}@` : ''}${host}${c.database ? `/${c.database}` : ''}`;
}

export function timeAgo(iso: string, now = Date.now()): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return new Date(iso).toLocaleString();
}

/** Re-renders every `ms` so relative times ("2 min ago") stay true without new data. */
export function useNow(ms = 15000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
