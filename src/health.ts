import type { Logger } from './log.js';
import type { CheckResult } from './startup.js';
import type { DatabaseHealth } from './store/index.js';

/** `rejected`: a credential or the model was refused (configuration); `unreachable`: network or 5xx. */
export type ServiceState = 'ok' | 'rejected' | 'unreachable';

export interface HealthDeps {
  probeSlack(): Promise<CheckResult<unknown>>;
  probeAnthropic(signal: AbortSignal): Promise<CheckResult<unknown>>;
  /** The store's own (cached) write probe: full, read-only and locked all fail it. */
  database(): Promise<DatabaseHealth>;
  databaseEngine: 'sqlite' | 'postgres';
  queue(): { pending: number; active: number; max: number };
  intervalMs: number;
  log: Logger;
}

export interface HealthReport {
  ok: boolean;
  slack: ServiceState;
  anthropic: ServiceState;
  /** `ok`, or why the database cannot be written (`unreachable`: PostgreSQL does not answer). */
  database: DatabaseHealth['status'];
  databaseEngine: 'sqlite' | 'postgres';
  queue: { pending: number; active: number; full: boolean };
  /** When Slack and Anthropic were last probed (ISO time). */
  checkedAt: string;
}

/**
 * What GET /healthz reports. Slack and Anthropic are probed in the background every `intervalMs`
 * (both were verified at start), never per request, so a load balancer polling /healthz costs nothing;
 * the database and queue are read on each request.
 */
export function startHealth(deps: HealthDeps) {
  let slack: ServiceState = 'ok';
  let anthropic: ServiceState = 'ok';
  let checkedAt = new Date();
  let running: Promise<void> | undefined;
  const abort = new AbortController();
  const stateOf = (r: CheckResult<unknown>): ServiceState =>
    r.ok ? 'ok' : r.failure.transient ? 'unreachable' : 'rejected';

  const probe = async () => {
    const [s, a] = await Promise.all([deps.probeSlack(), deps.probeAnthropic(abort.signal)]);
    if (abort.signal.aborted) return;
    for (const [name, before, result] of [
      ['slack', slack, s],
      ['anthropic', anthropic, a],
    ] as const) {
      const now = stateOf(result);
      if (now === before) continue;
      if (result.ok) deps.log.info({ service: name }, `${name} is reachable again`);
      else deps.log.warn({ service: name, state: now }, result.failure.message);
    }
    slack = stateOf(s);
    anthropic = stateOf(a);
    checkedAt = new Date();
  };
  /** Probes now (one probe at a time); resolves when the cached state is updated. */
  const refresh = (): Promise<void> => {
    running ??= probe().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void refresh(), deps.intervalMs);
  timer.unref();

  return {
    refresh,
    async report(): Promise<HealthReport> {
      const database = (await deps.database()).status;
      const q = deps.queue();
      const full = q.pending >= q.max;
      return {
        ok: database === 'ok' && slack === 'ok' && anthropic === 'ok' && !full,
        slack,
        anthropic,
        database,
        databaseEngine: deps.databaseEngine,
        queue: { pending: q.pending, active: q.active, full },
        checkedAt: checkedAt.toISOString(),
      };
    },
    /** Stops probing; waits for a probe in flight so nothing calls out after the bot stopped. */
    async stop(): Promise<void> {
      clearInterval(timer);
      abort.abort();
      await running;
    },
  };
}
export type Health = ReturnType<typeof startHealth>;
