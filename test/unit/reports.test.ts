import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ThreadMessage } from '../../src/domain.js';
import type { Reports } from '../../src/ports.js';
import type { Store } from '../../src/store/index.js';
import { createReports } from '../../src/store/reports.js';
import { ENGINES, openTestStore } from '../support/engines.js';

describe.each(ENGINES)('%s', (engine) => {
  let store: Store;
  let reports: Reports;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    store = await openTestStore(engine);
    reports = createReports(store.sql);
  });
  afterEach(async () => {
    await store.close();
    vi.useRealTimers();
  });

  let turn = 0;
  async function recordTurn(
    threadKey: string,
    input: number,
    output: number,
    extra: { runs?: number; cache?: number } = {},
  ) {
    turn += 1;
    await store.usage.record({
      turnId: `turn-${turn}`,
      threadKey,
      model: 'claude-test',
      inputTokens: input,
      outputTokens: output,
      cacheReadInputTokens: extra.cache ?? 0,
      cacheCreationInputTokens: 0,
      cacheCreation1hInputTokens: 0,
      codeRuns: extra.runs ?? 1,
    });
  }

  const message = (
    teamId: string,
    channelId: string,
    threadTs: string,
    messageTs: string,
  ): ThreadMessage => ({
    teamId,
    channelId,
    threadTs,
    messageTs,
    userId: 'U1',
    text: 'q',
    files: [],
    addressed: true,
    isDirectMessage: false,
  });

  describe('usageByChannel', () => {
    it('sums turns and tokens per channel of one workspace, biggest first', async () => {
      await recordTurn('T1:C1:1700000000.000100', 100, 10, { runs: 2, cache: 500 });
      await recordTurn('T1:C1:1700000000.000100', 200, 20, { runs: 1 });
      await recordTurn('T1:C1:1700000099.000100', 50, 5, { runs: 0 });
      vi.setSystemTime(2_000_000);
      await recordTurn('T1:C2:1700000000.000200', 1_000, 100);
      await recordTurn('T1:D9:1700000000.000300', 1, 1);

      expect(await reports.usageByChannel('T1')).toEqual([
        {
          channelId: 'C2',
          turns: 1,
          inputTokens: 1_000,
          outputTokens: 100,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
          codeRuns: 1,
          lastTurnAt: 2_000_000,
        },
        {
          channelId: 'C1',
          turns: 3,
          inputTokens: 350,
          outputTokens: 35,
          cacheReadInputTokens: 500,
          cacheCreationInputTokens: 0,
          codeRuns: 3,
          lastTurnAt: 1_000_000,
        },
        expect.objectContaining({ channelId: 'D9', turns: 1 }),
      ]);
    });

    it('never mixes in other workspaces, including ones whose id shares a prefix', async () => {
      await recordTurn('T1:C1:1.1', 10, 1);
      await recordTurn('T10:C1:1.1', 999, 99);
      await recordTurn('T1A:C7:1.1', 999, 99);
      await recordTurn('T:C8:1.1', 999, 99);
      expect((await reports.usageByChannel('T1')).map((u) => [u.channelId, u.inputTokens])).toEqual([
        ['C1', 10],
      ]);
      expect((await reports.usageByChannel('T10')).map((u) => u.inputTokens)).toEqual([999]);
      expect(await reports.usageByChannel('T2')).toEqual([]);
    });

    it('honours the limit', async () => {
      for (let i = 0; i < 5; i++) await recordTurn(`T1:C${i}:1.1`, i + 1, 0);
      expect((await reports.usageByChannel('T1', 2)).map((u) => u.channelId)).toEqual(['C4', 'C3']);
    });
  });

  describe('recentFailures', () => {
    it('lists failed messages of one workspace, newest first, with thread and error', async () => {
      const failed = message('T1', 'C1', '1700000000.000100', '1700000000.000500');
      const later = message('T1', 'C2', '1700000001.000100', '1700000001.000100');
      const done = message('T1', 'C1', '1700000000.000100', '1700000000.000600');
      const queued = message('T1', 'C1', '1700000000.000100', '1700000000.000700');
      const foreign = message('T2', 'C1', '1700000000.000100', '1700000000.000800');
      for (const m of [failed, later, done, queued, foreign]) await store.inbox.accept(m);
      await store.inbox.markFailed(failed.channelId, failed.messageTs, 'overloaded');
      vi.setSystemTime(3_000_000);
      await store.inbox.markFailed(later.channelId, later.messageTs, 'refusal');
      await store.inbox.markFailed(foreign.channelId, foreign.messageTs, 'other team');
      await store.inbox.markDone(done.channelId, done.messageTs);

      expect(await reports.recentFailures('T1', 10)).toEqual([
        {
          channelId: 'C2',
          threadTs: '1700000001.000100',
          messageTs: '1700000001.000100',
          at: 3_000_000,
          lastError: 'refusal',
        },
        {
          channelId: 'C1',
          threadTs: '1700000000.000100',
          messageTs: '1700000000.000500',
          at: 1_000_000,
          lastError: 'overloaded',
        },
      ]);
      expect(await reports.recentFailures('T1', 1)).toHaveLength(1);
      expect(await reports.recentFailures('T3', 10)).toEqual([]);
    });
  });
});
