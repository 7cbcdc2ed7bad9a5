import { afterEach, describe, expect, it } from 'vitest';
import { splitFollowUps } from '../../src/text/follow-ups.js';
import type { PostedMessage } from '../support/fakes/fake-slack.js';
import {
  blocks,
  buttonsOf,
  CHANNEL,
  type Harness,
  HUMAN,
  markdownPosts,
  OTHER_HUMAN,
  startHarness,
  threadText,
} from '../support/harness.js';

let h: Harness;
/** Each end-to-end test starts its own harness (some with their own environment). */
const closeHarness = () => h.close();

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const REVENUE_SPEC = {
  type: 'bar',
  title: 'Revenue by region, 2025',
  labels: ['EMEA', 'AMER', 'APAC'],
  series: [
    { name: 'Revenue', values: [1200, 950, 610] },
    { name: 'Cost', values: [800, 700, 500] },
  ],
  x_label: 'Region',
  y_label: 'USD',
};

const chartsOf = (messages: PostedMessage[]) =>
  messages.flatMap((m) =>
    (m.blocks ?? []).filter((b) => (b as { type?: string }).type === 'data_visualization'),
  );
const waitFor = async (probe: () => boolean, what: string) => {
  for (const end = Date.now() + 10_000; !probe(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A turn whose code wrote `revenue.png` and, next to it, `revenue.chart.json` with `spec` (raw text or JSON). */
async function askForChart(spec: unknown): Promise<string> {
  const png = h.anthropic.addOutputFile('revenue.png', 'image/png', PNG);
  const text = typeof spec === 'string' ? spec : JSON.stringify(spec);
  const json = h.anthropic.addOutputFile('revenue.chart.json', 'application/json', Buffer.from(text));
  h.anthropic.enqueue({
    kind: 'message',
    content: [
      blocks.bash('srvtoolu_c', 'python plot.py && cp /tmp/revenue.* "$OUTPUT_DIR/" && ls "$OUTPUT_DIR"'),
      blocks.bashResult('srvtoolu_c', { stdout: 'revenue.chart.json\nrevenue.png\n', fileIds: [json, png] }),
      blocks.text('EMEA leads with $1,200.'),
    ],
  });
  const ts = await h.mention('chart revenue by region');
  await h.settle();
  return ts;
}

describe('charts as Slack charts', () => {
  afterEach(closeHarness);
  it('posts a valid native chart just above the PNG; the spec itself is not posted as a file', async () => {
    h = await startHarness();
    const ts = await askForChart(REVENUE_SPEC);

    const thread = h.thread(ts);
    expect(chartsOf(thread)).toEqual([
      {
        type: 'data_visualization',
        title: 'Revenue by region, 2025',
        chart: {
          type: 'bar',
          series: [
            {
              name: 'Revenue',
              data: [
                { label: 'EMEA', value: 1200 },
                { label: 'AMER', value: 950 },
                { label: 'APAC', value: 610 },
              ],
            },
            {
              name: 'Cost',
              data: [
                { label: 'EMEA', value: 800 },
                { label: 'AMER', value: 700 },
                { label: 'APAC', value: 500 },
              ],
            },
          ],
          axis_config: { categories: ['EMEA', 'AMER', 'APAC'], x_label: 'Region', y_label: 'USD' },
        },
      },
    ]);
    // Next to the PNG: the chart's message is followed directly by the upload of the image.
    const chartAt = thread.findIndex((m) => chartsOf([m]).length > 0);
    expect(thread[chartAt]!.text).toBe('📊 Revenue by region, 2025 (bar chart)');
    expect(thread[chartAt + 1]?.files?.map((f) => f.name)).toEqual(['revenue.png']);
    expect(h.slack.uploads.map((u) => u.filename)).toEqual(['revenue.png']);
  });

  it('a pie spec becomes segments; a spec that is not valid JSON or not a chart leaves only the PNG', async () => {
    h = await startHarness();
    const pie = {
      type: 'pie',
      title: 'Share',
      labels: ['EMEA', 'AMER'],
      series: [{ name: 's', values: [60, 40] }],
    };
    const ts = await askForChart(pie);
    expect(chartsOf(h.thread(ts))).toEqual([
      {
        type: 'data_visualization',
        title: 'Share',
        chart: {
          type: 'pie',
          segments: [
            { label: 'EMEA', value: 60 },
            { label: 'AMER', value: 40 },
          ],
        },
      },
    ]);

    for (const bad of [
      '{"type":"bar","title":"cut off", "labels":[',
      { type: 'scatter', title: 'x', labels: ['a'], series: [{ name: 's', values: [1] }] },
      { type: 'bar', title: 'misaligned', labels: ['a', 'b'], series: [{ name: 's', values: [1] }] },
      { type: 'pie', title: 'negative', labels: ['a', 'b'], series: [{ name: 's', values: [3, -1] }] },
    ]) {
      const before = h.slack.uploads.length;
      const ts2 = await askForChart(bad);
      expect(chartsOf(h.thread(ts2))).toEqual([]);
      expect(h.slack.uploads.slice(before).map((u) => u.filename)).toEqual(['revenue.png']);
      expect(threadText(h.thread(ts2))).toContain('EMEA leads');
    }
  });

  it('too many series or points, or labels no longer distinct when cut to 20 characters, fall back to the PNG', async () => {
    h = await startHarness();
    const labels = (n: number) => Array.from({ length: n }, (_, i) => `m${i + 1}`);
    const series = (n: number, points: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `s${i}`, values: labels(points).map((_, j) => j) }));
    const cases = [
      { type: 'line', title: 'seven series', labels: labels(3), series: series(7, 3) },
      { type: 'area', title: 'twenty-one points', labels: labels(21), series: series(1, 21) },
      {
        type: 'pie',
        title: 'seven slices',
        labels: labels(7),
        series: [{ name: 's', values: labels(7).map(() => 1) }],
      },
      {
        type: 'bar',
        title: 'clashing labels',
        labels: ['Revenue in region EMEA north', 'Revenue in region EMEA south'],
        series: series(1, 2),
      },
    ];
    for (const spec of cases) {
      const ts = await askForChart(spec);
      expect(chartsOf(h.thread(ts)), spec.title).toEqual([]);
    }
    // At the limits (6 series × 20 points) the chart is shown.
    const ts = await askForChart({
      type: 'line',
      title: 'at the limit',
      labels: labels(20),
      series: series(6, 20),
    });
    expect(chartsOf(h.thread(ts))).toHaveLength(1);
    expect(h.slack.uploads.every((u) => u.filename === 'revenue.png')).toBe(true);
  });

  it('a chart Slack refuses leaves the PNG and the answer whole', async () => {
    h = await startHarness();
    h.slack.unsupportedBlockTypes.add('data_visualization');
    const ts = await askForChart(REVENUE_SPEC);
    expect(chartsOf(h.thread(ts))).toEqual([]);
    expect(h.slack.uploads.map((u) => u.filename)).toEqual(['revenue.png']);
    expect(threadText(h.thread(ts))).toContain('EMEA leads');
  });

  it("the fake refuses charts over Slack's documented limits with invalid_blocks", async () => {
    h = await startHarness();
    const post = async (chart: object) => {
      const res = await fetch(`${h.slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.slack.botToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          channel: CHANNEL,
          text: 't',
          blocks: [{ type: 'data_visualization', title: 'T', chart }],
        }),
      });
      return (await res.json()) as {
        ok: boolean;
        error?: string;
        response_metadata?: { messages: string[] };
      };
    };
    const point = (label: string) => ({ label, value: 1 });
    const seven = Array.from({ length: 7 }, (_, i) => ({ name: `s${i}`, data: [point('a')] }));
    const tooMany = await post({ type: 'bar', series: seven, axis_config: { categories: ['a'] } });
    expect(tooMany).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(tooMany.response_metadata!.messages.join()).toContain('/blocks/0/chart/series');
    const stray = await post({
      type: 'line',
      series: [{ name: 's', data: [point('b')] }],
      axis_config: { categories: ['a'] },
    });
    expect(stray.response_metadata!.messages.join()).toContain('/blocks/0/chart/series/0/data/0/label');
    expect(await post({ type: 'pie', segments: [point('a')] })).toMatchObject({ ok: true });
  });
});

const ANSWER_WITH_FOLLOW_UPS = [
  'EMEA grew fastest: +18.4 %.',
  '',
  '```followups',
  '- Which months drove EMEA growth?',
  '- How does APAC compare with last year?',
  '- <!channel> what about AMER?',
  '```',
].join('\n');

describe('suggested follow-ups', () => {
  afterEach(closeHarness);
  const followUpButtons = (m: PostedMessage) =>
    buttonsOf(m).filter((b) => b.action_id.startsWith('ask_follow_up_'));
  const lastRequestText = () => JSON.stringify(h.anthropic.messageRequests().at(-1)?.messages.at(-1));

  it('shows them as buttons (stripped from the answer) and a click asks the question in the thread', async () => {
    h = await startHarness();
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text(ANSWER_WITH_FOLLOW_UPS)] });
    const ts = await h.mention('which region grew fastest?');
    await h.settle();

    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    expect(threadText([answer])).toContain('EMEA grew fastest');
    expect(threadText([answer])).not.toContain('followups');
    const buttons = followUpButtons(answer);
    expect(buttons.map((b) => b.value)).toEqual([
      'Which months drove EMEA growth?',
      'How does APAC compare with last year?',
      expect.not.stringContaining('<!channel>'),
    ]);
    // They sit with the feedback buttons, under the answer.
    const types = (answer.blocks ?? []).map((b) => (b as { type: string }).type);
    expect(types.slice(-2)).toEqual(['actions', 'context_actions']);

    h.anthropic.enqueue({ kind: 'message', content: [blocks.text('March and April.')] });
    expect((await h.click(answer, buttons[0]!.action_id, { user: OTHER_HUMAN })).status).toBe(200);
    await waitFor(() => h.anthropic.messageRequests().length === 2, 'the follow-up request');
    await h.settle();
    expect(lastRequestText()).toContain('Which months drove EMEA growth?');
    const text = threadText(h.thread(ts));
    expect(text).toContain(`🙋 <@${OTHER_HUMAN}> asked: Which months drove EMEA growth?`);
    expect(text).toContain('March and April.');
    // The clicker is the asker of record (Retry and Stop follow them).
    const asked = h.thread(ts).find((m) => m.text?.includes('asked: Which months'))!;
    expect(await h.bot.store.inbox.asker(CHANNEL, asked.ts)).toBe(OTHER_HUMAN);
  });

  it('is refused for someone outside ALLOWED_USERS: Claude is not asked, only the clicker is told why', async () => {
    h = await startHarness({ ALLOWED_USERS: HUMAN });
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text(ANSWER_WITH_FOLLOW_UPS)] });
    const ts = await h.mention('which region grew fastest?');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;

    const before = h.thread(ts).length;
    await h.click(answer, followUpButtons(answer)[1]!.action_id, { user: OTHER_HUMAN });
    const refusal = () => h.slack.callsTo('chat.postEphemeral').find((c) => c.params.user === OTHER_HUMAN);
    await waitFor(() => refusal() !== undefined, 'the refusal');
    await h.settle();
    expect(String(refusal()!.params.text)).toContain('ALLOWED_USERS');
    // Nothing posted in the thread on the refused clicker's behalf, and Claude not asked.
    expect(h.thread(ts)).toHaveLength(before);
    expect(h.anthropic.messageRequests()).toHaveLength(1);
  });

  it('a forged button value cannot make the bot mention a channel or leak a secret', async () => {
    h = await startHarness();
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text(ANSWER_WITH_FOLLOW_UPS)] });
    const ts = await h.mention('which region grew fastest?');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text('Done.')] });
    const token = `xoxb-${'1234567890'.repeat(2)}-abcdefABCDEF`;
    await h.click(answer, 'ask_follow_up_0', { value: `<!channel> ping ${token}` });
    await waitFor(() => h.anthropic.messageRequests().length === 2, 'the follow-up request');
    await h.settle();
    const asked = h.thread(ts).find((m) => m.text?.includes('asked:'))!;
    expect(asked.text).not.toContain('<!channel>');
    expect(JSON.stringify(h.slack.callsTo('chat.postMessage'))).not.toContain(token);
    expect(lastRequestText()).not.toContain(token);
  });

  it('in a DM (the assistant pane) they become suggested prompts instead of buttons', async () => {
    h = await startHarness();
    const DM = 'D08CSVDM01X';
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text(ANSWER_WITH_FOLLOW_UPS)] });
    const root = await h.message('which region grew fastest?', { channel: DM, channelType: 'im' });
    await h.settle();
    const [call] = h.slack.callsTo('assistant.threads.setSuggestedPrompts');
    expect(call?.params).toMatchObject({
      channel_id: DM,
      thread_ts: root,
      prompts: [
        { message: 'Which months drove EMEA growth?' },
        { message: 'How does APAC compare with last year?' },
        { message: expect.not.stringContaining('<!channel>') },
      ],
    });
    expect(h.thread(root, DM).flatMap(followUpButtons)).toEqual([]);
  });
});

describe('reading the follow-ups block', () => {
  it('takes the last followups fence (any fence style, list markers and quotes dropped), leaving other code alone', () => {
    const text = [
      'Total: 42.',
      '```python',
      "print('followups')",
      '```',
      '~~~ FollowUps',
      '1. "Why 42?"',
      '* Why 42?',
      '2) Split it by month?',
      '',
      `- ${'x'.repeat(151)}`,
      '- And by region?',
      '- One too many?',
      '~~~',
    ].join('\n');
    expect(splitFollowUps(text)).toEqual({
      markdown: "Total: 42.\n```python\nprint('followups')\n```",
      followUps: ['Why 42?', 'Split it by month?', 'And by region?'],
    });
  });

  it('reads a long answer full of unclosed blocks in one pass (a pattern searching for each close took seconds)', () => {
    const text = '```followups\nWhy?\n'.repeat(16_000);
    const started = performance.now();
    expect(splitFollowUps(text)).toEqual({ markdown: text, followUps: [] });
    // Generous: milliseconds now; the backtracking pattern took about 4–6 s on a 2-core machine.
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('an answer without the block, or with an unclosed one, is left as it is', () => {
    expect(splitFollowUps('Just prose.')).toEqual({ markdown: 'Just prose.', followUps: [] });
    const unclosed = 'Answer.\n```followups\n- cut off?';
    expect(splitFollowUps(unclosed)).toEqual({ markdown: unclosed, followUps: [] });
  });
});
