import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import OpenInNewIcon from '@mui/icons-material/OpenInNew';
import { Accordion, AccordionDetails, AccordionSummary, Box, Button, Chip, IconButton, Stack, Tab, Tabs, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import type { FieldInfo, ResourceInfo } from '../model';
import { idParts } from '../rest/adapter';

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace', fontSize: '0.8rem' } as const;

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not a secure context or no permission: fall back to a hidden text area.
    const area = document.createElement('textarea');
    area.value = text;
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function CopyBlock({ text, label }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Box sx={{ position: 'relative', mb: 1.5 }}>
      {label && (
        <Typography variant="caption" sx={{ color: 'text.secondary', display: 'block', mb: 0.5 }}>
          {label}
        </Typography>
      )}
      <Box component="pre" sx={{ ...mono, m: 0, p: 1.5, pr: 6, bgcolor: 'grey.100', border: 1, borderColor: 'divider', borderRadius: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {text}
      </Box>
      <Tooltip title={copied ? 'Copied' : 'Copy'}>
        <IconButton
          size="small"
          aria-label={`copy ${label ?? 'example'}`}
          sx={{ position: 'absolute', right: 6, bottom: 6 }}
          onClick={async () => {
            setCopied(await copy(text));
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          <ContentCopyIcon fontSize="inherit" />
        </IconButton>
      </Tooltip>
    </Box>
  );
}

function sampleValue(field: FieldInfo): unknown {
  switch (field.kind) {
    case 'int':
      return 1;
    case 'float':
      return 1.5;
    case 'bigint':
      return '1';
    case 'decimal':
      return '9.99';
    case 'boolean':
      return true;
    case 'date':
      return '2024-01-31';
    case 'time':
      return '12:30:00';
    case 'datetime':
      return '2024-01-31T12:30:00';
    case 'json':
      return { key: 'value' };
    case 'uuid':
      return '123e4567-e89b-12d3-a456-426614174000';
    case 'bytes':
      return 'AAEC';
    case 'enum':
      return field.enumValues?.[0] ?? 'value';
    default:
      return field.length && field.length < 6 ? 'abc'.slice(0, field.length) : 'text';
  }
}

function graphqlLiteral(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${graphqlLiteral(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

interface Props {
  database: string;
  resource: ResourceInfo;
  /** A record id: examples then use this row's key instead of placeholders. */
  id?: string | number;
  record?: Record<string, unknown>;
  defaultExpanded?: boolean;
}

/** The REST routes and GraphQL operations of one table, with copyable examples (what a browsable API shows). */
export function Endpoints({ database, resource, id, record, defaultExpanded = false }: Props) {
  const [tab, setTab] = useState(0);
  const origin = window.location.origin;
  const base = `${origin}${resource.rest}`;
  const key = resource.primaryKey;
  const keyValues = id !== undefined && key.length > 0 ? idParts(resource, id) : key.map((k) => `<${k}>`);
  const keyPath = keyValues.map((v) => (v.startsWith('<') ? v : encodeURIComponent(v))).join('/');
  const writable = resource.fields.filter((f) => f.writable && !f.autoIncrement && !f.generated);
  const requiredFields = writable.filter((f) => f.required);
  const bodyFields = (requiredFields.length > 0 ? requiredFields : writable).slice(0, 4);
  const body = Object.fromEntries(bodyFields.map((f) => [f.name, sampleValue(f)]));
  const patchField = writable.find((f) => !key.includes(f.name));
  const patch = patchField ? { [patchField.name]: record?.[patchField.name] ?? sampleValue(patchField) } : {};
  const listFields = resource.fields.slice(0, 6).map((f) => f.name);
  const firstSortable = resource.fields.find((f) => !key.includes(f.name) && f.kind === 'string')?.name ?? resource.fields[0]?.name ?? '';
  const keyArgs = key
    .map((k, i) => {
      const field = resource.fields.find((f) => f.name === k)!;
      const raw = keyValues[i]!;
      const literal = raw.startsWith('<') ? sampleValue(field) : field.kind === 'int' || field.kind === 'float' ? Number(raw) : raw;
      return `${k}: ${JSON.stringify(literal)}`;
    })
    .join(', ');
  const gql = resource.graphql;
  const graphiql = `/db/${database}/graphql`;

  const rest: { method: string; path: string; what: string; curl: string }[] = [
    {
      method: 'GET',
      path: `${resource.rest}?limit=25&offset=0&order_by=${firstSortable}.asc`,
      what: 'list (filters: where=<JSON>, <field>=<value>; X-Total-Count header)',
      curl: `curl -s '${base}?limit=25&order_by=${firstSortable}.asc'`,
    },
  ];
  if (key.length > 0) rest.push({ method: 'GET', path: `${resource.rest}/${keyPath}`, what: 'one row by key', curl: `curl -s '${base}/${keyPath}'` });
  if (gql.insertOne) {
    rest.push({ method: 'POST', path: resource.rest, what: 'create', curl: `curl -s '${base}' -H 'content-type: application/json' \\\n  -d '${JSON.stringify(body)}'` });
  }
  if (gql.updateByPk) {
    rest.push({
      method: 'PATCH',
      path: `${resource.rest}/${keyPath}`,
      what: 'change fields',
      curl: `curl -s -X PATCH '${base}/${keyPath}' -H 'content-type: application/json' \\\n  -d '${JSON.stringify(patch)}'`,
    });
  }
  if (gql.deleteByPk) rest.push({ method: 'DELETE', path: `${resource.rest}/${keyPath}`, what: 'delete', curl: `curl -s -X DELETE '${base}/${keyPath}'` });

  const operations: { name: string; text: string }[] = [
    { name: gql.list, text: `query {\n  ${gql.list}(limit: 10, order_by: [{ ${firstSortable}: asc }]) {\n    ${listFields.join('\n    ')}\n  }\n}` },
    { name: gql.aggregate, text: `query {\n  ${gql.aggregate} { aggregate { count } }\n}` },
  ];
  if (gql.byPk) operations.push({ name: gql.byPk, text: `query {\n  ${gql.byPk}(${keyArgs}) {\n    ${listFields.join('\n    ')}\n  }\n}` });
  if (gql.insertOne) {
    operations.push({ name: gql.insertOne, text: `mutation {\n  ${gql.insertOne}(object: ${graphqlLiteral(body)}) {\n    ${key.join('\n    ') || listFields[0]}\n  }\n}` });
  }
  if (gql.updateByPk && patchField) {
    operations.push({
      name: gql.updateByPk,
      text: `mutation {\n  ${gql.updateByPk}(pk_columns: { ${keyArgs} }, _set: ${graphqlLiteral(patch)}) {\n    ${[...key, patchField.name].join('\n    ')}\n  }\n}`,
    });
  }
  if (gql.deleteByPk) operations.push({ name: gql.deleteByPk, text: `mutation {\n  ${gql.deleteByPk}(${keyArgs}) {\n    ${key.join('\n    ')}\n  }\n}` });
  const curlGraphql = `curl -s '${origin}${graphiql}' -H 'content-type: application/json' \\\n  -d '${JSON.stringify({ query: operations[id !== undefined && gql.byPk ? 2 : 0]!.text.replace(/\s+/g, ' ') })}'`;

  return (
    <Accordion defaultExpanded={defaultExpanded} disableGutters variant="outlined" sx={{ mt: 2, '&:before': { display: 'none' } }} data-testid="endpoints">
      <AccordionSummary expandIcon={<ExpandMoreIcon />}>
        <Stack direction="row" spacing={1} alignItems="center">
          <Typography variant="subtitle1" fontWeight={600}>
            API endpoints
          </Typography>
          <Typography variant="body2" color="text.secondary">
            REST {resource.rest} · GraphQL {gql.list}
          </Typography>
        </Stack>
      </AccordionSummary>
      <AccordionDetails>
        <Stack direction="row" spacing={1} sx={{ mb: 2 }}>
          <Button size="small" variant="outlined" href={`/db/${database}/docs`} target="_blank" endIcon={<OpenInNewIcon />}>
            REST docs
          </Button>
          <Button size="small" variant="outlined" href={`${graphiql}?query=${encodeURIComponent(operations[0]!.text)}`} target="_blank" endIcon={<OpenInNewIcon />}>
            Open in GraphiQL
          </Button>
          <Button size="small" href={`/db/${database}/openapi.json`} target="_blank" endIcon={<OpenInNewIcon />}>
            OpenAPI
          </Button>
        </Stack>
        <Tabs value={tab} onChange={(_e, v: number) => setTab(v)} sx={{ mb: 2, minHeight: 36, '& .MuiTab-root': { minHeight: 36 } }}>
          <Tab label="REST" />
          <Tab label="GraphQL" />
        </Tabs>
        {tab === 0 && (
          <Box>
            {rest.map((route) => (
              <Box key={`${route.method} ${route.path}`} sx={{ mb: 1 }}>
                <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 0.5 }}>
                  <Chip size="small" label={route.method} color={route.method === 'GET' ? 'info' : route.method === 'DELETE' ? 'error' : 'success'} sx={{ fontWeight: 600, minWidth: 64 }} />
                  <Box component="code" sx={mono}>
                    {route.path}
                  </Box>
                  <Typography variant="body2" color="text.secondary">
                    {route.what}
                  </Typography>
                </Stack>
                <CopyBlock text={route.curl} />
              </Box>
            ))}
          </Box>
        )}
        {tab === 1 && (
          <Box>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
              Endpoint <code>{graphiql}</code> (this database) or <code>/graphql</code> under <code>{database} {'{ … }'}</code>.
            </Typography>
            <Box sx={{ display: 'grid', gridTemplateColumns: { md: '1fr 1fr' }, columnGap: 2 }}>
              {operations.map((op) => (
                <CopyBlock key={op.name} label={op.name} text={op.text} />
              ))}
            </Box>
            <CopyBlock label="with curl" text={curlGraphql} />
          </Box>
        )}
      </AccordionDetails>
    </Accordion>
  );
}
