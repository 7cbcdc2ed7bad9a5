import { afterEach, describe, expect, it } from 'vitest';
import { loadFixture } from '../support/fakes/fake-slack.js';
import {
  blocks,
  CHANNEL,
  type Harness,
  HUMAN,
  nextTs,
  OTHER_HUMAN,
  startHarness,
  threadText,
} from '../support/harness.js';

const OTHER_CHANNEL = 'C09ELSEWHR1';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A plain text answer that costs exactly `inputTokens` × $3 per million (no output, no cache). */
const pricedAnswer = (text: string, inputTokens: number, stop_reason?: 'pause_turn') => ({
  kind: 'message' as const,
  content: [blocks.text(text)],
  ...(stop_reason ? { stop_reason } : {}),
  usage: {
    input_tokens: inputTokens,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
  },
});

/** The bot's posts in a thread, once at least one is there (refusals are posted after the ack). */
async function botReplies(harness: Harness, ts: string, channel = CHANNEL): Promise<string> {
  const deadline = Date.now() + 5_000;
  while (harness.thread(ts, channel).length === 0) {
    if (Date.now() > deadline) throw new Error('the bot did not reply');
    await new Promise((r) => setTimeout(r, 20));
  }
  await harness.settle();
  return threadText(harness.thread(ts, channel));
}

/** Requests to Anthropic other than the start-up and health checks of the model. */
const apiCalls = (harness: Harness) =>
  harness.anthropic.requests.filter((r) => !r.path.startsWith('/v1/models'));
const auditRows = (harness: Harness) => harness.bot.store.audit.between(0, Date.now() + 1);
const inboxCount = (harness: Harness) =>
  (harness.bot.store.sql.sqlite!.prepare('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n;

/** A mention delivered in an envelope that says what the plain harness cannot: a shared channel, another org. */
async function sharedMention(harness: Harness, opts: { sharedChannel: boolean; userTeam?: string }) {
  const ts = nextTs();
  const event = {
    type: 'app_mention',
    text: `<@${harness.slack.botUserId}> how many rows?`,
    user: HUMAN,
    ts,
    channel: CHANNEL,
    event_ts: ts,
    team: harness.slack.teamId,
    ...(opts.userTeam ? { user_team: opts.userTeam } : {}),
  };
  const res = await harness.send({
    ...loadFixture('message_thread_followup'),
    event,
    event_id: `Ev0SHARED${ts.replace('.', '')}`,
    event_time: Math.floor(Date.now() / 1000),
    is_ext_shared_channel: opts.sharedChannel,
  });
  expect(res.status).toBe(200);
  return ts;
}

describe('access', () => {
  it('refuses a channel outside ALLOWED_CHANNELS once, politely, with no Claude call, no download and no stored text', async () => {
    h = await startHarness({ ALLOWED_CHANNELS: OTHER_CHANNEL });
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from('region,amount\nEMEA,3\n') });
    const ts = await h.mention('sum the amounts', { files: [file] }); // app_mention and its message twin
    const text = await botReplies(h, ts);
    expect(h.thread(ts)).toHaveLength(1);
    expect(text).toContain("I'm not set up to answer in this channel");
    expect(text).toContain('Ask a workspace admin');
    expect(apiCalls(h)).toHaveLength(0);
    expect(h.slack.downloads).toHaveLength(0);
    expect(inboxCount(h)).toBe(0);
    expect(await auditRows(h)).toMatchObject([
      { channelId: CHANNEL, userId: HUMAN, messageTs: ts, outcome: 'refused', reason: 'channel', costUsd: 0 },
    ]);

    // The allowed channel is answered.
    h.anthropic.enqueue(pricedAnswer('3', 1000));
    const ok = await h.message(`<@${h.slack.botUserId}> sum`, { channel: OTHER_CHANNEL });
    expect(await botReplies(h, ok, OTHER_CHANNEL)).toContain('3');
    expect(h.anthropic.messageRequests()).toHaveLength(1);
  });

  it('refuses a user outside ALLOWED_USERS, and lets ADMIN_USERS ask', async () => {
    h = await startHarness({ ALLOWED_USERS: OTHER_HUMAN, ADMIN_USERS: 'U0ADMIN001' });
    const ts = await h.mention('what grew fastest?');
    expect(await botReplies(h, ts)).toContain('Ask a workspace admin to add you to ALLOWED_USERS');
    expect(apiCalls(h)).toHaveLength(0);

    h.anthropic.enqueue(pricedAnswer('EMEA', 1000), pricedAnswer('AMER', 1000));
    const allowed = await h.mention('what grew fastest?', { user: OTHER_HUMAN });
    expect(await botReplies(h, allowed)).toContain('EMEA');
    const admin = await h.mention('and slowest?', { user: 'U0ADMIN001' });
    expect(await botReplies(h, admin)).toContain('AMER');
    expect((await auditRows(h)).map((r) => [r.userId, r.outcome])).toEqual([
      [HUMAN, 'refused'],
      [OTHER_HUMAN, 'answered'],
      ['U0ADMIN001', 'answered'],
    ]);
  });

  it('refuses Slack Connect channels and people from other organisations unless ALLOW_SHARED_CHANNELS', async () => {
    h = await startHarness();
    const shared = await sharedMention(h, { sharedChannel: true });
    expect(await botReplies(h, shared)).toContain('shared with other organisations');
    const guest = await sharedMention(h, { sharedChannel: false, userTeam: 'T09PARTNER0' });
    expect(await botReplies(h, guest)).toContain('ALLOW_SHARED_CHANNELS');
    expect(apiCalls(h)).toHaveLength(0);
    expect((await auditRows(h)).map((r) => r.reason)).toEqual(['shared', 'shared']);
    await h.close();

    h = await startHarness({ ALLOW_SHARED_CHANNELS: 'true' });
    h.anthropic.enqueue(pricedAnswer('12 rows', 1000));
    const allowed = await sharedMention(h, { sharedChannel: true, userTeam: 'T09PARTNER0' });
    expect(await botReplies(h, allowed)).toContain('12 rows');
  });

  it('answers DMs by default and refuses them with ALLOW_DMS=false', async () => {
    h = await startHarness({ ALLOW_DMS: 'false' });
    const dm = await h.message('how many rows?', { channel: 'D07DMCHAN01', channelType: 'im' });
    expect(await botReplies(h, dm, 'D07DMCHAN01')).toContain("I don't answer direct messages here");
    expect(apiCalls(h)).toHaveLength(0);
    await h.close();

    h = await startHarness();
    h.anthropic.enqueue(pricedAnswer('12 rows', 1000));
    const ok = await h.message('how many rows?', { channel: 'D07DMCHAN01', channelType: 'im' });
    expect(await botReplies(h, ok, 'D07DMCHAN01')).toContain('12 rows');
  });
});

describe('budgets, checked before a question starts', () => {
  /** Midnight UTC after now, as the reply prints it. */
  const nextUtc = (monthly: boolean) => {
    const d = new Date();
    const next = monthly
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    return `${new Date(next).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  };

  it('BUDGET_USER_DAILY_USD: says which limit, what was spent, when it resets; no Claude call, no download', async () => {
    h = await startHarness({ BUDGET_USER_DAILY_USD: '0.02' });
    h.anthropic.enqueue(pricedAnswer('first answer', 10_000)); // $0.03
    await botReplies(h, await h.mention('first question'));
    const file = h.slack.hostFile({ name: 'more.csv', content: Buffer.from('a\n1\n') });
    const ts = await h.mention('second question', { files: [file] });
    const text = await botReplies(h, ts);
    expect(text).toContain('your daily budget ($0.02) is used up, $0.03 spent so far');
    expect(text).toContain(`It resets at ${nextUtc(false)}`);
    expect(text).toContain('A workspace admin can raise it');
    expect(h.anthropic.messageRequests()).toHaveLength(1);
    expect(h.anthropic.requests.filter((r) => r.path.startsWith('/v1/files'))).toHaveLength(0);
    expect(h.slack.downloads).toHaveLength(0);
    expect((await auditRows(h)).map((r) => [r.outcome, r.reason])).toEqual([
      ['answered', undefined],
      ['over_budget', 'user_daily'],
    ]);

    // Someone else still has their own daily budget.
    h.anthropic.enqueue(pricedAnswer('their answer', 1000));
    expect(await botReplies(h, await h.mention('mine?', { user: OTHER_HUMAN }))).toContain('their answer');
  });

  it('BUDGET_CHANNEL_MONTHLY_USD counts everyone in the channel, and only that channel', async () => {
    h = await startHarness({ BUDGET_CHANNEL_MONTHLY_USD: '0.02' });
    h.anthropic.enqueue(pricedAnswer('first answer', 10_000));
    await botReplies(h, await h.mention('first question'));
    const ts = await h.mention('mine?', { user: OTHER_HUMAN });
    const text = await botReplies(h, ts);
    expect(text).toContain("this channel's monthly budget ($0.02) is used up");
    expect(text).toContain(`It resets at ${nextUtc(true)}`);
    h.anthropic.enqueue(pricedAnswer('elsewhere', 1000));
    const other = await h.message(`<@${h.slack.botUserId}> here?`, {
      channel: OTHER_CHANNEL,
      user: OTHER_HUMAN,
    });
    expect(await botReplies(h, other, OTHER_CHANNEL)).toContain('elsewhere');
    expect(h.anthropic.messageRequests()).toHaveLength(2);
  });

  it('BUDGET_WORKSPACE_MONTHLY_USD counts every channel', async () => {
    h = await startHarness({ BUDGET_WORKSPACE_MONTHLY_USD: '0.02' });
    h.anthropic.enqueue(pricedAnswer('first answer', 10_000));
    await botReplies(h, await h.mention('first question'));
    const ts = await h.message(`<@${h.slack.botUserId}> here?`, {
      channel: OTHER_CHANNEL,
      user: OTHER_HUMAN,
    });
    expect(await botReplies(h, ts, OTHER_CHANNEL)).toContain(
      "this workspace's monthly budget ($0.02) is used up",
    );
    expect(h.anthropic.messageRequests()).toHaveLength(1);
  });

  it('exempts ADMIN_USERS and workspace admins', async () => {
    h = await startHarness({ BUDGET_USER_DAILY_USD: '0.02', ADMIN_USERS: HUMAN });
    h.slack.setUser({ id: OTHER_HUMAN, is_admin: true });
    h.anthropic.onMessage(() => pricedAnswer('answered', 10_000));
    for (const user of [HUMAN, HUMAN, OTHER_HUMAN, OTHER_HUMAN]) {
      expect(await botReplies(h, await h.mention('again', { user }))).toContain('answered');
    }
    expect(h.anthropic.messageRequests()).toHaveLength(4);
  });
});

describe('MAX_TURN_USD', () => {
  it('sends no further pause_turn continuation once a question costs more, and says the answer was cut short', async () => {
    h = await startHarness({ MAX_TURN_USD: '0.05', ADMIN_USERS: OTHER_HUMAN });
    h.anthropic.onMessage(() => pricedAnswer('still working', 10_000, 'pause_turn')); // $0.03 a segment
    const ts = await h.mention('long job');
    const text = await botReplies(h, ts);
    expect(h.anthropic.messageRequests()).toHaveLength(2); // $0.03, then $0.06 > $0.05: not continued
    expect(text).toContain('I cut this answer short');
    expect(text).toContain('$0.05 limit per question');
    expect(text).not.toContain('continuation limit');
    expect((await auditRows(h))[0]).toMatchObject({ outcome: 'answered', costUsd: expect.closeTo(0.06, 6) });

    // An admin's question runs to MAX_PAUSE_CONTINUATIONS (5) as before.
    await botReplies(h, await h.mention('long job', { user: OTHER_HUMAN }));
    expect(h.anthropic.messageRequests()).toHaveLength(2 + 6);
  });
});

describe('the audit log', () => {
  it('keeps one row per question with tokens, runs, files and cost; forget keeps the numbers and drops the names', async () => {
    h = await startHarness({ CONTAINER_FREE_HOURS_PER_MONTH: '0' }); // container time billed from the first minute
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_a1', 'python sum.py'),
        blocks.bashResult('srvtoolu_a1', { stdout: '', returnCode: 1, stderr: 'boom' }),
        blocks.bash('srvtoolu_a2', 'python sum.py'),
        blocks.bashResult('srvtoolu_a2', { stdout: '3\n' }),
        blocks.text('The total is 3.'),
      ],
      usage: {
        input_tokens: 1000,
        output_tokens: 200,
        cache_read_input_tokens: 4000,
        cache_creation_input_tokens: 3000,
        cache_creation: { ephemeral_1h_input_tokens: 2000, ephemeral_5m_input_tokens: 1000 },
      },
    });
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from('region,amount\nEMEA,3\n') });
    const ts = await h.mention('sum the amounts', { files: [file] });
    await botReplies(h, ts);
    const [row] = await auditRows(h);
    // 1000 + 4000 × 0.1 + 1000 × 1.25 + 2000 × 2 = 6650 input units × $3/M, 200 × $15/M, 5 container minutes × $0.05/h.
    const expected = (6650 * 3 + 200 * 15) / 1e6 + (5 / 60) * 0.05;
    expect(row).toMatchObject({
      teamId: h.slack.teamId,
      channelId: CHANNEL,
      threadTs: ts,
      messageTs: ts,
      userId: HUMAN,
      model: 'claude-sonnet-5-5',
      usage: {
        inputTokens: 1000,
        outputTokens: 200,
        cacheReadInputTokens: 4000,
        cacheCreationInputTokens: 3000,
        cacheCreation1hInputTokens: 2000,
      },
      containerMinutes: 5,
      codeRuns: 2,
      failedRuns: 1,
      files: [{ name: 'sales.csv', sizeBytes: 21 }],
      outcome: 'answered',
    });
    expect(row!.costUsd).toBeCloseTo(expected, 9);

    await h.message(`<@${h.slack.botUserId}> forget`, { threadTs: ts });
    await h.settle();
    const after = await auditRows(h);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      costUsd: row!.costUsd,
      codeRuns: 2,
      files: [{ name: '', sizeBytes: 21 }],
    });
    const raw = JSON.stringify(h.bot.store.sql.sqlite!.prepare('SELECT * FROM audit').all());
    expect(raw).not.toContain('sales.csv');
    expect(raw).not.toContain('sum the amounts');
  });
});

describe('retention', () => {
  it('the RETENTION_DAYS sweep forgets an idle thread and keeps its audit row, numbers and ids only', async () => {
    h = await startHarness({ RETENTION_DAYS: '7' });
    h.anthropic.enqueue(pricedAnswer('3', 10_000));
    const file = h.slack.hostFile({ name: 'payroll.csv', content: Buffer.from('name,pay\nAda,3\n') });
    const ts = await h.mention('total pay?', { files: [file] });
    await botReplies(h, ts);
    const eightDaysAgo = Date.now() - 8 * 86_400_000;
    h.bot.store.sql.sqlite!.prepare('UPDATE threads SET updated_at = ?').run(eightDaysAgo);
    expect(await h.bot.sweepRetention()).toBe(1);

    const db = h.bot.store.sql.sqlite!;
    expect(db.prepare('SELECT COUNT(*) AS n FROM threads').get()).toEqual({ n: 0 });
    const rows = JSON.stringify(db.prepare('SELECT * FROM audit').all());
    const inbox = JSON.stringify(db.prepare('SELECT * FROM inbox').all());
    for (const stored of [rows, inbox]) {
      expect(stored).not.toContain('payroll.csv');
      expect(stored).not.toContain('total pay?');
    }
    expect(await auditRows(h)).toMatchObject([
      { outcome: 'answered', costUsd: 0.03, files: [{ name: '', sizeBytes: 15 }] },
    ]);
  });
});

describe('App Home', () => {
  const homeOpened = (user: string) => ({
    ...loadFixture('message_thread_followup'),
    event: { type: 'app_home_opened', user, channel: 'D07HOMEDM01', tab: 'home', event_ts: nextTs() },
    event_id: `Ev0GOVHOME${Math.random().toString(36).slice(2, 10)}`,
    event_time: Math.floor(Date.now() / 1000),
  });
  async function publishedFor(harness: Harness, user: string): Promise<string> {
    const before = harness.slack.callsTo('views.publish').length;
    await harness.send(homeOpened(user));
    const deadline = Date.now() + 5_000;
    while (harness.slack.callsTo('views.publish').length === before) {
      if (Date.now() > deadline) throw new Error('no views.publish');
      await new Promise((r) => setTimeout(r, 20));
    }
    const call = harness.slack.callsTo('views.publish').at(-1)!;
    expect(call.params.user_id).toBe(user);
    return JSON.stringify((call.params.view as { blocks: unknown[] }).blocks);
  }

  it('shows admins this month against each budget, top people and channels, and refusals; others their own day', async () => {
    h = await startHarness({
      ADMIN_USERS: 'U0ADMIN001',
      ALLOWED_USERS: `${HUMAN},${OTHER_HUMAN}`,
      BUDGET_USER_DAILY_USD: '1',
      BUDGET_WORKSPACE_MONTHLY_USD: '50',
      RETENTION_DAYS: '14',
    });
    h.anthropic.enqueue(pricedAnswer('answered', 100_000)); // $0.30
    await botReplies(h, await h.mention('first question'));
    await botReplies(h, await h.mention('who am I?', { user: 'U0STRANGER' }));

    const admin = await publishedFor(h, 'U0ADMIN001');
    expect(admin).toContain('Spend this month');
    expect(admin).toContain('Workspace, this month: *$0.30* of $50.00');
    expect(admin).toContain('Busiest channel, this month: *$0.30* (no limit)');
    expect(admin).toContain('Busiest person, today: *$0.30* of $1.00');
    expect(admin).toContain(`<@${HUMAN}> — *$0.30* · 1 question`);
    expect(admin).toContain(`<#${CHANNEL}> — *$0.30* · 1 question`);
    expect(admin).toMatch(/<@U0STRANGER> · <!date\^\d+\^[^>]*> · refused \(`user`\)/);

    const own = await publishedFor(h, HUMAN);
    expect(own).toContain('Your usage today');
    expect(own).toContain('1 question today, ≈ $0.30 estimated; your daily limit is $1.00');
    expect(own).toContain('after 14 days without activity');
    expect(own).toContain('never message text');
    expect(own).not.toContain('Spend this month');
    expect(own).not.toContain('U0STRANGER');
  });
});
