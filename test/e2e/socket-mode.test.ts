import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { loadFixture, startFakeSlack } from '../support/fakes/fake-slack.js';
import { startFakeSocketMode } from '../support/fakes/fake-socket-mode.js';
import { freePort } from '../support/fakes/free-port.js';
import { CHANNEL, fakeBotEnv, nextTs, textReply, threadText } from '../support/harness.js';

it('in Socket Mode (SLACK_APP_TOKEN set) acks events over the WebSocket and answers in the thread', async () => {
  const slack = await startFakeSlack();
  const socket = await startFakeSocketMode(slack);
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-socket-'));
  const port = await freePort();
  const config = loadConfig(
    fakeBotEnv(
      { slack, anthropic },
      { port, dir },
      { SLACK_APP_TOKEN: 'xapp-1-A08CSVAN1YZ-test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    ),
  );
  const bot = await createBot(config, createLogger(config.LOG_LEVEL));
  try {
    await bot.start();
    anthropic.enqueue(textReply('Answered over Socket Mode.'));
    const ts = nextTs();
    const envelope = loadFixture('app_mention_top_level');
    Object.assign(envelope.event, { ts, event_ts: ts });
    await socket.deliver(envelope);
    await socket.deliver(envelope, 1); // Slack's redelivery of the same event
    expect(socket.acks).toHaveLength(2);

    const deadline = Date.now() + 10_000;
    while (
      !threadText(slack.messages(CHANNEL, ts)).includes('Answered over Socket Mode.') &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await bot.worker.drain();
    expect(threadText(slack.messages(CHANNEL, ts))).toContain('Answered over Socket Mode.');
    expect(anthropic.messageRequests()).toHaveLength(1);
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
  } finally {
    await bot.stop(1_000);
    await Promise.all([socket.close(), slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
