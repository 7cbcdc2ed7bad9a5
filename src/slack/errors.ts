import { ErrorCode } from '@slack/web-api';

/** A short, loggable code for a Web API failure: the platform error, or the transport error kind. */
export function slackErrorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err) {
    const e = err as { code: string; data?: { error?: string }; statusCode?: number };
    if (e.code === ErrorCode.PlatformError && e.data?.error) return e.data.error;
    if (e.code === ErrorCode.HTTPError && e.statusCode) return `http_${e.statusCode}`;
    if (e.code === ErrorCode.RateLimitedError) return 'rate_limited';
    if (e.code === ErrorCode.RequestError) return 'request_error';
    return e.code;
  }
  return 'unknown_error';
}
