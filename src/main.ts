import { existsSync } from 'node:fs';
import { type Bot, createBot } from './bot.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { StartupError } from './startup.js';
import { DatabaseTooNewError } from './store/db.js';

/**
 * Entry point (`node dist/main.js`, or `npm start` in development). Exit codes: 0 after a clean stop,
 * 2 for configuration (a malformed variable, a rejected token or key, an unknown model), 1 when a
 * service stayed unreachable or something unexpected happened. Each failure is one line on stderr.
 */
let log: Logger | undefined;
let bot: Bot | undefined;
let stopping = false;

function fail(message: string, code: 1 | 2): never {
  for (const line of message.split('\n')) process.stderr.write(`slack-analyst failed to start: ${line}\n`);
  process.exit(code);
}

/** Stops taking events, lets running answers finish within the grace period, then exits with `code`. */
function shutdown(reason: string, code: 0 | 1): void {
  if (stopping) {
    if (code !== 0) process.exit(code); // a second fatal error while stopping: stop now
    return;
  }
  stopping = true;
  log?.info({ reason }, 'shutting down');
  if (!bot) process.exit(code); // still starting: nothing is open yet
  bot.stop().then(
    () => process.exit(code),
    (err: unknown) => {
      log?.error({ err: String(err) }, 'shutdown failed');
      process.exit(1);
    },
  );
}

/** Anything thrown or rejected that no code handled: one line (the stack only at debug level), then a clean stop. */
function onFatal(kind: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  if (!log) fail(`${kind}: ${message}`, 1);
  log.fatal({ kind }, `${kind}: ${message}`);
  log.debug({ err }, 'stack of the error above');
  shutdown(kind, 1);
}

async function main(): Promise<void> {
  process.on('unhandledRejection', (err) => onFatal('unhandled rejection', err));
  process.on('uncaughtException', (err) => onFatal('uncaught exception', err));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));

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
  log = createLogger(config.LOG_LEVEL, config.LOG_FORMAT);
  try {
    bot = await createBot(config, log);
  } catch (err) {
    if (err instanceof StartupError) fail(err.message, err.exitCode);
    // Written by a newer version (after a rollback): restore the backup taken before the upgrade.
    if (err instanceof DatabaseTooNewError) fail(err.message, 2);
    throw err;
  }
  await bot.start();
}

main().catch((err: unknown) => {
  log?.debug({ err }, 'start-up failed');
  fail(err instanceof Error ? err.message : String(err), 1);
});
