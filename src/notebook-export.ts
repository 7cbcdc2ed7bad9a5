/** `@Analyst notebook`: the thread's analysis as a Jupyter notebook, posted into the thread. */
import { buildNotebook, type NotebookOutput, notebookJson } from './claude/notebook.js';
import { recordedTurns } from './claude/recorded.js';
import { type ThreadMessage, threadKeyOf } from './domain.js';
import type { FileGateway, Replier } from './ports.js';
import type { Store } from './store/index.js';
import { COMMAND } from './text/wording.js';

export interface NotebookDeps {
  store: Store;
  replier: Replier;
  files: Pick<FileGateway, 'fetchOutput'>;
}

export async function exportNotebook(deps: NotebookDeps, msg: ThreadMessage): Promise<void> {
  const threadKey = threadKeyOf(msg);
  const turns = recordedTurns(await deps.store.history.list(threadKey));
  if (turns.length === 0) {
    await deps.replier.notice(msg, COMMAND.nothingToExport);
    return;
  }
  const inputFiles = (await deps.store.files.list(threadKey)).map((f) => f.name);
  const steps = turns.flatMap((t) => t.steps.filter((s) => !s.run.failed));
  // Charts are embedded when their bytes can still be fetched (DELETE_OUTPUT_FILES=false keeps them).
  const ids = [...new Set(steps.flatMap((s) => s.run.outputFileIds))];
  const fetched = await Promise.allSettled(ids.map((id) => deps.files.fetchOutput(id)));
  const outputs = new Map<string, NotebookOutput>(
    ids.map((id, i) => {
      const r = fetched[i]!;
      return [id, r.status === 'fulfilled' ? r.value : null];
    }),
  );
  const title = notebookTitle(turns[0]!.question);
  const notebook = buildNotebook({ title, inputFiles, turns, outputs });
  await deps.replier.upload(
    msg,
    { fileName: `${title}.ipynb`, bytes: Buffer.from(notebookJson(notebook)) },
    COMMAND.notebookPosted(turns.length, steps.length, inputFiles),
  );
}

/** The thread's title: its first question, shortened at a word, without characters file names cannot hold. */
export function notebookTitle(question: string): string {
  const words = question
    .replace(/<@\w+>/g, ' ')
    .replace(/[^\p{L}\p{N} _.,'()&+-]+/gu, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  let title = '';
  for (const word of words) {
    const next = title === '' ? word : `${title} ${word}`;
    if (next.length > MAX_TITLE_CHARS) break;
    title = next;
  }
  return title.replace(/[.\s]+$/, '') || (words[0]?.slice(0, MAX_TITLE_CHARS) ?? '') || 'analysis';
}

const MAX_TITLE_CHARS = 60;
