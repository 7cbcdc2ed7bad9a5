import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScriptedReply } from '../support/fakes/fake-anthropic.js';
import {
  blocks,
  buttonsOf,
  type Harness,
  progressPosts,
  startHarness,
  textReply,
  threadText,
} from '../support/harness.js';

let h: Harness;
/** Stands in for the new container: the rerun script really runs here, with bash and python3. */
let sandbox: string;
let outputDir: string;
beforeEach(async () => {
  h = await startHarness();
  sandbox = mkdtempSync(join(tmpdir(), 'slack-analyst-rerun-'));
  outputDir = mkdtempSync(join(tmpdir(), 'slack-analyst-rerun-out-'));
});
afterEach(async () => {
  await h.close();
  rmSync(sandbox, { recursive: true, force: true });
  rmSync(outputDir, { recursive: true, force: true });
});

const SECRET = 'xoxb-1234567890-abcdefghijklmnop';
const november = Buffer.from('region,revenue\nEMEA,1200\nAMER,900\n');
const TOTALS_PY = [
  'import csv',
  'rows = list(csv.DictReader(open("sales_nov.csv")))',
  "for r in rows: print(f\"{r['region']},{r['revenue']}\")",
  'print(f"total,{sum(int(r[\'revenue\']) for r in rows)}")',
].join('\n');

const lastUserText = (req: Anthropic.MessageCreateParams | undefined) =>
  JSON.stringify(req?.messages.at(-1)?.content ?? []);
/** The one thread's container, as stored. */
const containerOf = () =>
  (
    h.bot.store.sql.sqlite!.prepare('SELECT container_id FROM threads').get() as {
      container_id: string | null;
    }
  ).container_id;
const uploadedNamed = (name: string) => [...h.anthropic.files.values()].filter((f) => f.filename === name);

/** One answered question on sales_nov.csv: a helper written with the text editor, then run into $OUTPUT_DIR. */
async function analysedThread(): Promise<string> {
  const file = h.slack.hostFile({ name: 'sales_nov.csv', content: november });
  h.anthropic.enqueue({
    kind: 'message',
    content: [
      blocks.bash('srvtoolu_1', 'head -3 sales_nov.csv'),
      blocks.bashResult('srvtoolu_1', { stdout: 'region,revenue\nEMEA,1200\n' }),
      blocks.editor('srvtoolu_2', { command: 'create', path: 'totals.py', file_text: TOTALS_PY }),
      blocks.editorCreated('srvtoolu_2'),
      blocks.bash('srvtoolu_3', 'python3 totals.py | tee "$OUTPUT_DIR/totals.csv"'),
      blocks.bashResult('srvtoolu_3', { stdout: 'EMEA,1200\nAMER,900\ntotal,2100\n' }),
      blocks.text('Total revenue is 2,100: EMEA 1,200, AMER 900.'),
    ],
  });
  const root = await h.mention('total revenue by region?', { files: [file] });
  await h.settle();
  return root;
}

/**
 * Claude's reply to the rerun request: it runs the attached script (for real, in `sandbox`, next to the files the
 * request attached), returns what the steps wrote to $OUTPUT_DIR, and compares the printed total with the old one.
 */
function runsRerunScript(dir = sandbox): ScriptedReply {
  const request = h.anthropic.messageRequests().at(-1)!;
  const attached = new Set(
    [...lastUserText(request).matchAll(/"container_upload","file_id":"(file_\w+)"/g)].map((m) => m[1]),
  );
  for (const id of attached) {
    const f = h.anthropic.files.get(id!)!;
    writeFileSync(join(dir, f.filename), f.bytes!);
  }
  const stdout = execFileSync('bash', [join(dir, 'slack-analyst-restore.sh')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, OUTPUT_DIR: outputDir },
  });
  const fileIds = readdirSync(outputDir).map((name) =>
    h.anthropic.addOutputFile(name, 'text/csv', readFileSync(join(outputDir, name))),
  );
  const total = /^total,(\d+)$/m.exec(stdout)?.[1] ?? 'unknown';
  const command = 'bash "$(find / -name slack-analyst-restore.sh -type f 2>/dev/null | head -n 1)"';
  return {
    kind: 'message',
    content: [
      blocks.bash('srvtoolu_rerun', command),
      blocks.bashResult('srvtoolu_rerun', { stdout, fileIds }),
      blocks.text(`Total revenue is now ${total} (was 2,100).\n\nWhat changed: total ${total} vs 2100.`),
    ],
  };
}

describe('@Analyst rerun', () => {
  it('re-applies the analysis to a renamed, changed CSV in a new sandbox and posts the new numbers next to the old', async () => {
    const root = await analysedThread();
    const first = h.anthropic.messageRequests().at(-1)!;
    const before = containerOf();
    expect(before).toMatch(/^container_/);
    const december = Buffer.from(`region,revenue,units\nEMEA,1500,10\nAMER,700,7\n${SECRET},300,3\n`);
    h.anthropic.onMessage(() => runsRerunScript());
    await h.mention('rerun', {
      threadTs: root,
      files: [h.slack.hostFile({ name: 'sales_dec.csv', content: december })],
    });
    await h.settle();

    // A new sandbox with the same tool, the old name mapped to the new upload, and the comparison asked for.
    const rerun = h.anthropic.messageRequests().at(-1)!;
    const oldId = uploadedNamed('sales_nov.csv')[0]!.id;
    expect(rerun.container).toBeUndefined();
    expect(first.container).toBeUndefined();
    expect(rerun.tools).toEqual(first.tools);
    const text = lastUserText(rerun);
    expect(text).toContain('Rerun: the new file \\"sales_dec.csv\\" takes the name \\"sales_nov.csv\\".');
    expect(text).toContain('What changed:');
    expect(text).toContain('units');
    const [script] = uploadedNamed('slack-analyst-restore.sh');
    for (const id of [script!.id, uploadedNamed('sales_dec.csv')[0]!.id])
      expect(text).toContain(`"container_upload","file_id":"${id}"`);
    // The old file stays out of the new sandbox: only the script can put a file under its name.
    expect(text).not.toContain(oldId);

    // The replay really ran the old steps on the new data, under the old name.
    expect(readFileSync(join(sandbox, 'sales_nov.csv'))).toEqual(december);
    expect(readFileSync(join(sandbox, 'totals.py'), 'utf8')).toBe(TOTALS_PY);
    const newTotals = h.slack.uploads.find((u) => u.filename === 'totals.csv');
    expect(newTotals?.threadTs).toBe(root);
    expect(newTotals?.bytes.toString('utf8')).toContain('EMEA,1500\nAMER,700\n');

    const thread = threadText(h.thread(root));
    expect(thread).toContain(
      'Rerun on new data in a new sandbox: sales\\_dec.csv → sales\\_nov.csv; 2 steps re-run.',
    );
    expect(thread).toContain('has 1 column that sales\\_nov.csv did not: `units`');
    expect(thread).toContain('Total revenue is now 2500 (was 2,100).');
    expect(thread).toContain('What changed: total 2500 vs 2100.');
    // The replay is a step of the progress timeline; a secret in the new data is not posted anywhere.
    expect(threadText(progressPosts(h.thread(root)))).toContain('Re-running the earlier steps');
    expect(thread).not.toContain(SECRET);
    expect(h.slack.uploads.some((u) => u.bytes.toString('utf8').includes(SECRET))).toBe(false);
    // Show code on the rerun's answer lists the replay run with what it printed, redacted too.
    const answer = h.thread(root).findLast((m) => buttonsOf(m).some((b) => b.action_id === 'show_code'));
    const posted = h.thread(root).length;
    await h.click(answer!, 'show_code');
    const shown = await vi.waitFor(() => {
      const added = threadText(h.thread(root).slice(posted));
      if (!added.includes('slack-analyst-restore.sh')) throw new Error('Show code not posted yet');
      return added;
    });
    expect(shown).toContain('rerun: sales_dec.csv takes the name sales_nov.csv');
    expect(shown).not.toContain(SECRET);

    // The new sandbox is the thread's now: a follow-up runs there, with nothing to attach again.
    h.anthropic.onMessage(() => textReply('Still 2,500.'));
    await h.message('and the total?', { threadTs: root });
    await h.settle();
    const followUp = h.anthropic.messageRequests().at(-1)!;
    expect(followUp.container).toMatch(/^container_/);
    expect(lastUserText(followUp)).not.toContain('container_upload');
    expect(followUp.container).toBe(containerOf());
    expect(containerOf()).not.toBe(before);
  });

  it('refuses a file that lacks a column the original had, naming it, without asking Claude', async () => {
    const root = await analysedThread();
    const requests = h.anthropic.messageRequests().length;
    const renamed = Buffer.from('region,amount\nEMEA,1500\n');
    await h.mention('rerun', {
      threadTs: root,
      files: [h.slack.hostFile({ name: 'sales_dec.csv', content: renamed })],
    });
    await h.settle();
    const thread = threadText(h.thread(root));
    expect(thread).toContain("I can't rerun on this data");
    expect(thread).toContain('sales\\_dec.csv lacks 1 column that sales\\_nov.csv had: `revenue`');
    expect(h.anthropic.messageRequests()).toHaveLength(requests);
    expect(uploadedNamed('slack-analyst-restore.sh')).toHaveLength(0);
  });

  it('asks for a new file when there is none newer than the analysed ones', async () => {
    const root = await analysedThread();
    const requests = h.anthropic.messageRequests().length;
    await h.mention('rerun', { threadTs: root });
    await h.settle();
    expect(threadText(h.thread(root))).toContain(
      'Attach the new file to `@Analyst rerun` (or upload it to this thread first): I found no file newer than the ones this thread analysed (sales\\_nov.csv).',
    );
    expect(h.anthropic.messageRequests()).toHaveLength(requests);
  });

  it('reruns on the newest upload when none is attached; a same-named file replaces the old one for good', async () => {
    const root = await analysedThread();
    const oldId = uploadedNamed('sales_nov.csv')[0]!.id;
    const corrected = Buffer.from('region,revenue\nEMEA,1250\nAMER,900\n');
    await h.message('', {
      threadTs: root,
      files: [h.slack.hostFile({ name: 'sales_nov.csv', content: corrected })],
    });
    await h.settle();
    h.anthropic.onMessage(() => runsRerunScript());
    await h.mention('rerun.', { threadTs: root });
    await h.settle();

    const text = lastUserText(h.anthropic.messageRequests().at(-1));
    // Only the new file and the script go into the new sandbox: the old file would collide with its name.
    expect(text.match(/"container_upload"/g)).toHaveLength(2);
    expect(text).not.toContain(oldId);
    expect(readFileSync(join(sandbox, 'sales_nov.csv'))).toEqual(corrected);
    const thread = threadText(h.thread(root));
    expect(thread).toContain(
      'Rerun on new data in a new sandbox: sales\\_nov.csv → sales\\_nov.csv; 2 steps re-run.',
    );
    expect(thread).toContain('Total revenue is now 2150 (was 2,100).');

    // A follow-up does not bring the old file back into the sandbox.
    h.anthropic.onMessage(() => textReply('Yes.'));
    await h.message('same sandbox?', { threadTs: root });
    await h.settle();
    expect(lastUserText(h.anthropic.messageRequests().at(-1))).not.toContain('container_upload');
  });

  it('is remembered: a later restore gives the new file the old name again before replaying', async () => {
    const root = await analysedThread();
    const december = Buffer.from('region,revenue\nEMEA,1500\nAMER,700\n');
    h.anthropic.onMessage(() => runsRerunScript());
    await h.mention('rerun', {
      threadTs: root,
      files: [h.slack.hostFile({ name: 'sales_dec.csv', content: december })],
    });
    await h.settle();

    // The container expires; the restore runs in another new sandbox.
    const restored = mkdtempSync(join(tmpdir(), 'slack-analyst-rerun-restore-'));
    try {
      h.anthropic.enqueue({
        kind: 'error',
        status: 404,
        type: 'not_found_error',
        message: 'container not found',
        errorCode: 'container_expired',
      });
      h.anthropic.onMessage(() => runsRerunScript(restored));
      await h.message('and now?', { threadTs: root });
      await h.settle();
      const text = lastUserText(h.anthropic.messageRequests().at(-1));
      expect(text).toContain('which re-runs the thread');
      // Both files were re-attached; the script put December's data under the name the steps read.
      expect(readFileSync(join(restored, 'sales_nov.csv'))).toEqual(december);
      expect(readFileSync(join(restored, 'sales_dec.csv'))).toEqual(december);
      const thread = threadText(h.thread(root));
      expect(thread).toContain('♻️ Sandbox restored: 2 steps re-run, 2 files re-attached.');
    } finally {
      rmSync(restored, { recursive: true, force: true });
    }
  });

  it('refuses when the analysis read more files than were given, naming them', async () => {
    const root = await analysedThread();
    const costs = h.slack.hostFile({ name: 'costs.csv', content: Buffer.from('region,cost\nEMEA,100\n') });
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_9', 'python3 -c "import csv; print(len(list(open(\'costs.csv\'))))" > n.txt'),
        blocks.bashResult('srvtoolu_9', {}),
        blocks.text('2 lines.'),
      ],
    });
    await h.message('how long is costs.csv?', { threadTs: root, files: [costs] });
    await h.settle();
    const requests = h.anthropic.messageRequests().length;
    await h.mention('rerun', {
      threadTs: root,
      files: [h.slack.hostFile({ name: 'sales_dec.csv', content: Buffer.from('region,revenue\nEMEA,1\n') })],
    });
    await h.settle();
    expect(threadText(h.thread(root))).toContain(
      "I can't rerun: this thread's analysis read 2 files (sales\\_nov.csv, costs.csv) but there is only 1 new file (sales\\_dec.csv). Attach one new file for each.",
    );
    expect(h.anthropic.messageRequests()).toHaveLength(requests);
  });

  it('prefers the most similar name, and says so when the names do not settle which file to take', async () => {
    const root = await analysedThread();
    h.anthropic.onMessage(() => runsRerunScript());
    const csvOf = (name: string) =>
      h.slack.hostFile({ name, content: Buffer.from('region,revenue\nEMEA,1\n') });
    await h.mention('rerun', { threadTs: root, files: [csvOf('costs_dec.csv'), csvOf('sales_dec.csv')] });
    await h.settle();
    let thread = threadText(h.thread(root));
    expect(thread).toContain('Rerun on new data in a new sandbox: sales\\_dec.csv → sales\\_nov.csv;');
    expect(thread).toContain('Not used: costs\\_dec.csv.');
    expect(thread).not.toContain('more than one fitted');

    await h.mention('rerun', { threadTs: root, files: [csvOf('export_1.csv'), csvOf('export_2.csv')] });
    await h.settle();
    thread = threadText(h.thread(root));
    expect(thread).toContain('Rerun on new data in a new sandbox: export\\_1.csv → sales\\_nov.csv;');
    expect(thread).toContain(
      'The files were matched by format and name, and more than one fitted: name the new files like the originals to choose.',
    );
    expect(lastUserText(h.anthropic.messageRequests().at(-1))).toContain(
      'Rerun: the new file \\"export_1.csv\\" takes the name \\"sales_nov.csv\\".',
    );
  });
});
