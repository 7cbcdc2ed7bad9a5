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
import type { DataKind } from '../formats.js';
import { profileDelimited } from './delimited.js';
import { profileJson, profileJsonLines } from './json.js';
import { profileParquet } from './parquet.js';
import type { DataProfile } from './profile.js';
import { errorText } from './wording.js';
import { profileXls } from './xls.js';
import { profileXlsx } from './xlsx.js';

export type { ColumnProfile, DataProfile } from './profile.js';
export { formatReceipt } from './receipt.js';

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
