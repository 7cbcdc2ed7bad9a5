import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ThreadMessage, threadKeyOf } from '../../src/domain.js';
import type { Store } from '../../src/store/index.js';
import { ENGINES, openTestStore } from '../support/engines.js';

const thread = {
  teamId: 'T1',
  channelId: 'C1',
  threadTs: '1700000000.000100',
  toolVersion: 'code_execution_20260521',
};
const KEY = threadKeyOf(thread);
const OTHER = { ...thread, threadTs: '1700000999.000100' };
const OTHER_KEY = threadKeyOf(OTHER);

describe.each(ENGINES)('%s', (engine) => {
  let store: Store;

  beforeEach(async () => {
    // Only the clock is controlled, so rows get distinct, known timestamps.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    store = await openTestStore(engine);
  });

  afterEach(async () => {
    await store.close();
    vi.useRealTimers();
  });

  describe('threads', () => {
    it('ensure creates the thread once and returns it', async () => {
      const row = await store.threads.ensure({ threadKey: KEY, ...thread });
      expect(row).toEqual({
        threadKey: KEY,
        teamId: 'T1',
        channelId: 'C1',
        threadTs: '1700000000.000100',
        toolVersion: 'code_execution_20260521',
        containerId: null,
        containerCreatedAt: null,
        containerExpiresAt: null,
        replayFromSeq: 0,
        firstSeenAt: 1_000_000,
      });
      expect(await store.threads.get(KEY)).toEqual(row);
    });

    it('ensure is idempotent and keeps the tool version the thread started with', async () => {
      await store.threads.ensure({ threadKey: KEY, ...thread });
      await store.threads.setContainer(KEY, 'container_a', 5_000_000);
      vi.setSystemTime(2_000_000);

      const again = await store.threads.ensure({
        threadKey: KEY,
        ...thread,
        toolVersion: 'code_execution_20250825',
      });

      expect(again.toolVersion).toBe('code_execution_20260521');
      expect(again.firstSeenAt).toBe(1_000_000);
      expect(again.containerId).toBe('container_a');
    });

    it('get returns undefined for a thread the bot never joined', async () => {
      expect(await store.threads.get('T1:C1:nope')).toBeUndefined();
    });

    it('setContainer keeps container_created_at while the container id stays the same', async () => {
      await store.threads.ensure({ threadKey: KEY, ...thread });
      await store.threads.setContainer(KEY, 'container_a', 5_000_000);
      vi.setSystemTime(3_000_000);
      await store.threads.setContainer(KEY, 'container_a', 9_000_000);

      expect(await store.threads.get(KEY)).toMatchObject({
        containerId: 'container_a',
        containerCreatedAt: 1_000_000,
        containerExpiresAt: 9_000_000,
      });
    });

    it('setContainer resets container_created_at when the container id changes', async () => {
      await store.threads.ensure({ threadKey: KEY, ...thread });
      await store.threads.setContainer(KEY, 'container_a', 5_000_000);
      vi.setSystemTime(3_000_000);
      await store.threads.setContainer(KEY, 'container_b', 8_000_000);

      expect(await store.threads.get(KEY)).toMatchObject({
        containerId: 'container_b',
        containerCreatedAt: 3_000_000,
        containerExpiresAt: 8_000_000,
      });
    });

    it('setContainer(null) forgets the container', async () => {
      await store.threads.ensure({ threadKey: KEY, ...thread });
      await store.threads.setContainer(KEY, 'container_a', 5_000_000);
      await store.threads.setContainer(KEY, null, null);
      expect(await store.threads.get(KEY)).toMatchObject({ containerId: null, containerExpiresAt: null });
    });

    it('setContainer touches only its own thread', async () => {
      await store.threads.ensure({ threadKey: KEY, ...thread });
      await store.threads.ensure({ threadKey: OTHER_KEY, ...OTHER });
      await store.threads.setContainer(KEY, 'container_a', 5_000_000);
      expect((await store.threads.get(OTHER_KEY))?.containerId).toBeNull();
    });
  });

  describe('history', () => {
    const turn = (q: string, a: string): Anthropic.MessageParam[] => [
      { role: 'user', content: q },
      { role: 'assistant', content: [{ type: 'text', text: a }] },
    ];

    beforeEach(async () => {
      await store.threads.ensure({ threadKey: KEY, ...thread });
      await store.threads.ensure({ threadKey: OTHER_KEY, ...OTHER });
    });

    it('lists turns in the order they were appended, with consecutive seq numbers', async () => {
      await store.history.appendTurn(KEY, 'turn-1', turn('q1', 'a1'));
      await store.history.appendTurn(KEY, 'turn-2', turn('q2', 'a2'));

      const entries = await store.history.list(KEY);
      expect(entries.map((e) => [e.seq, e.turnId, e.message.role])).toEqual([
        [1, 'turn-1', 'user'],
        [2, 'turn-1', 'assistant'],
        [3, 'turn-2', 'user'],
        [4, 'turn-2', 'assistant'],
      ]);
      expect(entries.map((e) => e.message.content)).toEqual([
        'q1',
        [{ type: 'text', text: 'a1' }],
        'q2',
        [{ type: 'text', text: 'a2' }],
      ]);
    });

    it('keeps threads apart, each with its own sequence', async () => {
      await store.history.appendTurn(KEY, 'turn-1', turn('q1', 'a1'));
      await store.history.appendTurn(OTHER_KEY, 'turn-x', turn('other', 'reply'));
      expect((await store.history.list(OTHER_KEY)).map((e) => [e.seq, e.message.content])).toEqual([
        [1, 'other'],
        [2, [{ type: 'text', text: 'reply' }]],
      ]);
      expect(await store.history.list(KEY)).toHaveLength(2);
    });

    it('appendTurn is atomic: a turn that fails half-way leaves no trace', async () => {
      await store.history.appendTurn(KEY, 'turn-1', turn('q1', 'a1'));
      const broken = [
        { role: 'user', content: 'q2' },
        // The schema only allows user/assistant; the second insert fails.
        { role: 'system', content: 'nope' },
      ] as unknown as Anthropic.MessageParam[];

      await expect(store.history.appendTurn(KEY, 'turn-2', broken)).rejects.toThrow();

      expect((await store.history.list(KEY)).map((e) => e.turnId)).toEqual(['turn-1', 'turn-1']);
      await store.history.appendTurn(KEY, 'turn-3', turn('q3', 'a3'));
      expect((await store.history.list(KEY)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    });

    it('round-trips assistant content verbatim, server-tool and thinking blocks included', async () => {
      const assistant: Anthropic.ContentBlockParam[] = [
        { type: 'thinking', thinking: 'Let me check the CSV…', signature: 'EqQBCkYIARgC/+==' },
        {
          type: 'server_tool_use',
          id: 'srvtoolu_01',
          name: 'bash_code_execution',
          input: { command: 'python -c "print(\'ünïcødé 📊\')"' },
        },
        {
          type: 'bash_code_execution_tool_result',
          tool_use_id: 'srvtoolu_01',
          content: {
            type: 'bash_code_execution_result',
            stdout: 'ünïcødé 📊\n',
            stderr: '',
            return_code: 0,
            content: [{ type: 'bash_code_execution_output', file_id: 'file_01' }],
          },
        },
        { type: 'text', text: 'Line one\n\n```\ncode with "quotes" and \\backslashes\n```' },
      ];
      const user: Anthropic.ContentBlockParam[] = [
        { type: 'text', text: 'Question from Slack user U1:\nhi' },
      ];
      await store.history.appendTurn(KEY, 'turn-1', [
        { role: 'user', content: user },
        { role: 'assistant', content: assistant },
      ]);

      const [u, a] = await store.history.list(KEY);
      expect(u?.message).toEqual({ role: 'user', content: user });
      expect(a?.message).toEqual({ role: 'assistant', content: assistant });
      expect(a?.approxTokens).toBeGreaterThan(0);
    });
  });

  describe('files', () => {
    const csv = {
      slackFileId: 'F01',
      anthropicFileId: 'file_csv',
      name: 'sales.csv',
      sizeBytes: 1234,
      mimeType: 'text/csv',
    };
    const xlsx = {
      slackFileId: 'F02',
      anthropicFileId: 'file_xlsx',
      name: 'plan.xlsx',
      sizeBytes: 99,
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    };

    beforeEach(async () => {
      await store.threads.ensure({ threadKey: KEY, ...thread });
      await store.threads.ensure({ threadKey: OTHER_KEY, ...OTHER });
    });

    it('lists a thread’s files in the order they were added, not yet attached', async () => {
      await store.files.add(KEY, csv);
      vi.setSystemTime(1_000_001);
      await store.files.add(KEY, xlsx);
      expect(await store.files.list(KEY)).toEqual([
        { ...csv, containerId: null },
        { ...xlsx, containerId: null },
      ]);
    });

    it('adds a Slack file once per thread; a second upload of it is ignored', async () => {
      await store.files.add(KEY, csv);
      await store.files.add(KEY, { ...csv, anthropicFileId: 'file_csv_again' });
      expect(await store.files.list(KEY)).toEqual([{ ...csv, containerId: null }]);
    });

    it('lets the same Slack file belong to two threads', async () => {
      await store.files.add(KEY, csv);
      await store.files.add(OTHER_KEY, { ...csv, anthropicFileId: 'file_csv_other' });
      expect((await store.files.list(OTHER_KEY)).map((f) => f.anthropicFileId)).toEqual(['file_csv_other']);
      expect((await store.files.list(KEY)).map((f) => f.anthropicFileId)).toEqual(['file_csv']);
    });

    it('markAttached records the container for the named files of that thread only', async () => {
      await store.files.add(KEY, csv);
      await store.files.add(KEY, xlsx);
      await store.files.add(OTHER_KEY, csv);

      await store.files.markAttached(KEY, ['file_csv'], 'container_a');

      expect((await store.files.list(KEY)).map((f) => [f.name, f.containerId])).toEqual([
        ['sales.csv', 'container_a'],
        ['plan.xlsx', null],
      ]);
      expect((await store.files.list(OTHER_KEY))[0]?.containerId).toBeNull();
    });

    it('markAttached moves files to a new container', async () => {
      await store.files.add(KEY, csv);
      await store.files.markAttached(KEY, ['file_csv'], 'container_a');
      await store.files.markAttached(KEY, ['file_csv'], 'container_b');
      expect((await store.files.list(KEY))[0]?.containerId).toBe('container_b');
    });
  });

  describe('inbox', () => {
    const message = (messageTs: string, over: Partial<ThreadMessage> = {}): ThreadMessage => ({
      teamId: 'T1',
      channelId: 'C1',
      threadTs: '1700000000.000100',
      messageTs,
      userId: 'U1',
      text: `question at ${messageTs}`,
      files: [],
      addressed: true,
      isDirectMessage: false,
      eventId: `Ev${messageTs}`,
      ...over,
    });

    it('accepts a message once: Slack retries and app_mention/message double delivery collapse', async () => {
      const m = message('1700000001.000100');
      expect(await store.inbox.accept(m)).toBe(true);
      expect(await store.inbox.accept({ ...m, eventId: 'EvRetry' })).toBe(false);
      expect(await store.inbox.open()).toHaveLength(1);
      expect(await store.inbox.openCount()).toBe(1);
    });

    it('treats the same ts in another channel as a different message', async () => {
      expect(await store.inbox.accept(message('1700000001.000100'))).toBe(true);
      expect(await store.inbox.accept(message('1700000001.000100', { channelId: 'C2' }))).toBe(true);
      expect(await store.inbox.openCount()).toBe(2);
    });

    it('returns the stored message as it was accepted', async () => {
      const m = message('1700000001.000100', {
        files: [{ id: 'F01', name: 'sales.csv', size: 10 }],
        text: 'which region grew fastest? 📈',
      });
      await store.inbox.accept(m);
      const items = await store.inbox.open();
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        channelId: 'C1',
        messageTs: '1700000001.000100',
        status: 'queued',
        attempts: 0,
      });
      expect(items[0]?.message).toEqual(m);
    });

    it('counts an attempt each time a message starts running', async () => {
      await store.inbox.accept(message('1700000001.000100'));
      await store.inbox.markRunning('C1', '1700000001.000100');
      expect((await store.inbox.open())[0]).toMatchObject({ status: 'running', attempts: 1 });
      // The process restarted mid-turn and picked the message up again.
      await store.inbox.markRunning('C1', '1700000001.000100');
      expect((await store.inbox.open())[0]).toMatchObject({ status: 'running', attempts: 2 });
    });

    it('finished and failed messages are no longer open', async () => {
      await store.inbox.accept(message('1700000001.000100'));
      await store.inbox.accept(message('1700000002.000100'));
      await store.inbox.accept(message('1700000003.000100'));
      await store.inbox.markRunning('C1', '1700000001.000100');
      await store.inbox.markDone('C1', '1700000001.000100');
      await store.inbox.markRunning('C1', '1700000002.000100');
      await store.inbox.markFailed('C1', '1700000002.000100', 'boom');

      expect((await store.inbox.open()).map((i) => i.messageTs)).toEqual(['1700000003.000100']);
      expect(await store.inbox.openCount()).toBe(1);
      const failed = await store.sql.get(
        'SELECT status, attempts, last_error FROM inbox WHERE message_ts = ?',
        ['1700000002.000100'],
      );
      expect(failed).toEqual({ status: 'failed', attempts: 1, last_error: 'boom' });
    });

    it('a done message accepted again (late Slack retry) is not re-queued', async () => {
      const m = message('1700000001.000100');
      await store.inbox.accept(m);
      await store.inbox.markDone('C1', '1700000001.000100');
      expect(await store.inbox.accept(m)).toBe(false);
      expect(await store.inbox.open()).toEqual([]);
    });

    it('open() returns queued and running messages oldest first', async () => {
      vi.setSystemTime(3_000);
      await store.inbox.accept(message('1700000003.000100', { channelId: 'C3' }));
      vi.setSystemTime(1_000);
      await store.inbox.accept(message('1700000009.000100', { channelId: 'C1' }));
      vi.setSystemTime(2_000);
      await store.inbox.accept(message('1700000001.000100', { channelId: 'C2' }));
      await store.inbox.markRunning('C2', '1700000001.000100');

      expect((await store.inbox.open()).map((i) => [i.channelId, i.status])).toEqual([
        ['C1', 'queued'],
        ['C2', 'running'],
        ['C3', 'queued'],
      ]);
    });
  });
});
