import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { type ThreadRef, threadKeyOf } from '../../domain.js';
import type { Logger } from '../../log.js';
import type { TurnRuns } from '../../ports.js';
import { escapeMrkdwn } from '../../text/slack-markdown.js';
import { ACTIONS } from '../actions.js';
import { slackErrorCode } from '../errors.js';
import { type RenderedRuns, renderRuns } from '../show-code.js';

export const CODE_NOT_STORED = "That answer's code is no longer stored.";
/** Files per files.uploadV2 call (one message each). */
const FILES_PER_UPLOAD = 10;

export interface ShowCodeDeps {
  runsOf: TurnRuns;
  log: Logger;
}

/**
 * The "Show code" button on an answer (value = the turn id): posts that turn's code runs into the same thread.
 * Only the thread the button sits in is ever read; a turn id that is not in that thread's history (a forgotten
 * thread, a forged value) reveals nothing.
 */
export function registerShowCode(app: App, deps: ShowCodeDeps): void {
  // A double click should not post everything twice.
  const inFlight = new Set<string>();

  app.action<BlockAction<ButtonAction>>(ACTIONS.showCode, async ({ ack, body, action, client, context }) => {
    await ack();
    const message = body.message;
    const channelId = body.channel?.id ?? (body.container.channel_id as string | undefined);
    const teamId = body.team?.id ?? context.teamId ?? body.user.team_id;
    if (!message || !channelId || !teamId) {
      deps.log.warn({ hasMessage: Boolean(message) }, 'show_code clicked outside a message; ignored');
      return;
    }
    const thread: ThreadRef = {
      teamId,
      channelId,
      threadTs: typeof message.thread_ts === 'string' ? message.thread_ts : message.ts,
    };
    const turnId = action.value ?? '';
    const key = `${threadKeyOf(thread)}#${turnId}`;
    if (inFlight.has(key)) return;
    inFlight.add(key);
    // HTTP mode holds the HTTP response until the listener returns (processBeforeResponse), and an interaction
    // must be answered within 3 s: the posting happens after the listener has returned.
    void showCode(client, deps, thread, turnId, body.user.id)
      .catch((err: unknown) =>
        deps.log.error(
          { err: slackErrorCode(err), threadKey: threadKeyOf(thread) },
          'show_code could not post the runs',
        ),
      )
      .finally(() => inFlight.delete(key));
  });
}

async function showCode(
  client: WebClient,
  deps: ShowCodeDeps,
  thread: ThreadRef,
  turnId: string,
  userId: string,
): Promise<void> {
  const threadKey = threadKeyOf(thread);
  // Only this thread's history: the button value is never used to look anything up elsewhere.
  const runs = turnId === '' ? undefined : await deps.runsOf(threadKey, turnId);
  if (!runs) {
    deps.log.info({ threadKey }, 'show_code for a turn this thread does not have');
    await notStored(client, thread, userId, deps.log);
    return;
  }
  await post(client, deps.log, thread, renderRuns(runs));
}

async function post(
  client: WebClient,
  log: Logger,
  thread: ThreadRef,
  rendered: RenderedRuns,
): Promise<void> {
  for (const markdown of rendered.messages) {
    await client.chat.postMessage({
      channel: thread.channelId,
      thread_ts: thread.threadTs,
      text: escapeMrkdwn(markdown.slice(0, 300)), // notification fallback
      blocks: [{ type: 'markdown', text: markdown }],
      unfurl_links: false,
      unfurl_media: false,
    });
  }
  for (let i = 0; i < rendered.files.length; i += FILES_PER_UPLOAD) {
    const batch = rendered.files.slice(i, i + FILES_PER_UPLOAD);
    try {
      await client.files.uploadV2({
        channel_id: thread.channelId,
        thread_ts: thread.threadTs,
        file_uploads: batch.map((f) => ({
          file: Buffer.from(f.content, 'utf8'),
          filename: f.filename,
          title: f.title,
        })),
      });
    } catch (err) {
      const code = slackErrorCode(err);
      log.warn({ code, files: batch.length }, 'show_code upload failed');
      await client.chat.postMessage({
        channel: thread.channelId,
        thread_ts: thread.threadTs,
        text: `⚠️ I couldn't upload ${batch.map((f) => f.filename).join(', ')} to Slack (${code}).`,
      });
    }
  }
}

/** Told only to the person who clicked; a thread message if an ephemeral one cannot be posted. */
async function notStored(client: WebClient, thread: ThreadRef, userId: string, log: Logger): Promise<void> {
  try {
    await client.chat.postEphemeral({
      channel: thread.channelId,
      user: userId,
      thread_ts: thread.threadTs,
      text: CODE_NOT_STORED,
    });
  } catch (err) {
    log.debug({ code: slackErrorCode(err) }, 'ephemeral failed; telling the thread instead');
    await client.chat.postMessage({
      channel: thread.channelId,
      thread_ts: thread.threadTs,
      text: CODE_NOT_STORED,
    });
  }
}
