import type Anthropic from '@anthropic-ai/sdk';
import { approxTokens, type HistoryEntry } from '../domain.js';
import type { Sql } from './sql.js';

/** A thread's conversation with Claude, assistant content stored verbatim (server-tool blocks included). */
export function createHistoryStore(sql: Sql) {
  return {
    async list(threadKey: string): Promise<HistoryEntry[]> {
      const rows = await sql.all<{
        seq: number;
        role: string;
        content_json: string;
        approx_tokens: number;
        turn_id: string;
      }>(
        'SELECT seq, role, content_json, approx_tokens, turn_id FROM history WHERE thread_key = ? ORDER BY seq',
        [threadKey],
      );
      return rows.map((r) => ({
        seq: r.seq,
        turnId: r.turn_id,
        approxTokens: r.approx_tokens,
        message: { role: r.role as 'user' | 'assistant', content: JSON.parse(r.content_json) },
      }));
    },
    isEmpty: async (threadKey: string): Promise<boolean> =>
      (await sql.get('SELECT 1 AS found FROM history WHERE thread_key = ? LIMIT 1', [threadKey])) ===
      undefined,
    /** Appends one turn (a user message and Claude's merged reply) atomically. */
    appendTurn(threadKey: string, turnId: string, messages: Anthropic.MessageParam[]): Promise<void> {
      return sql.transaction(async (tx) => {
        const next = await tx.get<{ next: number }>(
          'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM history WHERE thread_key = ?',
          [threadKey],
        );
        let seq = next!.next;
        for (const m of messages) {
          await tx.run(
            `INSERT INTO history (thread_key, seq, role, content_json, approx_tokens, turn_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
            [
              threadKey,
              seq++,
              m.role,
              JSON.stringify(m.content),
              approxTokens(m.content),
              turnId,
              Date.now(),
            ],
          );
        }
      });
    },
  };
}
export type HistoryStore = ReturnType<typeof createHistoryStore>;
