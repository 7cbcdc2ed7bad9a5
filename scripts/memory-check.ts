/**
 * Checks that a large input file moves Slack → disk → Files API without being held in memory.
 *
 * Run: `npx tsx scripts/memory-check.ts`. The fakes run in a child process (scripts/transfer-fakes.ts) and
 * serve a generated ~200 MB CSV; this process downloads it with downloadSlackFile, uploads it with uploadInputFile,
 * and samples its RSS every 20 ms. A warm-up transfer first loads the lazily imported HTTP code and lets the
 * process reach its working size, so the figure is what one more file costs. Exits 1 if the peak RSS growth reaches the limit, or if sizes or hashes differ.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { type FakesInfo, streamedTransfer } from './streamed-transfer.js';

const LIMIT_MB = 64;
const SAMPLE_MS = 20;
const MB = 1024 * 1024;

interface StoredUpload {
  filename: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
}

const fakes = spawn(
  process.execPath,
  ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./transfer-fakes.ts', import.meta.url))],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const fakesOutput = createInterface({ input: fakes.stdout })[Symbol.asyncIterator]();

/** The child's next stdout line, parsed. */
async function nextLine<T>(): Promise<T> {
  const { value, done } = await fakesOutput.next();
  if (done) throw new Error('the fakes process exited early');
  return JSON.parse(value) as T;
}

async function storedUpload(fileId: string): Promise<StoredUpload | null> {
  fakes.stdin.write(`${fileId}\n`);
  return nextLine<StoredUpload | null>();
}

const dir = await mkdtemp(join(tmpdir(), 'memory-check-'));
try {
  const info = await nextLine<FakesInfo>();
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: info.anthropicUrl, maxRetries: 0 });

  const transfer = streamedTransfer(info, client);
  await transfer.warmUp(dir);

  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, SAMPLE_MS);
  const started = Date.now();
  const destPath = join(dir, 'memory-check.csv');
  const { downloaded, uploaded } = await transfer.run(destPath, 'memory-check.csv');
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const seconds = (Date.now() - started) / 1000;

  const stored = await storedUpload(uploaded.id);
  const growthMb = (peak - baseline) / MB;
  const hashesMatch =
    downloaded.sizeBytes === info.sizeBytes &&
    downloaded.sha256 === info.sha256 &&
    stored?.sizeBytes === info.sizeBytes &&
    stored.sha256 === info.sha256;

  console.log(`file: ${(info.sizeBytes / MB).toFixed(1)} MB, sha256 ${info.sha256}`);
  console.log(`downloaded: ${downloaded.sizeBytes} bytes, sha256 ${downloaded.sha256}`);
  console.log(
    `uploaded: ${stored?.sizeBytes} bytes, sha256 ${stored?.sha256} (${stored?.filename}, ${stored?.mimeType})`,
  );
  console.log(`transfer took ${seconds.toFixed(1)} s`);
  console.log(`peak RSS growth: ${growthMb.toFixed(1)} MB (limit ${LIMIT_MB} MB)`);
  if (!hashesMatch) console.error('FAIL: sizes or hashes differ');
  if (growthMb >= LIMIT_MB) console.error('FAIL: peak RSS growth at or above the limit');
  process.exitCode = hashesMatch && growthMb < LIMIT_MB ? 0 : 1;
} finally {
  fakes.stdin.end();
  await rm(dir, { recursive: true, force: true });
}
