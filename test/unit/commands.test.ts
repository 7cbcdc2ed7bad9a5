import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands.js';
import { type ThreadMessage, threadKeyOf } from '../../src/domain.js';
import { openDatabase } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/index.js';
import { recordingReplier } from '../support/recording-replier.js';

const ROOT = '1700000000.000100';
const ask = (text: string, messageTs: string, userId = 'U1'): ThreadMessage => ({
  teamId: 'T1',
  channelId: 'C1',
  threadTs: ROOT,
  messageTs,
  userId,
  text,
  files: [],
  addressed: true,
  isDirectMessage: false,
});
const KEY = threadKeyOf(ask('', ROOT));

let store: Store;
let thread: ReturnType<typeof recordingReplier>;
/** What the thread was told, in order. */
const notices = () => thread.said.map((s) => s.text);
let deleted: string[];
let retried: string[];
let admins: string[];

const run = (text: string, userId = 'U1') =>
  runCommand(
    {
      store,
      replier: thread.replier,
      files: {
        deleteFile: async (id) => void deleted.push(id),
        removeLocalCopies: async () => undefined,
        fetchOutput: async (id) => Promise.reject(new Error(`${id} not kept`)),
      },
      retry: async (channelId, messageTs) => retried.push(`${channelId}|${messageTs}`) > 0,
      isAdmin: async (user) => admins.includes(user),
      maxFileMb: 200,
    },
    ask(text, `1700000001.${String(thread.said.length).padStart(6, '0')}`, userId),
    text as Parameters<typeof runCommand>[2],
  );

async function threadWithFiles(count: number) {
  await store.threads.ensure({ ...ask('', ROOT), threadKey: KEY, toolVersion: 'code_execution_20260521' });
  await store.threads.setContainer(KEY, 'container_1', Date.now() + 3_600_000);
  for (let i = 0; i < count; i++)
    await store.files.add(KEY, {
      slackFileId: `F${i}`,
      anthropicFileId: `file_${i}`,
      name: `data${i}.csv`,
      sizeBytes: 10,
      mimeType: 'text/csv',
    });
}

beforeEach(() => {
  store = createStore(openDatabase(':memory:'));
  thread = recordingReplier();
  deleted = [];
  retried = [];
  admins = [];
});
afterEach(() => store.close());

describe('thread commands', () => {
  it('help names the formats, the size limit and every command', async () => {
    expect(await run('help')).toEqual({ status: 'answered' });
    expect(notices()[0]).toContain(
      'Upload CSV, TSV, XLSX, XLS, JSON, JSONL, Parquet or TXT files (up to 200 MB)',
    );
    for (const command of ['help', 'reset', 'usage', 'forget', 'retry'])
      expect(notices()[0]).toContain(`\`${command}\``);
  });

  it('reset drops the container and counts the files to re-attach', async () => {
    await threadWithFiles(1);
    await run('reset');
    expect((await store.threads.get(KEY))?.containerId).toBeNull();
    expect(notices()[0]).toMatch(/1 file will be re-attached with the next question\.$/);
  });

  it("forget deletes the thread's files at Anthropic and says how many", async () => {
    await threadWithFiles(2);
    await run('forget');
    expect(deleted.sort()).toEqual(['file_0', 'file_1']);
    expect(await store.threads.get(KEY)).toBeUndefined();
    expect(notices()[0]).toContain('and 2 uploaded files were deleted');
  });

  it('retry re-queues the last failed question of its asker, or of anyone for an admin', async () => {
    expect(await run('retry')).toEqual({ status: 'answered' });
    expect(notices()).toEqual(['There is no failed question in this thread to retry.']);

    const failed = ask('revenue by month', '1700000000.000500', 'U1');
    await store.inbox.accept(failed);
    await store.inbox.markFailed('C1', failed.messageTs, 'overloaded');
    await run('retry', 'U2');
    expect(retried).toEqual([]);
    expect(notices().at(-1)).toBe(
      'Only the person who asked the last failed question, or a workspace admin, can retry it.',
    );

    admins.push('U2');
    await run('retry', 'U2');
    expect(retried).toEqual(['C1|1700000000.000500']);
    expect(notices().at(-1)).toBe('🔁 Retrying: “revenue by month”');
  });
});
