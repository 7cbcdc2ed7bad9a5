/**
 * `@Analyst rerun`: the thread's analysis, re-applied to new files. The new files take the analysed files' names in
 * a fresh sandbox, where the recorded steps replay through one script (the restore's, see restore.ts and
 * claude/replay.ts); in the same request Claude then compares the new results with its earlier answers. Refused
 * with a clear message, and no request to Claude, when there is nothing to rerun, no new file, too few new files,
 * no new file of the right format, or a new file lacks columns the original had.
 */
import type { Rename } from './claude/recorded.js';
import { rerunInstruction } from './claude/replay.js';
import { RESTORE_SCRIPT, type ThreadFile, type ThreadMessage } from './domain.js';
import { extensionOf, formatOfName } from './files/formats.js';
import type { Logger } from './log.js';
import type { FileGateway } from './ports.js';
import { type Restore, threadReplayPlan } from './restore.js';
import type { Store } from './store/index.js';
import { fileNameMarkdown } from './text/names.js';
import { RERUN } from './text/wording.js';

export type Rerun =
  | {
      ok: true;
      restore: Restore;
      /**
       * The thread's files to attach to the new sandbox: all but the old ones the new files replace, so a step can
       * never read old data by mistake (a failed rename is loud, not silent).
       */
      files: ThreadFile[];
      /** Anthropic ids of the replaced files: their names are in the new sandbox, holding the new data. */
      replaced: string[];
    }
  | { ok: false; message: string };

/** One analysed file and the new file that takes its name. */
export interface Pairing {
  old: ThreadFile;
  fresh: ThreadFile;
}

/**
 * Plans a rerun of the thread on `msg`'s files (already ingested into `files`), or on the thread's uploads not yet
 * analysed, and uploads its script. Rejects only when `signal` aborts.
 */
export async function prepareRerun(
  deps: { store: Store; files: Pick<FileGateway, 'uploadText'>; log: Logger },
  msg: ThreadMessage,
  threadKey: string,
  files: readonly ThreadFile[],
  signal: AbortSignal | undefined,
): Promise<Rerun> {
  const refuse = (message: string): Rerun => ({ ok: false, message });
  const recorded = await threadReplayPlan(deps.store, threadKey);
  if (recorded.steps.length === 0) return refuse(RERUN.nothingRecorded);

  const attached = new Set(msg.files.map((f) => f.id));
  const fresh = files.filter((f) =>
    attached.size > 0 ? attached.has(f.slackFileId) : f.containerId === null,
  );
  // The analysed files are those sent to a sandbox before; of them, the ones the recorded code names (a file an
  // earlier rerun copied over another's name is never named, so it does not count twice).
  const analysed = files.filter((f) => f.containerId !== null && !fresh.includes(f));
  const code = recorded.steps.map((s) => JSON.stringify(s.action));
  const named = analysed.filter((f) => code.some((c) => c.includes(f.name)));
  const old = named.length > 0 ? named : analysed;
  const names = (fs: readonly ThreadFile[]) => fs.map((f) => fileNameMarkdown(f.name));
  if (old.length === 0) return refuse(RERUN.nothingRecorded);
  if (fresh.length === 0) return refuse(RERUN.noNewFile(names(old)));
  if (old.length > fresh.length) return refuse(RERUN.tooFewFiles(names(old), names(fresh)));

  const matched = pairFiles(old, fresh);
  if ('missing' in matched) {
    const { missing } = matched;
    return refuse(RERUN.noSameFormat(fileNameMarkdown(missing.name), formatOf(missing.name), names(fresh)));
  }
  const { pairs, guessed } = matched;
  const columns = pairs.map(compareColumns);
  // One sentence per file pair with missing (or extra) columns, worded by `sentence`.
  const perPair = (
    columnsOf: (c: (typeof columns)[number]) => string[],
    sentence: (fresh: string, old: string, list: readonly string[], count: number) => string,
    file: (name: string) => string,
    column: (name: string) => string,
  ) =>
    columns.flatMap((c, i) => {
      const names = columnsOf(c);
      if (names.length === 0) return [];
      return [
        sentence(file(pairs[i]!.fresh.name), file(pairs[i]!.old.name), listed(names, column), names.length),
      ];
    });
  const lacking = perPair((c) => c.missing, RERUN.lacks, fileNameMarkdown, inlineCode);
  if (lacking.length > 0) return refuse(RERUN.missingColumns(lacking));

  // Worded twice: Markdown for the thread, quoted for Claude.
  const extra = (file: (name: string) => string, column: (name: string) => string) =>
    perPair((c) => c.extra, RERUN.extra, file, column);
  const unused = fresh.filter((f) => !pairs.some((p) => p.fresh === f));
  const notes = [
    ...extra(fileNameMarkdown, inlineCode),
    ...(unused.length > 0 ? [RERUN.unused(names(unused))] : []),
  ];

  const renames: Rename[] = pairs.map((p) => ({ from: p.fresh.name, to: p.old.name }));
  const plan = await threadReplayPlan(deps.store, threadKey, { renames, rerun: true });
  let fileId: string;
  try {
    fileId = await deps.files.uploadText(RESTORE_SCRIPT, plan.script, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    deps.log.warn({ err: String(err) }, 'could not upload the rerun script');
    return refuse(RERUN.uploadFailed);
  }
  const replaced = pairs.map((p) => p.old);
  return {
    ok: true,
    restore: {
      plan,
      fileId,
      instruction: {
        type: 'text',
        text: rerunInstruction(plan.steps.length, renames, extra(JSON.stringify, JSON.stringify)),
      },
      upload: { type: 'container_upload', file_id: fileId },
      rerun: { renames, guessed, notes },
    },
    files: files.filter((f) => !replaced.includes(f)),
    replaced: replaced.map((f) => f.anthropicFileId),
  };
}

/**
 * Gives each old file a new one of the same format: the same name first, then the most similar name, then upload
 * order. `guessed` when names did not settle it for some old file (two candidates alike): the thread is told.
 */
export function pairFiles(
  old: readonly ThreadFile[],
  fresh: readonly ThreadFile[],
): { pairs: Pairing[]; guessed: boolean } | { missing: ThreadFile } {
  const left = [...fresh];
  const chosen = new Map<ThreadFile, ThreadFile>();
  const take = (o: ThreadFile, f: ThreadFile) => {
    chosen.set(o, f);
    left.splice(left.indexOf(f), 1);
  };
  for (const o of old) {
    const same = left.find((f) => f.name === o.name);
    if (same) take(o, same);
  }
  let guessed = false;
  for (const o of old) {
    if (chosen.has(o)) continue;
    const candidates = left.filter((f) => formatOf(f.name) === formatOf(o.name));
    if (candidates.length === 0) return { missing: o };
    // Stable sort: on equal similarity the earlier upload wins, and the thread is told it was a guess.
    const [best, next] = [...candidates].sort(
      (a, b) => similarity(o.name, b.name) - similarity(o.name, a.name),
    );
    if (next && similarity(o.name, next.name) === similarity(o.name, best!.name)) guessed = true;
    take(o, best!);
  }
  return { pairs: old.map((o) => ({ old: o, fresh: chosen.get(o)! })), guessed };
}

/** The format's label by extension ("CSV"), or the extension itself. */
const formatOf = (name: string): string => formatOfName(name)?.label ?? extensionOf(name);

/** Shared name words (letters only, so dates and numbers do not count): `sales_2026-10.csv` ~ `Sales Nov.csv`. */
function similarity(a: string, b: string): number {
  const words = (s: string) =>
    new Set(
      s
        .toLowerCase()
        .replace(/\.[^.]*$/, '')
        .match(/[a-z]{2,}/g) ?? [],
    );
  const wa = words(a);
  return [...words(b)].filter((w) => wa.has(w)).length;
}

/**
 * Columns of the new file against the old one's, by name, from the profiles stored at upload. Nothing is compared
 * when either profile is missing or holds only the first of many columns.
 */
export function compareColumns({ old, fresh }: Pairing): { missing: string[]; extra: string[] } {
  const complete = (f: ThreadFile) =>
    f.profile &&
    f.profile.columns.length > 0 &&
    (f.profile.columnCount ?? f.profile.columns.length) === f.profile.columns.length
      ? f.profile.columns.map((c) => c.name.trim())
      : undefined;
  const before = complete(old);
  const after = complete(fresh);
  if (!before || !after) return { missing: [], extra: [] };
  return {
    missing: before.filter((c) => !after.includes(c)),
    extra: after.filter((c) => !before.includes(c)),
  };
}

/** Column names for a message: at most 15, then how many more. */
function listed(columns: readonly string[], show: (name: string) => string): string[] {
  const shown = columns.slice(0, 15).map(show);
  return columns.length > 15 ? [...shown, `${columns.length - 15} more`] : shown;
}

/** A column name as inline code, cut, with backticks replaced so it cannot break out. */
const inlineCode = (name: string) =>
  `\`${(name.length > 60 ? `${name.slice(0, 59)}…` : name).replace(/`/g, "'") || ' '}\``;
