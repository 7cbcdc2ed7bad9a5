/**
 * Checks that a large input file moves Slack → disk → Files API without being held in memory.
 *
 * Run: `npx tsx scripts/memory-check.ts`. The fakes run in a child process (scripts/transfer-fakes.ts) and
 * serve a generated ~200 MB CSV; this process downloads it with downloadSlackFile, uploads it with uploadInputFile,
 * and samples its RSS every 20 ms. A warm-up transfer first loads the lazily imported HTTP code and lets the
 * process reach its working size, so the figure is what one more file costs. Exits 1 if the peak RSS growth reaches the limit, or if sizes or hashes differ.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { uploadInputFile } from '../src/claude/files.js';
import { downloadSlackFile } from '../src/slack/download.js';

const LIMIT_MB = 64;
const SAMPLE_MS = 20;
const MB = 1024 * 1024;

interface FakesInfo {
  slackApiUrl: string;
  botToken: string;
  fileUrl: string;
  anthropicUrl: string;
  sizeBytes: number;
  sha256: string;
}

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

  const download = (destPath: string, maxBytes: number) =>
    downloadSlackFile({
      url: info.fileUrl,
      botToken: info.botToken,
      slackApiUrl: info.slackApiUrl,
      destPath,
      maxBytes,
      timeoutMs: 5 * 60_000,
    });

  // Warm-up: a download stopped at 32 MB, and a tiny upload. The process reaches its working size for a
  // streamed transfer before the baseline is taken; after a 1 MB warm-up the baseline sometimes sat ~35 MB low
  // and the figure swung by that much from run to run (see bench/README.md).
  await download(join(dir, 'warm-up-download.csv'), 32 * MB).catch(() => undefined);
  const warmUp = join(dir, 'warm-up-upload.csv');
  await writeFile(warmUp, 'a,b\n1,2\n');
  await uploadInputFile(client, warmUp, 'warm-up.csv', 'text/csv');

  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, SAMPLE_MS);
  const started = Date.now();
  const destPath = join(dir, 'memory-check.csv');
  const downloaded = await download(destPath, 512 * MB);
  const uploaded = await uploadInputFile(client, destPath, 'memory-check.csv', 'text/csv');
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
