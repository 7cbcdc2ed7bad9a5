import { describe, expect, it } from 'vitest';
import { fitHistory } from '../../src/claude/history.js';
import type { HistoryEntry } from '../../src/domain.js';

/** `n` stored turns of 100 tokens each (a 20-token question, an 80-token answer). */
const thread = (n: number): HistoryEntry[] =>
  Array.from({ length: n }, (_, i): HistoryEntry[] => [
    { seq: 2 * i, turnId: `t${i}`, approxTokens: 20, message: { role: 'user', content: `question ${i}` } },
    {
      seq: 2 * i + 1,
      turnId: `t${i}`,
      approxTokens: 80,
      message: { role: 'assistant', content: [{ type: 'text', text: `answer ${i}` }] },
    },
  ]).flat();

describe('fitHistory over its budget', () => {
  it('drops old turns a quarter of the budget at a time, so most questions start with the same bytes (a cache read)', () => {
    const budget = 1_000;
    let busts = 0;
    let previous: string | null = null;
    for (let n = 1; n <= 40; n++) {
      const fitted = fitHistory(thread(n), budget);
      const sent = fitted.messages.length * 50;
      expect(sent).toBeLessThanOrEqual(budget);
      // Never more than a quarter of the budget (plus the turn that crossed it) left unused.
      if (fitted.droppedTurns > 0) expect(sent).toBeGreaterThanOrEqual(budget * 0.75 - 100);
      const json = JSON.stringify(fitted.messages);
      // The previous question's history is the cached prefix: this one reads it only if it starts with it.
      if (previous !== null && !json.startsWith(previous.slice(0, -1))) busts++;
      previous = json;
    }
    // 40 turns of 100 tokens over a budget of 1,000: one turn per question would change the start 30 times.
    expect(busts).toBeLessThanOrEqual(12);
    expect(busts).toBeGreaterThan(0);
  });
});
