import { describe, expect, it } from 'vitest';
import { normaliseDateTime, trimFraction } from '../../server/model/codec';
import { likeToGlob } from '../../server/introspect/sqlite/quirks';

describe('canonical temporal values', () => {
  it('writes date-times as ISO-8601 with only significant fractional digits', () => {
    expect(normaliseDateTime('2024-01-02 03:04:05.123456+02')).toBe('2024-01-02T03:04:05.123456+02:00');
    expect(normaliseDateTime('2024-01-02 03:04:05.500000')).toBe('2024-01-02T03:04:05.5');
    expect(normaliseDateTime('2024-01-02 03:04:05.000000')).toBe('2024-01-02T03:04:05');
    expect(normaliseDateTime('2024-01-02T03:04:05')).toBe('2024-01-02T03:04:05');
    expect(trimFraction('23:59:58.000000')).toBe('23:59:58');
    expect(trimFraction('23:59:58.010000+05:30')).toBe('23:59:58.01+05:30');
    expect(trimFraction('23:59:58.10')).toBe('23:59:58.1');
  });
});

describe('LIKE patterns on SQLite', () => {
  it('become the equivalent case-sensitive GLOB', () => {
    expect(likeToGlob('Ac%')).toBe('Ac*');
    expect(likeToGlob('a_c')).toBe('a?c');
    expect(likeToGlob('100\\%')).toBe('100%');
    expect(likeToGlob('a*b?[c]')).toBe('a[*]b[?][[]c]');
  });
});
