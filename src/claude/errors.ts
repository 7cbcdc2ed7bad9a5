import Anthropic from '@anthropic-ai/sdk';
import type { ClaudeFailure } from '../ports.js';

export type AnalystErrorCode = ClaudeFailure | 'aborted';

const USER_MESSAGES: Record<AnalystErrorCode, string> = {
  overloaded: 'Claude is overloaded right now.',
  rate_limited: 'The Anthropic API rate limit was hit.',
  timeout: 'The request to Claude timed out.',
  connection: 'The connection to the Anthropic API failed.',
  auth: 'The bot could not authenticate with the Anthropic API (check ANTHROPIC_API_KEY).',
  bad_request: 'The Anthropic API rejected the request.',
  too_large: 'The conversation or its files are too large for one request.',
  server: 'The Anthropic API had an internal error.',
  aborted: 'The request was stopped.',
};

/** A failed call to Claude, classified at the edge by status and type — never by message text. */
export class AnalystError extends Error {
  readonly userMessage: string;
  constructor(
    readonly code: AnalystErrorCode,
    readonly requestId: string | null,
    readonly apiErrorCode: string | null,
    readonly status: number | null,
    cause: unknown,
  ) {
    super(`${code}${status ? ` (HTTP ${status})` : ''}`, { cause });
    this.name = 'AnalystError';
    this.userMessage = USER_MESSAGES[code];
  }
  /** Worth trying the whole turn again later (the question is kept). */
  get transient(): boolean {
    return ['overloaded', 'rate_limited', 'timeout', 'connection', 'server'].includes(this.code);
  }
}

export function classifyError(err: unknown): AnalystError {
  if (err instanceof AnalystError) return err;
  if (err instanceof Anthropic.APIUserAbortError) return new AnalystError('aborted', null, null, null, err);
  if (err instanceof Anthropic.APIConnectionTimeoutError)
    return new AnalystError('timeout', null, null, null, err);
  if (err instanceof Anthropic.APIConnectionError)
    return new AnalystError('connection', null, null, null, err);
  if (err instanceof Anthropic.APIError) {
    const s = err.status ?? null;
    const code: AnalystErrorCode =
      s === 529
        ? 'overloaded'
        : s === 429
          ? 'rate_limited'
          : s === 401 || s === 403
            ? 'auth'
            : s === 413
              ? 'too_large'
              : s === 408 || s === 504
                ? 'timeout'
                : s !== null && s >= 500
                  ? 'server'
                  : 'bad_request';
    return new AnalystError(code, err.requestID ?? null, err.errorCode ?? null, s, err);
  }
  // A stream that dies mid-response surfaces as a plain AnthropicError from the stream helper.
  if (err instanceof Anthropic.AnthropicError) return new AnalystError('connection', null, null, null, err);
  throw err;
}

/**
 * The API's answer to a request naming a container that can no longer be restored. Its exact shape
 * is undocumented, so: a 400/404 on a request that carried `container`, whose error code or message
 * names the container.
 */
export function isContainerGone(err: unknown): err is InstanceType<typeof Anthropic.APIError> {
  if (!(err instanceof Anthropic.BadRequestError || err instanceof Anthropic.NotFoundError)) return false;
  return /container/i.test(err.errorCode ?? '') || /container/i.test(err.apiMessage ?? err.message);
}
