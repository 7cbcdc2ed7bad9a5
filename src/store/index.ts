import type { Db } from './db.js';
import { createFileStore } from './files.js';
import { createHistoryStore } from './history.js';
import { createInbox } from './inbox.js';
import { createThreadStore } from './threads.js';
import { createUsageStore } from './usage.js';

export { openDatabase } from './db.js';

/** All repositories over one database; the only place SQL lives. */
export function createStore(db: Db) {
  return {
    db,
    threads: createThreadStore(db),
    history: createHistoryStore(db),
    files: createFileStore(db),
    inbox: createInbox(db),
    usage: createUsageStore(db),
  };
}
export type Store = ReturnType<typeof createStore>;
