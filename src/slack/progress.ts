import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { CodeRun, StepEvent } from '../claude/result.js';
import type { ThreadMessage } from '../domain.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../text/redact.js';
import { escapeMrkdwn } from '../text/slack-markdown.js';
import type { Progress } from '../turn.js';
import { ACTIONS, button, messageKeyValue } from './actions.js';
import { slackErrorCode } from './errors.js';

/** chat.update is Tier 3; one update per second per thread keeps well inside it. */
const MIN_UPDATE_INTERVAL_MS = 1_000;
/** A context block holds at most 10 elements; older finished steps are folded into a count. */
const MAX_STEPS_SHOWN = 8;

interface Step {
  id: string;
  label: string;
  status: 'running' | 'done' | 'failed';
}

/** A short human label for a code run: what it reads, computes or draws. */
export function stepLabel(kind: CodeRun['kind'], input: string): string {
  const text = input.toLowerCase();
  const file = input.match(/['"]?([\w.-]+\.(?:csv|tsv|xlsx|xls|jsonl?|parquet|txt))['"]?/i)?.[1];
  if (kind === 'file_edit') {
    const path = input.split('\n')[0]!.split(' ').slice(1).join(' ');
    return `Writing ${path.split('/').pop() || 'a script'}`;
  }
  if (/savefig|\.plot\(|plt\.|seaborn|sns\./.test(text)) return 'Plotting';
  if (/groupby|resample|pivot|agg\(|\.sum\(|\.mean\(/.test(text))
    return file ? `Aggregating ${file}` : 'Aggregating';
  if (/read_(csv|excel|json|parquet)|head |wc -l|ls /.test(text) && file) return `Reading ${file}`;
  if (/^\s*(ls|find|cat|head|file)\b/.test(text)) return 'Looking at the files';
  if (/\bcp\b.*output_dir/.test(text)) return 'Collecting output files';
  const first =
    input
      .split('\n')
      .find((l) => l.trim() !== '' && !l.trim().startsWith('#'))
      ?.trim() ?? 'code';
  return `Running \`${first.length > 50 ? `${first.slice(0, 50)}…` : first}\``;
}

const ICON = { running: '⏳', done: '✅', failed: '❌' } as const;
const HEADLINE = {
  working: '⏳ Working on it…',
  answered: '✅ Done',
  failed: '⚠️ Finished with problems',
  stopped: '🛑 Stopped',
} as const;
type State = keyof typeof HEADLINE;

/** The progress message: a headline, one line per step, and a Stop button while working. */
export function renderProgress(steps: readonly Step[], state: State, stopValue: string): KnownBlock[] {
  const shown = steps.slice(-MAX_STEPS_SHOWN);
  const folded = steps.length - shown.length;
  const lines = shown.map((s) => `${ICON[s.status]} ${escapeMrkdwn(redactSecrets(s.label))}`);
  if (folded > 0) lines.unshift(`… ${folded} earlier step${folded === 1 ? '' : 's'}`);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: HEADLINE[state] } }];
  if (lines.length > 0)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: lines.join('\n').slice(0, 2_900) }] });
  if (state === 'working') {
    blocks.push({ type: 'actions', elements: [button(ACTIONS.stop, 'Stop', stopValue, 'danger')] });
  }
  return blocks;
}

/**
 * One progress message per question, edited in place at most once a second: steps appear as code
 * runs start and are marked done or failed as results arrive. Failures here never fail the turn.
 */
export async function startProgress(
  client: WebClient,
  msg: ThreadMessage,
  log: Logger,
  existingTs?: string,
): Promise<Progress> {
  const steps: Step[] = [];
  const stopValue = messageKeyValue(msg);
  let state: State = 'working';
  let ts = existingTs;
  let lastUpdate = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const render = () => ({
    channel: msg.channelId,
    text: HEADLINE[state],
    blocks: renderProgress(steps, state, stopValue),
  });
  try {
    if (ts) await client.chat.update({ ...render(), ts });
    else ts = (await client.chat.postMessage({ ...render(), thread_ts: msg.threadTs })).ts;
  } catch (err) {
    log.warn({ code: slackErrorCode(err) }, 'could not post progress message');
  }

  const flush = () => {
    timer = undefined;
    lastUpdate = Date.now();
    if (!ts) return;
    const update = { ...render(), ts };
    flushing = flushing.then(async () => {
      try {
        await client.chat.update(update);
      } catch (err) {
        log.warn({ code: slackErrorCode(err) }, 'could not update progress message');
      }
    });
  };
  const schedule = () => {
    if (timer) return;
    const wait = Math.max(0, lastUpdate + MIN_UPDATE_INTERVAL_MS - Date.now());
    timer = setTimeout(flush, wait);
    timer.unref();
  };

  return {
    ts,
    step(event: StepEvent) {
      const existing = steps.find((s) => s.id === event.id);
      if (event.type === 'started' && !existing) {
        steps.push({ id: event.id, label: stepLabel(event.kind, event.input), status: 'running' });
      } else if (event.type === 'finished' && existing) {
        existing.status = event.failed ? 'failed' : 'done';
      } else return;
      schedule();
    },
    async finish(outcome: 'answered' | 'failed' | 'stopped') {
      clearTimeout(timer);
      state = outcome;
      for (const s of steps)
        if (s.status === 'running') s.status = outcome === 'answered' ? 'done' : 'failed';
      flush();
      await flushing;
    },
  };
}
