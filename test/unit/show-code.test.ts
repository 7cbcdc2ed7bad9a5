import { describe, expect, it } from 'vitest';
import type { CodeRun } from '../../src/domain.js';
import { INLINE_LIMIT, MESSAGE_LIMIT, pack, renderRuns } from '../../src/slack/show-code.js';

const WJ = '\u2060';

const run = (over: Partial<CodeRun> = {}): CodeRun => ({
  toolUseId: 'srvtoolu_1',
  kind: 'bash',
  input: 'python -c "print(42)"',
  stdout: '42\n',
  stderr: '',
  returnCode: 0,
  errorCode: null,
  outputFileIds: [],
  failed: false,
  ...over,
});

/** Every ``` opened in a message is closed in it. */
const fencesBalanced = (markdown: string) =>
  markdown.split('\n').filter((l) => /^\s*```/.test(l)).length % 2 === 0;

describe('renderRuns', () => {
  it('lists each run in order with its number, kind, fenced code, outcome and output', () => {
    const { messages, files } = renderRuns([
      run({ input: 'ls /tmp/data', stdout: 'sales.csv\n' }),
      run({
        kind: 'python',
        input: 'import pandas as pd\npd.read_csv("x.csv")',
        stdout: '',
        stderr: 'FileNotFoundError: x.csv',
        returnCode: 1,
        failed: true,
      }),
      run({
        input: 'python slow.py',
        stdout: '',
        returnCode: null,
        errorCode: 'execution_time_exceeded',
        failed: true,
      }),
      run({ kind: 'file_edit', input: 'create /tmp/a.py\nprint(1)', stdout: '', returnCode: null }),
    ]);
    expect(files).toEqual([]);
    expect(messages).toHaveLength(1);
    const md = messages[0]!;
    expect(md).toContain('4 runs, 2 failed');
    const order = ['**Run 1 · Bash**', '**Run 2 · Python**', '**Run 3 · Bash**', '**Run 4 · File edit**'].map(
      (h) => md.indexOf(h),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(md).toContain('```bash\nls /tmp/data\n```');
    expect(md).toContain('✅ exit code 0');
    expect(md).toContain('stdout:\n```\nsales.csv\n```');
    expect(md).toContain('```python\nimport pandas as pd\npd.read_csv("x.csv")\n```');
    expect(md).toContain('❌ exit code 1');
    expect(md).toContain('stderr:\n```\nFileNotFoundError: x.csv\n```');
    expect(md).toContain('❌ tool error `execution_time_exceeded`');
    expect(md).toContain('**Run 4 · File edit** — ✅ done');
    expect(fencesBalanced(md)).toBe(true);
  });

  it('says so when the answer ran no code', () => {
    expect(renderRuns([])).toEqual({ messages: ['This answer did not run any code.'], files: [] });
  });

  it('redacts secrets and neutralises mentions in code and output', () => {
    const key = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz';
    const { messages } = renderRuns([
      run({
        input: `curl -H "x-api-key: ${key}" https://api.example.com # <!channel>`,
        stdout: `token=${key}\nping <@U0123ABCD> and @here\n`,
        stderr: 'AWS AKIAABCDEFGHIJKLMNOP leaked',
      }),
    ]);
    const md = messages.join('\n');
    expect(md).not.toContain(key);
    expect(md).not.toContain('AKIAABCDEFGHIJKLMNOP');
    expect(md).toContain('[redacted');
    expect(md).not.toContain('<!channel>');
    expect(md).not.toContain('<@U0123ABCD>');
    expect(md).not.toMatch(/(?<!\u2060)@here/);
    expect(md).toContain(`@${WJ}channel`);
  });

  it('keeps backticks in code from closing the fence', () => {
    const { messages } = renderRuns([run({ input: 'echo "```"; echo done' })]);
    expect(fencesBalanced(messages[0]!)).toBe(true);
    expect(messages[0]).toContain('done');
  });

  it('uploads long output as a file and says where the rest is, instead of cutting silently', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `row ${i}: ${'x'.repeat(20)}`);
    const stdout = `${lines.join('\n')}\n`;
    const { messages, files } = renderRuns([run({ input: 'python dump.py', stdout })]);
    expect(files).toHaveLength(1);
    expect(files[0]!.filename).toBe('run-1.txt');
    expect(files[0]!.content).toContain('python dump.py');
    expect(files[0]!.content).toContain(stdout.trimEnd());
    const md = messages.join('\n');
    expect(md).toContain('row 399');
    expect(md).not.toContain('row 0:');
    expect(md).toMatch(/stdout \(last \d+ of 400 lines; all of it is in `run-1\.txt`\)/);
  });

  it('uploads long code as a file with a preview of its first lines', () => {
    const code = Array.from({ length: 200 }, (_, i) => `x_${i} = ${i} * 2  # step ${i}`).join('\n');
    expect(code.length).toBeGreaterThan(INLINE_LIMIT);
    const { messages, files } = renderRuns([run({ kind: 'python', input: code }), run({ input: 'echo ok' })]);
    expect(files.map((f) => f.filename)).toEqual(['run-1.txt']);
    expect(files[0]!.content).toContain('x_199 = 199 * 2');
    const md = messages.join('\n');
    expect(md).toContain('x_0 = 0 * 2');
    expect(md).not.toContain('x_199');
    expect(md).toMatch(/First 30 of 200 lines .*`run-1\.txt`/);
  });

  it('redacts secrets in uploaded files too', () => {
    const key = 'xoxb-1234567890-abcdefghijklmnop';
    const { files } = renderRuns([run({ stdout: `${'y'.repeat(4000)}\nSLACK_BOT_TOKEN=${key}\n` })]);
    expect(files[0]!.content).not.toContain(key);
  });

  it('spreads many runs over several messages within the limit, each run whole and each fence closed', () => {
    const runs = Array.from({ length: 12 }, (_, i) =>
      run({ input: `python step_${i}.py`, stdout: `${'z'.repeat(60)}\n`.repeat(40) }),
    );
    const { messages } = renderRuns(runs);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
      expect(fencesBalanced(m)).toBe(true);
    }
    const all = messages.join('\n');
    for (let i = 0; i < 12; i++) {
      const holder = messages.filter((m) => m.includes(`**Run ${i + 1} · Bash**`));
      expect(holder).toHaveLength(1);
      expect(holder[0]).toContain(`python step_${i}.py`);
    }
    expect(all.indexOf('**Run 2 ·')).toBeLessThan(all.indexOf('**Run 12 ·'));
  });
});

describe('pack', () => {
  it('joins sections up to the limit and splits only a section that alone is too long', () => {
    expect(pack(['aaa', 'bbb', 'ccc'], 8)).toEqual(['aaa\n\nbbb', 'ccc']);
    const long = `\`\`\`\n${'line\n'.repeat(10)}\`\`\``;
    const out = pack(['intro', long], 30);
    expect(out[0]).toBe('intro');
    expect(out.slice(1).every((m) => m.length <= 30 && fencesBalanced(m))).toBe(true);
  });
});
