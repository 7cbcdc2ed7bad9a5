import { z } from 'zod';

/**
 * Everything the bot reads from the environment, resolved and validated once at start-up.
 * Nothing else in the code reads `process.env`.
 */
export type Config = z.infer<typeof schema>;

export const CODE_EXECUTION_TOOL_VERSIONS = [
  'code_execution_20260521',
  'code_execution_20260120',
  'code_execution_20250825',
] as const;
export const DEFAULT_DATABASE_PATH = './data/slack-analyst.db';
export type CodeExecutionToolVersion = (typeof CODE_EXECUTION_TOOL_VERSIONS)[number];

const optionalUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .optional()
  .transform((url) => (url ? url.replace(/\/+$/, '') : undefined));
const int = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);
const price = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).min(0, 'must not be negative').default(fallback);
const bool = (fallback: boolean) =>
  z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Comma- or space-separated Slack ids (users U…/W…, channels C…/G…/D…); unset means an empty list. */
const slackIds = z
  .string()
  .transform((v) => v.split(/[\s,]+/).filter(Boolean))
  .refine(
    (ids) => ids.every((id) => /^[A-Z0-9]{2,}$/.test(id)),
    'must list Slack ids such as U0123ABCD or C0123ABCD',
  )
  .default([]);
/** A spend limit in USD; unset means no limit. */
const usdLimit = z.coerce
  .number({ error: 'must be a number of dollars' })
  .positive('must be above 0')
  .optional();

const schema = z.object({
  SLACK_BOT_TOKEN: z.string({ error: 'is required' }).startsWith('xoxb-', 'must start with xoxb-'),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must start with xapp-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'looks too short').optional(),
  /** Web API base URL override (GovSlack, proxies, local stand-ins). The bot token is sent only here and to *.slack.com. */
  SLACK_API_URL: optionalUrl,
  SLACK_TIMEOUT_MS: int(15_000, 1_000, 120_000),
  SLACK_MAX_RETRIES: int(3, 0, 10),
  /** Slack ends a streamed message after about five minutes; a longer answer continues in a new one after this. */
  SLACK_STREAM_MAX_SECONDS: int(240, 1, 290),

  ANTHROPIC_API_KEY: z.string({ error: 'is required' }).min(1, 'is required'),
  ANTHROPIC_BASE_URL: optionalUrl,
  ANTHROPIC_MODEL: z.string().min(1).default('claude-sonnet-5-5'),
  CODE_EXECUTION_TOOL: z.enum(CODE_EXECUTION_TOOL_VERSIONS).default('code_execution_20260521'),
  ANTHROPIC_MAX_TOKENS: int(16_000, 1_024, 128_000),
  ANTHROPIC_MAX_RETRIES: int(2, 0, 10),
  /** Per-attempt timeout of one request (the SDK default is 10 minutes), and the longest silence in a stream. */
  ANTHROPIC_TIMEOUT_MS: int(600_000, 5_000, 3_600_000),
  MAX_PAUSE_CONTINUATIONS: int(5, 0, 20),
  /** Rough token budget for stored thread history sent with each request. */
  HISTORY_TOKEN_BUDGET: int(120_000, 5_000, 900_000),
  /** Prompt cache lifetime: 1h survives people's reply gaps (see src/claude/analyst.ts); off sends no breakpoints. */
  PROMPT_CACHE_TTL: z.enum(['1h', '5m', 'off']).default('1h'),
  /** Sent on every request (output_config.effort), so a model change cannot silently change it. */
  ANTHROPIC_EFFORT: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).default('high'),
  /** Sent on every request (thinking.type). */
  ANTHROPIC_THINKING: z.enum(['adaptive', 'disabled']).default('adaptive'),

  PORT: int(3000, 1, 65_535),
  DATABASE_PATH: z.string().min(1).default(DEFAULT_DATABASE_PATH),
  /** PostgreSQL 13+ shared by every replica (postgres://user:pass@host:5432/db); unset: SQLite at DATABASE_PATH. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')
    .optional(),
  /** PostgreSQL connections per replica at most (turns hold none while they wait for Claude). */
  DATABASE_POOL_SIZE: int(10, 1, 100),
  /**
   * How long a database write waits for another process's lock. The driver blocks the event loop meanwhile,
   * so it stays well under Slack's 3 s ack limit; an event that cannot be recorded gets a 5xx and is retried.
   */
  SQLITE_BUSY_TIMEOUT_MS: int(1_000, 0, 2_000),
  /** NORMAL: an OS crash or power loss can lose the last acknowledged events (never corrupts); FULL: fsync each commit. */
  SQLITE_SYNCHRONOUS: z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['NORMAL', 'FULL'], { error: 'must be NORMAL or FULL' }))
    .default('NORMAL'),
  MAX_FILE_MB: int(200, 1, 500),
  MAX_CONCURRENT_TURNS: int(4, 1, 64),
  MAX_QUEUED_MESSAGES: int(200, 1, 100_000),
  TURN_TIMEOUT_SECONDS: int(900, 1, 7_200),
  /** Upload receipts: wall-clock and heap limits of profiling one file (in a worker thread). */
  PROFILE_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .min(0.01, 'must be at least 0.01')
    .max(600, 'must be at most 600')
    .default(20),
  PROFILE_MAX_MEMORY_MB: int(256, 16, 4_096),
  DELETE_OUTPUT_FILES: bool(true),
  /** Threads idle this long are forgotten (history, files at Anthropic); 0 keeps them forever. */
  RETENTION_DAYS: int(30, 0, 3_650),
  /** On SIGTERM/SIGINT, in-flight answers get this long to finish before they are checkpointed. */
  SHUTDOWN_GRACE_SECONDS: int(30, 0, 600),
  /** A one-line token and cost estimate under each answer. */
  COST_RECEIPT: bool(true),
  /** USD prices for estimates only (the Anthropic invoice is authoritative). */
  PRICE_INPUT_PER_MTOK: price(3),
  PRICE_OUTPUT_PER_MTOK: price(15),
  CONTAINER_PRICE_PER_HOUR: price(0.05),
  /** Free container hours per month of the Anthropic organisation (set 0 if other apps share its allowance). */
  CONTAINER_FREE_HOURS_PER_MONTH: price(1550),
  /** Access: channels the bot answers in (empty: every channel it is in) and users who may ask (empty: everyone). */
  ALLOWED_CHANNELS: slackIds,
  ALLOWED_USERS: slackIds,
  /** DMs to the bot and Slack's assistant pane. */
  ALLOW_DMS: bool(true),
  /** Slack Connect channels, and people from other organisations. */
  ALLOW_SHARED_CHANNELS: bool(false),
  /** Admins of the bot besides workspace admins and owners: admin views, Stop/Retry on anyone's question, no budgets. */
  ADMIN_USERS: slackIds,
  /** Spend limits in USD (estimates from the prices above); unset means no limit. Admins are exempt. */
  BUDGET_USER_DAILY_USD: usdLimit,
  BUDGET_CHANNEL_MONTHLY_USD: usdLimit,
  BUDGET_WORKSPACE_MONTHLY_USD: usdLimit,
  /** A ceiling per question: no further pause_turn continuation once a question has cost this much. */
  MAX_TURN_USD: usdLimit,
  /** Start-up checks retry network errors and 5xx this many times, this many seconds apart, before giving up. */
  STARTUP_RETRIES: int(5, 0, 100),
  STARTUP_RETRY_SECONDS: int(3, 0, 300),
  /** How often /healthz's view of Slack and Anthropic is refreshed in the background. */
  HEALTH_CHECK_SECONDS: int(60, 5, 3_600),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** json (one object per line, for log collectors) or pretty (readable lines for development). */
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).default('json'),
});

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example.`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError naming every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings (e.g. `FOO=` in a .env file) mean "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${i.message}`);
  // Checked outside the schema so it is reported together with every other problem.
  if (!present.SLACK_APP_TOKEN && !present.SLACK_SIGNING_SECRET) {
    problems.push('SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (present.DATABASE_URL && present.DATABASE_PATH) {
    problems.push('DATABASE_URL and DATABASE_PATH are both set: choose PostgreSQL or SQLite');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}
