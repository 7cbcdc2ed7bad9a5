import { z } from 'zod';
import { oneLine } from '../text/format.js';

/**
 * Slack's `data_visualization` block, which @slack/types does not have yet; shape and limits from
 * https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block (the Data Point, Data Series, Segment
 * and Axis Config sections of that page): a title of at most 50 characters; a pie of 1–6 segments with positive
 * values; a bar, line or area chart of 1–6 uniquely named series, each with 1–20 data points whose labels are the
 * axis categories; labels, category and series names at most 20 characters; axis titles at most 50.
 */
export interface DataVisualizationBlock {
  type: 'data_visualization';
  title: string;
  chart: PieChart | SeriesChart;
  block_id?: string;
}
export interface DataPoint {
  label: string;
  value: number;
}
export interface PieChart {
  type: 'pie';
  segments: DataPoint[];
}
export interface SeriesChart {
  type: 'bar' | 'line' | 'area';
  series: { name: string; data: DataPoint[] }[];
  axis_config: { categories: string[]; x_label?: string; y_label?: string };
}

export const CHART_LIMITS = {
  maxTitle: 50,
  maxLabel: 20,
  maxAxisTitle: 50,
  maxSeries: 6,
  maxPoints: 20,
  maxSegments: 6,
} as const;

/** The spec Claude writes next to a chart PNG, e.g. `revenue.png` + `revenue.chart.json` (see SYSTEM_PROMPT). */
const CHART_SPEC_SUFFIX = '.chart.json';
/** A spec is a few hundred bytes; anything much bigger is not one. */
const MAX_SPEC_BYTES = 64 * 1024;

const label = z.string().trim().min(1);
const chartSpec = z.object({
  type: z.enum(['bar', 'line', 'area', 'pie']),
  title: label,
  labels: z.array(label).min(1).max(CHART_LIMITS.maxPoints),
  series: z
    .array(z.object({ name: label, values: z.array(z.number().finite()) }))
    .min(1)
    .max(CHART_LIMITS.maxSeries),
  x_label: z.string().optional(),
  y_label: z.string().optional(),
});
export type ChartSpec = z.infer<typeof chartSpec>;

export const isChartSpecFile = (fileName: string) => fileName.toLowerCase().endsWith(CHART_SPEC_SUFFIX);

/** The file name a spec belongs to without extension (`revenue.chart.json` → `revenue`). */
export const chartSpecBase = (fileName: string) => fileName.slice(0, -CHART_SPEC_SUFFIX.length);

/**
 * A data_visualization block for the spec in `bytes`, or undefined when it is not valid JSON, does not match the
 * spec, or breaks Slack's limits (too many series, points or segments; values that do not line up with the labels;
 * labels or names that are no longer distinct once cut to Slack's lengths). `clean` is applied to every text
 * (redaction, mentions) before it is cut.
 */
export function chartBlock(
  bytes: Buffer,
  clean: (text: string) => string,
): DataVisualizationBlock | undefined {
  if (bytes.length > MAX_SPEC_BYTES) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = chartSpec.safeParse(json);
  if (!parsed.success) return undefined;
  const spec = parsed.data;
  const text = (s: string, max: number) => oneLine(clean(s), max);
  const labels = spec.labels.map((l) => text(l, CHART_LIMITS.maxLabel));
  const names = spec.series.map((s) => text(s.name, CHART_LIMITS.maxLabel));
  const distinct = (xs: string[]) => new Set(xs).size === xs.length && xs.every((x) => x !== '');
  if (!distinct(labels) || !distinct(names)) return undefined;
  if (spec.series.some((s) => s.values.length !== labels.length)) return undefined;
  const title = text(spec.title, CHART_LIMITS.maxTitle) || 'Chart';
  if (spec.type === 'pie') {
    const [only] = spec.series;
    if (spec.series.length !== 1 || labels.length > CHART_LIMITS.maxSegments) return undefined;
    if (only!.values.some((v) => v <= 0)) return undefined;
    return {
      type: 'data_visualization',
      title,
      chart: { type: 'pie', segments: labels.map((l, i) => ({ label: l, value: only!.values[i]! })) },
    };
  }
  const axis = (s: string | undefined) => (s ? text(s, CHART_LIMITS.maxAxisTitle) : '');
  const xLabel = axis(spec.x_label);
  const yLabel = axis(spec.y_label);
  return {
    type: 'data_visualization',
    title,
    chart: {
      type: spec.type,
      series: spec.series.map((s, i) => ({
        name: names[i]!,
        data: labels.map((l, j) => ({ label: l, value: s.values[j]! })),
      })),
      axis_config: {
        categories: labels,
        ...(xLabel ? { x_label: xLabel } : {}),
        ...(yLabel ? { y_label: yLabel } : {}),
      },
    },
  };
}

/** The chart's notification text: its title and kind (the data is in the block and the PNG). */
export const chartFallbackText = (block: DataVisualizationBlock) =>
  `📊 ${block.title} (${block.chart.type} chart)`;
