/**
 * What an attacker in the workspace (or careless code in the sandbox) can get the bot to post, end to end through
 * the real bot and the loopback fakes: secrets in output excerpts and files, hostile file names, and buttons clicked
 * by the wrong person.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PostedMessage, SlackCall } from '../support/fakes/fake-slack.js';
import {
  blocks,
  buttonsOf,
  CHANNEL,
  type Harness,
  HUMAN,
  markdownPosts,
  OTHER_HUMAN,
  progressPosts,
  startHarness,
  textReply,
  threadText,
} from '../support/harness.js';

// Fake credentials in real shapes.
const SLACK_TOKEN = 'xoxb-2468013579-1357924680-AbCdEfGhIjKlMnOpQrStUvWx';
const GITHUB_TOKEN = 'ghp_R2d2C3poBb8Ewok1Yoda9Lando0Han5Solo7';
const TOKEN_PARTS = /2468013579|AbCdEfGh|R2d2C3po|Lando0Han/;
const ADMIN = 'U09WSADMIN1';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const waitUntil = async <T>(probe: () => T | undefined, what: string): Promise<T> => {
  for (let i = 0; ; i++) {
    const value = probe();
    if (value) return value;
    if (i > 250) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
/** Uploaded bytes and every text the bot posted or uploaded in a thread. */
const everythingPosted = (ts: string) =>
  [
    threadText(h.thread(ts)),
    ...h.slack.uploads.flatMap((u) => [u.filename, u.title ?? '', u.bytes.toString()]),
  ].join('\n');

describe('secrets in what the code printed and wrote', () => {
  it('does not post a token whose prefix falls just outside the stdout excerpt, nor in Show code', async () => {
    // The answer shows the last 1,199 characters of a long last line, Show code the last 2,999: one line whose two
    // cuts fall three characters into a Slack token and four into a GitHub token (just past `xox` and `ghp_`).
    const nearEnd = `${SLACK_TOKEN} ${'r'.repeat(1_199 - (SLACK_TOKEN.length - 3) - 1)}`;
    const fill = 'q'.repeat(2_999 - (GITHUB_TOKEN.length - 4) - 2 - nearEnd.length);
    // (The head keeps the line over 3,000 characters once redaction has shortened it, so Show code still cuts it.)
    const line = `${'s'.repeat(100)} ${GITHUB_TOKEN} ${fill} ${nearEnd}`;
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python dump_config.py'),
        blocks.bashResult('srvtoolu_1', { stdout: `config loaded\n${line}\n` }),
        blocks.text('The config is loaded.'),
      ],
    });
    const ts = await h.mention('load the config');
    await h.settle();
    const answer = markdownPosts(h.thread(ts)).at(-1)!;
    expect(threadText([answer])).toContain('Ran code 1 time');
    expect(everythingPosted(ts)).not.toMatch(TOKEN_PARTS);

    await h.click(answer, 'show_code');
    await waitUntil(
      () => h.thread(ts).find((m) => threadText([m]).includes('Code behind this answer')),
      'show code',
    );
    await waitUntil(() => h.slack.uploads.find((u) => u.filename === 'run-1.txt'), 'the run file');
    expect(everythingPosted(ts)).not.toMatch(TOKEN_PARTS);
    expect(h.slack.uploads.find((u) => u.filename === 'run-1.txt')!.bytes.toString()).toContain(
      '[redacted slack token]',
    );
  });

  it('redacts an output CSV and its secret-bearing name; binary files go as they are, their names cleaned', async () => {
    const csvId = h.anthropic.addOutputFile(
      `creds ${SLACK_TOKEN}.csv`,
      'text/csv',
      Buffer.from(`system,key\ngithub,${GITHUB_TOKEN}\nwarehouse,none\n`),
    );
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from(`tEXt ${GITHUB_TOKEN}`)]);
    const pngId = h.anthropic.addOutputFile('chart\u202Egnp.exe', 'image/png', png);
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python export.py'),
        blocks.bashResult('srvtoolu_1', { stdout: 'wrote 2 files\n', fileIds: [csvId, pngId] }),
        blocks.text('Exported.'),
      ],
    });
    const ts = await h.mention('export the keys table');
    await h.settle();

    const csv = h.slack.uploads.find((u) => u.filename.endsWith('.csv'))!;
    expect(csv.filename).toBe('creds [redacted slack token].csv');
    expect(csv.title).toBe(csv.filename);
    expect(csv.bytes.toString()).toBe('system,key\ngithub,[redacted github token]\nwarehouse,none\n');
    // A CSV this small is also shown as a Slack table: its caption and cells are redacted too.
    const table = h
      .thread(ts)
      .flatMap((m) => m.blocks ?? [])
      .find((b) => (b as { type?: string }).type === 'data_table') as {
      caption: string;
      rows: { text: string }[][];
    };
    expect(table.caption).toBe('creds [redacted slack token].csv');
    expect(table.rows.map((r) => r.map((c) => c.text))).toEqual([
      ['system', 'key'],
      ['github', '[redacted github token]'],
      ['warehouse', 'none'],
    ]);
    expect(JSON.stringify(h.thread(ts))).not.toMatch(TOKEN_PARTS);
    const image = h.slack.uploads.find((u) => !u.filename.endsWith('.csv'))!;
    expect(image.filename).toBe('chartgnp.exe'); // the override is gone: it no longer reads "chartexe.png"
    expect(image.bytes).toEqual(png);
    expect(threadText(h.thread(ts))).toContain(
      '🔒 Secrets in **creds \\[redacted slack token\\].csv** were redacted before posting.',
    );
    expect(threadText(h.thread(ts))).not.toMatch(TOKEN_PARTS);
  });
});

describe('hostile upload names', () => {
  it('a right-to-left override or a newline cannot disguise a refused file or inject Markdown', async () => {
    const disguised = h.slack.hostFile({ name: 'report\u202Ecsv.exe', content: Buffer.from('MZ') });
    const injected = h.slack.hostFile({
      name: 'q1\n# Approved by IT\n[click here](evil.example) <!here>.bin',
      content: Buffer.from('x'),
    });
    const ts = await h.mention('use these', { files: [disguised, injected] });
    await h.settle();
    const text = threadText(markdownPosts(h.thread(ts)));
    expect(text).toContain("🚫 I couldn't use **reportcsv.exe**: This file type is not supported.");
    expect(text).toContain(
      "🚫 I couldn't use **q1\\# Approved by IT\\[click here\\](evil.example) \\_!here\\_.bin**: This file type",
    );
    expect(text).not.toContain('\u202E');
    expect(text).not.toContain('<!here>');
  });

  it('an accepted file with a hostile name gets a receipt with the cleaned name', async () => {
    const file = h.slack.hostFile({
      name: 'sales\u202E_~q1~`x`\n.csv',
      content: Buffer.from('region,revenue\nEMEA,10\n'),
    });
    h.anthropic.enqueue(textReply('ok'));
    const ts = await h.mention('what is in it?', { files: [file] });
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('📎 **sales\\_\\~q1\\~\\`x\\`.csv** — 1 row × 2 columns');
  });
});

describe('Stop and Retry buttons act only for the asker or an admin', () => {
  const ephemerals = (user: string): SlackCall[] =>
    h.slack.callsTo('chat.postEphemeral').filter((c) => c.params.user === user);

  async function slowQuestion(): Promise<{ ts: string; progress: PostedMessage }> {
    h.anthropic.enqueue({
      kind: 'message',
      content: [blocks.bash('srvtoolu_s', 'python forever.py'), blocks.text('never')],
      hangAfterEvents: 5,
    });
    const ts = await h.mention('run the slow report');
    await waitUntil(() => h.anthropic.activeMessageStreams() === 1, 'the slow request');
    const progress = await waitUntil(
      () => progressPosts(h.thread(ts)).find((m) => buttonsOf(m).some((b) => b.action_id === 'stop_turn')),
      'the Stop button',
    );
    return { ts, progress };
  }

  it('Stop by another member only tells them so; Stop by the asker stops', async () => {
    const { ts, progress } = await slowQuestion();
    expect((await h.click(progress, 'stop_turn', { user: OTHER_HUMAN })).status).toBe(200);
    const note = await waitUntil(() => ephemerals(OTHER_HUMAN)[0], 'the ephemeral note');
    expect(note.params).toMatchObject({
      channel: CHANNEL,
      text: 'Only the person who asked this question, or a workspace admin, can stop it.',
    });
    expect(h.anthropic.activeMessageStreams()).toBe(1);
    expect(h.anthropic.abortedStreams).toBe(0);
    expect(threadText(h.thread(ts))).not.toContain('Stopped');

    await h.click(progress, 'stop_turn', { user: HUMAN });
    await h.settle();
    expect(h.anthropic.abortedStreams).toBe(1);
    expect(threadText(h.thread(ts))).toContain('Stopped');
    expect(ephemerals(HUMAN)).toHaveLength(0);
  });

  it('a workspace admin may stop anyone’s question', async () => {
    h.slack.setUser({ id: ADMIN, is_admin: true });
    const { ts, progress } = await slowQuestion();
    await h.click(progress, 'stop_turn', { user: ADMIN });
    await waitUntil(() => h.anthropic.abortedStreams === 1 || undefined, 'the stop');
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('Stopped');
    expect(ephemerals(ADMIN)).toHaveLength(0);
  });

  it('Retry by another member only tells them so; by an admin or the asker it re-runs', async () => {
    h.slack.setUser({ id: OTHER_HUMAN, is_admin: false, is_owner: false });
    h.slack.setUser({ id: ADMIN, is_owner: true });
    h.anthropic.enqueue({ kind: 'error', status: 500, type: 'api_error', message: 'boom' });
    const ts = await h.mention('the question');
    await h.settle();
    const failure = markdownPosts(h.thread(ts)).find((m) =>
      buttonsOf(m).some((b) => b.action_id === 'retry_turn'),
    )!;

    await h.click(failure, 'retry_turn', { user: OTHER_HUMAN });
    const note = await waitUntil(() => ephemerals(OTHER_HUMAN)[0], 'the ephemeral note');
    expect(note.params.text).toBe(
      'Only the person who asked this question, or a workspace admin, can retry it.',
    );
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(1);

    h.anthropic.enqueue(textReply('answered for the owner'));
    await h.click(failure, 'retry_turn', { user: ADMIN });
    await waitUntil(() => h.anthropic.messageRequests().length === 2 || undefined, 'the retry');
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('answered for the owner');
    expect(ephemerals(ADMIN)).toHaveLength(0);
  });

  it('the `retry` command follows the same rule', async () => {
    h.anthropic.enqueue({ kind: 'error', status: 500, type: 'api_error', message: 'boom' });
    const ts = await h.mention('the question');
    await h.settle();

    await h.mention('retry', { threadTs: ts, user: OTHER_HUMAN });
    await h.settle();
    expect(threadText(h.thread(ts))).toContain(
      'Only the person who asked the last failed question, or a workspace admin, can retry it.',
    );
    expect(h.anthropic.messageRequests()).toHaveLength(1);

    h.anthropic.enqueue(textReply('answered on retry'));
    await h.mention('retry', { threadTs: ts, user: HUMAN });
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('answered on retry');
    expect(h.anthropic.messageRequests()).toHaveLength(2);
  });
});
