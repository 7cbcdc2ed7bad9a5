import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/pricing.js';
import type { ScriptedReply } from '../support/fakes/fake-anthropic.js';
import { loadFixture } from '../support/fakes/fake-slack.js';
import {
  blocks,
  buttonsOf,
  CHANNEL,
  type Harness,
  HUMAN,
  markdownPosts,
  nextTs,
  OTHER_HUMAN,
  progressPosts,
  startHarness,
  threadText,
} from '../support/harness.js';

const run = promisify(execFile);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Usage that costs exactly `inputTokens` × $3 per million at the default prices (no output, no cache). */
const inputOnly = (inputTokens: number): Partial<Anthropic.Usage> => ({
  input_tokens: inputTokens,
  output_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
});
type MessageReply = Extract<ScriptedReply, { kind: 'message' }>;
const priced = (text: string, inputTokens: number, extra: Partial<MessageReply> = {}): MessageReply => ({
  kind: 'message',
  content: [blocks.text(text)],
  usage: inputOnly(inputTokens),
  ...extra,
});
/** A reply whose stream the fake API cuts right after message_start, which already carries the usage. */
const cutAfterStart = (inputTokens: number): ScriptedReply =>
  priced('never arrives', inputTokens, { cutAfterEvents: 1 });
/** A code run that streams its first blocks and then hangs until the client goes away. */
const hangingCodeRun = (inputTokens: number): ScriptedReply => ({
  kind: 'message',
  content: [blocks.bash('srvtoolu_slow', 'python forever.py'), blocks.text('never')],
  usage: inputOnly(inputTokens),
  hangAfterEvents: 5,
});

const auditRows = (harness: Harness) => harness.bot.store.audit.between(0, Date.now() + 1);
const fileRequests = (harness: Harness) =>
  harness.anthropic.requests.filter((r) => r.path.startsWith('/v1/files'));

async function waitUntil(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The bot's posts in a thread once it has replied and settled. */
async function replies(harness: Harness, ts: string, channel = CHANNEL): Promise<string> {
  await waitUntil(() => harness.thread(ts, channel).length > 0, 'a reply');
  await harness.settle();
  return threadText(harness.thread(ts, channel));
}

/** Asks a second question and expects it refused by the daily budget, without a request to Anthropic. */
async function expectOverDailyBudget(harness: Harness, spentUsd: number): Promise<void> {
  const requests = harness.anthropic.messageRequests().length;
  const text = await replies(harness, await harness.mention('one more?'));
  expect(text).toContain(`your daily budget`);
  expect(text).toContain(`${formatUsd(spentUsd)} spent so far`);
  expect(harness.anthropic.messageRequests()).toHaveLength(requests);
  expect((await auditRows(harness)).at(-1)).toMatchObject({ outcome: 'over_budget', reason: 'user_daily' });
}

describe('spend of Claude calls that did not finish counts', () => {
  it('a stream broken after message_start is billed (both tries), and the next question is over budget', async () => {
    h = await startHarness({ BUDGET_USER_DAILY_USD: '0.05' });
    h.anthropic.enqueue(cutAfterStart(10_000), cutAfterStart(10_000)); // the analyst re-sends a broken stream once
    const ts = await h.mention('what grew fastest?');
    expect(await replies(h, ts)).toContain('The connection to the Anthropic API failed');
    expect(h.anthropic.messageRequests()).toHaveLength(2);

    const [row] = await auditRows(h);
    expect(row).toMatchObject({
      outcome: 'failed',
      reason: 'connection',
      model: 'claude-sonnet-5-5',
      usage: { inputTokens: 20_000 },
      attempt: 1,
    });
    expect(row!.costUsd).toBeCloseTo(0.06, 9);
    // The thread's usage has it too, so `@Analyst usage` agrees.
    expect(
      (await h.bot.store.usage.threadTotals(`${h.slack.teamId}:${CHANNEL}:${ts}`)).tokens.inputTokens,
    ).toBe(20_000);

    await expectOverDailyBudget(h, 0.06);
  });

  it('a question stopped mid-stream is billed for what the stream had seen, code execution included', async () => {
    h = await startHarness({ BUDGET_USER_DAILY_USD: '0.02', CONTAINER_FREE_HOURS_PER_MONTH: '0' });
    h.anthropic.enqueue(hangingCodeRun(10_000));
    const ts = await h.mention('run something slow');
    await waitUntil(() => h!.anthropic.activeMessageStreams() === 1, 'the slow request');
    const progress = progressPosts(h.thread(ts)).at(-1)!;
    expect((await h.click(progress, 'stop_turn')).status).toBe(200);
    expect(await replies(h, ts)).toContain('Stopped');
    expect(h.anthropic.abortedStreams).toBe(1);

    const [row] = await auditRows(h);
    // 10k input tokens, and the code run it had started: a container use, billed its 5-minute minimum.
    expect(row).toMatchObject({ outcome: 'stopped', usage: { inputTokens: 10_000 }, containerMinutes: 5 });
    expect(row!.costUsd).toBeCloseTo(0.03 + (5 / 60) * 0.05, 9);

    await expectOverDailyBudget(h, row!.costUsd);
  });

  it('a turn that fails after a completed pause_turn segment is billed for that segment', async () => {
    h = await startHarness({ BUDGET_USER_DAILY_USD: '0.02' });
    h.anthropic.enqueue(priced('working on it', 10_000, { stop_reason: 'pause_turn' }), {
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      message: 'messages: something is off',
    });
    const ts = await h.mention('long job');
    expect(await replies(h, ts)).toContain('The Anthropic API rejected the request');
    expect(await auditRows(h)).toMatchObject([{ outcome: 'failed', reason: 'bad_request', costUsd: 0.03 }]);
    await expectOverDailyBudget(h, 0.03);
  });
});

describe('tries of one question: one audit row per attempt, counted once as a question', () => {
  it('Retry adds attempt 2; Home, report and budgets see both attempts’ spend and one question', async () => {
    h = await startHarness({ BUDGET_USER_DAILY_USD: '5', ALLOWED_USERS: HUMAN });
    h.anthropic.enqueue(cutAfterStart(10_000), cutAfterStart(10_000));
    const ts = await h.mention('the question');
    await replies(h, ts);
    const failure = markdownPosts(h.thread(ts)).find((m) =>
      buttonsOf(m).some((b) => b.action_id === 'retry_turn'),
    )!;
    h.anthropic.enqueue(priced('answered on retry', 10_000));
    expect((await h.click(failure, 'retry_turn')).status).toBe(200);
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('answered on retry');
    // And a refusal, which is neither a question nor an attempt.
    expect(await replies(h, await h.mention('me too?', { user: OTHER_HUMAN }))).toContain('ALLOWED_USERS');

    const rows = await auditRows(h);
    expect(rows.map((r) => [r.messageTs === ts, r.outcome, r.attempt])).toEqual([
      [true, 'failed', 1],
      [true, 'answered', 2],
      [false, 'refused', 1],
    ]);
    expect(await h.bot.store.audit.questionsSince(h.slack.teamId, HUMAN, 0)).toBe(1);
    expect(await h.bot.store.audit.spent({ teamId: h.slack.teamId, userId: HUMAN, since: 0 })).toBeCloseTo(
      0.09,
      9,
    );

    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/report.ts', '--since', '2000-01-01', '--by', 'user', '--format', 'json'],
      { env: { ...process.env, DATABASE_PATH: h.dbPath } },
    );
    const report = JSON.parse(stdout) as {
      lines: Record<string, number | string>[];
      total: Record<string, number>;
    };
    const sums = h.bot.store.sql
      .sqlite!.prepare(
        `SELECT SUM(cost_usd) AS costUsd, SUM(input_tokens) AS inputTokens, SUM(container_minutes) AS containerMinutes,
           COUNT(*) AS rows FROM audit`,
      )
      .get() as { costUsd: number; inputTokens: number; containerMinutes: number; rows: number };
    expect(report.total.costUsd).toBeCloseTo(sums.costUsd, 6);
    expect(report.total.inputTokens).toBe(sums.inputTokens);
    expect(report.total.containerMinutes).toBe(sums.containerMinutes);
    expect(report.total).toMatchObject({ questions: 1, attempts: 2, answered: 1, failed: 0, refused: 1 });
    expect(report.lines.reduce((n, l) => n + Number(l.costUsd), 0)).toBeCloseTo(sums.costUsd, 6);
  });

  it('a restart mid-question bills the interrupted attempt and the re-run is attempt 2', async () => {
    h = await startHarness();
    h.anthropic.enqueue(hangingCodeRun(10_000), priced('answered after the restart', 10_000));
    const ts = await h.mention('slow question');
    await waitUntil(() => h!.anthropic.activeMessageStreams() === 1, 'the slow request');
    await h.restart(); // the running turn is aborted after the grace period, then resumed on start
    await waitUntil(() => threadText(h!.thread(ts)).includes('answered after the restart'), 'the re-run');
    await h.settle();

    const rows = await auditRows(h);
    expect(rows.map((r) => [r.outcome, r.reason, r.attempt])).toEqual([
      ['stopped', 'restart', 1],
      ['answered', undefined, 2],
    ]);
    expect(rows[0]).toMatchObject({ usage: { inputTokens: 10_000 }, codeRuns: 0 });
    expect(rows.reduce((usd, r) => usd + r.costUsd, 0)).toBeCloseTo(0.06, 9);
    expect(await h.bot.store.audit.questionsSince(h.slack.teamId, HUMAN, 0)).toBe(1);
  });
});

/** Nothing of a refused or over-budget question reached Anthropic or Slack's file servers. */
function expectNothingFetched(harness: Harness): void {
  expect(harness.anthropic.messageRequests()).toHaveLength(0);
  expect(fileRequests(harness)).toHaveLength(0);
  expect(harness.slack.downloads).toHaveLength(0);
}

/** A mention with a file, delivered in an envelope that marks a Slack Connect channel. */
async function sharedMentionWithFile(harness: Harness, file: object): Promise<string> {
  const ts = nextTs();
  const res = await harness.send({
    ...loadFixture('message_thread_followup'),
    event: {
      type: 'app_mention',
      text: `<@${harness.slack.botUserId}> sum this`,
      user: HUMAN,
      ts,
      channel: CHANNEL,
      event_ts: ts,
      team: harness.slack.teamId,
      files: [file],
    },
    event_id: `Ev0GAPSHARED${ts.replace('.', '')}`,
    event_time: Math.floor(Date.now() / 1000),
    is_ext_shared_channel: true,
  });
  expect(res.status).toBe(200);
  return ts;
}

describe('a refused or over-budget question makes no request to Anthropic and downloads no file', () => {
  const csv = (harness: Harness) =>
    harness.slack.hostFile({ name: 'secret.csv', content: Buffer.from('a,b\n1,2\n') });

  it('refused user, DM switched off and shared channel, each with a file attached', async () => {
    h = await startHarness({ ALLOWED_USERS: OTHER_HUMAN, ALLOW_DMS: 'false' });
    const user = await h.mention('sum this', { files: [csv(h)] });
    expect(await replies(h, user)).toContain('ALLOWED_USERS');
    const dm = await h.message('sum this', { channel: 'D07DMCHAN01', channelType: 'im', files: [csv(h)] });
    expect(await replies(h, dm, 'D07DMCHAN01')).toContain("I don't answer direct messages here");
    const shared = await sharedMentionWithFile(h, csv(h));
    expect(await replies(h, shared)).toContain('shared with other organisations');
    expectNothingFetched(h);
    expect((await auditRows(h)).map((r) => [r.outcome, r.reason, r.files])).toEqual([
      ['refused', 'user', []],
      ['refused', 'dm', []],
      ['refused', 'shared', []],
    ]);
  });

  for (const [limit, reason] of [
    ['BUDGET_USER_DAILY_USD', 'user_daily'],
    ['BUDGET_CHANNEL_MONTHLY_USD', 'channel_monthly'],
    ['BUDGET_WORKSPACE_MONTHLY_USD', 'workspace_monthly'],
  ] as const) {
    it(`${limit} used up: the question with a file is not started`, async () => {
      h = await startHarness({ [limit]: '0.02' });
      // Earlier spend this month, as the audit log holds it (today, this channel, this workspace).
      await h.bot.store.audit.record({
        at: Date.now(),
        teamId: h.slack.teamId,
        channelId: CHANNEL,
        threadTs: '1700000000.000100',
        messageTs: '1700000000.000100',
        userId: HUMAN,
        costUsd: 0.03,
        outcome: 'answered',
      });
      const ts = await h.mention('sum this', { files: [csv(h)] });
      expect(await replies(h, ts)).toContain('is used up, $0.03 spent so far');
      expectNothingFetched(h);
      expect((await auditRows(h)).at(-1)).toMatchObject({
        outcome: 'over_budget',
        reason,
        costUsd: 0,
        files: [],
      });
    });
  }
});

describe('container time, priced as Anthropic bills it', () => {
  it('free hours first, then per container-hour with a 5-minute minimum; preloaded files count as a use', async () => {
    // 9 free minutes this month: the first use is free, the second straddles the allowance, the third is billed.
    h = await startHarness({ CONTAINER_FREE_HOURS_PER_MONTH: '0.15', CONTAINER_PRICE_PER_HOUR: '6' });
    const codeRun = (id: string): MessageReply => ({
      ...priced('done', 1000),
      content: [blocks.bash(id, 'python q.py'), blocks.bashResult(id, { stdout: '1\n' }), blocks.text('1')],
    });
    h.anthropic.enqueue(codeRun('srvtoolu_1'), codeRun('srvtoolu_2'), priced('no code needed', 1000));
    const root = await h.mention('first');
    await replies(h, root);
    await h.message('second', { threadTs: root });
    await h.settle();
    // No code runs, but the file is preloaded into the container: a use all the same.
    const file = h.slack.hostFile({ name: 'more.csv', content: Buffer.from('a\n1\n') });
    await h.message('third', { threadTs: root, files: [file] });
    await h.settle();

    const rows = await auditRows(h);
    expect(rows.map((r) => [r.codeRuns, r.containerMinutes])).toEqual([
      [1, 5],
      [1, 5],
      [0, 5],
    ]);
    const tokens = 1000 * 3e-6;
    // $6 an hour is $0.10 a minute: 0, then 1 minute past the 9 free ones, then all 5.
    expect(rows.map((r) => r.costUsd - tokens)).toEqual([
      expect.closeTo(0, 9),
      expect.closeTo(0.1, 9),
      expect.closeTo(0.5, 9),
    ]);

    // `@Analyst usage` shows the same total as the audit log.
    await h.message(`<@${h.slack.botUserId}> usage`, { threadTs: root });
    await h.settle();
    const total = rows.reduce((usd, r) => usd + r.costUsd, 0);
    expect(threadText(h.thread(root))).toContain(
      `15 container minutes billed). Estimated cost ${formatUsd(total)}.`,
    );
  });
});

describe('forget', () => {
  it('leaves no message text, file name or answer text anywhere in the database', async () => {
    h = await startHarness();
    h.anthropic.enqueue(priced('Revenue in EMEA grew by 12 percent.', 1000));
    const file = h.slack.hostFile({ name: 'quarterly-figures.csv', content: Buffer.from('r,v\nEMEA,3\n') });
    const ts = await h.mention('how did the quarterly figures develop?', { files: [file] });
    await replies(h, ts);
    await h.message(`<@${h.slack.botUserId}> forget`, { threadTs: ts });
    await h.settle();

    const db = h.bot.store.sql.sqlite!;
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    const everything = JSON.stringify(tables.map(({ name }) => db.prepare(`SELECT * FROM "${name}"`).all()));
    for (const text of ['quarterly figures develop', 'quarterly-figures.csv', 'grew by 12 percent']) {
      expect(everything).not.toContain(text);
    }
    // The audit row keeps the numbers.
    expect(await auditRows(h)).toMatchObject([
      {
        outcome: 'answered',
        costUsd: expect.closeTo(0.003, 9),
        containerMinutes: 5,
        files: [{ name: '', sizeBytes: 11 }],
      },
    ]);
  });
});
