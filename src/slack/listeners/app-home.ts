import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../log.js';
import type { OwnUsage, Reports, SpendOverview } from '../../ports.js';
import type { AdminCheck } from '../admins.js';
import { slackErrorCode } from '../errors.js';
import { type AdminReport, buildHomeView } from '../home-view.js';

export interface AppHomeDeps {
  reports: Reports;
  isAdmin: AdminCheck;
  /** 👍/👎 counts of one workspace's answers. */
  feedbackCounts: (teamId: string) => Promise<{ up: number; down: number }>;
  log: Logger;
  /** Spend against the budgets: the workspace's for admins, the viewer's own for everyone else. */
  spend?: {
    overview(teamId: string): Promise<SpendOverview>;
    own(teamId: string, userId: string, admin: boolean): Promise<OwnUsage>;
  };
  retentionDays?: number;
}

const RECENT_FAILURES = 10;

/**
 * Publishes the Home tab whenever someone opens it. Usage and failures are added only for workspace admins and
 * owners (`users.info`); when that cannot be checked (missing `users:read`, an error), the user is treated as
 * not an admin.
 */
export function registerAppHome(app: App, deps: AppHomeDeps): void {
  app.event('app_home_opened', async ({ event, body, client, context }) => {
    if (event.tab !== 'home') return;
    const teamId = context.teamId ?? body.team_id;
    const botUserId = context.botUserId;
    // HTTP mode holds the HTTP response until the listener returns; nothing here needs to happen before it.
    void publishHome(client, deps, { userId: event.user, teamId, botUserId }).catch((err: unknown) =>
      deps.log.warn({ code: slackErrorCode(err) }, 'could not publish the Home tab'),
    );
  });
}

async function publishHome(
  client: WebClient,
  deps: AppHomeDeps,
  who: { userId: string; teamId: string; botUserId: string | undefined },
): Promise<void> {
  let admin: AdminReport | undefined;
  if (await deps.isAdmin(who.userId)) {
    admin = {
      usage: await deps.reports.usageByChannel(who.teamId),
      failures: await deps.reports.recentFailures(who.teamId, RECENT_FAILURES),
      spend: await deps.spend?.overview(who.teamId),
      feedback: await deps.feedbackCounts(who.teamId),
    };
  }
  const own = admin ? undefined : await deps.spend?.own(who.teamId, who.userId, false);
  await client.views.publish({
    user_id: who.userId,
    view: buildHomeView({ botUserId: who.botUserId, admin, own, retentionDays: deps.retentionDays }),
  });
}
