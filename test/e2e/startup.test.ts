import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildBot, spawnBot } from '../support/child-bot.js';
import { type FakeAnthropicOptions, startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { type FakeSlack, startFakeSlack } from '../support/fakes/fake-slack.js';
import { freePort } from '../support/fakes/free-port.js';
import { type Harness, startHarness, textReply } from '../support/harness.js';

const children: ChildBot[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL');
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

function startBot(env: Record<string, string>): ChildBot {
  const bot = spawnBot(env);
  children.push(bot);
  return bot;
}

interface Stage {
  slack: FakeSlack;
  /** A loopback port nothing listens on. */
  closedPort: number;
  env: Record<string, string>;
  dbPath: string;
  port: number;
}

/** A fake Slack and Anthropic and an HTTP-mode environment pointing at them; `env` overrides it. */
async function stage(
  opts: { slack?: { appToken?: string }; anthropic?: FakeAnthropicOptions } = {},
): Promise<Stage> {
  const slack = await startFakeSlack(opts.slack);
  const anthropic = await startFakeAnthropic(opts.anthropic);
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-start-'));
  cleanups.push(() => Promise.all([slack.close(), anthropic.close()]));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const closedPort = await freePort();
  const dbPath = join(dir, 'nested', 'bot.db');
  return {
    slack,
    port,
    closedPort,
    dbPath,
    env: {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: 'test-signing-secret',
      SLACK_API_URL: slack.apiUrl,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: anthropic.url,
      PORT: String(port),
      DATABASE_PATH: dbPath,
      STARTUP_RETRIES: '0',
    },
  };
}

/** Runs the bot to its exit; returns the exit code and what it printed. */
async function runToExit(env: Record<string, string>) {
  const bot = startBot(env);
  const code = await bot.exited;
  return { code, ...bot.output() };
}

const STACK_FRAME = /^\s+at /m;

describe('start-up', () => {
  it('refuses to start with one message naming every missing or malformed variable', async () => {
    const bot = startBot({ SLACK_BOT_TOKEN: 'xoxp-wrong-kind', PORT: 'eighty' });
    expect(await bot.exited).toBe(2);
    const { stderr } = bot.output();
    expect(stderr).toContain('SLACK_BOT_TOKEN must start with xoxb-');
    expect(stderr).toContain('ANTHROPIC_API_KEY is required');
    expect(stderr).toContain('SLACK_SIGNING_SECRET is required in HTTP mode');
    expect(stderr).toMatch(/PORT/);
  });

  it('checks the credentials, then starts in HTTP mode, creates its database and serves /healthz', async () => {
    const s = await stage();
    const bot = startBot(s.env);
    await bot.ready(s.port);
    const health = await (await fetch(`http://127.0.0.1:${s.port}/healthz`)).json();
    expect(health).toMatchObject({
      ok: true,
      slack: 'ok',
      anthropic: 'ok',
      database: 'ok',
      databaseEngine: 'sqlite',
    });
    expect(existsSync(s.dbPath)).toBe(true);
    expect(s.slack.callsTo('auth.test')).toHaveLength(1);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output().stdout).toContain('slack-analyst started');
  });

  // Each failure: exactly one line on stderr naming the credential or host, no stack, the right exit
  // code, nothing started and no database created.
  const failures: {
    name: string;
    setup: () => Promise<Stage>;
    env?: (s: Stage) => Record<string, string>;
    line: string | ((s: Stage) => string);
    code: number;
  }[] = [
    {
      name: 'a bot token Slack rejects',
      setup: () => stage(),
      env: () => ({ SLACK_BOT_TOKEN: 'xoxb-revoked-or-mistyped' }),
      line: 'Slack rejected SLACK_BOT_TOKEN (invalid_auth)',
      code: 2,
    },
    {
      name: 'an app token Slack rejects (Socket Mode)',
      async setup() {
        const s = await stage({ slack: { appToken: 'xapp-1-the-right-one' } });
        s.slack.useSocketMode('ws://127.0.0.1:9/never-reached');
        return s;
      },
      env: () => ({ SLACK_APP_TOKEN: 'xapp-1-a-wrong-one' }),
      line: 'Slack rejected SLACK_APP_TOKEN (invalid_auth)',
      code: 2,
    },
    {
      name: 'an unreachable Slack',
      setup: () => stage(),
      env: (s) => ({ SLACK_API_URL: `http://127.0.0.1:${s.closedPort}/api` }),
      line: (s) =>
        `cannot reach 127.0.0.1:${s.closedPort} (ECONNREFUSED) — check network/proxy or SLACK_API_URL`,
      code: 1,
    },
    {
      name: 'an Anthropic key the API rejects',
      setup: () => stage({ anthropic: { apiKey: 'sk-ant-the-real-key' } }),
      line: 'Anthropic rejected ANTHROPIC_API_KEY (401)',
      code: 2,
    },
    {
      name: 'an unknown model',
      setup: () => stage({ anthropic: { models: { 'claude-sonnet-5-5': { codeExecution: true } } } }),
      env: () => ({ ANTHROPIC_MODEL: 'claude-sonnet-9-typo' }),
      line: 'model claude-sonnet-9-typo not found or lacks code execution',
      code: 2,
    },
    {
      name: 'a model without code execution',
      setup: () => stage({ anthropic: { models: { 'claude-tiny-1': { codeExecution: false } } } }),
      env: () => ({ ANTHROPIC_MODEL: 'claude-tiny-1' }),
      line: 'model claude-tiny-1 not found or lacks code execution',
      code: 2,
    },
    {
      name: 'an unreachable Anthropic API',
      setup: () => stage(),
      env: (s) => ({ ANTHROPIC_BASE_URL: `http://127.0.0.1:${s.closedPort}` }),
      line: (s) =>
        `cannot reach 127.0.0.1:${s.closedPort} (ECONNREFUSED) — check network/proxy or ANTHROPIC_BASE_URL`,
      code: 1,
    },
  ];
  for (const f of failures) {
    it(`with ${f.name}: one line, exit ${f.code}`, async () => {
      const s = await f.setup();
      const out = await runToExit({ ...s.env, ...f.env?.(s) });
      const line = typeof f.line === 'string' ? f.line : f.line(s);
      expect(out.stderr.trimEnd().split('\n')).toEqual([`slack-analyst failed to start: ${line}`]);
      expect(out.code).toBe(f.code);
      expect(out.stdout).not.toContain('slack-analyst started');
      expect(out.stdout + out.stderr).not.toMatch(STACK_FRAME);
      expect(existsSync(s.dbPath)).toBe(false);
    });
  }

  it('names a host that does not resolve (a typo in SLACK_API_URL, no DNS) in one line, exit 1', async () => {
    const s = await stage();
    // .invalid never resolves (RFC 6761); without a DNS server at all the lookup fails with EAI_AGAIN.
    const out = await runToExit({ ...s.env, SLACK_API_URL: 'https://slack-analyst-test.invalid/api' });
    expect(out.stderr).toMatch(
      /^slack-analyst failed to start: cannot reach slack-analyst-test\.invalid \((ENOTFOUND|EAI_AGAIN)\) — check network\/proxy or SLACK_API_URL\n$/,
    );
    expect(out.code).toBe(1);
  });

  it('refuses a database written by a newer version (after a rollback) with exit 2, leaving it untouched', async () => {
    const s = await stage();
    mkdirSync(dirname(s.dbPath), { recursive: true });
    const newer = new Database(s.dbPath);
    newer.pragma('user_version = 999');
    newer.close();
    const before = readFileSync(s.dbPath);
    const out = await runToExit(s.env);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /^slack-analyst failed to start: Database schema version 999 is newer than this build/,
    );
    expect(readFileSync(s.dbPath)).toEqual(before);
  });

  it('retries a transient failure a bounded number of times, then gives up with exit 1', async () => {
    const s = await stage();
    const started = Date.now();
    const out = await runToExit({
      ...s.env,
      SLACK_API_URL: `http://127.0.0.1:${s.closedPort}/api`,
      STARTUP_RETRIES: '2',
      STARTUP_RETRY_SECONDS: '1',
    });
    expect(out.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    const retries = out.stdout.split('\n').filter((l) => l.includes('retrying in 1 s'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain(`cannot reach 127.0.0.1:${s.closedPort} (ECONNREFUSED)`);
  });

  it('starts once Slack recovers within the retries', async () => {
    const s = await stage();
    s.slack.failNext('auth.test', { status: 503, body: { ok: false, error: 'service_unavailable' } }, 1);
    const bot = startBot({ ...s.env, STARTUP_RETRIES: '3', STARTUP_RETRY_SECONDS: '0' });
    await bot.ready(s.port);
    expect(bot.output().stdout).toContain('Slack is unavailable (HTTP 503); retrying in 0 s');
    expect(s.slack.callsTo('auth.test')).toHaveLength(2);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  });
});

describe('/healthz', () => {
  let h: Harness;
  const healthz = async () => {
    const res = await fetch(h.eventsUrl.replace('/slack/events', '/healthz'));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('turns 503 when the Anthropic key is revoked, and back to 200 when it works again', async () => {
    h = await startHarness();
    cleanups.push(() => h.close());
    expect(await healthz()).toMatchObject({ status: 200, body: { ok: true, anthropic: 'ok' } });
    h.anthropic.requireApiKey('sk-ant-rotated');
    // The state is cached: a request alone does not probe Anthropic.
    const probesBefore = h.anthropic.requests.length;
    expect((await healthz()).status).toBe(200);
    expect(h.anthropic.requests.length).toBe(probesBefore);
    await h.bot.health.refresh();
    expect(await healthz()).toMatchObject({ status: 503, body: { ok: false, anthropic: 'rejected' } });
    h.anthropic.requireApiKey(undefined);
    await h.bot.health.refresh();
    expect(await healthz()).toMatchObject({ status: 200, body: { ok: true, anthropic: 'ok' } });
  });

  it('turns 503 when Slack revokes the bot token', async () => {
    h = await startHarness();
    cleanups.push(() => h.close());
    h.slack.failNext('auth.test', { body: { ok: false, error: 'token_revoked' } });
    await h.bot.health.refresh();
    expect(await healthz()).toMatchObject({ status: 503, body: { ok: false, slack: 'rejected' } });
  });

  it('turns 503 when the queue is full', async () => {
    h = await startHarness({ MAX_QUEUED_MESSAGES: '1' });
    cleanups.push(() => h.close());
    h.anthropic.enqueue({ ...textReply('never finished'), hangAfterEvents: 2 });
    await h.mention('a long question');
    for (let i = 0; i < 100 && h.bot.worker.pending === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await healthz()).toMatchObject({
      status: 503,
      body: { ok: false, queue: { pending: 1, full: true } },
    });
  });

  it('turns 503 when the database fails', async () => {
    h = await startHarness();
    cleanups.push(() => h.close());
    await h.bot.store.close();
    expect(await healthz()).toMatchObject({ status: 503, body: { ok: false, database: 'error' } });
  });

  it('Bolt never calls auth.test itself: the ids verified at start-up are used for every event', async () => {
    h = await startHarness();
    cleanups.push(() => h.close());
    h.anthropic.enqueue(textReply('hi'));
    await h.mention('hello');
    await h.settle();
    expect(h.slack.callsTo('auth.test')).toHaveLength(1);
  });
});
