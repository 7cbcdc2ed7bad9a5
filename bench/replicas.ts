/**
 * `npm run bench -- replicas`: 200 threads, one question each, answered by a fake Claude that takes 2 s per answer,
 * with MAX_CONCURRENT_TURNS=8 per replica: by 1 and by 3 replicas sharing PostgreSQL (events spread over them at
 * random, as a load balancer would), and by 1 replica on SQLite. Each bot is the real entry point in its own
 * process (as in production); PostgreSQL is a throwaway server started for the run (test/support/postgres.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ChildBot, spawnBot } from '../test/support/child-bot.js';
import { startFakeAnthropic } from '../test/support/fakes/fake-anthropic.js';
import { loadFixture, sendEvent, startFakeSlack } from '../test/support/fakes/fake-slack.js';
import { freePort } from '../test/support/fakes/free-port.js';
import {
  CHANNEL,
  fakeBotEnv,
  HUMAN,
  markdownPosts,
  SIGNING_SECRET,
  textReply,
} from '../test/support/harness.js';
import { startPostgres } from '../test/support/postgres.js';
import { percentile } from './stats.js';

export interface ReplicasOptions {
  threads: number;
  answerMs: number;
  perReplica: number;
}
export interface ReplicasRun {
  label: string;
  wallMs: number;
  ackP50: number;
  ackP99: number;
}
export interface ReplicasResult {
  pg1: ReplicasRun;
  pg3: ReplicasRun;
  sqlite1: ReplicasRun;
  opts: ReplicasOptions;
}

let counter = 0;

async function runOnce(
  label: string,
  replicas: number,
  database: { url: string } | 'sqlite',
  opts: ReplicasOptions,
): Promise<ReplicasRun> {
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  anthropic.onMessage(() => ({ ...textReply('The answer.'), delayMs: opts.answerMs }));
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-bench-replicas-'));
  const bots: { bot: ChildBot; port: number }[] = [];
  try {
    for (let i = 0; i < replicas; i++) {
      const port = await freePort();
      const { DATABASE_PATH, ...env } = fakeBotEnv(
        { slack, anthropic },
        { port, dir },
        {
          LOG_LEVEL: 'error',
          MAX_CONCURRENT_TURNS: String(opts.perReplica),
          MAX_QUEUED_MESSAGES: '10000',
          COST_RECEIPT: 'false',
        },
      );
      bots.push({
        bot: spawnBot(
          database === 'sqlite'
            ? { ...env, DATABASE_PATH: DATABASE_PATH! }
            : { ...env, DATABASE_URL: database.url },
        ),
        port,
      });
    }
    await Promise.all(bots.map(({ bot, port }) => bot.ready(port)));
    const roots: string[] = [];
    const acks: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: opts.threads }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 5)); // a burst over one second, not one instant
        counter += 1;
        const ts = `${1_796_000_000 + counter}.${String(counter).padStart(6, '0')}`;
        roots.push(ts);
        const event = {
          type: 'app_mention',
          text: `<@${slack.botUserId}> question ${counter}`,
          user: HUMAN,
          ts,
          channel: CHANNEL,
          event_ts: ts,
          team: slack.teamId,
        };
        const envelope = { ...loadFixture('app_mention_top_level'), event, event_id: `Ev0BENCHR${counter}` };
        const { port } = bots[Math.floor(Math.random() * bots.length)]!;
        const t0 = performance.now();
        const res = await sendEvent(`http://127.0.0.1:${port}/slack/events`, envelope, {
          signingSecret: SIGNING_SECRET,
        });
        acks.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`event not acknowledged: ${res.status}`);
      }),
    );
    const answered = () => roots.filter((r) => markdownPosts(slack.messages(CHANNEL, r)).length > 0).length;
    while (answered() < opts.threads) await new Promise((r) => setTimeout(r, 50));
    return {
      label,
      wallMs: performance.now() - started,
      ackP50: percentile(acks, 50),
      ackP99: percentile(acks, 99),
    };
  } finally {
    for (const { bot } of bots) bot.child.kill('SIGTERM');
    await Promise.all(bots.map(({ bot }) => bot.exited));
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runReplicas(opts: ReplicasOptions): Promise<ReplicasResult> {
  const server = await startPostgres();
  try {
    const pg1 = await runOnce('1 replica, PostgreSQL', 1, { url: await server.newDatabase() }, opts);
    const pg3 = await runOnce('3 replicas, PostgreSQL', 3, { url: await server.newDatabase() }, opts);
    const sqlite1 = await runOnce('1 replica, SQLite', 1, 'sqlite', opts);
    return { pg1, pg3, sqlite1, opts };
  } finally {
    await server.stop();
  }
}
