import type { Db } from './db.js';

export interface TurnUsage {
  turnId: string;
  threadKey: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  codeRuns: number;
}

export function createUsageStore(db: Db) {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO usage (turn_id, thread_key, model, input_tokens, output_tokens, cache_read_input_tokens,
       cache_creation_input_tokens, code_runs, created_at)
     VALUES (@turnId, @threadKey, @model, @inputTokens, @outputTokens, @cacheReadInputTokens,
       @cacheCreationInputTokens, @codeRuns, @now)`,
  );
  const totals = db.prepare<
    [string],
    { turns: number; input: number; output: number; runs: number; turnsWithCode: number }
  >(
    `SELECT COUNT(*) AS turns, COALESCE(SUM(input_tokens), 0) AS input, COALESCE(SUM(output_tokens), 0) AS output,
       COALESCE(SUM(code_runs), 0) AS runs, COALESCE(SUM(code_runs > 0), 0) AS turnsWithCode FROM usage WHERE thread_key = ?`,
  );
  return {
    record(u: TurnUsage): void {
      insert.run({ ...u, now: Date.now() });
    },
    threadTotals(threadKey: string) {
      return totals.get(threadKey)!;
    },
  };
}
export type UsageStore = ReturnType<typeof createUsageStore>;
