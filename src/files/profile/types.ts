/**
 * Column types inferred from cell text, and the per-column counters every table-shaped format fills in.
 *
 * Every check over cell text is linear in its length: numbers are read by a hand-written scanner, and the date and
 * time patterns only run on short text (a field of 80,000 digits followed by a letter once took seconds here).
 * Conventions that one cell cannot settle (is "1,234" a thousand or 1.234?) are decided per column, from all of it.
 */
import type { ColumnProfile } from './profile.js';
import { formatCount } from './wording.js';

export type ValueType = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'time' | 'string';

/** Columns past this many are not profiled (and a note says so). */
export const MAX_COLUMNS = 1_000;
/** Column names (header cells, JSON keys) are kept up to this many characters. */
export const MAX_NAME_CHARS = 256;

const NULL_TOKENS = new Set(['', 'na', 'n/a', 'null', 'nan', 'none']);
/** Plain numbers as XLSX stores them; both patterns are linear (no quantifier can trade characters with another). */
export const INTEGER = /^[+-]?\d+$/;
export const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false|yes|no)$/i;

/** Dates and times are never longer; longer text skips the patterns below. */
const MAX_TEMPORAL_CHARS = 40;
const TIME_PART = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?(?: ?[AaPp][Mm])?`;
const ZONE = String.raw`(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?`;
const ISO_DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;
const ISO_DATETIME = new RegExp(
  String.raw`^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt ]${TIME_PART}${ZONE}$`,
);
const TIME = new RegExp(`^${TIME_PART}$`);
/** 2024/01/31, 2024.01.31: year first, so no day/month question. */
const YMD = new RegExp(
  String.raw`^\d{4}([/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?:[ T]${TIME_PART})?$`,
);
/** 1/2/2024, 31.12.2024, 02-01-2024 4:34 PM: day and month in an order the column has to settle. */
const DMY_OR_MDY = new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2\d{4}(?:[ T]${TIME_PART})?$`);

const CURRENCY_SYMBOLS = '$€£¥₹';

/** What one cell's text says: its type, and for numbers and dates the writing conventions it shows. */
export interface TextCell {
  /** The type under the common reading ("1,234" a thousand, "1.234" one point two three four). */
  readonly type: ValueType;
  /** Numbers: the decimal mark the text proves, or a three-digit group that could be either ('?'). */
  readonly mark?: 'point' | 'comma' | 'point?' | 'comma?' | undefined;
  /** Numbers: thousands separators. */
  readonly grouped?: boolean | undefined;
  /** Numbers: '%' or a currency symbol. */
  readonly unit?: string | undefined;
  /** Dates with day and month: which comes first, when the numbers tell. */
  readonly order?: 'dm' | 'md' | 'either';
  readonly separator?: string | undefined;
  /** Six or more hex digits and nothing else (an ID, or a number that looks like one). */
  readonly hex?: boolean;
}

const PLAIN: Readonly<Record<ValueType, TextCell>> = {
  integer: { type: 'integer' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  date: { type: 'date' },
  datetime: { type: 'datetime' },
  time: { type: 'time' },
  string: { type: 'string' },
};
const HEX: Readonly<Record<'integer' | 'number' | 'string', TextCell>> = {
  integer: { type: 'integer', hex: true },
  number: { type: 'number', hex: true },
  string: { type: 'string', hex: true },
};

/** Shared cells for numbers that show a decimal mark and nothing else (the common case: no allocation). */
const MARKED: Readonly<
  Record<'integer' | 'number', Readonly<Record<NonNullable<TextCell['mark']>, TextCell>>>
> = {
  integer: {
    point: { type: 'integer', mark: 'point' },
    comma: { type: 'integer', mark: 'comma' },
    'point?': { type: 'integer', mark: 'point?' },
    'comma?': { type: 'integer', mark: 'comma?' },
  },
  number: {
    point: { type: 'number', mark: 'point' },
    comma: { type: 'number', mark: 'comma' },
    'point?': { type: 'number', mark: 'point?' },
    'comma?': { type: 'number', mark: 'comma?' },
  },
};

function numberCell(
  type: 'integer' | 'number',
  mark: TextCell['mark'],
  grouped: boolean,
  unit: string | undefined,
): TextCell {
  if (unit || grouped) return { type: unit === '%' ? 'number' : type, mark, grouped, unit };
  return mark ? MARKED[type][mark] : PLAIN[type];
}

/** Blank, NA, N/A, null, NaN or None, in any case. */
export function isNullText(raw: string): boolean {
  const v = raw.trim();
  return v.length <= 4 && NULL_TOKENS.has(v.toLowerCase());
}

/** null for an empty cell (see isNullText). */
export function classifyText(raw: string): ValueType | null {
  return describeText(raw)?.type ?? null;
}

/** null for an empty cell; otherwise the type and conventions of the text. Linear in the text's length. */
export function describeText(raw: string): TextCell | null {
  const v = raw.trim();
  if (isNullText(v)) return null;
  const number = scanNumber(v);
  const hex = v.length >= 6 && isHex(v);
  if (number) {
    if (!hex) return number;
    return number.type === 'integer' ? HEX.integer : HEX.number;
  }
  if (hex) return HEX.string;
  if (v.length > MAX_TEMPORAL_CHARS) return PLAIN.string;
  const c = v.charCodeAt(0);
  if (!isDigit(c)) return BOOLEAN.test(v) ? PLAIN.boolean : PLAIN.string;
  if (ISO_DATE.test(v)) return PLAIN.date;
  if (ISO_DATETIME.test(v)) return PLAIN.datetime;
  if (TIME.test(v)) return PLAIN.time;
  if (YMD.test(v)) return v.length > 10 ? PLAIN.datetime : PLAIN.date;
  const m = DMY_OR_MDY.exec(v);
  if (m) {
    const first = Number(m[1]);
    const second = Number(m[3]);
    if (first >= 1 && second >= 1 && first <= 31 && second <= 31 && (first <= 12 || second <= 12)) {
      const order = first > 12 ? 'dm' : second > 12 ? 'md' : 'either';
      return { type: v.length > 10 ? 'datetime' : 'date', order, separator: m[2] };
    }
  }
  return PLAIN.string;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) | 0x20; // lower case for letters
    if (!isDigit(v.charCodeAt(i)) && !(c >= 0x61 && c <= 0x66)) return false;
  }
  return true;
}

/**
 * A number as people write it, or null: a sign, a currency symbol before or after, a trailing '%', and digits with
 * '.' or ',' as decimal mark or thousands separator ("1,234.50", "1.234,50", "1,25", ".5", "12.5e3"). One pass.
 */
function scanNumber(v: string): TextCell | null {
  let i = 0;
  let end = v.length;
  let unit: string | undefined;
  let signed = false;
  if (v[i] === '+' || v[i] === '-') {
    signed = true;
    i += 1;
  }
  if (i < end && CURRENCY_SYMBOLS.includes(v[i]!)) {
    unit = v[i];
    i += 1;
    if (v[i] === ' ' || v[i] === '\u00a0') i += 1;
    if (!signed && (v[i] === '+' || v[i] === '-')) i += 1;
  }
  if (end > i && v[end - 1] === '%' && !unit) {
    unit = '%';
    end -= 1;
  } else if (end > i && !unit && CURRENCY_SYMBOLS.includes(v[end - 1]!)) {
    unit = v[end - 1];
    end -= 1;
  }
  if (unit && end > i && (v[end - 1] === ' ' || v[end - 1] === '\u00a0')) end -= 1;
  if (i >= end) return null;

  // Digit groups between separators: only the first, the last and whether those in between hold three digits.
  let firstLen = -1;
  let groupLen = 0;
  let separators = 0;
  let firstSeparator = '';
  let lastSeparator = '';
  let exponent = false;
  const leadingZero = v[i] === '0';
  for (let j = i; j < end; j++) {
    const c = v.charCodeAt(j);
    if (isDigit(c)) {
      groupLen += 1;
      continue;
    }
    if (c === 0x2e || c === 0x2c) {
      const s = c === 0x2e ? '.' : ',';
      if (separators === 0) {
        firstLen = groupLen;
        firstSeparator = s;
      } else {
        // A group between two separators is a thousands group; a second kind of separator can only come last.
        if (groupLen !== 3 || lastSeparator !== firstSeparator) return null;
      }
      lastSeparator = s;
      separators += 1;
      groupLen = 0;
      continue;
    }
    if ((c === 0x65 || c === 0x45) && !unit) {
      // 1e10, 1.5E-3, .5e2: no separator or one decimal point before, digits after.
      if (separators > 1 || firstSeparator === ',' || groupLen + Math.max(firstLen, 0) === 0) return null;
      let k = j + 1;
      if (v[k] === '+' || v[k] === '-') k += 1;
      if (k >= end) return null;
      for (; k < end; k++) if (!isDigit(v.charCodeAt(k))) return null;
      exponent = true;
      break;
    }
    return null;
  }
  const lastLen = groupLen;
  if (exponent) return numberCell('number', undefined, false, unit);
  if (separators === 0) return numberCell('integer', undefined, false, unit);
  if (separators === 1) {
    if (lastLen === 0) return null;
    const couldGroup = lastLen === 3 && firstLen >= 1 && firstLen <= 3 && !leadingZero;
    if (firstSeparator === '.') return numberCell('number', couldGroup ? 'point?' : 'point', false, unit);
    return couldGroup
      ? numberCell('integer', 'comma?', false, unit)
      : numberCell('number', 'comma', false, unit);
  }
  if (firstLen < 1 || firstLen > 3 || leadingZero) return null;
  if (lastSeparator === firstSeparator) {
    // 1,234,567 or 1.234.567: thousands separators only.
    if (lastLen !== 3) return null;
    return numberCell('integer', firstSeparator === ',' ? 'point' : 'comma', true, unit);
  }
  // 1,234.5 or 1.234,5: thousands separators, then the decimal mark.
  if (lastLen === 0) return null;
  return numberCell('number', lastSeparator === '.' ? 'point' : 'comma', true, unit);
}

/** What a column's text cells showed, beyond their types. */
interface TextStats {
  point: number;
  comma: number;
  /** "1.234": a decimal point, or a thousands dot. */
  pointOrThousands: number;
  /** "1,234": a thousands comma, or a decimal comma. */
  commaOrDecimal: number;
  grouped: number;
  numbers: number;
  units: Map<string, number>;
  dm: number;
  md: number;
  either: number;
  separators: Set<string>;
  hex: number;
  hexText: number;
}

export interface ColumnStats {
  name: string;
  nulls: number;
  counts: Record<ValueType, number>;
  /** The last typed row this column was seen in (1-based), so rows without it count as empty. */
  lastRow: number;
  /** JSON objects or arrays were seen (counted as text). */
  nested: boolean;
  /** Created on the first number or date written with a convention worth naming. */
  text?: TextStats;
}

/** Row counter and per-column type counters; only the first `maxRows` rows are typed. */
export class Table {
  readonly columns: ColumnStats[] = [];
  private readonly byName = new Map<string, ColumnStats>();
  rows = 0;
  typedRows = 0;
  droppedColumns = false;
  /** All columns the data has, when known and more than MAX_COLUMNS (a CSV header); null when not counted. */
  columnCount: number | null = null;

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
    const column: ColumnStats = {
      name: name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name,
      nulls: Math.max(0, this.typedRows - 1),
      counts: { integer: 0, number: 0, boolean: 0, date: 0, datetime: 0, time: 0, string: 0 },
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

  /** A column called `name` exists already. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** A cell of the current row: a type (typed formats), or what describeText said of its text. */
  observe(column: ColumnStats, cell: ValueType | TextCell | null): void {
    if (column.lastRow === this.typedRows) return; // a duplicate cell in the same row
    column.lastRow = this.typedRows;
    if (cell === null) column.nulls += 1;
    else if (typeof cell === 'string') column.counts[cell] += 1;
    else observeText(column, cell);
  }

  /** Types text and observes it (see describeText). */
  observeText(column: ColumnStats, raw: string): void {
    this.observe(column, describeText(raw));
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
    return this.columns.map((c) => {
      const { type, format } = resolveColumn(c);
      return format ? { name: c.name, type, nulls: c.nulls, format } : { name: c.name, type, nulls: c.nulls };
    });
  }

  /** Notes every table-shaped format shares; the caps come first so a receipt never drops them. */
  notes(): string[] {
    const notes: string[] = [];
    if (this.rows > this.typedRows) {
      notes.push(`types and empty counts inferred from the first ${formatCount(this.typedRows)} rows`);
    }
    if (this.droppedColumns && this.columnCount === null) {
      notes.push(
        `more than ${formatCount(MAX_COLUMNS)} columns (first ${formatCount(MAX_COLUMNS)} profiled)`,
      );
    }
    const nested = this.columns.filter((c) => c.nested).map((c) => c.name);
    if (nested.length > 0) {
      notes.push(`nested objects or arrays (counted as text) in ${nested.slice(0, 5).join(', ')}`);
    }
    return notes;
  }
}

function observeText(column: ColumnStats, cell: TextCell): void {
  if (cell === PLAIN[cell.type]) {
    column.counts[cell.type] += 1;
    return;
  }
  column.text ??= {
    point: 0,
    comma: 0,
    pointOrThousands: 0,
    commaOrDecimal: 0,
    grouped: 0,
    numbers: 0,
    units: new Map(),
    dm: 0,
    md: 0,
    either: 0,
    separators: new Set(),
    hex: 0,
    hexText: 0,
  };
  const t = column.text;
  if (cell.hex) {
    t.hex += 1;
    if (cell.type === 'string') t.hexText += 1;
  }
  if (cell.order) {
    t[cell.order] += 1;
    t.separators.add(cell.separator ?? '/');
  }
  if (cell.type === 'integer' || cell.type === 'number') {
    t.numbers += 1;
    if (cell.grouped) t.grouped += 1;
    if (cell.unit) t.units.set(cell.unit, (t.units.get(cell.unit) ?? 0) + 1);
    if (cell.mark === 'point?') {
      t.pointOrThousands += 1;
      return; // typed once the column's convention is known
    }
    if (cell.mark === 'comma?') {
      t.commaOrDecimal += 1;
      return;
    }
    if (cell.mark === 'point') t.point += 1;
    if (cell.mark === 'comma') t.comma += 1;
  }
  column.counts[cell.type] += 1;
}

/** The column's type and the convention it was written in, from all its cells. */
function resolveColumn(c: ColumnStats): { type: ColumnProfile['type']; format?: string } {
  const t = c.text;
  if (!t) return { type: resolveType(c.counts) };
  const counts = { ...c.counts };
  const formats: string[] = [];
  const seen = Object.values(counts).reduce((a, b) => a + b, 0) + t.pointOrThousands + t.commaOrDecimal;
  // A column of hex IDs, some of which happen to read as numbers (all digits, or digits around one 'e').
  if (t.hexText > 0 && t.hex === seen) return { type: 'string', format: 'hex IDs' };

  if (t.numbers > 0) {
    if (t.point > 0 && t.comma > 0) {
      return { type: 'mixed', format: 'decimal point and decimal comma both used' };
    }
    if (t.comma > 0) {
      counts.integer += t.pointOrThousands;
      counts.number += t.commaOrDecimal;
      formats.push('decimal comma');
    } else if (t.commaOrDecimal > 0 && t.point === 0) {
      counts.number += t.commaOrDecimal + t.pointOrThousands;
      formats.push("',' thousands or decimal?");
    } else {
      counts.integer += t.commaOrDecimal;
      counts.number += t.pointOrThousands;
      if (t.commaOrDecimal > 0 || t.grouped > 0) formats.push("',' thousands");
    }
    if (t.grouped > 0 && t.comma > 0) formats[formats.length - 1] = "decimal comma, '.' thousands";
    for (const [unit, n] of t.units) formats.push(n === t.numbers ? unit : `${unit} in some rows`);
  }
  const dated = t.dm + t.md + t.either;
  if (dated > 0) {
    const sep = t.separators.size === 1 ? [...t.separators][0]! : '/';
    if (t.dm > 0 && t.md > 0) formats.push('day/month order differs between rows');
    else if (t.dm > 0) formats.push(`d${sep}m${sep}yyyy`);
    else if (t.md > 0) formats.push(`m${sep}d${sep}yyyy`);
    else formats.push('day/month order unclear');
  }
  const type = resolveType(counts);
  return formats.length > 0 && type !== 'string' ? { type, format: formats.join(', ') } : { type };
}

/** Numbers with anything else are 'mixed'; dates, times or booleans among text are text. */
function resolveType(counts: Record<ValueType, number>): ColumnProfile['type'] {
  const { integer, number, boolean, date, datetime, time, string } = counts;
  const numeric = integer + number;
  const other = boolean + date + datetime + time + string;
  if (numeric + other === 0) return 'empty';
  if (numeric > 0) return other > 0 ? 'mixed' : number > 0 ? 'number' : 'integer';
  if (string > 0) return 'string';
  if (boolean > 0) return date + datetime + time > 0 ? 'string' : 'boolean';
  if (time > 0) return date + datetime > 0 ? 'string' : 'time';
  return datetime > 0 ? 'datetime' : 'date';
}
