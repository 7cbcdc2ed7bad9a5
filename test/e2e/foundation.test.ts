import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadFixture } from '../support/fakes/fake-slack.js';
import {
  blocks,
  CHANNEL,
  type Harness,
  markdownPosts,
  OTHER_HUMAN,
  progressPosts,
  startHarness,
  threadText,
} from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const answerWithRun = (stdout: string, answer: string, returnCode = 0) => ({
  kind: 'message' as const,
  content: [
    blocks.text('Let me compute that.'),
    blocks.bash('srvtoolu_1', 'python -c "print(1.07**12)"'),
    blocks.bashResult('srvtoolu_1', { stdout, returnCode, stderr: returnCode ? 'Traceback: boom' : '' }),
    blocks.text(answer),
  ],
});

describe('a mention gets an answer computed by code execution', () => {
  it('marks the message as being worked on, then answers in the thread with a run summary', async () => {
    h.anthropic.enqueue(answerWithRun('2.2521915\n', 'The compound growth is **2.25×** (125.2 %).'));
    const ts = await h.mention('what is the compound growth of 1.07 over 12 periods?');
    await h.settle();

    const reactions = h.slack.callsTo('reactions.add');
    expect(reactions[0]?.params).toMatchObject({ channel: CHANNEL, timestamp: ts, name: 'eyes' });
    const posts = h.thread(ts);
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((p) => p.thread_ts === ts)).toBe(true);
    const text = threadText(posts);
    expect(text).toContain('The compound growth is **2.25×**');
    expect(text).toContain('Ran code 1 time');
    expect(text).toContain('2.2521915');
    expect(text).not.toContain('Let me compute that.');

    const [request] = h.anthropic.messageRequests();
    expect(request?.tools).toEqual([{ type: 'code_execution_20260521', name: 'code_execution' }]);
    expect(request?.container).toBeUndefined();
    expect(JSON.stringify(request?.messages)).toContain('compound growth of 1.07');
    expect(JSON.stringify(request?.messages)).not.toContain('<@U08CSVBOT9K>');
    const anthropicHeaders = h.anthropic.requests[0]?.headers ?? {};
    expect(anthropicHeaders['anthropic-beta']).toBeUndefined();
  });

  it('answers a follow-up without a mention in the same container, with the earlier turn as context', async () => {
    h.anthropic.enqueue(answerWithRun('42\n', 'First answer: 42.'));
    const root = await h.mention('compute x');
    await h.settle();
    const firstContainer = h.anthropic.messageRequests().length && (await firstContainerId());

    h.anthropic.enqueue(answerWithRun('84\n', 'Doubled: 84.'));
    await h.message('now double it', { threadTs: root });
    await h.settle();

    const [, second] = h.anthropic.messageRequests();
    expect(second?.container).toBe(firstContainer);
    expect(second?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    // Claude's earlier content goes back verbatim, server-tool blocks included.
    expect(JSON.stringify(second?.messages[1])).toContain('bash_code_execution_tool_result');
    expect(second?.tools).toEqual(h.anthropic.messageRequests()[0]?.tools);
    expect(threadText(h.thread(root))).toContain('Doubled: 84.');
  });

  it('keeps the container of a thread across a restart on the same database', async () => {
    h.anthropic.enqueue(answerWithRun('1\n', 'one'));
    const root = await h.mention('start');
    await h.settle();
    const container = await firstContainerId();
    await h.restart();
    h.anthropic.enqueue(answerWithRun('2\n', 'two'));
    await h.message('again', { threadTs: root });
    await h.settle();
    expect(h.anthropic.messageRequests()[1]?.container).toBe(container);
  });
});

describe('failures are never hidden behind a confident answer', () => {
  it('flags a non-zero return code with the stderr tail', async () => {
    h.anthropic.enqueue(answerWithRun('', 'Revenue grew 12 % in EMEA.', 1));
    const ts = await h.mention('which region grew?');
    await h.settle();
    const text = threadText(h.thread(ts));
    expect(text).toContain('Revenue grew 12 % in EMEA.');
    expect(text).toMatch(/1 of 1 code run failed/);
    expect(text).toContain('exit code 1');
    expect(text).toContain('Traceback: boom');
  });

  it('flags a tool error such as execution_time_exceeded', async () => {
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.bash('srvtoolu_a', 'python slow.py'),
        blocks.bashError('srvtoolu_a', 'execution_time_exceeded'),
        blocks.bash('srvtoolu_b', 'python fast.py'),
        blocks.bashResult('srvtoolu_b', { stdout: 'done\n' }),
        blocks.text('All good: the total is 10.'),
      ],
    });
    const ts = await h.mention('sum it');
    await h.settle();
    const text = threadText(h.thread(ts));
    expect(text).toContain('1 of 2 code runs failed');
    expect(text).toContain('execution_time_exceeded');
  });

  it('tells the user when Claude is unavailable instead of staying silent', async () => {
    h.anthropic.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    const ts = await h.mention('anything');
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('Claude is overloaded right now');
  });
});

describe('the bot stays out of human chatter', () => {
  it('ignores its own messages, other bots, edits, deletions, and threads it was never asked into', async () => {
    for (const name of [
      'message_bot_own_reply_in_thread',
      'message_bot_own_file_share_chart',
      'message_bot_message_other_integration',
      'message_changed_user_edit_in_thread',
      'message_changed_bot_own_update',
      'message_deleted_in_thread',
      'app_mention_edited',
      'message_thread_followup',
      'message_thread_followup_other_user',
    ]) {
      const res = await h.send({ ...loadFixture(name), event_id: `Ev_${name}` });
      expect(res.status).toBe(200);
    }
    await h.message('just chatting in the channel');
    await h.message('a reply in a thread nobody asked me into', {
      threadTs: '1795700999.000100',
      user: OTHER_HUMAN,
    });
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('answers a Slack retry and the app_mention/message double delivery exactly once', async () => {
    const envelope = { ...loadFixture('app_mention_top_level') };
    await h.send(envelope);
    await h.send(envelope, { retryNum: 1 });
    await h.send({ ...loadFixture('message_mention_top_level') });
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(1);
    expect(markdownPosts(h.slack.messages(CHANNEL))).toHaveLength(1);
    expect(progressPosts(h.slack.messages(CHANNEL))).toHaveLength(1);
  });

  it('rejects a request with a bad signature', async () => {
    const res = await h.send(loadFixture('app_mention_top_level'), { badSignature: true });
    expect(res.status).toBe(401);
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(0);
  });
});

describe('model output is made safe before Slack sees it', () => {
  it('neutralises mass mentions and mentions of people nobody asked about', async () => {
    h.anthropic.enqueue({
      kind: 'message',
      content: [
        blocks.text(
          'Heads up <!channel> and <!here|here> and @everyone, ping <@U099SOMEONE> and <!subteam^S123|@data>.',
        ),
      ],
    });
    const ts = await h.mention('summarise');
    await h.settle();
    const text = threadText(h.thread(ts));
    expect(text).not.toMatch(/<!channel>|<!here|<!subteam|<@U099SOMEONE>/);
    expect(text).not.toMatch(/(^|[^\u2060])@(everyone|here|channel)\b/);
  });

  it('never posts a secret that appeared in stdout', async () => {
    const token = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
    h.anthropic.enqueue(answerWithRun(`env dump\nSLACK_BOT_TOKEN=${token}\n`, `The token is ${token}`));
    const ts = await h.mention('print the env');
    await h.settle();
    const text = threadText(h.thread(ts));
    expect(text).toContain('redacted');
    expect(JSON.stringify(h.slack.calls)).not.toContain(token);
  });
});

async function firstContainerId(): Promise<string> {
  // The fake mints the container on the first response; the bot must have stored and reused it.
  const { openDatabase } = await import('../../src/store/db.js');
  const db = openDatabase(h.dbPath);
  try {
    const row = db.prepare('SELECT container_id FROM threads LIMIT 1').get() as { container_id: string };
    return row.container_id;
  } finally {
    db.close();
  }
}

describe('how a turn ends', () => {
  it('continues a paused turn with the same container and tools, and merges it into one stored reply', async () => {
    h.anthropic.enqueue(
      {
        kind: 'message',
        stop_reason: 'pause_turn',
        content: [
          blocks.bash('srvtoolu_p1', 'python step1.py'),
          blocks.bashResult('srvtoolu_p1', { stdout: 'step 1\n' }),
        ],
      },
      {
        kind: 'message',
        content: [
          blocks.bash('srvtoolu_p2', 'python step2.py'),
          blocks.bashResult('srvtoolu_p2', { stdout: 'step 2\n' }),
          blocks.text('Both steps done: 7.'),
        ],
      },
    );
    const ts = await h.mention('long job');
    await h.settle();
    const [first, continuation] = h.anthropic.messageRequests();
    expect(continuation?.container).toMatch(/^container_/);
    expect(continuation?.tools).toEqual(first?.tools);
    expect(continuation?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(JSON.stringify(continuation?.messages[1])).toContain('srvtoolu_p1');
    const text = threadText(h.thread(ts));
    expect(text).toContain('Both steps done: 7.');
    expect(text).toContain('Ran code 2 times');

    h.anthropic.enqueue({ kind: 'message', content: [blocks.text('next')] });
    await h.message('next?', { threadTs: ts });
    await h.settle();
    const next = h.anthropic.messageRequests()[2];
    // One user turn and ONE merged assistant message for the paused turn.
    expect(next?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(next?.messages[1])).toContain('srvtoolu_p2');
  });

  it('stops continuing at the configured limit and says the answer may be incomplete', async () => {
    h.anthropic.onMessage(() => ({
      kind: 'message',
      stop_reason: 'pause_turn',
      content: [blocks.text('still working')],
    }));
    const ts = await h.mention('endless job');
    await h.settle();
    expect(h.anthropic.messageRequests()).toHaveLength(6); // the request plus 5 continuations
    expect(threadText(h.thread(ts))).toContain('may be incomplete');
  });

  it('reports an answer cut off at max_tokens', async () => {
    h.anthropic.enqueue({
      kind: 'message',
      stop_reason: 'max_tokens',
      content: [blocks.text('The result is')],
    });
    const ts = await h.mention('write a lot');
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('cut off at the output token limit');
  });

  it('drops a refused turn from the thread history', async () => {
    h.anthropic.enqueue({
      kind: 'message',
      stop_reason: 'refusal',
      content: [blocks.text('I can’t help with that.')],
    });
    const ts = await h.mention('something refused');
    await h.settle();
    expect(threadText(h.thread(ts))).toContain('declined');
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text('fine')] });
    await h.message('something else', { threadTs: ts });
    await h.settle();
    const next = h.anthropic.messageRequests()[1];
    expect(next?.messages).toHaveLength(1);
    expect(JSON.stringify(next?.messages)).not.toContain('something refused');
  });
});

describe('Slack limits', () => {
  it("splits a 25,000-character answer across messages within Slack's limits, losing nothing", async () => {
    const table = Array.from({ length: 1200 }, (_, i) => `| row ${i} | ${(i * 3.7).toFixed(1)} |`).join('\n');
    const code = Array.from({ length: 300 }, (_, i) => `print(${i})`).join('\n');
    const answer = `# Report\n\n| name | value |\n| --- | --- |\n${table}\n\n\`\`\`python\n${code}\n\`\`\`\n\nThe end.`;
    expect(answer.length).toBeGreaterThan(20_000);
    h.anthropic.enqueue({ kind: 'message', content: [blocks.text(answer)] });
    const ts = await h.mention('long report');
    await h.settle();

    const posts = markdownPosts(h.thread(ts));
    expect(posts.length).toBeGreaterThan(1);
    const texts = posts.map((p) => (p.blocks![0] as { text: string }).text);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(12_000);
    const joined = texts.join('\n');
    expect(joined).toContain('| row 1199 | 4436.3 |');
    expect(joined).toContain('print(299)');
    expect(joined).toContain('The end.');
    // The fake answers invalid_blocks / msg_too_long like Slack; none came back.
    expect(h.slack.callsTo('chat.postMessage').length).toBe(posts.length + 1); // + the progress message
  });
});
