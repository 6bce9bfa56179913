import { Confirm, useNotify } from 'react-admin';

/** How a failed action is told: it stays long enough to be read. */
export const ERROR_NOTICE = { type: 'error', multiLine: true, autoHideDuration: 10000 } as const;

/** Runs an action on the page's data, tells how it went, then reads the data again either way. */
export function useReportedAction(reload: () => Promise<void>) {
  const notify = useNotify();
  return async (action: () => Promise<unknown>, done: string, type: 'success' | 'info' = 'success') => {
    try {
      await action();
      notify(done, { type });
    } catch (e) {
      notify((e as Error).message, ERROR_NOTICE);
    }
    void reload();
  };
}

/** Asks before an action on `target` (open while there is one); closes before it runs. */
export function ConfirmAction<T>({
  target,
  title,
  content,
  confirm,
  onConfirm,
  onClose,
}: {
  target: T | null;
  title: string;
  content: string;
  confirm: string;
  onConfirm(target: T): void;
  onClose(): void;
}) {
  return (
    <Confirm
      isOpen={target !== null}
      title={title}
      content={content}
      confirm={confirm}
      confirmColor="warning"
      onConfirm={() => {
        onClose();
        if (target !== null) onConfirm(target);
      }}
      onClose={onClose}
    />
  );
}
