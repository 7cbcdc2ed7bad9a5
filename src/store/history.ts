import type Anthropic from '@anthropic-ai/sdk';
import { approxTokens, type HistoryEntry } from '../domain.js';
import type { Db } from './db.js';

/** A thread's conversation with Claude, assistant content stored verbatim (server-tool blocks included). */
export function createHistoryStore(db: Db) {
  const list = db.prepare<
    [string],
    { seq: number; role: string; content_json: string; approx_tokens: number; turn_id: string }
  >('SELECT seq, role, content_json, approx_tokens, turn_id FROM history WHERE thread_key = ? ORDER BY seq');
  const nextSeq = db.prepare<[string], { next: number }>(
    'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM history WHERE thread_key = ?',
  );
  const insert = db.prepare(
    `INSERT INTO history (thread_key, seq, role, content_json, approx_tokens, turn_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const exists = db.prepare<[string], { found: number }>(
    'SELECT EXISTS (SELECT 1 FROM history WHERE thread_key = ?) AS found',
  );

  return {
    list(threadKey: string): HistoryEntry[] {
      return list.all(threadKey).map((r) => ({
        seq: r.seq,
        turnId: r.turn_id,
        approxTokens: r.approx_tokens,
        message: { role: r.role as 'user' | 'assistant', content: JSON.parse(r.content_json) },
      }));
    },
    isEmpty: (threadKey: string): boolean => exists.get(threadKey)!.found === 0,
    /** Appends one turn (a user message and Claude's merged reply) atomically. */
    appendTurn(threadKey: string, turnId: string, messages: Anthropic.MessageParam[]): void {
      db.transaction(() => {
        let seq = nextSeq.get(threadKey)!.next;
        for (const m of messages) {
          const json = JSON.stringify(m.content);
          insert.run(threadKey, seq++, m.role, json, approxTokens(m.content), turnId, Date.now());
        }
      })();
    },
  };
}
export type HistoryStore = ReturnType<typeof createHistoryStore>;
