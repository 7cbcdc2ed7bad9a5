/**
 * XLSX, a zip of XML parts: the sheet names from the workbook, then the first sheet streamed for its header row,
 * rows and column types. The XML is matched with regular expressions, namespace prefixes allowed.
 */
import { open } from 'node:fs/promises';
import type { DataKind } from '../policy.js';
import { readAt } from './bytes.js';
import type { DataProfile } from './index.js';
import {
  type ColumnStats,
  classifyText,
  INTEGER,
  isNullText,
  MAX_COLUMNS,
  NUMBER,
  Table,
  type ValueType,
} from './types.js';
import { errorText } from './wording.js';
import { ZipReader } from './zip.js';

/** Workbook, relationships and styles are read whole up to this; shared strings are cut there. */
const MAX_XML_PART_CHARS = 8 * 1024 * 1024;
/** Inflated sheet XML scanned before giving up on an exact row count. */
const MAX_SHEET_XML_CHARS = 2 * 1024 * 1024 * 1024;
/** Sheet XML held at once: a row longer than this ends the scan. */
const MAX_ROW_XML_CHARS = 64 * 1024 * 1024;
/** Sheet XML searched for `<dimension>`, which comes before `<sheetData>`. */
const MAX_DIMENSION_SEARCH_CHARS = 64 * 1024;

/** `<name …/>` or `<name …>body</name>`: [whole, attributes, body]. */
function element(name: string, flags = 'g'): RegExp {
  return new RegExp(`<(?:\\w+:)?${name}\\b([^>]*?)(?:/>|>([\\s\\S]*?)</(?:\\w+:)?${name}>)`, flags);
}

/** The start tag `<name …>`: [whole, attributes]. */
function startTag(name: string, flags = 'g'): RegExp {
  return new RegExp(`<(?:\\w+:)?${name}\\b([^>]*)>`, flags);
}

const SHEET = startTag('sheet');
const RELATIONSHIP = startTag('Relationship');
const SHARED_STRING = element('si');
const PHONETIC = element('rPh');
const TEXT = element('t');
const NUMBER_FORMAT = startTag('numFmt');
const CELL_FORMATS = element('cellXfs', '');
const CELL_FORMAT = startTag('xf');
const DIMENSION = startTag('dimension', '');
const ROW = element('row');
const ROW_START = /<(?:\w+:)?row\b/;
const CELL = element('c');
const VALUE = element('v', '');
const INLINE_STRING = element('is', '');

/** An OLE compound file: a legacy .xls, or an encrypted (password-protected) workbook. */
export function isCompoundFile(head: Buffer): boolean {
  return head.subarray(0, 8).toString('hex') === 'd0cf11e0a1b11ae1';
}

export async function profileXlsx(path: string, kind: DataKind, maxRows: number): Promise<DataProfile> {
  const fh = await open(path, 'r');
  try {
    const zip = await ZipReader.open(path, fh);
    if (!zip) {
      const why = isCompoundFile(await readAt(fh, 0, 8))
        ? 'it is an encrypted (password-protected) workbook or an old .xls file'
        : 'it is not a zip archive as XLSX files are';
      return { kind, rows: null, columns: [], notes: [`could not read the workbook: ${why}`] };
    }
    if (!zip.has('xl/workbook.xml')) {
      return { kind, rows: null, columns: [], notes: ['no xl/workbook.xml: not an Excel workbook'] };
    }
    const workbook = await zip.prefix('xl/workbook.xml', MAX_XML_PART_CHARS);
    const sheetTags = [...workbook.matchAll(SHEET)].map((m) => m[1] ?? '');
    const sheets = sheetTags.map((a) => attr(a, 'name') ?? '');
    const rels = await zip.prefix('xl/_rels/workbook.xml.rels', MAX_XML_PART_CHARS);
    const sheetPath = sheetTarget(rels, sheetTags[0]);
    const base = { kind, ...(sheets.length > 0 ? { sheets } : {}) };
    try {
      return { ...base, ...(await profileFirstSheet(zip, sheetPath, sheets, maxRows)) };
    } catch (err) {
      return {
        ...base,
        rows: null,
        columns: [],
        notes: [`could not read the first sheet (${errorText(err)})`],
      };
    }
  } finally {
    await fh.close();
  }
}

/** The part the first sheet's relationship points to (sheet1.xml when that cannot be told). */
function sheetTarget(rels: string, sheetTag: string | undefined): string {
  const id = sheetTag ? /\s[\w-]+:id\s*=\s*"([^"]*)"/.exec(sheetTag)?.[1] : undefined;
  for (const m of rels.matchAll(RELATIONSHIP)) {
    if (id === undefined || attr(m[1] ?? '', 'Id') !== id) continue;
    const target = attr(m[1] ?? '', 'Target') ?? '';
    return target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
  }
  return 'xl/worksheets/sheet1.xml';
}

type SheetProfile = Pick<DataProfile, 'rows' | 'columns' | 'notes'>;

/** The first sheet: header names, rows and types from a streaming scan; the declared dimension as a fallback. */
async function profileFirstSheet(
  zip: ZipReader,
  sheetPath: string,
  sheets: string[],
  maxRows: number,
): Promise<SheetProfile> {
  if (!zip.has(sheetPath)) return { rows: null, columns: [], notes: ['the first sheet could not be found'] };

  const sharedXml = await zip.prefix('xl/sharedStrings.xml', MAX_XML_PART_CHARS);
  const shared = parseSharedStrings(sharedXml);
  const dateStyles = parseDateStyles(await zip.prefix('xl/styles.xml', MAX_XML_PART_CHARS));

  const table = new Table(maxRows);
  const scanner = new SheetScanner(table, shared, dateStyles);
  for await (const text of zip.text(sheetPath)) {
    if (!scanner.push(text)) break;
  }
  if (!scanner.tooLarge) scanner.end();

  const notes: string[] = [];
  if (sheets.length > 1) notes.push(`profiled the first sheet, “${sheets[0]}”`);
  const declared = scanner.dimension ? parseDimension(scanner.dimension) : null;
  if (scanner.tooLarge || !scanner.headerFound) {
    if (!declared) {
      const why = scanner.tooLarge ? 'the sheet is too large to scan' : 'the first sheet is empty';
      return { rows: scanner.tooLarge ? null : 0, columns: [], notes: [...notes, why] };
    }
    notes.push(
      `rows from the sheet's declared range ${scanner.dimension} (header row assumed); ${declared.columns} columns`,
    );
    return { rows: Math.max(0, declared.rows - 1), columns: [], notes };
  }
  notes.push('the first non-empty row was read as the column names');
  if (scanner.extraColumns) notes.push('some cells lie outside the header row’s columns (named by letter)');
  if (sharedXml.length >= MAX_XML_PART_CHARS)
    notes.push('very large shared-string table: some text cells were not checked for NA-like values');
  return { rows: table.rows, columns: table.profiles(), notes: [...notes, ...table.notes()] };
}

type TemporalKind = 'date' | 'datetime' | undefined;

interface Cell {
  type: ValueType | null;
  text: string;
}

/** Streams sheet XML: the declared `<dimension>`, the header row (first non-empty row), then typed data rows. */
class SheetScanner {
  dimension: string | null = null;
  headerFound = false;
  extraColumns = false;
  tooLarge = false;
  private dimensionChecked = false;
  private buffer = '';
  private scanned = 0;
  private readonly columns = new Map<number, ColumnStats | undefined>();

  constructor(
    private readonly table: Table,
    private readonly shared: string[],
    private readonly dateStyles: TemporalKind[],
  ) {}

  /** false once the scan gives up (a row without end, or more XML than MAX_SHEET_XML_CHARS). */
  push(text: string): boolean {
    this.scanned += text.length;
    this.buffer += text;
    if (!this.dimensionChecked) {
      if (!this.buffer.includes('sheetData') && this.buffer.length <= MAX_DIMENSION_SEARCH_CHARS) return true;
      this.dimensionChecked = true;
      this.dimension = attr(DIMENSION.exec(this.buffer)?.[1] ?? '', 'ref') ?? null;
    }
    this.consumeRows();
    if (this.buffer.length > MAX_ROW_XML_CHARS || this.scanned > MAX_SHEET_XML_CHARS) {
      this.tooLarge = true;
      return false;
    }
    return true;
  }

  end(): void {
    this.consumeRows();
    this.buffer = '';
  }

  /** Processes the complete rows in the buffer and keeps what may be the start of the next one. */
  private consumeRows(): void {
    const xml = this.buffer;
    let consumed = 0;
    for (const m of xml.matchAll(ROW)) {
      consumed = (m.index ?? 0) + m[0].length;
      this.row(m[2] ?? '');
    }
    const tail = xml.slice(consumed);
    const open = tail.search(ROW_START);
    const lastTag = tail.lastIndexOf('<');
    this.buffer = open >= 0 ? tail.slice(open) : lastTag >= 0 ? tail.slice(lastTag) : '';
  }

  private row(body: string): void {
    const cells: (Cell & { column: number })[] = [];
    let next = 0;
    for (const m of body.matchAll(CELL)) {
      const cellAttrs = m[1] ?? '';
      const ref = /^([A-Za-z]+)/.exec(attr(cellAttrs, 'r') ?? '')?.[1];
      const column = ref ? columnIndex(ref) : next;
      next = column + 1;
      const cell = readCell(cellAttrs, m[2] ?? '', this.shared, this.dateStyles);
      if (cell.type !== null || (!this.headerFound && cell.text.trim() !== ''))
        cells.push({ column, ...cell });
    }
    if (cells.length === 0) return;
    const table = this.table;
    if (!this.headerFound) {
      this.headerFound = true;
      const byColumn = new Map(cells.map((c) => [c.column, c.text.trim()]));
      const first = Math.min(...byColumn.keys());
      const last = Math.min(Math.max(...byColumn.keys()), first + MAX_COLUMNS - 1);
      for (let col = first; col <= last; col++) {
        this.columns.set(col, table.addColumn(byColumn.get(col) || columnLetters(col)));
      }
      return;
    }
    if (!table.beginRow()) return;
    for (const cell of cells) {
      let column = this.columns.get(cell.column);
      if (!this.columns.has(cell.column)) {
        this.extraColumns = true;
        column = table.addColumn(columnLetters(cell.column));
        this.columns.set(cell.column, column);
      }
      if (column) table.observe(column, cell.type);
    }
    table.endRow();
  }
}

/**
 * One `<c>` element. Text cells are text (or empty for blank/NA-like text), numbers are integer or number unless
 * their style formats them as dates, `t="e"` errors (#N/A …) are empty.
 */
function readCell(attrs: string, body: string, shared: string[], dateStyles: TemporalKind[]): Cell {
  const v = VALUE.exec(body)?.[2];
  switch (attr(attrs, 't') ?? 'n') {
    case 's': {
      const text = v === undefined ? undefined : shared[Number(v)];
      if (text === undefined) return { type: v === undefined ? null : 'string', text: '' };
      return textCell(text);
    }
    case 'inlineStr':
      return textCell(inlineText(INLINE_STRING.exec(body)?.[2] ?? ''));
    case 'str':
      return textCell(unescapeXml(v ?? ''));
    case 'b':
      return { type: v === undefined ? null : 'boolean', text: v === '1' ? 'TRUE' : 'FALSE' };
    case 'e':
      return { type: null, text: unescapeXml(v ?? '') };
    case 'd': {
      const text = unescapeXml(v ?? '');
      return { type: classifyText(text), text };
    }
    default: {
      const text = (v ?? '').trim();
      if (text === '') return { type: null, text };
      if (!NUMBER.test(text)) return { type: 'string', text };
      const temporal = dateStyles[Number(attr(attrs, 's') ?? 0)];
      if (temporal) return { type: temporal, text };
      return { type: INTEGER.test(text) ? 'integer' : 'number', text };
    }
  }
}

function textCell(text: string): Cell {
  return { type: isNullText(text) ? null : 'string', text };
}

/** Text of each `<si>` shared string, in order (rich-text runs joined, phonetic hints dropped). */
function parseSharedStrings(xml: string): string[] {
  return [...xml.matchAll(SHARED_STRING)].map((m) => inlineText((m[2] ?? '').replace(PHONETIC, '')));
}

function inlineText(body: string): string {
  let text = '';
  for (const t of body.matchAll(TEXT)) text += t[2] ?? '';
  return unescapeXml(text);
}

/** For each cell style (`s` attribute), whether its number format shows a date or a date-time. */
function parseDateStyles(xml: string): TemporalKind[] {
  const custom = new Map<number, string>();
  for (const m of xml.matchAll(NUMBER_FORMAT)) {
    custom.set(Number(attr(m[1] ?? '', 'numFmtId')), attr(m[1] ?? '', 'formatCode') ?? '');
  }
  const formats = CELL_FORMATS.exec(xml)?.[2] ?? '';
  return [...formats.matchAll(CELL_FORMAT)].map((m) => {
    const id = Number(attr(m[1] ?? '', 'numFmtId') ?? 0);
    return formatKind(id, custom.get(id));
  });
}

/** Built-in format ids by their documented meaning; custom format codes by their date and time tokens. */
function formatKind(id: number, code: string | undefined): TemporalKind {
  if (code === undefined) {
    if ((id >= 14 && id <= 17) || (id >= 27 && id <= 36) || (id >= 50 && id <= 58)) return 'date';
    if ((id >= 18 && id <= 22) || (id >= 45 && id <= 47)) return 'datetime';
    return undefined;
  }
  // Drop quoted text, escapes, padding/fill characters and [colour]/[locale] sections before looking for tokens.
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/[\\_*]./g, '')
    .replace(/\[[^\]]*\]/g, '')
    .toLowerCase();
  if (/[hs]/.test(bare)) return 'datetime';
  if (/[dym]/.test(bare)) return 'date';
  return undefined;
}

/** `A1:D1251` → 1251 rows × 4 columns. */
function parseDimension(ref: string): { rows: number; columns: number } | null {
  const m = /^([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?$/.exec(ref.trim());
  if (!m?.[1] || !m[2]) return null;
  const [c1, r1] = [columnIndex(m[1]), Number(m[2])];
  const [c2, r2] = m[3] && m[4] ? [columnIndex(m[3]), Number(m[4])] : [c1, r1];
  return { rows: Math.abs(r2 - r1) + 1, columns: Math.abs(c2 - c1) + 1 };
}

/** Column letters → 0-based index (A → 0, AA → 26). */
function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** 0-based index → column letters (0 → A, 26 → AA). */
function columnLetters(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

const ATTRIBUTE_PATTERNS = new Map<string, RegExp>();

/** The value of attribute `name` (no namespace prefix) in a tag's attribute text. */
function attr(attrs: string, name: string): string | undefined {
  let pattern = ATTRIBUTE_PATTERNS.get(name);
  if (!pattern) {
    pattern = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
    ATTRIBUTE_PATTERNS.set(name, pattern);
  }
  const m = pattern.exec(attrs);
  return m ? unescapeXml(m[1] ?? m[2] ?? '') : undefined;
}

function unescapeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (whole, hex, dec, named) => {
    if (hex || dec) {
      const code = Number.parseInt(hex ?? dec, hex ? 16 : 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[String(named).toLowerCase()] ?? whole;
  });
}
