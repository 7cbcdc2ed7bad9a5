import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { expect, it } from 'vitest';
import { type ChildBot, spawnBot } from '../support/child-bot.js';
import { testPostgres } from '../support/engines.js';
import { startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { loadFixture, sendEvent, startFakeSlack } from '../support/fakes/fake-slack.js';
import { freePort } from '../support/fakes/free-port.js';
import {
  CHANNEL,
  fakeBotEnv,
  HUMAN,
  markdownPosts,
  nextTs,
  SIGNING_SECRET,
  textReply,
  threadText,
} from '../support/harness.js';

const questionOf = (req: Anthropic.MessageCreateParams) =>
  JSON.stringify(req.messages.at(-1)?.content).match(/Question from Slack user \w+:\\n([^"]*)/)?.[1];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('three replicas on one PostgreSQL: every message answered once, in order per thread, a kill -9 finished by another', async () => {
  const url = await (await testPostgres()).newDatabase();
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-replicas-'));
  const bots: { bot: ChildBot; port: number }[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const { DATABASE_PATH: _sqlite, ...env } = fakeBotEnv(
        { slack, anthropic },
        { port, dir },
        { LOG_LEVEL: 'warn', DATABASE_URL: url, DATABASE_POOL_SIZE: '4' },
      );
      bots.push({ bot: spawnBot(env), port });
    }
    await Promise.all(bots.map(({ bot, port }) => bot.ready(port)));
    // The first question to reach Claude hangs there mid-answer; every other one is answered after 50 ms.
    anthropic.enqueue({ ...textReply('never finished'), hangAfterEvents: 2 });
    anthropic.onMessage((body) => ({ ...textReply(`answer to ${questionOf(body)}`), delayMs: 50 }));

    const urlOf = (i: number) => `http://127.0.0.1:${bots[i]!.port}/slack/events`;
    const roots: string[] = [];
    const asked = new Map<string, string[]>();
    /** One mention, delivered to a random replica, then Slack's retry of the same event to another one. */
    const ask = async (text: string, threadTs?: string) => {
      const ts = nextTs();
      const root = threadTs ?? ts;
      const event = {
        type: 'app_mention',
        text: `<@${slack.botUserId}> ${text}`,
        user: HUMAN,
        ts,
        channel: CHANNEL,
        event_ts: ts,
        team: slack.teamId,
        ...(threadTs ? { thread_ts: threadTs, parent_user_id: HUMAN } : {}),
      };
      slack.recordHumanMessage(event);
      const envelope = {
        ...loadFixture('app_mention_top_level'),
        event,
        event_id: `Ev0REPL${ts.replace('.', '')}`,
      };
      const first = Math.floor(Math.random() * 3);
      const acks = await Promise.all([
        sendEvent(urlOf(first), envelope, { signingSecret: SIGNING_SECRET }),
        sendEvent(urlOf((first + 1 + Math.floor(Math.random() * 2)) % 3), envelope, {
          signingSecret: SIGNING_SECRET,
          retryNum: 1,
        }),
      ]);
      expect(acks.map((a) => a.status)).toEqual([200, 200]);
      asked.set(root, [...(asked.get(root) ?? []), text]);
      return ts;
    };
    // Six threads of three questions each, the threads in parallel, each thread's questions one after another.
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (t) => {
        const root = await ask(`t${t} q1`);
        roots.push(root);
        await ask(`t${t} q2`, root);
        await ask(`t${t} q3`, root);
      }),
    );

    // The first question to reach Claude is some thread's first (a second waits for its thread's first to finish),
    // so 15 answers arrive and that thread stays leased to the hung turn's replica: kill it.
    const answered = () => roots.flatMap((r) => markdownPosts(slack.messages(CHANNEL, r))).length;
    for (let i = 0; i < 200 && answered() < 15; i++) await pause(100);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // The other threads' replicas release their leases just after posting their last answers.
    let leases: { owner: string }[] = [];
    for (let i = 0; i < 50; i++) {
      leases = (await client.query('SELECT owner FROM thread_leases')).rows;
      if (leases.length <= 1) break;
      await pause(100);
    }
    await client.end();
    expect(answered()).toBe(15);
    expect(leases).toHaveLength(1);
    const pid = Number(leases[0]!.owner.split(':')[1]);
    const victim = bots.find(({ bot }) => bot.child.pid === pid);
    expect(victim).toBeDefined();
    victim!.bot.child.kill('SIGKILL');
    await victim!.bot.exited;

    // Its lease expires (10 s) and another replica's sweep re-runs the turn.
    for (let i = 0; i < 250 && answered() < 18; i++) await pause(100);
    await pause(500); // anything answered twice would have arrived by now
    for (const root of roots) {
      const answers = markdownPosts(slack.messages(CHANNEL, root)).map((m) => threadText([m]));
      const questions = asked.get(root)!;
      expect(answers).toEqual(questions.map((q) => expect.stringContaining(`answer to ${q}`)));
    }
  } finally {
    for (const { bot } of bots) bot.child.kill('SIGKILL');
    await Promise.all(bots.map(({ bot }) => bot.exited));
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
