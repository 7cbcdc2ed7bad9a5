/**
 * What the simulated Claude "does" in each turn: the bash commands it runs in the sandbox, their stdout/stderr, and
 * the written answer. Every printed number comes from `SalesAnalysis`, i.e. from the rows of the uploaded CSV, and
 * stdout is laid out the way pandas prints, so the thread reads like a real run.
 */

import type { ScriptedReply } from '../../test/support/fakes/fake-anthropic.js';
import { blocks } from '../../test/support/harness.js';
import { money, REGIONS, type SalesAnalysis, YEAR } from './sales.js';

type MessageReply = Extract<ScriptedReply, { kind: 'message' }>;

/**
 * Turn 1: look at the file, total revenue by region, draw the chart and its spec for Slack's native chart (both
 * registered upstream, as `chart.png` and `chart.spec`), and propose follow-up questions.
 */
export function revenueByRegion(
  a: SalesAnalysis,
  csv: string,
  chart: { png: string; spec: string },
  followUps: readonly string[],
): MessageReply {
  const [leader, second, third, fourth] = a.byRegion;
  const byRegionTable = frame(
    'region',
    ['revenue', 'units', 'share_%'],
    a.byRegion.map((r) => [r.region, r.revenue.toFixed(2), String(r.units), r.share.toFixed(1)]),
  );
  const totals = `TOTAL revenue=${a.totalRevenue.toLocaleString('en-US', { minimumFractionDigits: 2 })} units=${a.totalUnits.toLocaleString('en-US')}`;
  const csvLines = csv.split('\n').filter(Boolean);
  const tableRows = a.byRegion.map(
    (r) =>
      `| ${r.region} | ${dollars(r.revenue)} | ${r.units.toLocaleString('en-US')} | ${r.share.toFixed(1)} % |`,
  );
  return {
    kind: 'message',
    content: [
      blocks.text("I'll take a look at the file first."),
      blocks.bash('srvtoolu_01_head', 'head -5 sales.csv && wc -l sales.csv'),
      blocks.bashResult('srvtoolu_01_head', {
        stdout: `${csvLines.slice(0, 5).join('\n')}\n${csvLines.length} sales.csv\n`,
      }),
      blocks.bash(
        'srvtoolu_02_totals',
        python(`import pandas as pd
df = pd.read_csv('sales.csv')
df.to_pickle('/tmp/sales.pkl')  # keep the parsed frame for follow-up questions
by_region = df.groupby('region')[['revenue', 'units']].sum().sort_values('revenue', ascending=False)
by_region['share_%'] = (100 * by_region['revenue'] / by_region['revenue'].sum()).round(1)
print(by_region.to_string())
print(f"\\nTOTAL revenue={df['revenue'].sum():,.2f} units={df['units'].sum():,}")`),
      ),
      blocks.bashResult('srvtoolu_02_totals', { stdout: `${byRegionTable}\n\n${totals}\n` }),
      blocks.bash(
        'srvtoolu_03_chart',
        `${python(`import json, pandas as pd, matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
df = pd.read_pickle('/tmp/sales.pkl')
by_region = df.groupby('region')['revenue'].sum().sort_values(ascending=False)
ax = by_region.plot.bar(color=plt.rcParams['axes.prop_cycle'].by_key()['color'], rot=0, figsize=(6, 3.7))
ax.set_title('Revenue by region, ${YEAR}')
ax.bar_label(ax.containers[0], labels=[f'\${v / 1e6:.2f}M' for v in by_region])
plt.tight_layout()
plt.savefig('/tmp/revenue_by_region.png', dpi=120)
spec = {'type': 'bar', 'title': 'Revenue by region, ${YEAR}', 'labels': list(by_region.index),
        'series': [{'name': 'Revenue', 'values': [round(v) for v in by_region]}], 'x_label': 'Region', 'y_label': 'USD'}
with open('/tmp/revenue_by_region.chart.json', 'w') as f:
    json.dump(spec, f)`)}
cp /tmp/revenue_by_region.png /tmp/revenue_by_region.chart.json "$OUTPUT_DIR/" && ls "$OUTPUT_DIR"`,
      ),
      blocks.bashResult('srvtoolu_03_chart', {
        stdout: 'revenue_by_region.chart.json\nrevenue_by_region.png\n',
        fileIds: [chart.png, chart.spec],
      }),
      blocks.text(
        [
          `**${leader!.region} brought in the most ${YEAR} revenue: ${money(leader!.revenue)} (${leader!.share.toFixed(1)} % of ${money(a.totalRevenue)}).** ` +
            `${second!.region} follows with ${money(second!.revenue)}, then ${third!.region} (${money(third!.revenue)}) and ${fourth!.region} (${money(fourth!.revenue)}).`,
          '',
          '| Region | Revenue | Units | Share |',
          '|---|---:|---:|---:|',
          ...tableRows,
          `| **Total** | **${dollars(a.totalRevenue)}** | **${a.totalUnits.toLocaleString('en-US')}** | 100 % |`,
          '',
          `Computed from all ${a.rows} rows of \`sales.csv\` (12 months × ${REGIONS.length} regions). The chart is attached below.`,
          '',
          '```followups',
          ...followUps.map((q) => `- ${q}`),
          '```',
        ].join('\n'),
      ),
    ],
  };
}

/** Turn 2, a follow-up without a mention: reuses the frame the first turn pickled in the same container. */
export function fastestGrowth(a: SalesAnalysis): MessageReply {
  const [fastest] = a.growth;
  const table = frame(
    'region',
    [`${YEAR}Q1`, `${YEAR}Q4`, 'q4_vs_q1_%'],
    a.growth.map((g) => [g.region, g.q1.toFixed(2), g.q4.toFixed(2), g.growth.toFixed(1)]),
    'quarter',
  );
  const slowest = a.growth.at(-1)!;
  const largest = a.byRegion[0]!;
  return {
    kind: 'message',
    content: [
      blocks.bash(
        'srvtoolu_04_growth',
        python(`import pandas as pd
df = pd.read_pickle('/tmp/sales.pkl')  # saved by the first question in this sandbox
df['quarter'] = pd.PeriodIndex(df['month'], freq='Q').astype(str)
q = df.pivot_table(index='region', columns='quarter', values='revenue', aggfunc='sum')
q['q4_vs_q1_%'] = (100 * (q['${YEAR}Q4'] / q['${YEAR}Q1'] - 1)).round(1)
print(q[['${YEAR}Q1', '${YEAR}Q4', 'q4_vs_q1_%']].sort_values('q4_vs_q1_%', ascending=False).round(2).to_string())`),
      ),
      blocks.bashResult('srvtoolu_04_growth', { stdout: `${table}\n` }),
      blocks.text(
        [
          `**${fastest!.region} grew fastest: Q4 revenue was ${pct(fastest!.growth)} over Q1** (${money(fastest!.q1)} → ${money(fastest!.q4)}).`,
          '',
          ...a.growth.map(
            (g) =>
              `- ${g.region}: ${pct(g.growth)}${g === slowest && g.region === largest.region ? ' — still the largest region, but the slowest-growing' : ''}`,
          ),
          '',
          "_I reused the data already loaded in this thread's sandbox, so nothing was read again._",
        ].join('\n'),
      ),
    ],
  };
}

/** Turn 3: the seasonal model fails (one year is too short for it), then a linear trend answers. */
export function forecast(a: SalesAnalysis): MessageReply {
  const rows = [...a.forecast].sort((x, y) => x.region.localeCompare(y.region));
  const total = a.forecast.reduce((s, f) => s + f.nextQ1, 0);
  const table = frame(
    'region',
    ['trend_per_month', `q1_${YEAR + 1}_forecast`],
    rows.map((f) => [f.region, f.slope.toFixed(2), f.nextQ1.toFixed(2)]),
  );
  return {
    kind: 'message',
    content: [
      blocks.bash(
        'srvtoolu_05_holt',
        python(`import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing
df = pd.read_pickle('/tmp/sales.pkl')
monthly = df.groupby(['month', 'region'])['revenue'].sum().unstack('region')
for region in monthly.columns:
    fit = ExponentialSmoothing(monthly[region], trend='add', seasonal='add', seasonal_periods=12,
                               initialization_method='heuristic').fit()
    print(region, fit.forecast(3).sum().round(2))`),
      ),
      blocks.bashResult('srvtoolu_05_holt', {
        returnCode: 1,
        stderr: [
          'Traceback (most recent call last):',
          '  File "<stdin>", line 6, in <module>',
          'ValueError: Cannot compute initial seasonals using heuristic method with less than two full seasonal cycles in the data.',
          '',
        ].join('\n'),
      }),
      blocks.text(
        'Holt-Winters needs two full years for yearly seasonality; falling back to a linear trend.',
      ),
      blocks.bash(
        'srvtoolu_06_trend',
        python(`import numpy as np, pandas as pd
df = pd.read_pickle('/tmp/sales.pkl')
monthly = df.groupby(['month', 'region'])['revenue'].sum().unstack('region')
t = np.arange(len(monthly))
rows = []
for region in monthly.columns:
    slope, intercept = np.polyfit(t, monthly[region], 1)
    rows.append((region, slope, sum(intercept + slope * (len(t) + k) for k in range(3))))
out = pd.DataFrame(rows, columns=['region', 'trend_per_month', 'q1_${YEAR + 1}_forecast']).set_index('region')
print(out.round(2).to_string())
print(f"\\nTOTAL q1_${YEAR + 1}_forecast={out['q1_${YEAR + 1}_forecast'].sum():,.2f}")`),
      ),
      blocks.bashResult('srvtoolu_06_trend', {
        stdout: `${table}\n\nTOTAL q1_${YEAR + 1}_forecast=${total.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}\n`,
      }),
      blocks.text(
        [
          `**Q1 ${YEAR + 1} forecast: about ${money(total)} across all regions**, from a straight-line trend fitted to each region's monthly revenue in ${YEAR}.`,
          '',
          ...rows.map(
            (f) =>
              `- ${f.region}: ${money(f.nextQ1)} (trend ${f.slope >= 0 ? '+' : '−'}${money(Math.abs(f.slope))} per month)`,
          ),
          '',
          'My first attempt, a seasonal Holt-Winters model, **failed**: one year of data is less than the two full seasonal cycles it needs. ' +
            'The linear trend ignores seasonality (Q4 is your strongest quarter), so treat these figures as a rough guide.',
        ].join('\n'),
      ),
    ],
  };
}

/** A Python script run through a heredoc, the way Claude usually runs multi-line code with the bash tool. */
const python = (code: string) => `python3 - <<'EOF'\n${code}\nEOF`;

const dollars = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;
const pct = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)} %`;

/**
 * A table as pandas' DataFrame.to_string() prints one with a named index: a header row (led by the columns' name,
 * if any), a row with the index name, then left-aligned index values and right-aligned columns.
 */
function frame(indexName: string, columns: string[], rows: string[][], columnsName = ''): string {
  const indexWidth = Math.max(indexName.length, columnsName.length, ...rows.map((r) => r[0]!.length));
  const widths = columns.map((c, j) => Math.max(c.length, ...rows.map((r) => r[j + 1]!.length)));
  const line = (first: string, cells: string[]) =>
    [first.padEnd(indexWidth), ...cells.map((c, j) => c.padStart(widths[j]!))].join('  ');
  return [
    line(columnsName, columns),
    line(
      indexName,
      columns.map(() => ''),
    ),
    ...rows.map((r) => line(r[0]!, r.slice(1))),
  ].join('\n');
}
