/**
 * Slack-native surfaces against the fake Slack: the "Show code" button, the AI assistant pane and the App Home.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { threadKeyOf } from '../../src/domain.js';
import { GREETING, SUGGESTED_PROMPTS } from '../../src/slack/listeners/assistant.js';
import { CODE_NOT_STORED } from '../../src/slack/listeners/show-code.js';
import { loadFixture } from '../support/fakes/fake-slack.js';
import {
  blocks,
  buttonsOf,
  CHANNEL,
  type Harness,
  HUMAN,
  nextTs,
  OTHER_HUMAN,
  startHarness,
  threadText,
} from '../support/harness.js';

const DM = 'D08CSVDM01X';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** The probe's first truthy value, retried until it comes. */
const waitFor = <T>(probe: () => T | undefined | false, what: string, timeout = 5_000): Promise<T> =>
  vi.waitFor(
    () => {
      const value = probe();
      if (!value) throw new Error(`still waiting for ${what}`);
      return value;
    },
    { timeout, interval: 20 },
  );
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const turnIdsOf = async (threadTs: string, channel = CHANNEL) => [
  ...new Set(
    (
      await h.bot.store.history.list(threadKeyOf({ teamId: h.slack.teamId, channelId: channel, threadTs }))
    ).map((e) => e.turnId),
  ),
];

/** Asks a question whose answer ran the given runs; returns the thread root, its answer message and turn id. */
async function answeredThread(content: Parameters<Harness['anthropic']['enqueue']>[0] & object) {
  h.anthropic.enqueue(content);
  const root = await h.mention('how are sales doing?');
  await h.settle();
  const answer = h.thread(root).find((m) => buttonsOf(m).some((b) => b.action_id === 'show_code'));
  const [turnId] = await turnIdsOf(root);
  if (!answer || !turnId) throw new Error('the question was not answered');
  return { root, answer, turnId };
}

const THREE_RUNS = {
  kind: 'message' as const,
  content: [
    blocks.text('Let me look.'),
    blocks.bash('srvtoolu_1', 'python -c "print(6*7)"'),
    blocks.bashResult('srvtoolu_1', { stdout: '42\n' }),
    blocks.bash('srvtoolu_2', 'python broken.py'),
    blocks.bashResult('srvtoolu_2', { stderr: 'NameError: name "df" is not defined', returnCode: 1 }),
    blocks.bash('srvtoolu_3', 'python slow.py'),
    blocks.bashError('srvtoolu_3', 'execution_time_exceeded'),
    blocks.text('Sales are up 42 %.'),
  ],
};

describe('show code', () => {
  it('posts every run of the answer in order, with its code and exit code, in the same thread', async () => {
    const { root, answer, turnId } = await answeredThread(THREE_RUNS);
    const before = h.thread(root).length;

    const res = await h.click(answer, 'show_code'); // the button the bot posted carries the turn id
    expect(buttonsOf(answer).find((b) => b.action_id === 'show_code')?.value).toBe(turnId);
    expect(res.status).toBe(200);
    const posts = await waitFor(() => {
      const added = h.thread(root).slice(before);
      return added.length > 0 && added;
    }, 'the runs');

    expect(posts.every((p) => p.thread_ts === root && p.channel === CHANNEL)).toBe(true);
    const text = threadText(posts);
    const at = (s: string) => text.indexOf(s);
    expect(at('**Run 1 · Bash** — ✅ exit code 0')).toBeGreaterThanOrEqual(0);
    expect(at('python -c "print(6*7)"')).toBeGreaterThan(at('**Run 1'));
    expect(at('42')).toBeGreaterThan(at('**Run 1'));
    expect(at('**Run 2 · Bash** — ❌ exit code 1')).toBeGreaterThan(at('python -c "print(6*7)"'));
    expect(at('python broken.py')).toBeGreaterThan(at('**Run 2'));
    expect(at('NameError: name "df" is not defined')).toBeGreaterThan(at('**Run 2'));
    expect(at('**Run 3 · Bash** — ❌ tool error `execution_time_exceeded`')).toBeGreaterThan(
      at('python broken.py'),
    );
    expect(at('python slow.py')).toBeGreaterThan(at('**Run 3'));
    for (const p of posts) {
      expect(p.blocks).toHaveLength(1);
      expect(p.blocks?.[0]).toMatchObject({ type: 'markdown' });
    }
    expect(h.slack.callsTo('chat.postEphemeral')).toHaveLength(0);
  });

  it('uploads the full output of a long run as run-<n>.txt into the thread', async () => {
    const stdout = `${Array.from({ length: 500 }, (_, i) => `row ${i},${i * 3}`).join('\n')}\n`;
    const { root, answer } = await answeredThread({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'cat /tmp/out.csv'),
        blocks.bashResult('srvtoolu_1', { stdout }),
        blocks.text('Here it is.'),
      ],
    });
    await h.click(answer, 'show_code');
    const upload = await waitFor(() => h.slack.uploads.find((u) => u.filename === 'run-1.txt'), 'the upload');
    expect(upload.threadTs).toBe(root);
    expect(upload.channelId).toBe(CHANNEL);
    expect(upload.bytes.toString()).toContain(stdout.trimEnd());
    expect(threadText(h.thread(root))).toContain('all of it is in `run-1.txt`');
  });

  it('reveals nothing for a forged turn id or a turn of another thread', async () => {
    const a = await answeredThread(THREE_RUNS);
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text('No code needed.')] });
    const otherRoot = await h.mention('say hi', { user: OTHER_HUMAN });
    await h.settle();
    const otherAnswer = h.thread(otherRoot).find((m) => (m.blocks ?? []).length > 0)!;
    const postsBefore = h.slack.callsTo('chat.postMessage').length;

    // A forged value in thread A, and thread A's real turn id clicked in thread B.
    await h.click(a.answer, 'show_code', { value: 'forged-0000' });
    await h.click(otherAnswer, 'show_code', { value: a.turnId, user: OTHER_HUMAN });
    const ephemerals = await waitFor(() => {
      const calls = h.slack.callsTo('chat.postEphemeral');
      return calls.length >= 2 && calls;
    }, 'two ephemeral replies');
    await pause(200);

    expect(ephemerals.map((c) => c.params)).toEqual([
      expect.objectContaining({ channel: CHANNEL, user: HUMAN, thread_ts: a.root, text: CODE_NOT_STORED }),
      expect.objectContaining({
        channel: CHANNEL,
        user: OTHER_HUMAN,
        thread_ts: otherRoot,
        text: CODE_NOT_STORED,
      }),
    ]);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(postsBefore);
    expect(JSON.stringify(h.slack.calls.slice(-10))).not.toContain('broken.py');
    expect(h.slack.uploads).toHaveLength(0);
  });

  it('answers "no longer stored" in the thread when an ephemeral message cannot be posted', async () => {
    const { root, answer } = await answeredThread(THREE_RUNS);
    h.slack.failNext('chat.postEphemeral', { body: { ok: false, error: 'user_not_in_channel' } });
    await h.click(answer, 'show_code', { value: 'gone-turn' });
    const notice = await waitFor(
      () => h.thread(root).find((m) => m.text === CODE_NOT_STORED),
      'the thread notice',
    );
    expect(notice.thread_ts).toBe(root);
  });
});

describe('assistant pane', () => {
  const started = () => loadFixture('assistant_thread_started');
  const ASSISTANT_TS = '1795790400.000100';

  it('greets a new assistant thread and offers suggested prompts', async () => {
    const res = await h.send({ ...started(), event_id: 'Ev0NATIVE0001' });
    expect(res.status).toBe(200);

    const call = await waitFor(() => h.slack.callsTo('assistant.threads.setSuggestedPrompts')[0], 'prompts');
    expect(call.params).toMatchObject({ channel_id: DM, thread_ts: ASSISTANT_TS });
    const prompts = call.params.prompts as { title: string; message: string }[];
    expect(prompts).toHaveLength(3);
    expect(prompts.map((p) => p.title)).toEqual(SUGGESTED_PROMPTS.map((p) => p.title));
    expect(prompts.every((p) => p.message.length > 0)).toBe(true);

    const greeting = await waitFor(() => h.thread(ASSISTANT_TS, DM)[0], 'the greeting');
    expect(greeting).toMatchObject({ channel: DM, thread_ts: ASSISTANT_TS, text: GREETING });
  });

  it('answers a question in an assistant (DM) thread through the normal pipeline and titles the thread', async () => {
    await h.send({ ...started(), event_id: 'Ev0NATIVE0002' });
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python -c "print(3*4)"'),
        blocks.bashResult('srvtoolu_1', { stdout: '12\n' }),
        blocks.text('March had the most revenue: **12 k**.'),
      ],
    });
    const question = 'Which month had the most revenue in the sales file I shared yesterday with the team?';
    await h.message(question, { channel: DM, channelType: 'im', threadTs: ASSISTANT_TS });
    await h.settle();

    const requests = h.anthropic.messageRequests();
    expect(requests).toHaveLength(1);
    expect(JSON.stringify(requests[0]?.messages)).toContain('Which month had the most revenue');
    const answer = h
      .thread(ASSISTANT_TS, DM)
      .find((m) => threadText([m]).includes('March had the most revenue'));
    expect(answer?.thread_ts).toBe(ASSISTANT_TS);

    const title = await waitFor(() => h.slack.callsTo('assistant.threads.setTitle')[0], 'the title');
    expect(title.params).toMatchObject({ channel_id: DM, thread_ts: ASSISTANT_TS });
    const titleText = String(title.params.title);
    expect(titleText.length).toBeLessThanOrEqual(60);
    expect(titleText.startsWith('Which month had the most revenue')).toBe(true);

    // A follow-up in the same thread is answered too, and the title stays.
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text('April was second.')] });
    await h.message('and the second best?', { channel: DM, channelType: 'im', threadTs: ASSISTANT_TS });
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(2);
    expect(threadText(h.thread(ASSISTANT_TS, DM))).toContain('April was second.');
    expect(h.slack.callsTo('assistant.threads.setTitle')).toHaveLength(1);
  });

  it('still answers top-level DMs through app.message', async () => {
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text('Hello from the DM.')] });
    const ts = await h.message('hello', { channel: DM, channelType: 'im' });
    await h.settle();
    expect(threadText(h.thread(ts, DM))).toContain('Hello from the DM.');
    expect(h.slack.callsTo('assistant.threads.setTitle')).toHaveLength(0);
  });
});

describe('App Home', () => {
  const homeOpened = (tab = 'home', user = HUMAN) => ({
    ...loadFixture('message_thread_followup'),
    event: { type: 'app_home_opened', user, channel: DM, tab, event_ts: nextTs() },
    event_id: `Ev0HOME${Math.random().toString(36).slice(2, 10)}`,
    event_time: Math.floor(Date.now() / 1000),
  });
  const publishedText = (call: { params: Record<string, unknown> }) =>
    JSON.stringify((call.params.view as { blocks: unknown[] }).blocks);

  async function someHistory(): Promise<void> {
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'echo 1'),
        blocks.bashResult('srvtoolu_1', { stdout: '1\n' }),
        blocks.text('One.'),
      ],
    });
    await h.mention('count to one');
    h.anthropic.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    await h.mention('count to two');
    await h.settle();
  }

  it('publishes the guide without admin sections for a regular user (unknown to users.info)', async () => {
    await someHistory();
    const res = await h.send(homeOpened());
    expect(res.status).toBe(200);
    const call = await waitFor(() => h.slack.callsTo('views.publish')[0], 'views.publish');
    expect(call.params.user_id).toBe(HUMAN);
    expect((call.params.view as { type: string }).type).toBe('home');
    const text = publishedText(call);
    expect(text).toContain('Thread commands');
    expect(text).toContain('Parquet');
    expect(text).not.toContain('Usage by channel');
    expect(text).not.toContain('Recent failures');
    expect(text).not.toContain('C07DATATEAM');
    // users.info answers user_not_found for a member the fake does not know: the check fails closed.
    expect(h.slack.callsTo('users.info')[0]?.params).toMatchObject({ user: HUMAN });
  });

  it('does not show admin sections to a member users.info says is not an admin', async () => {
    await someHistory();
    h.slack.failNext('users.info', {
      body: { ok: true, user: { id: OTHER_HUMAN, is_admin: false, is_owner: false } },
    });
    await h.send(homeOpened('home', OTHER_HUMAN));
    const call = await waitFor(() => h.slack.callsTo('views.publish')[0], 'views.publish');
    expect(publishedText(call)).not.toContain('Usage by channel');
  });

  it('adds usage by channel and recent failures for a workspace admin', async () => {
    await someHistory();
    h.slack.failNext('users.info', {
      body: { ok: true, user: { id: HUMAN, is_admin: true, is_owner: false, deleted: false } },
    });
    await h.send(homeOpened());
    const call = await waitFor(() => h.slack.callsTo('views.publish')[0], 'views.publish');
    const text = publishedText(call);
    expect(text).toContain('Usage by channel');
    expect(text).toContain(`<#${CHANNEL}> — *1* turn`);
    expect(text).toContain('Recent failures');
    expect(text).toMatch(/<#C07DATATEAM> · <!date\^\d+\^/);
    expect((call.params.view as { blocks: unknown[] }).blocks.length).toBeLessThanOrEqual(100);
  });

  it('publishes nothing when the Messages tab is opened', async () => {
    await h.send(homeOpened('messages'));
    await pause(300);
    expect(h.slack.callsTo('views.publish')).toHaveLength(0);
  });
});
