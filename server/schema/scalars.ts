import { GraphQLScalarType, Kind, GraphQLError, valueFromASTUntyped, type ValueNode } from 'graphql';

/**
 * lazydb's scalars keep values exact: 64-bit integers and decimals travel as strings, dates
 * and times as ISO-8601 text with every fractional digit the database stored.
 * graphql-scalars is not used: its BigInt/DateTime convert through JS numbers and Date (losing
 * precision), and it loads `graphql` as CommonJS where lazydb loads it as ESM, which makes
 * graphql-js refuse its types as "from another realm".
 * The instances are shared by every database's schema, so a gateway can hold several schemas.
 */

function stringScalar(options: {
  name: string;
  description: string;
  pattern: RegExp;
  what: string;
  acceptNumbers?: boolean;
  check?: (text: string) => boolean;
  specifiedByURL?: string;
}): GraphQLScalarType {
  const coerce = (value: unknown): string => {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (options.acceptNumbers && typeof value === 'number' && Number.isFinite(value)) {
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new GraphQLError(`${options.name}: ${value} is beyond 2^53; send it as a string to keep it exact`);
      }
      text = String(value);
    } else if (options.acceptNumbers && typeof value === 'bigint') text = value.toString();
    else throw new GraphQLError(`${options.name} must be ${options.what}; got ${typeof value}`);
    if (!options.pattern.test(text) || (options.check && !options.check(text))) {
      throw new GraphQLError(`${options.name} must be ${options.what}; got "${text.slice(0, 60)}"`);
    }
    return text;
  };
  return new GraphQLScalarType({
    name: options.name,
    description: options.description,
    specifiedByURL: options.specifiedByURL,
    serialize: (value) => (typeof value === 'string' ? value : String(value)),
    parseValue: coerce,
    parseLiteral(ast: ValueNode) {
      if (ast.kind === Kind.STRING) return coerce(ast.value);
      if (options.acceptNumbers && (ast.kind === Kind.INT || ast.kind === Kind.FLOAT)) return coerce(ast.value);
      throw new GraphQLError(`${options.name} must be ${options.what}`, { nodes: [ast] });
    },
  });
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

export const BigIntScalar = stringScalar({
  name: 'BigInt',
  description: 'A 64-bit integer, serialised as a string so no digit is lost. Input: string or integer.',
  pattern: /^-?\d{1,20}$/,
  what: 'a whole number (as a string for values beyond 2^53)',
  acceptNumbers: true,
  check: (text) => {
    const n = BigInt(text);
    return n >= INT64_MIN && n <= UINT64_MAX;
  },
});

export const DecimalScalar = stringScalar({
  name: 'Decimal',
  description: 'An exact decimal number, serialised as a string (e.g. "12345.678900").',
  pattern: /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/,
  what: 'a decimal number such as "12.50"',
  acceptNumbers: true,
});

function validCalendarDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const TIME = '([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,9})?)?';
const OFFSET = '([Zz]|[+-]\\d\\d(:?\\d\\d)?)';

/** What the Time and DateTime scalars accept as input (the OpenAPI document publishes the same patterns). */
export const TIME_INPUT = new RegExp(`^${TIME}${OFFSET}?$`);
export const DATE_TIME_INPUT = new RegExp(`^\\d{4}-\\d{2}-\\d{2}[Tt ]${TIME}${OFFSET}?$`);

export const DateScalar = stringScalar({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD.',
  pattern: /^\d{4}-\d{2}-\d{2}$/,
  what: 'a date as YYYY-MM-DD',
  check: validCalendarDate,
});

export const TimeScalar = stringScalar({
  name: 'Time',
  description: 'A time of day, HH:MM[:SS[.fraction]] with an optional offset.',
  pattern: TIME_INPUT,
  what: 'a time as HH:MM:SS[.ffffff]',
});

export const DateTimeScalar = stringScalar({
  name: 'DateTime',
  description:
    'A date and time, ISO-8601 (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]). Columns without a time zone are returned without an offset.',
  pattern: DATE_TIME_INPUT,
  what: 'an ISO-8601 date-time such as 2024-05-01T12:30:00Z',
  check: validCalendarDate,
});

export const BytesScalar = stringScalar({
  name: 'Bytes',
  description: 'Binary data, base64-encoded.',
  pattern: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  what: 'base64-encoded bytes',
});

export const UUIDScalar = stringScalar({
  name: 'UUID',
  description: 'A UUID such as a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11.',
  pattern: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  what: 'a UUID (8-4-4-4-12 hex digits)',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc9562',
});

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value: object, array, string, number, boolean or null.',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc8259',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

export const LAZYDB_SCALARS = [
  BigIntScalar,
  DecimalScalar,
  DateScalar,
  TimeScalar,
  DateTimeScalar,
  BytesScalar,
  JSONScalar,
  UUIDScalar,
];
