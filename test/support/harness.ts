import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { type Bot, createBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { type FakeAnthropic, startFakeAnthropic } from './fakes/fake-anthropic.js';
import {
  type FakeSlack,
  loadFixture,
  type PostedMessage,
  sendEvent,
  signSlackRequest,
  startFakeSlack,
} from './fakes/fake-slack.js';
import { freePort } from './fakes/free-port.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const CHANNEL = 'C07DATATEAM';
export const HUMAN = 'U04ANALYST7';
export const OTHER_HUMAN = 'U05DATAENG3';

let tsCounter = 0;
/** A fresh, increasing Slack message ts. */
export function nextTs(): string {
  tsCounter += 1;
  return `${1795700000 + tsCounter}.${String(100000 + tsCounter).padStart(6, '0')}`;
}
let eventCounter = 0;
const nextEventId = () => `Ev0TEST${String(++eventCounter).padStart(5, '0')}`;

export interface Harness {
  slack: FakeSlack;
  anthropic: FakeAnthropic;
  bot: Bot;
  eventsUrl: string;
  dbPath: string;
  /** Sends a signed Events API envelope to the bot. */
  send(
    envelope: object,
    opts?: { retryNum?: number; badSignature?: boolean },
  ): Promise<{ status: number; body: string }>;
  /** A mention as Slack delivers it: app_mention plus the message twin. Returns the message ts. */
  mention(text: string, opts?: { threadTs?: string; files?: object[]; user?: string }): Promise<string>;
  /** A plain message (thread follow-up or channel chatter) as a `message` event. */
  message(
    text: string,
    opts?: { threadTs?: string; files?: object[]; user?: string; channelType?: string; channel?: string },
  ): Promise<string>;
  thread(threadTs: string, channel?: string): PostedMessage[];
  /** Posts a signed interactivity payload (form-encoded `payload=<json>`), as Slack does for button clicks. */
  interact(payload: object): Promise<{ status: number; body: string }>;
  /**
   * Clicks the button with `actionId` on a message the bot posted, as `user`. `value` overrides the
   * button's value (to forge one).
   */
  click(
    message: PostedMessage,
    actionId: string,
    opts?: { user?: string; value?: string },
  ): Promise<{ status: number; body: string }>;
  /** Clicks 👍 or 👎 of the feedback buttons (a `context_actions` block) on an answer, as `user`. */
  rate(
    message: PostedMessage,
    rating: 'up' | 'down',
    opts?: { user?: string },
  ): Promise<{ status: number; body: string }>;
  /** Waits until the bot has posted in the thread and finished (its inbox is empty). */
  settle(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The environment that points a bot at the loopback fakes, its database in `dir`: HTTP mode (signing secret),
 * or Socket Mode when `SLACK_APP_TOKEN` is among `extra`.
 */
export function fakeBotEnv(
  fakes: { slack: { botToken: string; apiUrl: string }; anthropic: { url: string } },
  where: { port: number; dir: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: fakes.slack.botToken,
    ...(extra.SLACK_APP_TOKEN ? {} : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    SLACK_API_URL: fakes.slack.apiUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: fakes.anthropic.url,
    PORT: String(where.port),
    DATABASE_PATH: join(where.dir, 'bot.db'),
    ...extra,
  };
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-e2e-'));
  const dbPath = join(dir, 'bot.db');
  const port = await freePort();
  const config = loadConfig(
    fakeBotEnv(
      { slack, anthropic },
      { port, dir },
      {
        SLACK_MAX_RETRIES: '1',
        ANTHROPIC_MAX_RETRIES: '0',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...env,
      },
    ),
  );
  const log = createLogger(config.LOG_LEVEL);
  let bot: Bot;
  try {
    bot = await createBot(config, log);
    await bot.start();
  } catch (err) {
    // A bot that did not start must not leave its fakes listening after the test.
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;

  const envelope = (event: Record<string, unknown>) => ({
    ...loadFixture('message_thread_followup'),
    event,
    event_id: nextEventId(),
    event_time: Math.floor(Date.now() / 1000),
  });

  const h: Harness = {
    slack,
    anthropic,
    get bot() {
      return bot;
    },
    eventsUrl,
    dbPath,
    send: (body, opts = {}) => sendEvent(eventsUrl, body, { signingSecret: SIGNING_SECRET, ...opts }),
    async mention(text, opts = {}) {
      const ts = nextTs();
      const base = {
        text: `<@${slack.botUserId}> ${text}`,
        user: opts.user ?? HUMAN,
        ts,
        channel: CHANNEL,
        event_ts: ts,
        ...(opts.threadTs ? { thread_ts: opts.threadTs, parent_user_id: HUMAN } : {}),
        ...(opts.files ? { files: opts.files, upload: false } : {}),
        team: slack.teamId,
      };
      slack.recordHumanMessage({ ...base, ...(opts.files ? { files: opts.files } : {}) });
      await expectOk(h.send(envelope({ ...base, type: 'app_mention' })));
      await expectOk(
        h.send(
          envelope({
            ...base,
            type: 'message',
            channel_type: 'channel',
            ...(opts.files ? { subtype: 'file_share' } : {}),
          }),
        ),
      );
      return ts;
    },
    async message(text, opts = {}) {
      const ts = nextTs();
      slack.recordHumanMessage({
        channel: opts.channel ?? CHANNEL,
        ts,
        user: opts.user ?? HUMAN,
        text,
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
        ...(opts.files ? { files: opts.files } : {}),
      });
      await expectOk(
        h.send(
          envelope({
            type: 'message',
            text,
            user: opts.user ?? HUMAN,
            ts,
            channel: opts.channel ?? CHANNEL,
            channel_type: opts.channelType ?? 'channel',
            event_ts: ts,
            team: slack.teamId,
            ...(opts.threadTs ? { thread_ts: opts.threadTs, parent_user_id: HUMAN } : {}),
            ...(opts.files ? { files: opts.files, subtype: 'file_share', upload: false } : {}),
          }),
        ),
      );
      return ts;
    },
    thread: (threadTs, channel = CHANNEL) => slack.messages(channel, threadTs),
    interact: (payload) => postSigned(eventsUrl, `payload=${encodeURIComponent(JSON.stringify(payload))}`),
    click(message, actionId, opts = {}) {
      const button = buttonsOf(message).find((b) => b.action_id === actionId);
      if (!button && opts.value === undefined)
        throw new Error(`no ${actionId} button on message ${message.ts}`);
      return h.interact(
        blockActions(slack, message, actionId, opts.value ?? button!.value, opts.user ?? HUMAN),
      );
    },
    rate(message, rating, opts = {}) {
      const feedback = (message.blocks ?? [])
        .flatMap((b) =>
          (b as { type?: string }).type === 'context_actions'
            ? (b as { elements: FeedbackElement[] }).elements
            : [],
        )
        .find((e) => e.type === 'feedback_buttons');
      if (!feedback) throw new Error(`no feedback buttons on message ${message.ts}`);
      const side = rating === 'up' ? feedback.positive_button : feedback.negative_button;
      return h.interact(
        blockActions(slack, message, feedback.action_id, side.value, opts.user ?? HUMAN, 'feedback_buttons'),
      );
    },
    async settle() {
      const deadline = Date.now() + 15_000;
      await new Promise((r) => setTimeout(r, 30));
      while (bot.worker.pending > 0) {
        if (Date.now() > deadline) throw new Error('bot did not settle within 15 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async restart() {
      await bot.stop(5_000);
      bot = await createBot(config, log);
      await bot.start();
    },
    async close() {
      await bot.stop(1_000).catch(() => undefined);
      await Promise.all([slack.close(), anthropic.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

async function expectOk(res: Promise<{ status: number; body: string }>): Promise<void> {
  const { status, body } = await res;
  if (status !== 200) throw new Error(`Slack event was not acknowledged: ${status} ${body}`);
}

/** All text the bot posted in a thread, blocks included (markdown, section and context text), for assertions. */
export function threadText(messages: PostedMessage[]): string {
  const blockText = (b: unknown): string[] => {
    const block = b as { text?: string | { text?: string }; elements?: { text?: string }[] };
    const text = typeof block.text === 'string' ? block.text : (block.text?.text ?? '');
    return [text, ...(block.elements ?? []).map((e) => e.text ?? '')];
  };
  return messages
    .map((m) => [m.text ?? '', ...(m.blocks ?? []).flatMap(blockText)].join('\n'))
    .join('\n---\n');
}

/** Builders for scripted Claude content blocks. */
export const blocks = {
  text: (text: string): Anthropic.TextBlock => ({ type: 'text', text, citations: null }),
  bash(id: string, command: string): Anthropic.ServerToolUseBlock {
    return {
      type: 'server_tool_use',
      id,
      name: 'bash_code_execution',
      input: { command },
      caller: { type: 'direct' },
    } as Anthropic.ServerToolUseBlock;
  },
  bashResult(
    id: string,
    r: { stdout?: string; stderr?: string; returnCode?: number; fileIds?: string[] },
  ): Anthropic.BashCodeExecutionToolResultBlock {
    return {
      type: 'bash_code_execution_tool_result',
      tool_use_id: id,
      content: {
        type: 'bash_code_execution_result',
        stdout: r.stdout ?? '',
        stderr: r.stderr ?? '',
        return_code: r.returnCode ?? 0,
        content: (r.fileIds ?? []).map((file_id) => ({
          type: 'bash_code_execution_output' as const,
          file_id,
        })),
      },
    };
  },
  /** A text editor call, e.g. `{ command: 'create', path: '/tmp/x.py', file_text: '…' }`. */
  editor(id: string, input: Record<string, string>): Anthropic.ServerToolUseBlock {
    return {
      type: 'server_tool_use',
      id,
      name: 'text_editor_code_execution',
      input,
      caller: { type: 'direct' },
    } as Anthropic.ServerToolUseBlock;
  },
  editorCreated(id: string): Anthropic.TextEditorCodeExecutionToolResultBlock {
    return {
      type: 'text_editor_code_execution_tool_result',
      tool_use_id: id,
      content: { type: 'text_editor_code_execution_create_result', is_file_update: false },
    };
  },
  bashError(
    id: string,
    errorCode: Anthropic.BashCodeExecutionToolResultErrorCode,
  ): Anthropic.BashCodeExecutionToolResultBlock {
    return {
      type: 'bash_code_execution_tool_result',
      tool_use_id: id,
      content: { type: 'bash_code_execution_tool_result_error', error_code: errorCode },
    };
  },
};

/** Messages that carry Markdown (answers and notices), as opposed to the progress message. */
export function markdownPosts(messages: PostedMessage[]): PostedMessage[] {
  return messages.filter((m) => (m.blocks ?? []).some((b) => (b as { type?: string }).type === 'markdown'));
}

/** The progress message(s) of a thread. */
export function progressPosts(messages: PostedMessage[]): PostedMessage[] {
  return messages.filter(
    (m) =>
      !(m.blocks ?? []).some((b) =>
        ['markdown', 'data_table'].includes((b as { type?: string }).type ?? ''),
      ) && !m.files,
  );
}

interface FeedbackElement {
  type: string;
  action_id: string;
  positive_button: { value: string };
  negative_button: { value: string };
}

interface PostedButton {
  action_id: string;
  value: string;
}

/** The buttons of a posted message's actions blocks. */
export function buttonsOf(message: PostedMessage): PostedButton[] {
  return (message.blocks ?? []).flatMap((b) => {
    const block = b as { type?: string; elements?: PostedButton[] };
    return block.type === 'actions' ? (block.elements ?? []) : [];
  });
}

/** A block_actions payload in Slack's documented shape, for a click on a button of `message`. */
function blockActions(
  slack: FakeSlack,
  message: PostedMessage,
  actionId: string,
  value: string,
  user: string,
  type: 'button' | 'feedback_buttons' = 'button',
) {
  const thread = message.thread_ts ? { thread_ts: message.thread_ts } : {};
  return {
    type: 'block_actions',
    user: { id: user, username: 'analyst', name: 'analyst', team_id: slack.teamId },
    api_app_id: 'A08CSVAN1YZ',
    token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
    container: {
      type: 'message',
      message_ts: message.ts,
      channel_id: message.channel,
      is_ephemeral: false,
      ...thread,
    },
    trigger_id: '1795700000.123.abcdef',
    team: { id: slack.teamId, domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: 'data-team' },
    message: {
      type: 'message',
      user: slack.botUserId,
      bot_id: slack.botId,
      ts: message.ts,
      ...thread,
      text: message.text ?? '',
      blocks: message.blocks ?? [],
    },
    state: { values: {} },
    response_url: 'https://hooks.slack.com/actions/T07QWERT1AB/1/abc',
    actions: [
      {
        action_id: actionId,
        block_id: 'actions',
        type,
        value,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** POSTs a form-encoded body signed like Slack's interactivity requests. */
async function postSigned(url: string, body: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(body, SIGNING_SECRET),
    },
    body,
  });
  return { status: res.status, body: await res.text() };
}

/** A scripted Claude reply that is just text. */
export const textReply = (text: string) => ({ kind: 'message' as const, content: [blocks.text(text)] });
