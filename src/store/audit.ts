import type { AuditEntry, AuditOutcome } from '../ports.js';
import { noTokens } from '../pricing.js';
import type { Sql } from './sql.js';

/** Distinct questions, as opposed to refusals: a message tried again (Retry, a restart) counts once. */
const QUESTIONS =
  "COUNT(DISTINCT CASE WHEN outcome NOT IN ('refused', 'over_budget') THEN channel_id || ' ' || message_ts END)";

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
export function createAuditLog(sql: Sql) {
  const topBy = (column: 'user_id' | 'channel_id') =>
    `SELECT ${column} AS id, SUM(cost_usd) AS usd, ${QUESTIONS} AS questions
     FROM audit WHERE team_id = @teamId AND at >= @since
     GROUP BY ${column} HAVING ${QUESTIONS} > 0 ORDER BY usd DESC, id LIMIT @limit`;
  const top = { user: topBy('user_id'), channel: topBy('channel_id') };

  return {
    /** Biggest spenders (users or channels) of a workspace since a moment, with their question counts. */
    async top(by: 'user' | 'channel', teamId: string, since: number, limit = 10) {
      const rows = await sql.all<{ id: string; usd: number; questions: number }>(top[by], {
        teamId,
        since,
        limit,
      });
      return rows.map((r) => ({ id: r.id, costUsd: r.usd, questions: r.questions }));
    },
    /** The latest refused, over-budget and failed rows of a workspace, newest first. */
    async recentTurnedAway(teamId: string, limit = 10): Promise<AuditEntry[]> {
      const rows = await sql.all<Row>(
        `SELECT * FROM audit WHERE team_id = @teamId AND outcome IN ('refused', 'over_budget', 'failed')
         ORDER BY at DESC, id DESC LIMIT @limit`,
        { teamId, limit },
      );
      return rows.map(toEntry);
    },
    /** Questions (not refusals; a question tried again counts once) one person asked since a moment. */
    async questionsSince(teamId: string, userId: string, since: number): Promise<number> {
      const row = await sql.get<{ n: number }>(
        `SELECT ${QUESTIONS} AS n FROM audit WHERE team_id = @teamId AND user_id = @userId AND at >= @since`,
        { teamId, userId, since },
      );
      return row?.n ?? 0;
    },
    /**
     * Writes one row, numbered as the message's next attempt; false when it is a refusal already recorded for that
     * message (a Slack retry or twin).
     */
    async record(e: AuditEntry): Promise<boolean> {
      const u = e.usage ?? noTokens();
      const write1h = Math.min(u.cacheCreation1hInputTokens, u.cacheCreationInputTokens);
      const changes = await sql.run(
        `INSERT INTO audit (at, team_id, channel_id, thread_ts, message_ts, user_id, model, input_tokens,
           output_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, container_minutes, cost_usd,
           code_runs, failed_runs, files_json, outcome, reason, attempt)
         VALUES (@at, @teamId, @channelId, @threadTs, @messageTs, @userId, @model, @input, @output, @cacheRead,
           @write5m, @write1h, @containerMinutes, @costUsd, @codeRuns, @failedRuns, @files, @outcome, @reason,
           CASE WHEN @outcome = 'refused' THEN 1 ELSE 1 + (
             SELECT COUNT(*) FROM audit
             WHERE channel_id = @channelId AND message_ts = @messageTs AND outcome != 'refused'
           ) END)
         ON CONFLICT DO NOTHING`,
        {
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
        },
      );
      return changes === 1;
    },
    /** Estimated USD spent in a scope since a moment. */
    async spent(scope: SpendScope): Promise<number> {
      // Typed NULL checks: PostgreSQL cannot infer the type of a parameter that is only compared with NULL.
      const row = await sql.get<{ usd: number }>(
        `SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM audit
         WHERE team_id = @teamId AND at >= @since
           AND (CAST(@channelId AS TEXT) IS NULL OR channel_id = @channelId)
           AND (CAST(@userId AS TEXT) IS NULL OR user_id = @userId)`,
        {
          teamId: scope.teamId,
          channelId: scope.channelId ?? null,
          userId: scope.userId ?? null,
          since: scope.since,
        },
      );
      return row?.usd ?? 0;
    },
    /**
     * Container minutes recorded since a moment, in every workspace: the bot's share of its Anthropic organisation's
     * monthly free container hours.
     */
    async containerMinutesSince(since: number): Promise<number> {
      const row = await sql.get<{ minutes: number }>(
        'SELECT COALESCE(SUM(container_minutes), 0) AS minutes FROM audit WHERE at >= @since',
        { since },
      );
      return row?.minutes ?? 0;
    },
    /** Estimated USD one thread has cost so far, every attempt included. */
    async threadCost(thread: { teamId: string; channelId: string; threadTs: string }): Promise<number> {
      const row = await sql.get<{ usd: number }>(
        `SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM audit
         WHERE team_id = @teamId AND channel_id = @channelId AND thread_ts = @threadTs`,
        { teamId: thread.teamId, channelId: thread.channelId, threadTs: thread.threadTs },
      );
      return row?.usd ?? 0;
    },
    /** Every row with since ≤ at < until (ms), oldest first. */
    async between(since: number, until: number): Promise<AuditEntry[]> {
      const rows = await sql.all<Row>(
        'SELECT * FROM audit WHERE at >= @since AND at < @until ORDER BY at, id',
        {
          since,
          until,
        },
      );
      return rows.map(toEntry);
    },
    /** Forgetting a thread: its rows keep numbers and ids, its file names go. */
    async dropFileNames(thread: { teamId: string; channelId: string; threadTs: string }): Promise<void> {
      const rows = await sql.all<{ id: number; files_json: string }>(
        `SELECT id, files_json FROM audit
         WHERE team_id = @teamId AND channel_id = @channelId AND thread_ts = @threadTs AND files_json != '[]'`,
        thread,
      );
      for (const r of rows) {
        const sizes = (JSON.parse(r.files_json) as { sizeBytes: number }[]).map((f) => ({
          sizeBytes: f.sizeBytes,
        }));
        await sql.run('UPDATE audit SET files_json = ? WHERE id = ?', [JSON.stringify(sizes), r.id]);
      }
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
