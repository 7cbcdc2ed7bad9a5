import type { ThreadFile } from '../domain.js';
import type { DataProfile } from '../files/profile/profile.js';
import { formatBytes, oneLine } from '../text/format.js';

/**
 * The system prompt: the same bytes for every thread and turn, so the tools + system prefix is cached once for the
 * whole workspace. Anything thread-specific (files, their profiles) goes into the question (see `threadContext`).
 */
export const SYSTEM_PROMPT = `You are Analyst, a data analyst working inside a Slack thread. You answer questions by running code in your code execution sandbox and reporting what the code printed.

Sandbox rules:
- The sandbox has no network access and no pip: use what is installed (pandas, numpy, scipy, statsmodels, scikit-learn, matplotlib, seaborn, pyarrow, openpyxl, xlrd). Check versions before relying on new APIs.
- The sandbox persists for this Slack thread: files and results from earlier questions are still there unless you are told the sandbox was reset.
- Each question lists the files shared in the thread. Locate them with \`ls -la\` or \`find / -name '<name>' 2>/dev/null | head\` before reading them.
- A new file comes with the bot's own quick profile of it (rows, columns, types, empty cells). Use it to go straight to the analysis, but it is approximate: check what matters in code.

How to work:
- Compute every number you report; never estimate a figure you could calculate. Print the key numbers to stdout.
- Save every chart as a PNG (dpi 120–150, readable labels, a title). Deliverables (charts, cleaned CSVs, XLSX summaries) are only returned to the user if they are copied into "$OUTPUT_DIR" (top level, no subfolders) and listed IN THE SAME bash command, e.g. \`python plot.py && cp /tmp/revenue.png "$OUTPUT_DIR/" && ls "$OUTPUT_DIR"\`. Never claim a file exists unless that \`ls\` shows it.
- Next to each simple chart (bar, line, area or pie; at most 6 series and 20 points) also write "$OUTPUT_DIR/<name>.chart.json" for "<name>.png", e.g. \`{"type":"bar","title":"Revenue by region","labels":["EMEA","AMER"],"series":[{"name":"Revenue","values":[1200,950]}],"x_label":"Region","y_label":"USD"}\` (a pie has one series), so Slack can show it natively.
- If code fails, say so plainly, fix it if you can, and never present a result from failed code as correct.

Answering:
- Reply in concise Markdown for Slack: the answer first (one or two sentences with the key numbers), then short supporting detail. Use tables or bullet lists sparingly.
- Do not mention or tag people, channels or groups.
- End with up to three short follow-up questions the user might ask next, one per line in a fenced block tagged followups (\`\`\`followups).`;

/**
 * The thread-specific facts sent with each question: which files the thread has, and the bot's profile of each
 * file attached with this question, so Claude can skip discovering columns.
 */
export function threadContext(
  files: readonly ThreadFile[],
  attaching: ReadonlySet<string> = new Set(),
): string {
  if (files.length === 0) return 'No files have been shared in this thread yet.';
  const list = files.map((f) => `- ${f.name} (${formatBytes(f.sizeBytes)}, ${f.mimeType})`).join('\n');
  const profiles = files.flatMap((f) =>
    f.profile && attaching.has(f.anthropicFileId) ? [profileText(f.name, f.profile)] : [],
  );
  return [`Files shared in this thread:\n${list}`, ...profiles].join('\n\n');
}

const MAX_PROFILE_COLUMNS = 300;
const MAX_PROFILE_CHARS = 6_000;

/**
 * One file's profile in a compact form, e.g. `sales.csv: csv, delimiter ",", utf-8, 1250 rows, 4 columns: month
 * date; revenue number (3 empty)`. Bounded, since a file can have thousands of columns with long names.
 */
export function profileText(name: string, p: DataProfile): string {
  const facts = [
    p.kind,
    p.delimiter ? `delimiter ${JSON.stringify(p.delimiter)}` : '',
    p.encoding ?? '',
    p.rows === null ? 'rows unknown' : `${p.rows} rows`,
    p.sheets && p.sheets.length > 0
      ? `sheets ${p.sheets
          .slice(0, 20)
          .map((s) => JSON.stringify(oneLine(s, 60)))
          .join(', ')} (first one profiled)`
      : '',
  ].filter(Boolean);
  const columns = p.columns.slice(0, MAX_PROFILE_COLUMNS).map((c) => {
    const empty = c.nulls === null ? ' (empty unknown)' : c.nulls > 0 ? ` (${c.nulls} empty)` : '';
    return `${oneLine(c.name, 80) || '(no name)'} ${c.shape ? oneLine(c.shape, 80) : c.type}${empty}`;
  });
  if (p.columns.length > MAX_PROFILE_COLUMNS)
    columns.push(`… and ${p.columns.length - MAX_PROFILE_COLUMNS} more`);
  const lines = [
    `Profile of ${name} (made by the bot when the file was uploaded; it may be approximate): ${facts.join(', ')}.`,
    columns.length > 0 ? `${p.columns.length} columns: ${columns.join('; ')}` : 'Columns unknown.',
    ...p.notes.slice(0, 5).map((n) => `Note: ${oneLine(n, 200)}`),
  ];
  const text = lines.join('\n');
  return text.length <= MAX_PROFILE_CHARS ? text : `${text.slice(0, MAX_PROFILE_CHARS - 1)}…`;
}
