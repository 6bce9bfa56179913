import { Stack, TextField, Typography } from '@mui/material';
import type { RateLimits } from '../../../server/rate-limit/limits';

export type { RateLimits };

const QUOTAS: { key: keyof RateLimits; label: string }[] = [
  { key: 'requestsPerMinute', label: 'Requests / minute' },
  { key: 'requestsPerDay', label: 'Requests / day' },
  { key: 'rowsPerMinute', label: 'Rows / minute' },
];

/** The limits as one line of text for a table cell ("60/min · 10000/day"), or "none". */
export function limitsText(limits: RateLimits | null | undefined): string {
  if (!limits) return 'none';
  const parts = [
    limits.requestsPerMinute ? `${limits.requestsPerMinute}/min` : null,
    limits.requestsPerDay ? `${limits.requestsPerDay}/day` : null,
    limits.rowsPerMinute ? `${limits.rowsPerMinute} rows/min` : null,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'none';
}

/** The limits the fields hold: null when every field is empty (no limits). */
export function limitsOf(texts: Record<keyof RateLimits, string>): RateLimits | null {
  const limits: RateLimits = {};
  for (const { key } of QUOTAS) {
    const text = texts[key].trim();
    if (text !== '') limits[key] = Number(text);
  }
  return Object.keys(limits).length > 0 ? limits : null;
}

export function limitsTexts(limits: RateLimits | null | undefined): Record<keyof RateLimits, string> {
  return { requestsPerMinute: String(limits?.requestsPerMinute ?? ''), requestsPerDay: String(limits?.requestsPerDay ?? ''), rowsPerMinute: String(limits?.rowsPerMinute ?? '') };
}

/** Rate limits of a key or a role: three optional whole numbers (empty: no limit), the server's message under them. */
export function LimitsFields({ value, onChange, error, helperText, testId }: { value: Record<keyof RateLimits, string>; onChange(value: Record<keyof RateLimits, string>): void; error?: string | undefined; helperText: string; testId: string }) {
  return (
    <Stack spacing={0.5}>
      <Stack direction="row" spacing={1}>
        {QUOTAS.map(({ key, label }) => (
          <TextField
            key={key}
            label={label}
            type="number"
            size="small"
            value={value[key]}
            onChange={(e) => onChange({ ...value, [key]: e.target.value })}
            error={Boolean(error)}
            slotProps={{ htmlInput: { min: 1, step: 1, 'data-testid': `${testId}-${key}` } }}
          />
        ))}
      </Stack>
      <Typography variant="caption" color={error ? 'error' : 'text.secondary'}>
        {error ?? helperText}
      </Typography>
    </Stack>
  );
}
