import type { App } from '@slack/bolt';
import type { ListenerDeps } from './deps.js';
import { toThreadMessage } from './thread-message.js';

/** `@Analyst …` in a channel: starts or continues the bot's part in that thread. */
export function registerAppMention(app: App, deps: ListenerDeps): void {
  app.event('app_mention', async ({ event, body, context }) => {
    const msg = toThreadMessage(
      { ...event, files: event.files },
      {
        teamId: context.teamId ?? body.team_id,
        botUserId: context.botUserId ?? '',
        eventId: body.event_id,
        sharedChannel: body.is_ext_shared_channel,
      },
    );
    if (msg) await deps.receive(msg);
  });
}
