/**
 * Streams a Slack-hosted file to disk with the bot token, without holding it in memory.
 *
 * Slack's file URLs answer a missing token or scope with HTTP 200 and an HTML sign-in page, and may redirect to
 * other Slack hosts (which still need the token) or to a CDN with a pre-signed URL (which must not see it).
 * So redirects are followed by hand and the token is attached per hop.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { megabytes } from '../files/policy.js';

export type FileDownloadErrorCode =
  | 'html_login_page'
  | 'too_large'
  | 'http_status'
  | 'too_many_redirects'
  | 'insecure_url'
  | 'network';

/** A failed download. `message` is safe to show a Slack user: it never contains the token or a URL. */
export class FileDownloadError extends Error {
  override readonly name = 'FileDownloadError';
  readonly code: FileDownloadErrorCode;

  constructor(code: FileDownloadErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export interface DownloadOptions {
  url: string;
  botToken: string;
  /** The Web API base URL in use; its origin also gets the token, so a local fake Slack over http works. */
  slackApiUrl: string;
  destPath: string;
  maxBytes: number;
  signal?: AbortSignal;
  /** Deadline for the whole download, redirects included. */
  timeoutMs?: number;
}

const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
// Inactivity limits per request, so a stalled server fails long before the overall deadline.
const HEADERS_TIMEOUT_MS = 30_000;
const BODY_TIMEOUT_MS = 60_000;
/** Enough leading bytes to recognise `<!doctype html` behind a BOM and some whitespace. */
const SNIFF_BYTES = 1024;

/**
 * Downloads `url` into `destPath` (created or overwritten), returning its size and hex SHA-256.
 * On any failure `destPath` is removed and a `FileDownloadError` is thrown, except when `signal` aborts:
 * then its reason is thrown.
 */
export async function downloadSlackFile(
  opts: DownloadOptions,
): Promise<{ sizeBytes: number; sha256: string }> {
  const deadline = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  try {
    return await download(opts, signal);
  } catch (error) {
    await rm(opts.destPath, { force: true });
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (error instanceof FileDownloadError) throw error;
    if (deadline.aborted) {
      throw new FileDownloadError('network', 'Downloading the file from Slack timed out.', { cause: error });
    }
    throw new FileDownloadError('network', 'Could not download the file from Slack (network error).', {
      cause: error,
    });
  }
}

async function download(
  opts: DownloadOptions,
  signal: AbortSignal,
): Promise<{ sizeBytes: number; sha256: string }> {
  const apiOrigin = new URL(opts.slackApiUrl).origin;
  let url = new URL(opts.url);

  for (let redirects = 0; ; redirects++) {
    const isApiOrigin = url.origin === apiOrigin;
    if (url.protocol !== 'https:' && !isApiOrigin) {
      throw new FileDownloadError('insecure_url', 'The file link is not a secure (https) address.');
    }
    const sendToken = isApiOrigin || isSlackHost(url);
    const response = await request(url, {
      method: 'GET',
      headers: sendToken ? { authorization: `Bearer ${opts.botToken}` } : {},
      signal,
      headersTimeout: HEADERS_TIMEOUT_MS,
      bodyTimeout: BODY_TIMEOUT_MS,
    });
    const { statusCode, headers, body } = response;

    if (REDIRECT_STATUSES.has(statusCode)) {
      await body.dump();
      const location = headers.location;
      if (typeof location !== 'string') {
        throw new FileDownloadError(
          'http_status',
          `Slack answered with a redirect (HTTP ${statusCode}) to nowhere.`,
        );
      }
      if (redirects === MAX_REDIRECTS) {
        throw new FileDownloadError('too_many_redirects', 'Slack redirected the download too many times.');
      }
      url = new URL(location, url);
      continue;
    }
    if (statusCode !== 200) {
      await body.dump();
      throw new FileDownloadError('http_status', `Slack answered the download with HTTP ${statusCode}.`);
    }
    const contentType = String(headers['content-type'] ?? '');
    if (contentType.toLowerCase().includes('text/html')) {
      await body.dump();
      throw loginPageError();
    }
    const declaredLength = Number(headers['content-length']);
    if (declaredLength > opts.maxBytes) {
      await body.dump();
      throw tooLargeError(opts.maxBytes);
    }
    return writeChecked(body, opts.destPath, opts.maxBytes);
  }
}

/** Slack's own hosts over https; anything else (CDNs, pre-signed URLs) must never see the token. */
function isSlackHost(url: URL): boolean {
  return url.protocol === 'https:' && (url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com'));
}

async function writeChecked(
  body: AsyncIterable<Buffer>,
  destPath: string,
  maxBytes: number,
): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let head = Buffer.alloc(0);
  let sniffed = false;

  // Checks each chunk before it reaches the file: the size cap, and an HTML page served with a non-HTML type.
  async function* checked(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      sizeBytes += chunk.length;
      if (sizeBytes > maxBytes) throw tooLargeError(maxBytes);
      if (!sniffed) {
        head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
        sniffed = sniffHtml(head, head.length >= SNIFF_BYTES);
      }
      hash.update(chunk);
      yield chunk;
    }
    if (!sniffed) sniffHtml(head, true);
  }

  const file = createWriteStream(destPath);
  try {
    await pipeline(body, checked, file);
  } finally {
    // pipeline settles on the first error without waiting for the file to open and close; a file that opens after
    // the caller's cleanup would be left behind, so wait until its descriptor is closed.
    if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

/**
 * Throws if `head` starts (after a BOM and whitespace) like an HTML document. Returns whether the question is
 * settled: with too few bytes to tell, it waits for more unless `final`.
 */
function sniffHtml(head: Buffer, final: boolean): boolean {
  const text = head
    .toString('latin1')
    .replace(/^\xEF\xBB\xBF/, '')
    .trimStart()
    .toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) throw loginPageError();
  return final || text.length >= '<!doctype html'.length;
}

function loginPageError(): FileDownloadError {
  return new FileDownloadError(
    'html_login_page',
    'Slack sent a sign-in page instead of the file. The bot may lack the files:read scope or access to the file.',
  );
}

function tooLargeError(maxBytes: number): FileDownloadError {
  return new FileDownloadError('too_large', `The file is larger than the ${megabytes(maxBytes)} MB limit.`);
}
