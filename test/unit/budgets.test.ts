import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { ThreadMessage } from '../../src/domain.js';
import { accessRefusal, createBudgetCheck, utcDay, utcMonth } from '../../src/governance.js';
import { estimateCost, noTokens } from '../../src/pricing.js';
import { createStore, openDatabase, type Store } from '../../src/store/index.js';

const PRICES = { inputPerMTok: 3, outputPerMTok: 15, containerPerHour: 0.05 };

describe('cost arithmetic', () => {
  it('prices cache reads at 0.1×, 5-minute writes at 1.25× and 1-hour writes at 2× the input price', () => {
    const usd = (u: Partial<ReturnType<typeof noTokens>>) => estimateCost(PRICES, { ...noTokens(), ...u });
    expect(usd({ inputTokens: 1_000_000 })).toBeCloseTo(3, 9);
    expect(usd({ outputTokens: 1_000_000 })).toBeCloseTo(15, 9);
    expect(usd({ cacheReadInputTokens: 1_000_000 })).toBeCloseTo(0.3, 9);
    expect(usd({ cacheCreationInputTokens: 1_000_000 })).toBeCloseTo(3.75, 9);
    expect(usd({ cacheCreationInputTokens: 1_000_000, cacheCreation1hInputTokens: 1_000_000 })).toBeCloseTo(
      6,
      9,
    );
    // 400k written for 5 minutes, 600k for an hour.
    expect(usd({ cacheCreationInputTokens: 1_000_000, cacheCreation1hInputTokens: 600_000 })).toBeCloseTo(
      0.4 * 3.75 + 0.6 * 6,
      9,
    );
  });
});

describe('budget periods (UTC)', () => {
  it('a day runs from midnight UTC; a month from the 1st, across the year end', () => {
    const t = Date.parse('2026-12-31T23:59:59.999Z');
    expect(utcDay(t)).toEqual({
      start: Date.parse('2026-12-31T00:00:00Z'),
      end: Date.parse('2027-01-01T00:00:00Z'),
    });
    expect(utcMonth(t)).toEqual({
      start: Date.parse('2026-12-01T00:00:00Z'),
      end: Date.parse('2027-01-01T00:00:00Z'),
    });
    expect(utcMonth(Date.parse('2027-02-10T05:00:00Z')).end).toBe(Date.parse('2027-03-01T00:00:00Z'));
  });
});

const msg = (over: Partial<ThreadMessage> = {}): ThreadMessage => ({
  teamId: 'T1',
  channelId: 'C1',
  threadTs: '1.0',
  messageTs: '1.0',
  userId: 'U1',
  text: 'q',
  files: [],
  addressed: true,
  isDirectMessage: false,
  ...over,
});

describe('access rules', () => {
  const open = {
    allowedChannels: [],
    allowedUsers: [],
    allowDms: true,
    allowSharedChannels: false,
    adminUsers: [],
  };
  it('empty lists allow everyone everywhere; shared channels are off by default', () => {
    expect(accessRefusal(open, msg())).toBeNull();
    expect(accessRefusal(open, msg({ external: true }))?.reason).toBe('shared');
    expect(accessRefusal({ ...open, allowSharedChannels: true }, msg({ external: true }))).toBeNull();
  });
  it('ALLOWED_CHANNELS governs channels, ALLOW_DMS governs DMs', () => {
    const rules = { ...open, allowedChannels: ['C2'] };
    expect(accessRefusal(rules, msg())?.reason).toBe('channel');
    expect(accessRefusal(rules, msg({ channelId: 'C2' }))).toBeNull();
    expect(accessRefusal(rules, msg({ channelId: 'D9', isDirectMessage: true }))).toBeNull();
    expect(
      accessRefusal({ ...rules, allowDms: false }, msg({ channelId: 'D9', isDirectMessage: true }))?.reason,
    ).toBe('dm');
  });
  it('ALLOWED_USERS admits its users and ADMIN_USERS', () => {
    const rules = { ...open, allowedUsers: ['U2'], adminUsers: ['U3'] };
    expect(accessRefusal(rules, msg())?.reason).toBe('user');
    expect(accessRefusal(rules, msg({ userId: 'U2' }))).toBeNull();
    expect(accessRefusal(rules, msg({ userId: 'U3' }))).toBeNull();
  });
});

describe('budget checks', () => {
  let store: Store;
  afterEach(() => store.close());
  const NOW = Date.parse('2026-11-20T12:00:00Z');
  const spend = (at: string, costUsd: number, over: Partial<ThreadMessage> = {}) =>
    store.audit.record({ ...msg(over), files: [], at: Date.parse(at), costUsd, outcome: 'answered' });
  const check = (budgets: Parameters<typeof createBudgetCheck>[0]['budgets'], admins: string[] = []) =>
    createBudgetCheck({ store, budgets, isAdmin: async (u) => admins.includes(u), now: () => NOW });

  it('counts only the period, the scope and the workspace of each limit', async () => {
    store = createStore(openDatabase(':memory:'));
    await spend('2026-11-19T23:59:00Z', 5); // yesterday: not in today's user budget
    await spend('2026-11-20T01:00:00Z', 0.5);
    await spend('2026-11-20T02:00:00Z', 9, { teamId: 'T2' }); // another workspace
    await spend('2026-10-31T23:00:00Z', 50); // last month
    const user = check({ userDailyUsd: 1 });
    expect(await user.overBudget(msg())).toBeNull();
    await spend('2026-11-20T03:00:00Z', 0.5, { channelId: 'C2' });
    const over = await user.overBudget(msg());
    expect(over?.reason).toBe('user_daily');
    expect(over?.text).toContain('$1.00 spent so far');
    expect(over?.text).toContain('resets at 2026-11-21 00:00 UTC');
    expect(await user.overBudget(msg({ userId: 'U2' }))).toBeNull();

    const channel = check({ channelMonthlyUsd: 5.5 }); // 5 + 0.5 in C1 this month;
    expect(await channel.overBudget(msg({ userId: 'U2' }))).toMatchObject({ reason: 'channel_monthly' });
    expect(await channel.overBudget(msg({ channelId: 'C3' }))).toBeNull();
    const workspace = check({ workspaceMonthlyUsd: 6 }); // 5 + 0.5 + 0.5 in T1;
    expect((await workspace.overBudget(msg({ channelId: 'C3' })))?.text).toContain(
      'resets at 2026-12-01 00:00 UTC',
    );
    expect(await workspace.overBudget(msg({ teamId: 'T3' }))).toBeNull();
  });

  it('exempts admins from budgets and from MAX_TURN_USD', async () => {
    store = createStore(openDatabase(':memory:'));
    await spend('2026-11-20T01:00:00Z', 3);
    const budgets = check({ userDailyUsd: 1, maxTurnUsd: 0.5 }, ['U1']);
    expect(await budgets.overBudget(msg())).toBeNull();
    expect(await budgets.turnCeiling(msg())).toBeUndefined();
    expect(await budgets.turnCeiling(msg({ userId: 'U2' }))).toBe(0.5);
  });
});

describe('configuration', () => {
  const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret-123456', ANTHROPIC_API_KEY: 'k' };
  it('reads id lists separated by commas or spaces, and unset limits as none', () => {
    const c = loadConfig({
      ...base,
      ALLOWED_CHANNELS: 'C1, C2 G3',
      ADMIN_USERS: '',
      BUDGET_USER_DAILY_USD: '2.5',
    });
    expect(c.ALLOWED_CHANNELS).toEqual(['C1', 'C2', 'G3']);
    expect(c.ADMIN_USERS).toEqual([]);
    expect(c.BUDGET_USER_DAILY_USD).toBe(2.5);
    expect(c.MAX_TURN_USD).toBeUndefined();
    expect([c.ALLOW_DMS, c.ALLOW_SHARED_CHANNELS]).toEqual([true, false]);
  });
  it('names a channel name given instead of an id, and a limit that is not a positive number', () => {
    expect(() => loadConfig({ ...base, ALLOWED_CHANNELS: '#general', MAX_TURN_USD: '0' })).toThrow(
      /ALLOWED_CHANNELS must list Slack ids[\s\S]*MAX_TURN_USD must be above 0/,
    );
  });
});
