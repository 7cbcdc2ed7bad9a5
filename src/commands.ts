import type { ThreadMessage } from './domain.js';
import { threadKeyOf } from './domain.js';
import { formatList } from './files/formats.js';
import { exportNotebook } from './notebook-export.js';
import type { FileGateway, Replier, TurnOutcome } from './ports.js';
import { formatUsd, totalInputTokens } from './pricing.js';
import { threadReplayPlan } from './restore.js';
import { forgetThread } from './retention.js';
import type { Store } from './store/index.js';
import { formatTokens } from './text/format.js';
import { COMMAND, plural } from './text/wording.js';

export const COMMANDS = ['help', 'reset', 'reset clean', 'usage', 'forget', 'retry', 'notebook'] as const;
export type Command = (typeof COMMANDS)[number];

/** A message that is exactly one command word (after the mention), e.g. "@Analyst reset". */
export function parseCommand(text: string): Command | null {
  const word = commandWord(text);
  return (COMMANDS as readonly string[]).includes(word) ? (word as Command) : null;
}

/**
 * "@Analyst rerun": the thread's analysis on new files. Not one of `COMMANDS`: it is a question to Claude, so it
 * runs as a turn (budgets, Stop, timeout, audit) and the turn hands it to rerun.ts.
 */
export const isRerun = (msg: Pick<ThreadMessage, 'text' | 'addressed'>): boolean =>
  msg.addressed && commandWord(msg.text) === 'rerun';

const commandWord = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/[.!?]+$/, '')
    .replace(/\s+/g, ' ');

export interface CommandDeps {
  store: Store;
  replier: Replier;
  files: Pick<FileGateway, 'deleteFile' | 'removeLocalCopies' | 'fetchOutput'>;
  /** Queues a finished message again; false when it is already queued or running. */
  retry: (channelId: string, messageTs: string) => Promise<boolean>;
  /** Workspace admins may retry anyone's question; everyone else only their own. */
  isAdmin: (userId: string) => Promise<boolean>;
  maxFileMb: number;
}

/** Thread commands run in the thread's lane, so they never race a turn of the same thread. */
export async function runCommand(
  deps: CommandDeps,
  msg: ThreadMessage,
  command: Command,
): Promise<TurnOutcome> {
  const { store, replier } = deps;
  const threadKey = threadKeyOf(msg);
  switch (command) {
    case 'help':
      await replier.notice(msg, COMMAND.help(formatList(), deps.maxFileMb));
      break;
    case 'reset': {
      // The next question restores the sandbox: its recorded steps are re-run first (see restore.ts).
      await store.threads.setContainer(threadKey, null, null);
      const files = (await store.files.list(threadKey)).length;
      const steps = (await threadReplayPlan(store, threadKey)).steps.length;
      await replier.notice(msg, steps > 0 ? COMMAND.resetRestoring(steps, files) : COMMAND.reset(files));
      break;
    }
    case 'reset clean': {
      await store.threads.startClean(threadKey);
      await replier.notice(msg, COMMAND.reset((await store.files.list(threadKey)).length));
      break;
    }
    case 'usage': {
      const t = await store.usage.threadTotals(threadKey);
      const minutes = Math.round(t.containerMinutes);
      // The audit log's estimate, so this matches the receipts, budgets and reports (container free hours included).
      const cost = await store.audit.threadCost(msg);
      const cached =
        t.tokens.cacheReadInputTokens + t.tokens.cacheCreationInputTokens > 0
          ? ` (${formatTokens(t.tokens.cacheReadInputTokens)} read from the prompt cache, ${formatTokens(t.tokens.cacheCreationInputTokens)} written to it)`
          : '';
      await replier.notice(
        msg,
        `📊 This thread: ${plural(t.turns, 'question')} billed, ${formatTokens(totalInputTokens(t.tokens))} input${cached} and ${formatTokens(t.tokens.outputTokens)} output tokens, ` +
          `${t.runs} code run${t.runs === 1 ? '' : 's'} (≈ ${minutes} container minutes billed). Estimated cost ${formatUsd(cost)}.`,
      );
      break;
    }
    case 'forget': {
      const deleted = await forgetThread(deps, threadKey);
      await replier.notice(msg, COMMAND.forgotten(deleted));
      break;
    }
    case 'retry': {
      const failed = await store.inbox.lastFailed(threadKey);
      if (!failed) {
        await replier.notice(msg, COMMAND.nothingToRetry);
        break;
      }
      if (failed.message.userId !== msg.userId && !(await deps.isAdmin(msg.userId))) {
        await replier.notice(msg, COMMAND.notYoursToRetry);
        break;
      }
      await deps.retry(failed.channelId, failed.messageTs);
      await replier.notice(msg, COMMAND.retrying(failed.message.text));
      break;
    }
    case 'notebook':
      await exportNotebook(deps, msg);
      break;
  }
  return { status: 'answered' };
}
