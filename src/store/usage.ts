import type { TokenUsage } from '../pricing.js';
import type { Sql } from './sql.js';

export interface TurnUsage extends TokenUsage {
  turnId: string;
  threadKey: string;
  model: string;
  codeRuns: number;
}

export function createUsageStore(sql: Sql) {
  return {
    async record(u: TurnUsage): Promise<void> {
      await sql.run(
        `INSERT INTO usage (turn_id, thread_key, model, input_tokens, output_tokens, cache_read_input_tokens,
           cache_creation_input_tokens, cache_creation_1h_input_tokens, code_runs, created_at)
         VALUES (@turnId, @threadKey, @model, @inputTokens, @outputTokens, @cacheReadInputTokens,
           @cacheCreationInputTokens, @cacheCreation1hInputTokens, @codeRuns, @now)
         ON CONFLICT (turn_id) DO UPDATE SET thread_key = excluded.thread_key, model = excluded.model,
           input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
           cache_read_input_tokens = excluded.cache_read_input_tokens,
           cache_creation_input_tokens = excluded.cache_creation_input_tokens,
           cache_creation_1h_input_tokens = excluded.cache_creation_1h_input_tokens,
           code_runs = excluded.code_runs, created_at = excluded.created_at`,
        { ...u, now: Date.now() },
      );
    },
    async threadTotals(threadKey: string): Promise<{
      turns: number;
      runs: number;
      turnsWithCode: number;
      tokens: TokenUsage;
    }> {
      // Quoted aliases: PostgreSQL folds unquoted names to lower case.
      const row = await sql.get<{ turns: number; runs: number; turnsWithCode: number } & TokenUsage>(
        `SELECT COUNT(*) AS turns, COALESCE(SUM(input_tokens), 0) AS "inputTokens",
           COALESCE(SUM(output_tokens), 0) AS "outputTokens",
           COALESCE(SUM(cache_read_input_tokens), 0) AS "cacheReadInputTokens",
           COALESCE(SUM(cache_creation_input_tokens), 0) AS "cacheCreationInputTokens",
           COALESCE(SUM(cache_creation_1h_input_tokens), 0) AS "cacheCreation1hInputTokens",
           COALESCE(SUM(code_runs), 0) AS runs,
           COALESCE(SUM(CASE WHEN code_runs > 0 THEN 1 ELSE 0 END), 0) AS "turnsWithCode"
         FROM usage WHERE thread_key = ?`,
        [threadKey],
      );
      const { turns, runs, turnsWithCode, ...tokens } = row!;
      return { turns, runs, turnsWithCode, tokens };
    },
  };
}
export type UsageStore = ReturnType<typeof createUsageStore>;
