import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { buildNotebook, type NotebookOutput, notebookJson } from '../../src/claude/notebook.js';
import { isExploratory, recordedTurns } from '../../src/claude/recorded.js';
import type { HistoryEntry } from '../../src/domain.js';
import { notebookTitle } from '../../src/notebook-export.js';
import { blocks } from '../support/harness.js';
import { nbformatErrors } from '../support/nbformat.js';

const SECRET = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789';

let seq = 0;
function turn(turnId: string, question: string, content: Anthropic.ContentBlock[]): HistoryEntry[] {
  const user: Anthropic.MessageParam = {
    role: 'user',
    content: [
      { type: 'text', text: 'Files shared in this thread:\n- sales.csv (1 KB, text/csv)' },
      { type: 'text', text: `Question from Slack user U1:\n${question}` },
    ],
  };
  return [
    { seq: ++seq, turnId, message: user, approxTokens: 1 },
    { seq: ++seq, turnId, message: { role: 'assistant', content }, approxTokens: 1 },
  ];
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

const history = [
  ...turn('t1', 'Which region grew fastest?', [
    blocks.bash('s1', 'ls -la'),
    blocks.bashResult('s1', { stdout: 'sales.csv\n' }),
    blocks.editor('s2', {
      command: 'create',
      path: '/tmp/load.py',
      file_text: `import pandas as pd\nKEY = "${SECRET}"\n`,
    }),
    blocks.editorCreated('s2'),
    blocks.bash('s3', 'python /tmp/load.py'),
    blocks.bashResult('s3', { stderr: 'Traceback: boom', returnCode: 1 }),
    blocks.bash('s4', 'python /tmp/load.py && cp /tmp/r.png "$OUTPUT_DIR/"'),
    blocks.bashResult('s4', {
      stdout: `EMEA +18.4 %\ntoken ${SECRET}\n`,
      fileIds: ['file_png', 'file_gone'],
    }),
    blocks.text('EMEA grew fastest: +18.4 %.'),
  ]),
  ...turn('t2', 'And by month?', [
    blocks.bash('s9', 'bash "$(find / -name slack-analyst-restore.sh -type f | head -n 1)"'),
    blocks.bashResult('s9', { stdout: 'restore: 2 of 2 steps re-ran, 0 failed\n' }),
    blocks.bash('s5', 'python -c "print(12)"'),
    blocks.bashResult('s5', { stdout: '12\n', stderr: 'warning: old pandas\n' }),
    blocks.text('Twelve months.'),
  ]),
];

const outputs = new Map<string, NotebookOutput>([
  ['file_png', { fileName: 'growth.png', mimeType: 'image/png', bytes: PNG }],
  ['file_gone', null],
]);

describe('the notebook export', () => {
  const turns = recordedTurns(history);
  const nb = buildNotebook({ title: 'Which region grew fastest', inputFiles: ['sales.csv'], turns, outputs });
  const json = notebookJson(nb);
  const sources = nb.cells.map((c) => c.source.join(''));

  it('is a valid nbformat 4 notebook by the official schema', () => {
    expect(nbformatErrors(JSON.parse(json))).toEqual([]);
  });

  it('says first which input files to put next to it', () => {
    expect(nb.cells[0]?.cell_type).toBe('markdown');
    expect(sources[0]).toContain('- `sales.csv`');
  });

  it('has each question and answer, and each successful run in order with its outputs', () => {
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
    expect(code.slice(1)).toEqual([
      '%%bash\nls -la',
      '%%writefile /tmp/load.py\nimport pandas as pd\nKEY = "[redacted anthropic key]"\n',
      '%%bash\npython /tmp/load.py && cp /tmp/r.png "$OUTPUT_DIR/"',
      '%%bash\npython -c "print(12)"',
    ]);
    const order = ['Which region grew fastest?', 'EMEA grew fastest', 'And by month?', 'Twelve months.'];
    const at = order.map((text) => sources.findIndex((s) => s.includes(text)));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const last = nb.cells.filter((c) => c.cell_type === 'code').at(-1);
    expect(last?.cell_type === 'code' && last.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: ['12\n'] },
      { output_type: 'stream', name: 'stderr', text: ['warning: old pandas\n'] },
    ]);
  });

  it('does not repeat a sandbox restore as code, but says where it happened', () => {
    expect(json).not.toContain('slack-analyst-restore.sh');
    expect(sources.join('\n')).toContain('The sandbox was restored here');
  });

  it('says where a rerun on new data happened, and on which files', () => {
    const rerun = turns.map((t) =>
      t.steps.some((s) => s.run.input.includes('slack-analyst-restore.sh'))
        ? { ...t, renames: [{ from: 'sales_dec.csv', to: 'sales.csv' }] }
        : t,
    );
    const text = buildNotebook({ title: 't', inputFiles: ['sales.csv'], turns: rerun, outputs })
      .cells.map((c) => c.source.join(''))
      .join('\n');
    expect(text).toContain('re-run here on new data (sales_dec.csv in place of sales.csv)');
    expect(text).not.toContain('The sandbox was restored here');
  });

  it('leaves failed runs out and says so', () => {
    expect(json).not.toContain('Traceback: boom');
    expect(sources.join('\n')).toContain('1 failed code run of this answer left out');
  });

  it('embeds a posted chart, and names a file whose bytes are gone', () => {
    expect(json).toContain(`"image/png": "${PNG.toString('base64')}"`);
    expect(sources.join('\n')).toMatch(/file_gone.*no longer kept/);
  });

  it('carries no secret', () => {
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain('sk-ant-api03');
  });
});

describe('what counts as exploratory', () => {
  it.each([
    ['ls -la', true],
    ['head -5 sales.csv | wc -l', true],
    ['ls 2>/dev/null && pwd', true],
    ['cat a.csv > b.csv', false],
    ['python clean.py', false],
    ['ls && python clean.py', false],
    ['echo $(python clean.py)', false],
  ])('%s → %s', (command, expected) => {
    expect(isExploratory({ type: 'bash', command })).toBe(expected);
  });
});

describe('the notebook title', () => {
  it('is the first question, without mentions or characters file names cannot hold', () => {
    expect(notebookTitle('<@U123> which region grew fastest? / by quarter')).toBe(
      'which region grew fastest by quarter',
    );
    expect(notebookTitle('???')).toBe('analysis');
    expect(notebookTitle('a '.repeat(100)).length).toBeLessThanOrEqual(60);
  });
});
