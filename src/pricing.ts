/**
 * Estimated prices, for the cost receipt under an answer, the `usage` command and budgets. The Anthropic invoice is
 * authoritative; these are estimates from configured list prices.
 */

/** USD list prices. */
export interface Prices {
  inputPerMTok: number;
  outputPerMTok: number;
  containerPerHour: number;
  /** Container hours free per organisation and calendar month (UTC) before `containerPerHour` applies; default 0. */
  containerFreeHoursPerMonth?: number;
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

/**
 * Code execution is billed by container time, apart from tokens (Anthropic, "Code execution tool: Usage and
 * pricing"): every use is billed at least 5 minutes; a request that carries files is a use even if no code runs,
 * because the files are preloaded into the container; each organisation gets 1,550 free container-hours a month,
 * then each container-hour costs `containerPerHour` ($0.05 list). The API reports no duration, so a question's use
 * is measured as the wall-clock time of its requests that used the container (start of the first to end of the
 * last: pause_turn continuations follow within seconds, in the same container), and billed at least 5 minutes.
 */
export const MIN_CONTAINER_MINUTES = 5;
export const FREE_CONTAINER_HOURS_PER_MONTH = 1550;

/** How one question used its container, as the analyst saw its requests. */
export interface ContainerUse {
  /** Code ran, or a request carried files (preloaded into the container). */
  used: boolean;
  /** Wall-clock span of the requests that used the container, ms. */
  ms: number;
  /** When the first of them was sent (ms since the epoch). */
  startedAt?: number;
}

/** Billed container minutes of one question: the measured time, at least the per-use minimum; none if unused. */
export const containerMinutes = (use: ContainerUse): number =>
  use.used ? Math.max(MIN_CONTAINER_MINUTES, use.ms / 60_000) : 0;

/**
 * USD for `minutes` of container time when the organisation had already used `earlierMinutes` this month: only
 * what falls beyond the free hours is charged. `earlierMinutes` defaults to "the free hours are used up", the
 * estimate a budget can rely on when the month's use is unknown.
 */
export function containerCostUsd(
  p: Prices,
  minutes: number,
  earlierMinutes = Number.POSITIVE_INFINITY,
): number {
  const freeLeft = Math.max(0, (p.containerFreeHoursPerMonth ?? 0) * 60 - earlierMinutes);
  return (Math.max(0, minutes - freeLeft) / 60) * p.containerPerHour;
}

export const noTokens = (): TokenUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
  cacheCreation1hInputTokens: 0,
});

/**
 * What a question has consumed so far. The analyst adds each request to it as the request ends, however it ends,
 * so a failed or stopped question is counted as billed.
 */
export interface Meter {
  usage: TokenUsage;
  container: ContainerUse;
}

export const newMeter = (): Meter => ({ usage: noTokens(), container: { used: false, ms: 0 } });

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

/** Tokens at their rates plus container time beyond the month's free hours (see `containerCostUsd`). */
export function estimateCost(
  p: Prices,
  u: TokenUsage,
  containerMinutes = 0,
  earlierContainerMinutes?: number,
): number {
  return (
    (billedInputUnits(u) * p.inputPerMTok + u.outputTokens * p.outputPerMTok) / 1e6 +
    containerCostUsd(p, containerMinutes, earlierContainerMinutes)
  );
}

export const formatUsd = (usd: number) => (usd < 0.01 ? '< $0.01' : `$${usd.toFixed(2)}`);
