import type { AnyChunk } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { followUpsStart } from '../text/follow-ups.js';
import { neutraliseMentions } from '../text/mentions.js';
import { redactSecrets } from '../text/redact.js';
import { slackErrorCode } from './errors.js';

/** chat.appendStream / startStream / stopStream take at most this many characters of markdown_text per call. */
export const MAX_STREAM_TEXT_PER_CALL = 12_000;

/**
 * Everything model- or sandbox-made passes here before Slack sees it: secrets redacted, no unasked mentions.
 * Excerpts are redacted before they are cut (a cut can drop the prefix a pattern needs, leaving the rest of a token
 * readable), and again as a whole here.
 */
export const sanitise = (text: string, allowedUserIds: readonly string[]) =>
  neutraliseMentions(redactSecrets(text), { allowedUserIds: new Set(allowedUserIds) });

/**
 * Claude's answer as it is being written: the text blocks since its last code run, trimmed and joined the way
 * `answerText` (claude/result.ts) builds the final answer, so what streams is what the answer will be. Text
 * before a code run is narration ("Let me load the file"), which the answer leaves out.
 */
export class AnswerDraft {
  #blocks: string[] = [];

  /** `delta` was added to the text block that now reads `blockSoFar` (a block's first delta is all of it). */
  text(delta: string, blockSoFar: string): void {
    if (blockSoFar === delta || this.#blocks.length === 0) this.#blocks.push(blockSoFar);
    else this.#blocks[this.#blocks.length - 1] = blockSoFar;
  }

  /** A code run started or ended: the text so far was narration. */
  toolUsed(): void {
    this.#blocks = [];
  }

  get raw(): string {
    return this.#blocks
      .map((b) => b.trim())
      .filter(Boolean)
      .join('\n\n');
  }
}

/**
 * The sanitised part of `raw` that can be shown before the rest is known, or undefined when none can yet. It ends
 * at whitespace, so a token, mention word or key is never split between two appends, and before anything a later
 * character could still make a secret or a ping of: an unclosed `<!…` or `<@…`, a private key block without its
 * END line, a line naming a secret with a quote still open; and before a `followups` block (buttons, not text). It
 * must also be a prefix of the whole text sanitised.
 */
export function showablePrefix(raw: string, allowedUserIds: readonly string[]): string | undefined {
  let cut = raw.search(/\s\S*$/); // the final word may still grow
  // Suggested follow-ups are buttons, not answer text.
  const followUps = followUpsStart(raw);
  if (followUps >= 0 && followUps < cut) cut = followUps;
  if (cut <= 0) return undefined;
  const lastClose = raw.lastIndexOf('>', cut - 1);
  const openMention = raw.slice(lastClose + 1, cut).search(/<[!@]/);
  if (openMention >= 0) cut = lastClose + 1 + openMention;
  for (const [open, close] of KEY_BLOCKS) {
    const at = raw.lastIndexOf(open, cut);
    if (at >= 0 && at < cut && raw.indexOf(close, at) < 0) cut = at;
  }
  const lineStart = raw.lastIndexOf('\n', cut - 1) + 1;
  const line = raw.slice(lineStart, cut);
  if (SECRET_WORD.test(line) && (count(line, '"') % 2 === 1 || count(line, "'") % 2 === 1)) cut = lineStart;
  // Never a trailing blank: the answer is trimmed when it ends, and text already shown cannot be taken back.
  cut = raw.slice(0, cut).trimEnd().length;
  if (cut <= 0) return undefined;
  const shown = sanitise(raw.slice(0, cut), allowedUserIds);
  return sanitise(raw, allowedUserIds).startsWith(shown) ? shown : undefined;
}

/** Multi-line secrets redact.ts matches from their first line to a closing line. */
const KEY_BLOCKS = [
  ['-----BEGIN ', '-----END '],
  ['PuTTY-User-Key-File-', 'Private-MAC: '],
] as const;
/** Key names redact.ts treats as secrets end in one of these words. */
const SECRET_WORD = /password|passwd|secret|token|key/i;
const count = (text: string, char: string) => text.split(char).length - 1;

export interface StreamTarget {
  channel: string;
  thread_ts: string;
  /** Required outside DMs. */
  recipient_user_id: string;
  recipient_team_id: string;
}

export interface StreamOptions {
  /** Slack ends a stream after about five minutes: older than this, the next call continues in a new message. */
  maxAgeMs: number;
  taskDisplayMode?: 'plan' | 'timeline';
  /** Chunks that end a message being rolled over, and that open its successor (e.g. the plan so far). */
  rollover?: { close(): AnyChunk[]; reopen(): AnyChunk[] };
}

/**
 * One streamed reply (chat.startStream / appendStream / stopStream), which may span several messages: before
 * Slack's stream age limit it is closed and continued in a new message, and markdown_text longer than a call
 * allows is sent over several calls. Calls must not overlap (the caller chains them); Slack's errors propagate.
 */
export class SlackStream {
  /** Every message of the stream, oldest first. */
  readonly messages: string[] = [];
  #startedAt = 0;
  #stopped = false;

  constructor(
    private readonly client: WebClient,
    private readonly target: StreamTarget,
    private readonly opts: StreamOptions,
  ) {}

  get ts(): string | undefined {
    return this.messages.at(-1);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async start(chunks: AnyChunk[]): Promise<string> {
    const [first, ...rest] = splitText(chunks);
    const ts = await this.#open(first ?? []);
    for (const more of rest) await this.#call('append', more);
    return ts;
  }

  async append(chunks: AnyChunk[]): Promise<void> {
    for (const part of splitText(chunks)) await this.#call('append', part);
  }

  async stop(chunks: AnyChunk[]): Promise<void> {
    const parts = splitText(chunks);
    const last = parts.pop() ?? [];
    for (const part of parts) await this.#call('append', part);
    await this.#call('stop', last);
    this.#stopped = true;
  }

  async #open(chunks: AnyChunk[]): Promise<string> {
    const started = await this.client.chat.startStream({
      ...this.target,
      ...(this.opts.taskDisplayMode ? { task_display_mode: this.opts.taskDisplayMode } : {}),
      ...withChunks(chunks),
    });
    if (!started.ts) throw new Error('chat.startStream returned no ts');
    this.messages.push(started.ts);
    this.#startedAt = Date.now();
    return started.ts;
  }

  /** One append or stop; past the age limit the message is closed and this call's chunks open the next one. */
  async #call(kind: 'append' | 'stop', chunks: AnyChunk[]): Promise<void> {
    const channel = this.target.channel;
    const ts = this.ts;
    if (!ts) throw new Error('stream not started');
    if (Date.now() - this.#startedAt < this.opts.maxAgeMs) {
      if (kind === 'append') await this.client.chat.appendStream({ channel, ts, ...withChunks(chunks) });
      else await this.client.chat.stopStream({ channel, ts, ...withChunks(chunks) });
      return;
    }
    // Slack may have ended the old message already; its text stays, and the stream goes on in the next one.
    await this.client.chat
      .stopStream({ channel, ts, ...withChunks(this.opts.rollover?.close() ?? []) })
      .catch((err: unknown) => {
        if (slackErrorCode(err) !== 'message_not_in_streaming_state') throw err;
      });
    const next = await this.#open([...(this.opts.rollover?.reopen() ?? []), ...chunks]);
    if (kind === 'stop') await this.client.chat.stopStream({ channel, ts: next });
  }
}

/** Slack wants no empty `chunks` list; a call without chunks leaves it out. */
const withChunks = (chunks: AnyChunk[]) => (chunks.length > 0 ? { chunks } : {});

/**
 * The chunks as one or more calls' worth, each with at most MAX_STREAM_TEXT_PER_CALL characters of markdown_text:
 * the other chunks go with the first call, longer text continues in the next ones. Never splits a surrogate pair.
 */
export function splitText(chunks: AnyChunk[]): AnyChunk[][] {
  const calls: AnyChunk[][] = [[]];
  let room = MAX_STREAM_TEXT_PER_CALL;
  for (const chunk of chunks) {
    if (chunk.type !== 'markdown_text') {
      calls.at(-1)!.push(chunk);
      continue;
    }
    let text = chunk.text;
    while (text.length > 0) {
      if (room === 0) {
        calls.push([]);
        room = MAX_STREAM_TEXT_PER_CALL;
      }
      let take = Math.min(room, text.length);
      if (take < text.length && /[\uD800-\uDBFF]/.test(text[take - 1]!)) take -= 1;
      if (take === 0) {
        room = 0;
        continue;
      }
      calls.at(-1)!.push({ type: 'markdown_text', text: text.slice(0, take) });
      text = text.slice(take);
      room -= take;
    }
  }
  return calls;
}
