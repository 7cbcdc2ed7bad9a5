import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import { slackErrorCode } from './errors.js';

/** A definite answer is reused this long: a click storm costs one `users.info` per user (Tier 4). */
const ADMIN_CACHE_MS = 60_000;

export type AdminCheck = (userId: string) => Promise<boolean>;

/**
 * Workspace admins and owners, per `users.info`. Any doubt (an error, a missing `users:read` scope, an unknown or
 * deactivated user) means no; doubts are not cached, so the next click asks again.
 */
export function createAdminCheck(client: WebClient, log: Logger, cacheMs = ADMIN_CACHE_MS): AdminCheck {
  const known = new Map<string, { admin: boolean; at: number }>();
  return async (userId) => {
    const cached = known.get(userId);
    if (cached && Date.now() - cached.at < cacheMs) return cached.admin;
    try {
      const { user } = await client.users.info({ user: userId });
      const admin = Boolean(
        user && !user.deleted && (user.is_admin || user.is_owner || user.is_primary_owner),
      );
      known.set(userId, { admin, at: Date.now() });
      return admin;
    } catch (err) {
      log.debug({ code: slackErrorCode(err) }, 'users.info failed; treating the user as not an admin');
      return false;
    }
  };
}
