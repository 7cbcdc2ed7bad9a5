import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs vitest (as .ci/run does) on one generated test file; returns the count the reporter wrote. */
async function unhandledCount(testSource: string): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'slack-analyst-reporter-'));
  mkdirSync(join(dir, 'test'));
  writeFileSync(join(dir, 'test', 'sample.test.ts'), testSource);
  const count = join(dir, 'count');
  await promisify(execFile)(
    process.execPath,
    [
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--root',
      dir,
      `--reporter=${join(root, 'test/reporters/unhandled-errors.ts')}`,
    ],
    { env: { ...process.env, UNHANDLED_ERRORS_FILE: count } },
  ).catch(() => undefined); // a run with unhandled errors exits 1; the count is what matters here
  return readFileSync(count, 'utf8').trim();
}

it('counts a rejection that happens after its test passed, which the JSON report does not show', async () => {
  const leaky = `import { it } from 'vitest';
it('passes, then rejects later', () => { setTimeout(() => Promise.reject(new Error('late')), 5); });
it('is still running when it happens', async () => { await new Promise((r) => setTimeout(r, 200)); });
`;
  expect(await unhandledCount(leaky)).toBe('1');
});

it('writes 0 for a clean run', async () => {
  expect(await unhandledCount(`import { it } from 'vitest';\nit('passes', () => {});\n`)).toBe('0');
});
