import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { fitHistory, forHistory, historyNotice, uploadsFor } from '../../src/claude/history.js';
import { approxTokens, type HistoryEntry, type ThreadFile } from '../../src/domain.js';

/** A stored turn: the user's question and Claude's reply, each costing `tokens`. */
function turn(turnId: string, firstSeq: number, tokens: [number, number]): HistoryEntry[] {
  return [
    {
      seq: firstSeq,
      turnId,
      approxTokens: tokens[0],
      message: { role: 'user', content: `${turnId} question` },
    },
    {
      seq: firstSeq + 1,
      turnId,
      approxTokens: tokens[1],
      message: { role: 'assistant', content: [{ type: 'text', text: `${turnId} answer` }] },
    },
  ];
}

const contents = (messages: Anthropic.MessageParam[]) =>
  messages.map((m) => (typeof m.content === 'string' ? m.content : (m.content[0] as { text: string }).text));

describe('fitHistory', () => {
  const entries = [...turn('t1', 1, [10, 40]), ...turn('t2', 3, [10, 40]), ...turn('t3', 5, [10, 40])];

  it('sends the whole history, oldest first, when it fits', () => {
    expect(contents(fitHistory(entries, 1_000).messages)).toEqual([
      't1 question',
      't1 answer',
      't2 question',
      't2 answer',
      't3 question',
      't3 answer',
    ]);
  });

  it('keeps the newest whole turns that fit and drops older ones', () => {
    // 120 tokens fit t2 and t3 (50 each) but not t1 as well.
    expect(contents(fitHistory(entries, 120).messages)).toEqual([
      't2 question',
      't2 answer',
      't3 question',
      't3 answer',
    ]);
  });

  it('counts a turn that exactly fills the budget as fitting', () => {
    expect(contents(fitHistory(entries, 100).messages)).toEqual([
      't2 question',
      't2 answer',
      't3 question',
      't3 answer',
    ]);
  });

  it('never splits a turn: with room for only half of one, nothing of it is sent', () => {
    // 60 tokens hold t3 (50) and would hold t2's question (10) but not its answer.
    const fitted = fitHistory(entries, 60).messages;
    expect(contents(fitted)).toEqual(['t3 question', 't3 answer']);
    expect(fitted[0]?.role).toBe('user');
  });

  it('always starts with a user message, whatever the budget', () => {
    const uneven = [...turn('a', 1, [5, 200]), ...turn('b', 3, [300, 7]), ...turn('c', 5, [1, 1])];
    for (let budget = 0; budget <= 600; budget += 3) {
      const fitted = fitHistory(uneven, budget).messages;
      if (fitted.length > 0) expect(fitted[0]?.role).toBe('user');
      expect(fitted.length % 2).toBe(0);
    }
  });

  it('does not skip over an oversized turn to reach older ones', () => {
    const history = [...turn('old', 1, [5, 5]), ...turn('huge', 3, [10, 10_000]), ...turn('new', 5, [5, 5])];
    // 'old' would fit on its own, but including it without 'huge' would leave a gap in the conversation.
    expect(contents(fitHistory(history, 100).messages)).toEqual(['new question', 'new answer']);
  });

  it('sends nothing when even the newest turn is larger than the budget', () => {
    expect(fitHistory(turn('big', 1, [10, 10_000]), 5_000).messages).toEqual([]);
  });

  it('returns the stored messages themselves, content untouched', () => {
    const entry = turn('t1', 1, [1, 1]);
    expect(fitHistory(entry, 10).messages).toEqual(entry.map((e) => e.message));
  });
});

const file = (anthropicFileId: string, name: string, containerId: string | null): ThreadFile => ({
  slackFileId: `F_${name}`,
  anthropicFileId,
  name,
  sizeBytes: 100,
  mimeType: 'text/csv',
  containerId,
});

describe('uploadsFor', () => {
  const files = [
    file('file_a', 'a.csv', 'container_1'),
    file('file_b', 'b.csv', null),
    file('file_c', 'c.csv', 'container_0'),
  ];

  it('attaches files that are not yet in the thread’s container', () => {
    expect(uploadsFor(files, 'container_1')).toEqual([
      { type: 'container_upload', file_id: 'file_b' },
      { type: 'container_upload', file_id: 'file_c' },
    ]);
  });

  it('attaches every file when the thread has no container yet', () => {
    expect(uploadsFor(files, null).map((u) => u.file_id)).toEqual(['file_a', 'file_b', 'file_c']);
  });

  it('attaches nothing when every file is already in the container', () => {
    expect(uploadsFor([file('file_a', 'a.csv', 'container_1')], 'container_1')).toEqual([]);
  });
});

describe('forHistory', () => {
  const files = [file('file_a', 'sales Q3.csv', 'container_1')];

  it('replaces a container_upload block with a note naming the file', () => {
    const stored = forHistory(
      [
        { type: 'text', text: 'Question from Slack user U1:\nwhich region grew fastest?' },
        { type: 'container_upload', file_id: 'file_a' },
      ],
      files,
    );
    expect(stored).toEqual([
      { type: 'text', text: 'Question from Slack user U1:\nwhich region grew fastest?' },
      { type: 'text', text: '[file sales Q3.csv was attached to the sandbox here]' },
    ]);
    expect(stored.some((b) => b.type === 'container_upload')).toBe(false);
  });

  it('falls back to the file id for a file it does not know', () => {
    expect(forHistory([{ type: 'container_upload', file_id: 'file_zz' }], files)).toEqual([
      { type: 'text', text: '[file file_zz was attached to the sandbox here]' },
    ]);
  });

  it('leaves every other block as it is, in order', () => {
    const content: Anthropic.ContentBlockParam[] = [
      { type: 'text', text: 'note' },
      { type: 'container_upload', file_id: 'file_a' },
      { type: 'text', text: 'question' },
    ];
    const stored = forHistory(content, files);
    expect(stored[0]).toBe(content[0]);
    expect(stored[2]).toBe(content[2]);
    expect(content[1]).toEqual({ type: 'container_upload', file_id: 'file_a' });
  });
});

/** A stored code-answer turn as the bot saves it: question, then thinking, a bash run printing `stdout`, the answer. */
function codeTurn(
  turnId: string,
  firstSeq: number,
  stdout: string,
  command = 'python3 report.py',
): HistoryEntry[] {
  const question: Anthropic.MessageParam = { role: 'user', content: [{ type: 'text', text: `${turnId}?` }] };
  const answer: Anthropic.MessageParam = {
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'x'.repeat(3_000), signature: 'sig' },
      { type: 'server_tool_use', id: `srv_${turnId}`, name: 'bash_code_execution', input: { command } },
      {
        type: 'bash_code_execution_tool_result',
        tool_use_id: `srv_${turnId}`,
        content: { type: 'bash_code_execution_result', stdout, stderr: '', return_code: 0, content: [] },
      },
      { type: 'text', text: `${turnId} answer` },
    ],
  };
  return [question, answer].map((message, i) => ({
    seq: firstSeq + i,
    turnId,
    message,
    approxTokens: approxTokens(message.content),
  }));
}

const stdoutOf = (m: Anthropic.MessageParam | undefined) =>
  ((m!.content as Anthropic.ContentBlockParam[])[2] as Anthropic.BashCodeExecutionToolResultBlockParam)
    .content as Anthropic.BashCodeExecutionResultBlockParam;

describe('fitHistory on a long thread', () => {
  const big = (n: number) => `HEAD-${n}\n${'row,value\n'.repeat(2_000)}TAIL-${n}`;
  const thread = (n: number) =>
    Array.from({ length: n }, (_, i) => codeTurn(`t${i}`, i * 2 + 1, big(i))).flat();

  it('shortens the printed output of earlier runs, head and tail kept with a note, before dropping any turn', () => {
    const entries = thread(6);
    const untouched = entries.reduce((n, e) => n + e.approxTokens, 0);
    const fitted = fitHistory(entries, Math.floor(untouched / 2));
    expect(fitted.trimmed).toBe(true);
    expect(fitted.droppedTurns).toBe(0);
    expect(fitted.messages).toHaveLength(12);
    const stdout = stdoutOf(fitted.messages[1]).stdout;
    expect(stdout.length).toBeLessThanOrEqual(2_100);
    expect(stdout.startsWith('HEAD-0')).toBe(true);
    expect(stdout.endsWith('TAIL-0')).toBe(true);
    expect(stdout).toMatch(/characters of this earlier run left out/);
    // Signed thinking blocks go back exactly as received.
    expect((fitted.messages[1]!.content as Anthropic.ContentBlockParam[])[0]).toEqual({
      type: 'thinking',
      thinking: 'x'.repeat(3_000),
      signature: 'sig',
    });
    // The stored entries themselves are not modified.
    expect(stdoutOf(entries[1]!.message).stdout).toBe(big(0));
  });

  it('shortens every turn the same way, so the history of the next question starts with the same bytes', () => {
    const budget = 20_000;
    const now = fitHistory(thread(6), budget).messages;
    const next = fitHistory(thread(7), budget).messages;
    expect(JSON.stringify(next.slice(0, now.length))).toBe(JSON.stringify(now));
  });

  it('then shortens long code of earlier runs, and drops the oldest turns only when that is not enough', () => {
    const code = `print(1)\n${'# comment\n'.repeat(500)}print(2)`;
    const entries = Array.from({ length: 4 }, (_, i) => codeTurn(`c${i}`, i * 2 + 1, 'ok', code)).flat();
    expect(entries.reduce((n, e) => n + e.approxTokens, 0)).toBeGreaterThan(6_000);
    const tight = fitHistory(entries, 6_000);
    expect(tight.trimmed).toBe(true);
    expect(tight.droppedTurns).toBe(0);
    const input = (tight.messages[1]!.content as Anthropic.ServerToolUseBlockParam[])[1]!.input as {
      command: string;
    };
    expect(input.command.length).toBeLessThanOrEqual(1_100);
    expect(input.command.startsWith('print(1)')).toBe(true);

    const tighter = fitHistory(entries, 2_500);
    expect(tighter.droppedTurns).toBeGreaterThan(0);
    expect(tighter.messages[0]?.role).toBe('user');
  });
});

describe('historyNotice', () => {
  const big = `${'row,value\n'.repeat(2_000)}`;
  const thread = (n: number) => Array.from({ length: n }, (_, i) => codeTurn(`t${i}`, i * 2 + 1, big)).flat();

  it('tells the user once, on the first question whose history had to be shortened, and once when turns drop', () => {
    const perTurn = thread(1).reduce((n, e) => n + e.approxTokens, 0);
    const budget = Math.floor(perTurn * 2.5);
    expect(historyNotice(thread(2), budget)).toBeNull();
    expect(historyNotice(thread(3), budget)).toMatch(/start and end of long printed output/);
    expect(historyNotice(thread(4), budget)).toBeNull();
    const notices = Array.from({ length: 60 }, (_, i) => historyNotice(thread(i + 1), budget)).filter(
      Boolean,
    );
    expect(notices).toHaveLength(2);
    expect(notices[1]).toMatch(/no longer sees its oldest questions/);
  });
});
