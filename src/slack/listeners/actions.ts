import type { App, BlockAction, BlockButtonAction, FeedbackButtonsAction } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { parseMessageKey, type ThreadMessage, threadKeyOf } from '../../domain.js';
import type { Logger } from '../../log.js';
import { FEEDBACK, FOLLOW_UPS } from '../../text/wording.js';
import { ACTIONS, button, parseFeedback } from '../actions.js';
import type { AdminCheck } from '../admins.js';
import { slackErrorCode } from '../errors.js';
import { askFollowUp, FOLLOW_UP_ACTION } from '../followups.js';

export interface ActionDeps {
  /** Stops a running message here or, through the database, on the replica running it. */
  stop: (key: string) => Promise<boolean>;
  retry: (channelId: string, messageTs: string) => Promise<boolean>;
  /** Who asked the message a button acts on (from the inbox); undefined for a message the bot does not have. */
  askerOf: (channelId: string, messageTs: string) => Promise<string | undefined>;
  isAdmin: AdminCheck;
  /** Takes a question into the thread's queue, exactly as a typed message (intake.receive). */
  receive: (msg: ThreadMessage) => Promise<boolean>;
  /** The access rules for a clicked question before it is posted (intake.screen); a refusal is audited. */
  screen: (msg: ThreadMessage) => Promise<{ text: string } | null>;
  /** Stores a 👍/👎 on an answer; the person's latest click wins. */
  rate: (f: { turnId: string; userId: string; rating: 'up' | 'down'; threadKey: string }) => Promise<void>;
  log: Logger;
}

type MessageKey = NonNullable<ReturnType<typeof parseMessageKey>>;

/**
 * Stop and Retry buttons. A button only acts on a message in the channel it was clicked in, and only for the person
 * who asked it or a workspace admin; anyone else is told so in a note only they see.
 */
export function registerActions(app: App, deps: ActionDeps): void {
  /** Runs `act` if `body.user` may: the asker (from the inbox) or an admin (users.info is a call). */
  async function guarded(
    body: BlockButtonAction,
    client: WebClient,
    key: MessageKey,
    verb: 'stop' | 'retry',
    act: () => Promise<void> | void,
  ): Promise<void> {
    const user = body.user.id;
    const run = () =>
      Promise.resolve(act()).catch((err: unknown) => deps.log.error({ err, action: verb }, 'button failed'));
    let asker: string | undefined;
    try {
      asker = await deps.askerOf(key.channelId, key.messageTs);
    } catch (err) {
      deps.log.warn({ err, action: verb }, 'could not look up who asked; only admins may act');
    }
    if (asker === user) {
      void run();
      return;
    }
    // HTTP mode holds the response until the listener returns (processBeforeResponse): nothing slow before it.
    void deps.isAdmin(user).then(async (admin) => {
      if (admin) return run();
      deps.log.info({ user, action: verb }, 'button refused: neither the asker nor an admin');
      await ephemeral(
        client,
        deps.log,
        body,
        key,
        `Only the person who asked this question, or a workspace admin, can ${verb} it.`,
      );
    });
  }

  app.action<BlockButtonAction>(ACTIONS.stop, async ({ ack, action, body, client }) => {
    await ack();
    const key = parseMessageKey(action.value ?? '');
    if (!key || key.channelId !== body.channel?.id) return;
    await guarded(body, client, key, 'stop', async () => {
      const stopped = await deps.stop(action.value!);
      deps.log.info({ stopped, user: body.user.id }, 'stop requested');
    });
  });

  app.action<BlockButtonAction>(ACTIONS.retry, async ({ ack, action, body, client }) => {
    await ack();
    const key = parseMessageKey(action.value ?? '');
    if (!key || key.channelId !== body.channel?.id) return;
    await guarded(body, client, key, 'retry', async () => {
      if (!(await deps.retry(key.channelId, key.messageTs))) {
        await ephemeral(client, deps.log, body, key, 'That question is already being answered.');
      }
    });
  });

  // 👍/👎 under an answer: anyone in the channel may rate; acknowledged to the clicker only, and a 👎 from the
  // person who asked offers Retry (the Retry button itself checks who clicks).
  app.action<BlockAction<FeedbackButtonsAction>>(ACTIONS.feedback, async ({ ack, action, body, client }) => {
    await ack();
    const click = parseFeedback(action.value ?? '');
    const key = click && parseMessageKey(click.messageKey);
    const teamId = body.team?.id ?? body.user.team_id;
    if (!click || !key || key.channelId !== body.channel?.id || !teamId) return;
    const user = body.user.id;
    const threadTs = body.message?.thread_ts ?? key.messageTs;
    try {
      await deps.rate({
        turnId: click.turnId,
        userId: user,
        rating: click.rating,
        threadKey: threadKeyOf({ teamId, channelId: key.channelId, threadTs }),
      });
    } catch (err) {
      deps.log.error({ err, action: 'feedback' }, 'could not store feedback');
      await ephemeral(client, deps.log, body, key, FEEDBACK.notSaved);
      return;
    }
    deps.log.info({ rating: click.rating, turnId: click.turnId }, 'answer rated');
    let asker: string | undefined;
    try {
      asker = await deps.askerOf(key.channelId, key.messageTs);
    } catch {
      asker = undefined; // no Retry offered; the rating is stored
    }
    if (click.rating === 'down' && asker === user) {
      await ephemeral(client, deps.log, body, key, FEEDBACK.downRetry, [
        { type: 'section', text: { type: 'mrkdwn', text: FEEDBACK.downRetry } },
        { type: 'actions', elements: [button(ACTIONS.retry, 'Retry', click.messageKey, 'primary')] },
      ]);
    } else await ephemeral(client, deps.log, body, key, FEEDBACK[click.rating]);
  });

  // A suggested follow-up: asked in the thread as the person who clicked, whoever that is; intake applies the
  // same access rules and budgets as to a typed question (and says so in the thread when it refuses).
  app.action<BlockButtonAction>(FOLLOW_UP_ACTION, async ({ ack, action, body, client }) => {
    await ack();
    const channelId = body.channel?.id;
    const teamId = body.team?.id ?? body.user.team_id;
    const threadTs = body.message?.thread_ts ?? body.message?.ts;
    const question = action.value?.trim() ?? '';
    if (!channelId || !teamId || !threadTs || question === '') return;
    const click = {
      teamId,
      channelId,
      threadTs,
      userId: body.user.id,
      userTeamId: body.user.team_id,
      actionTs: action.action_ts,
      question,
    };
    const tellClicker = (text: string) =>
      client.chat
        .postEphemeral({ channel: channelId, user: body.user.id, thread_ts: threadTs, text })
        .catch((e: unknown) => deps.log.warn({ code: slackErrorCode(e) }, 'could not post ephemeral'));
    // HTTP mode holds Slack's response until the listener returns: the post and the inbox write run after it.
    void askFollowUp(client, click, deps).then(
      async (result) => {
        if ('refused' in result) await tellClicker(result.refused);
        else deps.log.info({ taken: result.taken, user: body.user.id }, 'follow-up asked from a button');
      },
      async (err: unknown) => {
        deps.log.error({ err, code: slackErrorCode(err), action: 'follow_up' }, 'could not ask a follow-up');
        await tellClicker(FOLLOW_UPS.failed);
      },
    );
  });
}

/** A note only the clicking user sees, in the button's thread. */
async function ephemeral(
  client: WebClient,
  log: Logger,
  body: BlockAction,
  key: MessageKey,
  text: string,
  blocks?: KnownBlock[],
): Promise<void> {
  await client.chat
    .postEphemeral({
      channel: key.channelId,
      user: body.user.id,
      thread_ts: body.message?.thread_ts ?? key.messageTs,
      text,
      ...(blocks && { blocks }),
    })
    .catch((err: unknown) => log.warn({ code: slackErrorCode(err) }, 'could not post ephemeral'));
}
