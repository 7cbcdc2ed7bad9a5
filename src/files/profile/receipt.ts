/**
 * The upload receipt: a profile as compact Markdown for a Slack markdown block, under 2,500 characters.
 * `📎 **sales.csv** — 1,250 rows × 4 columns (48 KB, comma-separated, UTF-8)`, then the columns on one line
 * (`` `region` text · `revenue` number (decimal comma, 3 empty) ``, at most 25, then `… and N more`), then the notes.
 * Notes come in the order the profile gives them; the profilers put their caps first, so none is dropped.
 */
import { formatBytes, oneLine } from '../../text/format.js';
import { fileNameMarkdown } from '../../text/names.js';
import { redactSecrets } from '../../text/redact.js';
import { escapeMrkdwn } from '../../text/slack-markdown.js';
import type { ColumnProfile, DataProfile } from './profile.js';
import { formatCount, plural } from './wording.js';

/** How each column type reads in a receipt (Parquet shapes use the same words). */
export const TYPE_LABELS: Readonly<Record<ColumnProfile['type'], string>> = {
  integer: 'integer',
  number: 'number',
  boolean: 'true/false',
  date: 'date',
  datetime: 'date-time',
  time: 'time',
  string: 'text',
  empty: 'empty',
  mixed: 'mixed',
  formula: 'formulas (not computed)',
};

const DELIMITER_NAMES: Readonly<Record<string, string>> = {
  ',': 'comma-separated',
  ';': 'semicolon-separated',
  '\t': 'tab-separated',
  '|': 'pipe-separated',
};

const MAX_CHARS = 2_500;
/** Columns listed in one receipt (profiling itself reads up to MAX_COLUMNS of types.ts). */
const MAX_RECEIPT_COLUMNS = 25;
const MAX_NOTES = 4;
const MAX_SHEETS = 10;

export function formatReceipt(fileName: string, sizeBytes: number, p: DataProfile): string {
  const details = [formatBytes(sizeBytes), formatLabel(p), p.encoding ? encodingLabel(p.encoding) : '']
    .filter(Boolean)
    .join(', ');
  const shape = shapeText(p);
  const head = `📎 **${fileNameMarkdown(fileName)}**${shape ? ` — ${shape}` : ''} (${details})`;

  const tail: string[] = [];
  if (p.sheets && p.sheets.length > 1) {
    const names = p.sheets.slice(0, MAX_SHEETS).map((s) => `\`${codeText(s, 40)}\``);
    const more =
      p.sheets.length > MAX_SHEETS ? ` … and ${formatCount(p.sheets.length - MAX_SHEETS)} more` : '';
    tail.push(`Sheets: ${names.join(' · ')}${more} (first one shown)`);
  }
  tail.push(...p.notes.slice(0, MAX_NOTES).map((n) => `ℹ️ ${escapeMrkdwn(oneLine(redactSecrets(n), 200))}`));
  if (p.notes.length > MAX_NOTES) tail.push(`ℹ️ … and ${p.notes.length - MAX_NOTES} more notes`);

  const fixed = [head, ...tail].join('\n').length + 1;
  const columnsLine = columnList(p.columns, MAX_CHARS - fixed);
  const out = [head, ...(columnsLine ? [columnsLine] : []), ...tail].join('\n');
  return out.length <= MAX_CHARS ? out : `${out.slice(0, MAX_CHARS - 1)}…`;
}

function columnList(columns: readonly ColumnProfile[], budget: number): string {
  if (columns.length === 0 || budget <= 0) return '';
  const entries: string[] = [];
  let length = 0;
  for (const c of columns.slice(0, MAX_RECEIPT_COLUMNS)) {
    const empty =
      c.nulls === null
        ? 'empty: unknown'
        : c.nulls > 0 && c.type !== 'empty'
          ? `${formatCount(c.nulls)} empty`
          : '';
    const details = [c.format ? escapeMrkdwn(oneLine(c.format, 60)) : '', empty].filter(Boolean);
    const more = details.length > 0 ? ` (${details.join(', ')})` : '';
    const type = c.shape ? codeText(c.shape, 60) : TYPE_LABELS[c.type];
    const entry = `\`${c.name.trim() ? codeText(c.name, 40) : '(no name)'}\` ${type}${more}`;
    // Room for " · … and 1,000 more" after the last entry that fits.
    if (length + entry.length + 3 + 24 > budget) break;
    entries.push(entry);
    length += entry.length + 3;
  }
  const rest = columns.length - entries.length;
  if (rest > 0) entries.push(`… and ${formatCount(rest)} more`);
  return entries.join(' · ');
}

function shapeText(p: DataProfile): string {
  if (p.kind === 'txt' && p.delimiter === undefined) return p.rows === null ? '' : plural(p.rows, 'line');
  const parts: string[] = [];
  if (p.rows !== null) parts.push(plural(p.rows, 'row'));
  if (p.columnCount !== undefined && p.columnCount > p.columns.length) {
    parts.push(`${plural(p.columnCount, 'column')} (first ${formatCount(p.columns.length)} profiled)`);
  } else if (p.columns.length > 0) parts.push(plural(p.columns.length, 'column'));
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

/** Text for inside a code span: one line, no backticks, escaped. */
function codeText(text: string, maxChars: number): string {
  // Redacted before the cut: a column called `xoxb-…` must not lose its prefix and keep the rest.
  return escapeMrkdwn(oneLine(redactSecrets(text).replace(/`/g, "'"), maxChars));
}
