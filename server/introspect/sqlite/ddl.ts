/**
 * Just enough of a reader for SQLite's stored `CREATE TABLE` text to recover what the
 * pragmas do not expose: constraint names and `CHECK (col IN ('a', 'b'))` value lists.
 * It never has to understand the whole grammar: it tokenises, splits the definition list
 * on top-level commas and looks at the few shapes it knows. Anything else is ignored, so
 * an unusual statement only costs a synthesised name or a plain string column.
 */

export interface DdlFacts {
  /** Lower-cased column name -> allowed values of a simple `col IN (...)` CHECK. */
  enumChecks: Map<string, string[]>;
  /** Named UNIQUE constraints: name and columns as written. */
  uniqueNames: { name: string; columns: string[] }[];
  /** Named FOREIGN KEY constraints: name and local columns as written. */
  foreignKeyNames: { name: string; columns: string[] }[];
}

type Token =
  | { t: 'word'; v: string }
  | { t: 'id'; v: string }
  | { t: 'str'; v: string }
  | { t: 'other'; v: string };

const CONSTRAINT_STARTS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

export function readCreateTable(sql: string | null): DdlFacts {
  const facts: DdlFacts = { enumChecks: new Map(), uniqueNames: [], foreignKeyNames: [] };
  if (!sql) return facts;
  const tokens = tokenize(sql);
  const open = tokens.findIndex((token) => token.t === 'other' && token.v === '(');
  if (open < 0) return facts; // CREATE TABLE ... AS SELECT, or a virtual table without arguments
  for (const definition of splitTopLevel(tokens, open)) {
    const head = definition[0];
    if (!head) continue;
    if (head.t === 'word' && CONSTRAINT_STARTS.has(head.v.toUpperCase())) {
      readTableConstraint(definition, facts);
    } else {
      readColumnDefinition(definition, facts);
    }
  }
  return facts;
}

function readTableConstraint(tokens: Token[], facts: DdlFacts): void {
  let index = 0;
  let name: string | null = null;
  if (isWord(tokens[0], 'CONSTRAINT')) {
    name = identifier(tokens[1]);
    index = 2;
  }
  const keyword = tokens[index];
  if (isWord(keyword, 'UNIQUE')) {
    const columns = parenthesisedNames(tokens, index + 1);
    if (name && columns) facts.uniqueNames.push({ name, columns });
  } else if (isWord(keyword, 'FOREIGN') && isWord(tokens[index + 1], 'KEY')) {
    const columns = parenthesisedNames(tokens, index + 2);
    if (name && columns) facts.foreignKeyNames.push({ name, columns });
  } else if (isWord(keyword, 'CHECK')) {
    const check = inListCheck(tokens, index + 1);
    if (check) facts.enumChecks.set(check.column.toLowerCase(), check.values);
  }
}

function readColumnDefinition(tokens: Token[], facts: DdlFacts): void {
  const column = identifier(tokens[0]);
  if (!column) return;
  let pendingName: string | null = null;
  for (let index = 1; index < tokens.length; index += 1) {
    const token = tokens[index];
    if (isWord(token, 'CONSTRAINT')) {
      pendingName = identifier(tokens[index + 1]);
      index += 1;
      continue;
    }
    if (isWord(token, 'UNIQUE') && pendingName) {
      facts.uniqueNames.push({ name: pendingName, columns: [column] });
    } else if (isWord(token, 'REFERENCES') && pendingName) {
      facts.foreignKeyNames.push({ name: pendingName, columns: [column] });
    } else if (isWord(token, 'CHECK')) {
      const check = inListCheck(tokens, index + 1);
      if (check && check.column.toLowerCase() === column.toLowerCase()) {
        facts.enumChecks.set(column.toLowerCase(), check.values);
      }
    }
    if (token?.t === 'word' && isConstraintKeyword(token.v)) pendingName = null;
  }
}

function isConstraintKeyword(word: string): boolean {
  return ['PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS'].includes(
    word.toUpperCase(),
  );
}

/** `( col IN ( 'a' , 'b' ) )` starting at `start` (the opening parenthesis), nothing more. */
function inListCheck(tokens: Token[], start: number): { column: string; values: string[] } | null {
  if (!isPunct(tokens[start], '(')) return null;
  const column = identifier(tokens[start + 1]);
  if (!column || !isWord(tokens[start + 2], 'IN') || !isPunct(tokens[start + 3], '(')) return null;
  const values: string[] = [];
  let index = start + 4;
  for (;;) {
    const value = tokens[index];
    if (value?.t !== 'str') return null;
    values.push(value.v);
    const next = tokens[index + 1];
    if (isPunct(next, ',')) {
      index += 2;
      continue;
    }
    if (isPunct(next, ')') && isPunct(tokens[index + 2], ')')) return { column, values };
    return null;
  }
}

function parenthesisedNames(tokens: Token[], start: number): string[] | null {
  if (!isPunct(tokens[start], '(')) return null;
  const names: string[] = [];
  for (let index = start + 1; index < tokens.length; index += 1) {
    const token = tokens[index];
    if (isPunct(token, ')')) return names;
    if (isPunct(token, ',')) continue;
    const name = identifier(token);
    if (!name) return null;
    names.push(name);
    // Skip `COLLATE x` / `ASC` / `DESC` after a column in a UNIQUE list.
    while (tokens[index + 1] && !isPunct(tokens[index + 1], ',') && !isPunct(tokens[index + 1], ')')) index += 1;
  }
  return null;
}

/** The comma-separated definitions inside the parenthesis that opens at `open`. */
function splitTopLevel(tokens: Token[], open: number): Token[][] {
  const parts: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (let index = open + 1; index < tokens.length; index += 1) {
    const token = tokens[index] as Token;
    if (token.t === 'other' && token.v === '(') depth += 1;
    if (token.t === 'other' && token.v === ')') {
      if (depth === 0) break;
      depth -= 1;
    }
    if (depth === 0 && token.t === 'other' && token.v === ',') {
      parts.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  parts.push(current);
  return parts;
}

function identifier(token: Token | undefined): string | null {
  if (!token) return null;
  if (token.t === 'id' || token.t === 'word') return token.v;
  // SQLite accepts 'single-quoted' names where an identifier is expected.
  if (token.t === 'str') return token.v;
  return null;
}

function isWord(token: Token | undefined, word: string): boolean {
  return token?.t === 'word' && token.v.toUpperCase() === word;
}

function isPunct(token: Token | undefined, char: string): boolean {
  return token?.t === 'other' && token.v === char;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < sql.length) {
    const char = sql[index] as string;
    if (/\s/.test(char)) {
      index += 1;
    } else if (sql.startsWith('--', index)) {
      const end = sql.indexOf('\n', index);
      index = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', index)) {
      const end = sql.indexOf('*/', index + 2);
      index = end < 0 ? sql.length : end + 2;
    } else if (char === "'" || char === '"' || char === '`') {
      const { text, next } = quoted(sql, index, char);
      tokens.push(char === "'" ? { t: 'str', v: text } : { t: 'id', v: text });
      index = next;
    } else if (char === '[') {
      const end = sql.indexOf(']', index + 1);
      const stop = end < 0 ? sql.length : end;
      tokens.push({ t: 'id', v: sql.slice(index + 1, stop) });
      index = stop + 1;
    } else {
      const word = /^[\p{L}_][\p{L}\p{N}_$]*/u.exec(sql.slice(index, index + 256));
      if (word) {
        tokens.push({ t: 'word', v: word[0] });
        index += word[0].length;
      } else {
        const number = /^[0-9.][0-9a-zA-Z.]*/.exec(sql.slice(index, index + 64));
        const text = number ? number[0] : char;
        tokens.push({ t: 'other', v: text });
        index += text.length;
      }
    }
  }
  return tokens;
}

/** A quoted run starting at `start`; a doubled quote stands for itself. */
function quoted(sql: string, start: number, quote: string): { text: string; next: number } {
  let text = '';
  let index = start + 1;
  while (index < sql.length) {
    const char = sql[index] as string;
    if (char === quote) {
      if (sql[index + 1] === quote) {
        text += quote;
        index += 2;
        continue;
      }
      return { text, next: index + 1 };
    }
    text += char;
    index += 1;
  }
  return { text, next: index };
}
