import type { DataTableBlock, KnownBlock, RawNumberElement, RawTextElement } from '@slack/types';
import { numericValue, plainCell, splitTables, type TextTable } from '../text/tables.js';

/**
 * Slack's documented limits of the `data_table` block (https://docs.slack.dev/reference/block-kit/blocks/data-table-block):
 * a header row plus 1–100 rows, 1–20 columns, every row the same length, cell text at least 1 character, and at
 * most 10,000 characters across all cells of a table and of a message. page_size is 1–100.
 */
export const DATA_TABLE_LIMITS = {
  maxRows: 100,
  maxColumns: 20,
  maxChars: 10_000,
  maxPageSize: 100,
} as const;
/** Rows shown per page: enough to read a short result at a glance, paginated beyond. */
const PAGE_SIZE = 10;
/** Captions are free text in Slack; ours stay one short line. */
const MAX_CAPTION = 150;
/** Shown for an empty cell (Slack requires at least one character). */
const EMPTY_CELL = '—';
/** Leaves room in the 50-block message for prose parts and the buttons. */
const MAX_TABLES_PER_MESSAGE = 10;

type Cell = RawTextElement | RawNumberElement;

const cellChars = (c: Cell) => c.text.length;

/**
 * A data table for `table`, with at most `maxRows` rows and `maxChars` characters (both within Slack's limits),
 * and how many rows it holds; undefined when not even the header and one row fit, or it has too many columns.
 * A column whose cells are all numbers is sent as numbers, so Slack sorts it numerically.
 */
export function dataTable(
  table: TextTable,
  caption: string,
  opts: { maxRows?: number; maxChars?: number } = {},
): { block: DataTableBlock; rows: number } | undefined {
  const columns = table.header.length;
  if (columns < 1 || columns > DATA_TABLE_LIMITS.maxColumns || table.rows.length < 1) return undefined;
  const maxRows = Math.min(opts.maxRows ?? DATA_TABLE_LIMITS.maxRows, DATA_TABLE_LIMITS.maxRows);
  const maxChars = Math.min(opts.maxChars ?? DATA_TABLE_LIMITS.maxChars, DATA_TABLE_LIMITS.maxChars);
  const rows = table.rows.slice(0, maxRows).map((r) => r.map(plainCell));
  const numeric = table.header.map((_, col) =>
    rows.every((r) => r[col] === '' || numericValue(r[col]!) !== undefined),
  );
  const text = (s: string): RawTextElement => ({ type: 'raw_text', text: s === '' ? EMPTY_CELL : s });
  const header = table.header.map((h, col) => text(plainCell(h) || `Column ${col + 1}`));
  let chars = header.reduce((n, c) => n + cellChars(c), 0);
  const body: Cell[][] = [];
  for (const row of rows) {
    const cells = row.map((s, col): Cell => {
      const value = numeric[col] && s !== '' ? numericValue(s) : undefined;
      return value === undefined ? text(s) : { type: 'raw_number', value, text: s };
    });
    const rowChars = cells.reduce((n, c) => n + cellChars(c), 0);
    if (chars + rowChars > maxChars) break;
    chars += rowChars;
    body.push(cells);
  }
  if (body.length === 0) return undefined;
  return {
    block: {
      type: 'data_table',
      caption: caption.slice(0, MAX_CAPTION) || 'Table',
      page_size: Math.min(PAGE_SIZE, body.length),
      rows: [header, ...body],
    },
    rows: body.length,
  };
}

/** Characters across all cells of a data table, as Slack counts them against its limit. */
export function dataTableChars(block: DataTableBlock): number {
  return block.rows
    .flat()
    .reduce((n, c) => n + ('text' in c && typeof c.text === 'string' ? c.text.length : 0), 0);
}

/**
 * A caption for a table: the heading or lead-in line ("Growth by region:") just above it when there is one, else
 * its column names. Ordinary prose above a table is not repeated as its caption.
 */
function captionFor(prose: string, table: TextTable): string {
  const last = prose.trimEnd().split('\n').at(-1)?.trim() ?? '';
  const heading = /^#{1,6}\s+(.+)$/.exec(last)?.[1] ?? /^(.+):$/.exec(last)?.[1];
  const caption = heading?.replace(/[*_`]/g, '').trim();
  if (caption && caption.length <= MAX_CAPTION) return caption;
  return table.header.map(plainCell).filter(Boolean).join(' · ');
}

/**
 * The blocks of one message of Markdown with its pipe tables as data tables and the prose around them as markdown
 * blocks; undefined when no table can be shown natively (then the caller posts the Markdown as it is). A table
 * over Slack's limits stays Markdown, whole: an answer's table is never cut.
 */
export function markdownWithTables(markdown: string): KnownBlock[] | undefined {
  const parts = splitTables(markdown);
  const blocks: KnownBlock[] = [];
  let prose = '';
  let budget: number = DATA_TABLE_LIMITS.maxChars;
  let tables = 0;
  const flush = () => {
    if (prose.trim() !== '') blocks.push({ type: 'markdown', text: prose.trim() });
    prose = '';
  };
  for (const part of parts) {
    const native =
      part.kind === 'table' &&
      tables < MAX_TABLES_PER_MESSAGE &&
      part.table.rows.length <= DATA_TABLE_LIMITS.maxRows
        ? dataTable(part.table, captionFor(prose, part.table), { maxChars: budget })
        : undefined;
    if (!native || native.rows < (part.kind === 'table' ? part.table.rows.length : 0)) {
      prose += part.source;
      continue;
    }
    flush();
    blocks.push(native.block);
    budget -= dataTableChars(native.block);
    tables++;
  }
  flush();
  return tables > 0 ? blocks : undefined;
}
