import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import NetworkCheckIcon from '@mui/icons-material/NetworkCheck';
import SaveIcon from '@mui/icons-material/Save';
import { Alert, AlertTitle, Box, Button, Card, CardContent, CircularProgress, LinearProgress, Typography } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import { BooleanInput, Form, Loading, NumberInput, PasswordInput, RadioButtonGroupInput, SelectInput, TextInput, Title, regex, required, useNotify } from 'react-admin';
import { useFormContext, useWatch } from 'react-hook-form';
import { useNavigate, useParams } from 'react-router-dom';
import { ApiError, databasesApi } from '../api';
import { PageHeader } from '../common/PageHeader';
import { useDialects } from '../dialects';
import { blank, fieldErrors, fieldForConnectionError, specFromValues, valuesFromDatabase, type ConnectionValues } from './spec';
import { useRegistry } from '../registry';

const NAME_RULE = regex(/^[a-z][a-z0-9_]{0,62}$/, 'Lowercase letters, digits and _, starting with a letter (at most 63)');

function useElapsed(running: boolean): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    if (!running) return setSeconds(0);
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 500);
    return () => clearInterval(timer);
  }, [running]);
  return seconds;
}

type TestState = { state: 'idle' } | { state: 'running' } | { state: 'ok'; text: string } | { state: 'failed'; text: string };

function ConnectionFields({ editing, original, test, setTest, saving, failure }: {
  editing: boolean;
  original: ConnectionValues | null;
  test: TestState;
  setTest: (t: TestState) => void;
  saving: boolean;
  failure: { title: string; lines: string[] } | null;
}) {
  const { setValue, getValues, setError, clearErrors } = useFormContext<ConnectionValues>();
  const dialect = useWatch<ConnectionValues, 'dialect'>({ name: 'dialect' });
  const mode = useWatch<ConnectionValues, 'mode'>({ name: 'mode' });
  const previousDialect = useRef(dialect);
  const elapsed = useElapsed(saving);
  // Examples, default port and help for the chosen dialect, as the server's dialect module gives them.
  const { list, info, label } = useDialects();
  const help = info(dialect);
  const choices = (list ?? []).map((d) => ({ id: d.dialect, name: d.label }));

  // A port left at another dialect's default follows the dialect.
  useEffect(() => {
    const before = previousDialect.current;
    previousDialect.current = dialect;
    if (before === dialect) return;
    const port = getValues('connection.port');
    if (blank(port) || Number(port) === info(before)?.defaultPort) setValue('connection.port', info(dialect)?.defaultPort ?? null);
    setTest({ state: 'idle' });
  }, [dialect, getValues, setValue, setTest, info]);

  const runTest = async () => {
    clearErrors();
    const values = getValues();
    setTest({ state: 'running' });
    try {
      const unchanged = editing && original && blank(values.connection?.password) && JSON.stringify(specFromValues(values, true)) === JSON.stringify(specFromValues(original, true));
      if (unchanged) {
        // Nothing typed: test what is stored (the stored password is never sent to the browser).
        const db = await databasesApi.reconnect(values.name);
        setTest({ state: 'ok', text: `Connected with the stored settings: ${label(db.dialect)} ${db.serverVersion ?? ''} · ${db.tableCount} tables, ${db.viewCount} views.` });
        return;
      }
      const result = await databasesApi.test(specFromValues(values, false));
      setTest({ state: 'ok', text: `Connected: ${label(values.dialect)} ${result.serverVersion} · ${result.tables} tables, ${result.views} views · read in ${result.introspectMs} ms.` });
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        const { errors, unplaced } = fieldErrors(error, values);
        for (const [path, message] of Object.entries(errors)) setError(path as never, { type: 'server', message });
        setTest({ state: 'failed', text: unplaced.length > 0 ? unplaced.join('; ') : 'Some fields need fixing (see below).' });
      } else {
        setTest({ state: 'failed', text: (error as Error).message });
      }
    }
  };

  const sqlite = dialect === 'sqlite';
  return (
    <>
      <Box sx={{ display: 'grid', gridTemplateColumns: { md: '1fr 1fr' }, columnGap: 3, width: '100%' }}>
        <TextInput source="name" label="Name" disabled={editing} validate={editing ? undefined : [required(), NAME_RULE]} helperText={editing ? 'The name is part of every URL: it cannot change' : 'Used in URLs: /db/<name>/graphql'} fullWidth />
        <SelectInput source="dialect" label="Database" choices={choices} validate={required()} helperText={false} fullWidth />
      </Box>
      {!sqlite && (
        <RadioButtonGroupInput
          source="mode"
          label="Connect with"
          choices={[
            { id: 'fields', name: 'Host, port, user…' },
            { id: 'url', name: 'Connection URL' },
          ]}
          helperText={false}
        />
      )}
      {sqlite ? (
        <TextInput
          source="connection.filename"
          label={help?.databaseLabel ?? 'File'}
          validate={required()}
          helperText={`Path of the file on the server${help?.exampleConnection.filename ? `, e.g. ${help.exampleConnection.filename}` : ''}`}
          fullWidth
        />
      ) : mode === 'url' ? (
        <Box sx={{ display: 'grid', gridTemplateColumns: { md: '2fr 1fr' }, columnGap: 3, width: '100%' }}>
          <TextInput
            source="connection.url"
            label="URL"
            validate={required()}
            placeholder={help?.exampleUrl}
            helperText={editing ? 'A password shown as ******** is kept as stored' : `e.g. ${help?.exampleUrl ?? ''} (percent-encode special characters)`}
            fullWidth
          />
          <PasswordInput source="connection.password" label="Password (optional)" helperText="Instead of one inside the URL" fullWidth autoComplete="new-password" />
        </Box>
      ) : (
        <Box sx={{ display: 'grid', gridTemplateColumns: { md: '1fr 1fr 1fr 1fr' }, columnGap: 3, width: '100%' }}>
          <Box sx={{ gridColumn: { md: 'span 3' } }}>
            <TextInput source="connection.host" label="Host" validate={required()} helperText="Name or address of the database server" fullWidth />
          </Box>
          <NumberInput source="connection.port" label="Port" helperText={help?.defaultPort ? `Default ${help.defaultPort}` : false} fullWidth />
          <Box sx={{ gridColumn: { md: 'span 2' } }}>
            <TextInput source="connection.user" label="User" validate={required()} placeholder={help?.exampleConnection.user} helperText=" " fullWidth />
          </Box>
          <Box sx={{ gridColumn: { md: 'span 2' } }}>
            <PasswordInput
              source="connection.password"
              label="Password"
              helperText={editing ? 'Leave empty to keep the stored password (only while host, port, user, database and SSL stay the same: the stored password is never sent to another server)' : 'Stored sealed (AES-256-GCM), never shown back'}
              fullWidth
              autoComplete="new-password"
            />
          </Box>
          <Box sx={{ gridColumn: { md: 'span 3' } }}>
            <TextInput
              source="connection.database"
              label={help?.databaseLabel ?? 'Database'}
              validate={required()}
              helperText={help?.exampleConnection.database ? `e.g. ${help.exampleConnection.database}` : ' '}
              fullWidth
            />
          </Box>
          <BooleanInput source="connection.ssl" label="SSL" helperText={false} sx={{ mt: 1 }} />
        </Box>
      )}
      {!sqlite && <TextInput source="schemas" label="Schemas" helperText={help?.schemasHelp ?? false} fullWidth />}

      <Box sx={{ width: '100%', mt: 1 }}>
        {test.state === 'ok' && (
          <Alert severity="success" icon={<CheckCircleIcon />} data-testid="test-result">
            {test.text}
          </Alert>
        )}
        {test.state === 'failed' && (
          <Alert severity="error" data-testid="test-result">
            <AlertTitle>Connection failed</AlertTitle>
            {test.text}
          </Alert>
        )}
        {failure && (
          <Alert severity="error" data-testid="form-error" sx={{ mt: 1 }}>
            <AlertTitle>{failure.title}</AlertTitle>
            {failure.lines.map((line) => (
              <div key={line}>{line}</div>
            ))}
          </Alert>
        )}
        {saving && (
          <Box sx={{ mt: 1 }} data-testid="saving">
            <LinearProgress />
            <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
              Connecting, reading the schema and building the APIs… {elapsed > 0 ? `${elapsed} s` : ''}
              {elapsed >= 5 ? ' (large schemas take a while; the other databases keep working meanwhile)' : ''}
            </Typography>
          </Box>
        )}
      </Box>
      <Box sx={{ display: 'flex', gap: 1, mt: 2, width: '100%' }}>
        <Button type="submit" variant="contained" startIcon={saving ? <CircularProgress size={16} color="inherit" /> : <SaveIcon />} disabled={saving}>
          {editing ? 'Save and reconnect' : 'Save and connect'}
        </Button>
        <Button variant="outlined" startIcon={test.state === 'running' ? <CircularProgress size={16} /> : <NetworkCheckIcon />} onClick={runTest} disabled={saving || test.state === 'running'}>
          Test connection
        </Button>
      </Box>
    </>
  );
}

/** Add a database (no name in the URL) or change one's connection. */
export function ConnectionForm() {
  const { name } = useParams();
  const editing = name !== undefined;
  const navigate = useNavigate();
  const notify = useNotify();
  const { reload, databases } = useRegistry();
  const [original, setOriginal] = useState<ConnectionValues | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<TestState>({ state: 'idle' });
  const [failure, setFailure] = useState<{ title: string; lines: string[] } | null>(null);
  const dialects = useDialects();

  useEffect(() => {
    if (!name) return;
    databasesApi.get(name).then(
      (db) => setOriginal(valuesFromDatabase(db)),
      (error: Error) => setLoadError(error.message),
    );
  }, [name]);

  const submit = async (raw: Record<string, unknown>) => {
    const values = raw as unknown as ConnectionValues;
    setFailure(null);
    setTest({ state: 'idle' });
    setSaving(true);
    try {
      if (editing) {
        const db = await databasesApi.update(name, specFromValues(values, true));
        await reload();
        notify(`${db.name} saved: ${db.tableCount} tables, ${db.viewCount} views`, { type: 'success' });
        navigate(`/db/${db.name}`);
      } else {
        const db = await databasesApi.register(specFromValues(values, false));
        await reload();
        notify(`${db.name} registered: ${db.tableCount} tables, ${db.viewCount} views`, { type: 'success' });
        navigate(`/db/${db.name}`);
      }
      return undefined;
    } catch (error) {
      if (!(error instanceof ApiError)) {
        setFailure({ title: 'Not saved', lines: [(error as Error).message] });
        return undefined;
      }
      if (error.status === 400) {
        const { errors, unplaced } = fieldErrors(error, values);
        setFailure({ title: 'Some fields need fixing', lines: unplaced.length > 0 ? unplaced : ['See the messages under the fields.'] });
        return errors;
      }
      if (error.status === 409) return { name: error.message };
      if (error.status === 422) {
        setFailure({ title: 'Could not connect', lines: [error.message] });
        // Put the reason where the fix goes too, when it is clear which field that is.
        const field = fieldForConnectionError(error.message, values);
        if (field) return { [field]: error.message };
        return undefined;
      }
      setFailure({ title: 'Not saved', lines: [error.message] });
      return undefined;
    } finally {
      setSaving(false);
    }
  };

  if (editing && loadError) return <Alert severity="error" sx={{ mt: 2 }}>{loadError}</Alert>;
  if (editing && !original) return <Loading />;
  // The form shows the dialects' examples and defaults: it waits for them (the server's first one is the default).
  const first = dialects.list?.[0];
  if (!first) return dialects.error ? <Alert severity="error" sx={{ mt: 2 }}>{dialects.error}</Alert> : <Loading />;
  const defaults: ConnectionValues = original ?? {
    name: '',
    dialect: first.dialect,
    mode: 'fields',
    connection: { host: first.exampleConnection.host ?? null, port: first.defaultPort, ssl: false },
    schemas: '',
  };
  const taken = editing ? undefined : (value: string) => (databases?.some((d) => d.name === value) ? 'A database with this name is already registered' : undefined);

  return (
    <Box sx={{ pb: 4, maxWidth: 960 }}>
      <Title title={editing ? `Edit ${name}` : 'Add database'} />
      <PageHeader
        crumbs={editing ? [{ label: 'Databases', to: '/' }, { label: name, to: `/db/${name}` }, { label: 'Connection' }] : [{ label: 'Databases', to: '/' }, { label: 'Add database' }]}
        title={editing ? `Connection of ${name}` : 'Add a database'}
        subtitle={
          editing
            ? 'Saving reconnects and reads the schema again; requests keep being served meanwhile.'
            : 'lazydb connects, reads the schema and serves GraphQL, REST and these screens for it at once. It never changes the database’s structure.'
        }
      />
      <Card variant="outlined" sx={{ mt: 2 }}>
        <CardContent>
          <Form defaultValues={defaults} record={original ?? undefined} onSubmit={submit} validate={(values) => {
              const message = taken?.(String(values.name ?? ''));
              return message ? { name: message } : {};
            }} sanitizeEmptyValues={false} disableInvalidFormNotification>
            <ConnectionFields editing={editing} original={original} test={test} setTest={setTest} saving={saving} failure={failure} />
          </Form>
        </CardContent>
      </Card>
    </Box>
  );
}
