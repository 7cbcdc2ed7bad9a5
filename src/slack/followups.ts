import type { ActionsBlock, Button } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { ThreadMessage, ThreadRef } from '../domain.js';
import type { Logger } from '../log.js';
import { oneLine } from '../text/format.js';
import { neutraliseMentions } from '../text/mentions.js';
import { redactSecrets } from '../text/redact.js';
import { escapeMrkdwn } from '../text/slack-markdown.js';
import { FOLLOW_UPS } from '../text/wording.js';
import { slackErrorCode } from './errors.js';

/**
 * Suggested follow-up questions: buttons under an answer (or, in Slack's assistant pane, suggested prompts) that
 * ask their question in the thread as the person who clicks, through the same intake as a typed follow-up.
 */

/** Each button needs its own action id within a message; all of them are handled by one listener. */
export const FOLLOW_UP_ACTION = /^ask_follow_up_\d$/;
const followUpActionId = (i: number) => `ask_follow_up_${i}`;
/** Slack's limits: a button's plain_text label is at most 75 characters, its value at most 2,000. */
const MAX_BUTTON_LABEL = 75;
const MAX_BUTTON_VALUE = 2_000;

/** The buttons for already-sanitised questions; the whole question travels in the value. */
export function followUpBlock(questions: readonly string[]): ActionsBlock {
  return {
    type: 'actions',
    block_id: 'follow_ups',
    elements: questions.map(
      (q, i): Button => ({
        type: 'button',
        action_id: followUpActionId(i),
        text: { type: 'plain_text', text: oneLine(`💬 ${q}`, MAX_BUTTON_LABEL) },
        value: oneLine(q, MAX_BUTTON_VALUE),
      }),
    ),
  };
}

/**
 * In Slack's assistant pane the questions become the thread's suggested prompts. Only AI-app threads accept
 * them: anywhere else Slack refuses, and false tells the caller to show buttons instead.
 */
export async function suggestPrompts(
  client: WebClient,
  thread: ThreadRef,
  questions: readonly string[],
  log: Logger,
): Promise<boolean> {
  try {
    await client.assistant.threads.setSuggestedPrompts({
      channel_id: thread.channelId,
      thread_ts: thread.threadTs,
      title: FOLLOW_UPS.promptsTitle,
      prompts: questions.map((q) => ({ title: oneLine(q, MAX_BUTTON_LABEL), message: q })) as [
        { title: string; message: string },
      ],
    });
    return true;
  } catch (err) {
    log.debug({ code: slackErrorCode(err) }, 'suggested prompts not available here; showing buttons');
    return false;
  }
}

/** What a click on a follow-up button carries, read from Slack's block_actions payload. */
export interface FollowUpClick {
  teamId: string;
  channelId: string;
  threadTs: string;
  userId: string;
  /** The clicker's own workspace, when Slack says (Slack Connect). */
  userTeamId?: string | undefined;
  /** The click's own timestamp: names a refused click in the audit log, where no message exists. */
  actionTs: string;
  question: string;
}

/** The intake's side of a click: the access rules first, then the queue. */
export interface FollowUpIntake {
  screen: (msg: ThreadMessage) => Promise<{ text: string } | null>;
  receive: (msg: ThreadMessage) => Promise<boolean>;
}

export type FollowUpResult = { taken: boolean } | { refused: string };

/**
 * Asks a clicked follow-up in the thread: the bot posts "🙋 <@clicker> asked: …" (the question redacted and its
 * mentions neutralised: a forged button value must not make the bot ping a channel), then hands that message to
 * `receive` as the clicker's question, so budgets, the queue and Retry apply as for a typed one. The access rules
 * come first: a clicker who may not ask gets the refusal (for the caller to show them alone) and nothing is posted.
 */
export async function askFollowUp(
  client: WebClient,
  click: FollowUpClick,
  intake: FollowUpIntake,
): Promise<FollowUpResult> {
  const question = redactSecrets(click.question.trim());
  const external = click.userTeamId !== undefined && click.userTeamId !== click.teamId;
  const msg: ThreadMessage = {
    teamId: click.teamId,
    channelId: click.channelId,
    threadTs: click.threadTs,
    messageTs: click.actionTs,
    userId: click.userId,
    text: question,
    files: [],
    addressed: true,
    isDirectMessage: click.channelId.startsWith('D'),
    ...(external ? { external } : {}),
  };
  const refusal = await intake.screen(msg);
  if (refusal) return { refused: refusal.text };
  const shown = neutraliseMentions(question, { allowedUserIds: new Set() });
  const posted = await client.chat.postMessage({
    channel: click.channelId,
    thread_ts: click.threadTs,
    text: FOLLOW_UPS.asked(click.userId, escapeMrkdwn(shown)),
    unfurl_links: false,
    unfurl_media: false,
  });
  if (!posted.ts) throw new Error('chat.postMessage returned no ts');
  return { taken: await intake.receive({ ...msg, messageTs: posted.ts }) };
}
