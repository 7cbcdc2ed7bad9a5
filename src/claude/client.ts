import Anthropic from '@anthropic-ai/sdk';
import { Agent } from 'undici';
import type { Config } from '../config.js';

export type AnthropicClientConfig = Pick<
  Config,
  'ANTHROPIC_API_KEY' | 'ANTHROPIC_BASE_URL' | 'ANTHROPIC_MAX_RETRIES' | 'ANTHROPIC_TIMEOUT_MS'
>;

/**
 * The Anthropic client, with its own connection pool. fetch's default pool gives up after 300 s without response
 * headers, or 300 s of silence in a body, whatever the SDK's `timeout` says; so an ANTHROPIC_TIMEOUT_MS above
 * 300 s (the default is 600 s) would never be reached. Here both undici limits equal ANTHROPIC_TIMEOUT_MS: the SDK's
 * own timer still ends a request that waits too long for headers, and a stream silent for that long is broken.
 */
export function createAnthropicClient(config: AnthropicClientConfig): Anthropic {
  const dispatcher = new Agent({
    headersTimeout: config.ANTHROPIC_TIMEOUT_MS,
    bodyTimeout: config.ANTHROPIC_TIMEOUT_MS,
  });
  return new Anthropic({
    apiKey: config.ANTHROPIC_API_KEY,
    maxRetries: config.ANTHROPIC_MAX_RETRIES,
    timeout: config.ANTHROPIC_TIMEOUT_MS,
    fetchOptions: { dispatcher },
    ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
  });
}
