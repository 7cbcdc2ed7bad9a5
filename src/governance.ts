import type { ThreadMessage } from './domain.js';
import type { OwnUsage, SpendOverview } from './ports.js';
import { formatUsd } from './pricing.js';
import type { Store } from './store/index.js';
import { GOVERNANCE } from './text/wording.js';

/** Who may ask where, from the configuration; empty lists mean no restriction. */
export interface AccessRules {
  allowedChannels: readonly string[];
  allowedUsers: readonly string[];
  allowDms: boolean;
  allowSharedChannels: boolean;
  adminUsers: readonly string[];
}

/** Spend limits in USD; undefined means no limit. */
export interface Budgets {
  userDailyUsd?: number | undefined;
  channelMonthlyUsd?: number | undefined;
  workspaceMonthlyUsd?: number | undefined;
  maxTurnUsd?: number | undefined;
}

/** A question the bot will not take or start: the reply, and a short code for the audit log. */
export interface Refusal {
  reason: string;
  text: string;
}

/**
 * Whether a message may be answered at all. Synchronous and free: it runs before the message is recorded, so a
 * refused question leaves only its audit row. Bot admins (ADMIN_USERS) pass the user list; workspace admins need
 * an API call and so are not consulted here.
 */
export function accessRefusal(rules: AccessRules, msg: ThreadMessage): Refusal | null {
  if (msg.external && !rules.allowSharedChannels) return { reason: 'shared', text: GOVERNANCE.sharedOff };
  if (msg.isDirectMessage) {
    if (!rules.allowDms) return { reason: 'dm', text: GOVERNANCE.dmsOff };
  } else if (rules.allowedChannels.length > 0 && !rules.allowedChannels.includes(msg.channelId)) {
    return { reason: 'channel', text: GOVERNANCE.channelNotAllowed };
  }
  if (
    rules.allowedUsers.length > 0 &&
    !rules.allowedUsers.includes(msg.userId) &&
    !rules.adminUsers.includes(msg.userId)
  ) {
    return { reason: 'user', text: GOVERNANCE.userNotAllowed };
  }
  return null;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Midnight UTC of `now`'s day, and of the next day. */
export const utcDay = (now: number) => {
  const start = Math.floor(now / DAY_MS) * DAY_MS;
  return { start, end: start + DAY_MS };
};
/** The first moment of `now`'s month in UTC, and of the next month. */
export const utcMonth = (now: number) => {
  const d = new Date(now);
  return {
    start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
};
const formatReset = (ms: number) => `at ${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export interface BudgetDeps {
  store: Pick<Store, 'audit'>;
  budgets: Budgets;
  /** Bot admins and workspace admins/owners: exempt from every limit. */
  isAdmin: (userId: string) => Promise<boolean>;
  now?: () => number;
}

/**
 * Budgets: checked before a question starts (no Claude call, no download when over), and the per-question
 * ceiling the turn passes to Claude's pause_turn loop. Spend is what the audit log recorded.
 */
export function createBudgetCheck(deps: BudgetDeps) {
  const { budgets } = deps;
  const now = deps.now ?? Date.now;
  return {
    /** The first limit the asker, channel or workspace has used up, or null. */
    async overBudget(msg: ThreadMessage): Promise<Refusal | null> {
      const limits = [
        {
          reason: 'user_daily',
          name: 'your daily budget',
          cap: budgets.userDailyUsd,
          period: utcDay,
          scope: { userId: msg.userId },
        },
        {
          reason: 'channel_monthly',
          name: "this channel's monthly budget",
          cap: budgets.channelMonthlyUsd,
          period: utcMonth,
          scope: { channelId: msg.channelId },
        },
        {
          reason: 'workspace_monthly',
          name: "this workspace's monthly budget",
          cap: budgets.workspaceMonthlyUsd,
          period: utcMonth,
          scope: {},
        },
      ];
      if (limits.every((l) => l.cap === undefined)) return null;
      if (await deps.isAdmin(msg.userId)) return null;
      const at = now();
      for (const l of limits) {
        if (l.cap === undefined) continue;
        const { start, end } = l.period(at);
        const spent = await deps.store.audit.spent({ teamId: msg.teamId, since: start, ...l.scope });
        if (spent >= l.cap) {
          return {
            reason: l.reason,
            text: GOVERNANCE.overBudget(l.name, formatUsd(spent), formatUsd(l.cap), formatReset(end)),
          };
        }
      }
      return null;
    },
    /** This month's spend of a workspace against each budget, its top users and channels, what was turned away. */
    async overview(teamId: string): Promise<SpendOverview> {
      const at = now();
      const month = utcMonth(at).start;
      const { audit } = deps.store;
      const highest = (rows: { costUsd: number }[]) => rows[0]?.costUsd ?? 0;
      const budgetLines: SpendOverview['budgets'] = [
        {
          label: 'Workspace, this month',
          spentUsd: await audit.spent({ teamId, since: month }),
          capUsd: budgets.workspaceMonthlyUsd,
        },
        {
          label: 'Busiest channel, this month',
          spentUsd: highest(await audit.top('channel', teamId, month, 1)),
          capUsd: budgets.channelMonthlyUsd,
        },
        {
          label: 'Busiest person, today',
          spentUsd: highest(await audit.top('user', teamId, utcDay(at).start, 1)),
          capUsd: budgets.userDailyUsd,
        },
      ];
      return {
        budgets: budgetLines,
        topUsers: await audit.top('user', teamId, month),
        topChannels: await audit.top('channel', teamId, month),
        recent: (await audit.recentTurnedAway(teamId)).map((e) => ({
          channelId: e.channelId,
          userId: e.userId,
          at: e.at,
          outcome: e.outcome,
          reason: e.reason,
        })),
      };
    },
    /** One person's spend today against their daily limit (none for admins). */
    async own(teamId: string, userId: string, admin: boolean): Promise<OwnUsage> {
      const today = utcDay(now()).start;
      return {
        questionsToday: await deps.store.audit.questionsSince(teamId, userId, today),
        spentTodayUsd: await deps.store.audit.spent({ teamId, userId, since: today }),
        dailyCapUsd: admin ? undefined : budgets.userDailyUsd,
      };
    },
    /** MAX_TURN_USD for this asker; undefined for admins or when unset. */
    async turnCeiling(msg: ThreadMessage): Promise<number | undefined> {
      if (budgets.maxTurnUsd === undefined || (await deps.isAdmin(msg.userId))) return undefined;
      return budgets.maxTurnUsd;
    },
  };
}
export type BudgetCheck = ReturnType<typeof createBudgetCheck>;
