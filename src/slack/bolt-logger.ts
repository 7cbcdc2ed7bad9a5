import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../log.js';

/**
 * Routes Bolt's (and a WebClient's) own logging into the structured logger. `quiet` turns its info and
 * warnings into debug lines: for probe clients, whose failures the caller reports in its own words.
 */
export function boltLogger(log: Logger, opts: { quiet?: boolean } = {}): BoltLogger {
  const child = log.child({ component: 'bolt' });
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => child.debug(text(msg)),
    info: (...msg) => (opts.quiet ? child.debug(text(msg)) : child.info(text(msg))),
    warn: (...msg) => (opts.quiet ? child.debug(text(msg)) : child.warn(text(msg))),
    error: (...msg) => child.error(text(msg)),
    setLevel: () => undefined, // the structured logger's level governs
    getLevel: () => (child.isLevelEnabled('debug') ? LogLevel.DEBUG : LogLevel.INFO),
    setName: () => undefined,
  };
}
