import type { Logger } from './log.js';
import type { FileGateway } from './ports.js';
import type { Store } from './store/index.js';

export interface ForgetDeps {
  store: Store;
  files: Pick<FileGateway, 'deleteFile' | 'removeLocalCopies'>;
}

/**
 * Deletes a thread's input files at Anthropic and any local copy still on disk, then everything stored for it.
 * Returns how many files went.
 */
export async function forgetThread(deps: ForgetDeps, threadKey: string): Promise<number> {
  const files = await deps.store.files.list(threadKey);
  await Promise.allSettled([
    ...files.map((f) => deps.files.deleteFile(f.anthropicFileId)),
    deps.files.removeLocalCopies(threadKey),
  ]);
  await deps.store.forget(threadKey);
  return files.length;
}

/**
 * Forgets threads idle for longer than the retention period (containers live 30 days at most, so
 * an older thread would start over anyway). Runs at start and then hourly.
 */
export function startRetention(deps: ForgetDeps & { retentionDays: number; log: Logger }) {
  const sweep = async (): Promise<number> => {
    const cutoff = Date.now() - deps.retentionDays * 24 * 60 * 60 * 1000;
    const stale = await deps.store.threads.idleSince(cutoff);
    for (const threadKey of stale) await forgetThread(deps, threadKey);
    if (stale.length > 0)
      deps.log.info({ threads: stale.length, retentionDays: deps.retentionDays }, 'forgot idle threads');
    return stale.length;
  };
  if (deps.retentionDays === 0) return { sweep: async () => 0, stop: () => undefined };
  const timer = setInterval(
    () => void sweep().catch((err: unknown) => deps.log.error({ err }, 'retention sweep failed')),
    3_600_000,
  );
  timer.unref();
  void sweep().catch((err: unknown) => deps.log.error({ err }, 'retention sweep failed'));
  return { sweep, stop: () => clearInterval(timer) };
}
