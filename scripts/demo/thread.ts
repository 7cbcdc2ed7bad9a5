/**
 * The thread as a person saw it, collected from what the fake Slack recorded. The fake hands out the bot's ts values
 * from its own clock, so they cannot be merged with people's messages by ts: the recorder keeps arrival order instead.
 */
import type { FakeSlack } from '../../test/support/fakes/fake-slack.js';

export interface DemoFile {
  name: string;
  mimeType: string;
  bytes: Buffer;
}

export interface ThreadEntry {
  ts: string;
  userId: string;
  isBot: boolean;
  /** Slack mrkdwn; shown when the message has no blocks. */
  text?: string;
  blocks?: unknown[];
  files: DemoFile[];
  /** Reaction names on the message at the end of the demo. */
  reactions: string[];
  /** Every state chat.update gave the message, oldest first (the live progress view). */
  updates: unknown[][];
  /** When the demo saw the message. */
  at: Date;
}

export interface DemoThread {
  channelName: string;
  /** Display names by user id. */
  names: Record<string, string>;
  entries: ThreadEntry[];
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  csv: 'text/csv',
  json: 'application/json',
  txt: 'text/plain',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const mimeTypeOf = (name: string) =>
  MIME_BY_EXTENSION[/\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? ''] ?? 'application/octet-stream';

export interface ThreadRecorder {
  /** A message a person posted (the demo sends it as an event too). */
  human(message: { ts: string; userId: string; text: string; files?: DemoFile[] }): void;
  /** Notes the bot's posts in the thread that are new since the last call, in posting order. */
  collectBotPosts(threadTs: string): void;
  /** The thread in arrival order, each bot message in its final state. */
  entries(threadTs: string): ThreadEntry[];
}

export function createRecorder(slack: FakeSlack, channel: string): ThreadRecorder {
  const order: { ts: string; at: Date; human?: Omit<ThreadEntry, 'reactions' | 'updates' | 'at'> }[] = [];
  const seen = new Set<string>();
  return {
    human({ ts, userId, text, files = [] }) {
      order.push({ ts, at: new Date(), human: { ts, userId, isBot: false, text, files } });
    },
    collectBotPosts(threadTs) {
      for (const m of slack.messages(channel, threadTs)) {
        if (m.user === slack.botUserId && !seen.has(m.ts)) {
          seen.add(m.ts);
          order.push({ ts: m.ts, at: new Date() });
        }
      }
    },
    entries(threadTs) {
      const posted = new Map(slack.messages(channel, threadTs).map((m) => [m.ts, m]));
      const updates = slack.callsTo('chat.update').filter((c) => c.params.channel === channel);
      return order.flatMap(({ ts, at, human }): ThreadEntry[] => {
        const reactions = slack.reactions(channel, ts);
        if (human) return [{ ...human, reactions, updates: [], at }];
        const m = posted.get(ts);
        if (!m || m.deleted) return [];
        return [
          {
            ts,
            userId: m.user,
            isBot: true,
            ...(m.text !== undefined && { text: m.text }),
            ...(m.blocks !== undefined && { blocks: m.blocks }),
            files: (m.files ?? []).map((f) => ({
              name: f.name,
              mimeType: mimeTypeOf(f.name),
              bytes: f.bytes,
            })),
            reactions,
            updates: updates
              .filter((c) => c.params.ts === ts)
              .map((c) => (c.params.blocks as unknown[]) ?? []),
            at,
          },
        ];
      });
    },
  };
}
