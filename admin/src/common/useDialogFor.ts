import { useState } from 'react';

export interface DialogFor<T> {
  /** What the dialog is open for (a row, or a marker such as 'new'); null while closed. */
  target: T | null;
  open(target: T): void;
  close(): void;
  /** Closes it after a change, and reads the page's data again to show the change. */
  saved(): void;
}

/** The state of a page's dialog (form or confirmation) opened for one thing at a time. */
export function useDialogFor<T>(reload: () => Promise<void>): DialogFor<T> {
  const [target, setTarget] = useState<T | null>(null);
  return {
    target,
    open: setTarget,
    close: () => setTarget(null),
    saved: () => {
      setTarget(null);
      void reload();
    },
  };
}
