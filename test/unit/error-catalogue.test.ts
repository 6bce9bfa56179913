import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, fail, headersOf, statusOf } from '../../server/errors/catalogue';
import { REPO_ROOT } from '../helpers/databases';

describe('the error catalogue', () => {
  it('is the README table of errors, code for code, with the same status and headers', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const rows = new Map<string, { status: number; headers: string }>();
    for (const match of readme.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \| ([^|]*) \|/gm)) rows.set(match[1]!, { status: Number(match[2]), headers: match[3]!.trim() });
    expect([...rows.keys()].sort()).toEqual(Object.keys(CATALOGUE).sort());
    for (const [code, entry] of Object.entries(CATALOGUE)) {
      expect(rows.get(code)?.status, code).toBe(entry.status);
      const headers = Object.entries((entry as { headers?: Record<string, string> }).headers ?? {});
      for (const [name, value] of headers) expect(rows.get(code)?.headers.toLowerCase(), code).toContain(`${name}: ${value}`.toLowerCase());
      // A header whose value each answer sets (Retry-After of a rate limit) is named without one.
      const variable = (entry as { variableHeaders?: readonly string[] }).variableHeaders ?? [];
      for (const name of variable) expect(rows.get(code)?.headers, code).toContain(`\`${name}\``);
      if (headers.length === 0 && variable.length === 0) expect(rows.get(code)?.headers, code).toBe('—');
    }
  });

  it("answers a code's status and headers, and 500 with none for a code it does not know", () => {
    const error = fail('POOL_EXHAUSTED', 'busy');
    expect([error.status, error.code, error.headers]).toEqual([503, 'POOL_EXHAUSTED', { 'retry-after': '5' }]);
    expect(fail('METHOD_NOT_ALLOWED', 'no', {}, { allow: 'GET' }).headers).toEqual({ allow: 'GET' });
    expect([statusOf('LIMIT_TOO_LARGE'), statusOf('STATEMENT_TIMEOUT'), statusOf('nope'), statusOf('toString'), statusOf(undefined)]).toEqual([400, 504, 500, 500, 500]);
    expect(headersOf('__proto__')).toEqual({});
  });

  it('says what to do for every code', () => {
    for (const [code, entry] of Object.entries(CATALOGUE)) expect(entry.hint.length, code).toBeGreaterThan(10);
  });
});
