import { describe, expect, it } from 'vitest';
import { DATA_TABLE_LIMITS, dataTable, markdownWithTables } from '../../src/slack/table-blocks.js';
import { numericValue, parseCsv, splitTables, toMarkdownTable } from '../../src/text/tables.js';

const mdTable = (rows: number, cols = 2, cell = (r: number, c: number) => `r${r}c${c}`) =>
  toMarkdownTable({
    header: Array.from({ length: cols }, (_, c) => `h${c}`),
    rows: Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => cell(r, c))),
  });

describe('splitTables', () => {
  it('finds a pipe table between prose, and the parts rejoin to the input exactly', () => {
    const md =
      'Growth by region:\n\n| Region | Growth |\n|:---|---:|\n| **EMEA** | +18.4 % |\n| AMER | 9.1 % |\n\nEMEA leads.';
    const parts = splitTables(md);
    expect(parts.map((p) => p.kind)).toEqual(['text', 'table', 'text']);
    expect(parts.map((p) => p.source).join('')).toBe(md);
    const table = parts[1]!.kind === 'table' ? parts[1]!.table : undefined;
    expect(table).toEqual({
      header: ['Region', 'Growth'],
      rows: [
        ['**EMEA**', '+18.4 %'],
        ['AMER', '9.1 %'],
      ],
    });
  });

  it('ignores tables inside fenced code, lines with pipes but no delimiter row, and keeps escaped pipes', () => {
    const fenced = '```\n| a | b |\n|---|---|\n| 1 | 2 |\n```';
    expect(splitTables(fenced).map((p) => p.kind)).toEqual(['text']);
    expect(splitTables('a | b\nc | d').map((p) => p.kind)).toEqual(['text']);
    const [part] = splitTables('| x | y |\n|---|---|\n| a \\| b | 2 | extra |\n| short |');
    expect(part!.kind === 'table' && part!.table.rows).toEqual([
      ['a | b', '2'],
      ['short', ''],
    ]);
  });
});

describe('numericValue', () => {
  it('reads the numbers people write in tables, and nothing else', () => {
    expect(numericValue('1,234.5')).toBe(1234.5);
    expect(numericValue('-3')).toBe(-3);
    expect(numericValue('$12')).toBe(12);
    expect(numericValue('+18.4 %')).toBe(18.4);
    expect(numericValue('2024-01-05')).toBeUndefined();
    expect(numericValue('12 apples')).toBeUndefined();
    expect(numericValue('1,23')).toBeUndefined();
  });
});

describe('parseCsv', () => {
  it('handles quotes, embedded newlines and CRLF, counts every row, keeps the first maxRows', () => {
    const csv = '\ufeffname,note\r\n"Smith, J","said ""hi""\nthen left"\r\nLee,\r\n\r\nKim,ok\n';
    const { table, totalRows } = parseCsv(csv, { maxRows: 2 });
    expect(totalRows).toBe(3);
    expect(table).toEqual({
      header: ['name', 'note'],
      rows: [
        ['Smith, J', 'said "hi"\nthen left'],
        ['Lee', ''],
      ],
    });
  });
});

describe('dataTable', () => {
  it('sends all-number columns as raw_number (Slack sorts them numerically) and fills empty cells', () => {
    const built = dataTable(
      {
        header: ['Region', 'Revenue'],
        rows: [
          ['EMEA', '1,200'],
          ['', '950'],
        ],
      },
      'Revenue',
    );
    expect(built?.block.rows).toEqual([
      [
        { type: 'raw_text', text: 'Region' },
        { type: 'raw_text', text: 'Revenue' },
      ],
      [
        { type: 'raw_text', text: 'EMEA' },
        { type: 'raw_number', value: 1200, text: '1,200' },
      ],
      [
        { type: 'raw_text', text: '—' },
        { type: 'raw_number', value: 950, text: '950' },
      ],
    ]);
  });

  it("stays within Slack's limits: 100 rows, 10,000 characters, 20 columns", () => {
    const long = { header: ['a'], rows: Array.from({ length: 500 }, (_, i) => [`row ${i}`]) };
    expect(dataTable(long, 'x')?.rows).toBe(DATA_TABLE_LIMITS.maxRows);
    const wide = { header: ['a'], rows: Array.from({ length: 50 }, () => ['x'.repeat(400)]) };
    const cut = dataTable(wide, 'x')!;
    expect(cut.rows).toBe(24); // 1 + 24 × 400 ≤ 10,000 < 1 + 25 × 400
    const tooWide = { header: Array.from({ length: 21 }, (_, i) => `c${i}`), rows: [Array(21).fill('1')] };
    expect(dataTable(tooWide, 'x')).toBeUndefined();
  });
});

describe('markdownWithTables', () => {
  it('puts each table that fits in a data_table captioned by the line above it, prose in markdown blocks', () => {
    const md = `## Revenue by region\n\n${mdTable(3)}\n\nDone.`;
    const blocks = markdownWithTables(md)!;
    expect(blocks.map((b) => b.type)).toEqual(['markdown', 'data_table', 'markdown']);
    expect(blocks[1]).toMatchObject({ type: 'data_table', caption: 'Revenue by region', page_size: 3 });
    expect(blocks[2]).toEqual({ type: 'markdown', text: 'Done.' });
  });

  it('captions a table by a lead-in line, else by its columns, never by ordinary prose', () => {
    const caption = (md: string) =>
      (markdownWithTables(md)!.find((b) => b.type === 'data_table') as { caption: string }).caption;
    expect(caption(`Growth by **region**:\n${mdTable(1)}`)).toBe('Growth by region');
    expect(caption(`EMEA grew fastest this year.\n\n${mdTable(1)}`)).toBe('h0 · h1');
  });

  it('keeps a table over the limits as Markdown, whole, and returns nothing when no table is native', () => {
    const big = mdTable(101);
    expect(markdownWithTables(`Intro\n\n${big}`)).toBeUndefined();
    const blocks = markdownWithTables(`${mdTable(2)}\n\n${big}`)!;
    expect(blocks.map((b) => b.type)).toEqual(['data_table', 'markdown']);
    expect((blocks[1] as { text: string }).text).toBe(big);
  });

  it('keeps the tables of one message under 10,000 characters together', () => {
    const t = mdTable(40, 2, () => 'x'.repeat(50)); // 4,000+ characters of cells
    const blocks = markdownWithTables(`${t}\n\ntwo\n\n${t}\n\nthree\n\n${t}`)!;
    expect(blocks.filter((b) => b.type === 'data_table')).toHaveLength(2);
    expect(blocks.at(-1)).toEqual({ type: 'markdown', text: `three\n\n${t}` });
  });
});
