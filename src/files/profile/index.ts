/**
 * Upload receipts: a quick local profile of a downloaded data file (rows, columns, column types, empty cells) and
 * the compact Slack message that shows it. No model call, no container time.
 *
 * Everything streams, so memory stays bounded whatever the file size: one CSV field or JSON value
 * is capped, and only counters are kept per column. Malformed data never throws: the profile says what is known
 * and a note says what is not. Best effort for XLSX (first sheet), XLS (format check only) and Parquet (footer).
 *
 * Uploaded bytes are untrusted, so the bot never calls `profileFile` on its own event loop: it goes through
 * `profileIsolated` (./isolated.ts), which runs it in a worker thread (./worker.ts) with a time and memory limit.
 */
import type { DataKind } from '../policy.js';
import { profileDelimited } from './delimited.js';
import { profileJson, profileJsonLines } from './json.js';
import { profileParquet } from './parquet.js';
import { errorText } from './wording.js';
import { profileXls } from './xls.js';
import { profileXlsx } from './xlsx.js';

export { formatReceipt } from './receipt.js';

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

export interface ProfileOptions {
  /** Types and empty counts come from this many data rows; rows are still counted to the end. */
  maxRows?: number;
}

const DEFAULT_MAX_ROWS = 1_000_000;

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
