/**
 * One measured Slack → Files API transfer, in a fresh process (spawned by bench/transfer.ts).
 *
 * Usage: `transfer-child.ts streaming|buffered`, with the fakes' JSON line in the BENCH_FAKES environment variable.
 * Both paths are warmed up first on small amounts (so lazily loaded HTTP and multipart code is in the baseline
 * of either mode), then one full transfer is timed while RSS is sampled. Prints one JSON line:
 * `{ mode, fileId, bytes, ms, baselineRss, peakRss, growth }`.
 *
 * - streaming: the bot's path — `downloadSlackFile` (undici stream → temp file, size cap, SHA-256) then
 *   `uploadInputFile` (file-backed Blob streamed as multipart).
 * - buffered: the naive path — `fetch` the whole file into a Buffer, `toFile(buffer)`, `client.files.upload`.
 *   It gets the same `redirect: 'error'` fetch option as the bot's upload, so the only difference is buffering.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { type FakesInfo, streamedTransfer } from '../scripts/streamed-transfer.js';

export type TransferMode = 'streaming' | 'buffered';

export interface TransferSample {
  mode: TransferMode;
  fileId: string;
  /** Bytes the transfer saw on the download side. */
  bytes: number;
  ms: number;
  baselineRss: number;
  peakRss: number;
  growth: number;
}

const SAMPLE_MS = 5;

const mode = process.argv[2];
if (mode !== 'streaming' && mode !== 'buffered')
  throw new Error(`usage: transfer-child.ts streaming|buffered`);
const info = JSON.parse(process.env.BENCH_FAKES ?? 'null') as FakesInfo | null;
if (!info) throw new Error('BENCH_FAKES is not set');

const client = new Anthropic({ apiKey: 'sk-ant-bench', baseURL: info.anthropicUrl, maxRetries: 0 });
const dir = await mkdtemp(join(tmpdir(), 'slack-analyst-bench-transfer-'));

const transfer = streamedTransfer(info, client);

async function streaming(): Promise<{ fileId: string; bytes: number }> {
  const { downloaded, uploaded } = await transfer.run(join(dir, 'bench.csv'), 'bench.csv');
  return { fileId: uploaded.id, bytes: downloaded.sizeBytes };
}

async function buffered(): Promise<{ fileId: string; bytes: number }> {
  const res = await fetch(info!.fileUrl, { headers: { authorization: `Bearer ${info!.botToken}` } });
  if (!res.ok) throw new Error(`download failed: HTTP ${res.status}`);
  const buffer = Buffer.from(await res.arrayBuffer());
  const file = await toFile(buffer, 'bench.csv', { type: 'text/csv' });
  const uploaded = await client.files.upload({ file }, { fetchOptions: { redirect: 'error' } });
  return { fileId: uploaded.id, bytes: buffer.length };
}

try {
  // The same warm-up in both modes: a streamed download stopped at its cap, the first chunk of a fetch, and a
  // tiny upload each way.
  await transfer.warmUp(dir);
  const res = await fetch(info.fileUrl, { headers: { authorization: `Bearer ${info.botToken}` } });
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel();
  await client.files.upload(
    { file: await toFile(Buffer.from('a,b\n1,2\n'), 'warm-up.csv', { type: 'text/csv' }) },
    { fetchOptions: { redirect: 'error' } },
  );
  // No forced GC before the baseline: it would shrink the heap below its working size, and the re-growth would
  // be counted as the transfer's (as scripts/memory-check.ts, the baseline is the warmed-up process as it is).
  await new Promise((r) => setTimeout(r, 50));

  const baselineRss = process.memoryUsage().rss;
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  let sampled = baselineRss;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }, SAMPLE_MS);
  const started = performance.now();
  const result = mode === 'streaming' ? await streaming() : await buffered();
  const ms = performance.now() - started;
  clearInterval(sampler);
  sampled = Math.max(sampled, process.memoryUsage().rss);
  // The kernel's high-water mark catches peaks between samples, but only if the transfer set a new one
  // (otherwise it is the start-up peak, which says nothing about the transfer).
  const maxRssAfter = process.resourceUsage().maxRSS * 1024;
  const peakRss = maxRssAfter > maxRssBefore ? Math.max(sampled, maxRssAfter) : sampled;

  const sample: TransferSample = {
    mode,
    fileId: result.fileId,
    bytes: result.bytes,
    ms,
    baselineRss,
    peakRss,
    growth: peakRss - baselineRss,
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
