import { randomUUID } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import type { Analyst } from './claude/analyst.js';
import { AnalystError } from './claude/errors.js';
import { fitHistory, forHistory, historyNotice, uploadsFor } from './claude/history.js';
import { threadContext } from './claude/prompt.js';
import { answerText, collectRuns, followUpsOf, stepEvent } from './claude/result.js';
import { isRerun } from './commands.js';
import type { CodeExecutionToolVersion } from './config.js';
import {
  type CodeRun,
  RESTORE_SCRIPT,
  type SlackFileRef,
  type ThreadFile,
  type ThreadMessage,
  threadKeyOf,
} from './domain.js';
import { utcMonth } from './governance.js';
import type { Logger } from './log.js';
import type {
  DatabaseFault,
  FileGateway,
  OutputFile,
  Progress,
  Replier,
  TurnOutcome,
  TurnSpend,
} from './ports.js';
import {
  containerMinutes,
  estimateCost,
  formatUsd,
  type Meter,
  newMeter,
  type Prices,
  totalInputTokens,
} from './pricing.js';
import { prepareRerun, type Rerun } from './rerun.js';
import { prepareRestore, type Restore, restoreNotice } from './restore.js';
import { databaseFault, faultReason, type Store } from './store/index.js';
import { formatTokens } from './text/format.js';
import { fileNameMarkdown } from './text/names.js';
import { redactDeep } from './text/redact.js';
import { redactOutputFile } from './text/redact-file.js';
import { GOVERNANCE, TURN } from './text/wording.js';

export interface TurnDeps {
  store: Store;
  analyst: Analyst;
  replier: Replier;
  files: FileGateway;
  log: Logger;
  model: string;
  toolVersion: CodeExecutionToolVersion;
  historyTokenBudget: number;
  deleteOutputFiles: boolean;
  /** Prices for the one-line cost receipt under each answer; null turns the receipt off. */
  prices: Prices | null;
  /** MAX_TURN_USD for this asker (undefined: no ceiling, e.g. for admins). */
  turnCeiling?: (msg: ThreadMessage) => Promise<number | undefined>;
}

/**
 * Answers one thread message: ingest its files, ask Claude in the thread's container, save, reply. `spend` is
 * filled in as the turn goes (files attached, every request's tokens and container time), so the caller can bill
 * it however the turn ends.
 */
export async function runTurn(
  deps: TurnDeps,
  msg: ThreadMessage,
  signal?: AbortSignal,
  spend: TurnSpend = { ...newMeter(), codeRuns: 0, failedRuns: 0, files: [] },
): Promise<TurnOutcome> {
  const { store, replier } = deps;
  const turnId = randomUUID();
  const threadKey = threadKeyOf(msg);
  const log = deps.log.child({ turnId, threadKey, eventId: msg.eventId });
  await replier.working(msg);

  const question = msg.text.trim() !== '';
  const incoming = await newFiles(deps, msg, threadKey);
  // The progress message (with Stop) comes first, so the turn's limits visibly cover ingestion too. A re-run
  // (after a restart or Retry) updates the message's earlier progress view instead of adding one.
  const progress =
    question || incoming.length > 0
      ? await replier.progress(msg, await store.inbox.progressTs(msg.channelId, msg.messageTs))
      : undefined;
  let ingested: Awaited<ReturnType<typeof ingestFiles>>;
  let rerun: Rerun | undefined;
  try {
    if (progress?.ts) await store.inbox.setProgressTs(msg.channelId, msg.messageTs, progress.ts);
    ingested = await ingestFiles(deps, incoming, msg, threadKey, spend, signal);
    // `@Analyst rerun`: the thread's analysis on new files, in a new sandbox (rerun.ts).
    if (isRerun(msg))
      rerun = await prepareRerun(deps, msg, threadKey, await store.files.list(threadKey), signal);
  } catch (err) {
    // An abort (the caller says which signal fired) or a database fault (the caller reports it); either way no
    // "working" view is left behind.
    await progress?.finish(signal?.aborted ? 'stopped' : 'failed');
    throw err;
  }
  const { receipts, notices: fileNotices } = ingested;
  if (receipts.length > 0 || fileNotices.length > 0 || !question) {
    // Receipts (rows × columns, column types) and refusals right away; without a question this is the
    // whole reply, and the files are used from the next question on.
    const hint = question ? [] : [receipts.length > 0 ? TURN.askAboutIt : TURN.askAQuestion];
    await replier.notice(msg, [...receipts, ...fileNotices, ...hint].join('\n\n'));
  }
  if (!question || !progress) {
    const outcome = receipts.length > 0 || fileNotices.length === 0 ? 'answered' : 'failed';
    await progress?.finish(outcome);
    await replier.done(msg, outcome);
    return { status: 'answered' };
  }
  if (rerun && !rerun.ok) {
    // Nothing to rerun on, or the new data would break it: the reason is the whole reply, and Claude is not asked.
    await progress.finish('failed');
    await replier.notice(msg, rerun.message);
    await replier.done(msg, 'failed');
    return { status: 'answered' };
  }
  const notices: string[] = [];

  const files = rerun?.ok ? rerun.files : await store.files.list(threadKey);
  let result: AskOutcome;
  const askedCeiling = await deps.turnCeiling?.(msg);
  spend.model = deps.model;
  // The organisation's container time so far this month decides how much of this question's is free.
  spend.earlierContainerMinutes = await store.audit.containerMinutesSince(utcMonth(Date.now()).start);
  try {
    result = await askClaude(
      deps,
      msg,
      files,
      progress,
      log,
      signal,
      askedCeiling,
      spend,
      rerun?.ok ? rerun : undefined,
    );
  } catch (err) {
    // What Anthropic billed before the failure is kept with the thread's usage (the caller audits it too).
    await recordUsage(deps, turnId, threadKey, spend, log);
    // Only a fired signal (timeout, Stop, shutdown) is an abort. Any other error that is not Claude's (e.g. a
    // database write that failed) is a fault: the caller reports it as a failure, with Retry.
    const aborted = signal?.aborted === true || (err instanceof AnalystError && err.code === 'aborted');
    await progress.finish(aborted ? 'stopped' : 'failed');
    if (aborted || !(err instanceof AnalystError) || err.code === 'aborted') throw err;
    await replier.failure(msg, TURN.couldNotAnswer(err.userMessage, err.transient));
    return { status: 'failed', code: err.code };
  }

  const runs = collectRuns(result.assistantContent);
  spend.codeRuns = runs.length;
  spend.failedRuns = runs.filter((r) => r.failed).length;
  const saveFault = await saveTurn(deps, msg, { turnId, threadKey, files, runs, result, spend }, log);
  if (result.restore) {
    notices.unshift(restoreNotice(result.restore, runs, files.length));
  } else if (result.containerReplaced) {
    const restored = files.map((f) => fileNameMarkdown(f.name)).join(', ') || 'none';
    notices.unshift(TURN.sandboxReplaced(restored));
  }
  if (result.stopReason === 'refusal') {
    // A refused turn is dropped from history so it cannot steer later answers.
    await progress.finish('failed');
    await replier.failure(msg, TURN.refused);
    return { status: 'failed', code: 'refusal' };
  }
  if (saveFault) {
    // The answer exists and cost tokens: it is posted rather than lost, but flagged, and the turn ends failed.
    notices.unshift(TURN.notSaved(faultReason(saveFault)));
  }
  notices.push(...stopNotices(result));
  if (result.hitCostLimit && askedCeiling !== undefined)
    notices.push(GOVERNANCE.turnCeiling(formatUsd(askedCeiling)));
  if (result.historyNotice) notices.push(result.historyNotice);

  const outputs = await fetchOutputs(deps, runs, notices, log);
  const allFailed = runs.length > 0 && runs.every((r) => r.failed);
  const failed = saveFault !== undefined || runs.some((r) => r.failed);
  const markdown = answerText(result.assistantContent) || TURN.noWrittenAnswer;
  const streamed = await progress.finish(failed ? 'failed' : 'answered', markdown);
  await replier.answer(msg, {
    turnId,
    markdown,
    streamed,
    runs,
    notices,
    outputs,
    allowedUserIds: [msg.userId],
    retryable: allFailed || saveFault !== undefined,
    followUps: followUpsOf(result.assistantContent),
    ...(deps.prices ? { receipt: costReceipt(deps.prices, spend) } : {}),
  });
  if (deps.deleteOutputFiles) await Promise.allSettled(outputs.map((o) => deps.files.deleteFile(o.fileId)));
  await replier.done(msg, failed ? 'failed' : 'answered');
  log.info(
    {
      runs: runs.length,
      failedRuns: runs.filter((r) => r.failed).length,
      outputs: outputs.length,
      requestIds: result.requestIds,
      containerId: result.container?.id,
    },
    'turn answered',
  );
  return saveFault ? { status: 'failed', code: `database ${saveFault}` } : { status: 'answered' };
}

/**
 * Stores what the turn changed (container, attached files, usage, and the history unless Claude refused) in
 * one transaction, so it lands whole or not at all; the inbox row's saved_at is set in the same transaction.
 * Returns the database fault when it could not be written; any other error is a bug and propagates.
 */
async function saveTurn(
  deps: TurnDeps,
  msg: ThreadMessage,
  turn: {
    turnId: string;
    threadKey: string;
    files: ThreadFile[];
    runs: CodeRun[];
    result: AskOutcome;
    spend: TurnSpend;
  },
  log: Logger,
): Promise<DatabaseFault | undefined> {
  const { store } = deps;
  const { turnId, threadKey, files, runs, result } = turn;
  try {
    await store.atomically(async (tx) => {
      if (result.container) {
        await tx.threads.setContainer(threadKey, result.container.id, result.container.expiresAt);
        await tx.files.markAttached(threadKey, result.sentUploads, result.container.id);
      }
      await tx.usage.record({
        turnId,
        threadKey,
        model: deps.model,
        ...result.usage,
        codeRuns: runs.length,
        containerMinutes: containerMinutes(turn.spend.container),
      });
      if (result.stopReason === 'refusal') return;
      await tx.saveTurn(msg, threadKey, turnId, [
        {
          role: 'user',
          content: storedForm(result.userContent, files, result.restore),
        },
        { role: 'assistant', content: redactAssistant(result.assistantContent) },
      ]);
    });
    return undefined;
  } catch (err) {
    const fault = databaseFault(err);
    if (!fault) throw err;
    log.error({ err, fault }, 'could not save the turn; its answer is posted unsaved');
    return fault;
  }
}

/** Claude's answer, and a one-time notice when the thread's history had to be shortened to fit. */
type AskOutcome = Awaited<ReturnType<Analyst['ask']>> & {
  /** Files sent as container_upload blocks, attached to the container once the turn is saved. */
  sentUploads: string[];
  /** The thread's earlier steps were replayed in the new sandbox first. */
  restore?: Restore;
  historyNotice?: string;
};

/** One request to Claude in the thread's container; the caller saves the container it ran in. */
async function askClaude(
  deps: TurnDeps,
  msg: ThreadMessage,
  files: ThreadFile[],
  progress: Progress,
  log: Logger,
  signal: AbortSignal | undefined,
  maxCostUsd: number | undefined,
  meter: Meter,
  rerun?: Extract<Rerun, { ok: true }>,
): Promise<AskOutcome> {
  const { store } = deps;
  const threadKey = threadKeyOf(msg);
  const thread = await store.threads.ensure({ ...msg, threadKey, toolVersion: deps.toolVersion });
  // Containers end 30 days after creation: a day before, start a new one rather than fail mid-answer.
  const retiring =
    thread.containerCreatedAt !== null && Date.now() - thread.containerCreatedAt > MAX_CONTAINER_AGE_MS;
  const containerId = retiring || rerun ? null : thread.containerId;
  // Thread facts (and the profile of each file attached now) travel with the question, so the system prompt stays
  // identical, and cached, for every thread.
  const uploads = uploadsFor(files, containerId);
  // A new sandbox for a thread with recorded steps (retiring container, or after `reset`): they are replayed first.
  // A rerun brings its own replay, with the new files under the old names.
  const replay = () => (rerun ? Promise.resolve(rerun.restore) : prepareRestore(deps, threadKey, signal));
  let restore = containerId === null ? await replay() : undefined;
  const question: Anthropic.ContentBlockParam[] = [
    ...(restore ? [restore.instruction] : retiring ? [SANDBOX_RESET_NOTE] : []),
    { type: 'text', text: threadContext(files, new Set(uploads.map((u) => u.file_id))) },
    { type: 'text', text: `Question from Slack user ${msg.userId}:\n${msg.text}` },
    ...uploads,
    ...(restore ? [restore.upload] : []),
  ];
  const stored = await store.history.list(threadKey);
  const fitted = fitHistory(stored, deps.historyTokenBudget);
  const history = fitted.messages;
  const shortened = historyNotice(stored, deps.historyTokenBudget, fitted);
  // Files a rerun replaced count as attached: their names hold the new data in the new sandbox.
  const replaced = rerun?.replaced ?? [];
  let sentUploads = [
    ...question.flatMap((b) => (b.type === 'container_upload' ? [b.file_id] : [])),
    ...replaced,
  ];

  const ask = deps.analyst.ask({
    toolVersion: thread.toolVersion as CodeExecutionToolVersion,
    threadKey,
    history,
    userContent: question,
    containerId,
    log,
    onBlock: (block) => {
      const event = stepEvent(block);
      if (event) progress.step(event);
    },
    onText: (delta, blockSoFar) => progress.text(delta, blockSoFar),
    ...(signal ? { signal } : {}),
    maxCostUsd,
    asStored: (content) => storedForm(content, files, restore),
    meter,
    onContainerLost: async () => {
      await store.threads.setContainer(threadKey, null, null);
      restore = await replay();
      const reattach = [...uploadsFor(files, null), ...(restore ? [restore.upload] : [])];
      sentUploads = [...reattach.map((b) => b.file_id), ...replaced];
      return {
        history,
        userContent: [
          restore ? restore.instruction : SANDBOX_RESET_NOTE,
          ...question.filter((b) => b.type !== 'container_upload' && b !== SANDBOX_RESET_NOTE),
          ...reattach,
        ],
      };
    },
  });
  // The container holds its copy of the restore script once the request ran; the uploaded one can go.
  const result = await ask.finally(() => {
    if (restore) void deps.files.deleteFile(restore.fileId).catch(() => undefined);
  });
  return {
    ...result,
    containerReplaced: result.containerReplaced || retiring,
    sentUploads,
    ...(restore ? { restore } : {}),
    ...(shortened ? { historyNotice: shortened } : {}),
  };
}

/** The user content as history stores it; the restore script is named instead of its (deleted) file id. */
const storedForm = (
  content: Anthropic.ContentBlockParam[],
  files: ThreadFile[],
  restore: Restore | undefined,
) =>
  redactDeep(
    forHistory(content, [
      ...files,
      ...(restore ? [{ anthropicFileId: restore.fileId, name: RESTORE_SCRIPT }] : []),
    ]),
  );

const MAX_CONTAINER_AGE_MS = 29 * 24 * 60 * 60 * 1000;
const SANDBOX_RESET_NOTE: Anthropic.TextBlockParam = {
  type: 'text',
  text: "Note: the sandbox was reset. Earlier variables and intermediate files are gone; the thread's input files were re-attached.",
};

/**
 * The message's files not yet in the thread. When the bot is first asked into an existing thread, files shared
 * earlier in it are taken in too.
 */
async function newFiles(deps: TurnDeps, msg: ThreadMessage, threadKey: string): Promise<SlackFileRef[]> {
  const known = new Set((await deps.store.files.list(threadKey)).map((f) => f.slackFileId));
  const joinedLate =
    msg.threadTs !== msg.messageTs && known.size === 0 && (await deps.store.history.isEmpty(threadKey));
  const earlier = joinedLate ? await deps.files.earlierFiles(msg, msg.messageTs) : [];
  const fresh: SlackFileRef[] = [];
  for (const file of [...earlier, ...msg.files]) {
    if (known.has(file.id)) continue;
    known.add(file.id);
    fresh.push(file);
  }
  return fresh;
}

/** Uploads files once per thread; a file that can't be used becomes a notice. Rejects only on `signal`. */
async function ingestFiles(
  deps: TurnDeps,
  files: SlackFileRef[],
  msg: ThreadMessage,
  threadKey: string,
  spend: TurnSpend,
  signal: AbortSignal | undefined,
) {
  const receipts: string[] = [];
  const notices: string[] = [];
  for (const file of files) {
    signal?.throwIfAborted();
    const r = await deps.files.ingest(file, msg, signal);
    if (r.ok) {
      await deps.store.files.add(threadKey, r.file);
      spend.files.push({ name: r.file.name, sizeBytes: r.file.sizeBytes });
      receipts.push(r.receipt);
    } else notices.push(TURN.fileRefused(fileNameMarkdown(r.name), r.reason));
  }
  return { receipts, notices };
}

function stopNotices(r: Awaited<ReturnType<Analyst['ask']>>): string[] {
  if (r.hitContinuationLimit) return [TURN.continuationLimit];
  if (r.stopReason === 'max_tokens') return [TURN.outputTokenLimit];
  if (r.stopReason === 'model_context_window_exceeded') return [TURN.contextWindowFull];
  return [];
}

async function fetchOutputs(
  deps: TurnDeps,
  runs: CodeRun[],
  notices: string[],
  log: Logger,
): Promise<OutputFile[]> {
  const ids = [...new Set(runs.flatMap((r) => r.outputFileIds))];
  const settled = await Promise.allSettled(ids.map((id) => deps.files.fetchOutput(id)));
  const files: OutputFile[] = [];
  for (const [i, s] of settled.entries()) {
    if (s.status === 'rejected') {
      log.warn({ fileId: ids[i], err: String(s.reason) }, 'could not fetch output file');
      notices.push(TURN.outputNotFetched(ids[i]!));
      continue;
    }
    // Redacted before anything leaves for Slack: text contents, and every name and title. One at a time, so at most
    // one large file is held twice in memory.
    const { file, notice } = await redactOutputFile(s.value);
    if (notice) notices.push(notice);
    if (file) files.push(file);
  }
  return files;
}

/**
 * A failed or stopped turn's usage row (an answered turn's is saved with its history), when Anthropic billed anything
 * before the failure. A database fault here is logged, not thrown, so it cannot hide the failure being handled.
 */
async function recordUsage(deps: TurnDeps, turnId: string, threadKey: string, spend: TurnSpend, log: Logger) {
  const billed = totalInputTokens(spend.usage) + spend.usage.outputTokens > 0 || spend.container.used;
  if (!spend.model || !billed) return;
  try {
    await deps.store.usage.record({
      turnId,
      threadKey,
      model: spend.model,
      ...spend.usage,
      codeRuns: spend.codeRuns,
      containerMinutes: containerMinutes(spend.container),
    });
  } catch (err) {
    log.error({ err, fault: databaseFault(err) }, 'could not record the usage of a failed turn');
  }
}

/** The same estimate as the question's audit row: tokens, and container time beyond the month's free hours. */
function costReceipt(prices: Prices, spend: TurnSpend): string {
  const { usage } = spend;
  const cost = estimateCost(prices, usage, containerMinutes(spend.container), spend.earlierContainerMinutes);
  const cached =
    usage.cacheReadInputTokens > 0 ? ` (${formatTokens(usage.cacheReadInputTokens)} from cache)` : '';
  return `💸 ${formatTokens(totalInputTokens(usage))} input${cached} · ${formatTokens(usage.outputTokens)} output tokens · ≈ ${formatUsd(cost)}`;
}

/** Secrets are redacted before storage; signed thinking blocks must go back untouched. */
function redactAssistant(content: Anthropic.ContentBlock[]): Anthropic.ContentBlockParam[] {
  return content.map((b) =>
    b.type === 'thinking' || b.type === 'redacted_thinking' ? b : redactDeep(b),
  ) as Anthropic.ContentBlockParam[];
}
