/**
 * Upload receipts: profiles of real files generated here (CSV/TSV/text in several encodings, JSON, JSON Lines,
 * an XLSX zip and a Parquet footer built byte by byte), a 50 MB CSV profiled with bounded memory, and the receipt.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataKind } from '../../src/files/formats.js';
import { type DataProfile, formatReceipt, profileFile } from '../../src/files/profile/index.js';
import { bin, type Field, int, list, parquetFile, struct, T } from '../support/thrift-builder.js';
import { MAIN_NS, workbook } from '../support/xlsx-builder.js';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'profile-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fileWith(content: string | Buffer, ext = 'dat'): Promise<string> {
  counter += 1;
  const path = join(dir, `file-${counter}.${ext}`);
  await writeFile(path, content);
  return path;
}

async function profile(content: string | Buffer, kind: DataKind, opts?: { maxRows?: number }) {
  return profileFile(await fileWith(content, kind), kind, opts);
}

describe('CSV', () => {
  it('gives exact rows, columns, types and empty counts, quoted fields included', async () => {
    const csv = [
      'id,city,revenue,note,when,flag,blank,code',
      '1,"Paris, FR",10.5,"said ""hi""",2024-01-05,true,,1',
      '2,Berlin,99,"two\r\nlines, and a comma",2024-01-06T10:00:00Z,no,NA,x',
      '3,"Oslo",NA,,2024-01-07,YES,,2',
      '4,Rome,12.5e3,plain,,false,n/a,3',
    ].join('\r\n');
    const p = await profile(csv, 'csv');
    expect(p).toEqual({
      kind: 'csv',
      rows: 4,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'city', type: 'string', nulls: 0 },
        { name: 'revenue', type: 'number', nulls: 1 },
        { name: 'note', type: 'string', nulls: 1 },
        { name: 'when', type: 'datetime', nulls: 1 },
        { name: 'flag', type: 'boolean', nulls: 0 },
        { name: 'blank', type: 'empty', nulls: 4 },
        { name: 'code', type: 'mixed', nulls: 0 },
      ],
      delimiter: ',',
      encoding: 'utf-8',
      notes: [],
    });
  });

  it('treats empty, NA, N/A, null, NULL, NaN and None as empty, in any case', async () => {
    const p = await profile('a,b\n1,\n2,NA\n3,n/a\n4,null\n5,NULL\n6,nan\n7,None\n8, \n', 'csv');
    expect(p.rows).toBe(8);
    expect(p.columns[1]).toEqual({ name: 'b', type: 'empty', nulls: 8 });
  });

  it('tells integers, numbers, dates and date-times apart', async () => {
    const p = await profile(
      'i,n,d,dt,s\n-3,+1.5,2024-02-29,2024-02-29 23:59,2024-13-01\n42,.5,1999-12-31,2024-02-29T23:59:59.123+01:00,12:00\n',
      'csv',
    );
    expect(p.columns.map((c) => c.type)).toEqual(['integer', 'number', 'date', 'datetime', 'string']);
  });

  it('skips blank lines, names unnamed columns and notes ragged rows', async () => {
    const p = await profile('a,,c\n\n1,2,3\n4,5\n\n6,7,8,9\n', 'csv');
    expect(p.rows).toBe(3);
    expect(p.columns).toEqual([
      { name: 'a', type: 'integer', nulls: 0 },
      { name: 'column_2', type: 'integer', nulls: 0 },
      { name: 'c', type: 'integer', nulls: 1 },
      { name: 'column_4', type: 'integer', nulls: 2 },
    ]);
    expect(p.notes).toContain('2 rows have a different number of fields than the header (first: data row 2)');
  });

  it('detects semicolons, and decimal commas as numbers (issue 8)', async () => {
    const p = await profile('name;price;day\nann;1,5;2024-01-01\nbob;2,25;2024-01-02\n', 'csv');
    expect(p.delimiter).toBe(';');
    expect(p.rows).toBe(2);
    expect(p.columns).toEqual([
      { name: 'name', type: 'string', nulls: 0 },
      { name: 'price', type: 'number', nulls: 0, format: 'decimal comma' },
      { name: 'day', type: 'date', nulls: 0 },
    ]);
  });

  it('detects tabs, in a .tsv and in a .csv', async () => {
    const tsv = 'name\tscore\tcomment\nann\t1\tsee, this\nbob\t\tok\n';
    for (const kind of ['tsv', 'csv'] as const) {
      const p = await profile(tsv, kind);
      expect(p.delimiter).toBe('\t');
      expect(p.rows).toBe(2);
      expect(p.columns).toEqual([
        { name: 'name', type: 'string', nulls: 0 },
        { name: 'score', type: 'integer', nulls: 1 },
        { name: 'comment', type: 'string', nulls: 0 },
      ]);
    }
  });

  it('detects pipes, and honours an Excel sep= line', async () => {
    expect((await profile('a|b\n1|2\n', 'csv')).delimiter).toBe('|');
    const p = await profile('sep=;\na;b\n1;2\n', 'csv');
    expect(p.delimiter).toBe(';');
    expect(p.rows).toBe(1);
    expect(p.columns.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('strips a UTF-8 BOM and says so', async () => {
    const p = await profile(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,age\nÅsa,30\n')]),
      'csv',
    );
    expect(p.encoding).toBe('utf-8 (BOM)');
    expect(p.columns).toEqual([
      { name: 'name', type: 'string', nulls: 0 },
      { name: 'age', type: 'integer', nulls: 0 },
    ]);
  });

  it('reads UTF-16 with and without a BOM, and guesses Latin-1', async () => {
    const le = await profile(Buffer.from('\uFEFFcity;n\nZürich;1\nGenève;2\n', 'utf16le'), 'csv');
    expect(le).toMatchObject({ encoding: 'utf-16le', delimiter: ';', rows: 2 });
    expect(le.columns.map((c) => c.name)).toEqual(['city', 'n']);

    const bare = await profile(Buffer.from('a,b\n1,2\n3,4\n', 'utf16le'), 'csv');
    expect(bare).toMatchObject({ encoding: 'utf-16le (guessed)', rows: 2 });

    const be = Buffer.from('\uFEFFa,b\n1,2\n', 'utf16le').swap16();
    expect(await profile(be, 'csv')).toMatchObject({ encoding: 'utf-16be', rows: 1 });

    const latin = await profile(Buffer.from('name,city\nJosé,Zürich\n', 'latin1'), 'csv');
    expect(latin).toMatchObject({ encoding: 'latin-1 (guessed)', rows: 1 });
  });

  it('types only the first maxRows rows but counts them all', async () => {
    const lines = ['n'];
    for (let i = 0; i < 10; i++) lines.push(i < 3 ? String(i) : 'text');
    const p = await profile(`${lines.join('\n')}\n`, 'csv', { maxRows: 3 });
    expect(p.rows).toBe(10);
    expect(p.columns).toEqual([{ name: 'n', type: 'integer', nulls: 0 }]);
    expect(p.notes).toContain('types and empty counts inferred from the first 3 rows');
  });

  it('handles empty, header-only and unbalanced-quote files without throwing', async () => {
    expect(await profile('', 'csv')).toMatchObject({ rows: 0, columns: [], notes: ['the file is empty'] });
    expect(await profile('a,b,c', 'csv')).toMatchObject({ rows: 0, delimiter: ',' });
    const p = await profile('a,b\n1,"oops\n2,3\n', 'csv');
    expect(p.rows).toBe(1);
    expect(p.notes).toContain('the file ends inside a quoted field (an unbalanced quote?)');
  });

  it('counts lines of plain text with no delimiter, and profiles delimited .txt', async () => {
    const text = await profile('hello world\nsecond line\nthird', 'txt');
    expect(text).toMatchObject({ kind: 'txt', rows: 3, columns: [], encoding: 'utf-8' });
    expect(text.delimiter).toBeUndefined();
    const table = await profile('a;b\n1;2\n3;4\n', 'txt');
    expect(table).toMatchObject({ rows: 2, delimiter: ';' });
  });

  it('reads a 50 MB CSV with bounded memory', { timeout: 120_000 }, async () => {
    // One block of rows written over and over; its length is a multiple of 485 (5 × 97), the period of the
    // empty and multi-line comments, so every row's content depends only on its index.
    const blockRows = 485 * 20;
    const lines: string[] = [];
    for (let i = 0; i < blockRows; i++) {
      const comment = i % 97 === 0 ? '"multi\nline, quoted"' : i % 5 === 0 ? '' : 'ok';
      const day = String((i % 28) + 1).padStart(2, '0');
      lines.push(`${i},name-${i % 1000},${(i * 0.25).toFixed(2)},2024-01-${day},${comment}\n`);
    }
    const block = Buffer.from(lines.join(''));
    const blocks = Math.ceil((50 * 1024 * 1024) / block.length);
    const rows = blocks * blockRows;
    const path = join(dir, 'big.csv');
    const out = createWriteStream(path);
    out.write('id,name,amount,day,comment\n');
    for (let b = 0; b < blocks; b++) if (!out.write(block)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');

    // Large strings and Buffers live outside the V8 heap, so both are counted.
    const used = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
    const baseline = used();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, used());
    }, 5);
    const p = await profileFile(path, 'csv');
    clearInterval(sampler);
    peak = Math.max(peak, used());

    expect(p.rows).toBe(rows);
    expect(p.columns).toEqual([
      { name: 'id', type: 'integer', nulls: 0 },
      { name: 'name', type: 'string', nulls: 0 },
      { name: 'amount', type: 'number', nulls: 0 },
      { name: 'day', type: 'date', nulls: 0 },
      // Every 5th of the first 1,000,000 rows is empty, except those that are multiples of 97 too.
      { name: 'comment', type: 'string', nulls: 200_000 - Math.floor(1_000_000 / 485) - 1 },
    ]);
    expect(p.notes).toEqual(['types and empty counts inferred from the first 1,000,000 rows']);
    // Streaming peaks near 20 MB here; reading the file whole measures 33 MB (as one string) to 100 MB (as lines).
    expect(peak - baseline).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('JSON', () => {
  it('streams an array of objects: columns are the union of keys', async () => {
    const json = `[
      {"id": 1, "name": "a, [b] \\"c\\" {d}", "score": 1.5, "tags": ["x", "]"]},
      {"id": 2, "name": null, "when": "2024-01-01"},
      {"id": 3, "name": "NA", "score": 2, "ok": true}
    ]`;
    const p = await profile(json, 'json');
    expect(p).toEqual({
      kind: 'json',
      rows: 3,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'name', type: 'string', nulls: 2 },
        { name: 'score', type: 'number', nulls: 1 },
        { name: 'tags', type: 'string', nulls: 2 },
        { name: 'when', type: 'date', nulls: 2 },
        { name: 'ok', type: 'boolean', nulls: 2 },
      ],
      encoding: 'utf-8',
      notes: ['nested objects or arrays (counted as text) in tags'],
    });
  });

  it('counts elements split across read chunks', async () => {
    const records = Array.from({ length: 30_000 }, (_, i) => ({ i, s: `v${i}`.repeat(5), d: '2024-05-06' }));
    const p = await profile(JSON.stringify(records), 'json');
    expect(p.rows).toBe(30_000);
    expect(p.columns).toEqual([
      { name: 'i', type: 'integer', nulls: 0 },
      { name: 's', type: 'string', nulls: 0 },
      { name: 'd', type: 'date', nulls: 0 },
    ]);
  });

  it('notes an array that is cut off, and skips invalid elements', async () => {
    const p = await profile('[{"a": 1}, {"a": tru}, {"a": 3}, {"a": 4', 'json');
    expect(p.rows).toBe(2);
    expect(p.notes).toContain('the JSON array is not closed (a cut-off file?)');
    expect(p.notes).toContain('2 elements are not valid JSON and were skipped (first: element 2)');
  });

  it('finds the records inside an object', async () => {
    const p = await profile('{"meta": {"n": 2}, "data": [{"x": 1}, {"x": 2.5}]}', 'json');
    expect(p).toMatchObject({ rows: 2, columns: [{ name: 'x', type: 'number', nulls: 0 }] });
    expect(p.notes[0]).toBe('rows are the records in "data"');
  });

  it('reads a .json file that is really JSON Lines', async () => {
    const p = await profile('{"a": 1}\n{"a": 2}\n', 'json');
    expect(p).toMatchObject({ kind: 'json', rows: 2, columns: [{ name: 'a', type: 'integer', nulls: 0 }] });
    expect(p.notes[0]).toBe('one JSON object per line (JSON Lines)');
  });

  it('returns a note for invalid JSON', async () => {
    const p = await profile('{"a": ', 'json');
    expect(p.rows).toBeNull();
    expect(p.notes[0]).toMatch(/^not valid JSON/);
  });
});

describe('JSON Lines', () => {
  it('reads one object per line, skipping blank lines and noting invalid ones', async () => {
    const jsonl =
      '{"id": 1, "at": "2024-01-01T00:00:00Z"}\r\n{"id": 2}\n\n{"id": 3.5, "at": null}\n{oops}\n{"id": 4}';
    const p = await profile(jsonl, 'jsonl');
    expect(p).toEqual({
      kind: 'jsonl',
      rows: 4,
      columns: [
        { name: 'id', type: 'number', nulls: 0 },
        { name: 'at', type: 'datetime', nulls: 3 },
      ],
      encoding: 'utf-8',
      notes: ['1 line is not valid JSON and was skipped (first: line 5)'],
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// XLSX: a real zip with the parts Excel writes (see xlsx-builder.ts).

describe('XLSX', () => {
  it('reads sheet names, then the first sheet: header, rows, types and empty cells', async () => {
    const shared = ['region', 'revenue', 'day', 'ok', 'EMEA', 'NA', 'R&amp;D &lt;b&gt;', 'updated'];
    const sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="${MAIN_NS}"><dimension ref="A1:E5"/><sheetViews/><sheetData>
<row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>7</v></c></row>
<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2"><v>10.5</v></c><c r="C2" s="1"><v>45292</v></c><c r="D2" t="b"><v>1</v></c><c r="E2" s="2"><v>45292.5</v></c></row>
<row r="3"><c r="A3" t="inlineStr"><is><t>AMER</t></is></c><c r="B3"><v>7</v></c><c r="C3" s="1"/><c r="D3" t="b"><v>0</v></c></row>
<row r="4"><c r="A4" t="s"><v>5</v></c><c r="B4" t="e"><v>#N/A</v></c><c r="C4" s="1"><v>45293</v></c><c r="D4" t="b"><v>1</v></c></row>
<row r="5"><c r="A5" t="s"><v>6</v></c><c r="B5"><v>3</v></c><c r="C5" s="1"><v>45294</v></c><c r="D5" t="b"><v>0</v></c></row>
<row r="6" spans="1:5"/>
</sheetData></worksheet>`;
    const xlsx = workbook(
      [
        { name: 'Sales &amp; costs', target: 'worksheets/sheet7.xml' },
        { name: 'Notes', target: 'worksheets/sheet1.xml' },
      ],
      {
        'xl/worksheets/sheet7.xml': sheet,
        'xl/worksheets/sheet1.xml': `<worksheet xmlns="${MAIN_NS}"><sheetData/></worksheet>`,
        'xl/sharedStrings.xml': `<sst xmlns="${MAIN_NS}" count="${shared.length}">${shared
          .map((s) => `<si><t>${s}</t></si>`)
          .join('')}</sst>`,
        'xl/styles.xml': `<styleSheet xmlns="${MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>
<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>`,
      },
    );
    const p = await profile(xlsx, 'xlsx');
    expect(p).toEqual({
      kind: 'xlsx',
      sheets: ['Sales & costs', 'Notes'],
      rows: 4,
      columns: [
        { name: 'region', type: 'string', nulls: 1 },
        { name: 'revenue', type: 'number', nulls: 1 },
        { name: 'day', type: 'date', nulls: 1 },
        { name: 'ok', type: 'boolean', nulls: 0 },
        { name: 'updated', type: 'datetime', nulls: 3 },
      ],
      notes: [
        'profiled the first sheet, “Sales & costs”',
        'the first non-empty row was read as the column names',
      ],
    });
  });

  it('streams a sheet larger than one read chunk, x: prefixes included', async () => {
    const rows = [
      `<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>n</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>label</x:t></x:is></x:c></x:row>`,
    ];
    for (let r = 2; r <= 60_001; r++) {
      const label = r % 10 === 0 ? '' : `<x:c r="B${r}" t="inlineStr"><x:is><x:t>row ${r}</x:t></x:is></x:c>`;
      rows.push(`<x:row r="${r}"><x:c r="A${r}"><x:v>${r}</x:v></x:c>${label}</x:row>`);
    }
    const xlsx = workbook([{ name: 'Big', target: 'worksheets/sheet1.xml' }], {
      'xl/worksheets/sheet1.xml': `<x:worksheet xmlns:x="${MAIN_NS}"><x:dimension ref="A1:B60001"/><x:sheetData>${rows.join('\n')}</x:sheetData></x:worksheet>`,
    });
    const p = await profile(xlsx, 'xlsx', { maxRows: 50_000 });
    expect(p.rows).toBe(60_000);
    expect(p.columns).toEqual([
      { name: 'n', type: 'integer', nulls: 0 },
      { name: 'label', type: 'string', nulls: 5_000 },
    ]);
  });

  it('falls back to the declared dimension when the sheet has no readable rows', async () => {
    const xlsx = workbook([{ name: 'Data', target: '/xl/worksheets/sheet1.xml' }], {
      'xl/worksheets/sheet1.xml': `<worksheet xmlns="${MAIN_NS}"><dimension ref="A1:D1251"/><sheetData></sheetData></worksheet>`,
    });
    const p = await profile(xlsx, 'xlsx');
    expect(p).toEqual({
      kind: 'xlsx',
      sheets: ['Data'],
      rows: 1250,
      columns: [],
      notes: ["rows from the sheet's declared range A1:D1251 (header row assumed); 4 columns"],
    });
  });

  it('returns a note for a file that is not a workbook', async () => {
    const p = await profile('just text', 'xlsx');
    expect(p).toEqual({
      kind: 'xlsx',
      rows: null,
      columns: [],
      notes: ['could not read the workbook: it is not a zip archive as XLSX files are'],
    });
  });
});

describe('XLS', () => {
  it('does not parse binary workbooks, and reads text saved as .xls', async () => {
    const cfb = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(504)]);
    expect(await profile(cfb, 'xls')).toEqual({
      kind: 'xls',
      rows: null,
      columns: [],
      notes: ['Excel 97–2003 workbook: rows and columns are not read before analysis'],
    });
    const text = await profile('a\tb\n1\t2\n', 'xls');
    expect(text).toMatchObject({ kind: 'xls', rows: 1, delimiter: '\t' });
    expect(text.notes[0]).toBe('this .xls file is text, read as delimited text');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Parquet: PAR1 + a FileMetaData footer in the Thrift compact protocol, as parquet-format defines it.

describe('Parquet', () => {
  it('reads num_rows, the schema and null counts from the footer', async () => {
    const column = (name: string, physical: number, nulls: number | null) =>
      struct([
        [2, T.i64, int(4)],
        [
          3,
          T.struct,
          struct([
            [1, T.i32, int(physical)],
            [2, T.list, list(T.i32, [int(0)])],
            [3, T.list, list(T.binary, [bin(name)])],
            [4, T.i32, int(1)],
            [5, T.i64, int(1234)],
            [6, T.i64, int(100)],
            [7, T.i64, int(100)],
            [9, T.i64, int(4)],
            ...(nulls === null ? [] : ([[12, T.struct, struct([[3, T.i64, int(nulls)]])]] as Field[])),
          ]),
        ],
      ]);
    const rowGroup = (nulls: number) =>
      struct([
        [
          1,
          T.list,
          list(T.struct, [
            column('id', 2, 0),
            column('name', 6, nulls),
            column('day', 1, 0),
            column('at', 2, null),
          ]),
        ],
        [2, T.i64, int(400)],
        [3, T.i64, int(617)],
      ]);
    const footer = struct([
      [1, T.i32, int(1)],
      [
        2,
        T.list,
        list(T.struct, [
          struct([
            [4, T.binary, bin('schema')],
            [5, T.i32, int(5)],
          ]),
          struct([
            [1, T.i32, int(2)],
            [3, T.i32, int(0)],
            [4, T.binary, bin('id')],
          ]),
          struct([
            [1, T.i32, int(6)],
            [3, T.i32, int(1)],
            [4, T.binary, bin('name')],
            [6, T.i32, int(0)],
          ]),
          struct([
            [1, T.i32, int(1)],
            [3, T.i32, int(1)],
            [4, T.binary, bin('day')],
            [6, T.i32, int(6)],
          ]),
          // TIMESTAMP logical type: a union whose field 8 is set.
          struct([
            [1, T.i32, int(2)],
            [3, T.i32, int(1)],
            [4, T.binary, bin('at')],
            [
              10,
              T.struct,
              struct([
                [
                  8,
                  T.struct,
                  struct([
                    [1, 1, Buffer.alloc(0)],
                    [2, T.struct, struct([[2, T.struct, struct([])]])],
                  ]),
                ],
              ]),
            ],
          ]),
          // A LIST group with its repeated child and element.
          struct([
            [3, T.i32, int(1)],
            [4, T.binary, bin('tags')],
            [5, T.i32, int(1)],
            [6, T.i32, int(3)],
          ]),
          struct([
            [3, T.i32, int(2)],
            [4, T.binary, bin('list')],
            [5, T.i32, int(1)],
          ]),
          struct([
            [1, T.i32, int(6)],
            [3, T.i32, int(1)],
            [4, T.binary, bin('element')],
          ]),
        ]),
      ],
      [3, T.i64, int(1234)],
      [4, T.list, list(T.struct, [rowGroup(5), rowGroup(2)])],
      [6, T.binary, bin('test writer')],
    ]);
    const p = await profile(parquetFile(footer), 'parquet');
    expect(p).toEqual({
      kind: 'parquet',
      rows: 1234,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'name', type: 'string', nulls: 7 },
        { name: 'day', type: 'date', nulls: 0 },
        { name: 'at', type: 'datetime', nulls: null },
        { name: 'tags', type: 'string', nulls: null, shape: 'list<text>' },
      ],
      notes: [
        'types from the Parquet schema',
        'empty counts unknown for nested columns (Parquet counts them per inner field): tags',
        'empty counts unknown (written without statistics): at',
      ],
    });
  });

  it('returns notes for files that are not Parquet or have a damaged footer', async () => {
    expect((await profile('not parquet at all', 'parquet')).notes).toEqual([
      'not a Parquet file (no PAR1 footer)',
    ]);
    const damaged = parquetFile(Buffer.from([0x15, 0x02, 0x19]));
    const p = await profile(damaged, 'parquet');
    expect(p).toEqual({
      kind: 'parquet',
      rows: null,
      columns: [],
      notes: ['could not read the Parquet footer: it is truncated or damaged'],
    });
  });
});

describe('profileFile', () => {
  it('never rejects, even for a missing file', async () => {
    const p = await profileFile(join(dir, 'missing.csv'), 'csv');
    expect(p).toEqual({ kind: 'csv', rows: null, columns: [], notes: ['could not read the file (ENOENT)'] });
  });
});

describe('formatReceipt', () => {
  const sales: DataProfile = {
    kind: 'csv',
    rows: 1250,
    columns: [
      { name: 'region', type: 'string', nulls: 0 },
      { name: 'revenue', type: 'number', nulls: 3 },
      { name: 'day', type: 'date', nulls: 0 },
      { name: 'notes', type: 'empty', nulls: 1250 },
    ],
    delimiter: ',',
    encoding: 'utf-8',
    notes: [],
  };

  it('renders a known profile', () => {
    expect(formatReceipt('sales.csv', 48 * 1024, sales)).toBe(
      '📎 **sales.csv** — 1,250 rows × 4 columns (48 KB, comma-separated, UTF-8)\n' +
        '`region` text · `revenue` number (3 empty) · `day` date · `notes` empty',
    );
  });

  it('renders other formats, unknown rows and notes', () => {
    expect(
      formatReceipt('q3.xlsx', 3 * 1024 * 1024 + 300_000, {
        kind: 'xlsx',
        rows: 1,
        columns: [{ name: 'a<b>&c', type: 'datetime', nulls: 0 }],
        sheets: ['Sales', 'Costs'],
        notes: ['profiled the first sheet, “Sales”'],
      }),
    ).toBe(
      '📎 **q3.xlsx** — 1 row × 1 column (3.3 MB, Excel, 2 sheets)\n' +
        '`a&lt;b&gt;&amp;c` date-time\n' +
        'Sheets: `Sales` · `Costs` (first one shown)\n' +
        'ℹ️ profiled the first sheet, “Sales”',
    );
    expect(
      formatReceipt('data.parquet', 512, { kind: 'parquet', rows: null, columns: [], notes: ['encrypted'] }),
    ).toBe('📎 **data.parquet** (512 B, Parquet)\nℹ️ encrypted');
    expect(
      formatReceipt('notes.txt', 2048, {
        kind: 'txt',
        rows: 3,
        columns: [],
        encoding: 'latin-1 (guessed)',
        notes: [],
      }),
    ).toBe('📎 **notes.txt** — 3 lines (2 KB, plain text, Latin-1 (guessed))');
    expect(
      formatReceipt('x.csv', 10, { ...sales, delimiter: ';', encoding: 'utf-8 (BOM)', rows: 0, columns: [] }),
    ).toContain('— 0 rows (10 B, semicolon-separated, UTF-8 with BOM)');
  });

  it('lists at most 25 columns and stays under 2,500 characters', () => {
    const wide: DataProfile = {
      ...sales,
      columns: Array.from({ length: 300 }, (_, i) => ({
        name: `a rather long column name with \`ticks\` number ${i} ${'x'.repeat(60)}`,
        type: 'mixed' as const,
        nulls: 1_000_000 + i,
      })),
      notes: Array.from({ length: 9 }, (_, i) => `note ${i} ${'y'.repeat(400)}`),
    };
    const receipt = formatReceipt(`${'long-name-'.repeat(30)}.csv`, 200 * 1024 * 1024, wide);
    expect(receipt.length).toBeLessThanOrEqual(2_500);
    const lines = receipt.split('\n');
    expect(lines[0]).toContain('— 1,250 rows × 300 columns (200 MB, comma-separated, UTF-8)');
    expect(lines[1]).toMatch(/ · … and \d+ more$/);
    expect(lines[1]).not.toContain('`ticks`');
    expect(lines.at(-1)).toBe('ℹ️ … and 5 more notes');

    const few = formatReceipt('w.csv', 1, {
      ...sales,
      columns: wide.columns.slice(0, 30).map((c, i) => ({ ...c, name: `c${i}` })),
      notes: [],
    });
    expect(few.split('\n')[1]).toMatch(
      /^`c0` mixed \(1,000,000 empty\) · .* · `c24` mixed \(1,000,024 empty\) · … and 5 more$/,
    );
  });
});
