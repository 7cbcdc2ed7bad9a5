/**
 * Claude's suggested follow-up questions travel at the end of its answer as a fenced block tagged `followups` (the
 * system prompt asks for it). Read here, by the final answer and by the answer stream alike.
 */

export const MAX_FOLLOW_UPS = 3;
/** Longer than this is not a short follow-up question; it is dropped rather than cut mid-sentence. */
export const MAX_FOLLOW_UP_CHARS = 150;
/** A fenced block tagged `followups`, the last one in the text, with what follows it (only blank space). */
const FOLLOW_UPS_FENCE =
  /(?:^|\n)[ \t]*(`{3,}|~{3,})[ \t]*followups[ \t]*\n([\s\S]*?)\n[ \t]*\1[ \t]*(?=\n|$)/gi;

/**
 * Separates the `followups` fenced block from an answer: the answer without it, and its questions (one a line,
 * list markers and quotes dropped, de-duplicated, at most three of at most 150 characters). An answer without the
 * block is returned as it is.
 */
export function splitFollowUps(text: string): { markdown: string; followUps: string[] } {
  const fences = [...text.matchAll(FOLLOW_UPS_FENCE)];
  const last = fences.at(-1);
  if (!last) return { markdown: text, followUps: [] };
  const markdown = (text.slice(0, last.index) + text.slice(last.index + last[0].length)).trim();
  const questions = last[2]!
    .split('\n')
    .map((l) =>
      l
        .replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '')
        .replace(/^["'“](.*)["'”]$/, '$1')
        .trim(),
    )
    .filter((q) => q !== '' && q.length <= MAX_FOLLOW_UP_CHARS);
  return { markdown, followUps: [...new Set(questions)].slice(0, MAX_FOLLOW_UPS) };
}

/** Where a `followups` block starts in text still being written (its fence may not be closed yet), or -1. */
export const followUpsStart = (text: string): number =>
  text.search(/(?:^|\n)[ \t]*(?:`{3,}|~{3,})[ \t]*followups\b/i);
