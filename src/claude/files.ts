/**
 * The Files API operations the bot uses, over the SDK's GA `client.files` (no beta header).
 */
import { openAsBlob } from 'node:fs';
import type Anthropic from '@anthropic-ai/sdk';
import { NotFoundError, toFile } from '@anthropic-ai/sdk';
import { safeFileName } from '../files/policy.js';

/**
 * Uploads the file at `path` as `fileName`, streaming it from disk. Inputs can be hundreds of megabytes, so:
 * - `openAsBlob` gives a file-backed Blob that `toFile` wraps without reading, and fetch streams a FormData Blob
 *   part in chunks (a read stream would not do: the SDK collects those into one Blob first);
 * - `redirect: 'error'` stops fetch from cloning the request to replay it on a redirect. The clone tees the body
 *   and the unread branch buffers the whole upload (nodejs/undici#4058). The Files API does not redirect.
 * `signal` cancels the upload (the turn's timeout, Stop or shutdown); the SDK then rejects with an abort error.
 */
export async function uploadInputFile(
  client: Anthropic,
  path: string,
  fileName: string,
  mimeType: string,
  signal?: AbortSignal,
): Promise<Anthropic.FileMetadata> {
  const blob = await openAsBlob(path, { type: mimeType });
  const file = await toFile(blob, fileName, { type: mimeType });
  return client.files.upload(
    { file },
    { fetchOptions: { redirect: 'error' }, ...(signal ? { signal } : {}) },
  );
}

/** Uploads a small file the bot wrote itself (the sandbox restore script); returns its id. */
export async function uploadTextFile(
  client: Anthropic,
  fileName: string,
  text: string,
  signal?: AbortSignal,
): Promise<string> {
  const file = await toFile(Buffer.from(text), fileName, { type: 'text/plain' });
  const metadata = await client.files.upload({ file }, signal ? { signal } : {});
  return metadata.id;
}

/** A file the code execution tool created, as the Files API returns it (before it becomes a posted output). */
export interface DownloadedFile {
  /** The container's name for the file, made safe to reuse as an upload name. */
  fileName: string;
  mimeType: string;
  bytes: Buffer;
  sizeBytes: number;
}

/**
 * Fetches a file the code execution tool created. Result blocks carry only the id, so the name and type come from
 * the metadata. Held in memory: outputs are charts and small exports headed for a Slack upload.
 */
export async function downloadOutputFile(client: Anthropic, fileId: string): Promise<DownloadedFile> {
  const metadata = await client.files.retrieveMetadata(fileId);
  const response = await client.files.download(fileId);
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    fileName: safeFileName(metadata.filename),
    mimeType: metadata.mime_type,
    bytes,
    sizeBytes: bytes.length,
  };
}

/** Deletes a file; one that is already gone (404, including expired) counts as deleted. */
export async function deleteFile(client: Anthropic, fileId: string): Promise<void> {
  try {
    await client.files.delete(fileId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}
