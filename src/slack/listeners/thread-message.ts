import type { SlackFileRef, ThreadMessage } from '../../domain.js';
import { redactSecrets } from '../../text/redact.js';

/** The fields of app_mention and message events the bot reads. */
export interface IncomingEvent {
  type: string;
  subtype?: string | undefined;
  user?: string | undefined;
  bot_id?: string | undefined;
  bot_profile?: unknown;
  text?: string | undefined;
  ts: string;
  thread_ts?: string | undefined;
  channel: string;
  channel_type?: string | undefined;
  files?: SlackFileRef[] | undefined;
  edited?: unknown;
  /** The asker's workspace (`user_team` on messages from other organisations, `team` on mentions). */
  user_team?: string | undefined;
  team?: string | undefined;
}

/** Message subtypes that carry something a person asked; edits, deletions, joins etc. are not questions. */
const ACTIONABLE_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

/**
 * Turns a Slack event into a ThreadMessage, or null for what the bot must ignore: its own and other
 * bots' messages, edits and deletions. Whether the bot takes part in the thread is decided later.
 */
export function toThreadMessage(
  e: IncomingEvent,
  ctx: {
    teamId: string;
    botUserId: string;
    eventId?: string | undefined;
    /** The envelope's `is_ext_shared_channel`: a Slack Connect channel. */
    sharedChannel?: boolean | undefined;
  },
): ThreadMessage | null {
  if (!e.user || e.user === ctx.botUserId || e.user === 'USLACKBOT') return null;
  if (e.bot_id || e.bot_profile || !ACTIONABLE_SUBTYPES.has(e.subtype) || e.edited) return null;
  const mentionTag = `<@${ctx.botUserId}>`;
  const raw = e.text ?? '';
  const isDirectMessage = e.channel_type === 'im';
  const askerTeam = e.user_team ?? e.team;
  const external = ctx.sharedChannel === true || (askerTeam !== undefined && askerTeam !== ctx.teamId);
  return {
    teamId: ctx.teamId,
    channelId: e.channel,
    threadTs: e.thread_ts ?? e.ts,
    messageTs: e.ts,
    userId: e.user,
    text: redactSecrets(cleanText(raw, mentionTag)),
    files: e.files ?? [],
    // Both twins of a mention (app_mention and message) carry the tag, so either one alone is enough.
    addressed: e.type === 'app_mention' || raw.includes(mentionTag) || isDirectMessage,
    isDirectMessage,
    ...(external ? { external } : {}),
    ...(ctx.eventId ? { eventId: ctx.eventId } : {}),
  };
}

/** Drops the bot's own mention and undoes Slack's escaping of &, < and >. */
function cleanText(text: string, mentionTag: string): string {
  return text
    .replaceAll(mentionTag, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}
