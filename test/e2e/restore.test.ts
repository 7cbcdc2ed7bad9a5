import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptedReply } from '../support/fakes/fake-anthropic.js';
import { blocks, type Harness, startHarness, textReply, threadText } from '../support/harness.js';

let h: Harness;
let sandbox: string;
/** The text of the last restore script Claude ran (the fake forgets a file's bytes once it is deleted). */
let ranScript = '';
beforeEach(async () => {
  h = await startHarness();
  // Stands in for the new container: the restore script really runs here, with bash.
  sandbox = mkdtempSync(join(tmpdir(), 'slack-analyst-restore-'));
});
afterEach(async () => {
  await h.close();
  rmSync(sandbox, { recursive: true, force: true });
});

const csv = Buffer.from('region,revenue\nEMEA,1200\nAMER,900\n');
const CONTAINER_EXPIRED: ScriptedReply = {
  kind: 'error',
  status: 404,
  type: 'not_found_error',
  message: 'container not found',
  errorCode: 'container_expired',
};

/** The restore scripts uploaded to the Files API, oldest first. */
const scripts = () =>
  [...h.anthropic.files.values()].filter((f) => f.filename === 'slack-analyst-restore.sh');

const lastUserText = (req: Anthropic.MessageCreateParams | undefined) =>
  JSON.stringify(req?.messages.at(-1)?.content ?? []);

/**
 * Claude's reply to a request that carries the restore instruction: it runs the attached script (here, for real,
 * in `sandbox`) in one bash call, then answers.
 */
function runsRestoreScript(answer: string): ScriptedReply {
  const script = scripts().at(-1)!;
  const path = join(sandbox, script.filename);
  ranScript = script.bytes!.toString('utf8');
  writeFileSync(path, ranScript);
  const stdout = execFileSync('bash', [path], { cwd: sandbox, encoding: 'utf8' });
  const command = 'bash "$(find / -name slack-analyst-restore.sh -type f 2>/dev/null | head -n 1)"';
  return {
    kind: 'message',
    content: [
      blocks.bash('srvtoolu_restore', command),
      blocks.bashResult('srvtoolu_restore', { stdout }),
      blocks.text(answer),
    ],
  };
}

/** Two answered questions: an exploratory look, a helper written with the text editor, a failed run, an edit. */
async function analysedThread(): Promise<string> {
  const file = h.slack.hostFile({ name: 'sales.csv', content: csv });
  h.anthropic.enqueue({
    kind: 'message',
    content: [
      blocks.bash('srvtoolu_1', 'ls -la'),
      blocks.bashResult('srvtoolu_1', { stdout: 'sales.csv\n' }),
      blocks.editor('srvtoolu_2', { command: 'create', path: 'totals.py', file_text: 'print("EMEA,1200")' }),
      blocks.editorCreated('srvtoolu_2'),
      blocks.bash('srvtoolu_3', 'python3 missing.py'),
      blocks.bashResult('srvtoolu_3', { stderr: "can't open file 'missing.py'", returnCode: 2 }),
      blocks.bash('srvtoolu_4', 'python3 totals.py > totals.csv'),
      blocks.bashResult('srvtoolu_4', {}),
      blocks.text('EMEA: 1,200.'),
    ],
  });
  const root = await h.mention('total by region?', { files: [file] });
  await h.settle();
  h.anthropic.enqueue({
    kind: 'message',
    content: [
      blocks.editor('srvtoolu_5', {
        command: 'str_replace',
        path: 'totals.py',
        old_str: '1200',
        new_str: '1250',
      }),
      blocks.editorCreated('srvtoolu_5'),
      blocks.bash('srvtoolu_6', 'python3 totals.py >> totals.csv && wc -l totals.csv'),
      blocks.bashResult('srvtoolu_6', { stdout: '2 totals.csv\n' }),
      blocks.text('Corrected: 1,250.'),
    ],
  });
  await h.message('EMEA was 1250, fix it', { threadTs: root });
  await h.settle();
  return root;
}

describe('a container that expires mid-thread', () => {
  it('is restored: the recorded steps re-run in order in one step, then the question is answered', async () => {
    const root = await analysedThread();
    h.anthropic.enqueue(CONTAINER_EXPIRED);
    h.anthropic.onMessage(() => runsRestoreScript('Still EMEA, at 1,250.'));
    await h.message('and now?', { threadTs: root });
    await h.settle();

    const requests = h.anthropic.messageRequests();
    const [expired, retry] = requests.slice(-2);
    expect(expired?.container).toMatch(/^container_/);
    expect(retry?.container).toBeUndefined();
    // The instruction comes before the question; the script and the CSV are attached.
    const text = lastUserText(retry);
    expect(text.indexOf('slack-analyst-restore.sh, which re-runs the thread')).toBeLessThan(
      text.indexOf('and now?'),
    );
    const [script] = scripts();
    expect(text).toContain(`"container_upload","file_id":"${script!.id}"`);
    expect(text.match(/"container_upload"/g)).toHaveLength(2);

    // Only the successful, non-exploratory steps, in their original order — and they really rebuild the files.
    const source = ranScript;
    expect(source).not.toContain('ls -la');
    expect(source).not.toContain('missing.py');
    const order = [
      '# Step 1 of 4: create',
      '# Step 2 of 4: bash',
      '# Step 3 of 4: str_replace',
      '# Step 4 of 4: bash',
    ];
    expect(order.map((o) => source.indexOf(o))).toEqual(
      order.map((o) => source.indexOf(o)).sort((a, b) => a - b),
    );
    expect(readFileSync(join(sandbox, 'totals.py'), 'utf8')).toBe('print("EMEA,1250")');
    expect(readFileSync(join(sandbox, 'totals.csv'), 'utf8')).toBe('EMEA,1200\nEMEA,1250\n');

    const thread = threadText(h.thread(root));
    expect(thread).toContain(
      '♻️ Sandbox restored: 4 steps re-run, 1 file re-attached. Not re-run: 1 exploratory run, 1 run that had failed.',
    );
    expect(thread).toContain('Still EMEA, at 1,250.');
    expect(thread).not.toContain('variables were reset');
    // The uploaded script is deleted once the request ran; the stored history names it instead of its id.
    expect(script!.deleted).toBe(true);
    const stored = h.bot.store.sql
      .sqlite!.prepare("SELECT content_json FROM history WHERE role = 'user' ORDER BY seq DESC LIMIT 1")
      .get() as { content_json: string };
    expect(stored.content_json).toContain('[file slack-analyst-restore.sh was attached to the sandbox here]');
  });

  it('names a step that fails on replay, and says so when the script did not run', async () => {
    const root = await analysedThread();
    // The new sandbox differs: totals.csv is a directory there, so the steps writing to it fail.
    h.anthropic.enqueue(CONTAINER_EXPIRED);
    h.anthropic.onMessage(() => {
      mkdirSync(join(sandbox, 'totals.csv'));
      return runsRestoreScript('Answered anyway.');
    });
    await h.message('and now?', { threadTs: root });
    await h.settle();
    expect(threadText(h.thread(root))).toMatch(
      /Sandbox restored: 2 steps re-run, 1 file re-attached\. Failed on replay: step 2 `python3 totals\.py > totals\.csv`, step 4 `python3 totals\.py >> totals\.csv && wc -l totals\.csv`\./,
    );

    h.anthropic.enqueue(CONTAINER_EXPIRED, textReply('I skipped it.'));
    await h.message('again?', { threadTs: root });
    await h.settle();
    expect(threadText(h.thread(root))).toContain(
      'New sandbox for this thread: 1 file re-attached, but 4 earlier steps could not be re-run (the restore script did not run)',
    );
  });
});

describe('reset', () => {
  it('restores by default, and `reset clean` starts from an empty sandbox', async () => {
    const root = await analysedThread();

    await h.mention('reset', { threadTs: root });
    await h.settle();
    expect(threadText(h.thread(root))).toContain(
      "With the next question I'll restore it: 4 recorded steps re-run in order and 1 file re-attached.",
    );
    h.anthropic.onMessage(() => runsRestoreScript('Restored and answered.'));
    await h.message('what is in totals.csv?', { threadTs: root });
    await h.settle();
    const restored = h.anthropic.messageRequests().at(-1);
    expect(restored?.container).toBeUndefined();
    expect(lastUserText(restored)).toContain('Before anything else, run it once with a single bash call');
    expect(readFileSync(join(sandbox, 'totals.csv'), 'utf8')).toBe('EMEA,1200\nEMEA,1250\n');
    expect(threadText(h.thread(root))).toContain('♻️ Sandbox restored: 4 steps re-run, 1 file re-attached.');

    await h.mention('reset clean', { threadTs: root });
    await h.settle();
    expect(threadText(h.thread(root))).toContain('earlier variables and intermediate files are gone');
    h.anthropic.onMessage(() => textReply('Fresh start.'));
    await h.message('start over', { threadTs: root });
    await h.settle();
    const clean = h.anthropic.messageRequests().at(-1);
    expect(clean?.container).toBeUndefined();
    expect(lastUserText(clean)).not.toContain('slack-analyst-restore');
    expect(lastUserText(clean)).toContain('"container_upload"');
    expect(scripts()).toHaveLength(1);

    // Steps recorded after the clean reset are what a later restore re-runs.
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_7', 'echo fresh > fresh.txt'),
        blocks.bashResult('srvtoolu_7', {}),
        blocks.text('Wrote fresh.txt.'),
      ],
    });
    await h.message('write fresh.txt', { threadTs: root });
    await h.settle();
    await h.mention('reset', { threadTs: root });
    await h.settle();
    expect(threadText(h.thread(root))).toContain("I'll restore it: 1 recorded step re-run in order");
  });
});
