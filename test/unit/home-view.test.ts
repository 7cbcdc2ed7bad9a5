import { describe, expect, it } from 'vitest';
import type { ChannelUsage, Failure } from '../../src/ports.js';
import { buildHomeView, MAX_HOME_BLOCKS, MAX_SECTION_TEXT } from '../../src/slack/home-view.js';

type AnyBlock = { type: string; text?: { text: string } | string; elements?: { text?: string }[] };
const textOf = (blocks: readonly unknown[]) =>
  (blocks as AnyBlock[])
    .map((b) =>
      [
        typeof b.text === 'string' ? b.text : (b.text?.text ?? ''),
        ...(b.elements ?? []).map((e) => e.text ?? ''),
      ].join('\n'),
    )
    .join('\n');

const usage = (channelId: string, over: Partial<ChannelUsage> = {}): ChannelUsage => ({
  channelId,
  turns: 3,
  inputTokens: 12_345,
  outputTokens: 2_100,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
  codeRuns: 4,
  lastTurnAt: 1_795_700_000_000,
  ...over,
});
const failure = (over: Partial<Failure> = {}): Failure => ({
  channelId: 'C07DATATEAM',
  threadTs: '1795700000.000100',
  messageTs: '1795700000.000200',
  at: 1_795_700_000_000,
  lastError: 'overloaded',
  ...over,
});

/** Checks Home tab limits: ≤ 100 blocks, section text ≤ 3,000, header ≤ 150, no markdown blocks. */
function expectWithinLimits(view: { blocks: readonly unknown[] }) {
  expect(view.blocks.length).toBeLessThanOrEqual(MAX_HOME_BLOCKS);
  for (const b of view.blocks as AnyBlock[]) {
    expect(['header', 'section', 'context', 'divider']).toContain(b.type);
    if (b.type === 'section') {
      const text = (b.text as { text: string }).text;
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    }
    if (b.type === 'header') expect((b.text as { text: string }).text.length).toBeLessThanOrEqual(150);
  }
}

describe('buildHomeView', () => {
  it('explains the bot, file types, threads and the thread commands', () => {
    const view = buildHomeView({ botUserId: 'U08CSVBOT9K' });
    expect(view.type).toBe('home');
    const text = textOf(view.blocks);
    expect(text).toContain('<@U08CSVBOT9K>');
    for (const word of ['CSV', 'TSV', 'XLSX', 'JSON', 'JSONL', 'Parquet', 'thread', 'Show code']) {
      expect(text).toContain(word);
    }
    for (const command of ['`help`', '`reset`', '`usage`', '`forget`', '`retry`'])
      expect(text).toContain(command);
    expectWithinLimits(view);
  });

  it('has no admin sections for everyone else', () => {
    const text = textOf(buildHomeView({}).blocks);
    expect(text).not.toContain('Usage by channel');
    expect(text).not.toContain('Recent failures');
  });

  it('shows admins usage by channel and recent failures', () => {
    const view = buildHomeView({
      admin: {
        usage: [
          usage('C07DATATEAM', { cacheReadInputTokens: 1_500_000 }),
          usage('D08CSVDM01X', { turns: 1 }),
        ],
        failures: [failure(), failure({ channelId: 'C2', lastError: 'bad <thing> & `ticks`\nsecond line' })],
      },
    });
    const text = textOf(view.blocks);
    expect(text).toContain('Usage by channel');
    expect(text).toContain('<#C07DATATEAM> — *3* turns · 12.3k in (+1.5M cached) · 2.1k out · 4 code runs');
    expect(text).toContain('a direct message — *1* turn');
    expect(text).not.toContain('<#D08CSVDM01X>');
    expect(text).toContain('Recent failures');
    expect(text).toContain('<#C07DATATEAM> · <!date^1795700000^{date_short_pretty} {time}|');
    expect(text).toContain('`overloaded`');
    expect(text).toContain("`bad &lt;thing&gt; &amp; 'ticks' second line`");
    expectWithinLimits(view);
  });

  it('says when there is nothing to report', () => {
    const text = textOf(buildHomeView({ admin: { usage: [], failures: [] } }).blocks);
    expect(text).toContain('No answers yet');
    expect(text).toContain('No failures');
  });

  it('stays within Home tab limits with long lists and long errors', () => {
    const view = buildHomeView({
      admin: {
        usage: Array.from({ length: 500 }, (_, i) => usage(`C${String(i).padStart(8, '0')}`)),
        failures: Array.from({ length: 200 }, () => failure({ lastError: 'E'.repeat(5_000) })),
      },
    });
    expectWithinLimits(view);
    expect(textOf(view.blocks)).toContain('top 30 channels');
  });
});
