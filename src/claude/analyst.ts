import Anthropic from '@anthropic-ai/sdk';
import type { CodeExecutionToolVersion } from '../config.js';
import type { Logger } from '../log.js';
import { AnalystError, classifyError, isContainerGone } from './errors.js';

export interface AskParams {
  toolVersion: CodeExecutionToolVersion;
  system: string;
  history: Anthropic.MessageParam[];
  userContent: Anthropic.ContentBlockParam[];
  containerId: string | null;
  /**
   * Called once if the thread's container can no longer be restored: returns the history and user content
   * to send to a fresh container (old container_upload blocks retired, every input re-attached).
   */
  onContainerLost: () => { history: Anthropic.MessageParam[]; userContent: Anthropic.ContentBlockParam[] };
  signal?: AbortSignal;
  /** Each content block as it completes while streaming (for live progress). */
  onBlock?: (block: Anthropic.ContentBlock) => void;
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
  container: { id: string; expiresAt: number } | null;
  containerReplaced: boolean;
  usage: {
    inputTokens: number;
    outputTokens: number;
    cacheReadInputTokens: number;
    cacheCreationInputTokens: number;
  };
  requestIds: string[];
}

export interface AnalystOptions {
  client: Anthropic;
  model: string;
  maxTokens: number;
  maxContinuations: number;
  /** Extra attempts for a stream that dies mid-response (SDK retries do not cover a broken stream). */
  streamRetries?: number;
}

/** Asks Claude, with the code execution tool, to answer one question in a thread's container. */
export function createAnalyst(opts: AnalystOptions) {
  const streamRetries = opts.streamRetries ?? 1;

  async function ask(p: AskParams): Promise<AskResult> {
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
          ({ history, userContent } = p.onContainerLost());
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
  async function converse(p: AskParams): Promise<Omit<AskResult, 'containerReplaced'>> {
    const tools: Anthropic.ToolUnion[] = [{ type: p.toolVersion, name: 'code_execution' }];
    const merged: Anthropic.ContentBlock[] = [];
    const usage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 };
    const requestIds: string[] = [];
    let container: AskResult['container'] = null;
    let containerId = p.containerId;
    let stopReason: Anthropic.StopReason | null = null;

    for (let segment = 0; ; segment++) {
      const messages: Anthropic.MessageParam[] = [...p.history, { role: 'user', content: p.userContent }];
      // A paused turn is continued by sending Claude's content back unchanged, as one assistant message.
      if (merged.length > 0)
        messages.push({ role: 'assistant', content: merged as Anthropic.ContentBlockParam[] });
      const message = await streamWithRetry(
        {
          model: opts.model,
          max_tokens: opts.maxTokens,
          system: p.system,
          tools,
          messages,
          ...(containerId ? { container: containerId } : {}),
        },
        p,
        requestIds,
      );
      merged.push(...message.content);
      addUsage(usage, message.usage);
      // `container` is null when no code ran in this segment: keep the one we have.
      if (message.container) {
        container = { id: message.container.id, expiresAt: Date.parse(message.container.expires_at) };
        containerId = message.container.id;
      }
      stopReason = message.stop_reason;
      if (stopReason !== 'pause_turn' || segment >= opts.maxContinuations) {
        return {
          assistantContent: merged,
          userContent: p.userContent,
          history: p.history,
          stopReason,
          hitContinuationLimit: stopReason === 'pause_turn',
          container,
          usage,
          requestIds,
        };
      }
    }
  }

  async function streamWithRetry(
    params: Anthropic.MessageCreateParamsNonStreaming,
    p: AskParams,
    requestIds: string[],
  ): Promise<Anthropic.Message> {
    for (let attempt = 0; ; attempt++) {
      const stream = opts.client.messages.stream(params, p.signal ? { signal: p.signal } : {});
      if (p.onBlock) stream.on('contentBlock', p.onBlock);
      try {
        const message = await stream.finalMessage();
        if (stream.request_id) requestIds.push(stream.request_id);
        return message;
      } catch (err) {
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

/** A response that started and then broke off surfaces as a plain AnthropicError, not an APIError. */
const isBrokenStream = (err: unknown) =>
  err instanceof Anthropic.AnthropicError && !(err instanceof Anthropic.APIError);

function addUsage(total: AskResult['usage'], u: Anthropic.Usage): void {
  total.inputTokens += u.input_tokens;
  total.outputTokens += u.output_tokens;
  total.cacheReadInputTokens += u.cache_read_input_tokens ?? 0;
  total.cacheCreationInputTokens += u.cache_creation_input_tokens ?? 0;
}

export { AnalystError };
