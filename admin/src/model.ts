/**
 * The JSON the admin reads from the management API (server/admin-api): the list of databases,
 * per database its model with `resources` (how each table is exposed), and the dialects. The
 * types are the server's own (server/admin-api/types.ts, types only: erased from the bundle).
 * Kept free of React so the data-provider adapter and its unit tests can use it.
 */
import type { ResourceInfo } from '../../server/admin-api/types';

export type {
  ApiErrorBody,
  ConnectionTestResult,
  DatabaseInfo,
  DatabaseList,
  DatabaseModel,
  DatabaseStatus,
  Dialect,
  DialectInfo,
  DialectList,
  FieldError,
  FieldInfo,
  RefreshResult,
  RelationInfo,
  RemoveResult,
  ReportEntry,
  ResourceInfo,
  ScalarKind,
  UsageFigures,
  UsagePoint,
  UsageReport,
  UsageStep,
} from '../../server/admin-api/types';

/** What a table can do in the UI, and why not when it cannot. */
export function capabilities(resource: ResourceInfo): { open: boolean; create: boolean; edit: boolean; remove: boolean; reason: string | null } {
  if (resource.kind === 'view') {
    return { open: false, create: false, edit: false, remove: false, reason: 'This is a view: lazydb serves it read-only (queries only, no inserts, updates or deletes).' };
  }
  if (!resource.writable) {
    return { open: resource.primaryKey.length > 0, create: false, edit: false, remove: false, reason: 'This table is read-only in lazydb (see the introspection report for why).' };
  }
  if (resource.primaryKey.length === 0) {
    return {
      open: false,
      create: false,
      edit: false,
      remove: false,
      reason:
        'This table has no primary key: a row cannot be addressed on its own, so the admin shows the table read-only (rows can still be inserted through its REST or GraphQL API).',
    };
  }
  // A role's catalogue (GET /api/auth/databases) leaves out the writes its rules do not give.
  const { graphql } = resource;
  return { open: true, create: graphql?.insert !== null, edit: graphql?.updateByPk !== null, remove: graphql?.deleteByPk !== null, reason: null };
}
