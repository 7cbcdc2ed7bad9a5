/**
 * Worker thread entry: profiles one file and posts the result. Runs only under src/files/profile/isolated.ts,
 * which bounds its time and memory; nothing here talks to Slack, Anthropic or the database.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DataKind } from '../formats.js';
import { profileFile } from './index.js';

export interface ProfileJob {
  path: string;
  kind: DataKind;
  maxRows?: number;
}

/** Messages to the parent: `started` once the code is loaded (the time limit starts then), then the profile. */
export type WorkerMessage =
  | { type: 'started' }
  | { type: 'profile'; profile: Awaited<ReturnType<typeof profileFile>> };

const port = parentPort;
if (!port) throw new Error('src/files/profile/worker.ts runs only as a worker thread');
const job = workerData as ProfileJob;
port.postMessage({ type: 'started' } satisfies WorkerMessage);
const profile = await profileFile(
  job.path,
  job.kind,
  job.maxRows === undefined ? {} : { maxRows: job.maxRows },
);
port.postMessage({ type: 'profile', profile } satisfies WorkerMessage);
