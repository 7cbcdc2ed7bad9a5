/**
 * Database faults on a real file system, end to end: the real bot in HTTP mode against the fakes, its SQLite
 * database on a file system the test breaks mid-turn.
 *
 * - Disk full: a small tmpfs (`mount -t tmpfs -o size=…`) filled to the last byte while Claude is answering.
 * - Read-only: a loop-mounted ext4 image with `errors=remount-ro`; the kernel's own error path
 *   (`/sys/fs/ext4/<dev>/trigger_fs_error`) switches it read-only under the open database, as a failing disk
 *   would. (`mount -o remount,ro` is refused while SQLite holds files open for writing.)
 * - Lock: a second process holding SQLite's write lock longer than the bot's busy timeout.
 *
 * Mounting needs root (CI runs as root); where it is not permitted the test is skipped with the reason.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import { threadKeyOf } from '../../src/domain.js';
import { createLogger } from '../../src/log.js';
import { ACTIONS } from '../../src/slack/actions.js';
import { startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { loadFixture, startFakeSlack } from '../support/fakes/fake-slack.js';
import { startFakeSocketMode } from '../support/fakes/fake-socket-mode.js';
import { freePort } from '../support/fakes/free-port.js';
import {
  buttonsOf,
  CHANNEL,
  fakeBotEnv,
  type Harness,
  HUMAN,
  markdownPosts,
  nextTs,
  startHarness,
  textReply,
  threadText,
} from '../support/harness.js';

const cleanups: (() => void | Promise<void>)[] = [];
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  // Every mount, image and child process goes, even when the test failed halfway.
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (err) {
      console.warn(`[db-faults] cleanup failed: ${String(err)}`);
    }
  }
});

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' }).toString();

/** Why mounting a file system is impossible here, or undefined when it works. */
function mountUnavailable(kind: 'tmpfs' | 'ext4'): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root to mount a file system';
  const probe = mkdtempSync(join(tmpdir(), 'slack-analyst-mount-probe-'));
  try {
    if (kind === 'tmpfs') {
      sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
      sh('umount', [probe]);
    } else {
      const fs = mountExt4();
      const hasTrigger =
        sh('sh', ['-c', `test -w ${fs.triggerPath} && echo yes || echo no`]).trim() === 'yes';
      fs.unmount();
      if (!hasTrigger) return `the kernel has no ${fs.triggerPath} to force the file system read-only`;
    }
    return undefined;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return `cannot mount a test file system here: ${(e.stderr?.toString() || e.message).trim().split('\n')[0]}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** A tmpfs of `size` at a fresh directory. */
function mountTmpfs(size: string) {
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-tmpfs-'));
  sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    /** Writes until the file system has no byte left (ENOSPC), as a runaway log file would. */
    fill() {
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
    },
    free: () => unlinkSync(filler),
    unmount: () => unmount(dir),
  };
}

/** An 8 MB ext4 image loop-mounted with errors=remount-ro. */
function mountExt4() {
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-ext4-'));
  const image = `${dir}.img`;
  try {
    sh('truncate', ['-s', '8M', image]);
    sh('mkfs.ext4', ['-q', '-F', image]);
    sh('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  } catch (err) {
    rmSync(image, { force: true });
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const device = sh('findmnt', ['-n', '-o', 'SOURCE', dir]).trim(); // e.g. /dev/loop3
  const triggerPath = `/sys/fs/ext4/${device.replace('/dev/', '')}/trigger_fs_error`;
  return {
    dir,
    triggerPath,
    /** What ext4 does on a write error with errors=remount-ro: every later write fails, reads still work. */
    failReadOnly: () => sh('sh', ['-c', `echo 1 > ${triggerPath}`]),
    options: () => sh('findmnt', ['-n', '-o', 'OPTIONS', dir]).trim(),
    unmount() {
      unmount(dir); // a loop mount's device is detached with it (autoclear)
      rmSync(image, { force: true });
    },
  };
}

function unmount(dir: string): void {
  try {
    sh('umount', [dir]);
  } catch {
    sh('umount', ['-l', dir]); // still busy (a handle not yet closed): detach now, freed when released
  }
  rmSync(dir, { recursive: true, force: true });
}

async function health(h: Harness): Promise<{ status: number; body: { ok: boolean; database: string } }> {
  const res = await fetch(new URL('/healthz', h.eventsUrl));
  return { status: res.status, body: (await res.json()) as { ok: boolean; database: string } };
}

/** Retries `check` until it passes (the health probe is cached for a few seconds). */
const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 8_000, interval: 200 });

/** The failed-turn view a user must see: the answer kept, the reason, a Retry button, ⚠️ instead of 👀. */
function expectVisibleFailure(h: Harness, ts: string, answer: string, reason: string) {
  const thread = h.thread(ts);
  const text = threadText(thread);
  expect(text).toContain(answer); // Claude's answer is posted, not lost to the bookkeeping failure
  expect(text).toContain(`I couldn't save this answer: ${reason}`);
  expect(text).toContain('⚠️ Finished with problems'); // the progress message, not "Stopped"
  expect(text).not.toContain('Stopped');
  const withRetry = markdownPosts(thread).filter((m) =>
    buttonsOf(m).some((b) => b.action_id === ACTIONS.retry),
  );
  expect(withRetry).toHaveLength(1);
  expect(h.slack.reactions(CHANNEL, ts)).toContain('warning');
  expect(h.slack.reactions(CHANNEL, ts)).not.toContain('eyes');
  return withRetry[0]!;
}

describe('a database write that fails mid-turn', () => {
  it('disk full: the turn ends failed with the answer, a notice and Retry; /healthz says 503 until space is freed; Retry then saves it', async (ctx) => {
    const unavailable = mountUnavailable('tmpfs');
    if (unavailable) ctx.skip(unavailable);
    const fs = mountTmpfs('4m');
    cleanups.push(() => fs.unmount());
    h = await startHarness({ DATABASE_PATH: join(fs.dir, 'bot.db') });
    expect((await health(h)).status).toBe(200);

    h.anthropic.onMessage((_body, index) => {
      if (index === 0) fs.fill(); // the disk fills up while Claude is answering
      return textReply(`Revenue grew 12 % (answer ${index + 1}).`);
    });
    const ts = await h.mention('how much did revenue grow?');
    await h.settle();

    const retryPost = expectVisibleFailure(
      h,
      ts,
      'Revenue grew 12 % (answer 1).',
      "the bot's database is not writable (disk full)",
    );
    await eventually(async () => {
      expect(await health(h!)).toEqual({
        status: 503,
        body: expect.objectContaining({ ok: false, database: 'full' }),
      });
    });
    const threadKey = threadKeyOf({ teamId: h.slack.teamId, channelId: CHANNEL, threadTs: ts });
    expect(await h.bot.store.history.list(threadKey)).toHaveLength(0); // nothing half-saved

    fs.free();
    await eventually(async () => expect((await health(h!)).status).toBe(200));
    expect((await h.click(retryPost, ACTIONS.retry)).status).toBe(200);
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('Revenue grew 12 % (answer 2).');
    expect(await h.bot.store.history.list(threadKey)).toHaveLength(2); // the retried turn is stored once
    expect(h.anthropic.messageRequests()).toHaveLength(2);
    expect(await h.bot.store.inbox.open()).toEqual([]);
    expect(h.slack.reactions(CHANNEL, ts)).toContain('white_check_mark');
  });

  it('read-only file system: the turn ends failed with the answer, a notice and Retry; /healthz says 503', async (ctx) => {
    const unavailable = mountUnavailable('ext4');
    if (unavailable) ctx.skip(unavailable);
    const fs = mountExt4();
    cleanups.push(() => fs.unmount());
    h = await startHarness({ DATABASE_PATH: join(fs.dir, 'bot.db') });
    expect((await health(h)).status).toBe(200);

    h.anthropic.onMessage(() => {
      fs.failReadOnly(); // the file system goes read-only while Claude is answering
      return textReply('EMEA grew fastest.');
    });
    const ts = await h.mention('which region grew fastest?');
    await h.settle();

    expect(fs.options()).toMatch(/\bro\b|emergency_ro/);
    expectVisibleFailure(h, ts, 'EMEA grew fastest.', "the bot's database is not writable");
    await eventually(async () => {
      const { status, body } = await health(h!);
      expect(status).toBe(503);
      expect(body.ok).toBe(false);
      expect(['read-only', 'io']).toContain(body.database);
    });
    // A new message cannot be recorded: it is refused with a 5xx at once (Slack retries), never acked and dropped.
    const started = Date.now();
    expect((await h.send(mentionEvent(h, 'and APAC?'))).status).toBeGreaterThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('a write lock held by another process', () => {
  it("the event gets a 5xx within 3 s (not after the lock), and Slack's retry is answered once the lock is gone", async () => {
    h = await startHarness({ SQLITE_BUSY_TIMEOUT_MS: '1000' });
    h.anthropic.onMessage(() => textReply('Answered after the lock.'));
    const locker = await holdWriteLock(h.dbPath, 4_000);
    cleanups.push(() => void locker.kill('SIGKILL'));

    const event = mentionEvent(h, 'what changed last week?');
    const ts = event.event.ts;
    const started = Date.now();
    const first = await h.send(event);
    const ackMs = Date.now() - started;
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(ackMs).toBeLessThan(3_000); // Slack's limit; the lock is held for 4 s
    const during = await health(h);
    expect(during.status).toBe(503);
    expect(during.body.database).toBe('locked');
    expect(h.anthropic.messageRequests()).toHaveLength(0);

    await new Promise<void>((resolve) =>
      locker.exitCode === null ? locker.once('exit', () => resolve()) : resolve(),
    );
    const retried = await h.send(event, { retryNum: 1 });
    expect(retried.status).toBe(200);
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('Answered after the lock.');
    expect(h.anthropic.messageRequests()).toHaveLength(1);
    expect(markdownPosts(h.thread(ts))).toHaveLength(1);
    console.info(`[measure] ack under a 4 s foreign write lock: ${first.status} after ${ackMs} ms`);
  });
});

let eventCounter = 0;
/** An app_mention envelope as Slack sends it, for a new top-level question. */
function mentionEvent(h: Harness, text: string) {
  const ts = nextTs();
  return {
    ...loadFixture('message_thread_followup'),
    event_id: `Ev0DBFAULT${String(++eventCounter).padStart(4, '0')}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'app_mention',
      text: `<@${h.slack.botUserId}> ${text}`,
      user: HUMAN,
      ts,
      channel: CHANNEL,
      event_ts: ts,
      team: h.slack.teamId,
    },
  };
}

describe('Socket Mode', () => {
  it('Bolt acks before the bot sees the event, so a message that cannot be recorded is not silently dropped: the user is asked to resend it', async () => {
    const slack = await startFakeSlack();
    const socket = await startFakeSocketMode(slack);
    const anthropic = await startFakeAnthropic();
    const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-socket-db-'));
    const config = loadConfig(
      fakeBotEnv(
        { slack, anthropic },
        { port: await freePort(), dir },
        {
          SLACK_APP_TOKEN: 'xapp-1-A08CSVAN1YZ-test',
          SQLITE_BUSY_TIMEOUT_MS: '200',
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        },
      ),
    );
    const bot = await createBot(config, createLogger(config.LOG_LEVEL));
    cleanups.push(async () => {
      await bot.stop(1_000);
      await Promise.all([socket.close(), slack.close(), anthropic.close()]);
      rmSync(dir, { recursive: true, force: true });
    });
    await bot.start();
    const locker = await holdWriteLock(config.DATABASE_PATH, 2_000);
    cleanups.push(() => void locker.kill('SIGKILL'));

    const ts = nextTs();
    const envelope = loadFixture('app_mention_top_level');
    Object.assign(envelope.event, { ts, event_ts: ts });
    await socket.deliver(envelope);
    expect(socket.acks).toHaveLength(1); // acknowledged before the listener ran: Slack will not resend it
    await eventually(async () =>
      expect(threadText(slack.messages(CHANNEL, ts))).toContain(
        "I couldn't take this message: the bot's database is locked by another process. Please send it again",
      ),
    );
    expect(anthropic.messageRequests()).toHaveLength(0);
  });
});

/** A child process that takes SQLite's write lock on `path` and holds it for `ms`; resolves once it holds it. */
async function holdWriteLock(path: string, ms: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const Database = require('better-sqlite3');
       const db = new Database(process.argv[1]);
       db.exec('BEGIN IMMEDIATE');
       process.stdout.write('locked\\n');
       setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, Number(process.argv[2]));`,
      path,
      String(ms),
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
    child.stdout!.once('data', () => resolve());
  });
  return child;
}
