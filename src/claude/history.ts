import type Anthropic from '@anthropic-ai/sdk';
import { approxTokens, type HistoryEntry, type ThreadFile } from '../domain.js';
export interface FittedHistory {
  /** Oldest first; always starts with a user message. */
  messages: Anthropic.MessageParam[];
  /** Large outputs or inputs of earlier code runs were shortened to fit. */
  trimmed: boolean;
  /** Whole turns left out, oldest first, because even shortened they did not fit. */
  droppedTurns: number;
}

/** Printed output longer than this is cut to its head and tail once the history is over budget. */
const MAX_OUTPUT_CHARS = 2_000;
/** Then code and file contents Claude wrote in earlier runs, longer than this. */
const MAX_INPUT_CHARS = 1_000;

/**
 * The history to send with a question, within `budgetTokens`. When it does not fit, what costs most and matters
 * least goes first: the printed output of earlier code runs (head and tail kept, with a note), then the code they
 * ran, and only then the oldest whole turns, a quarter of the budget at a time. Every stored turn is shortened the
 * same way, wherever it sits, so the shortened history stays byte-identical from one question to the next and keeps
 * hitting the prompt cache.
 * A turn is never split, so the result always starts with a user message; the current question is budgeted by
 * the caller.
 */
export function fitHistory(entries: readonly HistoryEntry[], budgetTokens: number): FittedHistory {
  let turns = groupTurns(entries);
  let trimmed = false;
  for (const shorten of [shortenOutputs, shortenInputs]) {
    if (tokensOf(turns) <= budgetTokens) break;
    turns = turns.map((turn) =>
      turn.map((e) => {
        const content = shortenContent(e.message.content, shorten);
        if (content === e.message.content) return e;
        trimmed = true;
        const message = { ...e.message, content } as Anthropic.MessageParam;
        return { ...e, message, approxTokens: approxTokens(content) };
      }),
    );
  }
  const start = firstKeptTurn(
    turns.map((turn) => tokensOf([turn])),
    budgetTokens,
  );
  const kept = turns.slice(start);
  return { messages: kept.flat().map((e) => e.message), trimmed, droppedTurns: start };
}

/** Whole turns are left out a quarter of the budget at a time. */
const DROP_STEPS = 4;

/**
 * The first turn to keep so that the rest fits `budget`. Turns are dropped from the oldest a page at a time (a page
 * being a quarter of the budget, counted from the thread's first turn), not one by one: the history then starts at
 * the same turn for the next several questions, so its bytes, the prompt cache's prefix, stay the same. Dropping one
 * turn per question would change the start of every request and write the whole history to the cache again each
 * time. If no page start fits (a huge last turn), the longest suffix that fits.
 */
function firstKeptTurn(costs: readonly number[], budget: number): number {
  const total = costs.reduce((n, c) => n + c, 0);
  const page = (tokens: number) => Math.floor((tokens * DROP_STEPS) / budget);
  let before = 0;
  let longestFit = costs.length;
  for (let i = 0; i < costs.length; i++) {
    if (total - before <= budget) {
      const startsPage = i === 0 || page(before) > page(before - costs[i - 1]!);
      if (startsPage) return i;
      longestFit = Math.min(longestFit, i);
    }
    before += costs[i]!;
  }
  return longestFit;
}

/**
 * A one-time notice when this question is the first whose history had to be shortened or cut: the history
 * before the newest stored turn still fitted as it was.
 */
export function historyNotice(
  entries: readonly HistoryEntry[],
  budgetTokens: number,
  now: FittedHistory = fitHistory(entries, budgetTokens),
): string | null {
  const lastTurn = entries.at(-1)?.turnId;
  const before = fitHistory(
    entries.filter((e) => e.turnId !== lastTurn),
    budgetTokens,
  );
  if (now.droppedTurns > 0 && before.droppedTurns === 0) {
    return '✂️ This thread is long: Claude no longer sees its oldest questions and answers. Start a new thread for a fresh start.';
  }
  if (now.trimmed && !before.trimmed) {
    return '✂️ This thread is getting long: Claude now sees only the start and end of long printed output (and long code) from earlier answers. The sandbox still has everything.';
  }
  return null;
}

function groupTurns(entries: readonly HistoryEntry[]): HistoryEntry[][] {
  const turns: HistoryEntry[][] = [];
  for (const e of entries) {
    const last = turns.at(-1);
    if (last && last[0]!.turnId === e.turnId) last.push(e);
    else turns.push([e]);
  }
  return turns;
}

const tokensOf = (turns: readonly HistoryEntry[][]) =>
  turns.reduce((n, turn) => n + turn.reduce((m, e) => m + e.approxTokens, 0), 0);

/** Head and tail of `text`, with a note saying how much was left out. */
export function headAndTail(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const keep = Math.floor((maxChars - 100) / 2);
  return `${text.slice(0, keep)}\n[… ${text.length - 2 * keep} characters of this earlier run left out to fit the thread …]\n${text.slice(-keep)}`;
}

type Shorten = (block: Anthropic.ContentBlockParam) => Anthropic.ContentBlockParam;

/** The same content if nothing changed, so callers can tell. Thinking blocks are signed and never touched. */
function shortenContent(content: Anthropic.MessageParam['content'], shorten: Shorten) {
  if (typeof content === 'string') return content;
  let changed = false;
  const out = content.map((b) => {
    const s = shorten(b);
    if (s !== b) changed = true;
    return s;
  });
  return changed ? out : content;
}

/** stdout/stderr of bash and Python runs, and file views, over MAX_OUTPUT_CHARS. */
const shortenOutputs: Shorten = (b) => {
  const cut = (t: string) => headAndTail(t, MAX_OUTPUT_CHARS);
  const long = (t: string) => t.length > MAX_OUTPUT_CHARS;
  if (
    (b.type === 'bash_code_execution_tool_result' && b.content.type === 'bash_code_execution_result') ||
    (b.type === 'code_execution_tool_result' && b.content.type === 'code_execution_result')
  ) {
    const c = b.content;
    if (!long(c.stdout) && !long(c.stderr)) return b;
    return {
      ...b,
      content: { ...c, stdout: cut(c.stdout), stderr: cut(c.stderr) },
    } as Anthropic.ContentBlockParam;
  }
  if (
    b.type === 'text_editor_code_execution_tool_result' &&
    b.content.type === 'text_editor_code_execution_view_result' &&
    long(b.content.content)
  ) {
    return { ...b, content: { ...b.content, content: cut(b.content.content) } };
  }
  return b;
};

/** String fields of the code-execution tool calls (commands, file_text, …) over MAX_INPUT_CHARS. */
const shortenInputs: Shorten = (b) => {
  if (b.type !== 'server_tool_use' || typeof b.input !== 'object' || b.input === null) return b;
  const input = b.input as Record<string, unknown>;
  const longKeys = Object.keys(input).filter(
    (k) => typeof input[k] === 'string' && (input[k] as string).length > MAX_INPUT_CHARS,
  );
  if (longKeys.length === 0) return b;
  const shortened = { ...input };
  for (const k of longKeys) shortened[k] = headAndTail(input[k] as string, MAX_INPUT_CHARS);
  return { ...b, input: shortened };
};

/** container_upload blocks for files that are not yet in the given container. */
export function uploadsFor(
  files: readonly ThreadFile[],
  containerId: string | null,
): Anthropic.ContainerUploadBlockParam[] {
  return files
    .filter((f) => containerId === null || f.containerId !== containerId)
    .map((f) => ({ type: 'container_upload', file_id: f.anthropicFileId }));
}

/**
 * The user content as stored in history: container_upload blocks become a text note. The file is
 * in the container by then, and an old upload block would fail every later request once the file or
 * container is gone; after a container replacement the turn re-attaches every input explicitly.
 */
export function forHistory(
  content: readonly Anthropic.ContentBlockParam[],
  files: readonly Pick<ThreadFile, 'anthropicFileId' | 'name'>[],
): Anthropic.ContentBlockParam[] {
  const names = new Map(files.map((f) => [f.anthropicFileId, f.name]));
  return content.map((b) =>
    b.type === 'container_upload'
      ? { type: 'text', text: `[file ${names.get(b.file_id) ?? b.file_id} was attached to the sandbox here]` }
      : b,
  );
}
