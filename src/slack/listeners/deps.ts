import type { ThreadMessage } from '../../domain.js';
import type { ActionDeps } from './actions.js';

/** What the event listeners need from the application, given by the composition root. */
export interface ListenerDeps extends ActionDeps {
  /** Fast: records the message and queues it; awaited before the ack, and nothing slow happens before it. */
  receive: (msg: ThreadMessage) => Promise<boolean>;
}
