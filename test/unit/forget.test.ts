import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ThreadMessage, threadKeyOf } from '../../src/domain.js';
import { forgetThread } from '../../src/retention.js';
import type { Store } from '../../src/store/index.js';
import { ENGINES, openTestStore } from '../support/engines.js';

const message = (threadTs: string, messageTs: string, text: string): ThreadMessage => ({
  teamId: 'T1',
  channelId: 'C1',
  threadTs,
  messageTs,
  userId: 'U1',
  text,
  files: [],
  addressed: true,
  isDirectMessage: false,
});

describe.each(ENGINES)('%s', (engine) => {
  let store: Store;
  beforeEach(async () => {
    store = await openTestStore(engine);
  });
  afterEach(() => store.close());

  describe('forget', () => {
    it("deletes the thread's finished inbox rows with their text, keeping other threads and unsettled rows", async () => {
      const asked = message('100.1', '100.1', 'revenue of ACME per customer');
      const failed = message('100.1', '100.2', 'and the salaries?');
      const forget = message('100.1', '100.3', 'forget');
      const elsewhere = message('200.1', '200.1', 'another thread');
      for (const m of [asked, failed, forget, elsewhere]) {
        await store.inbox.accept(m);
        await store.threads.ensure({
          ...m,
          threadKey: threadKeyOf(m),
          toolVersion: 'code_execution_20260521',
        });
      }
      await store.inbox.markDone('C1', asked.messageTs);
      await store.inbox.markFailed('C1', failed.messageTs, 'overloaded');
      await store.inbox.markDone('C1', elsewhere.messageTs);
      await store.inbox.markRunning('C1', forget.messageTs);
      const deleted: string[] = [];

      await forgetThread(
        {
          store,
          files: {
            deleteFile: async (id) => void deleted.push(id),
            removeLocalCopies: async () => undefined,
          },
        },
        threadKeyOf(asked),
      );

      expect(await store.inbox.get('C1', asked.messageTs)).toBeUndefined();
      expect(await store.inbox.get('C1', failed.messageTs)).toBeUndefined();
      expect(await store.inbox.lastFailed(threadKeyOf(asked))).toBeUndefined();
      expect(await store.threads.get(threadKeyOf(asked))).toBeUndefined();
      // The running `forget` is still settled by intake, and dedupes its own late twin.
      expect((await store.inbox.get('C1', forget.messageTs))?.status).toBe('running');
      expect((await store.inbox.get('C1', elsewhere.messageTs))?.message.text).toBe('another thread');
      expect(await store.threads.get(threadKeyOf(elsewhere))).toBeDefined();
      const text = JSON.stringify(await store.sql.all('SELECT message_json FROM inbox'));
      expect(text).not.toContain('ACME');
      expect(text).not.toContain('salaries');
    });
  });
});
