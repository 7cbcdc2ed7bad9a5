import type Anthropic from '@anthropic-ai/sdk';
import type { HistoryEntry, ThreadFile } from '../domain.js';

/**
 * The newest whole turns that fit the token budget, oldest first. A turn is never split, so the
 * result always starts with a user message; the current question is budgeted by the caller.
 */
export function fitHistory(entries: readonly HistoryEntry[], budgetTokens: number): Anthropic.MessageParam[] {
  const turns: HistoryEntry[][] = [];
  for (const e of entries) {
    const last = turns.at(-1);
    if (last && last[0]!.turnId === e.turnId) last.push(e);
    else turns.push([e]);
  }
  const kept: HistoryEntry[][] = [];
  let used = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const cost = turns[i]!.reduce((n, e) => n + e.approxTokens, 0);
    if (used + cost > budgetTokens) break;
    used += cost;
    kept.unshift(turns[i]!);
  }
  return kept.flat().map((e) => e.message);
}

/** container_upload blocks for files that are not yet in the given container. */
export function uploadsFor(
  files: readonly ThreadFile[],
  containerId: string | null,
): Anthropic.ContainerUploadBlockParam[] {
  return files
    .filter((f) => containerId === null || f.containerId !== containerId)
    .map((f) => ({ type: 'container_upload', file_id: f.anthropicFileId }));
}

/**
 * The user content as stored in history: container_upload blocks become a text note. The file is
 * in the container by then, and an old upload block would fail every later request once the file or
 * container is gone; after a container replacement the turn re-attaches every input explicitly.
 */
export function forHistory(
  content: readonly Anthropic.ContentBlockParam[],
  files: readonly ThreadFile[],
): Anthropic.ContentBlockParam[] {
  const names = new Map(files.map((f) => [f.anthropicFileId, f.name]));
  return content.map((b) =>
    b.type === 'container_upload'
      ? { type: 'text', text: `[file ${names.get(b.file_id) ?? b.file_id} was attached to the sandbox here]` }
      : b,
  );
}
