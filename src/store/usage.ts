import type { TokenUsage } from '../pricing.js';
import type { Sql } from './sql.js';

export interface TurnUsage extends TokenUsage {
  turnId: string;
  threadKey: string;
  model: string;
  codeRuns: number;
  /** Billed container minutes (see pricing.ts); none if left out. */
  containerMinutes?: number;
}

export function createUsageStore(sql: Sql) {
  return {
    async record(u: TurnUsage): Promise<void> {
      await sql.run(
        `INSERT INTO usage (turn_id, thread_key, model, input_tokens, output_tokens, cache_read_input_tokens,
           cache_creation_input_tokens, cache_creation_1h_input_tokens, code_runs, container_minutes, created_at)
         VALUES (@turnId, @threadKey, @model, @inputTokens, @outputTokens, @cacheReadInputTokens,
           @cacheCreationInputTokens, @cacheCreation1hInputTokens, @codeRuns, @containerMinutes, @now)
         ON CONFLICT (turn_id) DO UPDATE SET thread_key = excluded.thread_key, model = excluded.model,
           input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
           cache_read_input_tokens = excluded.cache_read_input_tokens,
           cache_creation_input_tokens = excluded.cache_creation_input_tokens,
           cache_creation_1h_input_tokens = excluded.cache_creation_1h_input_tokens,
           code_runs = excluded.code_runs, container_minutes = excluded.container_minutes,
           created_at = excluded.created_at`,
        { ...u, containerMinutes: u.containerMinutes ?? 0, now: Date.now() },
      );
    },
    async threadTotals(threadKey: string): Promise<{
      turns: number;
      runs: number;
      containerMinutes: number;
      tokens: TokenUsage;
    }> {
      // Quoted aliases: PostgreSQL folds unquoted names to lower case.
      const row = await sql.get<{ turns: number; runs: number; containerMinutes: number } & TokenUsage>(
        `SELECT COUNT(*) AS turns, COALESCE(SUM(input_tokens), 0) AS "inputTokens",
           COALESCE(SUM(output_tokens), 0) AS "outputTokens",
           COALESCE(SUM(cache_read_input_tokens), 0) AS "cacheReadInputTokens",
           COALESCE(SUM(cache_creation_input_tokens), 0) AS "cacheCreationInputTokens",
           COALESCE(SUM(cache_creation_1h_input_tokens), 0) AS "cacheCreation1hInputTokens",
           COALESCE(SUM(code_runs), 0) AS runs,
           COALESCE(SUM(container_minutes), 0) AS "containerMinutes"
         FROM usage WHERE thread_key = ?`,
        [threadKey],
      );
      const { turns, runs, containerMinutes, ...tokens } = row!;
      return { turns, runs, containerMinutes, tokens };
    },
  };
}
export type UsageStore = ReturnType<typeof createUsageStore>;
