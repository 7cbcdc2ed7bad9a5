import { existsSync } from 'node:fs';
import { createBot } from './bot.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';

/** Entry point: `npm start`. Exits non-zero with one message naming every configuration problem. */
async function main(): Promise<void> {
  // A local .env fills in what the real environment does not set (it never overrides it).
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const bot = await createBot(config, log);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    bot.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await bot.start();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `slack-analyst failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
