import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blocks, CHANNEL, type Harness, startHarness, textReply, threadText } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const csv = (rows = 50) =>
  Buffer.from(
    [
      'region,month,revenue',
      ...Array.from({ length: rows }, (_, i) => `EMEA,2026-${(i % 12) + 1},${1000 + i}`),
    ].join('\n'),
  );
const uploadsIn = (req: { messages: { content: unknown }[] } | undefined) =>
  JSON.stringify(req?.messages.at(-1)?.content ?? []).match(/"container_upload","file_id":"([^"]+)"/g) ?? [];

describe('files in', () => {
  it('streams a CSV attached to the mention to the Files API byte-identical and attaches it to the container', async () => {
    const bytes = csv(2000);
    const file = h.slack.hostFile({ name: 'sales.csv', content: bytes });
    h.anthropic.enqueue(textReply('EMEA leads.'));
    const ts = await h.mention('plot revenue by month', { files: [file] });
    await h.settle();

    const uploaded = [...h.anthropic.files.values()];
    expect(uploaded).toHaveLength(1);
    expect(uploaded[0]).toMatchObject({
      filename: 'sales.csv',
      mimeType: 'text/csv',
      sizeBytes: bytes.length,
      sha256: sha256(bytes),
    });
    const [request] = h.anthropic.messageRequests();
    expect(JSON.stringify(request?.messages)).toContain(`"container_upload","file_id":"${uploaded[0]!.id}"`);
    expect(JSON.stringify(request?.messages)).toContain('sales.csv');
    expect(h.slack.downloads.every((d) => d.authorization === `Bearer ${h.slack.botToken}`)).toBe(true);
    expect(threadText(h.thread(ts))).toContain('EMEA leads.');
  });

  it('takes several files in one message and files shared on the thread root before the bot was asked', async () => {
    const root = h.slack.hostFile({ name: 'targets.xlsx', content: randomBytes(3000) });
    const rootTs = await h.message('Q3 targets attached', { files: [root] });
    const a = h.slack.hostFile({ name: 'jan.csv', content: csv(5) });
    const b = h.slack.hostFile({ name: 'feb.json', content: Buffer.from('[{"a":1}]') });
    h.anthropic.enqueue(textReply('Done.'));
    await h.mention('compare these', { threadTs: rootTs, files: [a, b] });
    await h.settle();

    const names = [...h.anthropic.files.values()].map((f) => f.filename).sort();
    expect(names).toEqual(['feb.json', 'jan.csv', 'targets.xlsx']);
    expect(uploadsIn(h.anthropic.messageRequests()[0] as never)).toHaveLength(3);
  });

  it('acknowledges a file dropped into a thread without a question and uses it from the next question on', async () => {
    h.anthropic.enqueue(textReply('first'));
    const root = await h.mention('hello');
    await h.settle();
    const file = h.slack.hostFile({ name: 'q3.csv', content: csv(100) });
    await h.message('', { threadTs: root, files: [file] });
    await h.settle();
    expect(threadText(h.thread(root))).toMatch(
      /📎 \*+q3\.csv\*+ — 100 rows × 3 columns \(2 KB, comma-separated, UTF-8\)/,
    );
    expect(threadText(h.thread(root))).toContain('`region` text');
    expect(h.anthropic.messageRequests()).toHaveLength(1);

    h.anthropic.enqueue(textReply('second'), textReply('third'));
    await h.message('sum the revenue', { threadTs: root });
    await h.message('and the mean?', { threadTs: root });
    await h.settle();
    const [, second, third] = h.anthropic.messageRequests();
    expect(uploadsIn(second as never)).toHaveLength(1);
    expect(uploadsIn(third as never)).toHaveLength(0); // already in this container
    expect(h.anthropic.files.size).toBe(1); // uploaded once
  });

  it('explains which files it cannot take and why, and still answers the question', async () => {
    const big = h.slack.hostFile({ name: 'huge.csv', content: csv(5), size: 300 * 1024 * 1024 });
    const pdf = h.slack.hostFile({ name: 'report.pdf', content: randomBytes(100), filetype: 'pdf' });
    const gone = { ...h.slack.hostFile({ name: 'old.csv', content: csv(5) }), mode: 'tombstone' };
    const ext = {
      ...h.slack.hostFile({ name: 'drive.csv', content: csv(5) }),
      mode: 'external',
      is_external: true,
    };
    const limited = {
      ...h.slack.hostFile({ name: 'limited.csv', content: csv(5) }),
      mode: 'hidden_by_limit',
    };
    const good = h.slack.hostFile({ name: 'good.csv', content: csv(5) });
    h.anthropic.enqueue(textReply('Answered with good.csv'));
    const ts = await h.mention('analyse', { files: [big, pdf, gone, ext, limited, good] });
    await h.settle();

    const text = threadText(h.thread(ts));
    expect(text).toMatch(/huge\.csv\*\*: .*200 MB limit/);
    expect(text).toMatch(/report\.pdf\*\*: .*not supported/);
    for (const name of ['old.csv', 'drive.csv', 'limited.csv']) expect(text).toContain(name);
    expect(text).toContain('Answered with good.csv');
    expect([...h.anthropic.files.values()].map((f) => f.filename)).toEqual(['good.csv']);
  });

  it('never sends the bot token to another host, and reports an HTML sign-in page instead of uploading it', async () => {
    const redirected = h.slack.hostFile({
      name: 'moved.csv',
      content: csv(5),
      behaviour: 'redirect_foreign',
    });
    const login = h.slack.hostFile({ name: 'login.csv', content: csv(5), behaviour: 'html_login' });
    const foreign = { ...h.slack.hostFile({ name: 'elsewhere.csv', content: csv(5) }) };
    foreign.url_private_download = `${h.slack.foreign.url}/files-pri/x/elsewhere.csv`;
    h.anthropic.enqueue(textReply('Done.'));
    const ts = await h.mention('analyse', { files: [redirected, login, foreign] });
    await h.settle();

    // The stand-in "other host" speaks plain http, so the bot never contacts it at all (with or without the
    // token). Redirects to https hosts outside Slack are covered in test/files/transfer.test.ts.
    expect(h.slack.foreign.requests).toEqual([]);
    const text = threadText(h.thread(ts));
    expect(text).toMatch(/login\.csv\*\*: .*sign-in page/i);
    expect(text).toMatch(/moved\.csv\*\*: /);
    expect(text).toMatch(/elsewhere\.csv\*\*: /);
    expect(h.anthropic.files.size).toBe(0);
  });
});

describe('charts and files out', () => {
  it('posts every chart and output file into the thread byte-identical, images first, then deletes them upstream', async () => {
    const png = randomBytes(4096);
    const cleaned = csv(150); // over a data table's 100 rows, so it stays a file (its first rows shown as a table)
    const pngId = h.anthropic.addOutputFile('revenue_by_month.png', 'image/png', png);
    const csvId = h.anthropic.addOutputFile('cleaned.csv', 'text/csv', cleaned);
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python plot.py && cp out/* "$OUTPUT_DIR/" && ls "$OUTPUT_DIR"'),
        blocks.bashResult('srvtoolu_1', {
          stdout: 'cleaned.csv\nrevenue_by_month.png\n',
          fileIds: [csvId, pngId],
        }),
        blocks.text('Here is revenue by month.'),
      ],
    });
    const ts = await h.mention('plot revenue by month');
    await h.settle();

    expect(h.slack.uploads.map((u) => u.filename)).toEqual(['revenue_by_month.png', 'cleaned.csv']);
    for (const u of h.slack.uploads) expect(u).toMatchObject({ channelId: CHANNEL, threadTs: ts });
    expect(sha256(h.slack.uploads[0]!.bytes)).toBe(sha256(png));
    expect(sha256(h.slack.uploads[1]!.bytes)).toBe(sha256(cleaned));
    expect(h.slack.callsTo('files.getUploadURLExternal')).toHaveLength(2);
    expect(h.anthropic.files.get(pngId)?.deleted).toBe(true);
    expect(h.anthropic.files.get(csvId)?.deleted).toBe(true);
  });

  it('reports a failed Slack upload in the thread instead of swallowing it', async () => {
    const pngId = h.anthropic.addOutputFile('chart.png', 'image/png', randomBytes(100));
    h.slack.failNext('files.completeUploadExternal', { body: { ok: false, error: 'not_in_channel' } });
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python plot.py'),
        blocks.bashResult('srvtoolu_1', { fileIds: [pngId] }),
        blocks.text('Chart attached.'),
      ],
    });
    const ts = await h.mention('plot');
    await h.settle();
    expect(threadText(h.thread(ts))).toMatch(
      /couldn't upload \*\*chart\.png\*\* to Slack \(not_in_channel\)/,
    );
  });
});

describe('an old thread whose container is gone', () => {
  it('starts a new container, re-attaches every input file, tells the user, and answers', async () => {
    const a = h.slack.hostFile({ name: 'a.csv', content: csv(5) });
    const b = h.slack.hostFile({ name: 'b.csv', content: csv(6) });
    h.anthropic.enqueue(textReply('first'));
    const root = await h.mention('load these', { files: [a, b] });
    await h.settle();
    const oldContainer = h.anthropic.messageRequests().length; // the fake minted one on the first reply

    h.anthropic.enqueue(
      {
        kind: 'error',
        status: 404,
        type: 'not_found_error',
        message: 'container not found',
        errorCode: 'container_expired',
      },
      textReply('Recovered answer.'),
    );
    await h.message('what is the total?', { threadTs: root });
    await h.settle();

    const [, expired, retry] = h.anthropic.messageRequests();
    expect(oldContainer).toBe(1);
    expect(expired?.container).toMatch(/^container_/);
    expect(retry?.container).toBeUndefined();
    expect(uploadsIn(retry as never)).toHaveLength(2);
    // History carries no stale container_upload blocks that could fail the new request.
    expect(JSON.stringify(retry?.messages.slice(0, -1))).not.toContain('container_upload');
    const text = threadText(h.thread(root));
    expect(text).toMatch(/sandbox had expired.*variables were reset.*a\.csv, b\.csv/s);
    expect(text).toContain('Recovered answer.');

    h.anthropic.enqueue(textReply('later'));
    await h.message('and later?', { threadTs: root });
    await h.settle();
    const later = h.anthropic.messageRequests()[3];
    expect(later?.container).toBeDefined();
    expect(later?.container).not.toBe(expired?.container);
    expect(uploadsIn(later as never)).toHaveLength(0);
  });
});

describe('thread isolation', () => {
  it("never sends one thread's files or container with another thread's request", async () => {
    const secret = h.slack.hostFile({ name: 'salaries.csv', content: csv(5) });
    h.anthropic.enqueue(textReply('one'));
    const t1 = await h.mention('thread one', { files: [secret] });
    await h.settle();
    h.anthropic.enqueue(textReply('two'));
    await h.mention('thread two');
    await h.settle();
    const [first, second] = h.anthropic.messageRequests();
    const secretId = [...h.anthropic.files.values()][0]!.id;
    expect(JSON.stringify(second)).not.toContain(secretId);
    expect(JSON.stringify(second)).not.toContain('salaries.csv');
    expect(second?.container).toBeUndefined();
    expect(first?.container).toBeUndefined();
    expect(t1).toBeDefined();
  });
});

describe('a container near the end of its 30-day life', () => {
  it('is replaced before it can fail a request, with every input re-attached and the user told', async () => {
    const file = h.slack.hostFile({ name: 'a.csv', content: csv(5) });
    h.anthropic.enqueue(textReply('first'));
    const root = await h.mention('load', { files: [file] });
    await h.settle();
    const old =
      h.anthropic.messageRequests().length &&
      h.bot.store.sql.sqlite!.prepare('SELECT container_id FROM threads').get();
    // The container was first seen 29½ days ago.
    h.bot.store.sql
      .sqlite!.prepare('UPDATE threads SET container_created_at = ?')
      .run(Date.now() - 29.5 * 24 * 3600 * 1000);

    h.anthropic.enqueue(textReply('fresh'));
    await h.message('again', { threadTs: root });
    await h.settle();
    const last = h.anthropic.messageRequests().at(-1)!;
    expect(last.container).toBeUndefined();
    expect(uploadsIn(last as never)).toHaveLength(1);
    expect(threadText(h.thread(root))).toMatch(/sandbox had expired.*Files restored: a\.csv/s);
    expect(h.bot.store.sql.sqlite!.prepare('SELECT container_id FROM threads').get()).not.toEqual(old);
  });
});
