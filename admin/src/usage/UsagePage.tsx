import { Alert, Box, Card, CardContent, MenuItem, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { BarChart } from '@mui/x-charts/BarChart';
import { LineChart } from '@mui/x-charts/LineChart';
import { useState } from 'react';
import { Loading, Title } from 'react-admin';
import { PageHeader } from '../common/PageHeader';
import type { UsageFigures, UsageReport } from '../model';
import { useRegistry } from '../registry';
import { useUsage, type UsageWindow } from './useUsage';

/** The windows offered: minutes back from now, and the step that keeps the series readable. */
const WINDOWS: Array<{ label: string; minutes: number; step: UsageWindow['step'] }> = [
  { label: 'Last hour', minutes: 60, step: 'minute' },
  { label: 'Last 6 hours', minutes: 360, step: 'minute' },
  { label: 'Last day', minutes: 1440, step: 'hour' },
  { label: 'Last 7 days', minutes: 7 * 1440, step: 'hour' },
];

const CHART_HEIGHT = 260;

function ms(value: number | null): string {
  return value === null ? '—' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

function timeLabel(report: UsageReport) {
  return (value: Date) =>
    report.step === 'hour'
      ? value.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
      : value.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function Totals({ totals }: { totals: UsageFigures }) {
  const items: Array<[string, string]> = [
    ['Requests', totals.requests.toLocaleString()],
    ['Errors', totals.errors.toLocaleString()],
    ['p50', ms(totals.p50Ms)],
    ['p95', ms(totals.p95Ms)],
  ];
  return (
    <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap', mb: 2 }}>
      {items.map(([label, value]) => (
        <Card key={label} variant="outlined" sx={{ minWidth: 140 }}>
          <CardContent sx={{ py: 1.5, '&:last-child': { pb: 1.5 } }}>
            <Typography variant="body2" color="text.secondary">
              {label}
            </Typography>
            <Typography variant="h6" data-testid={`usage-total-${label.toLowerCase()}`}>
              {value}
            </Typography>
          </CardContent>
        </Card>
      ))}
    </Stack>
  );
}

function ChartCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Card variant="outlined" sx={{ flex: '1 1 420px', minWidth: 0 }}>
      <CardContent>
        <Typography variant="subtitle1" sx={{ fontWeight: 600 }}>
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  );
}

function Charts({ report }: { report: UsageReport }) {
  const times = report.series.map((point) => new Date(point.time));
  const xAxis = [{ data: times, scaleType: 'time' as const, valueFormatter: timeLabel(report) }];
  return (
    <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2, mb: 2 }}>
      <ChartCard title="Requests and errors">
        <Box data-testid="usage-requests-chart">
          <LineChart
            height={CHART_HEIGHT}
            xAxis={xAxis}
            series={[
              { data: report.series.map((p) => p.requests), label: 'requests', showMark: false, area: true },
              { data: report.series.map((p) => p.errors), label: 'errors', showMark: false, color: '#d32f2f' },
            ]}
          />
        </Box>
      </ChartCard>
      <ChartCard title="Latency (ms)">
        <Box data-testid="usage-latency-chart">
          <LineChart
            height={CHART_HEIGHT}
            xAxis={xAxis}
            series={[
              // Minutes without requests have no latency: marks show the ones that do, even a lone one.
              { data: report.series.map((p) => p.p50Ms), label: 'p50', showMark: true, connectNulls: true },
              { data: report.series.map((p) => p.p95Ms), label: 'p95', showMark: true, connectNulls: true },
            ]}
          />
        </Box>
      </ChartCard>
    </Stack>
  );
}

function TableBreakdown({ report }: { report: UsageReport }) {
  const rows = [...report.tables].sort((a, b) => b.requests - a.requests);
  const top = rows.slice(0, 10);
  return (
    <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2 }}>
      <ChartCard title="Requests per database">
        <Box data-testid="usage-databases-chart">
          {report.databases.length === 0 ? (
            <Typography color="text.secondary">No requests in this window.</Typography>
          ) : (
            <BarChart
              height={Math.max(120, 48 * report.databases.length + 40)}
              layout="horizontal"
              yAxis={[{ data: report.databases.map((d) => d.database || '(gateway)'), scaleType: 'band' as const, width: 110 }]}
              series={[
                { data: report.databases.map((d) => d.requests - d.errors), label: 'ok', stack: 'all' },
                { data: report.databases.map((d) => d.errors), label: 'errors', stack: 'all', color: '#d32f2f' },
              ]}
            />
          )}
        </Box>
      </ChartCard>
      <ChartCard title="Per table">
        <Box sx={{ overflowX: 'auto' }}>
          <Table size="small" data-testid="usage-tables" sx={{ '& td, & th': { whiteSpace: 'nowrap' } }}>
            <TableHead>
              <TableRow>
                <TableCell>Database</TableCell>
                <TableCell>Table</TableCell>
                <TableCell align="right">Requests</TableCell>
                <TableCell align="right">Errors</TableCell>
                <TableCell align="right">p50</TableCell>
                <TableCell align="right">p95</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {top.map((row) => (
                <TableRow key={`${row.database}\u0001${row.table}`}>
                  <TableCell>{row.database || '(gateway)'}</TableCell>
                  <TableCell>{row.table || '—'}</TableCell>
                  <TableCell align="right">{row.requests.toLocaleString()}</TableCell>
                  <TableCell align="right">{row.errors.toLocaleString()}</TableCell>
                  <TableCell align="right">{ms(row.p50Ms)}</TableCell>
                  <TableCell align="right">{ms(row.p95Ms)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
        {rows.length > top.length && (
          <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
            {rows.length - top.length} more not shown.
          </Typography>
        )}
      </ChartCard>
    </Stack>
  );
}

function TopOperations({ report }: { report: UsageReport }) {
  return (
    <Card variant="outlined" sx={{ mt: 2 }}>
      <CardContent>
        <Typography variant="subtitle1" sx={{ fontWeight: 600 }}>
          Top GraphQL operations
        </Typography>
        {report.operations.length === 0 ? (
          <Typography color="text.secondary">No GraphQL operations in this window.</Typography>
        ) : (
          <Table size="small" data-testid="usage-operations">
            <TableHead>
              <TableRow>
                <TableCell>Database</TableCell>
                <TableCell>Operation (values replaced by _)</TableCell>
                <TableCell align="right">Requests</TableCell>
                <TableCell align="right">Errors</TableCell>
                <TableCell align="right">Mean</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {report.operations.map((op) => (
                <TableRow key={`${op.database}\u0001${op.hash}`}>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{op.database || '(gateway)'}</TableCell>
                  <TableCell sx={{ fontFamily: 'monospace', fontSize: '0.8rem', wordBreak: 'break-word' }} title={op.hash}>
                    {op.sample}
                  </TableCell>
                  <TableCell align="right">{op.requests.toLocaleString()}</TableCell>
                  <TableCell align="right">{op.errors.toLocaleString()}</TableCell>
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    {ms(op.avgMs)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

/** Usage: requests, errors and latency over time, per database and per table (GET /api/usage, refreshed every 10 s). */
export function UsagePage() {
  const { databases } = useRegistry();
  const [windowIndex, setWindowIndex] = useState(0);
  const [database, setDatabase] = useState<string>('');
  const chosen = WINDOWS[windowIndex]!;
  const { report, error } = useUsage({ minutes: chosen.minutes, step: chosen.step, database: database === '' ? null : database });
  return (
    <Box sx={{ pb: 4 }}>
      <Title title="Usage" />
      <PageHeader
        crumbs={[]}
        title="Usage"
        subtitle="Requests to the GraphQL and REST APIs, from every replica; refreshed every 10 seconds."
        actions={
          <Stack direction="row" spacing={1}>
            <TextField
              select
              size="small"
              label="Database"
              value={database}
              onChange={(e) => setDatabase(e.target.value)}
              slotProps={{ inputLabel: { shrink: true }, select: { displayEmpty: true } }}
              sx={{ minWidth: 160 }}
            >
              <MenuItem value="">All databases</MenuItem>
              {(databases ?? []).map((db) => (
                <MenuItem key={db.name} value={db.name}>
                  {db.name}
                </MenuItem>
              ))}
            </TextField>
            <TextField select size="small" label="Window" value={windowIndex} onChange={(e) => setWindowIndex(Number(e.target.value))} sx={{ minWidth: 150 }}>
              {WINDOWS.map((w, i) => (
                <MenuItem key={w.label} value={i}>
                  {w.label}
                </MenuItem>
              ))}
            </TextField>
          </Stack>
        }
      />
      {error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {error}
        </Alert>
      )}
      {report === null ? (
        !error && <Loading />
      ) : (
        <>
          <Totals totals={report.totals} />
          <Charts report={report} />
          <TableBreakdown report={report} />
          <TopOperations report={report} />
        </>
      )}
    </Box>
  );
}
