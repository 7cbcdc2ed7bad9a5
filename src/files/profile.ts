/**
 * Upload receipts: a quick local profile of a downloaded data file (rows, columns, column types, empty cells) and
 * the compact Slack message that shows it. No model call, no container time.
 *
 * Everything streams, so memory stays bounded whatever the file size: one CSV field, JSON element or JSONL line
 * is capped, and only counters are kept per column. Malformed data never throws: the profile says what is known
 * and a note says what is not. Best effort for XLSX (first sheet), XLS (format check only) and Parquet (footer).
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import type { DataKind } from './policy.js';

export interface ColumnProfile {
  name: string;
  type: 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'string' | 'empty' | 'mixed';
  nulls: number;
}

export interface DataProfile {
  kind: DataKind;
  /** Data rows (header excluded); plain text without a delimiter counts lines. null when unknown. */
  rows: number | null;
  /** [] when unknown. */
  columns: ColumnProfile[];
  /** csv/tsv/txt: the detected delimiter (',', ';', '\t', '|'). */
  delimiter?: string;
  /** Text formats: 'utf-8', 'utf-8 (BOM)', 'utf-16le', 'utf-16be', 'latin-1 (guessed)'. */
  encoding?: string;
  /** xlsx: sheet names, in workbook order (the first one is profiled). */
  sheets?: string[];
  notes: string[];
}

export interface ProfileOptions {
  /** Types and empty counts come from this many data rows; rows are still counted to the end. */
  maxRows?: number;
}

const DEFAULT_MAX_ROWS = 1_000_000;
/** Decoded characters looked at to choose the delimiter; bytes looked at to guess the encoding. */
const SNIFF_CHARS = 64 * 1024;
/** A longer CSV field is cut (an unbalanced quote can otherwise swallow the whole file). */
const MAX_FIELD_CHARS = 1024 * 1024;
/** A longer JSON array element or JSONL line is skipped. */
const MAX_ELEMENT_CHARS = 16 * 1024 * 1024;
/** A JSON file that is not a top-level array is parsed whole only up to this size. */
const MAX_WHOLE_JSON_BYTES = 50 * 1024 * 1024;
const MAX_COLUMNS = 1_000;
const MAX_PARQUET_FOOTER_BYTES = 64 * 1024 * 1024;
/** XLSX parts read whole (workbook, relationships, styles); shared strings are read up to this many characters. */
const MAX_XML_PART_CHARS = 8 * 1024 * 1024;
/** Inflated sheet XML scanned before giving up on an exact row count. */
const MAX_SHEET_XML_CHARS = 2 * 1024 * 1024 * 1024;

/**
 * Profiles the file at `path`, read as `kind`. Resolves, never rejects: an unreadable or malformed file gives
 * what could be learned plus a note.
 */
export async function profileFile(
  path: string,
  kind: DataKind,
  opts: ProfileOptions = {},
): Promise<DataProfile> {
  const maxRows = Math.max(0, Math.floor(opts.maxRows ?? DEFAULT_MAX_ROWS));
  try {
    switch (kind) {
      case 'csv':
      case 'tsv':
      case 'txt':
        return await profileDelimited(path, kind, maxRows);
      case 'json':
        return await profileJson(path, maxRows);
      case 'jsonl':
        return await profileJsonLines(path, maxRows);
      case 'xlsx':
        return await profileXlsx(path, 'xlsx', maxRows);
      case 'xls':
        return await profileXls(path, maxRows);
      case 'parquet':
        return await profileParquet(path);
    }
  } catch (err) {
    return { kind, rows: null, columns: [], notes: [`could not read the file (${errorText(err)})`] };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Receipt

const TYPE_LABELS: Readonly<Record<ColumnProfile['type'], string>> = {
  integer: 'integer',
  number: 'number',
  boolean: 'true/false',
  date: 'date',
  datetime: 'date-time',
  string: 'text',
  empty: 'empty',
  mixed: 'mixed',
};

const DELIMITER_NAMES: Readonly<Record<string, string>> = {
  ',': 'comma-separated',
  ';': 'semicolon-separated',
  '\t': 'tab-separated',
  '|': 'pipe-separated',
};

const RECEIPT_MAX_CHARS = 2_500;
const RECEIPT_MAX_COLUMNS = 25;
const RECEIPT_MAX_NOTES = 4;

/**
 * The upload receipt as compact Slack Markdown, under 2,500 characters:
 * `📎 *sales.csv* — 1,250 rows × 4 columns (48 KB, comma-separated, UTF-8)`, then the columns on one line
 * (`` `region` text · `revenue` number (3 empty) ``, at most 25, then `… and N more`), then the notes.
 */
export function formatReceipt(fileName: string, sizeBytes: number, p: DataProfile): string {
  const details = [formatBytes(sizeBytes), formatLabel(p), p.encoding ? encodingLabel(p.encoding) : '']
    .filter(Boolean)
    .join(', ');
  const shape = shapeText(p);
  const head = `📎 *${escapeSlack(oneLine(fileName, 120))}*${shape ? ` — ${shape}` : ''} (${details})`;

  const tail: string[] = [];
  if (p.sheets && p.sheets.length > 1) {
    const names = p.sheets.slice(0, 10).map((s) => `\`${codeText(s, 40)}\``);
    const more = p.sheets.length > 10 ? ` … and ${fmt(p.sheets.length - 10)} more` : '';
    tail.push(`Sheets: ${names.join(' · ')}${more} (first one shown)`);
  }
  const notes = p.notes.slice(0, RECEIPT_MAX_NOTES).map((n) => `ℹ️ ${escapeSlack(oneLine(n, 200))}`);
  if (p.notes.length > RECEIPT_MAX_NOTES)
    notes.push(`ℹ️ … and ${p.notes.length - RECEIPT_MAX_NOTES} more notes`);
  tail.push(...notes);

  const fixed = [head, ...tail].join('\n').length + 1;
  const columnsLine = columnList(p.columns, RECEIPT_MAX_CHARS - fixed);
  const out = [head, ...(columnsLine ? [columnsLine] : []), ...tail].join('\n');
  return out.length <= RECEIPT_MAX_CHARS ? out : `${out.slice(0, RECEIPT_MAX_CHARS - 1)}…`;
}

function columnList(columns: readonly ColumnProfile[], budget: number): string {
  if (columns.length === 0 || budget <= 0) return '';
  const entries: string[] = [];
  let length = 0;
  for (const c of columns.slice(0, RECEIPT_MAX_COLUMNS)) {
    const empty = c.nulls > 0 && c.type !== 'empty' ? ` (${fmt(c.nulls)} empty)` : '';
    const entry = `\`${c.name.trim() ? codeText(c.name, 40) : '(no name)'}\` ${TYPE_LABELS[c.type]}${empty}`;
    // Room for " · … and 1,000 more" after the last entry that fits.
    if (length + entry.length + 3 + 24 > budget) break;
    entries.push(entry);
    length += entry.length + 3;
  }
  const rest = columns.length - entries.length;
  if (rest > 0) entries.push(`… and ${fmt(rest)} more`);
  return entries.join(' · ');
}

function shapeText(p: DataProfile): string {
  if (p.kind === 'txt' && p.delimiter === undefined) return p.rows === null ? '' : plural(p.rows, 'line');
  const parts: string[] = [];
  if (p.rows !== null) parts.push(plural(p.rows, 'row'));
  if (p.columns.length > 0) parts.push(plural(p.columns.length, 'column'));
  return parts.join(' × ');
}

function formatLabel(p: DataProfile): string {
  if (p.delimiter !== undefined) return DELIMITER_NAMES[p.delimiter] ?? `separated by “${p.delimiter}”`;
  switch (p.kind) {
    case 'csv':
    case 'tsv':
    case 'txt':
      return 'plain text';
    case 'json':
      return 'JSON';
    case 'jsonl':
      return 'JSON Lines';
    case 'xlsx':
      return p.sheets ? `Excel, ${plural(p.sheets.length, 'sheet')}` : 'Excel';
    case 'xls':
      return p.sheets ? `Excel 97–2003, ${plural(p.sheets.length, 'sheet')}` : 'Excel 97–2003';
    case 'parquet':
      return 'Parquet';
  }
}

function encodingLabel(encoding: string): string {
  if (encoding === 'utf-8 (BOM)') return 'UTF-8 with BOM';
  const [name = '', ...rest] = encoding.split(' ');
  return [name.toUpperCase().replace(/^LATIN-1$/, 'Latin-1'), ...rest].join(' ');
}

/** Bytes in binary units, like `megabytes` in policy.ts: `512 B`, `48 KB`, `1.5 MB`, `200 MB`. */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = value < 10 && unit > 0 ? Math.round(value * 10) / 10 : Math.max(1, Math.round(value));
  return `${shown} ${units[unit]}`;
}

function plural(n: number, word: string): string {
  return `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Slack's three control characters; everything else in mrkdwn text is literal enough for a receipt. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function oneLine(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}

/** Text for inside a code span: one line, no backticks, escaped. */
function codeText(text: string, maxChars: number): string {
  return escapeSlack(oneLine(text.replace(/`/g, "'"), maxChars));
}

/** A short reason for a note: system error codes as they are, damage in plain words. */
function errorText(err: unknown): string {
  const code =
    err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (code.startsWith('Z_')) return 'damaged compressed data';
  if (code === 'ERR_OUT_OF_RANGE') return 'damaged file structure';
  if (code) return code;
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------------------------
// Value classification and per-column counters

type ValueType = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'string';

const NULL_TOKENS = new Set(['', 'na', 'n/a', 'null', 'nan', 'none']);
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false|yes|no)$/i;
const DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;
const DATETIME =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?$/i;

/** null for an empty cell (blank, NA, N/A, null, NaN, None in any case). */
function classifyText(raw: string): ValueType | null {
  const v = raw.trim();
  if (v.length <= 4 && NULL_TOKENS.has(v.toLowerCase())) return null;
  // Numbers, dates and date-times start with a digit, a sign or a dot; booleans never do.
  const c = v.charCodeAt(0);
  if (!((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) {
    return BOOLEAN.test(v) ? 'boolean' : 'string';
  }
  if (INTEGER.test(v)) return 'integer';
  if (NUMBER.test(v)) return 'number';
  if (DATE.test(v)) return 'date';
  if (DATETIME.test(v)) return 'datetime';
  return 'string';
}

function isNullText(raw: string): boolean {
  const v = raw.trim();
  return v.length <= 4 && NULL_TOKENS.has(v.toLowerCase());
}

interface ColumnStats {
  name: string;
  nulls: number;
  counts: Record<ValueType, number>;
  /** The last typed row this column was seen in (1-based), so rows without it count as empty. */
  lastRow: number;
  /** JSON objects or arrays were seen (counted as text). */
  nested: boolean;
}

/** Row counter and per-column type counters; only the first `maxRows` rows are typed. */
class Table {
  readonly columns: ColumnStats[] = [];
  private readonly byName = new Map<string, ColumnStats>();
  rows = 0;
  typedRows = 0;
  droppedColumns = false;

  constructor(private readonly maxRows: number) {}

  /** Counts a data row; false when past `maxRows` (the row is counted, not typed: skip observe/endRow). */
  beginRow(): boolean {
    this.rows += 1;
    if (this.typedRows >= this.maxRows) return false;
    this.typedRows += 1;
    return true;
  }

  /** A new column; the typed rows before the current one did not have it, so they count as empty. */
  addColumn(name: string): ColumnStats | undefined {
    if (this.columns.length >= MAX_COLUMNS) {
      this.droppedColumns = true;
      return undefined;
    }
    const before = Math.max(0, this.typedRows - 1);
    const column: ColumnStats = {
      name,
      nulls: before,
      counts: { integer: 0, number: 0, boolean: 0, date: 0, datetime: 0, string: 0 },
      lastRow: this.typedRows - 1,
      nested: false,
    };
    this.columns.push(column);
    return column;
  }

  /** The column called `name`, created on first use (JSON keys). */
  named(name: string): ColumnStats | undefined {
    const existing = this.byName.get(name);
    if (existing) return existing;
    const created = this.addColumn(name);
    if (created) this.byName.set(name, created);
    return created;
  }

  observe(column: ColumnStats, type: ValueType | null): void {
    if (column.lastRow === this.typedRows) return; // a duplicate cell in the same row
    column.lastRow = this.typedRows;
    if (type === null) column.nulls += 1;
    else column.counts[type] += 1;
  }

  endRow(): void {
    for (const column of this.columns) {
      if (column.lastRow !== this.typedRows) {
        column.nulls += 1;
        column.lastRow = this.typedRows;
      }
    }
  }

  profiles(): ColumnProfile[] {
    return this.columns.map((c) => ({ name: c.name, type: resolveType(c.counts), nulls: c.nulls }));
  }

  /** Notes every table-shaped format shares. */
  notes(): string[] {
    const notes: string[] = [];
    if (this.rows > this.typedRows) {
      notes.push(`types and empty counts inferred from the first ${fmt(this.typedRows)} rows`);
    }
    if (this.droppedColumns) notes.push(`only the first ${fmt(MAX_COLUMNS)} columns are profiled`);
    const nested = this.columns.filter((c) => c.nested).map((c) => c.name);
    if (nested.length > 0) {
      notes.push(`nested objects or arrays (counted as text) in ${nested.slice(0, 5).join(', ')}`);
    }
    return notes;
  }
}

/** Numbers with anything else are 'mixed'; dates or booleans among text are text. */
function resolveType(counts: Record<ValueType, number>): ColumnProfile['type'] {
  const { integer, number, boolean, date, datetime, string } = counts;
  const numeric = integer + number;
  const other = boolean + date + datetime + string;
  if (numeric + other === 0) return 'empty';
  if (numeric > 0) return other > 0 ? 'mixed' : number > 0 ? 'number' : 'integer';
  if (string > 0) return 'string';
  if (boolean > 0) return date + datetime > 0 ? 'string' : 'boolean';
  return datetime > 0 ? 'datetime' : 'date';
}

// ---------------------------------------------------------------------------------------------------------------
// Text decoding

interface TextEncoding {
  /** WHATWG label for TextDecoder. */
  label: string;
  /** What the profile reports. */
  name: string;
  bomBytes: number;
}

async function readHead(path: string, bytes: number): Promise<{ head: Buffer; size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(bytes, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { head: buf.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

/** BOM first; then NUL-byte patterns for BOM-less UTF-16; then valid UTF-8, else Latin-1 (Windows-1252). */
function detectEncoding(head: Buffer): TextEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { label: 'utf-8', name: 'utf-8 (BOM)', bomBytes: 3 };
  }
  if (head[0] === 0xff && head[1] === 0xfe) return { label: 'utf-16le', name: 'utf-16le', bomBytes: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { label: 'utf-16be', name: 'utf-16be', bomBytes: 2 };

  const sample = head.subarray(0, 4096);
  if (sample.length >= 4) {
    let evenNuls = 0;
    let oddNuls = 0;
    for (let i = 0; i < sample.length; i++) {
      if (sample[i] === 0) {
        if (i % 2 === 0) evenNuls += 1;
        else oddNuls += 1;
      }
    }
    const half = sample.length / 2;
    if (oddNuls > half * 0.3 && evenNuls < half * 0.05) {
      return { label: 'utf-16le', name: 'utf-16le (guessed)', bomBytes: 0 };
    }
    if (evenNuls > half * 0.3 && oddNuls < half * 0.05) {
      return { label: 'utf-16be', name: 'utf-16be (guessed)', bomBytes: 0 };
    }
  }
  try {
    // stream: true, so a character cut by the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return { label: 'utf-8', name: 'utf-8', bomBytes: 0 };
  } catch {
    return { label: 'latin1', name: 'latin-1 (guessed)', bomBytes: 0 };
  }
}

interface DecodeStats {
  /** U+FFFD appeared while decoding UTF-8: some bytes past the sniffed head were not valid. */
  replaced: boolean;
}

async function* decodeText(path: string, enc: TextEncoding, stats: DecodeStats): AsyncGenerator<string> {
  const decoder = new TextDecoder(enc.label, { ignoreBOM: true });
  const checkReplacement = enc.label === 'utf-8';
  for await (const chunk of createReadStream(path, { start: enc.bomBytes, highWaterMark: 256 * 1024 })) {
    const text = decoder.decode(chunk as Buffer, { stream: true });
    if (checkReplacement && !stats.replaced && text.includes('\uFFFD')) stats.replaced = true;
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

function encodingNotes(stats: DecodeStats): string[] {
  return stats.replaced ? ['some bytes are not valid UTF-8 (another encoding?); they show as �'] : [];
}

// ---------------------------------------------------------------------------------------------------------------
// CSV / TSV / text

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/**
 * RFC 4180 records from text pushed in chunks: quoted fields may hold the delimiter, newlines and doubled quotes;
 * CRLF, LF and CR end records; blank lines are skipped. Lenient: a quote inside an unquoted field is literal, and
 * text after a closing quote is kept.
 */
class CsvParser {
  private fields: string[] = [];
  private field = '';
  private state = START;
  private quoted = false;
  private skipLf = false;
  /** Some field was cut at MAX_FIELD_CHARS. */
  overlong = false;
  /** The input ended inside a quoted field. */
  unterminated = false;

  constructor(
    private readonly delimiter: number,
    private readonly onRecord: (fields: string[]) => void,
  ) {}

  push(text: string): void {
    const n = text.length;
    const d = this.delimiter;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.skipLf) {
        this.skipLf = false;
        if (c === LF) {
          i += 1;
          continue;
        }
      }
      if (this.state === QUOTED) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          this.append(text.slice(i));
          return;
        }
        this.append(text.slice(i, q));
        this.state = QUOTE_IN_QUOTED;
        i = q + 1;
        continue;
      }
      if (this.state === QUOTE_IN_QUOTED) {
        if (c === QUOTE) {
          this.append('"');
          this.state = QUOTED;
          i += 1;
          continue;
        }
        this.state = UNQUOTED;
      }
      if (this.state === START && c === QUOTE) {
        this.state = QUOTED;
        this.quoted = true;
        i += 1;
        continue;
      }
      let j = i;
      while (j < n) {
        const x = text.charCodeAt(j);
        if (x === d || x === LF || x === CR) break;
        j += 1;
      }
      if (j > i) {
        this.append(text.slice(i, j));
        this.state = UNQUOTED;
      }
      if (j === n) return;
      const x = text.charCodeAt(j);
      if (x === d) this.endField();
      else {
        this.endRecord();
        if (x === CR) this.skipLf = true;
      }
      i = j + 1;
    }
  }

  end(): void {
    if (this.state === QUOTED) this.unterminated = true;
    if (this.fields.length > 0 || this.field !== '' || this.quoted) this.endRecord();
  }

  private append(s: string): void {
    if (this.field.length + s.length <= MAX_FIELD_CHARS) {
      this.field += s;
      return;
    }
    this.overlong = true;
    const room = MAX_FIELD_CHARS - this.field.length;
    if (room > 0) this.field += s.slice(0, room);
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = START;
    this.quoted = false;
  }

  private endRecord(): void {
    const blank = this.fields.length === 0 && !this.quoted && this.field.trim() === '';
    this.endField();
    const record = this.fields;
    this.fields = [];
    if (!blank) this.onRecord(record);
  }
}

interface DelimiterGuess {
  delimiter: string;
  /** Fields in the first record. */
  fields: number;
  /** Share of sampled records with that many fields. */
  consistency: number;
  records: number;
}

const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'];

/** The candidate whose sampled records most consistently have the header's field count (at least 2). */
function sniffDelimiter(sample: string, complete: boolean, preferred: string): DelimiterGuess | null {
  let best: DelimiterGuess | null = null;
  for (const delimiter of CANDIDATE_DELIMITERS) {
    const counts: number[] = [];
    const parser = new CsvParser(delimiter.charCodeAt(0), (fields) => {
      if (counts.length < 200) counts.push(fields.length);
    });
    parser.push(sample);
    // Only whole records count: without end() the record cut by the end of the sample is not emitted.
    if (complete) parser.end();
    const fields = counts[0] ?? 0;
    if (fields < 2) continue;
    const consistency = Math.round((counts.filter((c) => c === fields).length / counts.length) * 100) / 100;
    const guess = { delimiter, fields, consistency, records: counts.length };
    if (!best || better(guess, best, preferred)) best = guess;
  }
  return best;
}

function better(a: DelimiterGuess, b: DelimiterGuess, preferred: string): boolean {
  if (a.consistency !== b.consistency) return a.consistency > b.consistency;
  if ((a.delimiter === preferred) !== (b.delimiter === preferred)) return a.delimiter === preferred;
  return a.fields > b.fields;
}

/** Counts lines of plain text (LF, or CR for old Mac files). */
class LineCounter {
  private lf = 0;
  private cr = 0;
  private last = '';

  push(text: string): void {
    if (!text) return;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lf += 1;
    if (this.lf === 0) for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) this.cr += 1;
    this.last = text[text.length - 1] ?? this.last;
  }

  lines(): number {
    if (this.last === '') return 0;
    if (this.lf > 0) return this.lf + (this.last === '\n' ? 0 : 1);
    return this.cr + (this.last === '\r' ? 0 : 1);
  }
}

/** Header row → column names; later records → typed rows. */
class RecordSink {
  private header: string[] | null = null;
  private columns: (ColumnStats | undefined)[] = [];
  private ragged = 0;
  private firstRagged = 0;
  headerLooksLikeData = false;

  constructor(private readonly table: Table) {}

  readonly onRecord = (fields: string[]): void => {
    const table = this.table;
    if (!this.header) {
      this.header = fields;
      const width = Math.min(fields.length, MAX_COLUMNS);
      for (let i = 0; i < width; i++)
        this.columns.push(table.addColumn(fields[i]!.trim() || `column_${i + 1}`));
      if (fields.length > MAX_COLUMNS) table.droppedColumns = true;
      this.headerLooksLikeData = fields.every((f) => {
        const t = classifyText(f);
        return t === 'integer' || t === 'number';
      });
      return;
    }
    if (fields.length !== this.header.length) {
      this.ragged += 1;
      if (this.firstRagged === 0) this.firstRagged = table.rows + 1;
    }
    if (!table.beginRow()) return;
    const width = Math.min(fields.length, MAX_COLUMNS);
    for (let i = 0; i < width; i++) {
      if (i >= this.columns.length) this.columns.push(table.addColumn(`column_${i + 1}`));
      const column = this.columns[i];
      if (column) table.observe(column, classifyText(fields[i]!));
    }
    table.endRow();
  };

  notes(): string[] {
    const notes: string[] = [];
    if (this.headerLooksLikeData)
      notes.push('the first row looks like data, but it was read as the column names');
    if (this.ragged > 0) {
      notes.push(
        `${plural(this.ragged, 'row')} ${this.ragged === 1 ? 'has' : 'have'} a different number of fields than the header (first: data row ${fmt(this.firstRagged)})`,
      );
    }
    return notes;
  }
}

/** Chooses the delimiter from the first SNIFF_CHARS characters, then parses everything (or counts lines). */
class DelimitedReader {
  private sample = '';
  private parser: CsvParser | null = null;
  private lineCounter: LineCounter | null = null;
  readonly table: Table;
  readonly sink: RecordSink;
  delimiter: string | null = null;

  constructor(
    private readonly kind: DataKind,
    maxRows: number,
  ) {
    this.table = new Table(maxRows);
    this.sink = new RecordSink(this.table);
  }

  push(text: string): void {
    if (this.parser) this.parser.push(text);
    else if (this.lineCounter) this.lineCounter.push(text);
    else {
      this.sample += text;
      if (this.sample.length >= SNIFF_CHARS) this.start(false);
    }
  }

  end(): void {
    if (!this.parser && !this.lineCounter) this.start(true);
    this.parser?.end();
  }

  get lines(): number | null {
    return this.lineCounter ? this.lineCounter.lines() : null;
  }

  parserNotes(): string[] {
    const notes: string[] = [];
    if (this.parser?.unterminated) notes.push('the file ends inside a quoted field (an unbalanced quote?)');
    if (this.parser?.overlong)
      notes.push('some fields are longer than 1 MB and were cut (an unbalanced quote?)');
    return notes;
  }

  private start(complete: boolean): void {
    let sample = this.sample;
    this.sample = '';
    // Excel's "sep=;" first line names the delimiter.
    const hint = /^sep=([^\r\n])\r?\n/.exec(sample);
    if (hint?.[1]) {
      this.delimiter = hint[1];
      sample = sample.slice(hint[0].length);
    } else {
      const preferred = this.kind === 'tsv' ? '\t' : ',';
      const guess = sniffDelimiter(sample, complete, preferred);
      const isTable = guess && (this.kind !== 'txt' || (guess.records >= 2 && guess.consistency >= 0.8));
      if (isTable) this.delimiter = guess.delimiter;
      else if (this.kind !== 'txt') this.delimiter = preferred;
    }
    if (this.delimiter === null) {
      this.lineCounter = new LineCounter();
      this.lineCounter.push(sample);
    } else {
      this.parser = new CsvParser(this.delimiter.charCodeAt(0), this.sink.onRecord);
      this.parser.push(sample);
    }
  }
}

async function profileDelimited(path: string, kind: DataKind, maxRows: number): Promise<DataProfile> {
  const { head, size } = await readHead(path, SNIFF_CHARS);
  const enc = detectEncoding(head);
  if (size === 0) return { kind, rows: 0, columns: [], encoding: enc.name, notes: ['the file is empty'] };

  const stats: DecodeStats = { replaced: false };
  const reader = new DelimitedReader(kind, maxRows);
  for await (const text of decodeText(path, enc, stats)) reader.push(text);
  reader.end();

  if (reader.delimiter === null) {
    return {
      kind,
      rows: reader.lines,
      columns: [],
      encoding: enc.name,
      notes: ['no column delimiter found: plain text, counted in lines', ...encodingNotes(stats)],
    };
  }
  return {
    kind,
    rows: reader.table.rows,
    columns: reader.table.profiles(),
    delimiter: reader.delimiter,
    encoding: enc.name,
    notes: [
      ...reader.sink.notes(),
      ...reader.parserNotes(),
      ...reader.table.notes(),
      ...encodingNotes(stats),
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON and JSON Lines

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown, column: ColumnStats): ValueType | null {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return classifyText(value);
    case 'object':
      if (value === null) return null;
      column.nested = true;
      return 'string';
    default:
      return null;
  }
}

/** Objects give columns by key; arrays by position (`column_1` …); other values a `value` column. */
function addJsonRow(table: Table, value: unknown): void {
  if (!table.beginRow()) return;
  const entries: [string, unknown][] = isRecord(value)
    ? Object.entries(value)
    : Array.isArray(value)
      ? value.map((v, i): [string, unknown] => [`column_${i + 1}`, v])
      : [['value', value]];
  for (const [key, v] of entries) {
    const column = table.named(key);
    if (column) table.observe(column, jsonType(v, column));
  }
  table.endRow();
}

/** Parse failures and oversized elements, for the notes. */
class JsonIssues {
  invalid = 0;
  firstInvalid = 0;
  oversized = 0;
  nonObjects = 0;

  parse(text: string, position: number): { ok: true; value: unknown } | { ok: false } {
    try {
      const value: unknown = JSON.parse(text);
      if (!isRecord(value)) this.nonObjects += 1;
      return { ok: true, value };
    } catch {
      this.invalid += 1;
      if (this.firstInvalid === 0) this.firstInvalid = position;
      return { ok: false };
    }
  }

  notes(unit: 'element' | 'line'): string[] {
    const notes: string[] = [];
    if (this.invalid > 0) {
      notes.push(
        `${plural(this.invalid, unit)} ${this.invalid === 1 ? 'is' : 'are'} not valid JSON and ${this.invalid === 1 ? 'was' : 'were'} skipped (first: ${unit} ${fmt(this.firstInvalid)})`,
      );
    }
    if (this.oversized > 0) {
      notes.push(
        `${plural(this.oversized, unit)} over 16 MB ${this.oversized === 1 ? 'was' : 'were'} skipped`,
      );
    }
    if (this.nonObjects > 0)
      notes.push(
        `${plural(this.nonObjects, unit)} ${this.nonObjects === 1 ? 'is' : 'are'} not a JSON object`,
      );
    return notes;
  }
}

const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Splits a top-level JSON array into the text of its elements as chunks arrive, tracking only string state and
 * nesting depth; each element is then parsed on its own, so memory is bounded by the largest element.
 */
class JsonArraySplitter {
  state: 'before' | 'array' | 'done' | 'other' = 'before';
  /** The first non-blank character when the document is not an array. */
  first = '';
  trailing = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  private active = false;
  private pending = '';
  private oversized = false;

  /** `text` is null for an element over MAX_ELEMENT_CHARS. */
  constructor(private readonly onElement: (text: string | null) => void) {}

  push(text: string): void {
    if (this.state === 'other' || this.trailing) return;
    let start = this.active ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === 0x20 || c === 0x09 || c === LF || c === CR) continue;
      if (this.state === 'before') {
        if (c === OPEN_BRACKET) {
          this.state = 'array';
          this.depth = 1;
          continue;
        }
        this.state = 'other';
        this.first = text[i] ?? '';
        return;
      }
      if (this.state === 'done') {
        this.trailing = true;
        return;
      }
      if (this.depth === 1) {
        if (c === COMMA || c === CLOSE_BRACKET) {
          if (this.active) this.flush(text.slice(start, i));
          start = -1;
          if (c === CLOSE_BRACKET) {
            this.depth = 0;
            this.state = 'done';
          }
          continue;
        }
        if (!this.active) {
          this.active = true;
          start = i;
        }
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth += 1;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) this.depth -= 1;
    }
    if (this.active && start >= 0) this.keep(text.slice(start));
  }

  /** True when the array was never closed. */
  end(): boolean {
    if (this.state !== 'array') return false;
    if (this.active) this.flush('');
    return true;
  }

  private keep(s: string): void {
    if (this.oversized) return;
    if (this.pending.length + s.length > MAX_ELEMENT_CHARS) {
      this.oversized = true;
      this.pending = '';
    } else this.pending += s;
  }

  private flush(last: string): void {
    this.onElement(this.oversized ? null : this.pending + last);
    this.pending = '';
    this.active = false;
    this.oversized = false;
  }
}

async function profileJson(path: string, maxRows: number): Promise<DataProfile> {
  const { head, size } = await readHead(path, SNIFF_CHARS);
  const enc = detectEncoding(head);
  const stats: DecodeStats = { replaced: false };
  const table = new Table(maxRows);
  const issues = new JsonIssues();
  let position = 0;
  const splitter = new JsonArraySplitter((text) => {
    position += 1;
    if (text === null) {
      issues.oversized += 1;
      return;
    }
    const parsed = issues.parse(text, position);
    if (parsed.ok) addJsonRow(table, parsed.value);
  });
  for await (const text of decodeText(path, enc, stats)) {
    splitter.push(text);
    if (splitter.state === 'other' || splitter.trailing) break;
  }
  const unclosed = splitter.end();

  if (splitter.state === 'array' || splitter.state === 'done') {
    const notes = [...issues.notes('element'), ...table.notes(), ...encodingNotes(stats)];
    if (unclosed) notes.unshift('the JSON array is not closed (a cut-off file?)');
    if (splitter.trailing) notes.push('text after the closing ] was ignored');
    return { kind: 'json', rows: table.rows, columns: table.profiles(), encoding: enc.name, notes };
  }
  if (splitter.state === 'before') {
    return { kind: 'json', rows: 0, columns: [], encoding: enc.name, notes: ['the file is empty'] };
  }
  if (splitter.first === '{' && (await looksLikeJsonLines(path, enc))) {
    const profile = await profileJsonLines(path, maxRows);
    return { ...profile, kind: 'json', notes: ['one JSON object per line (JSON Lines)', ...profile.notes] };
  }
  if (size > MAX_WHOLE_JSON_BYTES) {
    return {
      kind: 'json',
      rows: null,
      columns: [],
      encoding: enc.name,
      notes: [`not a JSON array, and over ${fmt(MAX_WHOLE_JSON_BYTES / 1024 / 1024)} MB: not profiled`],
    };
  }
  return profileWholeJson(path, enc, maxRows);
}

/** The first line is a whole JSON object and more follows. */
async function looksLikeJsonLines(path: string, enc: TextEncoding): Promise<boolean> {
  let text = '';
  for await (const chunk of decodeText(path, enc, { replaced: false })) {
    text += chunk;
    const newline = text.indexOf('\n');
    if (newline >= 0) {
      const rest = text.slice(newline + 1).trim();
      if (rest === '' && text.length < MAX_ELEMENT_CHARS) continue;
      try {
        return isRecord(JSON.parse(text.slice(0, newline))) && rest !== '';
      } catch {
        return false;
      }
    }
    if (text.length > MAX_ELEMENT_CHARS) return false;
  }
  return false;
}

/** A document that is not an array, parsed whole (size-capped): its first array of records, if any. */
async function profileWholeJson(path: string, enc: TextEncoding, maxRows: number): Promise<DataProfile> {
  const stats: DecodeStats = { replaced: false };
  let text = '';
  for await (const chunk of decodeText(path, enc, stats)) text += chunk;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? `: ${err.message}` : '';
    return {
      kind: 'json',
      rows: null,
      columns: [],
      encoding: enc.name,
      notes: [`not valid JSON${oneLine(detail, 120)}`],
    };
  }
  text = '';
  const table = new Table(maxRows);
  if (isRecord(doc)) {
    const found = Object.entries(doc).find(([, v]) => Array.isArray(v) && v.length > 0 && isRecord(v[0]));
    if (!found) {
      const keys = Object.keys(doc);
      const shown = keys.slice(0, 10).join(', ') + (keys.length > 10 ? ', …' : '');
      return {
        kind: 'json',
        rows: null,
        columns: [],
        encoding: enc.name,
        notes: [`a JSON object, not a list of records (keys: ${shown || 'none'})`],
      };
    }
    const [key, records] = found as [string, unknown[]];
    for (const record of records) addJsonRow(table, record);
    return {
      kind: 'json',
      rows: table.rows,
      columns: table.profiles(),
      encoding: enc.name,
      notes: [`rows are the records in "${key}"`, ...table.notes(), ...encodingNotes(stats)],
    };
  }
  addJsonRow(table, doc);
  return {
    kind: 'json',
    rows: table.rows,
    columns: table.profiles(),
    encoding: enc.name,
    notes: ['a single JSON value, not a list of records'],
  };
}

async function profileJsonLines(path: string, maxRows: number): Promise<DataProfile> {
  const { head } = await readHead(path, SNIFF_CHARS);
  const enc = detectEncoding(head);
  const stats: DecodeStats = { replaced: false };
  const table = new Table(maxRows);
  const issues = new JsonIssues();
  let pending = '';
  let oversized = false;
  let lineNo = 0;
  const line = (text: string | null): void => {
    lineNo += 1;
    if (text === null) {
      issues.oversized += 1;
      return;
    }
    if (text.trim() === '') return;
    const parsed = issues.parse(text, lineNo);
    if (parsed.ok) addJsonRow(table, parsed.value);
  };
  for await (const text of decodeText(path, enc, stats)) {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      line(oversized ? null : pending + text.slice(from, nl));
      pending = '';
      oversized = false;
      from = nl + 1;
    }
    if (oversized) continue;
    if (pending.length + text.length - from > MAX_ELEMENT_CHARS) {
      oversized = true;
      pending = '';
    } else pending += text.slice(from);
  }
  if (oversized || pending !== '') line(oversized ? null : pending);

  return {
    kind: 'jsonl',
    rows: table.rows,
    columns: table.profiles(),
    encoding: enc.name,
    notes: [...issues.notes('line'), ...table.notes(), ...encodingNotes(stats)],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// XLSX (a zip of XML parts): sheet names, then the first sheet streamed for rows, header names and types

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  offset: number;
}

const ZIP_EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_LOCAL = 0x04034b50;
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** The central directory (zip64 included), or null when this is not a zip. */
async function readZipDirectory(fh: FileHandle, size: number): Promise<Map<string, ZipEntry> | null> {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(fh, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === ZIP_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (
    (cdOffset === 0xffffffff || cdSize === 0xffffffff) &&
    eocd >= 20 &&
    tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR
  ) {
    const record = await readAt(fh, Number(tail.readBigUInt64LE(eocd - 12)), 56);
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) return null;
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > size) return null;

  const cd = await readAt(fh, cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  for (let p = 0; p + 46 <= cd.length && cd.readUInt32LE(p) === ZIP_CENTRAL; ) {
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLength + extraLength > cd.length) break;
    let compressedSize = cd.readUInt32LE(p + 20);
    const uncompressedSize = cd.readUInt32LE(p + 24);
    let offset = cd.readUInt32LE(p + 42);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    // Zip64 extra field: the 64-bit values, in order, of those fields that hold 0xffffffff.
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength; ) {
      const id = cd.readUInt16LE(e);
      const length = cd.readUInt16LE(e + 2);
      const fieldEnd = Math.min(e + 4 + length, cd.length);
      if (id === 0x0001) {
        let v = e + 4;
        if (uncompressedSize === 0xffffffff) v += 8;
        if (compressedSize === 0xffffffff && v + 8 <= fieldEnd) {
          compressedSize = Number(cd.readBigUInt64LE(v));
          v += 8;
        }
        if (offset === 0xffffffff && v + 8 <= fieldEnd) offset = Number(cd.readBigUInt64LE(v));
      }
      e += 4 + length;
    }
    entries.set(name, { name, method: cd.readUInt16LE(p + 10), compressedSize, offset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The entry's decompressed bytes as a stream (stored or deflated). */
async function openEntry(path: string, fh: FileHandle, entry: ZipEntry): Promise<Readable> {
  const local = await readAt(fh, entry.offset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== ZIP_LOCAL)
    throw new Error(`bad zip entry ${entry.name}`);
  if (entry.method !== 0 && entry.method !== 8)
    throw new Error(`unsupported zip compression ${entry.method}`);
  const start = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (entry.compressedSize === 0) return Readable.from([]);
  const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1 });
  if (entry.method === 0) return raw;
  // pipeline forwards errors and tears both streams down when the reader stops early.
  return pipeline(raw, createInflateRaw(), () => {});
}

async function* entryText(path: string, fh: FileHandle, entry: ZipEntry): AsyncGenerator<string> {
  const stream = await openEntry(path, fh, entry);
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of stream) {
      const text = decoder.decode(chunk as Buffer, { stream: true });
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } finally {
    stream.destroy();
  }
}

/** The first `maxChars` characters of an entry (all of it when smaller). */
async function entryPrefix(
  path: string,
  fh: FileHandle,
  entry: ZipEntry | undefined,
  maxChars: number,
): Promise<string> {
  if (!entry) return '';
  let text = '';
  for await (const chunk of entryText(path, fh, entry)) {
    text += chunk;
    if (text.length >= maxChars) break;
  }
  return text;
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

/** Column letters → 0-based index (A → 0, AA → 26). */
function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

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

/** Text of each `<si>` shared string, in order (rich-text runs joined, phonetic hints dropped). */
function parseSharedStrings(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<(?:\w+:)?si\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?si>)/g)) {
    const body = (m[1] ?? '').replace(/<(?:\w+:)?rPh\b[\s\S]*?<\/(?:\w+:)?rPh>/g, '');
    out.push(inlineText(body));
  }
  return out;
}

function inlineText(body: string): string {
  let text = '';
  for (const t of body.matchAll(/<(?:\w+:)?t\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?t>)/g)) text += t[1] ?? '';
  return unescapeXml(text);
}

type TemporalKind = 'date' | 'datetime' | undefined;

/** For each cell style (`s` attribute), whether its number format shows a date or a date-time. */
function parseDateStyles(xml: string): TemporalKind[] {
  const custom = new Map<number, string>();
  for (const m of xml.matchAll(/<(?:\w+:)?numFmt\b([^>]*)>/g)) {
    const id = Number(attr(m[1] ?? '', 'numFmtId'));
    custom.set(id, attr(m[1] ?? '', 'formatCode') ?? '');
  }
  const section = /<(?:\w+:)?cellXfs\b[^>]*>([\s\S]*?)<\/(?:\w+:)?cellXfs>/.exec(xml)?.[1] ?? '';
  return [...section.matchAll(/<(?:\w+:)?xf\b([^>]*)>/g)].map((m) => {
    const id = Number(attr(m[1] ?? '', 'numFmtId') ?? 0);
    return formatKind(id, custom.get(id));
  });
}

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
  const date = /[dy]/.test(bare);
  const time = /[hs]/.test(bare);
  if (time) return 'datetime';
  if (date || /m/.test(bare)) return 'date';
  return undefined;
}

interface SheetCell {
  column: number;
  type: ValueType | null;
  text: string;
}

function textCell(text: string): ValueType | null {
  return isNullText(text) ? null : 'string';
}

/**
 * One `<c>` element. Text cells are text (or empty for blank/NA-like text), numbers are integer or number unless
 * their style formats them as dates, `t="e"` errors (#N/A …) are empty.
 */
function readCell(
  attrs: string,
  body: string,
  shared: string[],
  dateStyles: TemporalKind[],
): Omit<SheetCell, 'column'> {
  const t = attr(attrs, 't') ?? 'n';
  const v = /<(?:\w+:)?v\b[^>]*>([\s\S]*?)<\/(?:\w+:)?v>/.exec(body)?.[1];
  switch (t) {
    case 's': {
      const text = v === undefined ? undefined : shared[Number(v)];
      if (text === undefined) return { type: v === undefined ? null : 'string', text: '' };
      return { type: textCell(text), text };
    }
    case 'inlineStr': {
      const text = inlineText(/<(?:\w+:)?is\b[^>]*>([\s\S]*?)<\/(?:\w+:)?is>/.exec(body)?.[1] ?? '');
      return { type: textCell(text), text };
    }
    case 'str': {
      const text = unescapeXml(v ?? '');
      return { type: textCell(text), text };
    }
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
    readonly table: Table,
    private readonly shared: string[],
    private readonly dateStyles: TemporalKind[],
  ) {}

  /** false once the scan gives up (a row without end, or more XML than MAX_SHEET_XML_CHARS). */
  push(text: string): boolean {
    this.scanned += text.length;
    this.buffer += text;
    if (!this.dimensionChecked) {
      // <dimension> comes before <sheetData>: keep everything until then.
      if (!this.buffer.includes('sheetData') && this.buffer.length <= SNIFF_CHARS) return true;
      this.dimensionChecked = true;
      this.dimension = /<(?:\w+:)?dimension\b[^>]*?\sref\s*=\s*"([^"]*)"/.exec(this.buffer)?.[1] ?? null;
    }
    this.consumeRows();
    if (this.buffer.length > 64 * 1024 * 1024 || this.scanned > MAX_SHEET_XML_CHARS) {
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
    for (const m of xml.matchAll(/<(?:\w+:)?row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g)) {
      consumed = (m.index ?? 0) + m[0].length;
      this.row(m[2] ?? '');
    }
    const tail = xml.slice(consumed);
    const open = tail.search(/<(?:\w+:)?row\b/);
    const lastTag = tail.lastIndexOf('<');
    this.buffer = open >= 0 ? tail.slice(open) : lastTag >= 0 ? tail.slice(lastTag) : '';
  }

  private row(body: string): void {
    const cells: SheetCell[] = [];
    let next = 0;
    for (const m of body.matchAll(/<(?:\w+:)?c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?c>)/g)) {
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

/** `A1:D1251` → 1251 rows × 4 columns. */
function parseDimension(ref: string): { rows: number; columns: number } | null {
  const m = /^\$?([A-Za-z]+)\$?(\d+)(?::\$?([A-Za-z]+)\$?(\d+))?$/.exec(ref.trim());
  if (!m?.[1] || !m[2]) return null;
  const [c1, r1] = [columnIndex(m[1]), Number(m[2])];
  const [c2, r2] = m[3] && m[4] ? [columnIndex(m[3]), Number(m[4])] : [c1, r1];
  return { rows: Math.abs(r2 - r1) + 1, columns: Math.abs(c2 - c1) + 1 };
}

async function profileXlsx(path: string, kind: DataKind, maxRows: number): Promise<DataProfile> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const magic = await readAt(fh, 0, 8);
    const directory =
      magic.length >= 4 && magic.readUInt32LE(0) === ZIP_LOCAL ? await readZipDirectory(fh, size) : null;
    if (!directory) {
      const cfb = magic.toString('hex') === 'd0cf11e0a1b11ae1';
      const why = cfb
        ? 'it is an encrypted (password-protected) workbook or an old .xls file'
        : 'it is not a zip archive as XLSX files are';
      return { kind, rows: null, columns: [], notes: [`could not read the workbook: ${why}`] };
    }
    const workbookEntry = directory.get('xl/workbook.xml');
    if (!workbookEntry)
      return { kind, rows: null, columns: [], notes: ['no xl/workbook.xml: not an Excel workbook'] };

    const workbook = await entryPrefix(path, fh, workbookEntry, MAX_XML_PART_CHARS);
    const sheetTags = [...workbook.matchAll(/<(?:\w+:)?sheet\b([^>]*)>/g)].map((m) => m[1] ?? '');
    const sheets = sheetTags.map((a) => attr(a, 'name') ?? '');
    const firstRelId = sheetTags[0] ? /\s[\w-]+:id\s*=\s*"([^"]*)"/.exec(sheetTags[0])?.[1] : undefined;

    const rels = await entryPrefix(path, fh, directory.get('xl/_rels/workbook.xml.rels'), MAX_XML_PART_CHARS);
    let sheetPath = 'xl/worksheets/sheet1.xml';
    for (const m of rels.matchAll(/<(?:\w+:)?Relationship\b([^>]*)>/g)) {
      if (firstRelId === undefined || attr(m[1] ?? '', 'Id') !== firstRelId) continue;
      const target = attr(m[1] ?? '', 'Target') ?? '';
      sheetPath = target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
    }
    const base = { kind, ...(sheets.length > 0 ? { sheets } : {}) };
    try {
      return await profileFirstSheet(path, fh, directory, sheetPath, base, maxRows);
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

/** The first sheet: header names, rows and types from a streaming scan; the declared dimension as a fallback. */
async function profileFirstSheet(
  path: string,
  fh: FileHandle,
  directory: Map<string, ZipEntry>,
  sheetPath: string,
  base: { kind: DataKind; sheets?: string[] },
  maxRows: number,
): Promise<DataProfile> {
  const sheets = base.sheets ?? [];
  const sheetEntry = directory.get(sheetPath);
  if (!sheetEntry) return { ...base, rows: null, columns: [], notes: ['the first sheet could not be found'] };

  const sharedXml = await entryPrefix(path, fh, directory.get('xl/sharedStrings.xml'), MAX_XML_PART_CHARS);
  const shared = parseSharedStrings(sharedXml);
  const dateStyles = parseDateStyles(
    await entryPrefix(path, fh, directory.get('xl/styles.xml'), MAX_XML_PART_CHARS),
  );

  const table = new Table(maxRows);
  const scanner = new SheetScanner(table, shared, dateStyles);
  for await (const text of entryText(path, fh, sheetEntry)) {
    if (!scanner.push(text)) break;
  }
  if (!scanner.tooLarge) scanner.end();

  const notes: string[] = [];
  if (sheets.length > 1) notes.push(`profiled the first sheet, “${sheets[0]}”`);
  const declared = scanner.dimension ? parseDimension(scanner.dimension) : null;
  if (scanner.tooLarge || !scanner.headerFound) {
    if (!declared) {
      const why = scanner.tooLarge ? 'the sheet is too large to scan' : 'the first sheet is empty';
      return { ...base, rows: scanner.tooLarge ? null : 0, columns: [], notes: [...notes, why] };
    }
    notes.push(
      `rows from the sheet's declared range ${scanner.dimension} (header row assumed); ${declared.columns} columns`,
    );
    return { ...base, rows: Math.max(0, declared.rows - 1), columns: [], notes };
  }
  notes.push('the first non-empty row was read as the column names');
  if (scanner.extraColumns) notes.push('some cells lie outside the header row’s columns (named by letter)');
  if (sharedXml.length >= MAX_XML_PART_CHARS)
    notes.push('very large shared-string table: some text cells were not checked for NA-like values');
  return { ...base, rows: table.rows, columns: table.profiles(), notes: [...notes, ...table.notes()] };
}

/** Legacy BIFF workbooks are not parsed; an .xls that is really XLSX, HTML or text is said so. */
async function profileXls(path: string, maxRows: number): Promise<DataProfile> {
  const { head } = await readHead(path, 512);
  if (head.length >= 4 && head.readUInt32LE(0) === ZIP_LOCAL) {
    const profile = await profileXlsx(path, 'xls', maxRows);
    return { ...profile, notes: ['this .xls file is an XLSX workbook', ...profile.notes] };
  }
  if (head.subarray(0, 8).toString('hex') === 'd0cf11e0a1b11ae1') {
    return {
      kind: 'xls',
      rows: null,
      columns: [],
      notes: ['Excel 97–2003 workbook: rows and columns are not read before analysis'],
    };
  }
  if (head.length > 0 && !head.includes(0) && !head.toString('latin1').trimStart().startsWith('<')) {
    // Many "Excel exports" are delimited text named .xls.
    const profile = await profileDelimited(path, 'xls', maxRows);
    return { ...profile, notes: ['this .xls file is text, read as delimited text', ...profile.notes] };
  }
  const what = head.toString('latin1').trimStart().startsWith('<')
    ? 'an HTML or XML page'
    : 'an unknown format';
  return {
    kind: 'xls',
    rows: null,
    columns: [],
    notes: [`this .xls file is ${what}, not a binary Excel workbook`],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Parquet: the Thrift-encoded footer holds num_rows, the schema and per-column null counts

type ThriftValue = boolean | number | Buffer | ThriftValue[] | ThriftStruct;
type ThriftStruct = Map<number, ThriftValue>;

/** Thrift compact protocol, decoded generically (field id → value). */
class CompactReader {
  private pos = 0;
  private depth = 0;

  constructor(private readonly buf: Buffer) {}

  readStruct(): ThriftStruct {
    if (++this.depth > 64) throw new Error('Parquet footer nests too deeply');
    const out: ThriftStruct = new Map();
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) break;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      out.set(id, type === 1 || type === 2 ? type === 1 : this.value(type));
    }
    this.depth -= 1;
    return out;
  }

  private value(type: number): ThriftValue {
    switch (type) {
      case 1:
      case 2:
        return this.byte() === 1; // a bool inside a list is a whole byte
      case 3:
        return (this.byte() << 24) >> 24;
      case 4:
      case 5:
      case 6:
        return this.zigzag();
      case 7: {
        this.need(8);
        const v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      }
      case 8: {
        const length = this.varint();
        this.need(length);
        const v = this.buf.subarray(this.pos, this.pos + length);
        this.pos += length;
        return v;
      }
      case 9:
      case 10: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        this.need(size);
        const out: ThriftValue[] = [];
        for (let i = 0; i < size; i++) out.push(this.value(header & 0x0f));
        return out;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return [];
        const types = this.byte();
        this.need(size);
        const out: ThriftValue[] = [];
        for (let i = 0; i < size; i++) out.push([this.value(types >> 4), this.value(types & 0x0f)]);
        return out;
      }
      case 12:
        return this.readStruct();
      default:
        throw new Error(`bad Parquet footer (Thrift type ${type})`);
    }
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.buf.length) throw new Error('truncated Parquet footer');
  }

  /** Unsigned LEB128, exact up to 2^53. */
  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('bad varint in Parquet footer');
  }

  private zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
}

function tNumber(s: ThriftStruct | undefined, id: number): number | undefined {
  const v = s?.get(id);
  return typeof v === 'number' ? v : undefined;
}

function tString(s: ThriftStruct | undefined, id: number): string | undefined {
  const v = s?.get(id);
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

function tStruct(s: ThriftStruct | undefined, id: number): ThriftStruct | undefined {
  const v = s?.get(id);
  return v instanceof Map ? v : undefined;
}

function tList(s: ThriftStruct | undefined, id: number): ThriftValue[] {
  const v = s?.get(id);
  return Array.isArray(v) ? v : [];
}

/** Physical type (1), converted type (6) and logical type (10) of a SchemaElement → a profile type. */
function parquetType(element: ThriftStruct): ColumnProfile['type'] {
  const logical = tStruct(element, 10);
  const logicalId = logical ? [...logical.keys()][0] : undefined;
  switch (logicalId) {
    case 1:
    case 4:
    case 12:
    case 13:
    case 14:
      return 'string';
    case 5:
    case 15:
      return 'number';
    case 6:
      return 'date';
    case 7:
    case 8:
      return 'datetime';
    case 10:
      return 'integer';
    case 11:
      return 'empty';
  }
  const converted = tNumber(element, 6);
  if (converted !== undefined) {
    if (converted === 5) return 'number';
    if (converted === 6) return 'date';
    if (converted >= 7 && converted <= 10) return 'datetime';
    if (converted >= 11 && converted <= 18) return 'integer';
    return 'string';
  }
  switch (tNumber(element, 1)) {
    case 0:
      return 'boolean';
    case 1:
    case 2:
      return 'integer';
    case 3:
      return 'datetime'; // INT96: legacy timestamps
    case 4:
    case 5:
      return 'number';
    default:
      return 'string';
  }
}

async function profileParquet(path: string): Promise<DataProfile> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const unknown = (note: string): DataProfile => ({
      kind: 'parquet',
      rows: null,
      columns: [],
      notes: [note],
    });
    if (size < 12) return unknown('too small to be a Parquet file');
    const tail = await readAt(fh, size - 8, 8);
    const magic = tail.toString('latin1', 4, 8);
    if (magic === 'PARE') return unknown('encrypted Parquet footer: rows and columns not read');
    if (magic !== 'PAR1') return unknown('not a Parquet file (no PAR1 footer)');
    const footerLength = tail.readUInt32LE(0);
    if (footerLength > size - 12 || footerLength > MAX_PARQUET_FOOTER_BYTES) {
      return unknown('the Parquet footer is too large or damaged: rows and columns not read');
    }
    const meta = new CompactReader(await readAt(fh, size - 8 - footerLength, footerLength)).readStruct();

    const rows = tNumber(meta, 3) ?? null;
    const schema = tList(meta, 2).filter((s): s is ThriftStruct => s instanceof Map);
    const top: { name: string; element: ThriftStruct; nested: boolean }[] = [];
    let index = 1;
    for (let child = 0; child < (tNumber(schema[0], 5) ?? 0) && index < schema.length; child++) {
      const element = schema[index]!;
      top.push({ name: tString(element, 4) ?? '', element, nested: (tNumber(element, 5) ?? 0) > 0 });
      // Skip the element and its whole subtree (the schema is flattened depth-first).
      let pending = 1;
      while (pending > 0 && index < schema.length) {
        pending += (tNumber(schema[index], 5) ?? 0) - 1;
        index += 1;
      }
    }

    // Null counts from each row group's column statistics, for top-level leaf columns.
    const nulls = new Map<string, number | null>();
    for (const group of tList(meta, 4)) {
      for (const chunk of tList(group instanceof Map ? group : undefined, 1)) {
        const metadata = tStruct(chunk instanceof Map ? chunk : undefined, 3);
        const pathInSchema = tList(metadata, 3);
        if (pathInSchema.length !== 1 || !Buffer.isBuffer(pathInSchema[0])) continue;
        const name = pathInSchema[0].toString('utf8');
        const count = tNumber(tStruct(metadata, 12), 3);
        const sum = nulls.get(name);
        nulls.set(name, count === undefined || sum === null ? null : (sum ?? 0) + count);
      }
    }

    let missingNulls = false;
    const columns = top.map(({ name, element, nested }): ColumnProfile => {
      const count = nulls.get(name);
      if (nested || count === undefined || count === null) {
        if (!nested && rows !== 0) missingNulls = true;
        return { name, type: nested ? 'string' : parquetType(element), nulls: 0 };
      }
      const allEmpty = rows !== null && rows > 0 && count >= rows;
      return { name, type: allEmpty ? 'empty' : parquetType(element), nulls: count };
    });
    const notes = ['types from the Parquet schema'];
    if (rows === null) notes.push('row count not available for this Parquet file');
    if (missingNulls) notes.push('empty counts not recorded in the file for some columns (shown as 0)');
    const nested = top.filter((c) => c.nested).map((c) => c.name);
    if (nested.length > 0) notes.push(`nested columns (shown as text): ${nested.slice(0, 5).join(', ')}`);
    return { kind: 'parquet', rows, columns, notes };
  } finally {
    await fh.close();
  }
}
