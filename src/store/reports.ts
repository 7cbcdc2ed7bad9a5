import type { ChannelUsage, Failure, Reports } from '../ports.js';
import type { Sql } from './sql.js';

/**
 * Read-only reports for the App Home (admins). Rows are scoped to one workspace by the `team:` prefix of the
 * thread key (`team:channel:thread_ts`), as a range so the thread_key index is used: every key starting with
 * `T123:` sorts strictly between `T123:` and `T123;` (';' follows ':').
 */
export function createReports(sql: Sql): Reports {
  const range = (teamId: string) => ({ lo: `${teamId}:`, hi: `${teamId};` });

  return {
    /** Turns and tokens per channel of one workspace, biggest token users first. */
    async usageByChannel(teamId: string, limit = 50): Promise<ChannelUsage[]> {
      // Summed per thread in SQL, then per channel (the key's middle part) here: splitting strings is not
      // spelled the same in SQLite and PostgreSQL.
      const rows = await sql.all<{
        thread_key: string;
        turns: number;
        input: number;
        output: number;
        cache_read: number;
        cache_creation: number;
        runs: number;
        last_at: number;
      }>(
        `SELECT thread_key, COUNT(*) AS turns, SUM(input_tokens) AS input, SUM(output_tokens) AS output,
           SUM(cache_read_input_tokens) AS cache_read, SUM(cache_creation_input_tokens) AS cache_creation,
           SUM(code_runs) AS runs, MAX(created_at) AS last_at
         FROM usage WHERE thread_key > @lo AND thread_key < @hi
         GROUP BY thread_key`,
        range(teamId),
      );
      const byChannel = new Map<string, ChannelUsage>();
      for (const r of rows) {
        const channelId = r.thread_key.split(':')[1] ?? '';
        if (!channelId) continue;
        const c = byChannel.get(channelId);
        if (!c) {
          byChannel.set(channelId, {
            channelId,
            turns: r.turns,
            inputTokens: r.input,
            outputTokens: r.output,
            cacheReadInputTokens: r.cache_read,
            cacheCreationInputTokens: r.cache_creation,
            codeRuns: r.runs,
            lastTurnAt: r.last_at,
          });
          continue;
        }
        c.turns += r.turns;
        c.inputTokens += r.input;
        c.outputTokens += r.output;
        c.cacheReadInputTokens += r.cache_read;
        c.cacheCreationInputTokens += r.cache_creation;
        c.codeRuns += r.runs;
        c.lastTurnAt = Math.max(c.lastTurnAt, r.last_at);
      }
      return [...byChannel.values()]
        .sort(
          (a, b) =>
            b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) ||
            (a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0),
        )
        .slice(0, limit);
    },
    /** The latest failed messages of one workspace. */
    async recentFailures(teamId: string, limit = 10): Promise<Failure[]> {
      const rows = await sql.all<{
        channel_id: string;
        message_ts: string;
        thread_key: string;
        last_error: string | null;
        updated_at: number;
      }>(
        `SELECT channel_id, message_ts, thread_key, last_error, updated_at FROM inbox
         WHERE status = 'failed' AND thread_key > @lo AND thread_key < @hi
         ORDER BY updated_at DESC, message_ts DESC
         LIMIT @limit`,
        { ...range(teamId), limit },
      );
      return rows.map((r) => ({
        channelId: r.channel_id,
        threadTs: r.thread_key.slice(r.thread_key.lastIndexOf(':') + 1),
        messageTs: r.message_ts,
        at: r.updated_at,
        lastError: r.last_error,
      }));
    },
  };
}
