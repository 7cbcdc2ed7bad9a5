import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { floatingPromises, projectProgram } from '../../scripts/check-promises.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A two-module project on disk: a store whose methods are async, and code that uses it. */
function check(use: string): string[] {
  const root = mkdtempSync(join(tmpdir(), 'check-promises-'));
  dirs.push(root);
  writeFileSync(
    join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', noEmit: true } }),
  );
  writeFileSync(join(root, 'store.ts'), 'export const store = { async save(): Promise<void> {} };\n');
  writeFileSync(
    join(root, 'use.ts'),
    `import { store } from './store.js';\ndeclare const expect: (v: unknown) => { resolves: unknown; toBe(v: unknown): void };\nexport async function run() {\n${use}\n}\n`,
  );
  return floatingPromises(projectProgram(root), root);
}

describe('check-promises', () => {
  it('finds a store call from another module that nobody awaits', () => {
    expect(check('  store.save();')).toEqual(['use.ts:4: promise not awaited: store.save();']);
  });

  it('accepts awaited, returned, void-marked and handled promises', () => {
    const handled = [
      'await store.save();',
      'void store.save();',
      'store.save().catch(() => undefined);',
      'store.save().then(() => 1, () => 2);',
      'return store.save();',
    ];
    expect(check(handled.join('\n'))).toEqual([]);
  });

  it('finds expect() given a promise instead of its value', () => {
    expect(check('  expect(store.save()).toBe(undefined);\n  expect(store.save()).resolves;')).toEqual([
      'use.ts:4: expect() given a promise: expect(store.save())',
    ]);
  });

  it('flags a then() without a rejection handler', () => {
    expect(check('  store.save().then(() => 1);')).toHaveLength(1);
  });
});
