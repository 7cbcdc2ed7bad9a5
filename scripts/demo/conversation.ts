/**
 * The scripted conversation, played through signed Slack events exactly as the e2e tests do: the bot, its Slack
 * client, store and file pipeline are real; only Claude's side is scripted (see replies.ts).
 */
import { buttonsOf, CHANNEL, type Harness, HUMAN, markdownPosts } from '../../test/support/harness.js';
import { drawBarChart } from './chart.js';
import { fastestGrowth, forecast, revenueByRegion } from './replies.js';
import { analyse, generateSales, money, toCsv, YEAR } from './sales.js';
import { createRecorder, type DemoThread, type ThreadRecorder } from './thread.js';

export const QUESTIONS = {
  revenue: `What was our ${YEAR} revenue by region? A chart would help.`,
  growth: 'Which region grew fastest over the year?',
  forecast: `Can you forecast Q1 ${YEAR + 1} revenue per region?`,
  usage: 'usage',
} as const;

/** What Claude suggests asking next after the first answer; the demo clicks the first one. */
const FOLLOW_UPS = [QUESTIONS.growth, QUESTIONS.forecast, 'Which products sell best in each region?'];

export async function playConversation(h: Harness): Promise<DemoThread> {
  const rows = generateSales();
  const csv = toCsv(rows);
  const analysis = analyse(rows);
  const recorder = createRecorder(h.slack, CHANNEL);
  const mentionText = (text: string) => `<@${h.slack.botUserId}> ${text}`;

  // 1. A question with the data attached. The chart and its spec for Slack's native chart are registered upstream
  // as code execution would create them; the bot finds their file ids in the tool result, downloads them, posts
  // the native chart and the PNG into the thread, and offers Claude's follow-up questions as buttons.
  const title = `Revenue by region, ${YEAR}`;
  const chart = drawBarChart({
    title,
    bars: analysis.byRegion.map((r) => ({ label: r.region, value: r.revenue, valueLabel: money(r.revenue) })),
    formatTick: (v) => (v === 0 ? '$0' : `$${(v / 1e6).toFixed(1)}M`),
  });
  const spec = {
    type: 'bar',
    title,
    labels: analysis.byRegion.map((r) => r.region),
    series: [{ name: 'Revenue', values: analysis.byRegion.map((r) => Math.round(r.revenue)) }],
    x_label: 'Region',
    y_label: 'USD',
  };
  const chartFiles = {
    png: h.anthropic.addOutputFile('revenue_by_region.png', 'image/png', chart),
    spec: h.anthropic.addOutputFile(
      'revenue_by_region.chart.json',
      'application/json',
      Buffer.from(JSON.stringify(spec)),
    ),
  };
  const csvBytes = Buffer.from(csv);
  const upload = h.slack.hostFile({ name: 'sales.csv', content: csvBytes, mimetype: 'text/csv' });
  h.anthropic.enqueue(revenueByRegion(analysis, csv, chartFiles, FOLLOW_UPS));
  const root = await h.mention(QUESTIONS.revenue, { files: [upload] });
  recorder.human({
    ts: root,
    userId: HUMAN,
    text: mentionText(QUESTIONS.revenue),
    files: [{ name: 'sales.csv', mimeType: 'text/csv', bytes: csvBytes }],
  });
  await turnDone(h, recorder, root);

  // 2. Maya clicks the first suggested follow-up: the bot asks it in the thread on her behalf, same container.
  h.anthropic.enqueue(fastestGrowth(analysis));
  const answer = markdownPosts(h.slack.messages(CHANNEL, root)).at(-1)!;
  const suggested = buttonsOf(answer).find((b) => b.value === QUESTIONS.growth);
  if (!suggested) throw new Error('the first answer has no follow-up button for the growth question');
  const asked = h.anthropic.messageRequests().length;
  await h.click(answer, suggested.action_id);
  for (let i = 0; h.anthropic.messageRequests().length === asked; i++) {
    if (i > 500) throw new Error('the follow-up button did not ask Claude');
    await new Promise((r) => setTimeout(r, 20));
  }
  await turnDone(h, recorder, root);

  // 3. A follow-up whose first code run exits non-zero, so the bot flags it next to the answer.
  h.anthropic.enqueue(forecast(analysis));
  const forecastTs = await h.message(QUESTIONS.forecast, { threadTs: root });
  recorder.human({ ts: forecastTs, userId: HUMAN, text: QUESTIONS.forecast });
  await turnDone(h, recorder, root);

  // 4. A thread command: answered by the bot from its own SQLite usage records, without Claude.
  const usage = await h.mention(QUESTIONS.usage, { threadTs: root });
  recorder.human({ ts: usage, userId: HUMAN, text: mentionText(QUESTIONS.usage) });
  await turnDone(h, recorder, root);

  return {
    channelName: 'data-team',
    names: { [HUMAN]: 'Maya Okafor', [h.slack.botUserId]: 'Analyst' },
    entries: recorder.entries(root),
  };
}

async function turnDone(h: Harness, recorder: ThreadRecorder, root: string): Promise<void> {
  await h.settle();
  recorder.collectBotPosts(root);
}
