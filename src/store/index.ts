import type Anthropic from '@anthropic-ai/sdk';
import { createAuditLog } from './audit.js';
import type { Db } from './db.js';
import { createFeedbackStore } from './feedback.js';
import { createFileStore } from './files.js';
import { createHealthProbe } from './health.js';
import { createHistoryStore } from './history.js';
import { createInbox } from './inbox.js';
import { createProfilingMarks } from './profiling.js';
import { createReports } from './reports.js';
import { createThreadStore } from './threads.js';
import { createUsageStore } from './usage.js';

export { openDatabase } from './db.js';
export { databaseFault, faultReason } from './faults.js';
export type { DatabaseHealth } from './health.js';

/** All repositories over one database; the only place SQL lives. */
export function createStore(db: Db) {
  const threads = createThreadStore(db);
  const history = createHistoryStore(db);
  const inbox = createInbox(db);
  const audit = createAuditLog(db);
  return {
    db,
    threads,
    history,
    files: createFileStore(db),
    inbox,
    usage: createUsageStore(db),
    /** One row per question and per refusal; numbers and ids only. */
    audit,
    /** 👍/👎 on answers. */
    feedback: createFeedbackStore(db),
    /** Whether the database can be written now (a probe write, cached for a few seconds). */
    health: createHealthProbe(db),
    /** Runs `fn` in one write transaction: every write in it lands, or none does. */
    atomically: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    profiling: createProfilingMarks(db),
    /** Read-only usage and failure reports for the App Home. */
    reports: createReports(db),
    /**
     * Deletes everything stored for a thread, in one transaction: the thread row (history and files cascade) and
     * its finished inbox rows, which hold the messages' text. Usage counts and audit rows stay, for budgets and
     * reports, without the names of the thread's files.
     */
    forget(threadKey: string): void {
      const [teamId = '', channelId = '', threadTs = ''] = threadKey.split(':');
      db.transaction(() => {
        threads.delete(threadKey);
        inbox.removeFinished(threadKey);
        audit.dropFileNames({ teamId, channelId, threadTs });
      })();
    },
    /** Stores a finished turn and marks its inbox row as saved, atomically. */
    saveTurn(
      source: { channelId: string; messageTs: string },
      threadKey: string,
      turnId: string,
      messages: Anthropic.MessageParam[],
    ): void {
      db.transaction(() => {
        history.appendTurn(threadKey, turnId, messages);
        inbox.markSaved(source.channelId, source.messageTs);
      })();
    },
  };
}
export type Store = ReturnType<typeof createStore>;
