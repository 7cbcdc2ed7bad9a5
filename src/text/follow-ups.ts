/**
 * Claude's suggested follow-up questions travel at the end of its answer as a fenced block tagged `followups` (the
 * system prompt asks for it). Read here, by the final answer and by the answer stream alike.
 */

export const MAX_FOLLOW_UPS = 3;
/** Longer than this is not a short follow-up question; it is dropped rather than cut mid-sentence. */
export const MAX_FOLLOW_UP_CHARS = 150;
/** A line opening a fenced block tagged `followups`; its fence (three or more backticks or tildes) closes it. */
const OPENING = /^[ \t]*(`{3,}|~{3,})[ \t]*followups[ \t]*$/i;

/**
 * Separates the `followups` fenced block from an answer: the answer without it, and its questions (one a line,
 * list markers and quotes dropped, de-duplicated, at most three of at most 150 characters). An answer without the
 * block (or with one never closed) is returned as it is. One pass over the lines: model output is not trusted to
 * be small or well-formed, and a pattern that searched for each opening's close would take quadratic time.
 */
export function splitFollowUps(text: string): { markdown: string; followUps: string[] } {
  const lines = text.split('\n');
  let block: { from: number; to: number } | undefined;
  let open: { from: number; fence: string } | undefined;
  for (const [i, line] of lines.entries()) {
    if (open) {
      if (line.trim() === open.fence) {
        block = { from: open.from, to: i };
        open = undefined;
      }
    } else {
      const fence = OPENING.exec(line)?.[1];
      if (fence) open = { from: i, fence };
    }
  }
  if (!block) return { markdown: text, followUps: [] };
  const markdown = [...lines.slice(0, block.from), ...lines.slice(block.to + 1)].join('\n').trim();
  const questions = lines
    .slice(block.from + 1, block.to)
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
