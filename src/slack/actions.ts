import type { Button } from '@slack/types';
import type { ThreadMessage } from '../domain.js';

/** Block action ids the bot posts and handles. */
export const ACTIONS = {
  stop: 'stop_turn',
  retry: 'retry_turn',
  showCode: 'show_code',
} as const;

/** A button value naming one inbox message: "channel|ts". Never trusted beyond a lookup in the same channel. */
export const messageKeyValue = (msg: Pick<ThreadMessage, 'channelId' | 'messageTs'>) =>
  `${msg.channelId}|${msg.messageTs}`;

export function parseMessageKey(value: string): { channelId: string; messageTs: string } | undefined {
  const [channelId, messageTs, ...rest] = value.split('|');
  return channelId && messageTs && rest.length === 0 ? { channelId, messageTs } : undefined;
}

export const button = (
  actionId: string,
  text: string,
  value: string,
  style?: 'danger' | 'primary',
): Button => ({
  type: 'button',
  action_id: actionId,
  value,
  text: { type: 'plain_text', text },
  ...(style ? { style } : {}),
});
