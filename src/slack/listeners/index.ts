import type { App } from '@slack/bolt';
import type { ThreadMessage } from '../../domain.js';
import { type ActionDeps, registerActions } from './actions.js';
import { registerAppMention } from './app-mention.js';
import { registerMessage } from './message.js';

export interface ListenerDeps extends ActionDeps {
  /** Fast and synchronous: records the message and queues it; nothing slow happens before the ack. */
  receive: (msg: ThreadMessage) => boolean;
}

export function registerListeners(app: App, deps: ListenerDeps): void {
  registerAppMention(app, deps);
  registerMessage(app, deps);
  registerActions(app, deps);
}
