import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

export interface ChildBot {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** Polls GET /healthz until the bot answers. */
  ready(port: number): Promise<void>;
}

/** Runs the real entry point (`npm start`) in its own process with exactly the given environment. */
export function spawnBot(env: Record<string, string>): ChildBot {
  // Run from an empty folder, so a developer's own .env cannot leak into the test.
  const cwd = mkdtempSync(join(tmpdir(), 'slack-analyst-cwd-'));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), `${root}src/main.ts`], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    async ready(port) {
      for (let i = 0; i < 150; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`bot did not become healthy: ${stderr || stdout}`);
    },
  };
}
