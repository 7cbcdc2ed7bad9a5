import type { AnyChunk, KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import {
  type CodeRun,
  messageKeyValue,
  RESTORE_SCRIPT,
  type StepEvent,
  type ThreadMessage,
} from '../domain.js';
import { DATA_EXTENSIONS } from '../files/formats.js';
import type { Logger } from '../log.js';
import type { Progress, StreamedAnswer } from '../ports.js';
import { slackFileName } from '../text/names.js';
import { redactSecrets } from '../text/redact.js';
import { escapeMrkdwn } from '../text/slack-markdown.js';
import { plural } from '../text/wording.js';
import { ACTIONS, button } from './actions.js';
import { AnswerDraft, SlackStream, type StreamTarget, sanitise, showablePrefix } from './answer-stream.js';
import { slackErrorCode } from './errors.js';

/** chat.update is Tier 3; one update per second per thread keeps well inside it. */
export const MIN_UPDATE_INTERVAL_MS = 1_000;
/**
 * A stream shows no sign when someone ends it with Slack's stop control; our next append learns it
 * (`stopped_by_user`). While steps are quiet (a long code run), an unchanged plan title is re-sent this often so a
 * stop takes effect within seconds. chat.appendStream is Tier 4.
 */
const STREAM_KEEPALIVE_MS = 5_000;
/** A context block holds at most 10 elements; older finished steps are folded into a count. */
const MAX_STEPS_SHOWN = 8;

interface Step {
  id: string;
  label: string;
  status: 'running' | 'done' | 'failed';
}

/**
 * A short human label for a code run: what it reads, computes or draws. Redacted here, before any cut: a label is
 * an excerpt of the code, and a cut could leave a token's tail without the prefix a pattern needs.
 */
/** A data file's name in code, quoted or not: `sales.csv`, "q3.xlsx". */
const DATA_FILE_NAME = new RegExp(
  // Longest first, so `q3.jsonl` is not read as `q3.json`.
  `['"]?([\\w.-]+\\.(?:${[...DATA_EXTENSIONS].sort((x, y) => y.length - x.length).join('|')}))['"]?`,
  'i',
);

export function stepLabel(kind: CodeRun['kind'], code: string): string {
  const input = redactSecrets(code);
  const text = input.toLowerCase();
  if (input.includes(RESTORE_SCRIPT)) return 'Re-running the earlier steps';
  const file = input.match(DATA_FILE_NAME)?.[1];
  if (kind === 'file_edit') {
    const path = input.split('\n')[0]!.split(' ').slice(1).join(' ');
    const name = path.split('/').pop();
    return `Writing ${name ? slackFileName(name) : 'a script'}`;
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
  const lines = shown.map((s) => `${ICON[s.status]} ${escapeMrkdwn(s.label)}`);
  if (folded > 0) lines.unshift(`… ${plural(folded, 'earlier step')}`);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: HEADLINE[state] } }];
  if (lines.length > 0)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: lines.join('\n').slice(0, 2_900) }] });
  if (state === 'working') {
    blocks.push({ type: 'actions', elements: [button(ACTIONS.stop, 'Stop', stopValue, 'danger')] });
  }
  return blocks;
}

/** Where the steps are shown: an edited message, or a Slack AI stream (which can also carry the answer's text). */
interface ProgressView {
  /** Shows the view; returns the message ts. */
  open(): Promise<string | undefined>;
  /** Shows the current steps, `changed` being the ones that changed since the last call, and `text` after them. */
  update(steps: readonly Step[], state: State, changed: readonly Step[], text: string): Promise<void>;
  /** Set when the view is a stream: the answer's text goes into it. */
  stream?: SlackStream;
  /** Streams only: how often to call `update` with nothing changed while working (see STREAM_KEEPALIVE_MS). */
  keepaliveMs?: number;
}

export interface ProgressOptions {
  /** The message's earlier progress view (a re-run after a restart or Retry): edited instead of a new one. */
  existingTs?: string | undefined;
  /** Slack's own stop control was used on the stream: stop the turn as our Stop button does. */
  onStoppedByUser?: () => void;
  /** A streamed message older than this continues in a new one (Slack ends streams after about five minutes). */
  streamMaxAgeMs: number;
  /** How long to wait between two updates now (live views share Slack's rate tiers); default once a second. */
  updateIntervalMs?: () => number;
}

/**
 * Answer text starts streaming once this much of it is known: narration before a code run ("Let me load the
 * file") is shorter and never streams, and a short answer is posted whole, as before.
 */
export const STREAM_FROM_CHARS = 400;

/**
 * The live view of one question: steps appear as code runs start and are marked done or failed as results
 * arrive, and the answer's text is streamed into the thread as Claude writes it (redacted and mention-safe,
 * cut where nothing can be split), all shown at most once a second. Failures to show it never fail the turn.
 *
 * In DMs (and the assistant pane) steps and text share one Slack AI stream (a plan with task chunks); elsewhere,
 * or if that stream is refused, steps are one message edited in place and the text streams in its own message.
 */
export async function startProgress(
  client: WebClient,
  msg: ThreadMessage,
  log: Logger,
  opts: ProgressOptions,
): Promise<Progress> {
  const steps: Step[] = [];
  const changed = new Set<Step>();
  let state: State = 'working';
  let lastUpdate = 0;
  let timer: NodeJS.Timeout | undefined;
  let showing: Promise<void> = Promise.resolve();
  let stoppedByUser = false;
  const allowed = [msg.userId];
  const draft = new AnswerDraft();
  /** The answer's text Slack shows (sanitised); `textBroken` once nothing more can be added to it. */
  let shown = '';
  let textBroken = false;
  const target: StreamTarget = {
    channel: msg.channelId,
    thread_ts: msg.threadTs,
    recipient_user_id: msg.userId,
    recipient_team_id: msg.teamId,
  };

  const { existingTs } = opts;
  let view =
    msg.isDirectMessage && !existingTs
      ? streamView(client, msg, target, opts.streamMaxAgeMs, () => steps)
      : messageView(client, msg, existingTs);
  let ts = await view.open().catch((err: unknown) => {
    log.warn({ code: slackErrorCode(err) }, 'could not show progress');
    return undefined;
  });
  if (!ts && view.stream) {
    view = messageView(client, msg, undefined); // streaming refused: fall back to an edited message
    ts = await view.open().catch(() => undefined);
  }
  /** Beside an edited progress message, the answer's text streams in a message of its own, started when due. */
  const ownTextStream = view.stream
    ? undefined
    : new SlackStream(client, target, { maxAgeMs: opts.streamMaxAgeMs });

  /** New answer text to show: what can safely be shown now, or at the end the whole answer. */
  const nextText = (final: string | undefined): string => {
    if (textBroken || stoppedByUser) return '';
    const next = final !== undefined ? sanitise(final, allowed) : showablePrefix(draft.raw, allowed);
    if (next === undefined) return '';
    if (!next.startsWith(shown)) {
      // Claude wrote on after the streamed text in a way it cannot continue (it was narration before a code run,
      // or the response was re-sent): the full answer is posted instead.
      if (shown !== '') textBroken = true;
      return '';
    }
    if (shown === '' && (final !== undefined || next.length < STREAM_FROM_CHARS)) return '';
    return next.slice(shown.length);
  };

  const stopped = () => {
    stoppedByUser = true;
    log.info({ messageTs: msg.messageTs }, "stopped with Slack's stop control");
    opts.onStoppedByUser?.();
  };

  /** Streams `text` into the answer's own message (beside an edited progress message); the final call stops it. */
  const showOwnText = async (stream: SlackStream, text: string, final: boolean) => {
    if (final && textBroken) {
      if (stream.ts && !stream.stopped) await stream.stop([]).catch(() => undefined);
      return;
    }
    if (!text && !(final && stream.ts)) return;
    try {
      const chunks: AnyChunk[] = text ? [{ type: 'markdown_text', text }] : [];
      if (!stream.ts) {
        await stream.start(chunks);
        shown += text;
        if (final) await stream.stop([]);
      } else {
        await (final ? stream.stop(chunks) : stream.append(chunks));
        shown += text;
      }
    } catch (err) {
      const code = slackErrorCode(err);
      textBroken = true;
      if (code === 'stopped_by_user') return stopped();
      log.warn({ code, shownChars: shown.length }, 'could not stream the answer; it is posted instead');
    }
  };

  const show = (final?: { markdown: string | undefined }) => {
    timer = undefined;
    lastUpdate = Date.now();
    const snapshot = {
      steps: steps.map((s) => ({ ...s })),
      state,
      changed: [...changed].map((s) => ({ ...s })),
    };
    changed.clear();
    showing = showing.then(async () => {
      // Ended without an answer (stopped, refused, failed): nothing more of the draft is shown.
      const text = final && final.markdown === undefined ? '' : nextText(final?.markdown);
      // A stream stopped with Slack's control is closed: Slack refuses any further append or stop on it.
      if (ts && !(stoppedByUser && view.stream)) {
        try {
          await view.update(snapshot.steps, snapshot.state, snapshot.changed, view.stream ? text : '');
          if (view.stream) shown += text;
        } catch (err) {
          const code = slackErrorCode(err);
          if (view.stream) textBroken = true;
          if (code === 'stopped_by_user') return stopped();
          log.warn({ code }, 'could not update progress');
        }
      }
      if (ownTextStream && !stoppedByUser) await showOwnText(ownTextStream, text, final !== undefined);
    });
  };
  const every = view.keepaliveMs;
  const keepalive =
    every && ts
      ? setInterval(() => {
          if (!timer && state === 'working' && Date.now() - lastUpdate >= every) show();
        }, every)
      : undefined;
  keepalive?.unref();
  const schedule = () => {
    if (timer) return;
    const interval = opts.updateIntervalMs?.() ?? MIN_UPDATE_INTERVAL_MS;
    timer = setTimeout(show, Math.max(0, lastUpdate + interval - Date.now()));
    timer.unref();
  };

  return {
    ts,
    step(event: StepEvent) {
      draft.toolUsed();
      let step = steps.find((s) => s.id === event.id);
      if (event.type === 'started' && !step) {
        step = { id: event.id, label: stepLabel(event.kind, event.input), status: 'running' };
        steps.push(step);
      } else if (event.type === 'finished' && step) {
        step.status = event.failed ? 'failed' : 'done';
      } else return;
      changed.add(step);
      schedule();
    },
    text(delta, blockSoFar) {
      draft.text(delta, blockSoFar);
      schedule();
    },
    async finish(outcome, answerMarkdown): Promise<StreamedAnswer> {
      clearTimeout(timer);
      clearInterval(keepalive);
      state = outcome;
      for (const s of steps) {
        if (s.status !== 'running') continue;
        s.status = outcome === 'answered' ? 'done' : 'failed';
        changed.add(s);
      }
      show({ markdown: answerMarkdown });
      await showing;
      if (shown === '') return 'none';
      return textBroken || stoppedByUser || answerMarkdown === undefined ? 'part' : 'all';
    },
  };
}

/** One message in the thread, edited in place (chat.update is Tier 3). */
function messageView(client: WebClient, msg: ThreadMessage, existingTs: string | undefined): ProgressView {
  let ts = existingTs;
  const stopValue = messageKeyValue(msg);
  const render = (steps: readonly Step[], state: State) => ({
    channel: msg.channelId,
    text: HEADLINE[state],
    blocks: renderProgress(steps, state, stopValue),
  });
  return {
    async open() {
      if (ts) await client.chat.update({ ...render([], 'working'), ts });
      else ts = (await client.chat.postMessage({ ...render([], 'working'), thread_ts: msg.threadTs })).ts;
      return ts;
    },
    async update(steps, state) {
      if (ts) await client.chat.update({ ...render(steps, state), ts });
    },
  };
}

const TASK_STATUS = { running: 'in_progress', done: 'complete', failed: 'error' } as const;
const PLAN_TITLE = {
  working: 'Analysing your data',
  answered: 'Done',
  failed: 'Finished with problems',
  stopped: 'Stopped',
};
/** The plan title of a streamed message continued in a new one (see SlackStream). */
const CONTINUED_TITLE = 'Continued below';

/**
 * Slack's AI streaming message: a plan with one task per code run and a Stop button, then the answer's text;
 * closed when done, and continued in a new message (plan and Stop again) before Slack's stream age limit.
 */
function streamView(
  client: WebClient,
  msg: ThreadMessage,
  target: StreamTarget,
  maxAgeMs: number,
  allSteps: () => readonly Step[],
): ProgressView {
  const tasks = (steps: readonly Step[]): AnyChunk[] =>
    steps.map((s) => ({
      type: 'task_update',
      id: s.id,
      title: s.label,
      status: TASK_STATUS[s.status],
    }));
  const opening = (): AnyChunk[] => [
    { type: 'plan_update', title: PLAN_TITLE.working },
    ...tasks(allSteps()),
    {
      type: 'blocks',
      blocks: [{ type: 'actions', elements: [button(ACTIONS.stop, 'Stop', messageKeyValue(msg), 'danger')] }],
    },
  ];
  const stream = new SlackStream(client, target, {
    maxAgeMs,
    taskDisplayMode: 'plan',
    rollover: { close: () => [{ type: 'plan_update', title: CONTINUED_TITLE }], reopen: opening },
  });
  const withText = (chunks: AnyChunk[], text: string): AnyChunk[] =>
    text ? [...chunks, { type: 'markdown_text', text }] : chunks;
  return {
    stream,
    open: () => stream.start(opening()),
    keepaliveMs: STREAM_KEEPALIVE_MS,
    async update(_steps, state, changed, text) {
      if (!stream.ts || stream.stopped) return;
      if (state === 'working') {
        const chunks: AnyChunk[] =
          changed.length > 0 || text ? tasks(changed) : [{ type: 'plan_update', title: PLAN_TITLE.working }];
        await stream.append(withText(chunks, text));
        return;
      }
      await stream.stop([
        ...withText(tasks(changed), text),
        { type: 'plan_update', title: PLAN_TITLE[state] },
      ]);
    },
  };
}
