/**
 * Estimated prices, for the cost receipt under an answer, the `usage` command and budgets. The Anthropic invoice is
 * authoritative; these are estimates from configured list prices.
 */

/** USD list prices. */
export interface Prices {
  inputPerMTok: number;
  outputPerMTok: number;
  containerPerHour: number;
}

/** Token counts as the API bills them; cache writes are split by TTL because the two TTLs are priced apart. */
export interface TokenUsage {
  /** Input neither read from nor written to the cache (1× the input price). */
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  /** Cache writes of both TTLs. */
  cacheCreationInputTokens: number;
  /** The part of `cacheCreationInputTokens` written with the 1-hour TTL. */
  cacheCreation1hInputTokens: number;
}

/** Prompt caching prices as multiples of the input price: reads 0.1×, 5-minute writes 1.25×, 1-hour writes 2×. */
export const CACHE_PRICE = { read: 0.1, write5m: 1.25, write1h: 2 } as const;

/** Code execution bills at least five minutes each time a container is used. */
export const MIN_CONTAINER_MINUTES = 5;

export const noTokens = (): TokenUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
  cacheCreation1hInputTokens: 0,
});

/** Every input token the request carried, however it was billed. */
export const totalInputTokens = (u: TokenUsage): number =>
  u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens;

/** Input tokens weighted by their price relative to plain input: what the input side costs, in input tokens. */
export function billedInputUnits(u: TokenUsage): number {
  const write1h = Math.min(u.cacheCreation1hInputTokens, u.cacheCreationInputTokens);
  return (
    u.inputTokens +
    u.cacheReadInputTokens * CACHE_PRICE.read +
    (u.cacheCreationInputTokens - write1h) * CACHE_PRICE.write5m +
    write1h * CACHE_PRICE.write1h
  );
}

export function estimateCost(p: Prices, u: TokenUsage, containerMinutes = 0): number {
  return (
    (billedInputUnits(u) * p.inputPerMTok + u.outputTokens * p.outputPerMTok) / 1e6 +
    (containerMinutes / 60) * p.containerPerHour
  );
}

/**
 * Container time billed for one question: the API reports no duration, so a question that ran code is counted at
 * the per-use minimum (one container use per question; its runs take seconds).
 */
export const containerMinutes = (ranCode: boolean): number => (ranCode ? MIN_CONTAINER_MINUTES : 0);

export const formatUsd = (usd: number) => (usd < 0.01 ? '< $0.01' : `$${usd.toFixed(2)}`);
