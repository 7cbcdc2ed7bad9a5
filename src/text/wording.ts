/**
 * The sentences people read in a thread from the turn, intake and the thread commands, in one place. Slack views
 * (progress, answers, Show code, the Home tab) build theirs next to their blocks; file receipts have
 * files/profile/wording.ts.
 */

/** "1 file", "3 files"; `show` writes the number (e.g. with thousands separators). */
export function plural(n: number, word: string, show: (n: number) => string = String): string {
  return `${show(n)} ${word}${n === 1 ? '' : 's'}`;
}

export const RETRY_HINT = 'Reply `retry` in this thread to try again.';

/** What a turn says. */
export const TURN = {
  askAboutIt: 'Ask me anything about it.',
  askAQuestion: 'Ask me a question about your data.',
  /** Above the full answer when its streamed copy broke off part-way. */
  streamBrokeOff: '⚠️ Slack stopped showing the answer part-way through; here it is in full.',
  /** Notification text of the data tables posted under a streamed answer. */
  tablesAbove: 'The tables of the answer above',
  /** Notification text of the buttons under a streamed answer that has nothing more to say. */
  rateAnswer: 'How was this answer?',
  fileRefused: (fileName: string, reason: string) => `🚫 I couldn't use **${fileName}**: ${reason}`,
  couldNotAnswer: (reason: string, kept: boolean) =>
    `⚠️ I couldn't answer: ${reason}${kept ? ' Your question is kept: reply `retry` in this thread to try again.' : ''}`,
  sandboxReplaced: (restored: string) =>
    `♻️ This thread's sandbox had expired, so I started a new one: earlier variables were reset. Files restored: ${restored}.`,
  sandboxRestored: (rerun: number, files: number, failed: readonly string[], skipped: readonly string[]) =>
    `♻️ Sandbox restored: ${plural(rerun, 'step')} re-run, ${plural(files, 'file')} re-attached.` +
    (failed.length > 0 ? ` Failed on replay: ${failed.join(', ')}.` : '') +
    (skipped.length > 0 ? ` Not re-run: ${skipped.join(', ')}.` : ''),
  restoreNotRun: (steps: number, files: number) =>
    `♻️ New sandbox for this thread: ${plural(files, 'file')} re-attached, but ${plural(steps, 'earlier step')} could not be re-run (the restore script did not run), so earlier variables and intermediate files are gone.`,
  refused: 'Claude declined to answer this question.',
  notSaved: (reason: string) =>
    `💾 I couldn't save this answer: ${reason}. Follow-ups in this thread won't know about it. ` +
    'An admin has been told in the logs; press Retry to ask again once it is fixed.',
  noWrittenAnswer: '_(Claude gave no written answer.)_',
  continuationLimit:
    '⏸️ Claude was still working when the continuation limit was reached; the answer may be incomplete.',
  outputTokenLimit: '✂️ The answer was cut off at the output token limit (ANTHROPIC_MAX_TOKENS).',
  contextWindowFull:
    "✂️ This thread no longer fits in Claude's context window; start a new thread for a fresh start.",
  outputNotFetched: (fileId: string) =>
    `⚠️ One output file (${fileId}) could not be fetched from the sandbox.`,
} as const;

/** What intake says when a message cannot be taken, or ends without an answer. */
export const INTAKE = {
  couldNotTake: (reason: string) =>
    `💾 I couldn't take this message: ${reason}. Please send it again in a few minutes.`,
  busy: (pending: number) => `⏳ I'm busy with ${pending} other questions right now. ${RETRY_HINT}`,
  stopped: "🛑 Stopped. The thread's sandbox is kept, so you can ask again or retry.",
  timedOut: (limit: string) => `⏱️ This took longer than the ${limit} limit, so I stopped it. ${RETRY_HINT}`,
  couldNotFinish: (reason: string) =>
    `💾 I couldn't finish this: ${reason}. An admin has been told in the logs. ${RETRY_HINT}`,
  crashed: `⚠️ Something went wrong while answering this; the error was logged. ${RETRY_HINT}`,
  cannotRetryYet: (reason: string) => `💾 I can't retry this yet: ${reason}. Try again in a few minutes.`,
  restartedWhilePosting: `♻️ I was restarted while posting the answer to this, so parts of it may be missing. ${RETRY_HINT}`,
  interrupted: (times: number) => `⚠️ I was interrupted ${times} times while answering this. ${RETRY_HINT}`,
} as const;

/** What `rerun` says: the mapping it used, and why it would not run. */
export const RERUN = {
  nothingRecorded:
    '🔁 There is no analysis in this thread to rerun yet: ask me about a file first, then mention me with `rerun` and the new file.',
  noNewFile: (analysed: readonly string[]) =>
    `🔁 Attach the new file to \`@Analyst rerun\` (or upload it to this thread first): I found no file newer than the ones this thread analysed${analysed.length > 0 ? ` (${analysed.join(', ')})` : ''}.`,
  tooFewFiles: (old: readonly string[], fresh: readonly string[]) =>
    `🔁 I can't rerun: this thread's analysis read ${plural(old.length, 'file')} (${old.join(', ')}) but there ${fresh.length === 1 ? 'is' : 'are'} only ${plural(fresh.length, 'new file')} (${fresh.join(', ')}). Attach one new file for each.`,
  noSameFormat: (old: string, format: string, fresh: readonly string[]) =>
    `🔁 I can't rerun: no new ${format} file can take the place of ${old} (new: ${fresh.join(', ')}).`,
  missingColumns: (lines: readonly string[]) =>
    `🔁 I can't rerun on this data, the analysis would break:\n${lines.map((l) => `• ${l}`).join('\n')}\nUpload a file with those columns (extra columns are fine).`,
  lacks: (fresh: string, old: string, columns: readonly string[], count: number) =>
    `${fresh} lacks ${plural(count, 'column')} that ${old} had: ${columns.join(', ')}`,
  extra: (fresh: string, old: string, columns: readonly string[], count: number) =>
    `${fresh} has ${plural(count, 'column')} that ${old} did not: ${columns.join(', ')} (the earlier steps do not use ${count === 1 ? 'it' : 'them'}).`,
  unused: (files: readonly string[]) => `Not used: ${files.join(', ')}.`,
  uploadFailed:
    "🔁 I couldn't start the rerun: uploading its script to the sandbox failed. Try again in a moment.",
  took: (fresh: string, old: string) => `${fresh} → ${old}`,
  done: (
    renames: readonly string[],
    guessed: boolean,
    rerun: number,
    failed: readonly string[],
    notes: readonly string[],
  ) =>
    [
      `🔁 Rerun on new data in a new sandbox: ${renames.join(', ')}; ${plural(rerun, 'step')} re-run.`,
      guessed
        ? 'The files were matched by format and name, and more than one fitted: name the new files like the originals to choose.'
        : '',
      failed.length > 0 ? `Failed on replay: ${failed.join(', ')}.` : '',
      ...notes,
    ]
      .filter(Boolean)
      .join(' '),
  notRun: (steps: number) =>
    `🔁 New sandbox with the new data, but ${plural(steps, 'recorded step')} could not be re-run (the rerun script did not run), so the answer below may not reflect the earlier analysis.`,
} as const;

/** What the thread commands say (`usage` stays with the cost arithmetic in commands.ts). */
export const COMMAND = {
  help: (formats: string, maxFileMb: number) =>
    [
      '👋 I answer data questions by running code in a sandbox that belongs to this thread.',
      '• Mention me with a question; follow-ups in the same thread need no mention and reuse the same sandbox.',
      `• Upload ${formats} files (up to ${maxFileMb} MB) to the thread; charts and files I make come back here.`,
      '• The sandbox has no internet access and cannot install packages.',
      '• Commands: `help`, `reset` (fresh sandbox, earlier steps re-run), `reset clean` (fresh, empty sandbox), `usage` (tokens and estimated cost), `forget` (delete this thread’s data), `retry` (re-run the last failed question), `notebook` (this thread as a Jupyter notebook), `rerun` with new files attached (this thread’s analysis on new data, next to the old numbers).',
    ].join('\n'),
  resetRestoring: (steps: number, files: number) =>
    `🧹 Started a fresh sandbox for this thread. With the next question I'll restore it: ${plural(steps, 'recorded step')} re-run in order` +
    (files > 0 ? ` and ${plural(files, 'file')} re-attached.` : '.') +
    ' (`reset clean` starts from an empty sandbox instead.)',
  reset: (files: number) =>
    `🧹 Started a fresh sandbox for this thread: earlier variables and intermediate files are gone.${
      files > 0 ? ` ${plural(files, 'file')} will be re-attached with the next question.` : ''
    }`,
  forgotten: (files: number) =>
    `🗑️ Forgotten: this thread's history, its sandbox reference and ${plural(files, 'uploaded file')} were deleted. Mention me to start over.`,
  nothingToRetry: 'There is no failed question in this thread to retry.',
  notYoursToRetry: 'Only the person who asked the last failed question, or a workspace admin, can retry it.',
  retrying: (question: string) => `🔁 Retrying: “${question.slice(0, 200)}”`,
  nothingToExport: 'There is no answered question in this thread to export yet.',
  notebookPosted: (questions: number, runs: number, inputs: readonly string[]) =>
    `📓 This thread as a Jupyter notebook: ${plural(questions, 'question')}, ${plural(runs, 'code cell')}.` +
    (inputs.length > 0 ? ` To run it, put ${inputs.join(', ')} next to it.` : ''),
} as const;

/** Why a question was not taken (access) or not started (budgets). Never a Claude call, never a download. */
export const GOVERNANCE = {
  channelNotAllowed:
    "🔒 Sorry, I'm not set up to answer in this channel. Ask a workspace admin to add it to ALLOWED_CHANNELS, or ask me in a channel where I answer.",
  userNotAllowed:
    "🔒 Sorry, I can only answer people on this workspace's allow-list. Ask a workspace admin to add you to ALLOWED_USERS.",
  dmsOff:
    "🔒 Sorry, I don't answer direct messages here. Mention me in a channel instead, or ask a workspace admin.",
  sharedOff:
    "🔒 Sorry, I don't answer in channels shared with other organisations, or people from them. A workspace admin can allow it (ALLOW_SHARED_CHANNELS).",
  overBudget: (limit: string, spent: string, cap: string, resets: string) =>
    `💰 I can't start this question: the ${limit} (${cap}) is used up, ${spent} spent so far. ` +
    `It resets ${resets}. A workspace admin can raise it.`,
  turnCeiling: (cap: string) =>
    `✂️ I cut this answer short: the question reached the ${cap} limit per question (MAX_TURN_USD), so Claude was not continued. The answer may be incomplete.`,
} as const;

/** What the bot says, to the clicker only, when someone rates an answer. */
export const FEEDBACK = {
  up: 'Thanks for the 👍, noted.',
  down: 'Thanks for telling me. 👎 noted.',
  downRetry: 'Thanks for telling me. 👎 noted. Want me to try this question again?',
  notSaved: 'Sorry, I could not save your rating just now.',
} as const;

/** Suggested follow-up questions under an answer, and what a click on one says in the thread. */
export const FOLLOW_UPS = {
  promptsTitle: 'Ask next:',
  asked: (userId: string, question: string) => `🙋 <@${userId}> asked: ${question}`,
  failed: "⚠️ I couldn't ask that follow-up just now. Please type it in the thread instead.",
} as const;
