import type Anthropic from '@anthropic-ai/sdk';
import { App } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { createAnalyst } from './claude/analyst.js';
import { createAnthropicClient } from './claude/client.js';
import { collectRuns } from './claude/result.js';
import { runCommand } from './commands.js';
import type { Config } from './config.js';
import { createFileGateway } from './file-gateway.js';
import { createTempFiles } from './files/temp.js';
import { accessRefusal, createBudgetCheck } from './governance.js';
import { startHealth } from './health.js';
import { createIntake } from './intake.js';
import type { Logger } from './log.js';
import type { TurnRuns } from './ports.js';
import { containerMinutes, estimateCost } from './pricing.js';
import { startRetention } from './retention.js';
import { createAdminCheck } from './slack/admins.js';
import { boltLogger } from './slack/bolt-logger.js';
import { registerAppHome } from './slack/listeners/app-home.js';
import { registerAssistant } from './slack/listeners/assistant.js';
import { registerListeners } from './slack/listeners/index.js';
import { registerShowCode } from './slack/listeners/show-code.js';
import { createSlackReplier } from './slack/reply.js';
import { checkAnthropic, checkBotToken, hostOf, verifyStartup } from './startup.js';
import { openStore, type Store } from './store/index.js';
import { runTurn } from './turn.js';
import { createWorker } from './worker.js';

const SLACK_API_URL = 'https://slack.com/api/';
const ANTHROPIC_API_URL = 'https://api.anthropic.com';
/** Start-up and health probes give up quickly; retries are theirs to decide. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Composition root: the only place concrete clients are built. Socket Mode when SLACK_APP_TOKEN is
 * set, otherwise HTTP mode with POST /slack/events; both serve GET /healthz on PORT.
 *
 * Verifies the Slack tokens, the Anthropic key and the model first (throws a StartupError naming what
 * failed), so nothing is created, and nothing calls out in the background, for a bot that cannot run.
 */
/** How often a replica on PostgreSQL looks for work no live lease covers (a dead replica's, or one left queued). */
const SWEEP_MS = 2_000;

export async function createBot(config: Config, log: Logger) {
  const slackApiUrl = config.SLACK_API_URL ? `${config.SLACK_API_URL}/` : SLACK_API_URL;
  const slackApiHost = hostOf(slackApiUrl);
  const anthropicHost = hostOf(config.ANTHROPIC_BASE_URL ?? ANTHROPIC_API_URL);
  const anthropic = createAnthropicClient(config);
  const probes = {
    slack: new WebClient(config.SLACK_BOT_TOKEN, {
      slackApiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: PROBE_TIMEOUT_MS,
      logger: boltLogger(log, { quiet: true }),
    }),
    anthropic: anthropic.withOptions({ maxRetries: 0, timeout: PROBE_TIMEOUT_MS }),
  };
  // Bolt is given the bot's ids, so it never runs its own auth.test (an un-awaited call that used
  // to crash the process with a rejected token, or outlive a stopped bot).
  const identity = await verifyStartup({
    slack: probes.slack,
    slackApiHost,
    appToken: config.SLACK_APP_TOKEN,
    anthropic: probes.anthropic,
    anthropicHost,
    model: config.ANTHROPIC_MODEL,
    retry: { retries: config.STARTUP_RETRIES, delayMs: config.STARTUP_RETRY_SECONDS * 1000 },
    log,
  });

  const store = await openStore({
    url: config.DATABASE_URL,
    path: config.DATABASE_PATH,
    poolSize: config.DATABASE_POOL_SIZE,
    sqlite: { busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS, synchronous: config.SQLITE_SYNCHRONOUS },
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
    botUserId: identity.botUserId,
    botId: identity.botId,
    port: config.PORT,
    // HTTP mode: the ack waits for our listener, which only writes the inbox row (fast, synchronous),
    // so an event Slack saw acknowledged is always on disk. If that write fails (SQLITE_BUSY_TIMEOUT_MS, full,
    // read-only) the listener throws and Bolt's HTTPReceiver answers 500, so Slack delivers the event again.
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
          void health.report().then(
            (report) => {
              res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
              res.end(JSON.stringify(report));
            },
            (err: unknown) => {
              log.error({ err }, '/healthz failed');
              res.writeHead(500).end();
            },
          );
        },
      },
    ],
  });

  const health = startHealth({
    probeSlack: () => checkBotToken(probes.slack, slackApiHost),
    probeAnthropic: (signal) =>
      checkAnthropic(probes.anthropic, config.ANTHROPIC_MODEL, anthropicHost, signal),
    database: () => store.health(),
    databaseEngine: store.engine,
    queue: () => ({ pending: worker.pending, active: worker.active, max: config.MAX_QUEUED_MESSAGES }),
    intervalMs: config.HEALTH_CHECK_SECONDS * 1000,
    log,
  });

  // Slack's own stop on a turn's stream stops it as our Stop button does.
  const replier = createSlackReplier(app.client, log, {
    stoppedByUser: (key) => {
      void intake?.stop(key).catch((err: unknown) => log.warn({ err }, 'could not stop a turn'));
    },
    streamMaxAgeMs: config.SLACK_STREAM_MAX_SECONDS * 1000,
  });
  const temp = createTempFiles(config.DATABASE_PATH);
  // Bot admins (ADMIN_USERS) count as admins everywhere: Stop/Retry, the App Home, budgets.
  const adminUsers = new Set(config.ADMIN_USERS);
  const workspaceAdmin = createAdminCheck(app.client, log);
  const isAdmin = async (userId: string) => adminUsers.has(userId) || workspaceAdmin(userId);
  const budgets = createBudgetCheck({
    store,
    isAdmin,
    budgets: {
      userDailyUsd: config.BUDGET_USER_DAILY_USD,
      channelMonthlyUsd: config.BUDGET_CHANNEL_MONTHLY_USD,
      workspaceMonthlyUsd: config.BUDGET_WORKSPACE_MONTHLY_USD,
      maxTurnUsd: config.MAX_TURN_USD,
    },
  });
  const files = createFileGateway({
    slack: app.client,
    anthropic,
    botToken: config.SLACK_BOT_TOKEN,
    slackApiUrl,
    maxBytes: config.MAX_FILE_MB * 1024 * 1024,
    profileLimits: {
      timeoutMs: config.PROFILE_TIMEOUT_SECONDS * 1000,
      maxMemoryMb: config.PROFILE_MAX_MEMORY_MB,
    },
    profiling: store.profiling,
    temp,
    log,
  });
  const prices = {
    inputPerMTok: config.PRICE_INPUT_PER_MTOK,
    outputPerMTok: config.PRICE_OUTPUT_PER_MTOK,
    containerPerHour: config.CONTAINER_PRICE_PER_HOUR,
    containerFreeHoursPerMonth: config.CONTAINER_FREE_HOURS_PER_MONTH,
  };
  const analyst = createAnalyst({
    client: anthropic,
    model: config.ANTHROPIC_MODEL,
    maxTokens: config.ANTHROPIC_MAX_TOKENS,
    maxContinuations: config.MAX_PAUSE_CONTINUATIONS,
    cache: config.PROMPT_CACHE_TTL,
    prices,
    behaviour: { effort: config.ANTHROPIC_EFFORT, thinking: { type: config.ANTHROPIC_THINKING } },
  });
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
    turnCeiling: budgets.turnCeiling,
  };
  const commandDeps = {
    store,
    replier,
    files,
    maxFileMb: config.MAX_FILE_MB,
    retry: (channelId: string, messageTs: string) => intake!.retry(channelId, messageTs),
    isAdmin,
  };
  intake = createIntake({
    store,
    worker,
    replier,
    log,
    toolVersion: config.CODE_EXECUTION_TOOL,
    turnTimeoutMs: config.TURN_TIMEOUT_SECONDS * 1000,
    maxQueued: config.MAX_QUEUED_MESSAGES,
    slackResends: !socketMode,
    access: (msg) =>
      accessRefusal(
        {
          allowedChannels: config.ALLOWED_CHANNELS,
          allowedUsers: config.ALLOWED_USERS,
          allowDms: config.ALLOW_DMS,
          allowSharedChannels: config.ALLOW_SHARED_CHANNELS,
          adminUsers: config.ADMIN_USERS,
        },
        msg,
      ),
    overBudget: budgets.overBudget,
    costOf: (spend) =>
      estimateCost(prices, spend.usage, containerMinutes(spend.container), spend.earlierContainerMinutes),
    runTurn: (msg, signal, spend) => runTurn(turnDeps, msg, signal, spend),
    runCommand: (msg, command) => runCommand(commandDeps, msg, command),
  });
  let retention: ReturnType<typeof startRetention> | undefined;
  let sweep: NodeJS.Timeout | undefined;
  registerListeners(app, {
    receive: intake.receive,
    screen: intake.screen,
    stop: intake.stop,
    retry: intake.retry,
    askerOf: store.inbox.asker,
    runningIn: store.inbox.runningIn,
    isAdmin,
    rate: store.feedback.record,
    log,
  });
  registerAssistant(app, { receive: intake.receive, log });
  registerShowCode(app, { runsOf: turnRuns(store), log });
  registerAppHome(app, {
    reports: store.reports,
    isAdmin,
    feedbackCounts: store.feedback.counts,
    log,
    spend: { overview: budgets.overview, own: budgets.own },
    retentionDays: config.RETENTION_DAYS,
  });

  return {
    app,
    store,
    worker,
    intake,
    health,
    async start(): Promise<void> {
      // Downloads a crash or kill -9 left behind (normally each is removed when its ingestion ends); before
      // any event can start a new one.
      const removed = await temp.removeStale().catch((err: unknown) => {
        log.warn({ err }, 'could not remove temporary files left by an earlier run');
        return 0;
      });
      if (removed > 0) log.info({ removed }, 'removed temporary files left by an earlier run');
      await app.start(config.PORT);
      log.info(
        { mode: socketMode ? 'socket' : 'http', port: config.PORT, model: config.ANTHROPIC_MODEL },
        'slack-analyst started',
      );
      // SQLite has one process: leases left by its previous run mean nothing. On PostgreSQL, what a dead replica
      // left is picked up once its leases expire, so every replica sweeps for it.
      if (store.engine === 'sqlite') await store.leases.releaseAll();
      await intake!.resume();
      if (store.engine === 'postgres') {
        sweep = setInterval(() => {
          void intake!
            .resume()
            .catch((err: unknown) => log.warn({ err }, 'could not look for unleased work'));
        }, SWEEP_MS);
        sweep.unref();
      }
      retention = startRetention({ store, files, retentionDays: config.RETENTION_DAYS, log });
    },
    /** Forgets threads idle past RETENTION_DAYS now (also runs at start and hourly). */
    sweepRetention: () => retention?.sweep() ?? Promise.resolve(0),
    /** Stops taking events, lets in-flight turns finish within `graceMs`, then closes the database. */
    async stop(graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000): Promise<void> {
      retention?.stop();
      clearInterval(sweep);
      await health.stop();
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
      await store.close();
    },
  };
}
export type Bot = Awaited<ReturnType<typeof createBot>>;

/** "Show code": the code runs of one stored answer, read from its thread's history only. */
function turnRuns(store: Store): TurnRuns {
  return async (threadKey, turnId) => {
    const entries = (await store.history.list(threadKey)).filter(
      (e) => e.turnId === turnId && e.message.role === 'assistant',
    );
    if (entries.length === 0) return undefined;
    return collectRuns(
      entries.flatMap((e) =>
        typeof e.message.content === 'string'
          ? []
          : (e.message.content as unknown as Anthropic.ContentBlock[]),
      ),
    );
  };
}

/** Whether the database answers a query: the one check /healthz runs against the database. */
