import Anthropic from '@anthropic-ai/sdk';
import { App } from '@slack/bolt';
import { createAnalyst } from './claude/analyst.js';
import { runCommand } from './commands.js';
import type { Config } from './config.js';
import { createFileGateway } from './files/gateway.js';
import { createIntake } from './intake.js';
import type { Logger } from './log.js';
import { startRetention } from './retention.js';
import { boltLogger } from './slack/bolt-logger.js';
import { registerAppHome } from './slack/listeners/app-home.js';
import { registerAssistant } from './slack/listeners/assistant.js';
import { registerListeners } from './slack/listeners/index.js';
import { registerShowCode } from './slack/listeners/show-code.js';
import { createSlackReplier } from './slack/reply.js';
import { createStore, openDatabase } from './store/index.js';
import { createReports } from './store/reports.js';
import { runTurn } from './turn.js';
import { createWorker } from './worker.js';

const SLACK_API_URL = 'https://slack.com/api/';

/**
 * Composition root: the only place concrete clients are built. Socket Mode when SLACK_APP_TOKEN is
 * set, otherwise HTTP mode with POST /slack/events; both serve GET /healthz on PORT.
 */
export async function createBot(config: Config, log: Logger) {
  const db = openDatabase(config.DATABASE_PATH);
  const store = createStore(db);
  const slackApiUrl = config.SLACK_API_URL ? `${config.SLACK_API_URL}/` : SLACK_API_URL;

  const anthropic = new Anthropic({
    apiKey: config.ANTHROPIC_API_KEY,
    maxRetries: config.ANTHROPIC_MAX_RETRIES,
    timeout: config.ANTHROPIC_TIMEOUT_MS,
    ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
  });

  let intake: ReturnType<typeof createIntake> | undefined;
  const worker = createWorker({
    maxConcurrent: config.MAX_CONCURRENT_TURNS,
    run: (m) => intake!.process(m),
    onWait: (m) => void replier.queued(m),
    log,
  });
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const app = new App({
    token: config.SLACK_BOT_TOKEN,
    ...(socketMode
      ? { socketMode: true, appToken: config.SLACK_APP_TOKEN! }
      : { signingSecret: config.SLACK_SIGNING_SECRET! }),
    ...(config.SLACK_BOT_USER_ID && config.SLACK_BOT_ID
      ? { botUserId: config.SLACK_BOT_USER_ID, botId: config.SLACK_BOT_ID }
      : {}),
    port: config.PORT,
    // HTTP mode: the ack waits for our listener, which only writes the inbox row (fast, synchronous),
    // so an event Slack saw acknowledged is always on disk.
    processBeforeResponse: !socketMode,
    logger: boltLogger(log),
    clientOptions: {
      slackApiUrl,
      // The WebClient default retries for ~30 min without a timeout (and Socket Mode raises it to 100 retries).
      retryConfig: { retries: config.SLACK_MAX_RETRIES, factor: 2, minTimeout: 500, maxTimeout: 10_000 },
      timeout: config.SLACK_TIMEOUT_MS,
    },
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req, res) => {
          let dbOk = true;
          try {
            db.prepare('SELECT 1').get();
          } catch {
            dbOk = false;
          }
          res.writeHead(dbOk ? 200 : 503, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              ok: dbOk,
              database: dbOk ? 'ok' : 'error',
              queue: { pending: worker.pending, active: worker.active },
            }),
          );
        },
      },
    ],
  });

  const replier = createSlackReplier(app.client, log);
  const files = createFileGateway({
    slack: app.client,
    anthropic,
    botToken: config.SLACK_BOT_TOKEN,
    slackApiUrl,
    maxBytes: config.MAX_FILE_MB * 1024 * 1024,
    log,
  });
  const analyst = createAnalyst({
    client: anthropic,
    model: config.ANTHROPIC_MODEL,
    maxTokens: config.ANTHROPIC_MAX_TOKENS,
    maxContinuations: config.MAX_PAUSE_CONTINUATIONS,
    cache: config.PROMPT_CACHE_TTL,
    behaviour: { effort: config.ANTHROPIC_EFFORT, thinking: { type: config.ANTHROPIC_THINKING } },
  });
  const prices = {
    inputPerMTok: config.PRICE_INPUT_PER_MTOK,
    outputPerMTok: config.PRICE_OUTPUT_PER_MTOK,
    containerPerHour: config.CONTAINER_PRICE_PER_HOUR,
  };
  const turnDeps = {
    store,
    analyst,
    replier,
    files,
    log,
    model: config.ANTHROPIC_MODEL,
    toolVersion: config.CODE_EXECUTION_TOOL,
    historyTokenBudget: config.HISTORY_TOKEN_BUDGET,
    deleteOutputFiles: config.DELETE_OUTPUT_FILES,
    prices: config.COST_RECEIPT ? prices : null,
  };
  const commandDeps = {
    store,
    replier,
    files,
    prices,
    maxFileMb: config.MAX_FILE_MB,
    retry: (channelId: string, messageTs: string) => intake!.retry(channelId, messageTs),
  };
  intake = createIntake({
    store,
    worker,
    replier,
    log,
    toolVersion: config.CODE_EXECUTION_TOOL,
    turnTimeoutMs: config.TURN_TIMEOUT_SECONDS * 1000,
    maxQueued: config.MAX_QUEUED_MESSAGES,
    runTurn: (msg, signal) => runTurn(turnDeps, msg, signal),
    runCommand: (msg, command) => runCommand(commandDeps, msg, command),
  });
  let retention: ReturnType<typeof startRetention> | undefined;
  registerListeners(app, { receive: intake.receive, stop: intake.stop, retry: intake.retry, log });
  registerAssistant(app, { receive: intake.receive, log });
  registerShowCode(app, { store, log });
  registerAppHome(app, { reports: createReports(db), log });

  return {
    app,
    store,
    worker,
    intake,
    async start(): Promise<void> {
      await app.start(config.PORT);
      log.info(
        { mode: socketMode ? 'socket' : 'http', port: config.PORT, model: config.ANTHROPIC_MODEL },
        'slack-analyst started',
      );
      intake!.resume();
      retention = startRetention({ store, files, retentionDays: config.RETENTION_DAYS, log });
      void checkModel(anthropic, config, log);
    },
    /** Stops taking events, lets in-flight turns finish within `graceMs`, then closes the database. */
    /** Forgets threads idle past RETENTION_DAYS now (also runs at start and hourly). */
    sweepRetention: () => retention?.sweep() ?? Promise.resolve(0),
    async stop(graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000): Promise<void> {
      retention?.stop();
      await app.stop().catch((err: unknown) => log.warn({ err }, 'error while stopping the Slack receiver'));
      const drained = await Promise.race([
        worker.drain().then(() => true),
        new Promise<boolean>((r) => setTimeout(r, graceMs, false).unref()),
      ]);
      if (!drained) {
        // Abort what is still running; those messages stay in the inbox and resume on the next start.
        intake!.abortInFlight();
        await Promise.race([worker.drain(), new Promise((r) => setTimeout(r, 2_000).unref())]);
        log.warn({ pending: worker.pending }, 'stopped with turns in flight; they resume on the next start');
      }
      db.close();
    },
  };
}
export type Bot = Awaited<ReturnType<typeof createBot>>;

/** A start-up capability check that only warns: an unreachable API must not block start. */
async function checkModel(client: Anthropic, config: Config, log: Logger): Promise<void> {
  try {
    const model = await client.models.retrieve(config.ANTHROPIC_MODEL);
    const supported = model.capabilities?.server_tools?.code_execution?.supported;
    if (supported === false)
      log.warn({ model: config.ANTHROPIC_MODEL }, 'this model does not support code execution');
  } catch (err) {
    log.warn({ model: config.ANTHROPIC_MODEL, err: String(err) }, 'could not check the model at start-up');
  }
}
