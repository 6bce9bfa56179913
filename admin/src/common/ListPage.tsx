import AddIcon from '@mui/icons-material/Add';
import { Alert, Box, Button, Card, IconButton, MenuItem, Table, TableBody, TableCell, TableHead, TableRow, Tooltip, Typography, type SxProps, type Theme } from '@mui/material';
import type { ReactElement, ReactNode } from 'react';
import { Loading, Title } from 'react-admin';
import { PageHeader } from './PageHeader';

/** A top-level page: its title in the app bar and a header with what it is for and its actions. */
export function ListPage({ title, subtitle, actions, children }: { title: string; subtitle: ReactNode; actions?: ReactNode; children: ReactNode }) {
  return (
    <Box sx={{ pb: 4 }}>
      <Title title={title} />
      <PageHeader crumbs={[]} title={title} subtitle={subtitle} actions={actions} />
      {children}
    </Box>
  );
}

/** The page's main action: make a new one. */
export function NewButton({ onClick, disabled, children }: { onClick(): void; disabled?: boolean; children: ReactNode }) {
  return (
    <Button variant="contained" startIcon={<AddIcon />} onClick={onClick} disabled={disabled}>
      {children}
    </Button>
  );
}

/** Why something could not be read. */
export function PageError({ children }: { children: ReactNode }) {
  return (
    <Alert severity="error" sx={{ mb: 2 }}>
      {children}
    </Alert>
  );
}

/** A read's failure, a spinner until its first answer, then what the answer shows. */
export function LoadedContent<T>({ data, error, children }: { data: T | null; error: string | null; children(data: T): ReactNode }) {
  return (
    <>
      {error && <PageError>{error}</PageError>}
      {data === null ? !error && <Loading /> : children(data)}
    </>
  );
}

/** A column's heading: its text, or the text with its alignment (and a key where texts repeat). */
export type Column = ReactNode | { label: ReactNode; align: 'right' | 'center'; key?: string };

function isAligned(column: Column): column is { label: ReactNode; align: 'right' | 'center'; key?: string } {
  return typeof column === 'object' && column !== null && 'align' in column;
}

/** A table of rows in a card under one heading row; `false` columns are left out (a column not offered). */
export function ListTable({ testId, columns, size = 'small', sx, children }: { testId: string; columns: Array<Column | false>; size?: 'small' | 'medium'; sx?: SxProps<Theme>; children: ReactNode }) {
  return (
    <Card variant="outlined" sx={{ overflowX: 'auto' }}>
      <Table size={size} data-testid={testId} sx={sx}>
        <TableHead>
          <TableRow sx={{ '& th': { fontWeight: 600, whiteSpace: 'nowrap' } }}>
            {columns.map((column, index) =>
              column === false ? null : isAligned(column) ? (
                <TableCell key={column.key ?? index} align={column.align}>
                  {column.label}
                </TableCell>
              ) : (
                <TableCell key={index}>{column}</TableCell>
              ),
            )}
          </TableRow>
        </TableHead>
        <TableBody>{children}</TableBody>
      </Table>
    </Card>
  );
}

/** The one row of a table with nothing in it, saying why. */
export function EmptyRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <TableRow>
      <TableCell colSpan={columns}>
        <Typography color="text.secondary">{children}</Typography>
      </TableCell>
    </TableRow>
  );
}

/** A small icon button on a row, explained by its tooltip and named for screen readers (and tests). */
export function RowAction({ title, label, icon, danger = false, onClick }: { title: string; label: string; icon: ReactElement; danger?: boolean; onClick(): void }) {
  return (
    <Tooltip title={title}>
      <IconButton size="small" color={danger ? 'error' : 'default'} aria-label={label} onClick={onClick}>
        {icon}
      </IconButton>
    </Tooltip>
  );
}

/** Options of a select, one a name. */
export function nameOptions(names: string[]): ReactNode[] {
  return names.map((name) => (
    <MenuItem key={name} value={name}>
      {name}
    </MenuItem>
  ));
}
