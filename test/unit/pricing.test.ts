import { describe, expect, it } from 'vitest';
import { containerCostUsd, containerMinutes, estimateCost, noTokens } from '../../src/pricing.js';

const PRICES = {
  inputPerMTok: 3,
  outputPerMTok: 15,
  containerPerHour: 0.05,
  containerFreeHoursPerMonth: 1550,
};
const MINUTE = 60_000;

describe('container time', () => {
  it('bills a used container at least 5 minutes, longer uses for their measured time, an unused one not at all', () => {
    expect(containerMinutes({ used: false, ms: 0 })).toBe(0);
    expect(containerMinutes({ used: true, ms: 0 })).toBe(5);
    expect(containerMinutes({ used: true, ms: 4.9 * MINUTE })).toBe(5);
    expect(containerMinutes({ used: true, ms: 12 * MINUTE })).toBe(12);
  });

  it('charges only what falls beyond the organisation’s 1,550 free hours this month, at the hourly price', () => {
    const free = 1550 * 60;
    // Well inside the free hours: nothing; already past them: every minute; straddling: only the part beyond.
    expect(containerCostUsd(PRICES, 30, 0)).toBe(0);
    expect(containerCostUsd(PRICES, 30, free)).toBeCloseTo(0.025, 12);
    expect(containerCostUsd(PRICES, 30, free - 6)).toBeCloseTo((24 / 60) * 0.05, 12);
    expect(containerCostUsd(PRICES, 30, free + 600)).toBeCloseTo(0.025, 12);
    // Unknown month so far: the free hours are taken as used up, the estimate a budget can rely on.
    expect(containerCostUsd(PRICES, 6)).toBeCloseTo(0.005, 12);
    // No free hours configured (another app shares the organisation's allowance).
    expect(containerCostUsd({ ...PRICES, containerFreeHoursPerMonth: 0 }, 60, 0)).toBeCloseTo(0.05, 12);
    expect(
      containerCostUsd({ ...PRICES, containerPerHour: 1.2, containerFreeHoursPerMonth: 0 }, 5, 0),
    ).toBeCloseTo(0.1, 12);
  });

  it('adds container time to the token cost of a question', () => {
    const usage = { ...noTokens(), inputTokens: 1_000_000, cacheReadInputTokens: 1_000_000 };
    const fiveMinutes = containerMinutes({ used: true, ms: 1000 });
    expect(estimateCost(PRICES, usage, fiveMinutes, 1550 * 60)).toBeCloseTo(3 + 0.3 + (5 / 60) * 0.05, 12);
    expect(estimateCost(PRICES, usage, fiveMinutes, 0)).toBeCloseTo(3.3, 12);
  });
});
