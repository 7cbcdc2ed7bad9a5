/**
 * `npm run report -- --since 2026-11-01 [--until 2026-11-30] [--by user|channel|day] [--format table|csv|json]`
 * (in a container: `node dist/report.js …`): spend and usage from the audit log, one line per user, channel or UTC
 * day, and a total. Dates are UTC days, both ends included; costs are the estimates recorded with each question.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_PATH } from './config.js';
import type { AuditEntry } from './ports.js';
import { openStore } from './store/index.js';

export const GROUPINGS = ['user', 'channel', 'day'] as const;
export const FORMATS = ['table', 'csv', 'json'] as const;
export type Grouping = (typeof GROUPINGS)[number];
export type Format = (typeof FORMATS)[number];

/** One line of the report: counts by outcome, tokens by kind, container time, runs and cost. */
export interface ReportLine {
  key: string;
  /** Messages that reached the point of asking; a question tried again (Retry, restart) counts once. */
  questions: number;
  /** Every try at those questions, first ones included. */
  attempts: number;
  answered: number;
  failed: number;
  stopped: number;
  refused: number;
  overBudget: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  containerMinutes: number;
  codeRuns: number;
  failedRuns: number;
  filesAttached: number;
  costUsd: number;
}

const NUMBERS = [
  'questions',
  'attempts',
  'answered',
  'failed',
  'stopped',
  'refused',
  'overBudget',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'containerMinutes',
  'codeRuns',
  'failedRuns',
  'filesAttached',
  'costUsd',
] as const satisfies readonly (keyof ReportLine)[];

const emptyLine = (key: string): ReportLine => ({
  key,
  ...(Object.fromEntries(NUMBERS.map((n) => [n, 0])) as Omit<ReportLine, 'key'>),
});

const keyOf = (e: AuditEntry, by: Grouping) =>
  by === 'user'
    ? `${e.teamId}/${e.userId}`
    : by === 'channel'
      ? `${e.teamId}/${e.channelId}`
      : new Date(e.at).toISOString().slice(0, 10);

const OUTCOME_COLUMN = {
  answered: 'answered',
  failed: 'failed',
  stopped: 'stopped',
  refused: 'refused',
  over_budget: 'overBudget',
} as const;

/**
 * Groups audit rows (oldest first); the total is summed from the same rows. Spend, tokens and runs add up over every
 * attempt; a question tried again counts once, under the outcome of its latest attempt. Lines sorted by cost, days
 * by date.
 */
export function summarise(entries: AuditEntry[], by: Grouping): { lines: ReportLine[]; total: ReportLine } {
  const lines = new Map<string, ReportLine>();
  const total = emptyLine('total');
  /** Per line: each message's latest outcome so far, and whether it reached the point of asking. */
  const seen = new Map<ReportLine, Map<string, { outcome: AuditEntry['outcome']; asked: boolean }>>();
  for (const e of entries) {
    const key = keyOf(e, by);
    const line = lines.get(key) ?? emptyLine(key);
    lines.set(key, line);
    const message = `${e.teamId}/${e.channelId}/${e.messageTs}`;
    // Refusals and over-budget replies did not reach the point of asking.
    const asked = e.outcome !== 'refused' && e.outcome !== 'over_budget';
    for (const l of [line, total]) {
      const messages = seen.get(l) ?? new Map<string, { outcome: AuditEntry['outcome']; asked: boolean }>();
      seen.set(l, messages);
      const before = messages.get(message);
      if (before) l[OUTCOME_COLUMN[before.outcome]] -= 1;
      l[OUTCOME_COLUMN[e.outcome]] += 1;
      if (asked && !before?.asked) l.questions += 1;
      messages.set(message, { outcome: e.outcome, asked: asked || Boolean(before?.asked) });
      if (asked) l.attempts += 1;
      const u = e.usage;
      l.inputTokens += u?.inputTokens ?? 0;
      l.outputTokens += u?.outputTokens ?? 0;
      l.cacheReadTokens += u?.cacheReadInputTokens ?? 0;
      l.cacheWrite1hTokens += u?.cacheCreation1hInputTokens ?? 0;
      l.cacheWrite5mTokens += (u?.cacheCreationInputTokens ?? 0) - (u?.cacheCreation1hInputTokens ?? 0);
      l.containerMinutes += e.containerMinutes ?? 0;
      l.codeRuns += e.codeRuns ?? 0;
      l.failedRuns += e.failedRuns ?? 0;
      l.filesAttached += e.files?.length ?? 0;
      l.costUsd += e.costUsd;
    }
  }
  const sorted = [...lines.values()].sort((a, b) =>
    by === 'day' ? a.key.localeCompare(b.key) : b.costUsd - a.costUsd || a.key.localeCompare(b.key),
  );
  return { lines: sorted, total };
}

const HEADERS: Record<(typeof NUMBERS)[number] | 'key', string> = {
  key: '',
  questions: 'questions',
  attempts: 'attempts',
  answered: 'answered',
  failed: 'failed',
  stopped: 'stopped',
  refused: 'refused',
  overBudget: 'over_budget',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cacheReadTokens: 'cache_read_tokens',
  cacheWrite5mTokens: 'cache_write_5m_tokens',
  cacheWrite1hTokens: 'cache_write_1h_tokens',
  containerMinutes: 'container_minutes',
  codeRuns: 'code_runs',
  failedRuns: 'failed_runs',
  filesAttached: 'files',
  costUsd: 'cost_usd',
};

const cell = (line: ReportLine, column: keyof typeof HEADERS) =>
  column === 'key' ? line.key : column === 'costUsd' ? line.costUsd.toFixed(4) : String(line[column]);

export function render(report: ReturnType<typeof summarise>, by: Grouping, format: Format): string {
  if (format === 'json') {
    const round = (l: ReportLine) => ({ ...l, costUsd: Number(l.costUsd.toFixed(6)) });
    return `${JSON.stringify({ by, lines: report.lines.map(round), total: round(report.total) }, null, 2)}\n`;
  }
  const columns = ['key', ...NUMBERS] as const;
  const header = columns.map((c) => (c === 'key' ? by : HEADERS[c]));
  const rows = [...report.lines, report.total].map((l) => columns.map((c) => cell(l, c)));
  if (format === 'csv') {
    const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    return `${[header, ...rows].map((r) => r.map(quote).join(',')).join('\n')}\n`;
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return `${[line(header), ...rows.slice(0, -1).map(line), widths.map((w) => '-'.repeat(w)).join('  '), line(rows.at(-1)!)].join('\n')}\n`;
}

export class UsageError extends Error {}

/** `--since` and `--until` are UTC days, both included; `--until` defaults to today. */
export function parseReportArgs(argv: string[], now = Date.now()) {
  const parse = () =>
    parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string', default: 'day' },
        format: { type: 'string', default: 'table' },
      },
      strict: true,
    });
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse());
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const day = (name: string, v: string) => {
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Number.NaN;
    if (Number.isNaN(ms)) throw new UsageError(`--${name} must be a date such as 2026-11-01`);
    return ms;
  };
  if (!values.since) throw new UsageError('--since is required, e.g. --since 2026-11-01');
  const since = day('since', values.since);
  const until =
    (values.until ? day('until', values.until) : Math.floor(now / 86_400_000) * 86_400_000) + 86_400_000;
  if (until <= since) throw new UsageError('--until must not be before --since');
  if (!(GROUPINGS as readonly string[]).includes(values.by))
    throw new UsageError(`--by must be one of ${GROUPINGS.join(', ')}`);
  if (!(FORMATS as readonly string[]).includes(values.format))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  return { since, until, by: values.by as Grouping, format: values.format as Format };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    if (existsSync('.env')) process.loadEnvFile('.env');
    const args = parseReportArgs(process.argv.slice(2));
    const url = process.env.DATABASE_URL || undefined;
    const path = process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH;
    if (!url && !existsSync(path))
      throw new UsageError(`no database at ${path} (set DATABASE_PATH or DATABASE_URL)`);
    const store = await openStore({ url, path });
    try {
      const entries = await store.audit.between(args.since, args.until);
      process.stdout.write(render(summarise(entries, args.by), args.by, args.format));
    } finally {
      await store.close();
    }
  } catch (err) {
    process.stderr.write(`report failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}
