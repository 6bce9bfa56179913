import { createHash } from 'node:crypto';
import type { DocumentNode } from 'graphql';
import type { YogaServerOptions } from 'graphql-yoga';

/**
 * Parsed, validated and compiled GraphQL documents, kept for reuse within a byte budget
 * (LAZYDB_DOCUMENT_CACHE_BYTES) shared by every schema and every GraphQL path (the fast path,
 * and yoga's parser cache for each endpoint). Keys are hashes: a document's text is never a
 * key, so a client cannot make the cache hold texts it does not also pay bytes for. The least
 * recently used entries go first; an entry larger than the whole budget is not kept at all.
 *
 * Sizes are estimates (V8 does not say how much an object graph holds); see
 * {@link estimateDocumentBytes} and {@link COMPILED_BYTES_PER_SELECTION}.
 */
export class DocumentCache {
  // A Map keeps insertion order: re-inserting on every hit makes its first entry the least recently used.
  private readonly entries = new Map<string, { value: unknown; bytes: number }>();
  private total = 0;
  /** The key last inserted or moved to the end of `entries` (undefined when unknown). */
  private newest: string | undefined;

  constructor(readonly maxBytes: number) {}

  /** The estimated bytes held now (always at most maxBytes). */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Already the most recently used (the common case: one document asked over and over): no reordering.
    if (key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = key;
    }
    return entry.value as T;
  }

  set(key: string, value: unknown, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.newest = key;
    this.total += bytes;
    this.evict();
  }

  /** An entry now holds more (a compilation for one more schema): charges it, evicting as needed. */
  grow(key: string, bytes: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.bytes += bytes;
    this.total += bytes;
    if (entry.bytes > this.maxBytes) this.delete(key);
    this.evict();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    if (key === this.newest) this.newest = undefined;
    this.total -= entry.bytes;
  }

  private evict(): void {
    while (this.total > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }
}

/** Inputs of at most this many characters have their key remembered (see documentKey). */
const REMEMBERED_KEY_INPUT = 2048;
/** How many keys are remembered (at most about 1 MB of inputs). */
const REMEMBERED_KEYS = 256;
const rememberedKeys = new Map<string, string>();

/**
 * sha256 of the parts; each is length-prefixed, so that no two lists of parts hash alike.
 * Nearly every request repeats a small document, and hashing costs more than the rest of a
 * cache hit: the keys of small inputs are remembered (a bounded map, emptied when full).
 */
export function documentKey(...parts: (string | undefined)[]): string {
  let input = '';
  for (const part of parts) input += part === undefined ? '-;' : `${part.length};${part}`;
  const remembered = input.length <= REMEMBERED_KEY_INPUT;
  if (remembered) {
    const known = rememberedKeys.get(input);
    if (known !== undefined) return known;
  }
  const key = createHash('sha256').update(input).digest('base64url');
  if (remembered) {
    if (rememberedKeys.size >= REMEMBERED_KEYS) rememberedKeys.clear();
    rememberedKeys.set(input, key);
  }
  return key;
}

/**
 * Bytes charged for a parsed document. Measured with graphql 16 on Node 20 (heap growth after
 * a forced GC): the AST takes about 300 bytes per token (a node and a location per token, more
 * for fields), and it keeps the text itself (`loc.source`), up to 2 bytes a character. The text
 * length alone misjudges by two orders of magnitude: 1 MB of one string literal parses to about
 * 1 MB, 1 MB of aliased fields to about 90 MB. The fixed part covers the entry's own objects.
 */
export function estimateDocumentBytes(textLength: number, tokens: number): number {
  return 1024 + 2 * textLength + 300 * tokens;
}

/**
 * Bytes charged per field selection (fragments spread out) for a graphql-jit compilation:
 * measured 1.2–2.1 KB (generated source, compiled code and closures), rounded up.
 */
export const COMPILED_BYTES_PER_SELECTION = 2500;

/** Bytes charged for a document prepared to run on graphql-js (the plan is the AST itself). */
export const INTERPRETED_BYTES = 512;

type YogaParserCache = Exclude<YogaServerOptions<object, object>['parserAndValidationCache'], boolean | undefined>;

/**
 * graphql-yoga's parser cache (parsed documents and parse errors, by text), kept in `cache`
 * instead of yoga's own, which holds 1,024 entries of any size keyed by their full text.
 * `tokensOf` tells the token count of a document this process parsed (for its size).
 */
export function yogaParserCache(cache: DocumentCache, tokensOf: (document: DocumentNode) => number | undefined): YogaParserCache {
  return {
    documentCache: {
      get: (text) => cache.get<DocumentNode>(`yoga:${documentKey(text)}`),
      set: (text, document) => cache.set(`yoga:${documentKey(text)}`, document, estimateDocumentBytes(text.length, tokensOf(document) ?? text.length)),
    },
    errorCache: {
      get: (text) => cache.get(`yoga-error:${documentKey(text)}`),
      // A syntax error keeps the text (its `source`); the refusals of use-document-limits keep nothing.
      set: (text, error) => cache.set(`yoga-error:${documentKey(text)}`, error, estimateDocumentBytes(text.length, 0)),
    },
  };
}
