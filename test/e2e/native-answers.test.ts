import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { threadKeyOf } from '../../src/domain.js';
import { loadFixture, type PostedMessage } from '../support/fakes/fake-slack.js';
import {
  blocks,
  CHANNEL,
  type Harness,
  HUMAN,
  markdownPosts,
  nextTs,
  OTHER_HUMAN,
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

interface Cell {
  type: string;
  text: string;
  value?: number;
}
interface DataTable {
  type: 'data_table';
  caption: string;
  rows: Cell[][];
}
const tablesOf = (messages: PostedMessage[]): DataTable[] =>
  messages.flatMap((m) =>
    (m.blocks ?? []).filter((b): b is DataTable => (b as DataTable).type === 'data_table'),
  );
const cellTexts = (t: DataTable) => t.rows.map((r) => r.map((c) => c.text));

const REGION_TABLE = '| Region | Growth |\n|---|---:|\n| EMEA | 18.4 % |\n| AMER | 9.1 % |\n| APAC | 4.0 % |';

describe('tables as tables', () => {
  it("shows an answer's Markdown table as a data_table, keeping the Markdown in the message text", async () => {
    h.anthropic.enqueue({
      kind: 'message',
      content: [blocks.text(`EMEA grew fastest.\n\nGrowth by region:\n\n${REGION_TABLE}\n\nAPAC lags.`)],
    });
    const ts = await h.mention('which region grew fastest?');
    await h.settle();

    const [answer] = h.thread(ts).filter((m) => tablesOf([m]).length > 0);
    expect(answer).toBeDefined();
    const [table] = tablesOf([answer!]);
    expect(table!.caption).toBe('Growth by region');
    expect(cellTexts(table!)).toEqual([
      ['Region', 'Growth'],
      ['EMEA', '18.4 %'],
      ['AMER', '9.1 %'],
      ['APAC', '4.0 %'],
    ]);
    expect(table!.rows[1]![1]).toMatchObject({ type: 'raw_number', value: 18.4 });
    // The prose around it stays, and the whole Markdown (table included) is the notification text.
    const types = (answer!.blocks ?? []).map((b) => (b as { type: string }).type);
    expect(types.slice(0, 3)).toEqual(['markdown', 'data_table', 'markdown']);
    expect(answer!.text).toContain('| EMEA | 18.4 % |');
    expect(answer!.text).toContain('APAC lags.');
  });

  it('falls back to the Markdown answer, nothing lost, when Slack refuses the data_table block', async () => {
    h.slack.unsupportedBlockTypes.add('data_table');
    h.anthropic.enqueue({
      kind: 'message',
      content: [blocks.text(`Growth:\n\n${REGION_TABLE}\n\nAPAC lags.`)],
    });
    const ts = await h.mention('growth?');
    await h.settle();

    const tried = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => JSON.stringify(c.params.blocks ?? []).includes('data_table'));
    expect(tried).toHaveLength(1);
    const answer = h.thread(ts).find((m) => JSON.stringify(m.blocks ?? []).includes('APAC lags.'));
    expect(answer?.blocks?.[0]).toEqual({ type: 'markdown', text: expect.stringContaining(REGION_TABLE) });
    expect(answer?.blocks?.map((b) => (b as { type: string }).type)).toEqual(['markdown', 'context_actions']);
    expect(tablesOf(h.thread(ts))).toHaveLength(0);
  });

  it('a small CSV the code wrote is shown as a table above its file; a large one with its first rows', async () => {
    const small = Buffer.from('region,revenue\nEMEA,"1,200"\nAMER,950\n');
    const bigRows = Array.from({ length: 250 }, (_, i) => `${i},item ${i}`);
    const big = Buffer.from(`id,name\n${bigRows.join('\n')}\n`);
    const smallId = h.anthropic.addOutputFile('by_region.csv', 'text/csv', small);
    const bigId = h.anthropic.addOutputFile('all_items.csv', 'text/csv', big);
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python export.py'),
        blocks.bashResult('srvtoolu_1', { fileIds: [smallId, bigId] }),
        blocks.text('Exported.'),
      ],
    });
    const ts = await h.mention('export it');
    await h.settle();

    const tables = tablesOf(h.thread(ts));
    expect(tables.map((t) => t.caption)).toEqual(['by_region.csv', 'all_items.csv: first 100 of 250 rows']);
    expect(cellTexts(tables[0]!)).toEqual([
      ['region', 'revenue'],
      ['EMEA', '1,200'],
      ['AMER', '950'],
    ]);
    expect(tables[1]!.rows).toHaveLength(101);
    // Every output is still posted as a file, so it can be downloaded.
    expect(h.slack.uploads.map((u) => u.filename)).toEqual(['by_region.csv', 'all_items.csv']);
    const smallMessage = h.thread(ts).find((m) => tablesOf([m])[0]?.caption === 'by_region.csv');
    expect(smallMessage?.text).toContain('| EMEA | 1,200 |');
    expect(h.thread(ts).every((m) => m.channel === CHANNEL)).toBe(true);
  });

  it("the fake refuses data tables over Slack's documented limits with invalid_blocks", async () => {
    const row = (i: number) => [{ type: 'raw_text', text: `r${i}` }];
    const res = await fetch(`${h.slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.slack.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: CHANNEL,
        text: 't',
        blocks: [{ type: 'data_table', caption: 'c', rows: Array.from({ length: 102 }, (_, i) => row(i)) }],
      }),
    });
    const body = (await res.json()) as {
      ok: boolean;
      error: string;
      response_metadata: { messages: string[] };
    };
    expect(body).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(body.response_metadata.messages.join()).toContain('[json-pointer:/blocks/0/rows]');
  });
});

describe('feedback', () => {
  const ephemerals = () => h.slack.callsTo('chat.postEphemeral').map((c) => c.params);
  const waitFor = async (probe: () => boolean, what: string) => {
    for (let i = 0; !probe(); i++) {
      if (i > 250) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('every answer carries 👍/👎; a rating is stored per turn and person and acknowledged to the clicker only', async () => {
    h.anthropic.enqueue(textReply('EMEA grew fastest.'));
    const ts = await h.mention('which region grew fastest?');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    const feedback = (answer.blocks ?? []).find((b) => (b as { type: string }).type === 'context_actions');
    expect(feedback).toMatchObject({
      elements: [{ type: 'feedback_buttons', action_id: 'answer_feedback' }],
    });

    expect((await h.rate(answer, 'up')).status).toBe(200);
    await waitFor(() => ephemerals().length === 1, 'the acknowledgement');
    expect(ephemerals()[0]).toMatchObject({
      user: HUMAN,
      channel: CHANNEL,
      thread_ts: ts,
      text: expect.stringContaining('👍'),
    });
    const [turnId] = (JSON.stringify(feedback).match(/up\|([0-9a-f-]{36})\|/) ?? []).slice(1);
    expect(await h.bot.store.feedback.ofTurn(turnId!)).toEqual([{ userId: HUMAN, rating: 'up' }]);

    await h.rate(answer, 'up', { user: OTHER_HUMAN });
    await waitFor(() => ephemerals().length === 2, 'the second acknowledgement');
    expect(ephemerals()[1]).toMatchObject({ user: OTHER_HUMAN });
    expect(await h.bot.store.feedback.counts(h.slack.teamId)).toEqual({ up: 2, down: 0 });
    expect(await h.bot.store.feedback.counts('T0OTHERTEAM')).toEqual({ up: 0, down: 0 });
  });

  it('a 👎 from the asker replaces their 👍 and offers Retry, which asks the question again', async () => {
    h.anthropic.enqueue(textReply('AMER grew fastest.'));
    const ts = await h.mention('which region grew fastest?');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    await h.rate(answer, 'up');
    await h.rate(answer, 'down');
    await waitFor(() => ephemerals().length === 2, 'both acknowledgements');
    expect(await h.bot.store.feedback.counts(h.slack.teamId)).toEqual({ up: 0, down: 1 });
    const offer = ephemerals()[1]!;
    const retry = JSON.stringify(offer.blocks).match(/"action_id":"retry_turn","value":"([^"]+)"/)?.[1];
    expect(retry).toBe(`${CHANNEL}|${ts}`);

    h.anthropic.enqueue(textReply('EMEA grew fastest, after all.'));
    await h.click(answer, 'retry_turn', { value: retry! });
    await waitFor(() => JSON.stringify(h.thread(ts)).includes('after all'), 'the retried answer');
    expect(h.anthropic.messageRequests()).toHaveLength(2);
  });

  it('a workspace that refuses the feedback block still gets the whole answer, with its buttons', async () => {
    h.slack.unsupportedBlockTypes.add('context_actions');
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'echo 1'),
        blocks.bashResult('srvtoolu_1', { stdout: '1\n' }),
        blocks.text('One.'),
      ],
    });
    const ts = await h.mention('count');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    expect(threadText([answer])).toContain('One.');
    expect(answer.blocks?.map((b) => (b as { type: string }).type)).toEqual(['markdown', 'actions']);
  });

  it('the fake refuses feedback buttons without a value, as Slack does', async () => {
    const res = await fetch(`${h.slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.slack.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: CHANNEL,
        text: 't',
        blocks: [
          {
            type: 'context_actions',
            elements: [
              {
                type: 'feedback_buttons',
                action_id: 'f',
                positive_button: { text: { type: 'plain_text', text: '👍' }, value: 'up' },
                negative_button: { text: { type: 'plain_text', text: '👎' } },
              },
            ],
          },
        ],
      }),
    });
    expect(await res.json()).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      response_metadata: { messages: [expect.stringContaining('/blocks/0/elements/0/negative_button')] },
    });
  });

  it('counts the ratings on the App Home for admins', async () => {
    h.anthropic.enqueue(textReply('EMEA.'));
    const ts = await h.mention('which region?');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    await h.rate(answer, 'up');
    await h.rate(answer, 'down', { user: OTHER_HUMAN });
    await waitFor(() => ephemerals().length === 2, 'both acknowledgements');
    h.slack.failNext('users.info', {
      body: { ok: true, user: { id: HUMAN, is_admin: true, is_owner: false } },
    });
    await h.send({
      ...loadFixture('message_thread_followup'),
      event: {
        type: 'app_home_opened',
        user: HUMAN,
        channel: 'D08CSVDM01X',
        tab: 'home',
        event_ts: nextTs(),
      },
      event_id: 'Ev0HOMERATINGS',
      event_time: Math.floor(Date.now() / 1000),
    });
    await waitFor(() => h.slack.callsTo('views.publish').length === 1, 'views.publish');
    const view = JSON.stringify(h.slack.callsTo('views.publish')[0]!.params.view);
    expect(view).toContain('Answer ratings, all time: 👍 1 · 👎 1');
  });

  it('a 👎 from someone else is stored without offering them Retry', async () => {
    h.anthropic.enqueue(textReply('APAC.'));
    const ts = await h.mention('which region?');
    await h.settle();
    await h.rate(markdownPosts(h.thread(ts)).at(-1)!, 'down', { user: OTHER_HUMAN });
    await waitFor(() => ephemerals().length === 1, 'the acknowledgement');
    expect(ephemerals()[0]).toMatchObject({ user: OTHER_HUMAN, text: expect.stringContaining('👎') });
    expect(ephemerals()[0]!.blocks).toBeUndefined();
    expect(await h.bot.store.feedback.counts(h.slack.teamId)).toEqual({ up: 0, down: 1 });
  });
});

describe("Slack's own stop", () => {
  const DM = 'D08CSVDM01X';
  const waitFor = async (probe: () => boolean, what: string, ms = 10_000) => {
    for (const end = Date.now() + ms; !probe(); ) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('stops the turn like our Stop button: the Claude request is aborted and the thread says so', async () => {
    h.anthropic.enqueue(textReply('first answer'));
    const root = await h.message('start', { channel: DM, channelType: 'im' });
    await h.settle();
    const threadKey = threadKeyOf({ teamId: h.slack.teamId, channelId: DM, threadTs: root });
    const container = (await h.bot.store.threads.get(threadKey))?.containerId;
    expect(container).toMatch(/^container_/);

    h.anthropic.enqueue({
      kind: 'message',
      content: [blocks.bash('srvtoolu_s', 'python forever.py'), blocks.text('never')],
      hangAfterEvents: 5,
    });
    await h.message('run something slow', { channel: DM, channelType: 'im', threadTs: root });
    await waitFor(() => h.anthropic.activeMessageStreams() === 1, 'the slow request');
    const streams = () => h.slack.callsTo('chat.startStream');
    await waitFor(() => streams().length === 2, 'the second turn’s stream');
    const stream = h.slack.messages(DM).find((m) => m.streaming)!;
    h.slack.stopStreamAsUser(DM, stream.ts);

    // No step changes while the code "runs": the keep-alive append learns of the stop within seconds.
    await waitFor(() => h.anthropic.activeMessageStreams() === 0, 'the request to be aborted');
    await h.settle();
    expect(threadText(h.thread(root, DM))).toContain('Stopped');
    expect(JSON.stringify(h.thread(root, DM))).not.toContain('never');
    // The container is kept for the next question.
    h.anthropic.enqueue(textReply('still here'));
    await h.message('again', { channel: DM, channelType: 'im', threadTs: root });
    await h.settle();
    expect(h.anthropic.messageRequests().at(-1)?.container).toBe(container);
  }, 20_000);
});
