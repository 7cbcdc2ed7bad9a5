/**
 * The demo's data set and every number the simulated Claude reports about it. The numbers are computed here from
 * the generated rows, so what the demo thread shows is what the uploaded sales.csv really contains.
 */

export interface SaleRow {
  /** YYYY-MM */
  month: string;
  region: Region;
  revenue: number;
  units: number;
}

export const REGIONS = ['AMER', 'EMEA', 'APAC', 'LATAM'] as const;
export type Region = (typeof REGIONS)[number];
export const YEAR = 2025;
const MONTHS = Array.from({ length: 12 }, (_, i) => `${YEAR}-${String(i + 1).padStart(2, '0')}`);

/** Each region's shape: monthly units at the start of the year, growth per month, and its average unit price. */
const PROFILE: Record<Region, { units: number; growth: number; price: number }> = {
  AMER: { units: 3_600, growth: 0.008, price: 58 },
  EMEA: { units: 2_700, growth: 0.024, price: 61 },
  APAC: { units: 2_300, growth: 0.012, price: 52 },
  LATAM: { units: 1_200, growth: 0.017, price: 47 },
};
/** A summer dip and a Q4 push, so the series looks like sales rather than a straight line. */
const SEASON = [0.97, 0.95, 1.0, 1.0, 1.02, 0.99, 0.93, 0.91, 1.01, 1.04, 1.08, 1.12];

/** mulberry32: a tiny seeded PRNG, so every run produces the same file and the same numbers. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** About 300 deals: 5–8 per region and month, whose units add up to the region's monthly volume. */
export function generateSales(seed = 20250101): SaleRow[] {
  const rand = random(seed);
  const rows: SaleRow[] = [];
  for (const [m, month] of MONTHS.entries()) {
    for (const region of REGIONS) {
      const p = PROFILE[region];
      const volume = p.units * (1 + p.growth) ** m * SEASON[m]! * (0.96 + rand() * 0.08);
      const deals = 5 + Math.floor(rand() * 4);
      const weights = Array.from({ length: deals }, () => 0.3 + rand());
      const weightSum = weights.reduce((a, b) => a + b, 0);
      for (const w of weights) {
        const units = Math.max(1, Math.round((volume * w) / weightSum));
        // Discounts vary per deal, so revenue is not a fixed multiple of units.
        const price = p.price * (0.88 + rand() * 0.2);
        rows.push({ month, region, units, revenue: Math.round(units * price * 100) / 100 });
      }
    }
  }
  return rows;
}

export function toCsv(rows: readonly SaleRow[]): string {
  const lines = rows.map((r) => `${r.month},${r.region},${r.revenue.toFixed(2)},${r.units}`);
  return `month,region,revenue,units\n${lines.join('\n')}\n`;
}

export interface RegionTotal {
  region: Region;
  revenue: number;
  units: number;
  /** Percent of all revenue. */
  share: number;
}

export interface RegionGrowth {
  region: Region;
  q1: number;
  q4: number;
  /** Q4 over Q1, percent. */
  growth: number;
}

export interface RegionForecast {
  region: Region;
  /** Revenue per month added by the fitted trend. */
  slope: number;
  /** Forecast revenue for Q1 of the next year (three months past the data). */
  nextQ1: number;
}

export interface SalesAnalysis {
  rows: number;
  totalRevenue: number;
  totalUnits: number;
  /** Sorted by revenue, largest first. */
  byRegion: RegionTotal[];
  /** Sorted by growth, fastest first. */
  growth: RegionGrowth[];
  forecast: RegionForecast[];
}

export function analyse(rows: readonly SaleRow[]): SalesAnalysis {
  const totalRevenue = sum(rows.map((r) => r.revenue));
  const monthly = (region: Region) =>
    MONTHS.map((month) =>
      sum(rows.filter((r) => r.region === region && r.month === month).map((r) => r.revenue)),
    );

  const byRegion = REGIONS.map((region) => {
    const own = rows.filter((r) => r.region === region);
    const revenue = sum(own.map((r) => r.revenue));
    return { region, revenue, units: sum(own.map((r) => r.units)), share: (100 * revenue) / totalRevenue };
  }).sort((a, b) => b.revenue - a.revenue);

  const growth = REGIONS.map((region) => {
    const series = monthly(region);
    const q1 = sum(series.slice(0, 3));
    const q4 = sum(series.slice(9, 12));
    return { region, q1, q4, growth: (100 * (q4 - q1)) / q1 };
  }).sort((a, b) => b.growth - a.growth);

  const forecast = REGIONS.map((region) => {
    const { intercept, slope } = linearFit(monthly(region));
    const nextQ1 = sum([12, 13, 14].map((t) => intercept + slope * t));
    return { region, slope, nextQ1 };
  });

  return {
    rows: rows.length,
    totalRevenue,
    totalUnits: sum(rows.map((r) => r.units)),
    byRegion,
    growth,
    forecast,
  };
}

/** Least squares y = intercept + slope·t over t = 0..n-1, as numpy.polyfit(t, y, 1) computes it. */
function linearFit(y: readonly number[]): { intercept: number; slope: number } {
  const n = y.length;
  const tMean = (n - 1) / 2;
  const yMean = sum(y) / n;
  let num = 0;
  let den = 0;
  for (const [t, v] of y.entries()) {
    num += (t - tMean) * (v - yMean);
    den += (t - tMean) ** 2;
  }
  const slope = num / den;
  return { intercept: yMean - slope * tMean, slope };
}

// Rounded to cents: float sums of cent amounts drift (…0.690000002), and printed totals must match the CSV.
const sum = (values: readonly number[]) => Math.round(values.reduce((a, b) => a + b, 0) * 100) / 100;

/** $2.84M / $612.3k, as an analyst would write it in prose. */
export function money(value: number): string {
  if (Math.abs(value) >= 1e6) return `$${(value / 1e6).toFixed(2)}M`;
  if (Math.abs(value) >= 1e3) return `$${(value / 1e3).toFixed(1)}k`;
  return `$${value.toFixed(0)}`;
}
