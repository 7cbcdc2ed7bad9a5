import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { threadKeyOf } from '../../src/domain.js';
import { showablePrefix, splitText } from '../../src/slack/answer-stream.js';
import type { ScriptedReply } from '../support/fakes/fake-anthropic.js';
import { loadFixture, type PostedMessage, startFakeSlack } from '../support/fakes/fake-slack.js';
import {
  blocks,
  buttonsOf,
  CHANNEL,
  type Harness,
  HUMAN,
  markdownPosts,
  nextTs,
  OTHER_HUMAN,
  startHarness,
  textReply,
  threadText,
} from '../support/harness.js';

const DM = 'D08CSVDM01X';
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A long answer, in paragraphs, as Claude writes one after its code ran. */
function longAnswer(paragraphs: number, tag = 'EMEA'): string {
  return Array.from(
    { length: paragraphs },
    (_, i) =>
      `**Finding ${i + 1}.** ${tag} grew ${(10 + i * 1.7).toFixed(1)} % quarter on quarter, ` +
      'driven by renewals in the enterprise segment; AMER and APAC trailed it by several points, ' +
      'and the gap widened in the last month of the quarter.',
  ).join('\n\n');
}

/** Claude narrates, runs code, then writes `answer` in small, paced deltas. */
function answeredAfterCode(answer: string, pace: { chars: number; delayMs: number }): ScriptedReply {
  return {
    kind: 'message',
    content: [
      blocks.text('Let me look at the data first.'),
      blocks.bash('srvtoolu_s1', 'python -c "print(42)"'),
      blocks.bashResult('srvtoolu_s1', { stdout: '42\n' }),
      blocks.text(answer),
    ],
    textDeltaChars: pace.chars,
    textDeltaDelayMs: pace.delayMs,
  };
}

/** The bot's streamed messages in a thread, oldest first. */
const streamedMessages = (messages: PostedMessage[]) =>
  messages.filter((m) => m.streamStartedAt !== undefined);
/** What Slack shows of the streamed answer: the streamed messages' text, in order. */
const streamedText = (messages: PostedMessage[]) =>
  streamedMessages(messages)
    .map((m) => m.text ?? '')
    .join('');

const waitFor = async (probe: () => boolean, what: string, ms = 10_000) => {
  for (const end = Date.now() + ms; !probe(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the answer streams into the thread', () => {
  it('in a channel thread: the streamed text is the answer (narration left out), and the rest follows it', async () => {
    h = await startHarness();
    const answer = longAnswer(12);
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 40, delayMs: 50 }));
    const ts = await h.mention('<@U08CSVBOT9K> which region grew fastest?');
    await h.settle();

    const thread = h.thread(ts);
    const [start] = h.slack.callsTo('chat.startStream');
    expect(start?.params).toMatchObject({
      channel: CHANNEL,
      thread_ts: ts,
      recipient_user_id: HUMAN,
      recipient_team_id: h.slack.teamId,
    });
    // It streamed while Claude wrote: more than one call carried text.
    expect(h.slack.callsTo('chat.appendStream').length).toBeGreaterThan(0);
    expect(streamedText(thread)).toBe(answer);
    expect(streamedMessages(thread).every((m) => !m.streaming)).toBe(true);
    // Not posted a second time: the message after the stream has the rest (run summary, receipt, buttons).
    const posts = markdownPosts(thread);
    expect(threadText(posts)).not.toContain('Finding 1');
    expect(threadText(posts)).toContain('Ran code 1 time');
    expect(JSON.stringify(posts.at(-1)?.blocks)).toContain('feedback_buttons');
    expect(JSON.stringify(posts.at(-1)?.blocks)).toContain('show_code');
    expect(threadText(thread)).not.toContain('Let me look at the data first.');
  });

  it("shows the streamed answer's Markdown tables as Slack tables after the stream", async () => {
    h = await startHarness();
    const table = '| Region | Growth |\n| --- | --- |\n| EMEA | 18.4 |\n| AMER | 9.1 |\n| APAC | 4.0 |';
    const answer = `${longAnswer(10)}\n\nGrowth by region:\n\n${table}`;
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 40, delayMs: 40 }));
    const ts = await h.mention('<@U08CSVBOT9K> growth by region?');
    await h.settle();

    const thread = h.thread(ts);
    expect(streamedText(thread)).toBe(answer);
    const tables = thread.flatMap((m) =>
      (m.blocks ?? []).filter((b) => (b as { type?: string }).type === 'data_table'),
    );
    expect(tables).toHaveLength(1);
    expect(JSON.stringify(tables[0])).toContain('EMEA');
  });

  it("never streams Claude's suggested follow-ups as text: they arrive as buttons after the stream", async () => {
    h = await startHarness();
    // Long enough that the stream is surely open before the block starts, even on a loaded machine.
    const answer = longAnswer(6);
    // Long enough to take over a second to arrive, so at least one append happens while the block is written.
    const questions = [1, 2, 3].map(
      (n) => `Question ${n}: ${'how did the enterprise segment renew '.repeat(3)}?`,
    );
    const followUps = `\`\`\`followups\n${questions.map((q) => `- ${q}`).join('\n')}\n\`\`\``;
    h.anthropic.enqueue(answeredAfterCode(`${answer}\n\n${followUps}`, { chars: 5, delayMs: 15 }));
    const ts = await h.mention('<@U08CSVBOT9K> which region grew fastest?');
    await h.settle();

    const thread = h.thread(ts);
    expect(streamedText(thread)).toBe(answer);
    const streamCalls = ['chat.startStream', 'chat.appendStream', 'chat.stopStream'].flatMap((m) =>
      h!.slack.callsTo(m),
    );
    expect(JSON.stringify(streamCalls)).not.toContain('followups');
    const buttons = buttonsOf(markdownPosts(thread).at(-1)!).filter((b) =>
      b.action_id.startsWith('ask_follow_up_'),
    );
    expect(buttons.map((b) => b.value)).toEqual(questions);
  });

  it('in a DM: the text follows the plan in the same streamed message', async () => {
    h = await startHarness();
    const answer = longAnswer(10, 'APAC');
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 50, delayMs: 60 }));
    const ts = await h.message('which region grew fastest?', { channel: DM, channelType: 'im' });
    await h.settle();

    const thread = h.thread(ts, DM);
    const streams = streamedMessages(thread);
    expect(streams).toHaveLength(1);
    expect(streamedText(thread)).toBe(answer);
    const stops = h.slack.callsTo('chat.stopStream').map((c) => JSON.stringify(c.params.chunks));
    expect(stops.at(-1)).toContain('"plan_update"');
    expect(threadText(markdownPosts(thread))).not.toContain('Finding 1');
  });

  it('continues in a new message before the stream age limit, losing no text', async () => {
    h = await startHarness({ SLACK_STREAM_MAX_SECONDS: '1' });
    h.slack.streamMaxAgeMs = 2_500; // Slack's limit, shortened: the bot must roll over before it
    const answer = longAnswer(20);
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 40, delayMs: 30 }));
    const ts = await h.mention('<@U08CSVBOT9K> which region grew fastest?');
    await h.settle();

    const thread = h.thread(ts);
    expect(streamedMessages(thread).length).toBeGreaterThanOrEqual(2);
    expect(streamedText(thread)).toBe(answer);
    expect(streamedMessages(thread).every((m) => !m.streaming)).toBe(true);
    const posted = threadText(markdownPosts(thread));
    expect(posted).not.toContain('Finding 1');
    expect(posted).not.toContain('stopped showing');
  }, 20_000);

  it('in a DM, the continuation repeats the plan, its tasks and the Stop button', async () => {
    h = await startHarness({ SLACK_STREAM_MAX_SECONDS: '1' });
    h.slack.streamMaxAgeMs = 2_500;
    const answer = longAnswer(16, 'APAC');
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 40, delayMs: 30 }));
    const ts = await h.message('which region grew fastest?', { channel: DM, channelType: 'im' });
    await h.settle();

    const thread = h.thread(ts, DM);
    expect(streamedMessages(thread).length).toBeGreaterThanOrEqual(2);
    expect(streamedText(thread)).toBe(answer);
    const [, next] = h.slack.callsTo('chat.startStream').map((c) => JSON.stringify(c.params.chunks));
    expect(next).toContain('stop_turn');
    expect(next).toContain('"id":"srvtoolu_s1"');
    expect(threadText(markdownPosts(thread))).not.toContain('stopped showing');
  }, 20_000);

  it('splits text over several calls within the 12,000-character limit', async () => {
    h = await startHarness();
    const answer = longAnswer(150); // about 30,000 characters, arriving in two deltas
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 15_000, delayMs: 1_200 }));
    const ts = await h.mention('<@U08CSVBOT9K> describe every month');
    await h.settle();

    expect(streamedText(h.thread(ts))).toBe(answer);
    const calls = ['chat.startStream', 'chat.appendStream', 'chat.stopStream'].flatMap((m) =>
      h!.slack.callsTo(m),
    );
    for (const call of calls) {
      const text = ((call.params.chunks ?? []) as { text?: string }[]).map((c) => c.text ?? '').join('');
      expect(text.length).toBeLessThanOrEqual(12_000);
    }
  });

  it('never lets a secret or a mass mention split across deltas reach Slack', async () => {
    h = await startHarness();
    // Deltas of 700 characters, each shown before the next arrives: the key is cut after `sk-ant-api03` and the
    // mention after `<!chan`, so each half reaches the bot on its own.
    const size = 700;
    const key = `sk-ant-api03-${'Zq7'.repeat(16)}`;
    const first = `${`${longAnswer(3)}\n\nThe config used`.padEnd(size - 13, ' see')} ${key}`;
    const second = `${' to call the API; please review.'.padEnd(2 * size - 7 - first.length, ' ok')} <!channel> and @here too.`;
    const answer = `${first}${second}\n\n${longAnswer(3, 'LATAM')}`;
    expect(answer.slice(size - 12, size)).toBe('sk-ant-api03');
    expect(answer.slice(2 * size - 6, 2 * size)).toBe('<!chan');
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: size, delayMs: 1_300 }));
    const ts = await h.mention('<@U08CSVBOT9K> what did the config use?');
    await h.settle();

    const sent = JSON.stringify(h.slack.calls.map((c) => c.params));
    expect(sent).not.toContain('Zq7Zq7');
    expect(sent).not.toContain('sk-ant-');
    const shown = streamedText(h.thread(ts));
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toMatch(/(?<![\w\u2060])@here/);
    expect(shown).toContain('[redacted anthropic key]');
    expect(shown).toContain('@\u2060channel');
    expect(shown).toContain('Finding 3.** LATAM');
    expect(h.slack.callsTo('chat.appendStream').length).toBeGreaterThan(1);
  }, 20_000);
});

describe('what can be shown before the rest of the answer is known', () => {
  const prose = 'Growth was strongest in EMEA this quarter, as the table below shows. ';
  const grow = (text: string) => (n: number) => showablePrefix(text.slice(0, n), [HUMAN]) ?? '';

  it('never shows part of a private key block, a quoted secret or an unclosed mention', () => {
    const pem = `${prose}\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7f3kq9\nQ2Vx1mZ8\n-----END RSA PRIVATE KEY-----\nDone. `;
    const quoted = `${prose}\napi_key = "correct horse battery staple"\nDone. `;
    const mention = `${prose}<!subteam^S0123|@data team> Done. `;
    for (const text of [pem, quoted, mention]) {
      const final = showablePrefix(`${text}x`, [HUMAN]) ?? '';
      for (let n = 1; n <= text.length; n++) {
        const shown = grow(text)(n);
        // What is shown is always the start of what the whole answer shows, so nothing leaks or is taken back.
        expect(final.startsWith(shown)).toBe(true);
      }
      expect(final).toContain('Done.');
    }
    expect(grow(pem)(pem.indexOf('Q2Vx'))).not.toContain('BEGIN');
    expect(showablePrefix(`${pem}x`, [HUMAN])).toContain('[redacted private key]');
    expect(grow(quoted)(quoted.indexOf('battery'))).not.toContain('correct');
    expect(grow(mention)(mention.indexOf(' team>'))).not.toContain('<!subteam');
  });

  it('never ends what it shows with blank space, which a finished (trimmed) answer would not have', () => {
    expect(showablePrefix(`${prose}\n\n`, [HUMAN])).toBe(prose.trimEnd());
    expect(showablePrefix(`${prose}\n\n\`\`\`followups\n- Next?`, [HUMAN])).toBe(prose.trimEnd());
  });

  it('splits text into calls of at most 12,000 characters, never inside a surrogate pair', () => {
    const text = `${'a'.repeat(11_999)}📈${'b'.repeat(13_000)}`;
    const calls = splitText([
      { type: 'plan_update', title: 'Working' },
      { type: 'markdown_text', text },
    ]);
    const texts = calls.map((c) =>
      c.map((chunk) => (chunk.type === 'markdown_text' ? chunk.text : '')).join(''),
    );
    expect(texts.every((t) => t.length <= 12_000)).toBe(true);
    expect(texts.join('')).toBe(text);
    expect(texts[0]!.endsWith('a')).toBe(true);
    expect(calls[0]![0]).toEqual({ type: 'plan_update', title: 'Working' });
  });
});

describe('when streaming is not possible', () => {
  it('posts the answer as before when Slack refuses to start the stream', async () => {
    h = await startHarness();
    h.slack.failNext('chat.startStream', { body: { ok: false, error: 'channel_type_not_supported' } });
    const answer = longAnswer(10);
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 40, delayMs: 40 }));
    const ts = await h.mention('<@U08CSVBOT9K> which region grew fastest?');
    await h.settle();

    const thread = h.thread(ts);
    expect(h.slack.callsTo('chat.startStream')).toHaveLength(1);
    expect(streamedMessages(thread)).toHaveLength(0);
    const posted = threadText(markdownPosts(thread));
    expect(posted).toContain('**Finding 10.**');
    expect(posted).toContain('Finding 1.');
    expect(posted).not.toContain('stopped showing');
  });

  it('posts the whole answer with a notice when an append fails part-way', async () => {
    h = await startHarness();
    const answer = longAnswer(16);
    h.anthropic.enqueue(answeredAfterCode(answer, { chars: 40, delayMs: 40 }));
    const ts = await h.mention('<@U08CSVBOT9K> which region grew fastest?');
    await waitFor(() => h!.slack.callsTo('chat.startStream').length === 1, 'the stream to start');
    h.slack.failNext('chat.appendStream', { body: { ok: false, error: 'messaging_processing_failed' } });
    await h.settle();

    const thread = h.thread(ts);
    const partial = streamedText(thread);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(answer.length);
    expect(answer.startsWith(partial)).toBe(true);
    const posted = threadText(markdownPosts(thread));
    expect(posted).toContain('Slack stopped showing the answer part-way through; here it is in full.');
    expect(posted).toContain('Finding 1.');
    expect(posted).toContain('**Finding 16.**');
  });
});

describe("Slack's own stop on a streamed answer", () => {
  it('aborts the Claude request, says Stopped, and keeps the container', async () => {
    h = await startHarness();
    h.anthropic.enqueue(textReply('first answer'));
    const root = await h.mention('<@U08CSVBOT9K> start');
    await h.settle();
    const threadKey = threadKeyOf({ teamId: h.slack.teamId, channelId: CHANNEL, threadTs: root });
    const container = (await h.bot.store.threads.get(threadKey))?.containerId;
    expect(container).toMatch(/^container_/);

    h.anthropic.enqueue(answeredAfterCode(longAnswer(30), { chars: 20, delayMs: 40 }));
    await h.message('and in detail?', { threadTs: root });
    await waitFor(() => h!.slack.messages(CHANNEL).some((m) => m.streaming), 'the answer to stream');
    const stream = h.slack.messages(CHANNEL).find((m) => m.streaming)!;
    h.slack.stopStreamAsUser(CHANNEL, stream.ts);

    await waitFor(() => h!.anthropic.activeMessageStreams() === 0, 'the request to be aborted');
    await h.settle();
    expect(h.anthropic.abortedStreams).toBe(1);
    expect(threadText(h.thread(root))).toContain('Stopped');
    // The progress message says so too, and offers Stop no more.
    expect(
      h
        .thread(root)
        .flatMap(buttonsOf)
        .map((b) => b.action_id),
    ).not.toContain('stop_turn');
    h.anthropic.enqueue(textReply('still here'));
    await h.message('again', { threadTs: root });
    await h.settle();
    expect(h.anthropic.messageRequests().at(-1)?.container).toBe(container);
  }, 20_000);
});

describe("Slack's stop on an agent session", () => {
  /** The documented agent_session_stopped event, as Slack delivers it when someone clicks the session's stop. */
  const sessionStopped = (channel: string, threadTs: string, user: string, streams: string[]) => ({
    ...loadFixture('message_thread_followup'),
    event: {
      type: 'agent_session_stopped',
      channel,
      thread_ts: threadTs,
      streaming_message_ts: streams,
      user,
      event_ts: nextTs(),
    },
    event_id: `Ev0STOP${Math.random().toString(36).slice(2, 10)}`,
    event_time: Math.floor(Date.now() / 1000),
  });

  it('marks the session processing while it answers, and a stop from the asker aborts the request and keeps the sandbox', async () => {
    h = await startHarness();
    h.anthropic.enqueue(textReply('first answer'));
    const root = await h.message('which region grew fastest?', { channel: DM, channelType: 'im' });
    await h.settle();
    const statuses = () => h!.slack.callsTo('agents.sessions.setStatus').map((c) => c.params.status);
    expect(statuses()).toEqual(['processing', 'active']);
    const threadKey = threadKeyOf({ teamId: h.slack.teamId, channelId: DM, threadTs: root });
    const container = (await h.bot.store.threads.get(threadKey))?.containerId;
    expect(container).toMatch(/^container_/);

    h.anthropic.enqueue(answeredAfterCode(longAnswer(30), { chars: 20, delayMs: 40 }));
    await h.message('and in detail?', { channel: DM, channelType: 'im', threadTs: root });
    await waitFor(() => h!.anthropic.activeMessageStreams() === 1, 'the answer to start');
    // Someone else's click does nothing; the asker's stops the answer.
    await h.send(sessionStopped(DM, root, OTHER_HUMAN, []));
    // Decided once the bot has asked Slack whether the clicker is a workspace admin.
    await waitFor(
      () => h!.slack.callsTo('users.info').some((c) => c.params.user === OTHER_HUMAN),
      'the admin check',
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(h.anthropic.activeMessageStreams()).toBe(1);
    await h.send(sessionStopped(DM, root, HUMAN, []));

    await waitFor(() => h!.anthropic.activeMessageStreams() === 0, 'the request to be aborted');
    await h.settle();
    expect(h.anthropic.abortedStreams).toBe(1);
    expect(threadText(h.thread(root, DM))).toContain('Stopped');
    // The session leaves "processing" (Slack does not do it by itself).
    expect(statuses().slice(-2)).toEqual(['processing', 'active']);
    h.anthropic.enqueue(textReply('still here'));
    await h.message('again', { channel: DM, channelType: 'im', threadTs: root });
    await h.settle();
    expect(h.anthropic.messageRequests().at(-1)?.container).toBe(container);
  }, 20_000);
});

describe('the fake Slack enforces the stream limits', () => {
  it("answers with Slack's error codes: too much text, an expired stream, over the rate tier", async () => {
    const slack = await startFakeSlack();
    try {
      const client = new WebClient(slack.botToken, {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      });
      const target = { channel: DM, thread_ts: '1795700000.000100' };
      const { ts } = await client.chat.startStream({ ...target, markdown_text: 'hi' });
      await expect(
        client.chat.appendStream({ channel: DM, ts: ts!, markdown_text: 'x'.repeat(12_001) }),
      ).rejects.toMatchObject({ data: { error: 'msg_too_long' } });
      slack.streamMaxAgeMs = 0;
      await expect(
        client.chat.appendStream({ channel: DM, ts: ts!, markdown_text: 'more' }),
      ).rejects.toMatchObject({ data: { error: 'message_not_in_streaming_state' } });
      for (let i = 1; i < 20; i++) await client.chat.startStream({ ...target, markdown_text: 'hi' });
      await expect(client.chat.startStream({ ...target, markdown_text: 'hi' })).rejects.toMatchObject({
        code: 'slack_webapi_rate_limited_error',
      });
    } finally {
      await slack.close();
    }
  });
});
