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

/** What the thread commands say (`usage` stays with the cost arithmetic in commands.ts). */
export const COMMAND = {
  help: (formats: string, maxFileMb: number) =>
    [
      '👋 I answer data questions by running code in a sandbox that belongs to this thread.',
      '• Mention me with a question; follow-ups in the same thread need no mention and reuse the same sandbox.',
      `• Upload ${formats} files (up to ${maxFileMb} MB) to the thread; charts and files I make come back here.`,
      '• The sandbox has no internet access and cannot install packages.',
      '• Commands: `help`, `reset` (fresh sandbox, earlier steps re-run), `reset clean` (fresh, empty sandbox), `usage` (tokens and estimated cost), `forget` (delete this thread’s data), `retry` (re-run the last failed question), `notebook` (this thread as a Jupyter notebook).',
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
