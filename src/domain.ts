import type { SlackFileRef } from './files/policy.js';

/** Identifies one Slack thread: the unit that owns a code-execution container and a history. */
export interface ThreadRef {
  teamId: string;
  channelId: string;
  /** ts of the thread's root message (for a top-level mention: the mention itself). */
  threadTs: string;
}

export const threadKeyOf = (t: ThreadRef): string => `${t.teamId}:${t.channelId}:${t.threadTs}`;

/** One Slack message the bot should act on, free of Bolt event shapes. */
export interface ThreadMessage extends ThreadRef {
  messageTs: string;
  userId: string;
  /** Text with the bot mention removed and Slack's &amp;/&lt;/&gt; unescaped. */
  text: string;
  files: SlackFileRef[];
  /** The bot was @-mentioned in this message (or it is a DM). */
  addressed: boolean;
  isDirectMessage: boolean;
  eventId?: string;
}
