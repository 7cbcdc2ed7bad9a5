import type { Button } from '@slack/types';

/** Block action ids the bot posts and handles. */
export const ACTIONS = {
  stop: 'stop_turn',
  retry: 'retry_turn',
  showCode: 'show_code',
} as const;

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
