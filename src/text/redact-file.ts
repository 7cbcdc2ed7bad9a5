/**
 * Files the code wrote to $OUTPUT_DIR, made fit to post: the name always cleaned and redacted; text formats redacted
 * like messages; binary formats (images, spreadsheets, Parquet) posted as they are.
 */
import { fileNameMarkdown, slackFileName } from './names.js';
import { redactSecrets } from './redact.js';

/**
 * Text files up to this size are redacted in memory, on the event loop (the patterns are linear, so this bounds how
 * long it is held); larger ones are posted with a note saying they were not checked.
 */
export const MAX_REDACTED_FILE_BYTES = 5 * 1024 * 1024;

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

/** The file as it may be posted, and a one-line notice when its content was changed or could not be checked. */
export function redactOutputFile<T extends PostableFile>(file: T): { file: T; notice?: string } {
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
  const bytes = redactText(file.bytes);
  if (bytes === file.bytes) return { file: named };
  return { file: { ...named, bytes }, notice: `🔒 Secrets in **${shown}** were redacted before posting.` };
}

function isText(fileName: string, mimeType: string): boolean {
  const dot = fileName.lastIndexOf('.');
  const extension = dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
  return TEXT_EXTENSIONS.has(extension) || TEXT_MIME.test(mimeType);
}

/**
 * The same bytes when nothing was redacted. UTF-8 is decoded strictly (BOM kept) so the bytes round-trip; anything
 * else is read as Latin-1, which maps every byte to one character and back, and the patterns are ASCII.
 */
function redactText(bytes: Buffer): Buffer {
  let text: string;
  let encoding: 'utf8' | 'latin1' = 'utf8';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    encoding = 'latin1';
    text = bytes.toString('latin1');
  }
  const redacted = redactSecrets(text);
  return redacted === text ? bytes : Buffer.from(redacted, encoding);
}
