import { describe, expect, it } from 'vitest';
import { plural as receiptPlural } from '../../src/files/profile/wording.js';
import { COMMAND, plural } from '../../src/text/wording.js';

describe('plural', () => {
  it('uses the singular for exactly one, the plural otherwise (zero included)', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(0, 'file')).toBe('0 files');
    expect(plural(2, 'code run')).toBe('2 code runs');
    expect(plural(3, 'turn', (n) => `*${n}*`)).toBe('*3* turns');
  });

  it('receipts write the number with thousands separators', () => {
    expect(receiptPlural(1_250, 'row')).toBe('1,250 rows');
    expect(receiptPlural(1, 'row')).toBe('1 row');
  });
});

describe('thread command wording', () => {
  it('reset counts the files to re-attach, and says nothing of files when there are none', () => {
    expect(COMMAND.reset(1)).toMatch(/ 1 file will be re-attached with the next question\.$/);
    expect(COMMAND.reset(2)).toMatch(/ 2 files will be re-attached/);
    expect(COMMAND.reset(0)).toBe(
      '🧹 Started a fresh sandbox for this thread: earlier variables and intermediate files are gone.',
    );
  });

  it('retry quotes at most 200 characters of the question', () => {
    expect(COMMAND.retrying('x'.repeat(500))).toBe(`🔁 Retrying: “${'x'.repeat(200)}”`);
  });
});
