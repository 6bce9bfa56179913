import simpleRestProvider from 'ra-data-simple-rest';
import { HttpError, type DataProvider } from 'react-admin';
import type { ResourceInfo } from '../model';
import { changedValues, errorMessage, translateRequest, translateResponse } from './adapter';

/** react-admin resource names are `db/<database>/<table>`: the URL of every screen carries both. */
export function resourceName(database: string, table: string): string {
  return `db/${database}/${table}`;
}

export function splitResourceName(name: string): { database: string; table: string } {
  const match = /^db\/([^/]+)\/(.+)$/.exec(name);
  if (!match) throw new Error(`not an admin resource: ${name}`);
  return { database: match[1]!, table: match[2]! };
}

type Lookup = (database: string, table: string) => ResourceInfo | undefined;

/**
 * The fetch that simple-rest calls, for one database: its URLs and bodies are rewritten to
 * lazydb's REST conventions, its answers get record ids, and lazydb's error messages reach
 * react-admin's notifications.
 */
export function lazydbHttpClient(database: string, apiUrl: string, lookup: Lookup) {
  return async (url: string, options: { method?: string; body?: unknown; headers?: HeadersInit; signal?: AbortSignal | null } = {}) => {
    const request = translateRequest(apiUrl, url, options.method ?? 'GET', typeof options.body === 'string' ? options.body : undefined, (table) =>
      lookup(database, table),
    );
    const headers = new Headers({ accept: 'application/json' });
    if (request.body !== undefined) headers.set('content-type', 'application/json');
    const response = await fetch(request.url, { method: request.method, headers, body: request.body, signal: options.signal ?? null });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) throw new HttpError(errorMessage(response.status, json, response.statusText), response.status, json);
    return { status: response.status, headers: response.headers, body: text, json: translateResponse(request, json) };
  };
}

/** One ra-data-simple-rest provider over one database's REST API. */
export function databaseProvider(database: string, lookup: Lookup): DataProvider {
  const apiUrl = `${window.location.origin}/db/${encodeURIComponent(database)}/rest`;
  const base = simpleRestProvider(apiUrl, lazydbHttpClient(database, apiUrl, lookup), 'X-Total-Count');
  return {
    ...base,
    // simple-rest sends the whole record; only what the form changed is written back.
    update: (resource, params) => base.update(resource, { ...params, data: changedValues(params.data, params.previousData) }),
  };
}

/**
 * The data provider react-admin sees: it picks the database's own provider from the
 * resource name, so each registered database has its own simple-rest provider.
 */
export function routingProvider(lookup: Lookup): DataProvider {
  const providers = new Map<string, DataProvider>();
  const forResource = (name: string) => {
    const { database, table } = splitResourceName(name);
    let provider = providers.get(database);
    if (!provider) {
      provider = databaseProvider(database, lookup);
      providers.set(database, provider);
    }
    return { provider, table };
  };
  const route =
    (method: keyof DataProvider) =>
    (resource: string, params: unknown): Promise<any> => {
      const { provider, table } = forResource(resource);
      const fn = provider[method] as (r: string, p: unknown) => Promise<unknown>;
      return fn(table, params);
    };
  return {
    getList: route('getList'),
    getOne: route('getOne'),
    getMany: route('getMany'),
    getManyReference: route('getManyReference'),
    create: route('create'),
    update: route('update'),
    updateMany: route('updateMany'),
    delete: route('delete'),
    deleteMany: route('deleteMany'),
  } as DataProvider;
}
