import type { AuditEntry, AuditOutcome } from '../ports.js';
import { noTokens } from '../pricing.js';
import type { Db } from './db.js';

interface Row {
  id: number;
  at: number;
  team_id: string;
  channel_id: string;
  thread_ts: string;
  message_ts: string;
  user_id: string;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  container_minutes: number;
  cost_usd: number;
  code_runs: number;
  failed_runs: number;
  files_json: string;
  outcome: AuditOutcome;
  reason: string | null;
  attempt: number;
}

/** Which rows a spend total covers: a workspace, optionally one channel or one user, from `since` (ms). */
export interface SpendScope {
  teamId: string;
  channelId?: string;
  userId?: string;
  since: number;
}

/**
 * The audit log: one row per attempt at a question (numbered: a Retry or a re-run after a restart is attempt 2, 3…)
 * and one per refusal, with numbers and ids only. Each attempt's spend counts on the day it was spent; counts of
 * questions count messages, not attempts. Budgets and `npm run report` read it; forgetting a thread keeps its rows
 * but drops the file names.
 */
export function createAuditLog(db: Db) {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO audit (at, team_id, channel_id, thread_ts, message_ts, user_id, model, input_tokens,
       output_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, container_minutes, cost_usd,
       code_runs, failed_runs, files_json, outcome, reason, attempt)
     VALUES (@at, @teamId, @channelId, @threadTs, @messageTs, @userId, @model, @input, @output, @cacheRead,
       @write5m, @write1h, @containerMinutes, @costUsd, @codeRuns, @failedRuns, @files, @outcome, @reason,
       CASE WHEN @outcome = 'refused' THEN 1 ELSE 1 + (
         SELECT COUNT(*) FROM audit WHERE channel_id = @channelId AND message_ts = @messageTs AND outcome != 'refused'
       ) END)`,
  );
  const containerMinutes = db.prepare<{ since: number }, { minutes: number }>(
    'SELECT COALESCE(SUM(container_minutes), 0) AS minutes FROM audit WHERE at >= @since',
  );
  const threadCost = db.prepare<{ teamId: string; channelId: string; threadTs: string }, { usd: number }>(
    `SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM audit
     WHERE team_id = @teamId AND channel_id = @channelId AND thread_ts = @threadTs`,
  );
  const spend = db.prepare<
    { teamId: string; channelId: string | null; userId: string | null; since: number },
    { usd: number }
  >(
    `SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM audit
     WHERE team_id = @teamId AND at >= @since
       AND (@channelId IS NULL OR channel_id = @channelId) AND (@userId IS NULL OR user_id = @userId)`,
  );
  const between = db.prepare<{ since: number; until: number }, Row>(
    'SELECT * FROM audit WHERE at >= @since AND at < @until ORDER BY at, id',
  );
  const scrub = db.prepare<{ teamId: string; channelId: string; threadTs: string }>(
    `UPDATE audit SET files_json = (
       SELECT COALESCE(json_group_array(json_object('sizeBytes', json_extract(f.value, '$.sizeBytes'))), '[]')
       FROM json_each(audit.files_json) AS f)
     WHERE team_id = @teamId AND channel_id = @channelId AND thread_ts = @threadTs AND files_json != '[]'`,
  );

  const topBy = (column: 'user_id' | 'channel_id') =>
    db.prepare<
      { teamId: string; since: number; limit: number },
      { id: string; usd: number; questions: number }
    >(
      `SELECT ${column} AS id, SUM(cost_usd) AS usd,
         COUNT(DISTINCT CASE WHEN outcome NOT IN ('refused', 'over_budget') THEN channel_id || ' ' || message_ts END)
           AS questions
       FROM audit WHERE team_id = @teamId AND at >= @since
       GROUP BY ${column} HAVING questions > 0 ORDER BY usd DESC, id LIMIT @limit`,
    );
  const top = { user: topBy('user_id'), channel: topBy('channel_id') };
  const turnedAway = db.prepare<{ teamId: string; limit: number }, Row>(
    `SELECT * FROM audit WHERE team_id = @teamId AND outcome IN ('refused', 'over_budget', 'failed')
     ORDER BY at DESC, id DESC LIMIT @limit`,
  );
  const questions = db.prepare<{ teamId: string; userId: string; since: number }, { n: number }>(
    `SELECT COUNT(DISTINCT channel_id || ' ' || message_ts) AS n FROM audit
     WHERE team_id = @teamId AND user_id = @userId AND at >= @since AND outcome NOT IN ('refused', 'over_budget')`,
  );

  return {
    /** Biggest spenders (users or channels) of a workspace since a moment, with their question counts. */
    top(by: 'user' | 'channel', teamId: string, since: number, limit = 10) {
      return top[by]
        .all({ teamId, since, limit })
        .map((r) => ({ id: r.id, costUsd: r.usd, questions: r.questions }));
    },
    /** The latest refused, over-budget and failed rows of a workspace, newest first. */
    recentTurnedAway(teamId: string, limit = 10): AuditEntry[] {
      return turnedAway.all({ teamId, limit }).map(toEntry);
    },
    /** Questions (not refusals; a question tried again counts once) one person asked since a moment. */
    questionsSince(teamId: string, userId: string, since: number): number {
      return questions.get({ teamId, userId, since })!.n;
    },
    /**
     * Writes one row, numbered as the message's next attempt; false when it is a refusal already recorded for that
     * message (a Slack retry or twin).
     */
    record(e: AuditEntry): boolean {
      const u = e.usage ?? noTokens();
      const write1h = Math.min(u.cacheCreation1hInputTokens, u.cacheCreationInputTokens);
      return (
        insert.run({
          at: e.at,
          teamId: e.teamId,
          channelId: e.channelId,
          threadTs: e.threadTs,
          messageTs: e.messageTs,
          userId: e.userId,
          model: e.model ?? null,
          input: u.inputTokens,
          output: u.outputTokens,
          cacheRead: u.cacheReadInputTokens,
          write5m: u.cacheCreationInputTokens - write1h,
          write1h,
          containerMinutes: e.containerMinutes ?? 0,
          costUsd: e.costUsd,
          codeRuns: e.codeRuns ?? 0,
          failedRuns: e.failedRuns ?? 0,
          files: JSON.stringify(e.files ?? []),
          outcome: e.outcome,
          reason: e.reason ?? null,
        }).changes === 1
      );
    },
    /** Estimated USD spent in a scope since a moment. */
    spent(scope: SpendScope): number {
      return spend.get({
        teamId: scope.teamId,
        channelId: scope.channelId ?? null,
        userId: scope.userId ?? null,
        since: scope.since,
      })!.usd;
    },
    /**
     * Container minutes recorded since a moment, in every workspace: the bot's share of its Anthropic organisation's
     * monthly free container hours.
     */
    async containerMinutesSince(since: number): Promise<number> {
      return containerMinutes.get({ since })!.minutes;
    },
    /** Estimated USD one thread has cost so far, every attempt included. */
    async threadCost(thread: { teamId: string; channelId: string; threadTs: string }): Promise<number> {
      return threadCost.get({
        teamId: thread.teamId,
        channelId: thread.channelId,
        threadTs: thread.threadTs,
      })!.usd;
    },
    /** Every row with since ≤ at < until (ms), oldest first. */
    between(since: number, until: number): AuditEntry[] {
      return between.all({ since, until }).map(toEntry);
    },
    /** Forgetting a thread: its rows keep numbers and ids, its file names go. */
    dropFileNames(thread: { teamId: string; channelId: string; threadTs: string }): void {
      scrub.run(thread);
    },
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;

function toEntry(r: Row): AuditEntry {
  const files = JSON.parse(r.files_json) as { name?: string; sizeBytes: number }[];
  return {
    at: r.at,
    teamId: r.team_id,
    channelId: r.channel_id,
    threadTs: r.thread_ts,
    messageTs: r.message_ts,
    userId: r.user_id,
    ...(r.model ? { model: r.model } : {}),
    usage: {
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      cacheReadInputTokens: r.cache_read_tokens,
      cacheCreationInputTokens: r.cache_write_5m_tokens + r.cache_write_1h_tokens,
      cacheCreation1hInputTokens: r.cache_write_1h_tokens,
    },
    containerMinutes: r.container_minutes,
    costUsd: r.cost_usd,
    codeRuns: r.code_runs,
    failedRuns: r.failed_runs,
    files: files.map((f) => ({ name: f.name ?? '', sizeBytes: f.sizeBytes })),
    outcome: r.outcome,
    reason: r.reason ?? undefined,
    attempt: r.attempt,
  };
}
