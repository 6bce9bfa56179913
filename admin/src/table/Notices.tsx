import { Alert, AlertTitle, Box } from '@mui/material';
import type { DatabaseModel, ResourceInfo } from '../model';
import { capabilities } from '../model';
import { reportFor } from './useTable';

/** Why a table is read-only, and what introspection said about it (degraded or skipped columns). */
export function Notices({ model, resource }: { model: DatabaseModel; resource: ResourceInfo }) {
  const { reason } = capabilities(resource);
  const report = reportFor(model, resource).filter((e) => e.level !== 'info' || !/^view: /.test(e.reason));
  if (!reason && report.length === 0) return null;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, mt: 2 }}>
      {reason && (
        <Alert severity="info" data-testid="read-only-reason">
          {reason}
        </Alert>
      )}
      {report.length > 0 && (
        <Alert severity="warning" data-testid="report">
          <AlertTitle>Introspection report</AlertTitle>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {report.map((entry) => (
              <li key={`${entry.object} ${entry.reason}`}>
                <strong>{entry.object}</strong> ({entry.level}): {entry.reason}
              </li>
            ))}
          </Box>
        </Alert>
      )}
    </Box>
  );
}
