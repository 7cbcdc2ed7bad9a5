import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnBot } from '../support/child-bot.js';
import { startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { loadFixture, sendEvent, startFakeSlack } from '../support/fakes/fake-slack.js';
import { freePort } from '../support/fakes/free-port.js';
import {
  blocks,
  CHANNEL,
  fakeBotEnv,
  type Harness,
  markdownPosts,
  nextTs,
  progressPosts,
  SIGNING_SECRET,
  startHarness,
  textReply,
  threadText,
} from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const overloaded = {
  kind: 'error' as const,
  status: 529,
  type: 'overloaded_error',
  message: 'Overloaded',
  headers: { 'retry-after': '0' },
};
/** The question text of a recorded Messages request (the last user message). */
const questionOf = (req: Anthropic.MessageCreateParams) =>
  JSON.stringify(req.messages.at(-1)?.content).match(/Question from Slack user \w+:\\n([^"]*)/)?.[1];

describe('Anthropic faults', () => {
  it('retries a 529 with backoff and answers once', async () => {
    h = await startHarness({ ANTHROPIC_MAX_RETRIES: '2' });
    h.anthropic.enqueue(overloaded, textReply('Answer after a retry.'));
    const ts = await h.mention('q');
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(2);
    const text = threadText(h.thread(ts));
    expect(text).toContain('Answer after a retry.');
    expect(text).not.toContain('overloaded');
  });

  it('on a 529 that never ends: says so in the thread, keeps serving, and `retry` re-runs the question', async () => {
    h = await startHarness({ ANTHROPIC_MAX_RETRIES: '1' });
    h.anthropic.onMessage(() => overloaded);
    const started = Date.now();
    const ts = await h.mention('the overloaded question');
    await h.settle();
    const msToFailure = Date.now() - started;
    const text = threadText(h.thread(ts));
    expect(text).toContain('Claude is overloaded right now');
    expect(text).toContain('reply `retry`');
    expect(h.slack.reactions(CHANNEL, ts)).toContain('warning');
    console.info(`[measure] 529 forever: failure message after ${msToFailure} ms with 1 SDK retry`);

    h.anthropic.onMessage((body) => textReply(`answered: ${questionOf(body)}`));
    const other = await h.mention('another thread works');
    await h.settle();
    expect(threadText(h.thread(other))).toContain('answered: another thread works');

    await h.mention('retry', { threadTs: ts });
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('answered: the overloaded question');
  });

  it('re-sends a turn whose stream dies mid-response, and posts one whole answer', async () => {
    h = await startHarness();
    h.anthropic.enqueue(
      { ...textReply('A half-streamed answer that must never be posted.'), cutAfterEvents: 3 },
      textReply('The whole answer.'),
    );
    const ts = await h.mention('q');
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(2);
    const text = threadText(h.thread(ts));
    expect(text).toContain('The whole answer.');
    expect(text).not.toContain('half-streamed');
    expect(markdownPosts(h.thread(ts))).toHaveLength(1);
  });

  it('stops a turn at the wall-clock limit and says so', async () => {
    h = await startHarness({ TURN_TIMEOUT_SECONDS: '1' });
    h.anthropic.enqueue({ ...textReply('never'), hangAfterEvents: 2 });
    const ts = await h.mention('slow question');
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('took longer than the 1-second limit');
    expect(h.anthropic.abortedStreams).toBe(1);
  });
});

describe('Slack faults', () => {
  it('waits out a 429 on chat.postMessage and on the upload URL instead of dropping the reply', async () => {
    h = await startHarness();
    const png = h.anthropic.addOutputFile('chart.png', 'image/png', Buffer.from('png-bytes'));
    h.slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    h.slack.failNext('upload', { status: 429, retryAfterSec: 1 });
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_1', 'python plot.py'),
        blocks.bashResult('srvtoolu_1', { fileIds: [png] }),
        blocks.text('Chart done.'),
      ],
    });
    const ts = await h.mention('plot');
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('Chart done.');
    expect(h.slack.uploads.map((u) => u.filename)).toEqual(['chart.png']);
  });
});

describe('lanes and limits', () => {
  it('answers 50 messages of one thread strictly in order', async () => {
    h = await startHarness({ MAX_CONCURRENT_TURNS: '8' });
    h.anthropic.onMessage((body) => textReply(`echo ${questionOf(body)}`));
    const root = await h.mention('m1');
    for (let i = 2; i <= 50; i++) await h.message(`m${i}`, { threadTs: root });
    await h.settle();
    const asked = h.anthropic.messageRequests().map(questionOf);
    expect(asked).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 1}`));
    expect(h.anthropic.maxConcurrentMessageStreams).toBe(1);
    const answers = h
      .thread(root)
      .map((m) => threadText([m]).match(/echo (m\d+)/)?.[1])
      .filter(Boolean);
    expect(answers).toEqual(asked);
  });

  it('answers 100 threads at once, never running more than the global limit of 8', async () => {
    h = await startHarness({ MAX_CONCURRENT_TURNS: '8', MAX_QUEUED_MESSAGES: '500' });
    h.anthropic.onMessage((body) => ({ ...textReply(`answer to ${questionOf(body)}`), delayMs: 40 }));
    const roots: string[] = [];
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        roots[i] = await h!.mention(`thread ${i}`);
      }),
    );
    await h.settle();
    for (const [i, root] of roots.entries())
      expect(threadText(h.thread(root))).toContain(`answer to thread ${i}`);
    const max = h.anthropic.maxConcurrentMessageStreams;
    console.info(`[measure] 100 threads, limit 8: max concurrent turns seen = ${max}`);
    expect(max).toBeLessThanOrEqual(8);
    expect(max).toBeGreaterThan(1);
    expect(h.slack.callsTo('reactions.add').some((c) => c.params.name === 'hourglass_flowing_sand')).toBe(
      true,
    );
  });

  it('replies "busy" beyond the queue bound, and keeps the question for `retry`', async () => {
    h = await startHarness({ MAX_CONCURRENT_TURNS: '1', MAX_QUEUED_MESSAGES: '2' });
    h.anthropic.onMessage((body) => ({ ...textReply(`answer to ${questionOf(body)}`), delayMs: 150 }));
    await h.mention('first');
    await h.mention('second');
    const third = await h.mention('third');
    await h.settle();
    expect(threadText(h.thread(third))).toContain("I'm busy");
    await h.mention('retry', { threadTs: third });
    await h.settle();
    expect(threadText(h.thread(third))).toContain('answer to third');
  });
});

describe('crash safety', () => {
  /**
   * The real entry point in a child process, against fakes in this one, with one question hanging
   * mid-turn at Anthropic; the next request is answered with `answer`.
   */
  async function childBotMidTurn(answer: string, extraEnv: Record<string, string> = {}) {
    const slack = await startFakeSlack();
    const anthropic = await startFakeAnthropic();
    const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-child-'));
    const port = await freePort();
    const env = fakeBotEnv({ slack, anthropic }, { port, dir }, { LOG_LEVEL: 'warn', ...extraEnv });
    let bot = spawnBot(env);
    await bot.ready(port);
    anthropic.enqueue({ ...textReply('never finished'), hangAfterEvents: 2 }, textReply(answer));
    const ts = nextTs();
    const envelope = loadFixture('app_mention_top_level');
    Object.assign(envelope.event, { ts, event_ts: ts, text: `<@${slack.botUserId}> a question` });
    const ack = await sendEvent(`http://127.0.0.1:${port}/slack/events`, envelope, {
      signingSecret: SIGNING_SECRET,
    });
    expect(ack.status).toBe(200);
    while (anthropic.messageRequests().length === 0) await new Promise((r) => setTimeout(r, 20));

    return {
      slack,
      anthropic,
      thread: () => slack.messages(CHANNEL, ts),
      get bot() {
        return bot;
      },
      async restart() {
        bot = spawnBot(env);
        await bot.ready(port);
        const deadline = Date.now() + 15_000;
        while (!threadText(slack.messages(CHANNEL, ts)).includes(answer) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await new Promise((r) => setTimeout(r, 300)); // anything duplicated would have arrived by now
      },
      async cleanup() {
        bot.child.kill('SIGKILL');
        await Promise.all([slack.close(), anthropic.close()]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it('after kill -9 mid-turn, a restart on the same database answers the question exactly once', async () => {
    const run = await childBotMidTurn('The answer after the crash.');
    try {
      run.bot.child.kill('SIGKILL');
      await run.bot.exited;
      await run.restart();
      const thread = run.thread();
      expect(markdownPosts(thread).map((m) => threadText([m]))).toEqual([
        expect.stringContaining('The answer after the crash.'),
      ]);
      // The interrupted attempt's progress message was reused and finished, not left "working".
      expect(progressPosts(thread)).toHaveLength(1);
      expect(threadText(progressPosts(thread))).toContain('Done');
      expect(run.anthropic.messageRequests()).toHaveLength(2);
    } finally {
      await run.cleanup();
    }
  });

  it('on SIGTERM stops within the grace period and resumes the in-flight question on the next start', async () => {
    const run = await childBotMidTurn('Answered after the deploy.', { SHUTDOWN_GRACE_SECONDS: '1' });
    try {
      const stopping = Date.now();
      run.bot.child.kill('SIGTERM');
      expect(await run.bot.exited).toBe(0);
      const stopMs = Date.now() - stopping;
      console.info(`[measure] SIGTERM with a turn in flight: exited after ${stopMs} ms (grace 1 s)`);
      expect(stopMs).toBeLessThan(6_000);
      await run.restart();
      expect(markdownPosts(run.thread()).map((m) => threadText([m]))).toEqual([
        expect.stringContaining('Answered after the deploy.'),
      ]);
    } finally {
      await run.cleanup();
    }
  });
});
