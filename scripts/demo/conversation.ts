/**
 * The scripted conversation, played through signed Slack events exactly as the e2e tests do: the bot, its Slack
 * client, store and file pipeline are real; only Claude's side is scripted (see replies.ts).
 */
import { CHANNEL, type Harness, HUMAN } from '../../test/support/harness.js';
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

export async function playConversation(h: Harness): Promise<DemoThread> {
  const rows = generateSales();
  const csv = toCsv(rows);
  const analysis = analyse(rows);
  const recorder = createRecorder(h.slack, CHANNEL);
  const mentionText = (text: string) => `<@${h.slack.botUserId}> ${text}`;

  // 1. A question with the data attached. The chart is registered upstream as code execution would create it;
  // the bot finds its file id in the tool result, downloads it and posts it into the thread.
  const chart = drawBarChart({
    title: `Revenue by region, ${YEAR}`,
    bars: analysis.byRegion.map((r) => ({ label: r.region, value: r.revenue, valueLabel: money(r.revenue) })),
    formatTick: (v) => (v === 0 ? '$0' : `$${(v / 1e6).toFixed(1)}M`),
  });
  const chartFileId = h.anthropic.addOutputFile('revenue_by_region.png', 'image/png', chart);
  const csvBytes = Buffer.from(csv);
  const upload = h.slack.hostFile({ name: 'sales.csv', content: csvBytes, mimetype: 'text/csv' });
  h.anthropic.enqueue(revenueByRegion(analysis, csv, chartFileId));
  const root = await h.mention(QUESTIONS.revenue, { files: [upload] });
  recorder.human({
    ts: root,
    userId: HUMAN,
    text: mentionText(QUESTIONS.revenue),
    files: [{ name: 'sales.csv', mimeType: 'text/csv', bytes: csvBytes }],
  });
  await turnDone(h, recorder, root);

  // 2. A follow-up without a mention: same thread, same container.
  h.anthropic.enqueue(fastestGrowth(analysis));
  const growth = await h.message(QUESTIONS.growth, { threadTs: root });
  recorder.human({ ts: growth, userId: HUMAN, text: QUESTIONS.growth });
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
