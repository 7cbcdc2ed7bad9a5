import Anthropic from '@anthropic-ai/sdk';
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from './log.js';

/**
 * Start-up checks: every credential and the model are tried once before the bot says it started, so a
 * wrong token is one clear line at start, not a stack trace minutes later. The same probes keep
 * /healthz honest afterwards.
 */

/** Why a check failed: the line an operator reads, whether retrying can help, and the exit code. */
export interface Failure {
  message: string;
  /** A network error or a 5xx/429: worth retrying. Anything else is configuration. */
  transient: boolean;
}
export type CheckResult<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** Thrown by `verifyStartup`: one line per failed check; exit 2 for configuration, 1 for unreachable services. */
export class StartupError extends Error {
  readonly exitCode: 1 | 2;
  constructor(readonly failures: Failure[]) {
    super(failures.map((f) => f.message).join('\n'));
    this.name = 'StartupError';
    this.exitCode = failures.some((f) => !f.transient) ? 2 : 1;
  }
}

export interface BotIdentity {
  botUserId: string;
  botId: string;
  teamId: string | undefined;
}

// Platform errors that mean "Slack is having trouble", not "your token is wrong".
const SLACK_TRANSIENT_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

/** The first network error code (ECONNREFUSED, ENOTFOUND, …) in an error's cause chain. */
function networkCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    const next = e as { original?: unknown; cause?: unknown };
    e = next.original ?? next.cause;
  }
  return undefined;
}

const unreachable = (host: string, err: unknown, setting: string): Failure => ({
  message: `cannot reach ${host} (${networkCode(err) ?? 'network error'}) — check network/proxy or ${setting}`,
  transient: true,
});

/** Classifies a WebClient error for the credential `variable` (SLACK_BOT_TOKEN or SLACK_APP_TOKEN). */
export function slackFailure(err: unknown, variable: string, apiHost: string): Failure {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number };
  if (e?.code === ErrorCode.PlatformError && e.data?.error) {
    const error = e.data.error;
    return SLACK_TRANSIENT_ERRORS.has(error)
      ? { message: `Slack is unavailable (${error})`, transient: true }
      : { message: `Slack rejected ${variable} (${error})`, transient: false };
  }
  if (e?.code === ErrorCode.RateLimitedError)
    return { message: 'Slack is rate limiting (429)', transient: true };
  if (e?.code === ErrorCode.HTTPError && e.statusCode) {
    return e.statusCode >= 500
      ? { message: `Slack is unavailable (HTTP ${e.statusCode})`, transient: true }
      : { message: `${apiHost} answered HTTP ${e.statusCode} — check SLACK_API_URL`, transient: false };
  }
  return unreachable(apiHost, err, 'SLACK_API_URL');
}

/** auth.test with the bot token: who the bot is (Bolt needs the ids; asking here means Bolt never has to). */
export async function checkBotToken(client: WebClient, apiHost: string): Promise<CheckResult<BotIdentity>> {
  try {
    const res = await client.auth.test();
    if (!res.user_id || !res.bot_id) {
      return {
        ok: false,
        failure: {
          message: 'SLACK_BOT_TOKEN is not a bot token (auth.test has no bot id)',
          transient: false,
        },
      };
    }
    return { ok: true, value: { botUserId: res.user_id, botId: res.bot_id, teamId: res.team_id } };
  } catch (err) {
    return { ok: false, failure: slackFailure(err, 'SLACK_BOT_TOKEN', apiHost) };
  }
}

/** apps.connections.open with the app-level token: the call Socket Mode makes to connect. */
export async function checkAppToken(
  client: WebClient,
  appToken: string,
  apiHost: string,
): Promise<CheckResult<null>> {
  try {
    await client.apps.connections.open({ token: appToken });
    return { ok: true, value: null };
  } catch (err) {
    return { ok: false, failure: slackFailure(err, 'SLACK_APP_TOKEN', apiHost) };
  }
}

/** models.retrieve: the key works and the model exists and can run code. */
export async function checkAnthropic(
  client: Anthropic,
  model: string,
  apiHost: string,
  signal?: AbortSignal,
): Promise<CheckResult<null>> {
  const lacking: Failure = { message: `model ${model} not found or lacks code execution`, transient: false };
  try {
    const info = await client.models.retrieve(model, null, signal ? { signal } : undefined);
    // `capabilities` is null when the API does not report them; then the first question will tell.
    if (info.capabilities?.server_tools?.code_execution?.supported === false)
      return { ok: false, failure: lacking };
    return { ok: true, value: null };
  } catch (err) {
    if (err instanceof Anthropic.AuthenticationError || err instanceof Anthropic.PermissionDeniedError)
      return {
        ok: false,
        failure: { message: `Anthropic rejected ANTHROPIC_API_KEY (${err.status})`, transient: false },
      };
    if (err instanceof Anthropic.NotFoundError) return { ok: false, failure: lacking };
    if (err instanceof Anthropic.APIConnectionError)
      return { ok: false, failure: unreachable(apiHost, err, 'ANTHROPIC_BASE_URL') };
    if (err instanceof Anthropic.APIError && typeof err.status === 'number') {
      const transient = err.status >= 500 || err.status === 429;
      return {
        ok: false,
        failure: {
          message: transient
            ? `Anthropic is unavailable (${err.status})`
            : `Anthropic refused the model check for ${model} (${err.status})`,
          transient,
        },
      };
    }
    return { ok: false, failure: unreachable(apiHost, err, 'ANTHROPIC_BASE_URL') };
  }
}

export interface RetryPolicy {
  retries: number;
  delayMs: number;
}

/** Runs a check, retrying transient failures `retries` times `delayMs` apart (each retry logged in one line). */
export async function withRetry<T>(
  check: () => Promise<CheckResult<T>>,
  policy: RetryPolicy,
  log: Logger,
): Promise<CheckResult<T>> {
  for (let attempt = 1; ; attempt++) {
    const result = await check();
    if (result.ok || !result.failure.transient || attempt > policy.retries) return result;
    log.warn(
      { attempt, of: policy.retries },
      `${result.failure.message}; retrying in ${policy.delayMs / 1000} s`,
    );
    await new Promise((r) => setTimeout(r, policy.delayMs));
  }
}

/** Host of a base URL, for messages (`slack.com`, `api.anthropic.com`, `127.0.0.1:9`). */
export function hostOf(url: string): string {
  return new URL(url).host;
}

export interface StartupChecks {
  /** A WebClient for probes: no retries of its own, quiet logs. */
  slack: WebClient;
  slackApiHost: string;
  /** Socket Mode only. */
  appToken: string | undefined;
  anthropic: Anthropic;
  anthropicHost: string;
  model: string;
  retry: RetryPolicy;
  log: Logger;
}

/** Runs every check (in parallel, each with its own retries); returns the bot's identity or throws a StartupError. */
export async function verifyStartup(c: StartupChecks): Promise<BotIdentity> {
  const skipped: CheckResult<null> = { ok: true, value: null };
  const [bot, app, model] = await Promise.all([
    withRetry(() => checkBotToken(c.slack, c.slackApiHost), c.retry, c.log),
    c.appToken
      ? withRetry(() => checkAppToken(c.slack, c.appToken!, c.slackApiHost), c.retry, c.log)
      : skipped,
    withRetry(() => checkAnthropic(c.anthropic, c.model, c.anthropicHost), c.retry, c.log),
  ]);
  const failures = [bot, app, model].flatMap((r) => (r.ok ? [] : [r.failure]));
  if (!bot.ok || failures.length > 0) throw new StartupError(failures);
  return bot.value;
}
