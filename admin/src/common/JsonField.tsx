import { TextField } from '@mui/material';
import { parseJsonObject } from './json';

/**
 * A JSON object typed by hand: a parse error shows under it as soon as it is typed, and the
 * server's complaint about the entry (if any) in the same place.
 */
export function JsonField({
  label,
  value,
  onChange,
  serverError,
  helperText,
  testId,
  minRows = 3,
}: {
  label: string;
  value: string;
  onChange(text: string): void;
  serverError?: string | undefined;
  helperText?: string;
  testId?: string;
  minRows?: number;
}) {
  const parsed = parseJsonObject(value);
  const message = !parsed.ok ? parsed.message : serverError;
  return (
    <TextField
      label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      multiline
      minRows={minRows}
      fullWidth
      error={Boolean(message)}
      helperText={message ?? helperText}
      slotProps={{
        htmlInput: { 'data-testid': testId, spellCheck: false, style: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: '0.85rem' } },
        formHelperText: { 'data-testid': testId ? `${testId}-message` : undefined } as object,
      }}
    />
  );
}
