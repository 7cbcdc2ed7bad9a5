/**
 * XLSX receipts on workbooks written by real programs (issue 8): openpyxl, XlsxWriter, pandas and LibreOffice.
 * The fixtures are committed with the script that made them (test/fixtures/files/xlsx/make.py), as CI has none
 * of those programs.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DataProfile, formatReceipt, profileFile } from '../../src/files/profile/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'files', 'xlsx');

async function profile(name: string): Promise<DataProfile> {
  return profileFile(join(FIXTURES, name), 'xlsx');
}

async function receipt(name: string): Promise<string> {
  const path = join(FIXTURES, name);
  return formatReceipt(name, (await stat(path)).size, await profileFile(path, 'xlsx'));
}

describe('header row', () => {
  it('skips a title, a subtitle, a blank row and a source line: header on row 5, rows counted from there (XlsxWriter)', async () => {
    expect(await profile('xlsxwriter-title-rows.xlsx')).toEqual({
      kind: 'xlsx',
      sheets: ['Report'],
      rows: 4,
      columns: [
        { name: 'region', type: 'string', nulls: 0 },
        { name: 'day', type: 'date', nulls: 0 },
        { name: 'units', type: 'integer', nulls: 1 },
        { name: 'revenue', type: 'number', nulls: 0 },
      ],
      notes: ['header on row 5; 3 rows above it skipped (titles or notes)'],
    });
  });

  it('reads a two-row header, a merged group row above the names, as one name per column (XlsxWriter)', async () => {
    expect(await profile('xlsxwriter-merged-header.xlsx')).toEqual({
      kind: 'xlsx',
      sheets: ['Budget'],
      rows: 3,
      columns: [
        { name: 'region', type: 'string', nulls: 0 },
        { name: 'Sales / q1', type: 'integer', nulls: 0 },
        { name: 'Sales / q2', type: 'integer', nulls: 0 },
        { name: 'Costs / q1', type: 'integer', nulls: 0 },
        { name: 'Costs / q2', type: 'integer', nulls: 0 },
      ],
      notes: ['two-row header: group names on row 1 joined to the column names on row 2'],
    });
  });

  it('keeps the unnamed index column pandas writes first, named "(index)" (pandas to_excel)', async () => {
    expect(await profile('pandas-index.xlsx')).toEqual({
      kind: 'xlsx',
      sheets: ['Weather'],
      rows: 3,
      columns: [
        { name: '(index)', type: 'integer', nulls: 0 },
        { name: 'city', type: 'string', nulls: 0 },
        { name: 'temp', type: 'number', nulls: 0 },
        { name: 'rain', type: 'boolean', nulls: 0 },
      ],
      notes: ['the first non-empty row was read as the column names'],
    });
  });
});

describe('formulas', () => {
  it('never calls formulas without a cached value empty, and says Excel has not computed them (openpyxl)', async () => {
    const p = await profile('openpyxl-formulas.xlsx');
    expect(p.rows).toBe(3);
    expect(p.columns.at(-1)).toEqual({ name: 'total', type: 'formula', nulls: 0 });
    expect(p.notes).toContain(
      'formulas whose values Excel has not computed (saved by a program that does not calculate them): total (3 cells)',
    );
    const text = await receipt('openpyxl-formulas.xlsx');
    expect(text).toContain('`total` formulas (not computed)');
    expect(text).not.toMatch(/`total` empty|\(\d+ empty\)/);
  });

  it('says the same of a computed workbook that openpyxl re-saved, which drops the values', async () => {
    const p = await profile('openpyxl-resaved.xlsx');
    expect(p.columns.map((c) => c.type)).toEqual(['string', 'number', 'integer', 'formula']);
    expect(p.notes).toContain(
      'formulas whose values Excel has not computed (saved by a program that does not calculate them): total (3 cells)',
    );
  });

  it('types formulas by their cached values once a spreadsheet has computed them (LibreOffice re-save)', async () => {
    const p = await profile('libreoffice/formulas-recalculated.xlsx');
    expect(p.columns.at(-1)).toEqual({ name: 'total', type: 'number', nulls: 0 });
    expect(p.notes.join('\n')).not.toMatch(/formula/);
  });
});

describe('cell kinds from real writers', () => {
  // Rich text (shared strings with runs), dd/mm/yyyy dates, date-times, booleans, a row left out, cells skipped
  // in a row (`r` attributes), three sheets.
  const kinds: DataProfile = {
    kind: 'xlsx',
    sheets: ['Data', 'Empty', 'Other'],
    rows: 3,
    columns: [
      { name: 'name', type: 'string', nulls: 0 },
      { name: 'joined', type: 'date', nulls: 2 },
      { name: 'seen', type: 'datetime', nulls: 2 },
      { name: 'active', type: 'boolean', nulls: 0 },
      { name: 'score', type: 'number', nulls: 1 },
      { name: 'note', type: 'string', nulls: 2 },
    ],
    notes: ['profiled the first sheet, “Data”', 'the first non-empty row was read as the column names'],
  };

  it('reads XlsxWriter’s shared strings, rich text, dates, booleans, sparse rows and sheets', async () => {
    expect(await profile('xlsxwriter-kinds.xlsx')).toEqual(kinds);
  });

  it('reads the same workbook re-saved by LibreOffice (its own styles, booleans as TRUE() formulas)', async () => {
    expect(await profile('libreoffice/kinds-resaved.xlsx')).toEqual(kinds);
  });

  it('reads inline strings (XlsxWriter constant_memory); an empty string written is no cell', async () => {
    expect(await profile('xlsxwriter-inline-strings.xlsx')).toEqual({
      kind: 'xlsx',
      sheets: ['Log'],
      rows: 3,
      columns: [
        { name: 'level', type: 'string', nulls: 0 },
        { name: 'message', type: 'string', nulls: 1 },
        { name: 'count', type: 'integer', nulls: 0 },
      ],
      notes: ['the first non-empty row was read as the column names'],
    });
  });

  it('reads a CSV converted by LibreOffice: its dates are dates, the text it did not convert stays text', async () => {
    expect(await profile('libreoffice/from-csv.xlsx')).toEqual({
      kind: 'xlsx',
      sheets: ['libreoffice-source'],
      rows: 3,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'day', type: 'date', nulls: 0 },
        { name: 'time', type: 'string', nulls: 0 },
        { name: 'flag', type: 'string', nulls: 0 },
        { name: 'amount', type: 'number', nulls: 1 },
        { name: 'label', type: 'string', nulls: 1 },
      ],
      notes: ['the first non-empty row was read as the column names'],
    });
  });
});
