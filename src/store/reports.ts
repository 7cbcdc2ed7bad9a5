import type { ChannelUsage, Failure, Reports } from '../ports.js';
import type { Db } from './db.js';

/**
 * Read-only reports for the App Home (admins). Rows are scoped to one workspace by the `team:` prefix of the
 * thread key (`team:channel:thread_ts`), as a range so the thread_key index is used: every key starting with
 * `T123:` sorts strictly between `T123:` and `T123;` (';' follows ':').
 */
export function createReports(db: Db): Reports {
  const usage = db.prepare<
    { lo: string; hi: string; skip: number; limit: number },
    {
      channel_id: string;
      turns: number;
      input: number;
      output: number;
      cache_read: number;
      cache_creation: number;
      runs: number;
      last_at: number;
    }
  >(
    `WITH scoped AS (
       SELECT substr(thread_key, @skip + 1) AS rest, input_tokens, output_tokens, cache_read_input_tokens,
         cache_creation_input_tokens, code_runs, created_at
       FROM usage WHERE thread_key > @lo AND thread_key < @hi
     )
     SELECT substr(rest, 1, instr(rest, ':') - 1) AS channel_id, COUNT(*) AS turns,
       SUM(input_tokens) AS input, SUM(output_tokens) AS output,
       SUM(cache_read_input_tokens) AS cache_read, SUM(cache_creation_input_tokens) AS cache_creation,
       SUM(code_runs) AS runs, MAX(created_at) AS last_at
     FROM scoped WHERE instr(rest, ':') > 1
     GROUP BY channel_id
     ORDER BY input + output DESC, channel_id
     LIMIT @limit`,
  );
  const failures = db.prepare<
    { lo: string; hi: string; limit: number },
    {
      channel_id: string;
      message_ts: string;
      thread_key: string;
      last_error: string | null;
      updated_at: number;
    }
  >(
    `SELECT channel_id, message_ts, thread_key, last_error, updated_at FROM inbox
     WHERE status = 'failed' AND thread_key > @lo AND thread_key < @hi
     ORDER BY updated_at DESC, message_ts DESC
     LIMIT @limit`,
  );
  const range = (teamId: string) => ({ lo: `${teamId}:`, hi: `${teamId};` });

  return {
    /** Turns and tokens per channel of one workspace, biggest token users first. */
    usageByChannel(teamId: string, limit = 50): ChannelUsage[] {
      return usage.all({ ...range(teamId), skip: teamId.length + 1, limit }).map((r) => ({
        channelId: r.channel_id,
        turns: r.turns,
        inputTokens: r.input,
        outputTokens: r.output,
        cacheReadInputTokens: r.cache_read,
        cacheCreationInputTokens: r.cache_creation,
        codeRuns: r.runs,
        lastTurnAt: r.last_at,
      }));
    },
    /** The latest failed messages of one workspace. */
    recentFailures(teamId: string, limit = 10): Failure[] {
      return failures.all({ ...range(teamId), limit }).map((r) => ({
        channelId: r.channel_id,
        threadTs: r.thread_key.slice(r.thread_key.lastIndexOf(':') + 1),
        messageTs: r.message_ts,
        at: r.updated_at,
        lastError: r.last_error,
      }));
    },
  };
}
