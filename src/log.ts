import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogFormat = 'json' | 'pretty';

/**
 * Structured JSON logs. Message text, file contents and secrets stay out of info-level logs;
 * the redact list is a last line of defence for fields that might carry credentials.
 * `pretty` writes the same records as readable lines for a developer's terminal.
 */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'slack-analyst' },
    redact: {
      paths: [
        'token',
        'botToken',
        'apiKey',
        'authorization',
        'headers.authorization',
        '*.token',
        '*.authorization',
      ],
      censor: '[redacted]',
    },
  };
  if (format === 'json') return pino(options);
  return pino(options, { write: (line: string) => process.stdout.write(prettyLine(line)) });
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

/**
 * One pino JSON record as `12:00:01 INFO  message key=value …`. A dozen lines instead of a
 * pretty-printer dependency (and its worker thread) that production would carry but never use.
 */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now())
    .toISOString()
    .slice(11, 19);
  const level = (LEVELS[record.level as number] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${time} ${level} ${[record.msg ?? '', ...fields].join(' ')}\n`;
}
