import type { TokenUsage } from '../pricing.js';
import type { Db } from './db.js';

export interface TurnUsage extends TokenUsage {
  turnId: string;
  threadKey: string;
  model: string;
  codeRuns: number;
  /** Billed container minutes (see pricing.ts); none if left out. */
  containerMinutes?: number;
}

export function createUsageStore(db: Db) {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO usage (turn_id, thread_key, model, input_tokens, output_tokens, cache_read_input_tokens,
       cache_creation_input_tokens, cache_creation_1h_input_tokens, code_runs, container_minutes, created_at)
     VALUES (@turnId, @threadKey, @model, @inputTokens, @outputTokens, @cacheReadInputTokens,
       @cacheCreationInputTokens, @cacheCreation1hInputTokens, @codeRuns, @containerMinutes, @now)`,
  );
  const totals = db.prepare<[string], { turns: number; runs: number; containerMinutes: number } & TokenUsage>(
    `SELECT COUNT(*) AS turns, COALESCE(SUM(input_tokens), 0) AS inputTokens,
       COALESCE(SUM(output_tokens), 0) AS outputTokens, COALESCE(SUM(cache_read_input_tokens), 0) AS cacheReadInputTokens,
       COALESCE(SUM(cache_creation_input_tokens), 0) AS cacheCreationInputTokens,
       COALESCE(SUM(cache_creation_1h_input_tokens), 0) AS cacheCreation1hInputTokens,
       COALESCE(SUM(code_runs), 0) AS runs, COALESCE(SUM(container_minutes), 0) AS containerMinutes FROM usage WHERE thread_key = ?`,
  );
  return {
    record(u: TurnUsage): void {
      insert.run({ ...u, containerMinutes: u.containerMinutes ?? 0, now: Date.now() });
    },
    threadTotals(threadKey: string): {
      turns: number;
      runs: number;
      containerMinutes: number;
      tokens: TokenUsage;
    } {
      const { turns, runs, containerMinutes, ...tokens } = totals.get(threadKey)!;
      return { turns, runs, containerMinutes, tokens };
    },
  };
}
export type UsageStore = ReturnType<typeof createUsageStore>;
