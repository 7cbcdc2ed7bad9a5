import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { loadFixture, sendEvent, startFakeSlack } from '../support/fakes/fake-slack.js';
import { freePort } from '../support/fakes/free-port.js';
import { textReply } from '../support/harness.js';

/**
 * SIGTERM sent to exactly what an operator runs: `npm start`, `npm run start:dist` and the production
 * command `node dist/main.js` (what the Dockerfile and the systemd unit run). The bot must drain within
 * its grace period and exit 0, and no bot process may outlive the command (npm used to exit at once and
 * leave the bot running, re-parented).
 */
const root = new URL('../../', import.meta.url).pathname;
const SIGNING_SECRET = 'test-signing-secret-shutdown';
let app: string;

beforeAll(() => {
  // A copy of the project as an operator has it (no .env), built with the README's `npm run build`.
  app = mkdtempSync(join(tmpdir(), 'slack-analyst-operator-'));
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json'])
    copyFileSync(root + f, join(app, f));
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
  symlinkSync(join(root, 'src'), join(app, 'src'));
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: app, stdio: 'pipe' });
}, 120_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

const commands: [string, string[]][] = [
  ['npm start', ['npm', 'start']],
  ['npm run start:dist', ['npm', 'run', 'start:dist']],
  ['node dist/main.js', [process.execPath, 'dist/main.js']],
];

describe('SIGTERM through the command an operator runs', () => {
  for (const [name, [cmd, ...args]] of commands) {
    it(`${name}: finishes within the grace period, exits 0 and leaves no bot running`, async () => {
      const slack = await startFakeSlack();
      const anthropic = await startFakeAnthropic();
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-sigterm-'));
      const child = spawn(cmd!, args, {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? dir,
          npm_config_update_notifier: 'false',
          SLACK_BOT_TOKEN: slack.botToken,
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: slack.apiUrl,
          ANTHROPIC_API_KEY: 'sk-ant-test',
          ANTHROPIC_BASE_URL: anthropic.url,
          ANTHROPIC_MAX_RETRIES: '0',
          PORT: String(port),
          DATABASE_PATH: join(dir, 'bot.db'),
          SHUTDOWN_GRACE_SECONDS: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so a failed test can still kill whatever it started
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const healthy = () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      try {
        for (let i = 0; i < 200 && !(await healthy()); i++) await new Promise((r) => setTimeout(r, 100));
        expect(await healthy()).toBe(true);

        // A question whose answer never finishes, so the grace period is really used.
        anthropic.enqueue({ ...textReply('never finished'), hangAfterEvents: 2 });
        const envelope = loadFixture('app_mention_top_level');
        Object.assign(envelope.event, { text: `<@${slack.botUserId}> a long question` });
        expect(
          (
            await sendEvent(`http://127.0.0.1:${port}/slack/events`, envelope, {
              signingSecret: SIGNING_SECRET,
            })
          ).status,
        ).toBe(200);
        for (let i = 0; i < 200 && anthropic.messageRequests().length === 0; i++)
          await new Promise((r) => setTimeout(r, 25));

        const signalled = Date.now();
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        const stopMs = Date.now() - signalled;
        expect(stopMs).toBeGreaterThanOrEqual(1_000); // the running answer got its grace period
        expect(stopMs).toBeLessThan(8_000);
        expect(output).toContain('"reason":"SIGTERM"');
        expect(output).toContain('stopped with turns in flight');
        expect(await healthy()).toBe(false); // nothing left serving on the port
      } finally {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {} // already gone
        await Promise.all([slack.close(), anthropic.close()]);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
