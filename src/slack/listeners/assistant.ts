import { type App, Assistant, type AssistantConfig } from '@slack/bolt';
import { type ThreadMessage, threadKeyOf } from '../../domain.js';
import { formatList } from '../../files/formats.js';
import type { Logger } from '../../log.js';
import { slackErrorCode } from '../errors.js';
import { type IncomingEvent, toThreadMessage } from './thread-message.js';

export interface AssistantDeps {
  /** Fast: records the message and queues it (intake.receive), awaited before the ack. */
  receive: (msg: ThreadMessage) => Promise<boolean>;
  log: Logger;
}

export const GREETING = `👋 Hi! Ask me a data question, or upload a ${formatList()} file — I'll run the analysis and show you the numbers.`;

export const SUGGESTED_PROMPTS = [
  {
    title: 'Summarise a CSV I upload',
    message:
      'Summarise the CSV I am about to upload: columns and their types, row count, missing values and anything unusual.',
  },
  {
    title: 'Chart a metric by month',
    message: 'Chart revenue by month from the file I uploaded, and tell me which month was the best.',
  },
  {
    title: 'Find outliers',
    message: 'Find outliers in the numeric columns of my data and explain how you detected them.',
  },
] as const;

export const MAX_TITLE_CHARS = 60;
/** Threads remembered (in memory) as already titled; older ones may get a new title after a restart. */
const MAX_REMEMBERED = 10_000;

type ContextStore = NonNullable<AssistantConfig['threadContextStore']>;
type ThreadContext = Awaited<ReturnType<ContextStore['get']>>;

/**
 * Slack's AI assistant container (the split pane). Bolt's Assistant middleware takes *every* DM message that
 * has a thread_ts (they never reach app.message), so DM thread follow-ups must enter the pipeline here.
 * Top-level DMs still reach app.message.
 */
export function registerAssistant(app: App, deps: AssistantDeps): void {
  const titled = new BoundedSet(MAX_REMEMBERED);
  /** UI courtesies run after the listener returns: HTTP mode holds Slack's ack until then. */
  const background = (what: string, work: Promise<unknown>) =>
    void work.catch((err: unknown) =>
      deps.log.warn({ code: slackErrorCode(err) }, `assistant: ${what} failed`),
    );

  app.assistant(
    new Assistant({
      threadContextStore: perThreadContextStore(MAX_REMEMBERED),
      threadStarted: async ({ say, setSuggestedPrompts, saveThreadContext }) => {
        await saveThreadContext(); // in memory: the channel the user opened the pane from
        background(
          'greeting',
          (async () => {
            await say(GREETING);
            await setSuggestedPrompts({ title: 'Try one of these:', prompts: [...SUGGESTED_PROMPTS] });
          })(),
        );
      },
      threadContextChanged: async ({ saveThreadContext }) => {
        await saveThreadContext();
      },
      userMessage: async ({ message, body, context, setTitle }) => {
        const msg = toThreadMessage(message as IncomingEvent, {
          teamId: context.teamId ?? body.team_id,
          botUserId: context.botUserId ?? '',
          eventId: body.event_id,
        });
        if (!msg) return;
        const accepted = await deps.receive(msg);
        const key = threadKeyOf(msg);
        if (accepted && msg.text !== '' && !titled.has(key)) {
          titled.add(key);
          background('setTitle', setTitle(titleFrom(msg.text)));
        }
      },
    }),
  );
}

/** The thread title: the question's first line, whitespace collapsed, at most 60 characters. */
export function titleFrom(text: string): string {
  const line =
    text
      .split('\n')
      .map((l) => l.replace(/\s+/g, ' ').trim())
      .find((l) => l !== '') ?? '';
  if (line.length <= MAX_TITLE_CHARS) return line;
  const cut = line.slice(0, MAX_TITLE_CHARS - 1);
  const atWord = cut.replace(/\s+\S*$/, '');
  return `${atWord.length >= MAX_TITLE_CHARS / 2 ? atWord : cut}…`;
}

/**
 * Bolt's DefaultThreadContextStore keeps one context for the whole process (the last one saved is returned for
 * every thread) and reads/rewrites thread messages to do it. This one keeps each thread's context separately,
 * in memory: the bot does not use the context for answers, it only keeps `say` from leaking one user's channel
 * into another user's thread metadata.
 */
export function perThreadContextStore(max: number): ContextStore {
  const contexts = new Map<string, ThreadContext>();
  const keyOf = (payload: unknown): string | undefined => {
    const p = payload as {
      channel?: unknown;
      thread_ts?: unknown;
      assistant_thread?: { channel_id?: unknown; thread_ts?: unknown };
    };
    const channel = p.assistant_thread?.channel_id ?? p.channel;
    const threadTs = p.assistant_thread?.thread_ts ?? p.thread_ts;
    return typeof channel === 'string' && typeof threadTs === 'string' ? `${channel}:${threadTs}` : undefined;
  };
  return {
    async get({ payload }) {
      const key = keyOf(payload);
      return (key && contexts.get(key)) || {};
    },
    async save({ payload }) {
      const key = keyOf(payload);
      const context = (payload as { assistant_thread?: { context?: ThreadContext } }).assistant_thread
        ?.context;
      if (!key || !context) return;
      contexts.delete(key);
      contexts.set(key, { ...context });
      if (contexts.size > max) contexts.delete(contexts.keys().next().value!);
    },
  };
}

class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    return this.items.has(key);
  }
  add(key: string): void {
    this.items.add(key);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value!);
  }
}
