import type { Button, ContextActionsBlock } from '@slack/types';

/** Block action ids the bot posts and handles. */
export const ACTIONS = {
  stop: 'stop_turn',
  retry: 'retry_turn',
  showCode: 'show_code',
  feedback: 'answer_feedback',
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

/** A click of the feedback buttons: the rating, the answer's turn and the question's message key. */
export interface FeedbackClick {
  rating: 'up' | 'down';
  turnId: string;
  messageKey: string;
}

/** 👍/👎 under an answer (Slack's feedback buttons); each value names the rating, the turn and the question. */
export function feedbackBlock(turnId: string, messageKey: string): ContextActionsBlock {
  const side = (rating: FeedbackClick['rating'], emoji: string, label: string) => ({
    text: { type: 'plain_text' as const, text: emoji, emoji: true },
    accessibility_label: label,
    value: `${rating}|${turnId}|${messageKey}`,
  });
  return {
    type: 'context_actions',
    elements: [
      {
        type: 'feedback_buttons',
        action_id: ACTIONS.feedback,
        positive_button: side('up', '👍', 'Good answer'),
        negative_button: side('down', '👎', 'Bad answer'),
      },
    ],
  };
}

export function parseFeedback(value: string): FeedbackClick | undefined {
  const [rating, turnId, ...key] = value.split('|');
  if ((rating !== 'up' && rating !== 'down') || !turnId || key.length !== 2) return undefined;
  return { rating, turnId, messageKey: key.join('|') };
}
