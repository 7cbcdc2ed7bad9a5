/** The bar chart the simulated Claude "saves" to $OUTPUT_DIR, drawn for real so the bot has a real PNG to post. */
import { drawText, textHeight, textWidth } from './pixel-font.js';
import { Canvas, type Rgb } from './png.js';

export interface Bar {
  label: string;
  value: number;
  /** Printed above the bar. */
  valueLabel: string;
}

export interface BarChart {
  title: string;
  bars: readonly Bar[];
  /** Labels of the y-axis ticks. */
  formatTick: (value: number) => string;
}

const WIDTH = 720;
const HEIGHT = 440;
const PLOT = { left: 96, right: WIDTH - 32, top: 84, bottom: HEIGHT - 56 };
// Matplotlib's default cycle, so the image looks like what the sandbox would have drawn.
const BAR_COLOURS: Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
];
const INK: Rgb = [40, 40, 40];
const MUTED: Rgb = [110, 110, 110];
const GRID: Rgb = [228, 228, 228];

export function drawBarChart(chart: BarChart): Buffer {
  const canvas = new Canvas(WIDTH, HEIGHT);
  drawText(canvas, chart.title, (WIDTH - textWidth(chart.title, 3)) / 2, 28, 3, INK);

  const max = Math.max(...chart.bars.map((b) => b.value), 0);
  const step = niceStep(max / 5);
  const top = Math.ceil(max / step) * step || 1;
  const y = (value: number) => PLOT.bottom - ((PLOT.bottom - PLOT.top) * value) / top;

  for (let tick = 0; tick <= top + step / 2; tick += step) {
    canvas.fillRect(PLOT.left, y(tick), PLOT.right - PLOT.left, 1, GRID);
    const label = chart.formatTick(tick);
    drawText(canvas, label, PLOT.left - 10 - textWidth(label, 2), y(tick) - textHeight(2) / 2, 2, MUTED);
  }

  const slot = (PLOT.right - PLOT.left) / chart.bars.length;
  for (const [i, bar] of chart.bars.entries()) {
    const barWidth = slot * 0.6;
    const x = PLOT.left + slot * i + (slot - barWidth) / 2;
    const centre = x + barWidth / 2;
    canvas.fillRect(
      x,
      y(bar.value),
      barWidth,
      PLOT.bottom - y(bar.value),
      BAR_COLOURS[i % BAR_COLOURS.length]!,
    );
    drawText(canvas, bar.valueLabel, centre - textWidth(bar.valueLabel, 2) / 2, y(bar.value) - 22, 2, INK);
    drawText(canvas, bar.label, centre - textWidth(bar.label, 2) / 2, PLOT.bottom + 14, 2, INK);
  }
  // Axes last, so bars never cover them.
  canvas.fillRect(PLOT.left, PLOT.bottom, PLOT.right - PLOT.left, 2, INK);
  canvas.fillRect(PLOT.left - 1, PLOT.top, 2, PLOT.bottom - PLOT.top + 2, INK);
  return canvas.toPng();
}

/** A round tick step (1, 2, 2.5 or 5 times a power of ten) at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
}
