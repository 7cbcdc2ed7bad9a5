import Anthropic from '@anthropic-ai/sdk';
import type { CodeExecutionToolVersion } from '../config.js';
import type { Logger } from '../log.js';
import {
  containerMinutes,
  estimateCost,
  type Meter,
  newMeter,
  type Prices,
  type TokenUsage,
} from '../pricing.js';
import { AnalystError, classifyError, isContainerGone } from './errors.js';
import { SYSTEM_PROMPT } from './prompt.js';

export interface AskParams {
  toolVersion: CodeExecutionToolVersion;
  /** The thread, so follow-ups can name the previous response for cache diagnostics. */
  threadKey: string;
  history: Anthropic.MessageParam[];
  userContent: Anthropic.ContentBlockParam[];
  containerId: string | null;
  /**
   * Called once if the thread's container can no longer be restored: returns the history and user content
   * to send to a fresh container (old container_upload blocks retired, every input re-attached).
   */
  onContainerLost: () => Promise<{
    history: Anthropic.MessageParam[];
    userContent: Anthropic.ContentBlockParam[];
  }>;
  /**
   * The user content as history will store it (uploads as notes). pause_turn continuations send this form: the
   * files are in the container by then, and the next question's prefix then matches the continuation's cache
   * entries byte for byte instead of diverging at the first upload block.
   */
  asStored?: (content: Anthropic.ContentBlockParam[]) => Anthropic.ContentBlockParam[];
  signal?: AbortSignal;
  /** Each content block as it completes while streaming (for live progress). */
  onBlock?: (block: Anthropic.ContentBlock) => void;
  /** Claude's text as it streams: `delta` was added to the text block that now reads `blockSoFar`. */
  onText?: (delta: string, blockSoFar: string) => void;
  /** MAX_TURN_USD for this question: no pause_turn continuation once its estimated cost passes this. */
  maxCostUsd?: number | undefined;
  /**
   * Added to as each request ends, however it ends: the usage the stream had seen (message_start, message_delta)
   * is billed even when the request broke, was stopped or the turn then failed. Pass one to read it after a throw.
   */
  meter?: Meter;
  log: Logger;
}

export interface AskResult {
  /** Every segment of the turn (pause_turn continuations merged), verbatim. */
  assistantContent: Anthropic.ContentBlock[];
  /** The user content actually sent (differs from the input after a container replacement). */
  userContent: Anthropic.ContentBlockParam[];
  history: Anthropic.MessageParam[];
  stopReason: Anthropic.StopReason | null;
  /** pause_turn was still the stop reason after the last allowed continuation. */
  hitContinuationLimit: boolean;
  /** pause_turn was the stop reason, but the question had passed its cost ceiling, so it was not continued. */
  hitCostLimit: boolean;
  container: { id: string; expiresAt: number } | null;
  containerReplaced: boolean;
  /** Summed over every request of the turn, including broken ones that were sent again. */
  usage: TokenUsage;
  requestIds: string[];
}

/**
 * Prompt caching. '1h' (default) keeps the thread's prefix for an hour: people reply 1–20 minutes apart, and a
 * 5-minute entry would mostly be gone by then and be written again at 1.25× instead of read at 0.1×. '5m' suits a
 * chat-speed workspace; 'off' sends no breakpoints.
 */
export type CacheMode = '1h' | '5m' | 'off';

/** Sent on every request so that a model change cannot silently change how hard Claude works. */
export interface ModelBehaviour {
  effort: NonNullable<Anthropic.OutputConfig['effort']>;
  thinking: Anthropic.ThinkingConfigParam;
}

export interface AnalystOptions {
  client: Anthropic;
  model: string;
  maxTokens: number;
  maxContinuations: number;
  /** Extra attempts for a stream that dies mid-response (SDK retries do not cover a broken stream). */
  streamRetries?: number;
  cache?: CacheMode;
  behaviour?: ModelBehaviour;
  /** Prices for the per-question cost ceiling (`AskParams.maxCostUsd`). */
  prices?: Prices;
}

/** What one request needs; `continuation` is Claude's content so far when a paused turn is continued. */
export interface RequestInput {
  model: string;
  maxTokens: number;
  toolVersion: CodeExecutionToolVersion;
  history: readonly Anthropic.MessageParam[];
  userContent: readonly Anthropic.ContentBlockParam[];
  continuation?: readonly Anthropic.ContentBlockParam[];
  containerId: string | null;
  cache: CacheMode;
  behaviour?: ModelBehaviour;
  /** The id of this thread's previous response, if known; cache diagnostics compare against it. */
  previousMessageId?: string | null;
}

/**
 * The Messages request for one turn segment. Cache breakpoints (at most 4):
 * 1. the system prompt (1h): tools + system are identical for every thread, so this prefix is shared workspace-wide;
 * 2. the last question in the stored history: exactly where the previous turn's breakpoint 3 wrote, so it is a read
 *    however many blocks Claude's answer added (the API looks back only 20 blocks from a breakpoint);
 * 3. the end of the new question: writes the prefix the next question (or continuation) reads;
 * 4. on a pause_turn continuation, the end of Claude's content so far, with the thread's TTL: the next segment
 *    reads it within seconds, and so does the next question, minutes later (it finds it by lookback from 3), which
 *    then writes only the last segment. A 5-minute mark here would be written at 1.25× and then written again at 2×
 *    by the next question whenever people take longer than 5 minutes to reply.
 * The blocks are copied: stored history never carries cache_control.
 */
export function buildRequest(r: RequestInput): Anthropic.MessageCreateParamsNonStreaming {
  const ttl = r.cache === 'off' ? null : r.cache;
  const mark = <T extends Anthropic.MessageParam>(m: T, at: '5m' | '1h' | null): T =>
    at ? ({ ...m, content: withBreakpoint(m.content, at) } as T) : m;
  const lastUser = r.history.findLastIndex((m) => m.role === 'user');
  const messages: Anthropic.MessageParam[] = r.history.map((m, i) => (i === lastUser ? mark(m, ttl) : m));
  messages.push(mark({ role: 'user', content: [...r.userContent] }, ttl));
  // A paused turn is continued by sending Claude's content back unchanged, as one assistant message.
  if (r.continuation && r.continuation.length > 0) {
    messages.push(mark({ role: 'assistant', content: [...r.continuation] }, ttl));
  }
  const system: Anthropic.TextBlockParam = {
    type: 'text',
    text: SYSTEM_PROMPT,
    ...(ttl ? { cache_control: { type: 'ephemeral', ttl: '1h' } } : {}),
  };
  return {
    model: r.model,
    max_tokens: r.maxTokens,
    system: [system],
    tools: [{ type: r.toolVersion, name: 'code_execution' }],
    messages,
    ...(r.behaviour ? { thinking: r.behaviour.thinking, output_config: { effort: r.behaviour.effort } } : {}),
    ...(ttl ? { diagnostics: { previous_message_id: r.previousMessageId ?? null } } : {}),
    ...(r.containerId ? { container: r.containerId } : {}),
  };
}

/**
 * A copy of `content` with a breakpoint on its last block that can carry one (not thinking, not empty text), and
 * before any container_upload: history stores an upload as a text note, so a prefix that ended on the upload
 * block would never be read again, while one that ends on the question text is found from the note (lookback).
 */
function withBreakpoint(
  content: string | Anthropic.ContentBlockParam[],
  ttl: '5m' | '1h',
): Anthropic.ContentBlockParam[] {
  const blocks: Anthropic.ContentBlockParam[] =
    typeof content === 'string' ? [{ type: 'text', text: content }] : [...content];
  const at = blocks.findLastIndex(
    (b) =>
      b.type !== 'thinking' &&
      b.type !== 'redacted_thinking' &&
      b.type !== 'container_upload' &&
      !(b.type === 'text' && b.text === ''),
  );
  if (at >= 0)
    blocks[at] = { ...blocks[at]!, cache_control: { type: 'ephemeral', ttl } } as Anthropic.ContentBlockParam;
  return blocks;
}

/** Asks Claude, with the code execution tool, to answer one question in a thread's container. */
export function createAnalyst(opts: AnalystOptions) {
  const streamRetries = opts.streamRetries ?? 1;
  const cache = opts.cache ?? '1h';
  // The last response id per thread, for cache diagnostics; lost on restart (then the next request opts in with null).
  const lastMessageIds = new Map<string, string>();

  async function ask(params: AskParams): Promise<AskResult> {
    const p = { ...params, meter: params.meter ?? newMeter() };
    let { history, userContent, containerId } = p;
    let containerReplaced = false;
    for (;;) {
      try {
        const result = await converse({ ...p, history, userContent, containerId });
        return { ...result, containerReplaced };
      } catch (err) {
        if (!containerReplaced && containerId && isContainerGone(err)) {
          p.log.warn(
            { requestId: err.requestID, errorCode: err.errorCode, status: err.status, containerId },
            'container can no longer be restored; starting a new one',
          );
          ({ history, userContent } = await p.onContainerLost());
          containerId = null;
          containerReplaced = true;
          continue;
        }
        const classified = classifyError(err);
        p.log.warn(
          {
            code: classified.code,
            requestId: classified.requestId,
            errorCode: classified.apiErrorCode,
            status: classified.status,
          },
          'Claude request failed',
        );
        throw classified;
      }
    }
  }

  /** One turn: a request plus bounded pause_turn continuations on the same container. */
  async function converse(p: AskParams & { meter: Meter }): Promise<Omit<AskResult, 'containerReplaced'>> {
    const merged: Anthropic.ContentBlock[] = [];
    const { usage } = p.meter;
    const requestIds: string[] = [];
    let container: AskResult['container'] = null;
    let containerId = p.containerId;
    let stopReason: Anthropic.StopReason | null = null;

    for (let segment = 0; ; segment++) {
      const request = buildRequest({
        model: opts.model,
        maxTokens: opts.maxTokens,
        toolVersion: p.toolVersion,
        history: p.history,
        userContent: segment > 0 && containerId && p.asStored ? p.asStored(p.userContent) : p.userContent,
        continuation: merged as Anthropic.ContentBlockParam[],
        containerId,
        cache,
        ...(opts.behaviour ? { behaviour: opts.behaviour } : {}),
        previousMessageId: lastMessageIds.get(p.threadKey) ?? null,
      });
      const message = await streamWithRetry(request, p, requestIds);
      rememberMessage(p.threadKey, message.id);
      merged.push(...message.content);
      // Next to the usage, so a cache miss in production can be explained from the log alone.
      p.log.info(
        {
          messageId: message.id,
          inputTokens: message.usage.input_tokens,
          cacheReadInputTokens: message.usage.cache_read_input_tokens ?? 0,
          cacheCreationInputTokens: message.usage.cache_creation_input_tokens ?? 0,
          cacheCreation1hInputTokens: message.usage.cache_creation?.ephemeral_1h_input_tokens ?? 0,
          outputTokens: message.usage.output_tokens,
          cacheMissReason: message.diagnostics?.cache_miss_reason ?? null,
        },
        'Claude usage',
      );
      // `container` is null when no code ran in this segment: keep the one we have.
      if (message.container) {
        container = { id: message.container.id, expiresAt: Date.parse(message.container.expires_at) };
        containerId = message.container.id;
      }
      stopReason = message.stop_reason;
      const overCeiling =
        stopReason === 'pause_turn' &&
        p.maxCostUsd !== undefined &&
        opts.prices !== undefined &&
        estimateCost(opts.prices, usage, containerMinutes(p.meter.container)) > p.maxCostUsd;
      if (stopReason !== 'pause_turn' || segment >= opts.maxContinuations || overCeiling) {
        if (overCeiling) p.log.info({ maxCostUsd: p.maxCostUsd }, 'turn reached MAX_TURN_USD; not continued');
        return {
          assistantContent: merged,
          userContent: p.userContent,
          history: p.history,
          stopReason,
          hitContinuationLimit: stopReason === 'pause_turn' && !overCeiling,
          hitCostLimit: overCeiling,
          container,
          usage: { ...usage },
          requestIds,
        };
      }
    }
  }

  function rememberMessage(threadKey: string, id: string): void {
    lastMessageIds.delete(threadKey);
    lastMessageIds.set(threadKey, id);
    // Insertion order makes the first key the least recently answered thread.
    if (lastMessageIds.size > MAX_REMEMBERED_THREADS)
      lastMessageIds.delete(lastMessageIds.keys().next().value!);
  }

  async function streamWithRetry(
    params: Anthropic.MessageCreateParamsNonStreaming,
    p: AskParams & { meter: Meter },
    requestIds: string[],
  ): Promise<Anthropic.Message> {
    for (let attempt = 0; ; attempt++) {
      const startedAt = Date.now();
      const stream = opts.client.messages.stream(params, p.signal ? { signal: p.signal } : {});
      if (p.onBlock) stream.on('contentBlock', p.onBlock);
      if (p.onText) stream.on('text', p.onText);
      try {
        const message = await stream.finalMessage();
        meterRequest(p.meter, params, message, startedAt);
        if (stream.request_id) requestIds.push(stream.request_id);
        return message;
      } catch (err) {
        // Billed all the same: what the stream had seen of the response before it broke or was stopped.
        meterRequest(p.meter, params, stream.currentMessage, startedAt);
        // The SDK retries failed requests, but not a response stream that dies half-way.
        if (attempt < streamRetries && !p.signal?.aborted && isBrokenStream(err)) {
          p.log.warn(
            { attempt, requestId: stream.request_id },
            'stream broke mid-response; re-sending the request',
          );
          continue;
        }
        throw err;
      }
    }
  }

  return { ask };
}
export type Analyst = ReturnType<typeof createAnalyst>;

const MAX_REMEMBERED_THREADS = 10_000;

/** A response that started and then broke off surfaces as a plain AnthropicError, not an APIError. */
const isBrokenStream = (err: unknown) =>
  err instanceof Anthropic.AnthropicError && !(err instanceof Anthropic.APIError);

/**
 * Adds one request to the turn's meter: its usage as far as the stream got (message_start carries the input side,
 * message_delta the final counts), and its container time if it ran code or carried files (preloaded, so billed).
 */
function meterRequest(
  meter: Meter,
  params: Anthropic.MessageCreateParamsNonStreaming,
  message: Anthropic.Message | undefined,
  startedAt: number,
): void {
  if (message) addUsage(meter.usage, message.usage);
  // Not `message.container`: a follow-up's response names its container even when no code ran.
  const ranCode = message?.content.some((b) => b.type === 'server_tool_use') ?? false;
  if (!ranCode && !carriesFiles(params)) return;
  meter.container.used = true;
  meter.container.startedAt ??= startedAt;
  meter.container.ms = Date.now() - meter.container.startedAt;
}

const carriesFiles = (params: Anthropic.MessageCreateParamsNonStreaming) =>
  params.messages.some(
    (m) => typeof m.content !== 'string' && m.content.some((b) => b.type === 'container_upload'),
  );

function addUsage(total: TokenUsage, u: Anthropic.Usage): void {
  total.inputTokens += u.input_tokens;
  total.outputTokens += u.output_tokens;
  total.cacheReadInputTokens += u.cache_read_input_tokens ?? 0;
  total.cacheCreationInputTokens += u.cache_creation_input_tokens ?? 0;
  total.cacheCreation1hInputTokens += u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
}

export { AnalystError };
