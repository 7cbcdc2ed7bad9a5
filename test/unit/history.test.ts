import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { fitHistory, forHistory, uploadsFor } from '../../src/claude/history.js';
import type { HistoryEntry, ThreadFile } from '../../src/domain.js';

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
    expect(contents(fitHistory(entries, 1_000))).toEqual([
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
    expect(contents(fitHistory(entries, 120))).toEqual([
      't2 question',
      't2 answer',
      't3 question',
      't3 answer',
    ]);
  });

  it('counts a turn that exactly fills the budget as fitting', () => {
    expect(contents(fitHistory(entries, 100))).toEqual([
      't2 question',
      't2 answer',
      't3 question',
      't3 answer',
    ]);
  });

  it('never splits a turn: with room for only half of one, nothing of it is sent', () => {
    // 60 tokens hold t3 (50) and would hold t2's question (10) but not its answer.
    const fitted = fitHistory(entries, 60);
    expect(contents(fitted)).toEqual(['t3 question', 't3 answer']);
    expect(fitted[0]?.role).toBe('user');
  });

  it('always starts with a user message, whatever the budget', () => {
    const uneven = [...turn('a', 1, [5, 200]), ...turn('b', 3, [300, 7]), ...turn('c', 5, [1, 1])];
    for (let budget = 0; budget <= 600; budget += 3) {
      const fitted = fitHistory(uneven, budget);
      if (fitted.length > 0) expect(fitted[0]?.role).toBe('user');
      expect(fitted.length % 2).toBe(0);
    }
  });

  it('does not skip over an oversized turn to reach older ones', () => {
    const history = [...turn('old', 1, [5, 5]), ...turn('huge', 3, [10, 10_000]), ...turn('new', 5, [5, 5])];
    // 'old' would fit on its own, but including it without 'huge' would leave a gap in the conversation.
    expect(contents(fitHistory(history, 100))).toEqual(['new question', 'new answer']);
  });

  it('sends nothing when even the newest turn is larger than the budget', () => {
    expect(fitHistory(turn('big', 1, [10, 10_000]), 5_000)).toEqual([]);
  });

  it('returns the stored messages themselves, content untouched', () => {
    const entry = turn('t1', 1, [1, 1]);
    expect(fitHistory(entry, 10)).toEqual(entry.map((e) => e.message));
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
