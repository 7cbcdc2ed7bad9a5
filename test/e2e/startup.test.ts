import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../fakes/fake-slack.js';
import { freePort } from '../fakes/free-port.js';
import { type ChildBot, spawnBot } from './child-bot.js';

const children: ChildBot[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL');
});

function startBot(env: Record<string, string>): ChildBot {
  const bot = spawnBot(env);
  children.push(bot);
  return bot;
}

describe('start-up', () => {
  it('refuses to start with one message naming every missing or malformed variable', async () => {
    const bot = startBot({ SLACK_BOT_TOKEN: 'xoxp-wrong-kind', PORT: 'eighty' });
    expect(await bot.exited).not.toBe(0);
    const { stderr } = bot.output();
    expect(stderr).toContain('SLACK_BOT_TOKEN must start with xoxb-');
    expect(stderr).toContain('ANTHROPIC_API_KEY is required');
    expect(stderr).toContain('SLACK_SIGNING_SECRET is required in HTTP mode');
    expect(stderr).toMatch(/PORT/);
  });

  it('starts in HTTP mode, creates its database, serves /healthz, and does not wait for an unreachable Anthropic API', async () => {
    const slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-start-'));
    const port = await freePort();
    const bot = startBot({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: 'test-signing-secret',
      SLACK_API_URL: slack.apiUrl,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', // nothing listens here
      ANTHROPIC_MAX_RETRIES: '0',
      PORT: String(port),
      DATABASE_PATH: join(dir, 'nested', 'bot.db'),
    });
    try {
      let health: { ok: boolean; database: string } | undefined;
      for (let i = 0; i < 100 && !health; i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = await fetch(`http://127.0.0.1:${port}/healthz`)
          .then((r) => r.json() as Promise<{ ok: boolean; database: string }>)
          .catch(() => undefined);
      }
      expect(health).toMatchObject({ ok: true, database: 'ok' });
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
      expect(bot.output().stdout).toContain('could not check the model');
    } finally {
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
