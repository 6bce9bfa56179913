import { createHash } from 'node:crypto';
import { Kind, print, visit, type DocumentNode } from 'graphql';

/** How much of an operation's text is kept as its sample. */
const SAMPLE_CHARS = 500;

/** An operation as the usage history knows it: a hash of its normalised text, and that text, cut short. */
export interface OperationShape {
  hash: string;
  sample: string;
}

const shapes = new WeakMap<DocumentNode, OperationShape>();

/**
 * The document with every literal argument value replaced by `_` (so `limit: 2` and `limit: 3`
 * are one operation, and values a client typed in never reach the registry), printed, hashed.
 * Computed once per document: parsed documents are cached and shared between requests.
 */
export function operationShapeOf(document: DocumentNode): OperationShape {
  const known = shapes.get(document);
  if (known) return known;
  const placeholder = { kind: Kind.ENUM, value: '_' } as const;
  const normalised = visit(document, {
    IntValue: () => placeholder,
    FloatValue: () => placeholder,
    StringValue: () => placeholder,
    BooleanValue: () => placeholder,
    EnumValue: (node) => (node.value === '_' ? undefined : placeholder),
    ListValue: () => placeholder,
    ObjectValue: () => placeholder,
  });
  const text = print(normalised).replace(/\s+/g, ' ').trim();
  const shape = { hash: createHash('sha256').update(text).digest('hex').slice(0, 16), sample: text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS)}…` : text };
  shapes.set(document, shape);
  return shape;
}
