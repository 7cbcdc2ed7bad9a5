import type { ThreadMessage } from '../../domain.js';
import type { ActionDeps } from './actions.js';

/** What the event listeners need from the application, given by the composition root. */
export interface ListenerDeps extends ActionDeps {
  /** Fast: records the message and queues it; awaited before the ack, and nothing slow happens before it. */
  receive: (msg: ThreadMessage) => Promise<boolean>;
  /** The thread's messages being answered now, for Slack's own stop control on its agent session. */
  runningIn: (threadKey: string) => Promise<{ channelId: string; messageTs: string }[]>;
}
