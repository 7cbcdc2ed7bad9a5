import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { threadKeyOf } from '../../src/domain.js';
import {
  blocks,
  buttonsOf,
  CHANNEL,
  type Harness,
  markdownPosts,
  progressPosts,
  startHarness,
  textReply,
  threadText,
} from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const threadKey = (threadTs: string) => threadKeyOf({ teamId: h.slack.teamId, channelId: CHANNEL, threadTs });
const waitUntil = async (probe: () => boolean, what: string) => {
  for (let i = 0; !probe(); i++) {
    if (i > 250) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('live progress', () => {
  it('shows one step per code run in order, marks the failed one, and never floods the thread', async () => {
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash(
          'srvtoolu_1',
          'python -c "import pandas as pd; print(pd.read_csv(\'sales.csv\').head())"',
        ),
        blocks.bashResult('srvtoolu_1', { stdout: 'region,revenue\n' }),
        blocks.bash('srvtoolu_2', 'python -c "df.groupby(\'month\').sum()"'),
        blocks.bashResult('srvtoolu_2', { stderr: 'NameError', returnCode: 1 }),
        blocks.bash('srvtoolu_3', 'python plot.py  # plt.savefig("rev.png")'),
        blocks.bashResult('srvtoolu_3', { stdout: 'rev.png\n' }),
        blocks.text('Revenue rose.'),
      ],
    });
    const ts = await h.mention('plot revenue by month');
    await h.settle();

    const [progress, ...more] = progressPosts(h.thread(ts));
    expect(more).toHaveLength(0);
    const text = threadText([progress!]) + JSON.stringify(progress!.blocks);
    const order = ['Reading sales.csv', 'Aggregating', 'Plotting'].map((s) => text.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text).toMatch(/❌ Aggregating/);
    expect(text).toMatch(/✅ Reading sales\.csv/);
    expect(text).toContain('Finished with problems');
    expect(buttonsOf(progress!).map((b) => b.action_id)).not.toContain('stop_turn');
    // One progress message, edited in place a bounded number of times.
    expect(h.slack.callsTo('chat.update').length).toBeLessThanOrEqual(4);
    expect(h.thread(ts)).toHaveLength(2);
  });

  it('Stop cancels the running Claude request; the thread says so and its container stays usable', async () => {
    h.anthropic.enqueue(textReply('first answer'));
    const root = await h.mention('start');
    await h.settle();
    const container = (await h.bot.store.threads.get(threadKey(root)))?.containerId;
    expect(container).toMatch(/^container_/);

    h.anthropic.enqueue({
      kind: 'message',
      content: [blocks.bash('srvtoolu_s', 'python forever.py'), blocks.text('never')],
      hangAfterEvents: 5,
    });
    await h.message('run something slow', { threadTs: root });
    await waitUntil(() => h.anthropic.activeMessageStreams() === 1, 'the slow request');
    const progress = progressPosts(h.thread(root)).at(-1)!;
    expect((await h.click(progress, 'stop_turn')).status).toBe(200);
    await h.settle();

    expect(h.anthropic.abortedStreams).toBe(1);
    expect(threadText(h.thread(root))).toContain('Stopped');
    expect((await h.bot.store.threads.get(threadKey(root)))?.containerId).toBe(container);
    h.anthropic.enqueue(textReply('still works'));
    await h.message('next', { threadTs: root });
    await h.settle();
    expect(h.anthropic.messageRequests().at(-1)?.container).toBe(container);
    expect(threadText(h.thread(root))).toContain('still works');
  });
});

describe('retry', () => {
  it('a failed turn carries a Retry button that re-runs the same question once, even when clicked twice', async () => {
    h.anthropic.enqueue({ kind: 'error', status: 500, type: 'api_error', message: 'boom' });
    const ts = await h.mention('the question');
    await h.settle();
    const failure = markdownPosts(h.thread(ts)).find((m) =>
      buttonsOf(m).some((b) => b.action_id === 'retry_turn'),
    )!;
    expect(threadText([failure])).toContain('Anthropic API had an internal error');

    h.anthropic.onMessage(() => ({ ...textReply('answered on retry'), delayMs: 100 }));
    await Promise.all([h.click(failure, 'retry_turn'), h.click(failure, 'retry_turn')]);
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(2);
    expect(JSON.stringify(h.anthropic.messageRequests()[1]?.messages)).toContain('the question');
    expect(threadText(h.thread(ts))).toContain('answered on retry');
  });

  it('an answer whose every code run failed offers Retry too', async () => {
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python x.py'),
        blocks.bashError('srvtoolu_1', 'unavailable'),
        blocks.text('Sorry.'),
      ],
    });
    const ts = await h.mention('q');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    expect(
      buttonsOf(answer)
        .map((b) => b.action_id)
        .sort(),
    ).toEqual(['retry_turn', 'show_code']);
  });
});

describe('thread commands', () => {
  it('help explains what the bot does, its limits and the commands', async () => {
    const ts = await h.mention('help');
    await h.settle();
    const text = threadText(h.thread(ts));
    expect(text).toContain('200 MB');
    expect(text).toMatch(/reset.*usage.*forget/s);
    expect(h.anthropic.messageRequests()).toHaveLength(0);
  });

  it("reset starts a fresh container and re-attaches the thread's files", async () => {
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from('a,b\n1,2\n') });
    h.anthropic.enqueue(textReply('one'));
    const root = await h.mention('load', { files: [file] });
    await h.settle();
    await h.mention('reset', { threadTs: root });
    await h.settle();
    expect((await h.bot.store.threads.get(threadKey(root)))?.containerId).toBeNull();
    expect(threadText(h.thread(root))).toContain('fresh sandbox');

    h.anthropic.enqueue(textReply('two'));
    await h.message('again', { threadTs: root });
    await h.settle();
    const last = h.anthropic.messageRequests().at(-1)!;
    expect(last.container).toBeUndefined();
    expect(JSON.stringify(last.messages.at(-1))).toContain('container_upload');
  });

  it("usage reports the thread's tokens and an estimated cost", async () => {
    h.anthropic.enqueue({ ...textReply('x'), usage: { input_tokens: 12_000, output_tokens: 3_000 } });
    const root = await h.mention('q');
    await h.settle();
    await h.mention('usage', { threadTs: root });
    await h.settle();
    // 12k × $3/MTok + 3k × $15/MTok = $0.081
    expect(threadText(h.thread(root))).toMatch(/1 question billed, 12k input and 3k output tokens.*\$0\.08/s);
  });

  it("forget deletes the thread's history, files and container, and the bot leaves the thread", async () => {
    const file = h.slack.hostFile({ name: 'secret.csv', content: Buffer.from('a\n1\n') });
    h.anthropic.enqueue(textReply('one'));
    const root = await h.mention('load', { files: [file] });
    await h.settle();
    const fileId = [...h.anthropic.files.keys()][0]!;
    await h.mention('forget', { threadTs: root });
    await h.settle();

    expect(await h.bot.store.threads.get(threadKey(root))).toBeUndefined();
    expect(await h.bot.store.history.list(threadKey(root))).toHaveLength(0);
    expect(await h.bot.store.files.list(threadKey(root))).toHaveLength(0);
    expect(h.anthropic.files.get(fileId)?.deleted).toBe(true);
    expect(threadText(h.thread(root))).toContain('Forgotten');
    await h.message('are you still there?', { threadTs: root });
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(1);
  });

  it('every answer ends with a cost receipt', async () => {
    h.anthropic.enqueue({ ...textReply('x'), usage: { input_tokens: 1_500, output_tokens: 200 } });
    const ts = await h.mention('q');
    await h.settle();
    expect(threadText(h.thread(ts))).toMatch(/💸 1\.5k input · 200 output tokens · ≈/);
  });
});

describe('cost receipt switched off', () => {
  it('omits the receipt when COST_RECEIPT=false', async () => {
    await h.close();
    h = await startHarness({ COST_RECEIPT: 'false' });
    h.anthropic.enqueue(textReply('x'));
    const ts = await h.mention('q');
    await h.settle();
    expect(threadText(h.thread(ts))).not.toContain('💸');
  });
});

describe('retention', () => {
  it('forgets threads idle past RETENTION_DAYS, deleting their files at Anthropic', async () => {
    const file = h.slack.hostFile({ name: 'old.csv', content: Buffer.from('a\n1\n') });
    h.anthropic.enqueue(textReply('one'));
    const old = await h.mention('load', { files: [file] });
    h.anthropic.enqueue(textReply('two'));
    const fresh = await h.mention('recent question');
    await h.settle();
    const fileId = [...h.anthropic.files.keys()][0]!;
    const fortyDaysAgo = Date.now() - 40 * 24 * 3600 * 1000;
    h.bot.store.sql
      .sqlite!.prepare('UPDATE threads SET updated_at = ? WHERE thread_key = ?')
      .run(fortyDaysAgo, threadKey(old));

    expect(await h.bot.sweepRetention()).toBe(1);
    expect(await h.bot.store.threads.get(threadKey(old))).toBeUndefined();
    expect(h.anthropic.files.get(fileId)?.deleted).toBe(true);
    expect(await h.bot.store.threads.get(threadKey(fresh))).toBeDefined();
  });
});

describe('upload receipt', () => {
  it('reports exact rows, columns, types and empty cells of an uploaded CSV, computed without asking Claude', async () => {
    const rows = Array.from(
      { length: 1234 },
      (_, i) =>
        `${i + 1},${i % 10 === 0 ? '' : (i * 1.5).toFixed(1)},2026-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 ? 'yes' : 'no'}`,
    );
    const csv = Buffer.from(['id,amount,day,flag', ...rows].join('\n'));
    const file = h.slack.hostFile({ name: 'orders.csv', content: csv });
    h.anthropic.enqueue(textReply('first'));
    const root = await h.mention('hello');
    await h.settle();
    await h.message('', { threadTs: root, files: [file] });
    await h.settle();
    const text = threadText(h.thread(root));
    expect(text).toMatch(/orders\.csv\*+ — 1,234 rows × 4 columns/);
    expect(text).toContain('`id` integer');
    expect(text).toContain('`amount` number (124 empty)');
    expect(text).toContain('`day` date');
    expect(text).toContain('`flag` true/false');
    expect(h.anthropic.messageRequests()).toHaveLength(1);
  });
});

describe('progress in a DM', () => {
  it("uses Slack's AI stream: a plan with one task per code run, marked as results arrive, then closed", async () => {
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python -c "print(1)"'),
        blocks.bashResult('srvtoolu_1', { stdout: '1\n' }),
        blocks.bash('srvtoolu_2', 'python broken.py'),
        blocks.bashResult('srvtoolu_2', { returnCode: 1, stderr: 'boom' }),
        blocks.text('One worked.'),
      ],
    });
    const ts = await h.message('compute in a DM', { channel: 'D08CSVDM01X', channelType: 'im' });
    await h.settle();

    const [start] = h.slack.callsTo('chat.startStream');
    expect(start?.params).toMatchObject({ channel: 'D08CSVDM01X', thread_ts: ts });
    expect(JSON.stringify(start?.params.chunks)).toContain('stop_turn');
    const chunks = [...h.slack.callsTo('chat.appendStream'), ...h.slack.callsTo('chat.stopStream')].flatMap(
      (c) => c.params.chunks as { type: string; id?: string; status?: string; title?: string }[],
    );
    const finalStatus = (id: string) => chunks.filter((c) => c.id === id).at(-1)?.status;
    expect(finalStatus('srvtoolu_1')).toBe('complete');
    expect(finalStatus('srvtoolu_2')).toBe('error');
    expect(chunks.at(-1)).toMatchObject({ type: 'plan_update', title: 'Finished with problems' });
    expect(h.slack.messages('D08CSVDM01X').every((m) => !m.streaming)).toBe(true);
    expect(threadText(h.thread(ts, 'D08CSVDM01X'))).toContain('One worked.');
  });
});
