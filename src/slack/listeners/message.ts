import type { App } from '@slack/bolt';
import type { ListenerDeps } from './deps.js';
import { type IncomingEvent, toThreadMessage } from './thread-message.js';

/** Thread follow-ups, DMs and file shares; the twin of every mention arrives here too and is deduplicated. */
export function registerMessage(app: App, deps: ListenerDeps): void {
  app.message(async ({ message, body, context }) => {
    const msg = toThreadMessage(message as IncomingEvent, {
      teamId: context.teamId ?? body.team_id,
      botUserId: context.botUserId ?? '',
      eventId: body.event_id,
      sharedChannel: body.is_ext_shared_channel,
    });
    if (msg) await deps.receive(msg);
  });
}
