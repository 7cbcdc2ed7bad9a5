/**
 * Which row of a sheet holds the column names. Reports put a title, a subtitle or blank rows above the table, and
 * some tables have a group row (merged cells such as "Sales" over "q1 q2") above the real header.
 *
 * The header is the first row, among the first rows of the sheet, whose cells are mostly text and which spans at
 * least half the table's width; when the row after it is text too and fills in the gaps of a sparse row (the
 * group row), that next row is the header and the group names are joined to it ("Sales / q1").
 */
import type { ValueType } from './types.js';

export interface SheetCell {
  /** 0-based column. */
  column: number;
  type: ValueType | null;
  text: string;
  /** A formula without a computed value. */
  uncomputed: boolean;
}

export interface SheetRow {
  /** 1-based row number in the sheet. */
  number: number;
  cells: SheetCell[];
}

/** Non-empty rows looked at before the header is chosen, and cells in them at most (fewer rows when wide). */
export const HEADER_WINDOW = 30;
export const HEADER_WINDOW_CELLS = 50_000;

export interface HeaderChoice {
  /** Index of the header row in the rows looked at. */
  header: number;
  /** Index of a group row right above it, or null. */
  group: number | null;
}

function isFilled(c: SheetCell): boolean {
  return c.type !== null || c.uncomputed || c.text.trim() !== '';
}

function textCells(row: SheetRow): number {
  return row.cells.filter((c) => c.type === 'string').length;
}

function filledCells(row: SheetRow): number {
  return row.cells.filter(isFilled).length;
}

/** Mostly text: at least 80% of the filled cells. */
function mostlyText(row: SheetRow): boolean {
  const text = textCells(row);
  return text > 0 && text >= 0.8 * filledCells(row);
}

/** `rows` are the sheet's first non-empty rows (at least one). */
export function chooseHeader(rows: readonly SheetRow[]): HeaderChoice {
  const width = Math.max(...rows.map(filledCells));
  const minimum = width <= 1 ? 1 : Math.max(2, 0.5 * width);
  const header = rows.findIndex((row) => mostlyText(row) && textCells(row) >= minimum);
  if (header < 0) return { header: 0, group: null };
  if (isGroupRow(rows[header], rows[header + 1])) return { header: header + 1, group: header };
  if (isGroupRow(rows[header - 1], rows[header])) return { header, group: header - 1 };
  return { header, group: null };
}

/**
 * A sparse text row right above a header that fills in its gaps: group names over merged cells. One cell in the
 * table's first column is a title or a note instead.
 */
function isGroupRow(row: SheetRow | undefined, header: SheetRow | undefined): boolean {
  if (!row || !header || header.number !== row.number + 1) return false;
  const filled = row.cells.filter(isFilled);
  const firstColumn = lowest(header.cells.filter(isFilled).map((c) => c.column));
  if (filled.length === 1 && (filled[0] as SheetCell).column <= firstColumn) return false;
  return mostlyText(row) && mostlyText(header) && filled.length <= 0.6 * filledCells(header);
}

/**
 * Column names by column, from the header row and the data rows seen so far: the columns span all of them, an
 * unnamed first column (a pandas index) is "(index)", other unnamed ones are named by their letters, and group
 * names are carried right across the columns of their merged range.
 */
export function columnNames(
  header: SheetRow,
  group: SheetRow | null,
  data: readonly SheetRow[],
  maxColumns: number,
): Map<number, string> {
  const names = new Map(header.cells.filter(isFilled).map((c) => [c.column, c.text.trim()]));
  const used = [...names.keys(), ...data.flatMap((row) => row.cells.filter(isFilled).map((c) => c.column))];
  const first = lowest(used);
  const last = Math.min(highest(used), first + maxColumns - 1);
  const groups = new Map(group?.cells.filter(isFilled).map((c) => [c.column, c.text.trim()]) ?? []);
  const out = new Map<number, string>();
  let groupName = '';
  for (let col = first; col <= last; col++) {
    groupName = groups.get(col) || groupName;
    const name = names.get(col) || (col === first ? '(index)' : columnLetters(col));
    out.set(col, groupName && names.get(col) ? `${groupName} / ${name}` : name);
  }
  return out;
}

// Loops, not Math.min(...list): a window of wide rows holds more values than a call takes arguments.
function lowest(values: readonly number[]): number {
  let out = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < out) out = v;
  return out;
}

function highest(values: readonly number[]): number {
  let out = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > out) out = v;
  return out;
}

/** 0-based index → column letters (0 → A, 26 → AA). */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}
