import type { DataKind } from '../formats.js';

/** What profiling found in one file: the shape its receipt describes. */
export interface ColumnProfile {
  name: string;
  /** 'formula': xlsx formulas only, whose values were never computed (so neither empty nor typed). */
  type:
    | 'integer'
    | 'number'
    | 'boolean'
    | 'date'
    | 'datetime'
    | 'time'
    | 'string'
    | 'empty'
    | 'mixed'
    | 'formula';
  /** Empty cells; null when unknown (e.g. a Parquet file without statistics). */
  nulls: number | null;
  /** Nested columns: their structure (`list<text>`), shown instead of the type. */
  shape?: string;
  /** How the values are written, when the column settles it: 'decimal comma', '$', 'd.m.yyyy', 'hex IDs'. */
  format?: string;
}

export interface DataProfile {
  kind: DataKind;
  /** Data rows (header excluded); plain text without a delimiter counts lines. null when unknown. */
  rows: number | null;
  /** [] when unknown. */
  columns: ColumnProfile[];
  /** All columns, when there are more than were profiled (`columns` holds the first ones). */
  columnCount?: number;
  /** csv/tsv/txt: the detected delimiter (',', ';', '\t', '|'). */
  delimiter?: string;
  /** Text formats: 'utf-8', 'utf-8 (BOM)', 'utf-16le', 'utf-16be', 'latin-1 (guessed)'. */
  encoding?: string;
  /** xlsx: sheet names, in workbook order (the first one is profiled). */
  sheets?: string[];
  notes: string[];
}
