import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Message text, file contents and secrets stay out of info-level logs;
 * the redact list is a last line of defence for fields that might carry credentials.
 */
export function createLogger(level: string): Logger {
  return pino({
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
  });
}
