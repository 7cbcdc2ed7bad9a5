/**
 * Helpers for Slack text: `markdown` blocks take standard Markdown (up to 12,000 characters per
 * block, ~13,200 per message in total), while `text` fallbacks and context blocks use mrkdwn.
 */

/** An open fenced code block: its marker (```` ``` ````, `~~~~`, …) and info string (`python`). */
interface Fence {
  marker: string;
  info: string;
}

// Any indentation, not CommonMark's 0-3 spaces: models often nest code blocks in list items.
const FENCE_LINE = /^[ \t]*(`{3,}|~{3,})(.*)$/;

/**
 * Splits Markdown into chunks of at most `maxChars`, preferring paragraph breaks, then line
 * breaks, then a hard cut. Only the newlines at a split are dropped. A code block cut in two is
 * closed at the end of one chunk and re-opened with the same info string at the start of the
 * next, and a table cut in two gets its header rows again, so every chunk renders on its own.
 * Blank input yields no chunks.
 */
export function splitMarkdown(text: string, maxChars = 11_000): string[] {
  if (text.trim() === '') return [];
  const chunks: string[] = [];
  let rest = text;
  let fence: Fence | null = null; // left open by the previous chunk
  let carry = ''; // what the next chunk starts with: a re-opened fence or a repeated table header
  for (;;) {
    if (carry.length + rest.length <= maxChars) {
      chunks.push(carry + rest);
      return chunks;
    }
    // The closing fence needed depends on where we cut, so shrink the budget until it fits.
    let budget = maxChars - carry.length;
    for (;;) {
      if (budget < 1) throw new RangeError(`maxChars ${maxChars} cannot fit the code fence being split`);
      const { end, next } = findCut(rest, budget);
      const piece = rest.slice(0, end);
      const open = fenceAfter(piece, fence);
      const chunk = carry + piece + (open ? `\n${open.marker}` : '');
      if (chunk.length <= maxChars) {
        chunks.push(chunk);
        rest = rest.slice(next);
        fence = open;
        carry = open ? `${open.marker}${open.info}\n` : tableHeaderToRepeat(chunk, rest);
        break;
      }
      budget -= chunk.length - maxChars;
    }
  }
}

const TABLE_ROW = /^\s*\|/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/**
 * When a cut falls inside a Markdown table, the next chunk needs the table's header and delimiter
 * rows again, or its rows render as plain text.
 */
function tableHeaderToRepeat(chunk: string, following: string): string {
  const lines = chunk.split('\n');
  if (!TABLE_ROW.test(lines.at(-1) ?? '') || !TABLE_ROW.test(following.split('\n', 1)[0] ?? '')) return '';
  for (let i = lines.length - 2; i >= 0 && TABLE_ROW.test(lines[i]!); i--) {
    if (TABLE_DELIMITER.test(lines[i + 1]!) && !TABLE_DELIMITER.test(lines[i]!))
      return `${lines[i]}\n${lines[i + 1]}\n`;
  }
  return '';
}

/** Where to cut `text` so the first part is at most `budget` long: [0, end) is kept, [next, …) follows. */
function findCut(text: string, budget: number): { end: number; next: number } {
  // A paragraph break is only worth it if the chunk is not left much shorter than it could be.
  const paragraph = startOfNewlineRun(text, text.lastIndexOf('\n\n', budget));
  if (paragraph >= budget / 2) return { end: paragraph, next: endOfNewlineRun(text, paragraph) };
  const line = startOfNewlineRun(text, text.lastIndexOf('\n', budget));
  if (line > 0) return { end: line, next: endOfNewlineRun(text, line) };
  // Do not separate the halves of a surrogate pair (emoji).
  const end = budget > 1 && isHighSurrogate(text.charCodeAt(budget - 1)) ? budget - 1 : budget;
  return { end, next: end };
}

function startOfNewlineRun(text: string, index: number): number {
  let i = index;
  while (i > 0 && text[i - 1] === '\n') i--;
  return i;
}

function endOfNewlineRun(text: string, index: number): number {
  let i = index;
  while (text[i] === '\n') i++;
  return i;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The fence still open after `text`, given the one open before it (CommonMark rules). */
function fenceAfter(text: string, open: Fence | null): Fence | null {
  let fence = open;
  for (const line of text.split('\n')) {
    const match = FENCE_LINE.exec(line);
    if (!match) continue;
    const marker = match[1]!;
    const rest = match[2]!;
    if (fence === null) {
      // A backtick "fence" whose info string contains a backtick is inline code, not a fence.
      if (!(marker[0] === '`' && rest.includes('`'))) fence = { marker, info: rest.trim() };
    } else if (marker[0] === fence.marker[0] && marker.length >= fence.marker.length && rest.trim() === '') {
      fence = null;
    }
  }
  return fence;
}

/**
 * Wraps `text` in a ``` code block it cannot break out of: runs of three or more backticks inside
 * are split with WORD JOINERs, which look the same but no longer close the fence. (Longer fences
 * would be the CommonMark answer, but mrkdwn and some Markdown renderers only know ```.)
 */
export function codeFence(text: string, lang = ''): string {
  const body = text.replace(/\n+$/, '').replace(/`{3,}/g, (run) => run.split('').join('\u2060'));
  const info = lang.replace(/[^\w+#.-]/g, '');
  return `\`\`\`${info}\n${body}\n\`\`\``;
}

/**
 * The last lines of program output that fit in `maxLines` and `maxChars`, ignoring trailing blank
 * lines. Progress-bar redraws (`\r`) keep only their final state. If even the last line is too
 * long, its end is kept behind an ellipsis. `omittedLines` counts lines dropped from the start.
 */
export function tail(
  text: string,
  opts: { maxLines: number; maxChars: number },
): { text: string; omittedLines: number } {
  const lines = text
    .replace(/\r\n/g, '\n')
    .replace(/\s+$/, '')
    .replace(/^(?:[ \t]*\n)+/, '')
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('\r') + 1));
  if (lines.length === 1 && lines[0] === '') return { text: '', omittedLines: 0 };

  const kept: string[] = [];
  let length = -1; // no newline before the first kept line
  for (let i = lines.length - 1; i >= 0 && kept.length < opts.maxLines; i--) {
    const line = lines[i]!;
    if (length + 1 + line.length > opts.maxChars) break;
    kept.unshift(line);
    length += 1 + line.length;
  }
  if (kept.length === 0) {
    const last = lines[lines.length - 1]!;
    return {
      text: `…${last.slice(Math.max(0, last.length - opts.maxChars + 1))}`,
      omittedLines: lines.length - 1,
    };
  }
  return { text: kept.join('\n'), omittedLines: lines.length - kept.length };
}

/** Escapes the three characters mrkdwn treats as control characters (`&`, `<`, `>`). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
