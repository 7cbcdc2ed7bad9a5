/**
 * The one list of data formats the bot takes: it drives the file policy (extensions, Slack file types, content
 * types), the `help` command, the App Home, the assistant pane's greeting and the progress labels.
 */
export const SUPPORTED_FORMATS = [
  { kind: 'csv', label: 'CSV', extensions: ['csv'], slackFiletype: 'csv', mime: 'text/csv' },
  { kind: 'tsv', label: 'TSV', extensions: ['tsv'], slackFiletype: 'tsv', mime: 'text/tab-separated-values' },
  {
    kind: 'xlsx',
    label: 'XLSX',
    extensions: ['xlsx'],
    slackFiletype: 'xlsx',
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  { kind: 'xls', label: 'XLS', extensions: ['xls'], slackFiletype: 'xls', mime: 'application/vnd.ms-excel' },
  { kind: 'json', label: 'JSON', extensions: ['json'], slackFiletype: 'json', mime: 'application/json' },
  // Slack has no file type of its own for JSON Lines or Parquet.
  { kind: 'jsonl', label: 'JSONL', extensions: ['jsonl', 'ndjson'], mime: 'application/x-ndjson' },
  { kind: 'parquet', label: 'Parquet', extensions: ['parquet'], mime: 'application/vnd.apache.parquet' },
  { kind: 'txt', label: 'TXT', extensions: ['txt'], slackFiletype: 'text', mime: 'text/plain' },
] as const satisfies readonly {
  kind: string;
  /** How messages name the format. */
  label: string;
  /** File name extensions, lower case, without the dot. */
  extensions: readonly string[];
  /** Slack's own `filetype` for it, when Slack has one. */
  slackFiletype?: string;
  /** The content type it is uploaded to the Files API with. */
  mime: string;
}[];

/** The data formats the analysis container knows how to read. */
export type DataKind = (typeof SUPPORTED_FORMATS)[number]['kind'];

/** The formats for a sentence: "CSV, TSV, XLSX, XLS, JSON, JSONL, Parquet or TXT". */
export function formatList(conjunction: 'or' | 'and' = 'or'): string {
  const labels = SUPPORTED_FORMATS.map((f) => f.label);
  return `${labels.slice(0, -1).join(', ')} ${conjunction} ${labels.at(-1)}`;
}

/** Every extension the bot takes, e.g. for spotting a data file's name in code. */
export const DATA_EXTENSIONS: readonly string[] = SUPPORTED_FORMATS.flatMap((f) => f.extensions);

const FORMAT_BY_EXTENSION = new Map(
  SUPPORTED_FORMATS.flatMap((f) => f.extensions.map((extension) => [extension as string, f] as const)),
);

/** The format a file name's extension names (`Q3 sales.CSV` → CSV), if the bot takes it. */
export function formatOfName(name: string): (typeof SUPPORTED_FORMATS)[number] | undefined {
  return FORMAT_BY_EXTENSION.get(extensionOf(name));
}

/** Lower-cased extension without the dot, or ''. */
export function extensionOf(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot < 0) return '';
  return base
    .slice(dot + 1)
    .trim()
    .toLowerCase();
}
