/**
 * Benchmark 4: ack latency while a large upload is being profiled.
 *
 * Profiling runs in a worker thread (src/files/profile/isolated.ts), so a big or hostile file must not slow the
 * acks of everyone else. This runs the real bot (`createBot`, HTTP mode) against the fakes and sends it signed
 * `app_mention` events, one at a time, timing each HTTP round trip:
 * - **without:** nothing else running; measured before and again after the loaded phase (A B A), pooled;
 * - **with:** while the bot profiles a generated CSV of a few hundred MB. The loaded phase starts only once the
 *   file is downloaded and uploaded (the fake Files API holds it), so what runs beside the acks is the profile
 *   alone, and its samples are kept only while the bot's profiling mark for the file is still in the database.
 * After each event the bench waits for that event's turn to finish, in both phases alike.
 * Once the loaded phase has its samples the upload's turn is stopped (as the Stop button does), which ends the
 * profile; `PROFILE_TIMEOUT_SECONDS` bounds it should the samples take longer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { createBot } from '../src/bot.js';
import { loadConfig } from '../src/config.js';
import { messageKeyValue } from '../src/domain.js';
import { createLogger } from '../src/log.js';
import { startFakeAnthropic } from '../test/support/fakes/fake-anthropic.js';
import { loadFixture, sendEvent, startFakeSlack } from '../test/support/fakes/fake-slack.js';
import { freePort } from '../test/support/fakes/free-port.js';
import { fakeBotEnv, SIGNING_SECRET } from '../test/support/harness.js';
import { MB, note, percentile } from './stats.js';

export interface AckUnderProfileOptions {
  megabytes: number;
  warmupEvents: number;
  /** Events per phase: twice without (before and after), once with. */
  events: number;
  profileTimeoutSeconds: number;
}

export interface PhaseStats {
  p50: number;
  p99: number;
  samples: number[];
}

export interface AckUnderProfileResult {
  sizeBytes: number;
  without: PhaseStats;
  with: PhaseStats;
  /** Whether the profile was still running after the last "with" sample (otherwise fewer samples). */
  profileOutlasted: boolean;
}

const stats = (samples: number[]): PhaseStats => ({
  p50: percentile(samples, 50),
  p99: percentile(samples, 99),
  samples,
});

/** Deterministic CSV rows, about 50 KB per chunk, until `bytes`. */
function* csv(bytes: number): Generator<Buffer> {
  yield Buffer.from('id,region,day,amount,note\n');
  let produced = 0;
  for (let row = 0; produced < bytes; ) {
    const lines: string[] = [];
    for (const end = row + 1000; row < end; row++) {
      lines.push(
        `${row},region-${row % 7},2026-01-${(row % 28) + 10},${(row * 7919) % 100_000}.5,note ${row}\n`,
      );
    }
    const chunk = Buffer.from(lines.join(''));
    produced += chunk.length;
    yield chunk;
  }
}

export async function runAckUnderProfile(opts: AckUnderProfileOptions): Promise<AckUnderProfileResult> {
  let sizeBytes = 0;
  for (const chunk of csv(opts.megabytes * MB)) sizeBytes += chunk.length;
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic({ storeBytes: false });
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-bench-profile-'));
  const port = await freePort();
  const config = loadConfig(
    fakeBotEnv(
      { slack, anthropic },
      { port, dir },
      {
        ANTHROPIC_MAX_RETRIES: '0',
        MAX_FILE_MB: '500',
        PROFILE_TIMEOUT_SECONDS: String(opts.profileTimeoutSeconds),
        LOG_LEVEL: 'silent',
      },
    ),
  );
  const bot = await createBot(config, createLogger(config.LOG_LEVEL));
  const url = `http://127.0.0.1:${port}/slack/events`;
  const template = loadFixture('app_mention_top_level');
  let counter = 0;
  const envelope = (extra: Record<string, unknown> = {}) => {
    counter += 1;
    const ts = `${1_795_900_000 + counter}.${String(counter % 1_000_000).padStart(6, '0')}`;
    return {
      ...template,
      event: { ...template.event, ts, event_ts: ts, client_msg_id: `bench-p-${counter}`, ...extra },
      event_id: `Ev0BENCHP${String(counter).padStart(6, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
    };
  };
  const status = bot.store.sql.sqlite!.prepare<[string], { status: string }>(
    'SELECT status FROM inbox WHERE message_ts = ?',
  );
  /** Sends one event, times its ack, then waits for its turn (only its own: the upload's turn may still run). */
  const timed = async (): Promise<number> => {
    const body = envelope();
    const started = performance.now();
    const res = await sendEvent(url, body, { signingSecret: SIGNING_SECRET });
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`event not acknowledged: ${res.status} ${res.body}`);
    while (status.get(body.event.ts)?.status !== 'done') await new Promise((r) => setTimeout(r, 2));
    return ms;
  };
  const profiling = () =>
    (bot.store.sql.sqlite!.prepare('SELECT COUNT(*) AS n FROM profiling').get() as { n: number }).n > 0;
  /** `count` events one after another, each turn finished before the next; stops early when `until` fails. */
  const phase = async (count: number, until: () => boolean = () => true): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < count && until(); i++) {
      const ms = await timed();
      if (until()) samples.push(ms);
    }
    return samples;
  };

  try {
    await bot.start();
    await phase(opts.warmupEvents);
    const before = await phase(opts.events);
    note(`ack under profile: baseline measured; uploading the ${(sizeBytes / MB).toFixed(0)} MB CSV`);

    const file = slack.hostFile({
      name: 'big.csv',
      size: sizeBytes,
      content: () => Readable.from(csv(opts.megabytes * MB)),
    });
    const upload = envelope({ text: `<@${slack.botUserId}> profile this`, files: [file] });
    const res = await sendEvent(url, upload, { signingSecret: SIGNING_SECRET });
    if (res.status !== 200) throw new Error(`upload event not acknowledged: ${res.status}`);
    // Downloaded and uploaded: from here on the profile is what runs beside the acks.
    while (![...anthropic.files.values()].some((f) => f.sizeBytes === sizeBytes)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!profiling()) throw new Error('the profile ended before the loaded phase began; use a larger file');
    const loaded = await phase(opts.events, profiling);
    const profileOutlasted = profiling();
    note(`ack under profile: ${loaded.length} events measured while profiling; stopping it`);
    // The Stop button's path: the turn's signal terminates the profiling worker.
    await bot.intake.stop(messageKeyValue({ channelId: upload.event.channel, messageTs: upload.event.ts }));
    await bot.worker.drain();
    const after = await phase(opts.events);
    return {
      sizeBytes,
      without: stats([...before, ...after]),
      with: stats(loaded),
      profileOutlasted,
    };
  } finally {
    await bot.stop(5_000).catch(() => undefined);
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
