/**
 * XLSX, a zip of XML parts: the sheet names from the workbook, then the first sheet streamed for its header row,
 * rows and column types.
 *
 * Every part goes through the streaming tokenizer of xml.ts, so the work is linear in the inflated size (which
 * zip.ts bounds), and everything kept per record is bounded: sheet names (MAX_SHEETS), shared strings
 * (MAX_SHARED_STRINGS, MAX_SHARED_CHARS), cell styles (MAX_STYLES), cells per row (MAX_ROW_CELLS), characters
 * per cell (MAX_CELL_CHARS) and rows held while the header is chosen (HEADER_WINDOW, HEADER_WINDOW_CELLS). No
 * element stack is kept, so nesting costs nothing. A bound that changes what the receipt says is named in a note.
 */
import { open } from 'node:fs/promises';
import type { DataKind } from '../formats.js';
import { readAt } from './bytes.js';
import {
  chooseHeader,
  columnLetters,
  columnNames,
  HEADER_WINDOW,
  HEADER_WINDOW_CELLS,
  type SheetCell,
  type SheetRow,
} from './header.js';
import type { ColumnProfile, DataProfile } from './profile.js';
import { type ColumnStats, classifyText, INTEGER, isNullText, MAX_COLUMNS, Table } from './types.js';
import { errorText, formatCount, plural } from './wording.js';
import { attributes, decodeXml, type XmlHandler, XmlLimitError, XmlTokenizer } from './xml.js';
import { InflateLimitError, ZipReader } from './zip.js';

/** Sheet names kept from the workbook. */
const MAX_SHEETS = 1_000;
/** Shared strings kept, and their characters in all (each is kept to MAX_CELL_CHARS). */
const MAX_SHARED_STRINGS = 1_000_000;
const MAX_SHARED_CHARS = 16 * 1024 * 1024;
/**
 * Characters kept of one cell or shared string. Enough for a column name, and it changes no type: a longer value
 * is text whatever follows (no number, date or NA token is that long).
 */
const MAX_CELL_CHARS = 256;
/** Cell formats (`<xf>` in `<cellXfs>`) read for date formats; Excel allows 64,000. */
const MAX_STYLES = 65_536;
/** Cells of one row; Excel's own limit is 16,384 columns. */
const MAX_ROW_CELLS = 16_384;

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
    const workbook = new WorkbookReader();
    const stopped = await scanPart(zip, 'xl/workbook.xml', workbook);
    const notes: string[] = [];
    if (stopped) notes.push(`stopped reading the sheet list: ${stopped}`);
    if (workbook.more)
      notes.push(`more than ${formatCount(MAX_SHEETS)} sheets: only the first ones are listed`);
    const sheets = workbook.sheets.map((s) => s.name);
    const base = { kind, ...(sheets.length > 0 ? { sheets } : {}) };
    try {
      const sheetPath = await sheetTarget(zip, workbook.sheets[0]?.relationship);
      const sheet = await profileFirstSheet(zip, sheetPath, sheets, maxRows);
      return { ...base, ...sheet, notes: [...sheet.notes, ...notes] };
    } catch (err) {
      const why =
        err instanceof XmlLimitError || err instanceof InflateLimitError ? err.message : errorText(err);
      return {
        ...base,
        rows: null,
        columns: [],
        notes: [`could not read the first sheet (${why})`, ...notes],
      };
    }
  } finally {
    await fh.close();
  }
}

/**
 * Streams one part through `handler` until it ends or `handler.done()`. A limit hit (markup too long, inflated
 * too far) comes back as its reason; other errors (damaged data) are thrown.
 */
async function scanPart(
  zip: ZipReader,
  name: string,
  handler: XmlHandler & { done?(): boolean },
): Promise<string | null> {
  const tokenizer = new XmlTokenizer(handler);
  try {
    for await (const chunk of zip.text(name)) {
      tokenizer.push(chunk);
      if (handler.done?.()) return null;
    }
    tokenizer.end();
    return null;
  } catch (err) {
    if (err instanceof XmlLimitError || err instanceof InflateLimitError) return err.message;
    throw err;
  }
}

/** `<sheet name="…" r:id="…"/>` entries of xl/workbook.xml, up to MAX_SHEETS. */
class WorkbookReader implements XmlHandler {
  readonly sheets: { name: string; relationship: string | undefined }[] = [];
  more = false;
  private ended = false;

  open(name: string, attrs: string): void {
    if (name !== 'sheet') return;
    if (this.sheets.length >= MAX_SHEETS) {
      this.more = true;
      return;
    }
    const a = attributes(attrs);
    const relationship = [...a].find(([key]) => key.endsWith(':id'))?.[1];
    this.sheets.push({ name: (a.get('name') ?? '').slice(0, MAX_CELL_CHARS), relationship });
  }

  close(name: string): void {
    if (name === 'sheets') this.ended = true;
  }

  text(): void {}

  done(): boolean {
    return this.ended || this.more;
  }
}

/** The part the first sheet's relationship points to (sheet1.xml when that cannot be told). */
async function sheetTarget(zip: ZipReader, relationship: string | undefined): Promise<string> {
  let target: string | undefined;
  const handler: XmlHandler & { done(): boolean } = {
    open(name, attrs) {
      if (name !== 'Relationship' || relationship === undefined) return;
      const a = attributes(attrs);
      if (a.get('Id') === relationship) target = a.get('Target') ?? '';
    },
    close() {},
    text() {},
    done: () => target !== undefined,
  };
  await scanPart(zip, 'xl/_rels/workbook.xml.rels', handler);
  if (target === undefined) return 'xl/worksheets/sheet1.xml';
  return target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
}

/** Text of each `<si>` shared string, in order (rich-text runs joined, phonetic hints dropped), bounded. */
class SharedStringsReader implements XmlHandler {
  readonly strings: string[] = [];
  /** The table went on past MAX_SHARED_STRINGS or MAX_SHARED_CHARS. */
  more = false;
  private chars = 0;
  private current: string | null = null;
  private inText = false;
  private inPhonetic = false;

  open(name: string, _attrs: string, selfClosing: boolean): void {
    if (name === 'si') {
      this.finish();
      this.current = '';
      if (selfClosing) this.finish();
    } else if (name === 'rPh') this.inPhonetic = !selfClosing;
    else if (name === 't') this.inText = !selfClosing && !this.inPhonetic;
  }

  close(name: string): void {
    if (name === 'si') this.finish();
    else if (name === 'rPh') this.inPhonetic = false;
    else if (name === 't') this.inText = false;
  }

  text(raw: string): void {
    if (this.current !== null && this.inText && this.current.length < MAX_CELL_CHARS * 2) {
      this.current += raw.slice(0, MAX_CELL_CHARS * 2);
    }
  }

  done(): boolean {
    return this.more;
  }

  private finish(): void {
    if (this.current === null) return;
    const text = decodeXml(this.current).slice(0, MAX_CELL_CHARS);
    this.current = null;
    this.inText = false;
    if (this.strings.length >= MAX_SHARED_STRINGS || this.chars + text.length > MAX_SHARED_CHARS) {
      this.more = true;
      return;
    }
    this.chars += text.length;
    this.strings.push(text);
  }
}

type TemporalKind = 'date' | 'datetime' | undefined;

/** For each cell style (`s` attribute), whether its number format shows a date or a date-time. */
class StylesReader implements XmlHandler {
  readonly styles: TemporalKind[] = [];
  more = false;
  private readonly custom = new Map<number, string>();
  private inCellFormats = false;

  open(name: string, attrs: string, selfClosing: boolean): void {
    if (name === 'numFmt') {
      const a = attributes(attrs);
      if (this.custom.size < MAX_STYLES)
        this.custom.set(Number(a.get('numFmtId')), a.get('formatCode') ?? '');
    } else if (name === 'cellXfs') this.inCellFormats = !selfClosing;
    else if (name === 'xf' && this.inCellFormats) {
      if (this.styles.length >= MAX_STYLES) {
        this.more = true;
        return;
      }
      const id = Number(attributes(attrs).get('numFmtId') ?? 0);
      this.styles.push(formatKind(id, this.custom.get(id)));
    }
  }

  close(name: string): void {
    if (name === 'cellXfs') this.inCellFormats = false;
  }

  text(): void {}

  done(): boolean {
    return this.more;
  }
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
    .slice(0, MAX_CELL_CHARS)
    .replace(/"[^"]*"/g, '')
    .replace(/[\\_*]./g, '')
    .replace(/\[[^\]]*\]/g, '')
    .toLowerCase();
  if (/[hs]/.test(bare)) return 'datetime';
  if (/[dym]/.test(bare)) return 'date';
  return undefined;
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

  const partNotes: string[] = [];
  const shared = new SharedStringsReader();
  const sharedStopped = await scanPart(zip, 'xl/sharedStrings.xml', shared);
  if (sharedStopped) {
    partNotes.push(
      `stopped reading the shared strings (${sharedStopped}): text cells past that point were not checked for NA-like values`,
    );
  } else if (shared.more) {
    partNotes.push(
      `shared-string table over ${formatCount(MAX_SHARED_STRINGS)} strings or ${formatCount(MAX_SHARED_CHARS / 1024 / 1024)} M characters: text cells past it were not checked for NA-like values`,
    );
  }
  const styles = new StylesReader();
  const stylesStopped = await scanPart(zip, 'xl/styles.xml', styles);
  if (stylesStopped)
    partNotes.push(`stopped reading the cell styles (${stylesStopped}): some dates may show as numbers`);
  if (styles.more) {
    partNotes.push(
      `more than ${formatCount(MAX_STYLES)} cell styles: cells using later ones were not checked for dates`,
    );
  }

  const table = new Table(maxRows);
  const reader = new SheetReader(new SheetProfiler(table), shared.strings, styles.styles);
  const stopped = await scanPart(zip, sheetPath, reader);
  reader.end();
  const profiler = reader.profiler;

  const notes: string[] = [];
  if (sheets.length > 1) notes.push(`profiled the first sheet, “${sheets[0]}”`);
  const declared = reader.dimension ? parseDimension(reader.dimension) : null;
  if (stopped || !profiler.headerRow) {
    const why = stopped ? `stopped reading the sheet: ${stopped}` : 'the first sheet is empty';
    if (!declared) return { rows: stopped ? null : 0, columns: [], notes: [...notes, why, ...partNotes] };
    notes.push(
      ...(stopped ? [why] : []),
      `rows from the sheet's declared range ${reader.dimension} (header row assumed); ${declared.columns} columns`,
    );
    return { rows: Math.max(0, declared.rows - 1), columns: [], notes: [...notes, ...partNotes] };
  }
  notes.push(...profiler.headerNotes());
  const { columns, uncomputed } = profiler.profiles();
  if (uncomputed.length > 0) {
    notes.push(
      `formulas whose values Excel has not computed (saved by a program that does not calculate them): ${uncomputed.join(', ')}`,
    );
  }
  if (profiler.extraColumns) notes.push('some cells lie outside the header row’s columns (named by letter)');
  if (reader.longRows) {
    notes.push(
      `rows with more than ${formatCount(MAX_ROW_CELLS)} cells (Excel's limit): the rest of them ignored`,
    );
  }
  // Every distinct column seen, profiled or not, so the receipt says "2,000 columns (first 1,000 profiled)".
  if (table.droppedColumns) table.columnCount = profiler.columnsSeen;
  const columnCount = table.columnCount ?? undefined;
  return {
    rows: table.rows,
    columns,
    ...(columnCount !== undefined && { columnCount }),
    notes: [...notes, ...table.notes(), ...partNotes],
  };
}

/**
 * Streams sheet XML into rows of typed cells: the declared `<dimension>`, then each `<row>` of `<sheetData>`.
 * No element stack: a `<row>` or `<c>` that is never closed ends where the next one starts.
 */
class SheetReader implements XmlHandler {
  dimension: string | null = null;
  longRows = false;
  private dimensionChecked = false;
  private inData = false;
  private row: SheetRow | null = null;
  private lastRowNumber = 0;
  private nextColumn = 0;
  private cell: {
    attrs: Map<string, string>;
    value: string | null;
    inline: string | null;
    formula: boolean;
  } | null = null;
  private capture: 'value' | 'inline' | null = null;
  private inInline = false;
  private inPhonetic = false;

  constructor(
    readonly profiler: SheetProfiler,
    private readonly shared: readonly string[],
    private readonly dateStyles: readonly TemporalKind[],
  ) {}

  open(name: string, attrs: string, selfClosing: boolean): void {
    switch (name) {
      case 'dimension':
        if (!this.dimensionChecked) this.dimension = attributes(attrs).get('ref') ?? null;
        return;
      case 'sheetData':
        this.dimensionChecked = true;
        this.inData = !selfClosing;
        return;
      case 'row': {
        this.endRow();
        if (!this.inData) return;
        const declared = Number(attributes(attrs).get('r'));
        const number =
          Number.isInteger(declared) && declared > this.lastRowNumber ? declared : this.lastRowNumber + 1;
        this.lastRowNumber = number;
        this.row = { number, cells: [] };
        this.nextColumn = 0;
        if (selfClosing) this.endRow();
        return;
      }
      case 'c':
        this.endCell();
        if (!this.row) return;
        this.cell = { attrs: attributes(attrs), value: null, inline: null, formula: false };
        if (selfClosing) this.endCell();
        return;
      case 'f':
        if (this.cell) this.cell.formula = true;
        return;
      case 'v':
        if (this.cell && !selfClosing) {
          this.cell.value = '';
          this.capture = 'value';
        }
        return;
      case 'is':
        this.inInline = !selfClosing;
        if (this.cell) this.cell.inline ??= '';
        return;
      case 'rPh':
        this.inPhonetic = !selfClosing;
        return;
      case 't':
        if (this.cell && this.inInline && !this.inPhonetic && !selfClosing) this.capture = 'inline';
        return;
    }
  }

  close(name: string): void {
    switch (name) {
      case 'sheetData':
        this.endRow();
        this.inData = false;
        return;
      case 'row':
        this.endRow();
        return;
      case 'c':
        this.endCell();
        return;
      case 'v':
      case 't':
        this.capture = null;
        return;
      case 'is':
        this.inInline = false;
        return;
      case 'rPh':
        this.inPhonetic = false;
        return;
    }
  }

  text(raw: string): void {
    const cell = this.cell;
    if (!cell || this.capture === null) return;
    // Kept a little past MAX_CELL_CHARS so that a value cut off can be told apart after decoding.
    const limit = MAX_CELL_CHARS * 2;
    if (this.capture === 'value' && (cell.value ?? '').length < limit) cell.value += raw.slice(0, limit);
    if (this.capture === 'inline' && (cell.inline ?? '').length < limit) cell.inline += raw.slice(0, limit);
  }

  end(): void {
    this.endRow();
    this.profiler.end();
  }

  private endCell(): void {
    const cell = this.cell;
    this.cell = null;
    this.capture = null;
    this.inInline = false;
    this.inPhonetic = false;
    if (!cell || !this.row) return;
    const column = cellColumn(cell.attrs.get('r')) ?? this.nextColumn;
    this.nextColumn = column + 1;
    if (this.row.cells.length >= MAX_ROW_CELLS) {
      this.longRows = true;
      return;
    }
    const value = cell.value === null ? undefined : decodeXml(cell.value);
    const read = readCell(cell.attrs, value, cell.inline === null ? undefined : decodeXml(cell.inline), this);
    const uncomputed = cell.formula && (value === undefined || value === '');
    this.row.cells.push({ column, ...read, uncomputed });
  }

  private endRow(): void {
    this.endCell();
    const row = this.row;
    this.row = null;
    if (row) this.profiler.row(row);
  }

  sharedString(index: string): string | undefined {
    return this.shared[Number(index)];
  }

  dateStyle(style: string | undefined): TemporalKind {
    return this.dateStyles[Number(style ?? 0)];
  }
}

/** The column of a cell reference (`C7` → 2), or undefined when it has none or is out of Excel's range. */
function cellColumn(ref: string | undefined): number | undefined {
  const letters = ref ? /^[A-Za-z]{1,3}/.exec(ref)?.[0] : undefined;
  if (!letters) return undefined;
  const index = columnIndex(letters);
  return index < MAX_ROW_CELLS ? index : undefined;
}

/**
 * One `<c>` element. Text cells are text (or empty for blank/NA-like text), numbers are integer or number unless
 * their style formats them as dates, `t="e"` errors (#N/A …) are empty.
 */
function readCell(
  attrs: Map<string, string>,
  v: string | undefined,
  inline: string | undefined,
  lookup: Pick<SheetReader, 'sharedString' | 'dateStyle'>,
): Pick<SheetCell, 'type' | 'text'> {
  switch (attrs.get('t') ?? 'n') {
    case 's': {
      const text = v === undefined ? undefined : lookup.sharedString(v);
      if (text === undefined) return { type: v === undefined ? null : 'string', text: '' };
      return textCell(text);
    }
    case 'inlineStr':
      return textCell(inline ?? '');
    case 'str':
      return textCell(v ?? '');
    case 'b':
      return { type: v === undefined || v === '' ? null : 'boolean', text: v === '1' ? 'TRUE' : 'FALSE' };
    case 'e':
      return { type: null, text: (v ?? '').slice(0, MAX_CELL_CHARS) };
    case 'd': {
      const text = (v ?? '').slice(0, MAX_CELL_CHARS);
      return { type: text.length < (v ?? '').length ? 'string' : classifyText(text), text };
    }
    default: {
      const text = (v ?? '').trim();
      if (text === '') return { type: null, text };
      if (text.length > MAX_CELL_CHARS || !isDecimal(text)) {
        return { type: 'string', text: text.slice(0, MAX_CELL_CHARS) };
      }
      const temporal = lookup.dateStyle(attrs.get('s'));
      if (temporal) return { type: temporal, text };
      return { type: INTEGER.test(text) ? 'integer' : 'number', text };
    }
  }
}

/**
 * A number as a `<v>` holds it: decimal or exponent notation (no hex, no Infinity). Both checks are one pass;
 * the pattern is a single character class, so it cannot backtrack.
 */
function isDecimal(text: string): boolean {
  return /^[+-]?[\d.][\d.eE+-]*$/.test(text) && Number.isFinite(Number(text));
}

function textCell(text: string): Pick<SheetCell, 'type' | 'text'> {
  const kept = text.slice(0, MAX_CELL_CHARS);
  return { type: isNullText(kept) ? null : 'string', text: kept };
}

/**
 * Rows of the sheet into the table: the first non-empty rows are held until the header row is chosen
 * (header.ts), then each data row is typed column by column.
 */
class SheetProfiler {
  headerRow: number | null = null;
  extraColumns = false;
  private groupRow: number | null = null;
  private skipped = 0;
  private window: SheetRow[] = [];
  private windowCells = 0;
  private readonly columns = new Map<number, ColumnStats | undefined>();
  private readonly uncomputed = new Map<ColumnStats, number>();

  constructor(private readonly table: Table) {}

  row(row: SheetRow): void {
    if (!row.cells.some((c) => c.type !== null || c.uncomputed || c.text.trim() !== '')) return;
    if (this.headerRow !== null) {
      this.data(row);
      return;
    }
    this.window.push(row);
    this.windowCells += row.cells.length;
    if (this.window.length >= HEADER_WINDOW || this.windowCells >= HEADER_WINDOW_CELLS) this.decide();
  }

  end(): void {
    if (this.headerRow === null && this.window.length > 0) this.decide();
  }

  /** Where the header was found, when it was not simply the first non-empty row. */
  headerNotes(): string[] {
    if (this.groupRow !== null) {
      return [
        `two-row header: group names on row ${this.groupRow} joined to the column names on row ${this.headerRow}${this.skippedText()}`,
      ];
    }
    if (this.skipped === 0) return ['the first non-empty row was read as the column names'];
    return [`header on row ${this.headerRow}${this.skippedText()}`];
  }

  profiles(): { columns: ColumnProfile[]; uncomputed: string[] } {
    const profiles = this.table.profiles();
    const uncomputed: string[] = [];
    const columns = this.table.columns.map((stats, i): ColumnProfile => {
      const profile = profiles[i] as ColumnProfile;
      const formulas = this.uncomputed.get(stats) ?? 0;
      if (formulas === 0) return profile;
      uncomputed.push(`${stats.name} (${plural(formulas, 'cell')})`);
      const nulls = (profile.nulls ?? 0) - formulas;
      return { ...profile, nulls, type: profile.type === 'empty' ? 'formula' : profile.type };
    });
    return { columns, uncomputed };
  }

  private skippedText(): string {
    return this.skipped > 0 ? `; ${plural(this.skipped, 'row')} above it skipped (titles or notes)` : '';
  }

  get columnsSeen(): number {
    return this.columns.size;
  }

  private decide(): void {
    const rows = this.window;
    this.window = [];
    const choice = chooseHeader(rows);
    const header = rows[choice.header] as SheetRow;
    const group = choice.group === null ? null : (rows[choice.group] ?? null);
    this.headerRow = header.number;
    this.groupRow = group?.number ?? null;
    this.skipped = choice.group ?? choice.header;
    const data = rows.slice(choice.header + 1);
    for (const [column, name] of columnNames(header, group, data, MAX_COLUMNS)) {
      this.columns.set(column, this.table.addColumn(name));
    }
    for (const row of data) this.data(row);
  }

  private data(row: SheetRow): void {
    const table = this.table;
    if (!table.beginRow()) return;
    for (const cell of row.cells) {
      if (cell.type === null && !cell.uncomputed) continue;
      let column = this.columns.get(cell.column);
      if (!this.columns.has(cell.column)) {
        this.extraColumns = true;
        column = table.addColumn(columnLetters(cell.column));
        this.columns.set(cell.column, column);
      }
      if (!column || column.lastRow === table.typedRows) continue; // none, or a second cell for the same column
      table.observe(column, cell.type);
      if (cell.uncomputed && cell.type === null)
        this.uncomputed.set(column, (this.uncomputed.get(column) ?? 0) + 1);
    }
    table.endRow();
  }
}

/** `A1:D1251` → 1251 rows × 4 columns. */
function parseDimension(ref: string): { rows: number; columns: number } | null {
  const m = /^([A-Za-z]{1,3})(\d{1,7})(?::([A-Za-z]{1,3})(\d{1,7}))?$/.exec(ref.trim());
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
