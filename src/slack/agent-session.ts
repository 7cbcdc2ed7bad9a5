import type { WebClient } from '@slack/web-api';
import type { ThreadMessage } from '../domain.js';
import type { Logger } from '../log.js';
import { slackErrorCode } from './errors.js';

/**
 * Slack's agent session of a thread the bot answers in: `processing` while it works, which shows Slack's own stop
 * control (a click sends `agent_session_stopped`), and `active` when it is done, which Slack does not do by itself.
 * Only apps declared as agents have sessions: the first refusal turns the calls off for this process, so any other
 * app pays one failed call, not two per question. A rate limit is not a refusal.
 */
export function createAgentSessions(client: WebClient, log: Logger) {
  let available = true;
  async function setStatus(msg: ThreadMessage, status: 'processing' | 'active'): Promise<void> {
    if (!available) return;
    try {
      await client.agents.sessions.setStatus({
        channel_id: msg.channelId,
        thread_ts: msg.threadTs,
        status,
        ...(status === 'processing' ? { initiator_user_id: msg.userId } : {}),
      });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === 'ratelimited') return;
      available = false;
      log.info(
        { code },
        "agent sessions are not available to this app; Slack's own stop shows on streams only",
      );
    }
  }
  return {
    working: (msg: ThreadMessage) => setStatus(msg, 'processing'),
    done: (msg: ThreadMessage) => setStatus(msg, 'active'),
  };
}
