/**
 * Where downloaded copies of uploads live while they are profiled and sent to the Files API.
 *
 * `<tmpdir>/slack-analyst/<database hash>/<pid>/<thread hash>-XXXXXX/`:
 * - per database, because the database is what makes two processes the same bot: a restart finds its own
 *   leftovers, and two bots on one machine (two databases) never touch each other's files;
 * - per process id below that, so start-up removes only what dead processes left (a crash or kill -9 skips the
 *   `finally` that normally removes each copy), never the live files of another process on the same database
 *   (a rolling deploy); a leftover of a process that had our pid (the same pid 1 in every container start) is ours;
 * - per thread in the name, so `forget` can remove a thread's copies without knowing which ingestion made them.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface TempFiles {
  /** A new private directory for one ingestion of a file of `threadKey`. */
  create(threadKey: string): Promise<string>;
  /** Removes what earlier processes of this bot left behind; returns how many directories went. */
  removeStale(): Promise<number>;
  /** Removes every copy of the thread's files still on disk. */
  removeThread(threadKey: string): Promise<void>;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** `root` defaults to the OS temp folder; tests pass their own. */
export function createTempFiles(databasePath: string, root = tmpdir()): TempFiles {
  const botRoot = join(
    root,
    'slack-analyst',
    hash(databasePath === ':memory:' ? `memory:${process.pid}` : resolve(databasePath)),
  );
  const ownDir = join(botRoot, String(process.pid));

  const processDirs = async (): Promise<string[]> =>
    (await readdir(botRoot).catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));

  return {
    async create(threadKey) {
      await mkdir(ownDir, { recursive: true, mode: 0o700 });
      return mkdtemp(join(ownDir, `${hash(threadKey)}-`));
    },
    async removeStale() {
      const stale = (await processDirs()).filter(
        (pid) => Number(pid) === process.pid || !isAlive(Number(pid)),
      );
      await Promise.all(stale.map((pid) => rm(join(botRoot, pid), { recursive: true, force: true })));
      return stale.length;
    },
    async removeThread(threadKey) {
      const prefix = `${hash(threadKey)}-`;
      for (const pid of await processDirs()) {
        const dir = join(botRoot, pid);
        const mine = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix));
        await Promise.all(mine.map((n) => rm(join(dir, n), { recursive: true, force: true })));
      }
    },
  };
}

/** Whether a process with this id exists (EPERM: it does, under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
