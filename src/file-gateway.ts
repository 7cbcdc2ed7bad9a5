import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import type { WebClient } from '@slack/web-api';
import { deleteFile, downloadOutputFile, uploadInputFile, uploadTextFile } from './claude/files.js';
import { type SlackFileRef, threadKeyOf } from './domain.js';
import type { DataKind } from './files/formats.js';
import { checkSlackFile } from './files/policy.js';
import { formatReceipt } from './files/profile/index.js';
import { type ProfilerLimits, profileIsolated, unprofiled } from './files/profile/isolated.js';
import type { TempFiles } from './files/temp.js';
import type { Logger } from './log.js';
import type { FileGateway } from './ports.js';
import { downloadSlackFile, FileDownloadError } from './slack/download.js';
import { slackErrorCode } from './slack/errors.js';
import type { ProfilingMarks } from './store/profiling.js';

export interface FileGatewayOptions {
  slack: WebClient;
  anthropic: Anthropic;
  botToken: string;
  slackApiUrl: string;
  maxBytes: number;
  /** Limits of profiling one file for its receipt (in a worker thread). */
  profileLimits: ProfilerLimits;
  /** Files being profiled, so one that took the process down is not profiled again. */
  profiling: Pick<ProfilingMarks, 'begin' | 'end'>;
  /** Where the downloaded copies go. */
  temp: TempFiles;
  log: Logger;
}

const SKIPPED_NOTE =
  'could not profile this file: the bot stopped while profiling it before, so it was skipped this time';

/** Slack → disk → Files API for inputs (streamed, never whole in memory); Files API → memory for outputs. */
export function createFileGateway(opts: FileGatewayOptions): FileGateway {
  const { log } = opts;

  /** Slack Connect stubs say almost nothing until files.info is asked. */
  async function resolve(file: SlackFileRef): Promise<SlackFileRef> {
    if (file.file_access !== 'check_file_info') return file;
    const info = await opts.slack.files.info({ file: file.id });
    return (info.file as SlackFileRef | undefined) ?? file;
  }

  /** The receipt's profile, off the event loop and within limits; rejects only when `signal` aborts. */
  async function profile(slackFileId: string, path: string, kind: DataKind, signal: AbortSignal) {
    if (!(await opts.profiling.begin(slackFileId))) {
      log.warn({ slackFileId }, 'not profiling a file whose profiling stopped the bot before');
      return unprofiled(kind, SKIPPED_NOTE);
    }
    try {
      const result = await profileIsolated(path, kind, opts.profileLimits, signal);
      if (!result.ok) log.warn({ slackFileId, reason: result.reason }, 'could not profile an input file');
      return result.profile;
    } finally {
      await opts.profiling.end(slackFileId);
    }
  }

  return {
    async ingest(original, thread, signal) {
      let file = original;
      let name = original.name || original.title || original.id;
      try {
        file = await resolve(original);
        name = file.name || file.title || file.id;
      } catch (err) {
        log.warn({ code: slackErrorCode(err), slackFileId: original.id }, 'files.info failed');
        return {
          ok: false,
          name,
          reason: 'Slack would not tell me about this file (is the bot in the channel?).',
        };
      }
      const check = checkSlackFile(file, { maxBytes: opts.maxBytes });
      if (!check.ok) {
        return {
          ok: false,
          name,
          reason: 'reason' in check ? check.reason : 'Slack would not share this file.',
        };
      }
      const dir = await opts.temp.create(threadKeyOf(thread));
      // Ends the profile when the upload fails (or the turn is aborted), so no worker outlives the ingestion.
      const done = new AbortController();
      const bounded = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
      try {
        const destPath = join(dir, 'data');
        const url = (file.url_private_download ?? file.url_private)!;
        const { sizeBytes } = await downloadSlackFile({
          url,
          botToken: opts.botToken,
          slackApiUrl: opts.slackApiUrl,
          destPath,
          maxBytes: opts.maxBytes,
          signal: bounded,
        });
        // Profiled locally from the downloaded copy: no model call, no container time.
        const [uploaded, profiled] = await Promise.all([
          uploadInputFile(opts.anthropic, destPath, check.safeName, check.mimeType, bounded),
          profile(file.id, destPath, check.kind, bounded),
        ]);
        log.info({ slackFileId: file.id, anthropicFileId: uploaded.id, sizeBytes }, 'input file uploaded');
        return {
          ok: true,
          file: {
            slackFileId: file.id,
            anthropicFileId: uploaded.id,
            name: check.safeName,
            sizeBytes,
            mimeType: check.mimeType,
            profile: profiled,
          },
          receipt: formatReceipt(check.safeName, sizeBytes, profiled),
        };
      } catch (err) {
        // Timeout, Stop or shutdown: the turn ends, and the caller explains which.
        if (signal?.aborted) throw signal.reason;
        if (err instanceof FileDownloadError) {
          log.warn({ code: err.code, slackFileId: file.id }, 'input file download failed');
          return { ok: false, name, reason: err.message };
        }
        log.warn({ err: String(err), slackFileId: file.id }, 'input file upload failed');
        return { ok: false, name, reason: 'Uploading it to the analysis sandbox failed; try again later.' };
      } finally {
        done.abort();
        await rm(dir, { recursive: true, force: true });
      }
    },
    async earlierFiles(thread, beforeTs) {
      try {
        const res = await opts.slack.conversations.replies({
          channel: thread.channelId,
          ts: thread.threadTs,
          limit: 200,
        });
        return (res.messages ?? [])
          .filter((m) => Number(m.ts) < Number(beforeTs) && !m.bot_id)
          .flatMap((m) => (m.files ?? []) as SlackFileRef[]);
      } catch (err) {
        log.warn({ code: slackErrorCode(err) }, 'could not read earlier thread messages');
        return [];
      }
    },
    async fetchOutput(fileId) {
      const out = await downloadOutputFile(opts.anthropic, fileId);
      return { fileId, fileName: out.fileName, mimeType: out.mimeType, bytes: out.bytes };
    },
    uploadText: (fileName, text, signal) => uploadTextFile(opts.anthropic, fileName, text, signal),
    deleteFile: (fileId) => deleteFile(opts.anthropic, fileId),
    removeLocalCopies: (threadKey) => opts.temp.removeThread(threadKey),
  };
}
