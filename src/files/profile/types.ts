/** Column types inferred from cell text, and the per-column counters every table-shaped format fills in. */
import type { ColumnProfile } from './index.js';
import { formatCount } from './wording.js';

export type ValueType = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'string';

/** Columns past this many are not profiled (and a note says so). */
export const MAX_COLUMNS = 1_000;

const NULL_TOKENS = new Set(['', 'na', 'n/a', 'null', 'nan', 'none']);
export const INTEGER = /^[+-]?\d+$/;
export const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false|yes|no)$/i;
const DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;
const DATETIME =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?$/i;

/** Blank, NA, N/A, null, NaN or None, in any case. */
export function isNullText(raw: string): boolean {
  const v = raw.trim();
  return v.length <= 4 && NULL_TOKENS.has(v.toLowerCase());
}

/** null for an empty cell (see isNullText). */
export function classifyText(raw: string): ValueType | null {
  const v = raw.trim();
  if (isNullText(v)) return null;
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

export interface ColumnStats {
  name: string;
  nulls: number;
  counts: Record<ValueType, number>;
  /** The last typed row this column was seen in (1-based), so rows without it count as empty. */
  lastRow: number;
  /** JSON objects or arrays were seen (counted as text). */
  nested: boolean;
}

/** Row counter and per-column type counters; only the first `maxRows` rows are typed. */
export class Table {
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
    const column: ColumnStats = {
      name,
      nulls: Math.max(0, this.typedRows - 1),
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
      notes.push(`types and empty counts inferred from the first ${formatCount(this.typedRows)} rows`);
    }
    if (this.droppedColumns) notes.push(`only the first ${formatCount(MAX_COLUMNS)} columns are profiled`);
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
