import type { App, BlockButtonAction } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { ACTIONS, parseMessageKey } from '../actions.js';

export interface ActionDeps {
  stop: (key: string) => boolean;
  retry: (channelId: string, messageTs: string) => boolean;
  log: Logger;
}

/** Stop and Retry buttons. A button only acts on a message in the channel it was clicked in. */
export function registerActions(app: App, deps: ActionDeps): void {
  app.action<BlockButtonAction>(ACTIONS.stop, async ({ ack, action, body }) => {
    await ack();
    const key = parseMessageKey(action.value ?? '');
    if (key?.channelId !== body.channel?.id) return;
    const stopped = deps.stop(action.value!);
    deps.log.info({ stopped, user: body.user.id }, 'stop requested');
  });

  app.action<BlockButtonAction>(ACTIONS.retry, async ({ ack, action, body, client }) => {
    await ack();
    const key = parseMessageKey(action.value ?? '');
    if (!key || key.channelId !== body.channel?.id) return;
    if (!deps.retry(key.channelId, key.messageTs)) {
      await client.chat
        .postEphemeral({
          channel: key.channelId,
          user: body.user.id,
          thread_ts: body.message?.thread_ts ?? key.messageTs,
          text: 'That question is already being answered.',
        })
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'could not post ephemeral'));
    }
  });
}
