/**
 * The bot's own streaming path (downloadSlackFile → uploadInputFile) over the generated file that
 * scripts/transfer-fakes.ts serves. Shared by the memory check and the transfer benchmark so both
 * measure the same code with the same warm-up.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { uploadInputFile } from '../src/claude/files.js';
import { downloadSlackFile } from '../src/slack/download.js';

/** What transfer-fakes.ts prints on start. */
export interface FakesInfo {
  slackApiUrl: string;
  botToken: string;
  fileUrl: string;
  anthropicUrl: string;
  sizeBytes: number;
  sha256: string;
}

const MB = 1024 * 1024;
/**
 * The warm-up download stops here: large enough that the process reaches its working size for a
 * streamed transfer before a baseline is taken. After a 1 MB warm-up the baseline sometimes sat
 * ~35 MB low and the figure swung by that much from run to run.
 */
const WARM_UP_BYTES = 32 * MB;

export function streamedTransfer(info: FakesInfo, client: Anthropic) {
  const download = (destPath: string, maxBytes: number) =>
    downloadSlackFile({
      url: info.fileUrl,
      botToken: info.botToken,
      slackApiUrl: info.slackApiUrl,
      destPath,
      maxBytes,
      timeoutMs: 5 * 60_000,
    });

  return {
    /** Loads the lazily imported HTTP and multipart code and grows buffers once: a capped download, a tiny upload. */
    async warmUp(dir: string): Promise<void> {
      await download(join(dir, 'warm-up-download.csv'), WARM_UP_BYTES).catch(() => undefined);
      const warmUp = join(dir, 'warm-up-upload.csv');
      await writeFile(warmUp, 'a,b\n1,2\n');
      await uploadInputFile(client, warmUp, 'warm-up.csv', 'text/csv');
    },
    /** Slack → `destPath` → Files API, as the bot does it. */
    async run(destPath: string, fileName: string) {
      const downloaded = await download(destPath, 512 * MB);
      const uploaded = await uploadInputFile(client, destPath, fileName, 'text/csv');
      return { downloaded, uploaded };
    },
  };
}
