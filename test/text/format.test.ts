import { describe, expect, it } from 'vitest';
import { formatBytes, formatTokens, oneLine } from '../../src/text/format.js';

describe('formatTokens', () => {
  it('abbreviates thousands and millions', () => {
    expect([0, 999, 1_000, 12_345, 1_000_000, 2_560_000].map(formatTokens)).toEqual([
      '0',
      '999',
      '1k',
      '12.3k',
      '1M',
      '2.6M',
    ]);
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal below ten', () => {
    expect([512, 48 * 1024, 1.5 * 1024 * 1024, 200 * 1024 * 1024].map(formatBytes)).toEqual([
      '512 B',
      '48 KB',
      '1.5 MB',
      '200 MB',
    ]);
  });
});

describe('oneLine', () => {
  it('folds whitespace and cuts with an ellipsis', () => {
    expect(oneLine('a\n  b\tc', 10)).toBe('a b c');
    expect(oneLine('abcdefghij', 5)).toBe('abcd…');
  });
});
