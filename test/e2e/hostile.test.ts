/**
 * Hostile uploads (issue 16), end to end: the real bot in HTTP mode against the fakes. Each file once blocked
 * the event loop for seconds to minutes or killed the process. Now, while one is profiled, another thread's
 * question is acknowledged within Slack's 3 s and answered, the bot stays healthy, and the hostile file still
 * gets a receipt: a profile, or a note saying why it could not be profiled.
 *
 * This holds through isolation alone (a worker thread with a time and memory limit), whatever the parsers do;
 * small limits keep the suite quick.
 */

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTempFiles } from '../../src/files/temp.js';
import { spawnBot } from '../support/child-bot.js';
import { startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { loadFixture, sendEvent, startFakeSlack } from '../support/fakes/fake-slack.js';
import { freePort } from '../support/fakes/free-port.js';
import {
  buttonsOf,
  CHANNEL,
  fakeBotEnv,
  type Harness,
  nextTs,
  progressPosts,
  SIGNING_SECRET,
  startHarness,
  textReply,
  threadText,
} from '../support/harness.js';
import {
  bigJsonObject,
  commaLine,
  deepJson,
  digitsThenLetter,
  parquetStructFlood,
  plainCsv,
  sharedStringFlood,
  sheetFlood,
  unclosedTags,
} from '../support/hostile-files.js';

const questionOf = (req: Anthropic.MessageCreateParams) =>
  JSON.stringify(req.messages.at(-1)?.content).match(/Question from Slack user \w+:\\n([^"]*)/)?.[1];

async function waitUntil(probe: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A hosted file as the event carries it. Slack cuts a text file's `preview` to a few lines of bounded length;
 * the fake keeps whole lines, which for a line of many MB would exceed the body size Bolt accepts.
 */
function hostedFile(h: Harness, name: string, content: Buffer) {
  const { preview: _, ...file } = h.slack.hostFile({ name, content }) as { preview?: string };
  return file;
}

const receiptOf = (text: string, name: string) =>
  text.split('\n---\n').find((m) => m.includes(`📎 **${name}**`)) ?? '';

describe('hostile uploads never stop the bot for anyone else', () => {
  let h: Harness;
  let bystanders = 0;
  beforeAll(async () => {
    h = await startHarness({ PROFILE_TIMEOUT_SECONDS: '2', PROFILE_MAX_MEMORY_MB: '128' });
    h.anthropic.onMessage((body) => textReply(`answer to ${questionOf(body)}`));
  });
  afterAll(async () => {
    await h.close();
  });

  /** Whether the bot is profiling any file right now (its profiling mark is in the database). */
  const profiling = () =>
    (h.bot.store.sql.sqlite!.prepare('SELECT COUNT(*) AS n FROM profiling').get() as { n: number }).n > 0;

  async function uploadWithBystander(files: { name: string; content: Buffer }[]): Promise<string> {
    const hosted = files.map((f) => hostedFile(h, f.name, f.content));
    const hostileTs = await h.mention('what is in these files?', { files: hosted });
    // Ask the other question while the hostile file is being profiled (or, should the profiler one day be
    // quick on it, as soon as its receipt is out).
    await waitUntil(
      () => profiling() || threadText(h.thread(hostileTs)).includes('📎'),
      'profiling to start',
    );
    const question = `bystander question ${++bystanders}`;
    const asked = Date.now();
    const health = await fetch(h.eventsUrl.replace('/slack/events', '/healthz'));
    const bystanderTs = await h.mention(question); // both deliveries acknowledged (HTTP 200), or it throws
    const ackMs = Date.now() - asked;
    expect(health.status).toBe(200);
    expect(ackMs).toBeLessThan(3_000);

    await waitUntil(
      () => threadText(h.thread(bystanderTs)).includes(`answer to ${question}`),
      'the bystander to be answered',
    );
    await h.settle();
    const hostile = threadText(h.thread(hostileTs));
    for (const { name } of files) {
      // A receipt: the file's shape, or a note on why it could not be profiled.
      expect(receiptOf(hostile, name)).toMatch(/ — [\d,]+ (rows?|columns?|lines?)|ℹ️ /);
    }
    expect(hostile).toContain('answer to what is in these files?');
    const uploaded = [...h.anthropic.files.values()].map((f) => f.filename);
    for (const { name } of files) expect(uploaded).toContain(name); // still there for Claude
    expect((await fetch(h.eventsUrl.replace('/slack/events', '/healthz'))).status).toBe(200);
    return hostile;
  }

  it('an XLSX whose workbook.xml is <sheet repeated a million times', async () => {
    await uploadWithBystander([{ name: 'sheets.xlsx', content: sheetFlood() }]);
  });

  it('XLSX parts with 40,000 unclosed <row>, <c>, <si>, <t> and <cellXfs', async () => {
    await uploadWithBystander([{ name: 'unclosed.xlsx', content: unclosedTags() }]);
  });

  it('a Parquet footer listing 20 million one-byte empty structs', async () => {
    await uploadWithBystander([{ name: 'structs.parquet', content: parquetStructFlood(20_000_000) }]);
  });

  it('a CSV field of 80,000 digits followed by a letter', async () => {
    await uploadWithBystander([{ name: 'digits.csv', content: digitsThenLetter() }]);
  });

  it('a 48 MB JSON object and JSON nested five million levels deep', async () => {
    await uploadWithBystander([
      { name: 'object.json', content: bigJsonObject() },
      { name: 'deep.json', content: deepJson() },
    ]);
  });

  it('a CSV line of 48 MB of commas', async () => {
    await uploadWithBystander([{ name: 'commas.csv', content: commaLine(48) }]);
  });
});

describe('the profiler limits', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function receiptFor(env: Record<string, string>, name: string, content: Buffer) {
    h = await startHarness(env);
    h.anthropic.onMessage((body) => textReply(`answer to ${questionOf(body)}`));
    const ts = await h.mention('look at this', { files: [hostedFile(h, name, content)] });
    await h.settle();
    const text = threadText(h.thread(ts));
    expect(text).toContain('answer to look at this');
    expect([...h.anthropic.files.values()].map((f) => f.filename)).toEqual([name]);
    return receiptOf(text, name);
  }

  it('a profile past PROFILE_TIMEOUT_SECONDS is stopped, and the receipt says so', async () => {
    const receipt = await receiptFor({ PROFILE_TIMEOUT_SECONDS: '0.01' }, 'big.csv', plainCsv(10));
    expect(receipt).toMatch(/^📎 \*\*big\.csv\*\* \(10 MB, /);
    expect(receipt).toContain('ℹ️ could not profile this file: took longer than 0.01 s');
  });

  it('a profile needing more than PROFILE_MAX_MEMORY_MB is ended, and the receipt says so', async () => {
    const receipt = await receiptFor({ PROFILE_MAX_MEMORY_MB: '16' }, 'strings.xlsx', sharedStringFlood());
    expect(receipt).toContain('ℹ️ could not profile this file: it needed more than 16 MB of memory');
  });
});

describe("the turn's limits cover ingestion", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** A CSV whose download sends a little and then stalls until the bot gives up on it. */
  const stalled = (harness: Harness) =>
    harness.slack.hostFile({
      name: 'stalled.csv',
      size: 10_000_000,
      content: () => {
        const stream = new Readable({ read() {} });
        stream.push('a,b\n1,2\n');
        return stream;
      },
    });

  it('shows Stop before the download starts, and Stop ends a stalled download', async () => {
    h = await startHarness();
    const ts = await h.mention('sum it', { files: [stalled(h)] });
    await waitUntil(() => h!.slack.downloads.length > 0, 'the download to start');
    const progress = progressPosts(h.thread(ts)).at(-1);
    expect(progress && buttonsOf(progress).map((b) => b.action_id)).toContain('stop_turn');
    expect((await h.click(progress!, 'stop_turn')).status).toBe(200);
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('🛑 Stopped');
    expect(h.anthropic.files.size).toBe(0);
    expect(h.anthropic.messageRequests()).toHaveLength(0);
  });

  it('TURN_TIMEOUT_SECONDS ends a stalled download', async () => {
    h = await startHarness({ TURN_TIMEOUT_SECONDS: '1' });
    const ts = await h.mention('sum it', { files: [stalled(h)] });
    await waitUntil(
      () => threadText(h!.thread(ts)).includes('longer than the 1-second limit'),
      'the timeout',
    );
    await h.settle();
    expect(h.anthropic.files.size).toBe(0);
    expect(h.anthropic.messageRequests()).toHaveLength(0);
  });
});

describe('forget', () => {
  it("removes the thread's downloads still on disk, and no other thread's", async () => {
    const h = await startHarness();
    try {
      h.anthropic.onMessage((body) => textReply(`answer to ${questionOf(body)}`));
      const root = await h.mention('hello');
      const other = await h.mention('another thread');
      await h.settle();
      // Copies as an ingestion interrupted mid-way leaves them, in the bot's own temp folder.
      const temp = createTempFiles(h.dbPath);
      const key = (ts: string) => `${h.slack.teamId}:${CHANNEL}:${ts}`;
      const left = await temp.create(key(root));
      const kept = await temp.create(key(other));
      await h.mention('forget', { threadTs: root });
      await h.settle();
      expect(threadText(h.thread(root))).toContain('Forgotten');
      expect(existsSync(left)).toBe(false);
      expect(existsSync(kept)).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('a crash while profiling', () => {
  it('after kill -9 mid-profile, a restart removes the leftover download and does not profile that file again', async () => {
    const slack = await startFakeSlack();
    const anthropic = await startFakeAnthropic();
    anthropic.onMessage((body) => textReply(`answer to ${questionOf(body)}`));
    const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-crash-'));
    const port = await freePort();
    const env = fakeBotEnv(
      { slack, anthropic },
      { port, dir },
      {
        LOG_LEVEL: 'warn',
        PROFILE_TIMEOUT_SECONDS: '600',
        TMPDIR: join(dir, 'tmp'), // the bot's temp folder, where its downloads can be seen
      },
    );
    let bot = spawnBot(env);
    try {
      await bot.ready(port);
      const file = slack.hostFile({ name: 'slow.csv', content: plainCsv(10) });
      const ts = nextTs();
      const envelope = loadFixture('app_mention_top_level');
      Object.assign(envelope.event, {
        ts,
        event_ts: ts,
        text: `<@${slack.botUserId}> sum it`,
        files: [file],
      });
      const ack = await sendEvent(`http://127.0.0.1:${port}/slack/events`, envelope, {
        signingSecret: SIGNING_SECRET,
      });
      expect(ack.status).toBe(200);

      // Killed the moment the bot has marked the file as being profiled.
      const db = new Database(env.DATABASE_PATH, { readonly: true, fileMustExist: true });
      const marked = db.prepare('SELECT COUNT(*) AS n FROM profiling WHERE slack_file_id = ?');
      try {
        await waitUntil(() => (marked.get(file.id) as { n: number }).n === 1, 'profiling to start');
      } finally {
        bot.child.kill('SIGKILL');
        db.close();
      }
      await bot.exited;
      const downloads = () =>
        readdirSync(join(dir, 'tmp', 'slack-analyst'), { recursive: true }).filter((p) =>
          String(p).endsWith('data'),
        );
      expect(downloads()).toHaveLength(1); // the copy the crash left behind

      bot = spawnBot(env);
      await bot.ready(port);
      await waitUntil(
        () => threadText(slack.messages(CHANNEL, ts)).includes('answer to sum it'),
        'the answer',
      );
      expect(downloads()).toHaveLength(0);
      const text = threadText(slack.messages(CHANNEL, ts));
      expect(receiptOf(text, 'slow.csv')).toContain(
        'ℹ️ could not profile this file: the bot stopped while profiling it before, so it was skipped this time',
      );
      expect([...anthropic.files.values()].map((f) => f.filename)).toContain('slow.csv');
    } finally {
      bot.child.kill('SIGKILL');
      await bot.exited;
      await Promise.all([slack.close(), anthropic.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
