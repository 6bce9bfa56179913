import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack } from '@mui/material';
import type { ReactNode } from 'react';

/** A dialog of fields with Cancel and one action; `error` is what no field shows. */
export function FormDialog({
  title,
  onClose,
  onSubmit,
  submitLabel,
  submitDisabled = false,
  error = null,
  errorTestId,
  maxWidth = 'sm',
  children,
}: {
  title: ReactNode;
  onClose(): void;
  onSubmit(): void;
  submitLabel: string;
  submitDisabled?: boolean;
  error?: string | null;
  errorTestId?: string;
  maxWidth?: 'xs' | 'sm';
  children: ReactNode;
}) {
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth={maxWidth}>
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          {children}
          {error && (
            <Alert severity="error" data-testid={errorTestId}>
              {error}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={onSubmit} disabled={submitDisabled}>
          {submitLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
