/**
 * Restore, not restart: when a thread's next request starts a new sandbox (its container expired or was replaced,
 * or `reset`), the bot replays the thread's recorded steps there first, through one script (see claude/replay.ts).
 * A `rerun` (rerun.ts) is the same replay with new files under the old names.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { type Rename, recordedTurns } from './claude/recorded.js';
import {
  type ReplayOptions,
  type ReplayPlan,
  replayOutcome,
  replayPlan,
  restoreInstruction,
} from './claude/replay.js';
import type { CodeRun } from './domain.js';
import { RESTORE_SCRIPT } from './domain.js';
import type { Logger } from './log.js';
import type { FileGateway } from './ports.js';
import type { Store } from './store/index.js';
import { fileNameMarkdown } from './text/names.js';
import { plural, RERUN, TURN } from './text/wording.js';

export interface Restore {
  plan: ReplayPlan;
  /** Set for a rerun on new data: the mapping it used and what the thread is told about it. */
  rerun?: { renames: Rename[]; guessed: boolean; notes: string[] };
  /** The uploaded script; deleted once the request has run (the container keeps its copy). */
  fileId: string;
  instruction: Anthropic.TextBlockParam;
  upload: Anthropic.ContainerUploadBlockParam;
}

/** The thread's replay plan: its recorded steps since the last `reset clean`. */
export async function threadReplayPlan(
  store: Store,
  threadKey: string,
  options?: ReplayOptions,
): Promise<ReplayPlan> {
  const from = (await store.threads.get(threadKey))?.replayFromSeq ?? 0;
  const entries = (await store.history.list(threadKey)).filter((e) => e.seq > from);
  return replayPlan(recordedTurns(entries), options);
}

/**
 * Uploads the restore script for a thread about to get a new sandbox; undefined when there is nothing to re-run,
 * or when the upload failed (then the thread is told, as before, that the sandbox was reset). Rejects on `signal`.
 */
export async function prepareRestore(
  deps: { store: Store; files: Pick<FileGateway, 'uploadText'>; log: Logger },
  threadKey: string,
  signal: AbortSignal | undefined,
): Promise<Restore | undefined> {
  const plan = await threadReplayPlan(deps.store, threadKey);
  if (plan.steps.length === 0) return undefined;
  let fileId: string;
  try {
    fileId = await deps.files.uploadText(RESTORE_SCRIPT, plan.script, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    deps.log.warn({ err: String(err) }, 'could not upload the restore script; the new sandbox starts empty');
    return undefined;
  }
  return {
    plan,
    fileId,
    instruction: { type: 'text', text: restoreInstruction(plan.steps.length) },
    upload: { type: 'container_upload', file_id: fileId },
  };
}

/** The one line the thread gets: what came back, and what did not. */
export function restoreNotice(restore: Restore, runs: readonly CodeRun[], files: number): string {
  const { plan, rerun } = restore;
  const { ran, failedSteps } = replayOutcome(runs);
  if (!ran) return rerun ? RERUN.notRun(plan.steps.length) : TURN.restoreNotRun(plan.steps.length, files);
  const failed = failedSteps.flatMap((n) => {
    const step = plan.steps[n - 1];
    return step ? [`step ${n} \`${short(step.run.input)}\``] : [];
  });
  const left = (reason: string) => plan.skipped.filter((s) => s.reason === reason).length;
  const skipped = [
    left('exploratory') > 0 ? plural(left('exploratory'), 'exploratory run') : '',
    left('failed') > 0 ? `${plural(left('failed'), 'run')} that had failed` : '',
    left('unknown') > 0 ? `${plural(left('unknown'), 'run')} of an unknown kind` : '',
  ].filter(Boolean);
  if (rerun) {
    const renames = rerun.renames.map((r) => RERUN.took(fileNameMarkdown(r.from), fileNameMarkdown(r.to)));
    return RERUN.done(renames, rerun.guessed, plan.steps.length - failed.length, failed, rerun.notes);
  }
  return TURN.sandboxRestored(plan.steps.length - failed.length, files, failed, skipped);
}

const short = (code: string) => {
  const line = code.trim().split('\n')[0] ?? '';
  return (line.length > 60 ? `${line.slice(0, 59)}…` : line).replace(/`/g, "'");
};
