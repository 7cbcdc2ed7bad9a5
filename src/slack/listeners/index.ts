import type { App } from '@slack/bolt';
import { registerActions } from './actions.js';
import { registerAgentSessionStop } from './agent-session.js';
import { registerAppMention } from './app-mention.js';
import type { ListenerDeps } from './deps.js';
import { registerMessage } from './message.js';

export type { ListenerDeps } from './deps.js';

export function registerListeners(app: App, deps: ListenerDeps): void {
  registerAppMention(app, deps);
  registerMessage(app, deps);
  registerActions(app, deps);
  registerAgentSessionStop(app, deps);
}
