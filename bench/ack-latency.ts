/**
 * Benchmark 1: what the durable inbox adds to the ack.
 *
 * In HTTP mode the bot answers Slack's POST only after its listener has written the inbox row to SQLite
 * (`processBeforeResponse: true`). This sends the same signed `app_mention` envelopes, alternately, to
 * (a) the real bot (`createBot` against the fake Slack and fake Anthropic), and
 * (b) a bare Bolt `App` with the same receiver settings and a no-op `app_mention` listener, and
 * (c) for attribution, the same bare `App` whose listener does only the inbox write (`toThreadMessage` +
 *     `inbox.accept` into its own WAL database opened like the bot's),
 * and times each HTTP round trip on loopback, from a client in its own process (bench/ack-client.ts), as Slack is
 * another machine: the bot's work after its ack must not hold up the client reading it. The order of the three rotates through all six permutations. The bot's turn runs after its ack; the bench waits for it to finish
 * (worker drained) before the next request, so a turn never overlaps a measured request of either side.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from '@slack/bolt';
import { createBot } from '../src/bot.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { boltLogger } from '../src/slack/bolt-logger.js';
import { toThreadMessage } from '../src/slack/listeners/thread-message.js';
import { openDatabase } from '../src/store/db.js';
import { createInbox } from '../src/store/inbox.js';
import { sqliteSql } from '../src/store/sqlite.js';
import { startFakeAnthropic } from '../test/support/fakes/fake-anthropic.js';
import { loadFixture, startFakeSlack } from '../test/support/fakes/fake-slack.js';
import { freePort } from '../test/support/fakes/free-port.js';
import { fakeBotEnv, SIGNING_SECRET } from '../test/support/harness.js';
import type { AckReply, AckRequest } from './ack-client.js';
import { note, percentile } from './stats.js';

const CLIENT = fileURLToPath(new URL('./ack-client.ts', import.meta.url));

export interface AckLatencyOptions {
  /** Unmeasured rounds first (JIT, lazy imports, SQLite page cache, first auth.test). */
  warmupRounds: number;
  /** Measured rounds; each round is one request to each of the three apps. */
  rounds: number;
}

export interface LatencyStats {
  p50: number;
  p95: number;
  samples: number[];
}

export interface AckLatencyResult {
  rounds: number;
  bot: LatencyStats;
  bare: LatencyStats;
  /** Bare Bolt whose listener writes the inbox row and nothing else. */
  inboxOnly: LatencyStats;
  /** Turns the bot finished as `done` in its inbox, out of every event it was sent (warm-up included). */
  turnsDone: number;
  eventsSent: number;
}

type Side = 'bot' | 'bare' | 'inboxOnly';
const ORDERS: Side[][] = [
  ['bot', 'bare', 'inboxOnly'],
  ['bare', 'inboxOnly', 'bot'],
  ['inboxOnly', 'bot', 'bare'],
  ['bot', 'inboxOnly', 'bare'],
  ['inboxOnly', 'bare', 'bot'],
  ['bare', 'bot', 'inboxOnly'],
];

const stats = (samples: number[]): LatencyStats => ({
  p50: percentile(samples, 50),
  p95: percentile(samples, 95),
  samples,
});

export async function runAckLatency(opts: AckLatencyOptions): Promise<AckLatencyResult> {
  const slack = await startFakeSlack();
  // The default handler answers every Messages request at once with a text "ok".
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-bench-ack-'));
  const [botPort, barePort, inboxPort] = [await freePort(), await freePort(), await freePort()];
  const config = loadConfig(
    fakeBotEnv(
      { slack, anthropic },
      { port: botPort, dir },
      { ANTHROPIC_MAX_RETRIES: '0', LOG_LEVEL: 'silent' },
    ),
  );
  const log = createLogger(config.LOG_LEVEL);
  const bot = await createBot(config, log);

  // The same receiver settings bot.ts gives Bolt in HTTP mode; only the listeners differ.
  const bareApp = (port: number) =>
    new App({
      token: config.SLACK_BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      port,
      processBeforeResponse: true,
      logger: boltLogger(log),
      clientOptions: {
        slackApiUrl: `${config.SLACK_API_URL}/`,
        retryConfig: { retries: config.SLACK_MAX_RETRIES, factor: 2, minTimeout: 500, maxTimeout: 10_000 },
        timeout: config.SLACK_TIMEOUT_MS,
      },
    });
  const bare = bareApp(barePort);
  bare.event('app_mention', async () => undefined);
  const inboxDb = openDatabase(join(dir, 'inbox-only.db'));
  const inbox = createInbox(sqliteSql(inboxDb));
  const inboxOnly = bareApp(inboxPort);
  inboxOnly.event('app_mention', async ({ event, body, context }) => {
    const msg = toThreadMessage(event, {
      teamId: context.teamId ?? body.team_id,
      botUserId: context.botUserId ?? '',
      eventId: body.event_id,
    });
    if (!msg || !(await inbox.accept(msg))) throw new Error('the inbox-only app did not record the event');
  });

  const botUrl = `http://127.0.0.1:${botPort}/slack/events`;
  const urls = {
    bot: botUrl,
    bare: `http://127.0.0.1:${barePort}/slack/events`,
    inboxOnly: `http://127.0.0.1:${inboxPort}/slack/events`,
  };
  const template = loadFixture('app_mention_top_level');
  let counter = 0;
  /** A top-level mention with a fresh ts and event id: a new message (and thread) every time. */
  const envelope = () => {
    counter += 1;
    const ts = `${1_795_800_000 + counter}.${String(counter % 1_000_000).padStart(6, '0')}`;
    return {
      ...template,
      event: { ...template.event, ts, event_ts: ts, client_msg_id: `bench-${counter}` },
      event_id: `Ev0BENCH${String(counter).padStart(6, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
    };
  };

  const client = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLIENT], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timed = (url: string): Promise<number> =>
    new Promise((resolve, reject) => {
      client.once('message', (reply: AckReply) => {
        if ('error' in reply) reject(new Error(`ack client: ${reply.error}`));
        else if (reply.status !== 200)
          reject(new Error(`event not acknowledged by ${url}: ${reply.status} ${reply.body}`));
        else resolve(reply.ms);
      });
      client.send({ url, body: envelope(), signingSecret: SIGNING_SECRET } satisfies AckRequest);
    });

  const samples: Record<Side, number[]> = { bot: [], bare: [], inboxOnly: [] };
  let eventsSent = 0;
  try {
    await bot.start();
    await bare.start(barePort);
    await inboxOnly.start(inboxPort);
    const total = opts.warmupRounds + opts.rounds;
    for (let i = 0; i < total; i++) {
      // Rotate through every order of the three, so none always follows another's work.
      for (const side of ORDERS[i % ORDERS.length]!) {
        const ms = await timed(urls[side]);
        if (side === 'bot') {
          eventsSent += 1;
          // The turn runs after the ack; let it finish so it does not overlap the next measured request.
          await bot.worker.drain();
        }
        if (i >= opts.warmupRounds) samples[side].push(ms);
      }
      if (i === opts.warmupRounds - 1) note(`ack latency: warmed up with ${opts.warmupRounds} rounds`);
    }
    const turnsDone = (
      bot.store.sql.sqlite!.prepare(`SELECT COUNT(*) AS n FROM inbox WHERE status = 'done'`).get() as {
        n: number;
      }
    ).n;
    return {
      rounds: opts.rounds,
      bot: stats(samples.bot),
      bare: stats(samples.bare),
      inboxOnly: stats(samples.inboxOnly),
      turnsDone,
      eventsSent,
    };
  } finally {
    client.disconnect();
    await bare.stop().catch(() => undefined);
    await inboxOnly.stop().catch(() => undefined);
    inboxDb.close();
    await bot.stop(5_000).catch(() => undefined);
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
