/**
 * Hostile XLSX uploads (issue 16): parts built to make a tag scanner super-linear, a zip bomb, and inputs past
 * every per-record bound. Each is generated here, profiled, and must finish quickly with the bound named in a
 * note. The time bounds are generous: these inputs used to take from seconds to many minutes, or forever.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataProfile, profileFile } from '../../src/files/profile/index.js';
import { attributes, type XmlHandler, XmlTokenizer } from '../../src/files/profile/xml.js';
import { type Deflated, deflatedRepeat, MAIN_NS, REL_NS, workbook, zip } from '../support/xlsx-builder.js';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'profile-xlsx-hostile-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Generous: every case here takes well under a second on a quiet machine. */
const BOUND_MS = 10_000;

async function profileTimed(xlsx: Buffer): Promise<{ profile: DataProfile; ms: number }> {
  counter += 1;
  const path = join(dir, `hostile-${counter}.xlsx`);
  await writeFile(path, xlsx);
  const start = performance.now();
  const profile = await profileFile(path, 'xlsx');
  return { profile, ms: performance.now() - start };
}

const SHEET = [{ name: 'Data', target: 'worksheets/sheet1.xml' }];
const HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c></row>';

function sheetXml(sheetData: string): string {
  return `<worksheet xmlns="${MAIN_NS}"><sheetData>${sheetData}</sheetData></worksheet>`;
}

/** A workbook whose `part` is `head` + `repeat` × `times` (no closing tags), the rest of it ordinary. */
function withPart(part: string, content: string | Deflated): Buffer {
  const parts: Record<string, string | Deflated> = {
    'xl/worksheets/sheet1.xml': sheetXml(`${HEADER_ROW}<row r="2"><c r="A2"><v>1</v></c></row>`),
  };
  parts[part] = content;
  return workbook(SHEET, parts);
}

describe('XLSX tag scanners stay linear (issue 16)', () => {
  it('a workbook.xml of <sheet repeated 1,000,000 times without ">" (blocked the event loop for good)', async () => {
    const content = deflatedRepeat(
      `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>`,
      '<sheet',
      1_000_000,
    );
    const xlsx = withPart('xl/workbook.xml', content);
    expect(xlsx.length).toBeLessThan(20_000);
    const { profile, ms } = await profileTimed(xlsx);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(profile.notes).toContain('stopped reading the sheet list: markup longer than 65,536 characters');
    // The sheet itself is still profiled (sheet1.xml, as no relationship could be read).
    expect(profile.rows).toBe(1);
  });

  // 40,000 unclosed start tags, as in the issue (2–18 s blocks, growing quadratically), with and without ">".
  const unclosed: [tag: string, part: string, head: string][] = [
    ['<row>', 'xl/worksheets/sheet1.xml', `<worksheet xmlns="${MAIN_NS}"><sheetData>${HEADER_ROW}`],
    ['<c>', 'xl/worksheets/sheet1.xml', `<worksheet xmlns="${MAIN_NS}"><sheetData>${HEADER_ROW}<row r="2">`],
    ['<si>', 'xl/sharedStrings.xml', `<sst xmlns="${MAIN_NS}">`],
    ['<t>', 'xl/sharedStrings.xml', `<sst xmlns="${MAIN_NS}"><si>`],
    ['<cellXfs>', 'xl/styles.xml', `<styleSheet xmlns="${MAIN_NS}">`],
  ];
  for (const [tag, part, head] of unclosed) {
    for (const repeat of [tag, tag.slice(0, -1)]) {
      it(`${part} with ${repeat} repeated 40,000 times, never closed, finishes in linear time`, async () => {
        const { profile, ms } = await profileTimed(
          withPart(part, deflatedRepeat(head, repeat, 40_000, 40_000)),
        );
        expect(ms).toBeLessThan(BOUND_MS);
        expect(profile.kind).toBe('xlsx');
        if (repeat.endsWith('>')) {
          // Well-formed enough to read: the header row is there whatever else is.
          expect(profile.columns[0]?.name).toBe('n');
        } else {
          // One tag that never ends: the part is cut at the markup bound, and the note says so.
          expect(profile.notes.join('\n')).toMatch(/markup longer than 65,536 characters/);
        }
      });
    }
  }

  it('<c> repeated 40,000 times in one row: cells past Excel’s 16,384 are not kept, and a note says so', async () => {
    const head = `<worksheet xmlns="${MAIN_NS}"><sheetData>${HEADER_ROW}<row r="2">`;
    const { profile } = await profileTimed(
      withPart('xl/worksheets/sheet1.xml', deflatedRepeat(head, '<c><v>1</v></c>', 40_000, 40_000)),
    );
    expect(profile.rows).toBe(1);
    expect(profile.notes).toContain(
      "rows with more than 16,384 cells (Excel's limit): the rest of them ignored",
    );
  });

  it('the rows held while the header is chosen may be as wide as Excel allows', async () => {
    const row = `<row>${'<c><v>1</v></c>'.repeat(16_384)}</row>`;
    const head = `<worksheet xmlns="${MAIN_NS}"><sheetData>${HEADER_ROW}`;
    const { profile, ms } = await profileTimed(
      withPart('xl/worksheets/sheet1.xml', deflatedRepeat(head, row, 40, 40)),
    );
    expect(ms).toBeLessThan(BOUND_MS);
    expect(profile.rows).toBe(40);
    expect(profile.columns).toHaveLength(1_000);
  });

  it('one <row> of 244 KB never closed (ran > 400 s of CPU) is read as one row', async () => {
    const head = `<worksheet xmlns="${MAIN_NS}"><sheetData>${HEADER_ROW}<row r="2">`;
    const content = deflatedRepeat(head, '<c><v>12345.5</v></c>', 12_500, 12_500);
    expect(content.size).toBeGreaterThan(244_000);
    const { profile, ms } = await profileTimed(withPart('xl/worksheets/sheet1.xml', content));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(profile.rows).toBe(1);
    expect(profile.columns[0]).toEqual({ name: 'n', type: 'number', nulls: 0 });
    expect(profile.columns).toHaveLength(1_000);
    expect(profile.columnCount).toBe(12_500);
  });

  it('elements nested 1,000,000 deep are read without a stack', async () => {
    const head = `<worksheet xmlns="${MAIN_NS}"><sheetData>${HEADER_ROW}<row r="2"><c r="A2"><v>5</v></c></row>`;
    const { profile, ms } = await profileTimed(
      withPart('xl/worksheets/sheet1.xml', deflatedRepeat(head, '<x>', 1_000_000)),
    );
    expect(ms).toBeLessThan(BOUND_MS);
    expect(profile.rows).toBe(1);
    expect(profile.columns).toEqual([{ name: 'n', type: 'integer', nulls: 0 }]);
  });

  it('one cell of 80,000 digits and a letter is text, read in one pass (the number pattern backtracked)', async () => {
    const digits = `${'7'.repeat(80_000)}x`;
    const sheet = sheetXml(
      `${HEADER_ROW}<row r="2"><c r="A2"><v>${digits}</v></c></row><row r="3"><c r="A3" t="d"><v>${digits}</v></c></row>`,
    );
    const { profile, ms } = await profileTimed(workbook(SHEET, { 'xl/worksheets/sheet1.xml': sheet }));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(profile.columns).toEqual([{ name: 'n', type: 'string', nulls: 0 }]);
  });
});

describe('XLSX bounds are named in the receipt notes (issue 16)', () => {
  it('a zip bomb: the sheet stops inflating at 250-fold, falls back to the declared range, and says so', async () => {
    // About 3 GB of rows from a few MB of deflate.
    const head = `<worksheet xmlns="${MAIN_NS}"><dimension ref="A1:A5000001"/><sheetData>${HEADER_ROW}`;
    const content = deflatedRepeat(head, '<row><c><v>1</v></c></row>', 120_000_000, 1_000_000);
    const { profile, ms } = await profileTimed(withPart('xl/worksheets/sheet1.xml', content));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(profile.rows).toBe(5_000_000);
    expect(profile.notes[0]).toMatch(
      /^stopped reading the sheet: it inflates more than 250-fold \(a zip bomb\?\); read the first \d+ MB$/,
    );
    expect(profile.notes[1]).toBe(
      "rows from the sheet's declared range A1:A5000001 (header row assumed); 1 columns",
    );
  });

  it('more than 1,000 sheets: the first 1,000 are listed', async () => {
    const sheets = Array.from({ length: 1_500 }, (_, i) => ({
      name: `S${i}`,
      target: 'worksheets/sheet1.xml',
    }));
    const xlsx = workbook(sheets, { 'xl/worksheets/sheet1.xml': sheetXml(HEADER_ROW) });
    const { profile } = await profileTimed(xlsx);
    expect(profile.sheets).toHaveLength(1_000);
    expect(profile.notes).toContain('more than 1,000 sheets: only the first ones are listed');
  });

  it('more than 1,000,000 shared strings: later text cells are not checked for NA, and a note says so', async () => {
    const shared = deflatedRepeat(
      `<sst xmlns="${MAIN_NS}"><si><t>name</t></si>`,
      '<si><t>NA</t></si>',
      1_100_000,
    );
    const sheet = sheetXml(
      '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>5</v></c></row><row r="3"><c r="A3" t="s"><v>1050000</v></c></row>',
    );
    const { profile } = await profileTimed(
      withPart('xl/sharedStrings.xml', shared).length
        ? workbook(SHEET, { 'xl/sharedStrings.xml': shared, 'xl/worksheets/sheet1.xml': sheet })
        : Buffer.alloc(0),
    );
    // Row 2's string is NA (empty); row 3's is past the table kept, so it counts as text.
    expect(profile.columns).toEqual([{ name: 'name', type: 'string', nulls: 1 }]);
    expect(profile.notes.join('\n')).toMatch(/shared-string table over 1,000,000 strings or 16 M characters/);
  });

  it('a tag longer than 64 KB in the sheet stops the scan with a note, keeping the declared range', async () => {
    const sheet = `<worksheet xmlns="${MAIN_NS}"><dimension ref="A1:C11"/><sheetData>${HEADER_ROW}<row r="2" x="${'y'.repeat(100_000)}"></row></sheetData></worksheet>`;
    const { profile } = await profileTimed(workbook(SHEET, { 'xl/worksheets/sheet1.xml': sheet }));
    expect(profile).toMatchObject({ rows: 10, columns: [] });
    expect(profile.notes).toEqual([
      'stopped reading the sheet: markup longer than 65,536 characters',
      "rows from the sheet's declared range A1:C11 (header row assumed); 3 columns",
    ]);
  });
});

// Keeps zip() in use for a hand-made entry list (a part missing from the workbook).
describe('XLSX without its parts', () => {
  it('a workbook without styles or shared strings still reads its inline cells', async () => {
    const xlsx = zip({
      'xl/workbook.xml': `<workbook xmlns="${MAIN_NS}"><sheets><sheet name="Only"/></sheets></workbook>`,
      'xl/worksheets/sheet1.xml': sheetXml(`${HEADER_ROW}<row r="2"><c r="A2" t="s"><v>3</v></c></row>`),
    });
    const { profile } = await profileTimed(xlsx);
    expect(profile).toEqual({
      kind: 'xlsx',
      sheets: ['Only'],
      rows: 1,
      columns: [{ name: 'n', type: 'string', nulls: 0 }],
      notes: ['the first non-empty row was read as the column names'],
    });
  });
});

describe('XML tokenizer', () => {
  const xml = `<?xml version="1.0"?><!-- a > b --><x:numFmt numFmtId="164" formatCode="[&gt;100]0 &quot;&gt;&quot;"/><t a='say "hi" >'>one &amp; <![CDATA[two <&> ]]>three</t><row r="1"/><c  r = "A1" ></c>`;

  function tokens(chunks: string[]): string[] {
    const out: string[] = [];
    const handler: XmlHandler = {
      open: (name, attrs, selfClosing) =>
        out.push(
          `open ${name} ${JSON.stringify(Object.fromEntries(attributes(attrs)))}${selfClosing ? ' /' : ''}`,
        ),
      close: (name) => out.push(`close ${name}`),
      text: (raw) => {
        // Text may come in pieces: join neighbours so that the lists compare.
        const last = out.at(-1);
        if (last?.startsWith('text ')) out[out.length - 1] = last + raw;
        else out.push(`text ${raw}`);
      },
    };
    const tokenizer = new XmlTokenizer(handler);
    for (const chunk of chunks) tokenizer.push(chunk);
    tokenizer.end();
    return out;
  }

  it('reads quoted ">" in attributes, comments, CDATA and namespaces', () => {
    expect(tokens([xml])).toEqual([
      'open numFmt {"numFmtId":"164","formatCode":"[>100]0 \\">\\""} /',
      `open t {"a":"say \\"hi\\" >"}`,
      // Raw text, decoded later: CDATA's "&" comes escaped so that decoding gives it back.
      'text one &amp; two <&amp;> three',
      'close t',
      'open row {"r":"1"} /',
      'open c {"r":"A1"}',
      'close c',
    ]);
  });

  it('gives the same tokens however the input is split into chunks', () => {
    const whole = tokens([xml]);
    for (let cut = 1; cut < xml.length; cut++) {
      expect(tokens([xml.slice(0, cut), xml.slice(cut)])).toEqual(whole);
    }
    expect(tokens([...xml])).toEqual(whole);
  });
});
