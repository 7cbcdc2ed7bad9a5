/**
 * A thread's analysis as recorded in its stored history: per turn, the question, the answer and each code run
 * with the tool input that started it. The notebook export and the sandbox restore both read it. Pure — no I/O.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { CodeRun, HistoryEntry } from '../domain.js';
import { answerText, collectRuns } from './result.js';

/** What a run did, from the tool input that started it (the text editor's commands kept apart). */
export type StepAction =
  | { type: 'bash'; command: string }
  | { type: 'python'; code: string }
  | { type: 'create'; path: string; fileText: string }
  | { type: 'str_replace'; path: string; oldStr: string; newStr: string }
  | { type: 'view'; path: string }
  | { type: 'unknown' };

export interface RecordedStep {
  run: CodeRun;
  action: StepAction;
}

export interface RecordedTurn {
  turnId: string;
  /** The Slack user's question as asked (without the thread facts the bot sent with it). */
  question: string;
  answer: string;
  steps: RecordedStep[];
  /** Files a `rerun` in this turn gave an earlier file's name (see `renameLine`). */
  renames: Rename[];
}

/** A new input file that took an earlier one's name in the sandbox (`rerun`): `from` is copied over `to`. */
export interface Rename {
  from: string;
  to: string;
}

/**
 * The line a rerun's instruction carries for each rename. It is stored with the turn's question, so a later restore
 * of the thread knows which file stands under which name (the history is the record).
 */
export const renameLine = ({ from, to }: Rename) =>
  `Rerun: the new file ${JSON.stringify(from)} takes the name ${JSON.stringify(to)}.`;
const RENAME_LINE = /^Rerun: the new file ("(?:[^"\\]|\\.)*") takes the name ("(?:[^"\\]|\\.)*")\.$/gm;

function renamesIn(content: Anthropic.MessageParam['content']): Rename[] {
  return blocksOf(content).flatMap((b) =>
    b.type === 'text'
      ? [...b.text.matchAll(RENAME_LINE)].map((m) => ({
          from: JSON.parse(m[1]!) as string,
          to: JSON.parse(m[2]!) as string,
        }))
      : [],
  );
}

const QUESTION_PREFIX = /^Question from Slack user [^\n]*:\n/;

/** The thread's turns, oldest first; a turn without a stored answer is left out. */
export function recordedTurns(entries: readonly HistoryEntry[]): RecordedTurn[] {
  const turns: RecordedTurn[] = [];
  for (let i = 0; i < entries.length; i++) {
    const user = entries[i]!;
    const reply = entries[i + 1];
    if (user.message.role !== 'user' || reply?.message.role !== 'assistant' || reply.turnId !== user.turnId)
      continue;
    i++;
    const content = blocksOf(reply.message.content) as Anthropic.ContentBlock[];
    const inputs = new Map<string, unknown>();
    for (const b of content) if (b.type === 'server_tool_use') inputs.set(b.id, b.input);
    turns.push({
      turnId: user.turnId,
      question: questionOf(user.message.content),
      answer: answerText(content),
      steps: collectRuns(content).map((run) => ({
        run,
        action: actionOf(run.kind, inputs.get(run.toolUseId)),
      })),
      renames: renamesIn(user.message.content),
    });
  }
  return turns;
}

const blocksOf = (content: Anthropic.MessageParam['content']): Anthropic.ContentBlockParam[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : content;

function questionOf(content: Anthropic.MessageParam['content']): string {
  const texts = blocksOf(content).flatMap((b) => (b.type === 'text' ? [b.text] : []));
  const asked = texts.find((t) => QUESTION_PREFIX.test(t));
  return asked ? asked.replace(QUESTION_PREFIX, '') : (texts.at(-1) ?? '');
}

function actionOf(kind: CodeRun['kind'], raw: unknown): StepAction {
  const input = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const str = (key: string) => (typeof input[key] === 'string' ? input[key] : undefined);
  const command = str('command');
  const path = str('path');
  if (kind === 'bash' && command !== undefined) return { type: 'bash', command };
  if (kind === 'python' && str('code') !== undefined) return { type: 'python', code: str('code')! };
  if (kind === 'file_edit' && path !== undefined) {
    if (command === 'create') return { type: 'create', path, fileText: str('file_text') ?? '' };
    if (command === 'str_replace')
      return { type: 'str_replace', path, oldStr: str('old_str') ?? '', newStr: str('new_str') ?? '' };
    if (command === 'view') return { type: 'view', path };
  }
  return { type: 'unknown' };
}

/** Commands that only look around (list, print, count); a pipeline or chain of them changes nothing. */
const LOOKING =
  /^(ls|ll|head|tail|cat|less|wc|pwd|file|du|df|find|stat|tree|echo|printf|which|whoami|env|printenv|nproc|free|uname|date|id|pip3? (list|show|freeze)|python3? (-V|--version))\b/;

/**
 * An exploratory step: it only looked (e.g. `ls`, `head -5 sales.csv`, a file view), so replaying it would
 * change nothing in the sandbox. A redirection into a file counts as a change.
 */
export function isExploratory(action: StepAction): boolean {
  if (action.type === 'view') return true;
  if (action.type !== 'bash') return false;
  const command = action.command.replace(/\d?>\s*&\d|\d?>\s*\/dev\/null/g, '');
  if (command.includes('>') || command.includes('$(') || command.includes('`')) return false;
  const parts = command
    .split(/&&|\|\||[;|\n]/)
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.length > 0 && parts.every((p) => LOOKING.test(p));
}
