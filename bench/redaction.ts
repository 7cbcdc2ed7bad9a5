/**
 * How long the event loop (and so every Slack ack) is held while a large text output file is redacted: on the event
 * loop, as the bot did before, vs in the worker thread it uses now for files over 256 KB. Measured as the longest gap
 * between ticks of a 1 ms timer while one file is redacted, median over several files.
 */
import { performance } from 'node:perf_hooks';
import { redactTextBytes } from '../src/text/redact-bytes.js';
import { redactOutputFile } from '../src/text/redact-file.js';
import { MB, median, note } from './stats.js';

export interface RedactionResult {
  sizeBytes: number;
  runs: number;
  inline: { stallMs: number; wallMs: number };
  worker: { stallMs: number; wallMs: number };
}

/** A CSV of `megabytes` with a token every ~100 KB, so the patterns have real work to do. */
function outputCsv(megabytes: number): Buffer {
  const rows: string[] = ['service,region,value,credential'];
  let size = 0;
  for (let i = 0; size < megabytes * MB; i++) {
    const row = `svc-${i},eu-west-${i % 3},${(i * 7.31).toFixed(2)},${i % 1_000 === 0 ? `xoxb-${1e9 + i}-${2e9 + i}-abcdefABCDEF${i}` : 'none'}`;
    rows.push(row);
    size += row.length + 1;
  }
  return Buffer.from(`${rows.join('\n')}\n`);
}

/** The longest event-loop gap and the wall time while `work` runs. */
async function measure(work: () => Promise<unknown> | unknown): Promise<{ stallMs: number; wallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  last = started;
  stallMs = 0;
  await work();
  const wallMs = performance.now() - started;
  // The gap that was still open when the work ended counts too.
  stallMs = Math.max(stallMs, performance.now() - last);
  clearInterval(ticker);
  return { stallMs, wallMs };
}

export async function runRedaction(opts: { megabytes: number; runs: number }): Promise<RedactionResult> {
  const bytes = outputCsv(opts.megabytes);
  const file = { fileName: 'result.csv', mimeType: 'text/csv', bytes };
  const inline: { stallMs: number; wallMs: number }[] = [];
  const worker: { stallMs: number; wallMs: number }[] = [];
  for (let i = 0; i < opts.runs; i++) {
    note(`run ${i + 1}/${opts.runs}`);
    inline.push(await measure(() => redactTextBytes(bytes)));
    worker.push(await measure(() => redactOutputFile(file)));
  }
  const summary = (xs: { stallMs: number; wallMs: number }[]) => ({
    stallMs: median(xs.map((x) => x.stallMs)),
    wallMs: median(xs.map((x) => x.wallMs)),
  });
  return { sizeBytes: bytes.length, runs: opts.runs, inline: summary(inline), worker: summary(worker) };
}
