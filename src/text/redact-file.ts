/**
 * Files the code wrote to $OUTPUT_DIR, made fit to post: the name always cleaned and redacted; text formats redacted
 * like messages; binary formats (images, spreadsheets, Parquet) posted as they are.
 */

import { spawnWorker, workerEntry } from '../worker-thread.js';
import { fileNameMarkdown, slackFileName } from './names.js';
import { redactTextBytes } from './redact-bytes.js';

/** Text files up to this size are redacted; larger ones are posted with a note saying they were not checked. */
export const MAX_REDACTED_FILE_BYTES = 50 * 1024 * 1024;
/**
 * Up to this size a file is redacted on the event loop (a few milliseconds: the patterns are linear); larger ones in
 * a worker thread, since 5 MB already takes 200–450 ms, which would delay every ack meanwhile.
 */
const INLINE_REDACTION_BYTES = 256 * 1024;
/** Generous: 50 MB takes a few seconds. A worker that has not answered by then is stopped and the file held back. */
const WORKER_TIME_LIMIT_MS = 60_000;
const WORKER_MEMORY_MB = 1024;
const WORKER_ENTRY = workerEntry('redact-worker', import.meta.url);

const TEXT_EXTENSIONS = new Set([
  'csv',
  'tsv',
  'json',
  'jsonl',
  'ndjson',
  'txt',
  'md',
  'markdown',
  'html',
  'htm',
  'xml',
  'yaml',
  'yml',
  'log',
]);
const TEXT_MIME = /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|yaml|x-yaml|x-ndjson)\b)/i;

interface PostableFile {
  fileName: string;
  mimeType: string;
  bytes: Buffer;
}

/**
 * The file as it may be posted (none when it could not be checked), and a one-line notice when its content was
 * changed, not checked or held back.
 */
export async function redactOutputFile<T extends PostableFile>(
  file: T,
): Promise<{ file?: T; notice?: string }> {
  const fileName = slackFileName(file.fileName);
  const named = { ...file, fileName };
  if (!isText(file.fileName, file.mimeType)) return { file: named };
  const shown = fileNameMarkdown(fileName);
  if (file.bytes.length > MAX_REDACTED_FILE_BYTES) {
    return {
      file: named,
      notice: `⚠️ **${shown}** is over ${MAX_REDACTED_FILE_BYTES / 1024 / 1024} MB, so it was posted without checking it for secrets.`,
    };
  }
  let bytes: Buffer;
  try {
    bytes =
      file.bytes.length <= INLINE_REDACTION_BYTES
        ? redactTextBytes(file.bytes)
        : await redactInWorker(file.bytes);
  } catch {
    return { notice: `⚠️ **${shown}** was not posted: it could not be checked for secrets.` };
  }
  if (bytes === file.bytes) return { file: named };
  return { file: { ...named, bytes }, notice: `🔒 Secrets in **${shown}** were redacted before posting.` };
}

function isText(fileName: string, mimeType: string): boolean {
  const dot = fileName.lastIndexOf('.');
  const extension = dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
  return TEXT_EXTENSIONS.has(extension) || TEXT_MIME.test(mimeType);
}

/** Redacts in a worker thread with a time and heap limit; rejects when it fails or takes too long. */
function redactInWorker(bytes: Buffer): Promise<Buffer> {
  const worker = spawnWorker(WORKER_ENTRY, {
    workerData: bytes,
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: WORKER_MEMORY_MB },
  });
  let timer: NodeJS.Timeout | undefined;
  return new Promise<Buffer>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('redaction took too long')), WORKER_TIME_LIMIT_MS);
    worker.once('message', (redacted: Uint8Array | null) =>
      resolve(redacted ? Buffer.from(redacted.buffer, redacted.byteOffset, redacted.byteLength) : bytes),
    );
    worker.once('error', reject);
    worker.once('exit', () => reject(new Error('the redaction worker stopped')));
  }).finally(() => {
    clearTimeout(timer);
    // Not awaited: the answer is in; termination finishes in the background.
    void worker.terminate().catch(() => undefined);
  });
}
