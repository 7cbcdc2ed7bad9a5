/**
 * Tables in text: the pipe tables of a Markdown answer and the rows of a CSV the code wrote, as plain header and
 * rows of strings, so the Slack adapter can show them as native tables.
 */

export interface TextTable {
  header: string[];
  /** Each row has exactly `header.length` cells. */
  rows: string[][];
}

/** A Markdown document as prose and the pipe tables in it, in order; joining every `source` gives the input back. */
export type MarkdownPart =
  | { kind: 'text'; source: string }
  | { kind: 'table'; source: string; table: TextTable };

const FENCE = /^[ \t]*(`{3,}|~{3,})/;
const DELIMITER_CELL = /^\s*:?-{3,}:?\s*$/;

/** Cells of one pipe-table line: outer pipes dropped, `\|` kept as a literal pipe, cells trimmed. */
function cellsOf(line: string): string[] {
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1);
  return body.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

const isDelimiter = (line: string, columns: number) => {
  if (!line.includes('-')) return false;
  const cells = cellsOf(line);
  return cells.length === columns && cells.every((c) => DELIMITER_CELL.test(c));
};

/**
 * Finds GitHub-style pipe tables (a header line, a delimiter line with as many columns, then rows) outside fenced
 * code. Rows with too few cells are padded and with too many cut, as GitHub renders them.
 */
export function splitTables(markdown: string): MarkdownPart[] {
  const lines = markdown.split('\n');
  const parts: MarkdownPart[] = [];
  let text: string[] = [];
  let fence: string | null = null;
  const flushText = () => {
    if (text.length > 0) parts.push({ kind: 'text', source: text.join('\n') });
    text = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = FENCE.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) fence = fence === null ? marker : null;
    const header = fence === null && line.includes('|') ? cellsOf(line) : undefined;
    if (!header || header.length < 1 || i + 1 >= lines.length || !isDelimiter(lines[i + 1]!, header.length)) {
      text.push(line);
      continue;
    }
    let end = i + 2;
    while (end < lines.length && lines[end]!.includes('|') && lines[end]!.trim() !== '') end++;
    const rows = lines.slice(i + 2, end).map((l) => {
      const cells = cellsOf(l).slice(0, header.length);
      while (cells.length < header.length) cells.push('');
      return cells;
    });
    flushText();
    parts.push({ kind: 'table', source: lines.slice(i, end).join('\n'), table: { header, rows } });
    i = end - 1;
  }
  flushText();
  // Parts were cut at line breaks: give each following part its newline back so sources rejoin exactly.
  return parts.map((p, n) => (n === 0 ? p : { ...p, source: `\n${p.source}` }));
}

/** The text of a Markdown table cell without its inline markup: `**EMEA**` → `EMEA`, `[a](u)` → `a`. */
export function plainCell(cell: string): string {
  return cell
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/<br\s*\/?>/gi, ' ')
    .trim();
}

const NUMBER = /^([-+−]?)\s*[$€£]?\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)\s*%?$/;

/** The number a cell shows (`1,234.5`, `-3`, `$12`, `18.4 %`), or undefined when it is not just a number. */
export function numericValue(cell: string): number | undefined {
  const match = NUMBER.exec(cell.trim());
  if (!match) return undefined;
  const value = Number(match[2]!.replace(/,/g, ''));
  if (!Number.isFinite(value)) return undefined;
  return match[1] === '-' || match[1] === '−' ? -value : value;
}

/**
 * Parses CSV (RFC 4180 quoting; comma, or tab for `.tsv`) into a header and at most `maxRows` rows, counting all
 * rows. Blank lines are skipped; rows are padded or cut to the header's width.
 */
export function parseCsv(
  text: string,
  opts: { maxRows: number; delimiter?: string },
): { table: TextTable; totalRows: number } {
  const sep = opts.delimiter ?? ',';
  const records: string[][] = [];
  let totalRows = -1; // the header is not a row
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  const endRecord = () => {
    record.push(field);
    const blank = record.length === 1 && record[0] === '' && !fieldStarted;
    if (!blank) {
      totalRows++;
      if (records.length <= opts.maxRows) records.push(record);
    }
    record = [];
    field = '';
    fieldStarted = false;
  };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (body[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (ch === sep) {
      record.push(field);
      field = '';
      fieldStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      endRecord();
    } else field += ch;
  }
  if (field !== '' || record.length > 0 || fieldStarted) endRecord();
  const [header = [], ...rows] = records;
  const width = header.length;
  const fit = (r: string[]) => {
    const cells = r.slice(0, width).map((c) => c.trim());
    while (cells.length < width) cells.push('');
    return cells;
  };
  return {
    table: { header: header.map((h) => h.trim()), rows: rows.map(fit) },
    totalRows: Math.max(0, totalRows),
  };
}

/** A table as a GitHub pipe table (for the notification text of a message that shows it natively). */
export function toMarkdownTable(table: TextTable): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: string[]) => `| ${cells.map(esc).join(' | ')} |`;
  return [line(table.header), line(table.header.map(() => '---')), ...table.rows.map(line)].join('\n');
}
