import { describe, expect, it } from 'vitest';
import { codeFence, escapeMrkdwn, splitMarkdown, tail } from '../../src/text/slack-markdown.js';

const isFenceLine = (line: string) => /^\s*(`{3,}|~{3,})/.test(line);

/** True when every code block opened in the chunk is also closed in it. */
function fencesBalanced(chunk: string): boolean {
  let open: string | null = null;
  for (const line of chunk.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (!marker) continue;
    if (open === null) open = marker[1]!;
    else if (marker[1]!.startsWith(open) && marker[2]!.trim() === '') open = null;
  }
  return open === null;
}

/** The text's lines without fence lines and blank lines: what a reader sees. */
const contentLines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !isFenceLine(l));

function longAnswer(): string {
  const paragraph = (i: number) =>
    `Paragraph ${i}: ${'the revenue grew steadily in every region. '.repeat(6)}`;
  const code = Array.from(
    { length: 400 },
    (_, i) => `    total_${i} = df.loc[df.region == "r${i}", "revenue"].sum()`,
  );
  return [
    '## Summary',
    ...Array.from({ length: 30 }, (_, i) => paragraph(i)),
    '```python',
    'import pandas as pd',
    '',
    'def totals(df):',
    ...code,
    '```',
    ...Array.from({ length: 30 }, (_, i) => paragraph(i + 30)),
  ].join('\n\n');
}

describe('splitMarkdown', () => {
  it('returns short text as a single chunk and blank text as none', () => {
    expect(splitMarkdown('Hello *world*')).toEqual(['Hello *world*']);
    expect(splitMarkdown(' \n\n ')).toEqual([]);
  });

  it.each([11_000, 3_000, 500])(
    'splits a 30k answer with a code block into valid chunks (limit %i)',
    (limit) => {
      const text = longAnswer();
      expect(text.length).toBeGreaterThan(30_000);
      const chunks = splitMarkdown(text, limit);
      expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(text.length / limit));
      for (const chunk of chunks) {
        expect(chunk.length).toBeLessThanOrEqual(limit);
        expect(fencesBalanced(chunk)).toBe(true);
      }
      // Nothing lost or duplicated: same lines in the same order once fences and blank lines are ignored.
      expect(contentLines(chunks.join('\n'))).toEqual(contentLines(text));
      // Code continued in a later chunk is re-opened as Python, so it is still a highlighted code block.
      for (const chunk of chunks.filter((c) => c.includes('    total_'))) {
        expect(chunk.slice(0, chunk.indexOf('    total_'))).toContain('```python\n');
      }
    },
  );

  it('prefers paragraph breaks, dropping only the blank line between chunks', () => {
    const paragraphs = Array.from({ length: 10 }, (_, i) => `${i} ${'x'.repeat(95)}`);
    const chunks = splitMarkdown(paragraphs.join('\n\n'), 250);
    expect(chunks).toEqual([
      paragraphs.slice(0, 2).join('\n\n'),
      paragraphs.slice(2, 4).join('\n\n'),
      paragraphs.slice(4, 6).join('\n\n'),
      paragraphs.slice(6, 8).join('\n\n'),
      paragraphs.slice(8, 10).join('\n\n'),
    ]);
  });

  it('hard-splits a single huge line without losing characters or breaking emoji', () => {
    const line = 'ab📈'.repeat(1000);
    const chunks = splitMarkdown(line, 101);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(101);
      expect(chunk).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
    expect(chunks.join('')).toBe(line);
  });

  it('closes and reopens longer and tilde fences with their own marker', () => {
    const body = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    for (const [open, close] of [
      ['````markdown', '````'],
      ['~~~sql', '~~~'],
    ] as const) {
      const chunks = splitMarkdown(`${open}\n\`\`\`\n${body}\n\`\`\`\n${close}`, 120);
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) {
        expect(chunk.startsWith(`${open}\n`)).toBe(true);
        expect(chunk.endsWith(`\n${close}`)).toBe(true);
        expect(fencesBalanced(chunk)).toBe(true);
      }
    }
  });

  it('throws instead of looping when the limit cannot even hold the fence lines', () => {
    const text = `\`\`\`${'x'.repeat(50)}\n${'code\n'.repeat(20)}\`\`\``;
    expect(() => splitMarkdown(text, 30)).toThrow(RangeError);
  });
});

describe('codeFence', () => {
  it('wraps text in a fenced block with a language', () => {
    expect(codeFence('print(1)\n', 'python')).toBe('```python\nprint(1)\n```');
  });

  it('cannot be broken out of by backticks in the content', () => {
    const nasty = 'before\n```\n<!channel> *not code*\n````js\nafter';
    const fenced = codeFence(nasty);
    const fenceLines = fenced.split('\n').filter(isFenceLine);
    expect(fenceLines).toEqual(['```', '```']);
    expect(fenced.startsWith('```\n')).toBe(true);
    expect(fenced.endsWith('\n```')).toBe(true);
    // It still reads the same.
    expect(fenced.replaceAll('\u2060', '')).toBe(`\`\`\`\n${nasty}\n\`\`\``);
  });

  it('sanitises the language so it cannot inject content', () => {
    expect(codeFence('x', 'py\n```\n@here').split('\n')[0]).toBe('```pyhere');
    expect(codeFence('x', 'c++').split('\n')[0]).toBe('```c++');
  });
});

describe('tail', () => {
  it('keeps the last lines and reports how many were omitted, ignoring trailing blank lines', () => {
    const out = Array.from({ length: 100 }, (_, i) => `row ${i}`).join('\n');
    expect(tail(`${out}\n\n\n`, { maxLines: 3, maxChars: 1000 })).toEqual({
      text: 'row 97\nrow 98\nrow 99',
      omittedLines: 97,
    });
  });

  it('respects the character limit', () => {
    expect(tail('aaaa\nbbbb\ncccc', { maxLines: 10, maxChars: 9 })).toEqual({
      text: 'bbbb\ncccc',
      omittedLines: 1,
    });
  });

  it('keeps the end of a last line that is too long on its own', () => {
    expect(tail(`first\n${'x'.repeat(50)}END`, { maxLines: 5, maxChars: 10 })).toEqual({
      text: `…${'x'.repeat(6)}END`,
      omittedLines: 1,
    });
  });

  it('returns everything when it fits, and nothing for blank output', () => {
    expect(tail('\n\nonly line\r\n', { maxLines: 5, maxChars: 100 })).toEqual({
      text: 'only line',
      omittedLines: 0,
    });
    expect(tail('  \n\n', { maxLines: 5, maxChars: 100 })).toEqual({ text: '', omittedLines: 0 });
  });

  it('shows only the final state of progress bars redrawn with carriage returns', () => {
    const out = 'loading\n 10%|#    |\r 50%|###  |\r100%|#####|\ndone\n';
    expect(tail(out, { maxLines: 5, maxChars: 100 })).toEqual({
      text: 'loading\n100%|#####|\ndone',
      omittedLines: 0,
    });
  });
});

describe('escapeMrkdwn', () => {
  it('escapes only &, < and >', () => {
    expect(escapeMrkdwn('p < 0.05 && q > 1 <!here> *bold* _it_')).toBe(
      'p &lt; 0.05 &amp;&amp; q &gt; 1 &lt;!here&gt; *bold* _it_',
    );
  });
});

describe('splitMarkdown and tables', () => {
  it('repeats the header and delimiter rows of a table cut across chunks', () => {
    const rows = Array.from({ length: 400 }, (_, i) => `| region ${i} | ${i * 10} |`);
    const text = `Intro line.\n\n| region | revenue |\n| --- | ---: |\n${rows.join('\n')}\n\nAfter the table.`;
    const chunks = splitMarkdown(text, 3_000);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks.slice(1, -1)) {
      expect(chunk.startsWith('| region | revenue |\n| --- | ---: |\n')).toBe(true);
      expect(chunk.length).toBeLessThanOrEqual(3_000);
    }
    // Every row appears exactly once, in order, and nothing else was lost.
    const all = chunks.join('\n');
    const seen = rows.map((r) => all.indexOf(r));
    expect(seen.every((i, k) => i >= 0 && (k === 0 || i > seen[k - 1]!))).toBe(true);
    expect(all.split('| region 399 | 3990 |')).toHaveLength(2);
    expect(all).toContain('After the table.');
  });

  it('does not repeat a header when the cut falls between a table and the following text', () => {
    const table = `| a | b |\n| --- | --- |\n${Array.from({ length: 50 }, (_, i) => `| ${i} | ${i} |`).join('\n')}`;
    const chunks = splitMarkdown(`${table}\n\n${'x'.repeat(900)}`, 1_000);
    expect(chunks.slice(1).some((c) => c.startsWith('| a | b |'))).toBe(false);
  });
});
