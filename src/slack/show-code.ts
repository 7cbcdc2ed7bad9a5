/**
 * "Show code": the code runs behind one answer, rendered for Slack. Pure — no I/O.
 *
 * Everything here came out of the sandbox or the model, so every piece goes through secret redaction, and
 * message text additionally through mention neutralising. Nothing is cut silently: a run whose code or output
 * does not fit is shown shortened with a pointer to a `run-<n>.txt` file holding all of it.
 */
import type { CodeRun } from '../domain.js';
import { neutraliseMentions } from '../text/mentions.js';
import { redactSecrets } from '../text/redact.js';
import { codeFence, splitMarkdown, tail } from '../text/slack-markdown.js';
import { plural } from '../text/wording.js';

/** Past this many characters, a run's code or output goes into a file as well. */
export const INLINE_LIMIT = 3_000;
/** Budget per message: one `markdown` block, under Slack's ~13.2k cumulative block text limit. */
export const MESSAGE_LIMIT = 11_000;
/** Lines of output shown inline (the tail). */
const OUTPUT_LINES = 40;
/** Lines of code shown inline when the code itself goes into a file. */
const CODE_PREVIEW_LINES = 30;

export interface RunFile {
  filename: string;
  title: string;
  content: string;
}

export interface RenderedRuns {
  /** Markdown for `markdown` blocks, one per message, in order; each at most MESSAGE_LIMIT characters. */
  messages: string[];
  /** Full text of runs too long to show inline; upload them into the same thread. */
  files: RunFile[];
}

const KIND_LABEL: Record<CodeRun['kind'], string> = {
  bash: 'Bash',
  python: 'Python',
  file_edit: 'File edit',
};
const FENCE_LANG: Record<CodeRun['kind'], string> = { bash: 'bash', python: 'python', file_edit: '' };

const NO_ONE: ReadonlySet<string> = new Set();
/** For message text: no secrets, and no way to ping anyone. */
const forMessage = (text: string) => neutraliseMentions(redactSecrets(text), { allowedUserIds: NO_ONE });

/** The runs of one answer as Slack messages (and files for what is too long to show). */
export function renderRuns(runs: readonly CodeRun[]): RenderedRuns {
  if (runs.length === 0) return { messages: ['This answer did not run any code.'], files: [] };
  const failed = runs.filter((r) => r.failed).length;
  const intro =
    `🧮 **Code behind this answer** — ${plural(runs.length, 'run')}` +
    (failed > 0 ? `, ${failed} failed` : '') +
    '.';
  const sections = [intro];
  const files: RunFile[] = [];
  runs.forEach((run, i) => {
    const { markdown, file } = renderRun(run, i + 1);
    sections.push(markdown);
    if (file) files.push(file);
  });
  return { messages: pack(sections, MESSAGE_LIMIT), files };
}

/** One run: heading with its outcome, the code, then stdout and stderr tails. */
export function renderRun(run: CodeRun, n: number): { markdown: string; file?: RunFile } {
  const code = redactSecrets(run.input);
  const stdout = redactSecrets(run.stdout);
  const stderr = redactSecrets(run.stderr);
  const filename = `run-${n}.txt`;

  const out = tail(stdout, { maxLines: OUTPUT_LINES, maxChars: INLINE_LIMIT });
  const err = tail(stderr, { maxLines: OUTPUT_LINES, maxChars: INLINE_LIMIT });
  const codeTooLong = code.length > INLINE_LIMIT;
  // Any output not shown in full (too long, or more lines than shown) is kept in the file.
  const needsFile = codeTooLong || out.text !== trimmed(stdout) || err.text !== trimmed(stderr);

  const parts = [`**Run ${n} · ${KIND_LABEL[run.kind]}** — ${outcome(run)}`];
  if (code.trim() === '') {
    parts.push('_(the code of this run was not recorded)_');
  } else if (codeTooLong) {
    const preview = head(code, CODE_PREVIEW_LINES, INLINE_LIMIT);
    parts.push(
      codeFence(forMessage(preview), FENCE_LANG[run.kind]),
      `_First ${countLines(preview)} of ${countLines(code)} lines (${code.length.toLocaleString('en-US')} characters); the full code is in \`${filename}\`._`,
    );
  } else {
    parts.push(codeFence(forMessage(code), FENCE_LANG[run.kind]));
  }
  parts.push(...stream('stdout', out, stdout, filename), ...stream('stderr', err, stderr, filename));
  if (run.outputFileIds.length > 0) {
    parts.push(`_Produced ${plural(run.outputFileIds.length, 'file')} (posted with the answer)._`);
  }

  const markdown = parts.join('\n');
  if (!needsFile) return { markdown };
  return {
    markdown,
    file: { filename, title: `Run ${n} — code and output`, content: fileText(run, n, code, stdout, stderr) },
  };
}

function outcome(run: CodeRun): string {
  if (run.errorCode) return `❌ tool error \`${forMessage(run.errorCode)}\``;
  if (run.returnCode === null) return run.kind === 'file_edit' ? '✅ done' : '❔ no exit code';
  return run.returnCode === 0 ? '✅ exit code 0' : `❌ exit code ${run.returnCode}`;
}

function stream(
  name: 'stdout' | 'stderr',
  shown: { text: string; omittedLines: number },
  full: string,
  filename: string,
): string[] {
  if (shown.text === '') return [];
  const cut = shown.text !== trimmed(full);
  const label = cut
    ? `${name} (last ${countLines(shown.text)} of ${countLines(trimmed(full))} lines; all of it is in \`${filename}\`):`
    : `${name}:`;
  return [label, codeFence(forMessage(shown.text))];
}

/** The file for a long run: everything, secrets redacted (a file does not notify anyone, so mentions stay). */
function fileText(run: CodeRun, n: number, code: string, stdout: string, stderr: string): string {
  const status = run.errorCode
    ? `tool error ${run.errorCode}`
    : run.returnCode === null
      ? 'no exit code'
      : `exit code ${run.returnCode}`;
  return [
    `Run ${n} (${KIND_LABEL[run.kind]}) — ${status}`,
    '',
    '===== code =====',
    code,
    '',
    '===== stdout =====',
    stdout,
    '',
    '===== stderr =====',
    stderr,
    '',
  ].join('\n');
}

/** What `tail` would show if nothing were dropped, for "was anything cut?" comparisons. */
function trimmed(text: string): string {
  return tail(text, { maxLines: Number.MAX_SAFE_INTEGER, maxChars: Number.MAX_SAFE_INTEGER }).text;
}

/** The first lines of `text` that fit both limits; at least a prefix of the first line. */
function head(text: string, maxLines: number, maxChars: number): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  let length = -1;
  for (const line of lines) {
    if (kept.length >= maxLines || length + 1 + line.length > maxChars) break;
    kept.push(line);
    length += 1 + line.length;
  }
  return kept.length > 0 ? kept.join('\n') : text.slice(0, maxChars);
}

const countLines = (text: string) => (text === '' ? 0 : text.replace(/\n+$/, '').split('\n').length);

/**
 * Packs sections into as few messages as possible without splitting a section unless it alone is over the
 * limit (then splitMarkdown cuts it, re-opening code fences). Every message is at most `limit` characters.
 */
export function pack(sections: readonly string[], limit: number): string[] {
  const messages: string[] = [];
  let current = '';
  for (const section of sections) {
    const joined = current === '' ? section : `${current}\n\n${section}`;
    if (joined.length <= limit) {
      current = joined;
      continue;
    }
    if (current !== '') messages.push(current);
    current = '';
    if (section.length <= limit) current = section;
    else messages.push(...splitMarkdown(section, limit));
  }
  if (current !== '') messages.push(current);
  return messages;
}
