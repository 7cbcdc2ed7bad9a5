import type { App } from '@slack/bolt';
import { messageKeyValue, type ThreadRef, threadKeyOf } from '../../domain.js';
import type { ListenerDeps } from './deps.js';

/**
 * Slack's own stop control on an agent session (the bot marks a thread's session `processing` while it answers):
 * stops the thread's running answer exactly like the Stop button — the Claude request is aborted, the sandbox kept —
 * when the person who clicked asked it, or is an admin.
 */
export function registerAgentSessionStop(app: App, deps: ListenerDeps): void {
  app.event('agent_session_stopped', async ({ event, body, context }) => {
    const thread = {
      teamId: context.teamId ?? body.team_id,
      channelId: event.channel,
      threadTs: event.thread_ts,
    };
    // HTTP mode holds Slack's response until the listener returns: the lookups run after it.
    void stopThread(deps, thread, event.user).catch((err: unknown) =>
      deps.log.error({ err }, 'could not stop an answer from the agent session'),
    );
  });
}

async function stopThread(deps: ListenerDeps, thread: ThreadRef, user: string): Promise<void> {
  for (const key of await deps.runningIn(threadKeyOf(thread))) {
    const asker = await deps.askerOf(key.channelId, key.messageTs);
    if (asker !== user && !(await deps.isAdmin(user))) {
      deps.log.info({ user }, "Slack's stop refused: neither the asker nor an admin");
      continue;
    }
    const stopped = await deps.stop(messageKeyValue(key));
    deps.log.info({ stopped, user }, "stop requested with Slack's own control");
  }
}
