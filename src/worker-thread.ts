/**
 * Starts a worker thread whose entry is a module of this project, from the compiled dist/ (plain JavaScript next
 * to the caller) and from the TypeScript sources (tsx, vitest) alike. From the sources the worker needs tsx's loader
 * registered inside it first: on Node 20 a worker ignores the parent's loader, and an `--import` in its execArgv
 * comes too late for its entry module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `entry` is the worker module's URL as `new URL('./x.ts', import.meta.url)` gives it from the sources. */
export function spawnWorker(entry: URL, options: WorkerOptions): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/** The entry's URL for the way this process runs: `name.ts` from the sources, `name.js` from dist/. */
export function workerEntry(name: string, base: string): URL {
  const fromSource = base.endsWith('.ts');
  return new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, base);
}
