import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

// Token-shaped values are assembled at runtime so no credential-shaped literal is committed.
const j = (...parts: string[]) => parts.join('');
const botToken = j('xoxb-', '1111-2222-', 'abcdef');
const appToken = j('xapp-', '1-A1-', 'abcdef');
const signingSecret = '0123456789abcdef';

/** Minimal valid Socket Mode environment. */
const socket = { SLACK_BOT_TOKEN: botToken, SLACK_APP_TOKEN: appToken, ANTHROPIC_API_KEY: 'test-key' };
/** Minimal valid HTTP mode environment. */
const http = {
  SLACK_BOT_TOKEN: botToken,
  SLACK_SIGNING_SECRET: signingSecret,
  ANTHROPIC_API_KEY: 'test-key',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig defaults', () => {
  it('fills every optional setting with its documented default', () => {
    const config = loadConfig(socket);
    expect(config).toMatchObject({
      SLACK_TIMEOUT_MS: 15_000,
      SLACK_MAX_RETRIES: 3,
      ANTHROPIC_MODEL: 'claude-sonnet-5-5',
      CODE_EXECUTION_TOOL: 'code_execution_20260521',
      ANTHROPIC_MAX_TOKENS: 16_000,
      ANTHROPIC_MAX_RETRIES: 2,
      ANTHROPIC_TIMEOUT_MS: 600_000,
      MAX_PAUSE_CONTINUATIONS: 5,
      HISTORY_TOKEN_BUDGET: 120_000,
      PORT: 3000,
      DATABASE_PATH: './data/slack-analyst.db',
      MAX_FILE_MB: 200,
      MAX_CONCURRENT_TURNS: 4,
      MAX_QUEUED_MESSAGES: 200,
      TURN_TIMEOUT_SECONDS: 900,
      DELETE_OUTPUT_FILES: true,
      LOG_LEVEL: 'info',
    });
    expect(config.SLACK_API_URL).toBeUndefined();
    expect(config.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(config.SLACK_SIGNING_SECRET).toBeUndefined();
  });

  it('ignores variables it does not know (the rest of process.env)', () => {
    expect(() => loadConfig({ ...socket, PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });
});

describe('loadConfig modes', () => {
  it('Socket Mode needs no signing secret', () => {
    expect(loadConfig(socket).SLACK_APP_TOKEN).toBe(appToken);
  });

  it('HTTP mode starts with a signing secret and no app token', () => {
    const config = loadConfig(http);
    expect(config.SLACK_APP_TOKEN).toBeUndefined();
    expect(config.SLACK_SIGNING_SECRET).toBe(signingSecret);
  });

  it('HTTP mode without a signing secret is refused, pointing at Socket Mode as the alternative', () => {
    const problems = problemsOf({ SLACK_BOT_TOKEN: botToken, ANTHROPIC_API_KEY: 'k' });
    expect(problems).toEqual([
      'SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
    ]);
  });

  it('rejects an app token that is not an xapp- token', () => {
    expect(problemsOf({ ...socket, SLACK_APP_TOKEN: botToken })).toEqual([
      'SLACK_APP_TOKEN must start with xapp-',
    ]);
  });
});

describe('loadConfig errors', () => {
  it('names every problem in one ConfigError, the HTTP-mode signing secret included', () => {
    let error: unknown;
    try {
      loadConfig({ SLACK_BOT_TOKEN: j('xoxp-', '1111-2222-', 'user') });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('SLACK_BOT_TOKEN must start with xoxb-');
    expect(message).toContain('ANTHROPIC_API_KEY is required');
    expect(message).toContain('SLACK_SIGNING_SECRET is required in HTTP mode');
  });

  it('names several field problems at once, one line each', () => {
    const problems = problemsOf({
      ...socket,
      SLACK_BOT_TOKEN: undefined,
      PORT: 'eighty',
      LOG_LEVEL: 'verbose',
      SLACK_API_URL: 'ftp://files.example.com',
    });
    expect(problems).toHaveLength(4);
    expect(problems).toContain('SLACK_BOT_TOKEN is required');
    expect(problems.some((p) => p.startsWith('PORT '))).toBe(true);
    expect(problems.some((p) => p.startsWith('LOG_LEVEL '))).toBe(true);
    expect(problems).toContain('SLACK_API_URL must be an http(s) URL');
  });

  it('formats the message as a list that points at .env.example', () => {
    expect(() => loadConfig({})).toThrow(/^Invalid configuration:\n {2}- .+\n[\s\S]*See \.env\.example\.$/);
  });

  it('does not echo a rejected token value into the error', () => {
    const userToken = j('xoxp-', '9999-8888-', 'SECRETPART');
    expect(() => loadConfig({ ...socket, SLACK_BOT_TOKEN: userToken })).toThrow(ConfigError);
    try {
      loadConfig({ ...socket, SLACK_BOT_TOKEN: userToken });
    } catch (err) {
      expect((err as Error).message).not.toContain('SECRETPART');
    }
  });

  it('rejects an unknown code execution tool version', () => {
    const problems = problemsOf({ ...socket, CODE_EXECUTION_TOOL: 'code_execution_19990101' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^CODE_EXECUTION_TOOL /);
  });
});

describe('loadConfig: empty strings count as unset', () => {
  it('an empty app token means HTTP mode, so the signing secret becomes required', () => {
    expect(problemsOf({ ...socket, SLACK_APP_TOKEN: '' })).toEqual([
      'SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
    ]);
  });

  it('an empty required variable is reported as missing', () => {
    expect(problemsOf({ ...socket, ANTHROPIC_API_KEY: '' })).toEqual(['ANTHROPIC_API_KEY is required']);
  });

  it('empty optional variables take their defaults', () => {
    const config = loadConfig({
      ...socket,
      PORT: '',
      DELETE_OUTPUT_FILES: '',
      SLACK_API_URL: '',
      SLACK_SIGNING_SECRET: '',
      LOG_LEVEL: '',
    });
    expect(config.PORT).toBe(3000);
    expect(config.DELETE_OUTPUT_FILES).toBe(true);
    expect(config.SLACK_API_URL).toBeUndefined();
    expect(config.SLACK_SIGNING_SECRET).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
  });
});

describe('loadConfig parsing', () => {
  it('parses numbers from strings', () => {
    const config = loadConfig({ ...socket, PORT: '8080', MAX_CONCURRENT_TURNS: '8', MAX_FILE_MB: '50' });
    expect(config.PORT).toBe(8080);
    expect(config.MAX_CONCURRENT_TURNS).toBe(8);
    expect(config.MAX_FILE_MB).toBe(50);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '0'],
    ['MAX_CONCURRENT_TURNS', '0'],
    ['MAX_CONCURRENT_TURNS', '2.5'],
    ['TURN_TIMEOUT_SECONDS', '0'],
    ['MAX_FILE_MB', '-1'],
  ])('rejects %s=%s', (name, value) => {
    const problems = problemsOf({ ...socket, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.startsWith(`${name} `)).toBe(true);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads DELETE_OUTPUT_FILES=%s as %s', (value, expected) => {
    expect(loadConfig({ ...socket, DELETE_OUTPUT_FILES: value }).DELETE_OUTPUT_FILES).toBe(expected);
  });

  it('rejects a boolean it cannot read', () => {
    expect(problemsOf({ ...socket, DELETE_OUTPUT_FILES: 'maybe' })).toEqual([
      'DELETE_OUTPUT_FILES must be true or false',
    ]);
  });

  it('strips trailing slashes from base URLs', () => {
    const config = loadConfig({
      ...socket,
      SLACK_API_URL: 'https://slack-gov.example.com/api/',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8787//',
    });
    expect(config.SLACK_API_URL).toBe('https://slack-gov.example.com/api');
    expect(config.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:8787');
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(problemsOf({ ...socket, ANTHROPIC_BASE_URL: 'not a url' })).toEqual([
      'ANTHROPIC_BASE_URL must be an http(s) URL',
    ]);
  });

  it('bounds the start-up retries and the health check interval', () => {
    expect(loadConfig(socket)).toMatchObject({
      STARTUP_RETRIES: 5,
      STARTUP_RETRY_SECONDS: 3,
      HEALTH_CHECK_SECONDS: 60,
    });
    expect(problemsOf({ ...socket, STARTUP_RETRIES: '-1', HEALTH_CHECK_SECONDS: '1' })).toEqual([
      'STARTUP_RETRIES must be at least 0',
      'HEALTH_CHECK_SECONDS must be at least 5',
    ]);
    expect(problemsOf({ ...socket, LOG_FORMAT: 'xml' })).toEqual(['LOG_FORMAT must be json or pretty']);
  });
});
