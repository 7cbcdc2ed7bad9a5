/**
 * Profiles an uploaded file off the bot's event loop: in a worker thread with a wall-clock limit, a heap limit
 * and cancellation. Uploaded bytes are untrusted; whatever they do to the parser (loop for minutes, allocate
 * gigabytes, crash it) ends in a "could not profile" result for that file, never a blocked or dead bot.
 *
 * A worker thread rather than a child process: it starts in milliseconds, `resourceLimits` caps its V8 heap
 * (exceeding it ends the worker, not the process), `terminate()` stops it even inside a tight loop or a
 * backtracking regular expression, and the result comes back by structured clone. The parsers stream the file
 * in bounded chunks, so the memory outside the V8 heap (Buffers) stays small without a separate limit.
 */
import { spawnWorker, workerEntry } from '../../worker-thread.js';
import type { DataKind } from '../formats.js';
import type { DataProfile } from './profile.js';
import type { ProfileJob, WorkerMessage } from './worker.js';

export interface ProfilerLimits {
  /** Wall-clock limit of one profile, counted from when the worker's code is loaded. */
  timeoutMs: number;
  /** Heap limit of the worker (V8 old generation), in MB. */
  maxMemoryMb: number;
  /** Rows typed per file (see ProfileOptions). */
  maxRows?: number;
}

export type ProfileFailure = 'timeout' | 'memory' | 'crashed';
export type ProfileResult =
  | { ok: true; profile: DataProfile }
  | { ok: false; reason: ProfileFailure; profile: DataProfile };

/** A worker whose code has not loaded by then is given up on (a loaded machine, or a broken install). */
const STARTUP_LIMIT_MS = 30_000;

const WORKER_ENTRY = workerEntry('worker', import.meta.url);

/**
 * Profiles `path` as `kind` in a fresh worker. Resolves with the profile, or with a failure whose profile
 * carries the receipt note; rejects only with `signal.reason` when `signal` aborts (the worker is terminated).
 */
export function profileIsolated(
  path: string,
  kind: DataKind,
  limits: ProfilerLimits,
  signal?: AbortSignal,
): Promise<ProfileResult> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const job: ProfileJob = {
    path,
    kind,
    ...(limits.maxRows === undefined ? {} : { maxRows: limits.maxRows }),
  };
  const worker = spawnWorker(WORKER_ENTRY, {
    workerData: job,
    // The parser needs no secrets: the worker gets an empty environment, not a copy of the bot's.
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: limits.maxMemoryMb },
  });
  return new Promise<ProfileResult>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      worker.removeAllListeners('message');
      // Not awaited: the caller has its answer; termination finishes in the background.
      void worker.terminate().catch(() => undefined);
      outcome();
    };
    const fail = (reason: ProfileFailure, note: string) =>
      settle(() => resolve({ ok: false, reason, profile: unprofiled(kind, note) }));
    const onAbort = () => settle(() => reject(signal!.reason));

    let timer = setTimeout(() => fail('crashed', couldNot('the profiler did not start')), STARTUP_LIMIT_MS);
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'started') {
        clearTimeout(timer);
        timer = setTimeout(
          () => fail('timeout', couldNot(`took longer than ${formatSeconds(limits.timeoutMs)}`)),
          limits.timeoutMs,
        );
      } else settle(() => resolve({ ok: true, profile: m.profile }));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        fail('memory', couldNot(`it needed more than ${limits.maxMemoryMb} MB of memory`));
      } else fail('crashed', couldNot('the profiler stopped unexpectedly'));
    });
    worker.on('exit', () => fail('crashed', couldNot('the profiler stopped unexpectedly')));
  });
}

/** What the receipt shows for a file that was not profiled: its format and size, and why. */
export function unprofiled(kind: DataKind, note: string): DataProfile {
  return { kind, rows: null, columns: [], notes: [note] };
}

const couldNot = (why: string) => `could not profile this file: ${why}`;
const formatSeconds = (ms: number) => `${Number((ms / 1000).toFixed(2))} s`;
