/**
 * Which Slack files the bot accepts for analysis, and under what name they reach the code execution container.
 *
 * Pure: no I/O. The caller downloads only files that pass `checkSlackFile`, and still counts bytes while
 * downloading because Slack's `size` is advisory.
 */
import type { SlackFileRef } from '../domain.js';
import { safeFileName } from '../text/names.js';
import { type DataKind, formatList, formatOfName, SUPPORTED_FORMATS } from './formats.js';

export type FileCheck =
  | { ok: true; kind: DataKind; safeName: string; mimeType: string }
  /** A Slack Connect stub: call `files.info` once and check its result instead. */
  | { ok: false; needsFileInfo: true }
  /** `reason` is a short sentence for the Slack user; it does not name the file, so the caller can prefix it. */
  | { ok: false; needsFileInfo?: false; reason: string };

export const CONTENT_TYPES = Object.fromEntries(SUPPORTED_FORMATS.map((f) => [f.kind, f.mime])) as Readonly<
  Record<DataKind, string>
>;

/** Slack's own `filetype` values for the allowed formats. */
const KIND_BY_SLACK_FILETYPE: ReadonlyMap<string, DataKind> = new Map(
  SUPPORTED_FORMATS.flatMap((f) => ('slackFiletype' in f ? [[f.slackFiletype, f.kind] as const] : [])),
);

const EXTERNAL_REFUSAL =
  'It is stored outside Slack, so I cannot download it. Please upload the file itself.';
const REFUSAL_BY_MODE: Readonly<Record<string, string>> = {
  external: EXTERNAL_REFUSAL,
  tombstone: 'It has been deleted.',
  hidden_by_limit: "It is hidden by your workspace's file storage limit.",
};

const MEBIBYTE = 1024 * 1024;

/** `bytes` as a short megabyte figure for messages, e.g. `50` or `0.5` (1 MB = 1024 × 1024 bytes). */
export function megabytes(bytes: number): string {
  return String(Math.round((bytes / MEBIBYTE) * 10) / 10);
}

export function checkSlackFile(file: SlackFileRef, limits: { maxBytes: number }): FileCheck {
  // Slack Connect stubs say nothing else about the file (their `mode` is `file_access`), so ask before judging.
  if (file.file_access === 'check_file_info') return { ok: false, needsFileInfo: true };

  if (file.is_external) return refuse(EXTERNAL_REFUSAL);
  if (file.mode !== 'hosted' && file.mode !== 'snippet') {
    return refuse(REFUSAL_BY_MODE[file.mode ?? ''] ?? 'This kind of Slack file cannot be downloaded.');
  }

  // The extension the user sees decides; Slack's `filetype` only fills in when the name has no known one
  // (snippets are often called "Untitled"). `mimetype` is browser-guessed and never decides.
  const rawName = file.name || file.title || file.id;
  const byExtension = formatOfName(rawName)?.kind;
  const kind = byExtension ?? KIND_BY_SLACK_FILETYPE.get(file.filetype?.toLowerCase() ?? '');
  if (!kind) return refuse(`This file type is not supported. I can read ${formatList()} files.`);

  if (!file.url_private_download && !file.url_private) {
    return refuse('Slack did not give me a download link for it.');
  }
  if (file.size !== undefined && file.size > limits.maxBytes) {
    return refuse(`It is ${megabytes(file.size)} MB, above the ${megabytes(limits.maxBytes)} MB limit.`);
  }

  // The container recognises formats by extension, so a name without one gets the kind's.
  const safeName = safeFileName(byExtension ? rawName : `${rawName}.${kind}`);
  return { ok: true, kind, safeName, mimeType: CONTENT_TYPES[kind] };
}

// The name cleaning lives with the other text safety (src/text/names.ts); it is part of this policy's contract.
export { safeFileName };

function refuse(reason: string): FileCheck {
  return { ok: false, reason };
}
