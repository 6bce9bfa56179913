/** Text typed into a JSON editor, read as an object (a filter, a preset map): its value, or why it is not one. */
export type ParsedJson = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

export function parseJsonObject(text: string): ParsedJson {
  // An empty editor means an empty object: `{}` (a filter on every row, no presets).
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'Must be a JSON object: { … }' };
  return { ok: true, value: value as Record<string, unknown> };
}

/** How an object is shown in an editor: `{}` stays short, anything else indented. */
export function formatJson(value: unknown): string {
  if (value === undefined) return '';
  if (value !== null && typeof value === 'object' && Object.keys(value).length === 0) return '{}';
  return JSON.stringify(value, null, 2);
}
