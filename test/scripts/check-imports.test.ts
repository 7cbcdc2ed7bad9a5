import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readTree, violations } from '../../scripts/check-imports.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A tiny src/ tree on disk: path → source. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  dirs.push(root);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  return root;
}

const check = (files: Record<string, string>) => violations(readTree(tree(files)));

describe('check-imports', () => {
  it('passes a tree whose adapters import only ports, domain and files/', () => {
    expect(
      check({
        'ports.ts': "import type { ThreadRef } from './domain.js';\nexport type P = ThreadRef;\n",
        'domain.ts': 'export interface ThreadRef { id: string }\n',
        'turn.ts': "import type { P } from './ports.js';\nexport const x = (p: P) => p;\n",
        'slack/reply.ts':
          "import type { P } from '../ports.js';\nimport { WebClient } from '@slack/web-api';\n",
        'store/db.ts':
          "import Database from 'better-sqlite3';\nconst db = new Database(':memory:');\ndb.prepare('SELECT 1');\n",
        'files/policy.ts': "import type { ThreadRef } from '../domain.js';\nconst m = /a/.exec('a');\n",
        'bot.ts': "import { App } from '@slack/bolt';\nimport './slack/reply.js';\nimport './store/db.js';\n",
      }),
    ).toEqual([]);
  });

  it('names the path of a cycle, type-only imports included', () => {
    const found = check({
      'a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'b.ts': "import type { C } from './c.js';\nexport const b = 1;\n",
      'c.ts': "export type { A } from './a.js';\nexport type C = number;\n",
    });
    expect(found).toEqual(['cycle: a.ts -> b.ts -> c.ts -> a.ts']);
  });

  it('flags an adapter importing another adapter or the use case, and files/ importing an adapter', () => {
    const found = check({
      'turn.ts': 'export const t = 1;\n',
      'intake.ts': "import { ACTIONS } from './slack/actions.js';\n",
      'slack/actions.ts': 'export const ACTIONS = {};\n',
      'slack/progress.ts': "import type { Row } from '../store/rows.js';\n",
      'store/rows.ts': 'export type Row = number;\n',
      'claude/ask.ts': "import { t } from '../turn.js';\n",
      'files/gateway.ts': "import '../slack/progress.js';\n",
    });
    expect(found).toEqual([
      'adapter imports the use case (import src/ports.ts instead): claude/ask.ts -> turn.ts',
      'files/ imports an adapter: files/gateway.ts -> slack/progress.ts',
      'the use case imports an adapter: intake.ts -> slack/actions.ts',
      'adapter imports another adapter: slack/progress.ts -> store/rows.ts',
    ]);
  });

  it('flags SQL outside store/ and the Slack SDK outside slack/ and the composition root', () => {
    const found = check({
      'bot.ts':
        "import { App } from '@slack/bolt';\nexport function f(db: any) {\n  return db.prepare('SELECT 1');\n}\n",
      'intake.ts': "import type { WebClient } from '@slack/web-api';\n",
      'retention.ts': "import Database from 'better-sqlite3';\n",
    });
    expect(found).toEqual([
      'SQL outside src/store/: bot.ts:3',
      'Slack SDK outside src/slack/ and the composition root: intake.ts imports @slack/web-api',
      'SQLite outside src/store/: retention.ts imports better-sqlite3',
    ]);
  });

  it('finds nothing wrong in src/', () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
    const modules = readTree(src);
    expect(modules.length).toBeGreaterThan(50);
    expect(violations(modules)).toEqual([]);
  });
});
