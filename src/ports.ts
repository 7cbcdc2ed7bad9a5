/**
 * The ports of the use case: what `runTurn`, intake and the commands need from the outside world. Adapters
 * (slack/, claude/, store/, the file gateway) implement or consume these; none of them imports src/turn.ts.
 */

import type { CodeRun, SlackFileRef, StepEvent, ThreadFile, ThreadMessage, ThreadRef } from './domain.js';
import type { Meter } from './pricing.js';

/** A file the code produced, fetched from the Files API and ready to post. */
export interface OutputFile {
  fileId: string;
  fileName: string;
  mimeType: string;
  bytes: Buffer;
}

export interface Answer {
  /** Identifies the turn, e.g. for "Show code". */
  turnId: string;
  /** Claude's answer, Markdown. */
  markdown: string;
  runs: CodeRun[];
  /** One-line notes shown with the answer: sandbox reset, truncation, files that could not be used. */
  notices: string[];
  outputs: OutputFile[];
  /** Users the answer may mention (the asker); everyone else is neutralised. */
  allowedUserIds: string[];
  /** One line of tokens and estimated cost, or absent. */
  receipt?: string;
  /** Offer a Retry button (every code run failed). */
  retryable: boolean;
  /** Up to three short questions Claude proposed to ask next, shown as buttons (or suggested prompts). */
  followUps?: string[];
  /** How much of `markdown` the thread already shows, streamed while Claude wrote it (default 'none'). */
  streamed?: StreamedAnswer;
}

/** How much of an answer's text a streamed reply shows: all of it, part (streaming broke off) or none. */
export type StreamedAnswer = 'all' | 'part' | 'none';

/** The live view of one turn in the thread. */
export interface Progress {
  /** The progress message, once posted. */
  ts: string | undefined;
  step(event: StepEvent): void;
  /** Claude's text as it is written: `delta` was added to the text block that now reads `blockSoFar`. */
  text(delta: string, blockSoFar: string): void;
  /**
   * Ends the view. Given the answer's Markdown, the part of it not streamed yet is streamed first; resolves to how
   * much of the answer the thread now shows.
   */
  finish(outcome: 'answered' | 'failed' | 'stopped', answerMarkdown?: string): Promise<StreamedAnswer>;
}

/** Slack output, as the turn needs it. */
export interface Replier {
  /** A visible "waiting" sign on a message that cannot start at once. */
  queued(msg: ThreadMessage): Promise<void>;
  /** A visible "working" sign on the message, within a second of it arriving. */
  working(msg: ThreadMessage): Promise<void>;
  done(msg: ThreadMessage, outcome: 'answered' | 'failed'): Promise<void>;
  /** Starts the live progress view of a turn. */
  progress(msg: ThreadMessage, existingTs?: string): Promise<Progress>;
  notice(thread: ThreadRef, markdown: string): Promise<void>;
  /** A failure of this message, with a Retry button, and the failed sign on the message. */
  failure(msg: ThreadMessage, markdown: string): Promise<void>;
  answer(msg: ThreadMessage, answer: Answer): Promise<void>;
  /** Posts one file into the thread with a comment; false when Slack refused it (the thread is told why). */
  upload(thread: ThreadRef, file: { fileName: string; bytes: Buffer }, comment: string): Promise<boolean>;
}

/** Moving files between Slack, the Files API and back. */
export interface FileGateway {
  /**
   * Downloads, profiles and uploads one file. `signal` (the turn's timeout, Stop, shutdown) cancels all three;
   * then it rejects with the signal's reason. Any other failure resolves as `ok: false`.
   */
  ingest(
    file: SlackFileRef,
    thread: ThreadRef,
    signal?: AbortSignal,
  ): Promise<
    | {
        ok: true;
        file: Omit<ThreadFile, 'containerId'> /** rows × columns, column types, … */;
        receipt: string;
      }
    | { ok: false; name: string; reason: string }
  >;
  /** Files people shared earlier in the thread (e.g. on its root), for a thread the bot has just joined. */
  earlierFiles(thread: ThreadRef, beforeTs: string): Promise<SlackFileRef[]>;
  fetchOutput(fileId: string): Promise<OutputFile>;
  /** Uploads a small text file the bot wrote (the sandbox restore script) to the Files API; returns its id. */
  uploadText(fileName: string, text: string, signal?: AbortSignal): Promise<string>;
  deleteFile(fileId: string): Promise<void>;
  /** Removes any local copy of the thread's files still on disk (left by a crash mid-ingestion). */
  removeLocalCopies(threadKey: string): Promise<void>;
}

/** What went wrong with the database itself, as opposed to a bug in a query (store/faults.ts classifies). */
export type DatabaseFault = 'full' | 'read-only' | 'locked' | 'io' | 'unreachable';

/** How a request to Claude fails, as the user is told (claude/errors.ts maps the SDK's errors onto these). */
export type ClaudeFailure =
  | 'overloaded'
  | 'rate_limited'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'bad_request'
  | 'too_large'
  | 'server';

/**
 * Why a message ended failed, one code per failure the user is shown; stored as its inbox row's last_error and
 * listed to admins on the App Home.
 */
export type FailureCode =
  /** "⚠️ I couldn't answer: …" */
  | ClaudeFailure
  /** "Claude declined to answer this question." */
  | 'refusal'
  /** "💾 I couldn't save this answer / finish this: …" */
  | `database ${DatabaseFault}`
  /** "⏳ I'm busy with … other questions right now." */
  | 'busy'
  /** "♻️ I was restarted while posting the answer …" or "⚠️ I was interrupted … times …" */
  | 'interrupted'
  /** "🛑 Stopped." */
  | 'stopped'
  /** "⏱️ This took longer than the … limit, so I stopped it." */
  | 'timeout'
  /** "💰 This would go over the … budget …" (checked before the question started) */
  | 'over_budget';

/**
 * What a question spent, filled in by the turn as it goes (tokens and container use by the analyst, request by
 * request), so intake can write it to the audit log however the turn ended: answered, failed, stopped or crashed.
 */
export interface TurnSpend extends Meter {
  /** Unset while no request to Claude was made. */
  model?: string;
  /** Container minutes the organisation had used this month before this question: the free hours' share. */
  earlierContainerMinutes?: number;
  codeRuns: number;
  failedRuns: number;
  /** Files the question attached: names and sizes, never contents. */
  files: { name: string; sizeBytes: number }[];
}

/**
 * How one message ended. A turn or command returns `answered` or `failed` (it has told the thread why); intake
 * turns what was thrown into `stopped` (the Stop button), `timed_out` (the turn's limit) or `crashed` (anything
 * else, e.g. a database fault or a bug), by which signal fired: a crash is never reported as stopped.
 */
export type TurnOutcome =
  | { status: 'answered' }
  | { status: 'failed'; code: FailureCode }
  | { status: 'stopped' }
  | { status: 'timed_out' }
  | { status: 'crashed'; error: unknown };

/** Usage of one channel (DMs are channels too: their ids start with D). */
export interface ChannelUsage {
  channelId: string;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  codeRuns: number;
  /** ms; the latest turn. */
  lastTurnAt: number;
}

/** A message whose turn ended in failure, newest first. */
export interface Failure {
  channelId: string;
  threadTs: string;
  messageTs: string;
  /** ms; when it was marked failed. */
  at: number;
  lastError: string | null;
}

/** Read-only reports for the App Home (admins), scoped to one workspace. */
export interface Reports {
  /** Turns and tokens per channel of one workspace, biggest token users first. */
  usageByChannel(teamId: string, limit?: number): Promise<ChannelUsage[]>;
  /** The latest failed messages of one workspace. */
  recentFailures(teamId: string, limit?: number): Promise<Failure[]>;
}

/** The code runs of one answer, for "Show code": read from that thread's history only; undefined when not there. */
export type TurnRuns = (threadKey: string, turnId: string) => Promise<CodeRun[] | undefined>;

/** How a question ended, as the audit log records it. */
export type AuditOutcome = 'answered' | 'failed' | 'refused' | 'over_budget' | 'stopped';

/** One row of the audit log: numbers and ids only, never message text. */
export interface AuditEntry
  extends Partial<Pick<TurnSpend, 'model' | 'usage' | 'codeRuns' | 'failedRuns' | 'files'>> {
  /** Billed container minutes (see pricing.ts). */
  containerMinutes?: number;
  /** ms */
  at: number;
  teamId: string;
  channelId: string;
  threadTs: string;
  messageTs: string;
  userId: string;
  costUsd: number;
  outcome: AuditOutcome;
  /** Why it was refused, which limit it hit, or the failure code. */
  reason?: string | undefined;
  /** Which attempt at the question this row is (a Retry or a re-run after a restart adds one); set by the store. */
  attempt?: number;
}

/** Spend for admins on the Home tab: this month (UTC) against each budget, who and where, what was turned away. */
export interface SpendOverview {
  /** Each configured limit with the spend it is compared with (for per-user/per-channel limits: the highest). */
  budgets: { label: string; spentUsd: number; capUsd: number | undefined }[];
  topUsers: { id: string; costUsd: number; questions: number }[];
  topChannels: { id: string; costUsd: number; questions: number }[];
  /** The latest refused, over-budget and failed questions, newest first. */
  recent: {
    channelId: string;
    userId: string;
    at: number;
    outcome: AuditOutcome;
    reason: string | undefined;
  }[];
}

/** One person's spend today (UTC) against their daily limit, for the Home tab. */
export interface OwnUsage {
  questionsToday: number;
  spentTodayUsd: number;
  /** undefined: no daily limit applies (none set, or an admin). */
  dailyCapUsd: number | undefined;
}
