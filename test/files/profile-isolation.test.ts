/**
 * The profiler runs off the bot's event loop: in a worker thread, within a time and a memory limit, cancellable.
 * Also the two things that make a crash survivable: the per-file profiling mark (a file that took the bot down
 * is not profiled again) and the per-bot temp folder (leftovers removed at start-up and by forget).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileFile } from '../../src/files/profile/index.js';
import { profileIsolated } from '../../src/files/profile/isolated.js';
import { createTempFiles } from '../../src/files/temp.js';
import { openDatabase } from '../../src/store/db.js';
import { createProfilingMarks } from '../../src/store/profiling.js';
import { sqliteSql } from '../../src/store/sqlite.js';
import type { redactOutputFile } from '../../src/text/redact-file.js';
import { plainCsv, sharedStringFlood } from '../support/hostile-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'profile-isolation-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LIMITS = { timeoutMs: 20_000, maxMemoryMb: 128 };

/** A plain CSV of a few MB: legitimate work that takes far longer than a tenth of a second to profile. */
async function bigCsv(): Promise<string> {
  const path = join(dir, 'big.csv');
  await writeFile(path, plainCsv(5));
  return path;
}

async function manyStrings(): Promise<string> {
  const path = join(dir, 'strings.xlsx');
  await writeFile(path, sharedStringFlood());
  return path;
}

describe('profileIsolated', () => {
  it('gives the same profile as profiling in-process', async () => {
    const path = join(dir, 'sales.csv');
    await writeFile(path, 'region,month,revenue\nEMEA,2026-01,10.5\nAMER,2026-02,\nAPAC,2026-03,7\n');
    const result = await profileIsolated(path, 'csv', LIMITS);
    expect(result).toEqual({ ok: true, profile: await profileFile(path, 'csv') });
    expect(result.profile.rows).toBe(3);
  });

  it('passes the row cap to the worker', async () => {
    const path = join(dir, 'capped.csv');
    await writeFile(path, 'n\n1\n2\nx\n');
    const result = await profileIsolated(path, 'csv', { ...LIMITS, maxRows: 2 });
    expect(result.profile.columns).toEqual([{ name: 'n', type: 'integer', nulls: 0 }]);
    expect(result.profile.rows).toBe(3);
  });

  it('stops a profile that runs past the time limit, with a note naming the limit', async () => {
    const path = await bigCsv();
    const result = await profileIsolated(path, 'csv', { ...LIMITS, timeoutMs: 100 });
    expect(result).toEqual({
      ok: false,
      reason: 'timeout',
      profile: {
        kind: 'csv',
        rows: null,
        columns: [],
        notes: ['could not profile this file: took longer than 0.1 s'],
      },
    });
  });

  it('ends a worker that needs more memory than allowed, not the process, with a note naming the limit', async () => {
    const result = await profileIsolated(await manyStrings(), 'xlsx', { ...LIMITS, maxMemoryMb: 16 });
    expect(result).toEqual({
      ok: false,
      reason: 'memory',
      profile: {
        kind: 'xlsx',
        rows: null,
        columns: [],
        notes: ['could not profile this file: it needed more than 16 MB of memory'],
      },
    });
    // The same file with room to spare profiles fine: it was the limit, not the file.
    const roomy = await profileIsolated(join(dir, 'strings.xlsx'), 'xlsx', { ...LIMITS, maxMemoryMb: 512 });
    expect(roomy.ok).toBe(true);
  });

  it('is cancelled by its abort signal: the worker is ended and the promise rejects with the reason', async () => {
    const path = await bigCsv();
    const controller = new AbortController();
    const pending = profileIsolated(path, 'csv', { ...LIMITS, timeoutMs: 60_000 }, controller.signal);
    setTimeout(() => controller.abort(new Error('stopped by a user')), 100);
    await expect(pending).rejects.toThrow('stopped by a user');
    await expect(profileIsolated(path, 'csv', LIMITS, AbortSignal.abort(new Error('gone')))).rejects.toThrow(
      'gone',
    );
  });

  it('runs from the compiled JavaScript too (npm run build → node dist/main.js), as does output redaction', async () => {
    // The profiler's modules compiled to JavaScript as the build does, into a folder below node_modules so
    // packages still resolve; no tsx anywhere.
    const outDir = resolve('node_modules/.cache', `profile-dist-${process.pid}`);
    try {
      await compile(
        ['src/files/profile/isolated.ts', 'src/text/redact-file.ts', 'src/text/redact-worker.ts'].map((f) =>
          resolve(f),
        ),
        resolve('src'),
        outDir,
      );
      const compiled = join(outDir, 'files/profile');
      expect(existsSync(join(compiled, 'worker.js'))).toBe(true);
      const mod = (await import(pathToFileURL(join(compiled, 'isolated.js')).href)) as {
        profileIsolated: typeof profileIsolated;
      };
      const path = join(dir, 'dist.csv');
      await writeFile(path, 'a,b\n1,x\n2,y\n');
      const result = await mod.profileIsolated(path, 'csv', LIMITS);
      expect(result).toEqual({ ok: true, profile: await profileFile(path, 'csv') });
      // Large output files are redacted in a worker thread of their own.
      const redaction = (await import(pathToFileURL(join(outDir, 'text/redact-file.js')).href)) as {
        redactOutputFile: typeof redactOutputFile;
      };
      const rows = 'a,b\n1,x\n'.repeat(100_000);
      const redacted = await redaction.redactOutputFile({
        fileName: 'out.csv',
        mimeType: 'text/csv',
        bytes: Buffer.from(`${rows}key,xoxb-2468013579-1357924680-abcdefABCDEF\n`),
      });
      expect(redacted.file?.bytes.toString()).toBe(`${rows}key,[redacted slack token]\n`);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});

/**
 * Transpiles `entries` and every module they import relatively (the worker is among them) from `rootDir` into
 * `outDir`, with the project's module settings.
 */
async function compile(entries: string[], rootDir: string, outDir: string): Promise<void> {
  const seen = new Set<string>();
  const queue = [...entries];
  for (let file = queue.pop(); file; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const { fileName } of ts.preProcessFile(source).importedFiles) {
      if (fileName.startsWith('.')) queue.push(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
    }
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
      },
    });
    const out = join(outDir, relative(rootDir, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}');
}

describe('profiling marks (migration 4)', () => {
  it('lets a file be profiled again after a normal end, but not after the bot died while profiling it', async () => {
    const db = openDatabase(':memory:');
    try {
      const firstRun = createProfilingMarks(sqliteSql(db));
      expect(await firstRun.begin('F1')).toBe(true);
      await firstRun.end('F1');
      expect(await firstRun.begin('F2')).toBe(true); // the process dies here: F2 is never ended
      expect(await firstRun.begin('F2')).toBe(true); // the same run may profile it again (a second thread)

      const restarted = createProfilingMarks(sqliteSql(db));
      expect(await restarted.begin('F1')).toBe(true);
      expect(await restarted.begin('F2')).toBe(false);
      expect(await createProfilingMarks(sqliteSql(db)).begin('F2')).toBe(false); // and stays skipped on later starts
    } finally {
      db.close();
    }
  });
});

describe('temp files', () => {
  it('keeps each bot in its own folder and removes what dead processes (and an earlier us) left', async () => {
    const root = join(dir, 'tmp-root');
    const temp = createTempFiles(join(dir, 'bot-a.db'), root);
    const other = createTempFiles(join(dir, 'bot-b.db'), root);
    const ours = await temp.create('T1:C1:1.1');
    const theirs = await other.create('T1:C1:1.1');
    await writeFile(join(ours, 'data'), 'x');
    expect(ours.startsWith(root)).toBe(true);
    expect(ours).not.toBe(theirs);

    // Folders of a process that no longer exists, and of a live one (our parent, e.g. a rolling deploy).
    const botRoot = resolve(ours, '../..');
    const dead = join(botRoot, '999999999');
    const live = join(botRoot, String(process.ppid));
    await mkdir(join(dead, 'x-1'), { recursive: true });
    await mkdir(join(live, 'x-2'), { recursive: true });

    expect(await temp.removeStale()).toBe(2); // the dead process's and our own pid's (left by an earlier start)
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(ours)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(theirs)).toBe(true); // another bot's files are never touched
  });

  it('removes one thread’s copies for forget, and only those', async () => {
    const temp = createTempFiles(join(dir, 'bot-c.db'), join(dir, 'tmp-root-2'));
    const a = await temp.create('T1:C1:1.1');
    const b = await temp.create('T1:C1:2.2');
    await temp.removeThread('T1:C1:1.1');
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(true);
    expect(await readdir(resolve(b, '..'))).toHaveLength(1);
  });
});
