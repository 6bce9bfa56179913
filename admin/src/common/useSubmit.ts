import { useState } from 'react';
import { ApiError } from '../api';

/** Any failure as an ApiError, so a form reads field messages the same way whatever went wrong. */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError((e as Error).message, 0, 'UNKNOWN');
}

/** What the server said about one field (or anything inside it: `field.x`, `field[0]`). */
export function fieldMessage(error: ApiError | null, field: string): string | undefined {
  return error?.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))?.message;
}

export interface Submit {
  /** The last failure, until the next try. */
  error: ApiError | null;
  busy: boolean;
  submit(action: () => Promise<void>): Promise<void>;
  message(field: string): string | undefined;
  /** The failure's message when none of these fields shows it, so it is said once and somewhere. */
  unplaced(fields: string[]): string | null;
}

/** A dialog's save: busy while it runs, its failure kept for the fields (or the dialog) to show. */
export function useSubmit(): Submit {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const message = (field: string) => fieldMessage(error, field);
  const unplaced = (fields: string[]) => (error && !fields.some((f) => message(f)) ? error.message : null);
  return { error, busy, submit, message, unplaced };
}
