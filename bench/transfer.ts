/**
 * Benchmark 2: streaming vs buffering a large input file from Slack to the Files API.
 *
 * The fakes run in one child process (scripts/transfer-fakes.ts) for the whole benchmark; every measured transfer
 * runs in its own fresh child process (bench/transfer-child.ts), so the RSS of one run never carries into
 * another. One unmeasured transfer warms the fakes up; then runs alternate modes in ABBA order. Every upload is checked against the fakes: same size and SHA-256
 * as the generated file.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FakesInfo } from '../scripts/streamed-transfer.js';
import { median, note } from './stats.js';
import type { TransferMode, TransferSample } from './transfer-child.js';

export interface TransferOptions {
  megabytes: number;
  runsPerMode: number;
}

export interface TransferModeStats {
  /** Medians: peak RSS minus the warmed-up baseline, the peak RSS itself, and wall time. */
  growth: number;
  peakRss: number;
  ms: number;
  samples: TransferSample[];
}

export interface TransferResult {
  sizeBytes: number;
  runsPerMode: number;
  streaming: TransferModeStats;
  buffered: TransferModeStats;
}

const tsx = import.meta.resolve('tsx');
const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Runs one transfer in a fresh process and returns its JSON line. */
function runChild(mode: TransferMode, info: FakesInfo): Promise<TransferSample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, script('./transfer-child.ts'), mode], {
      env: { ...process.env, BENCH_FAKES: JSON.stringify(info) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code !== 0 || !line) {
        reject(new Error(`${mode} transfer exited with ${code}: ${stderr || stdout}`));
        return;
      }
      resolve(JSON.parse(line) as TransferSample);
    });
  });
}

export async function runTransfer(opts: TransferOptions): Promise<TransferResult> {
  const fakes = spawn(
    process.execPath,
    ['--import', tsx, script('../scripts/transfer-fakes.ts'), String(opts.megabytes)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: fakes.stdout })[Symbol.asyncIterator]();
  const nextLine = async <T>(): Promise<T> => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the fakes process exited early');
    return JSON.parse(value) as T;
  };
  const exited = new Promise<void>((resolve) => fakes.once('exit', () => resolve()));

  try {
    const info = await nextLine<FakesInfo>();
    /** Runs one transfer and checks that the fake Files API received the file intact. */
    const verified = async (mode: TransferMode): Promise<TransferSample> => {
      const sample = await runChild(mode, info);
      fakes.stdin.write(`${sample.fileId}\n`);
      const stored = await nextLine<{ sizeBytes: number; sha256: string } | null>();
      if (
        stored?.sizeBytes !== info.sizeBytes ||
        stored.sha256 !== info.sha256 ||
        sample.bytes !== info.sizeBytes
      ) {
        throw new Error(`${mode} transfer corrupted the file: ${JSON.stringify({ sample, stored, info })}`);
      }
      return sample;
    };
    const samples: Record<TransferMode, TransferSample[]> = { streaming: [], buffered: [] };
    // ABBA: streaming, buffered, buffered, streaming, ...
    const order: TransferMode[] = [];
    for (let i = 0; i < opts.runsPerMode; i++) {
      order.push(
        ...(i % 2 === 0 ? (['streaming', 'buffered'] as const) : (['buffered', 'streaming'] as const)),
      );
    }
    // One unmeasured transfer first, so the fakes process (CSV generator, multipart parser) is warm for run 1.
    await verified('streaming');
    note('transfer: fakes warmed up with one unmeasured streaming transfer');
    for (const [i, mode] of order.entries()) {
      const sample = await verified(mode);
      samples[mode].push(sample);
      note(
        `transfer ${i + 1}/${order.length}: ${mode} ${(sample.ms / 1000).toFixed(2)} s, ` +
          `peak RSS +${(sample.growth / 1024 / 1024).toFixed(1)} MB`,
      );
    }
    const summarise = (s: TransferSample[]): TransferModeStats => ({
      growth: median(s.map((x) => x.growth)),
      peakRss: median(s.map((x) => x.peakRss)),
      ms: median(s.map((x) => x.ms)),
      samples: s,
    });
    return {
      sizeBytes: info.sizeBytes,
      runsPerMode: opts.runsPerMode,
      streaming: summarise(samples.streaming),
      buffered: summarise(samples.buffered),
    };
  } finally {
    fakes.stdin.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
    if (fakes.exitCode === null) fakes.kill();
  }
}
