import type { ThreadMessage } from '../../domain.js';
import type { ActionDeps } from './actions.js';

/** What the event listeners need from the application, given by the composition root. */
export interface ListenerDeps extends ActionDeps {
  /** Fast and synchronous: records the message and queues it; nothing slow happens before the ack. */
  receive: (msg: ThreadMessage) => boolean;
}
