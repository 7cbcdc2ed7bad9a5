import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { blocks, type Harness, startHarness, threadText } from '../support/harness.js';
import { nbformatErrors } from '../support/nbformat.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const SECRET = 'xoxb-1234567890-abcdefghijklmnop';
const csv = Buffer.from('region,revenue\nEMEA,1200\nAMER,900\n');

type Cell = {
  cell_type: string;
  source: string[];
  outputs?: { output_type: string; text?: string[]; data?: Record<string, string> }[];
};

/** A two-question thread: a chart, a helper script written with the text editor, a failed run, a secret printed. */
async function analysedThread(): Promise<{ root: string; png: Buffer }> {
  const png = randomBytes(64);
  const pngId = h.anthropic.addOutputFile('revenue.png', 'image/png', png);
  const file = h.slack.hostFile({ name: 'sales.csv', content: csv });
  h.anthropic.enqueue({
    kind: 'message',
    content: [
      blocks.bash('srvtoolu_1', 'head -3 sales.csv'),
      blocks.bashResult('srvtoolu_1', { stdout: 'region,revenue\nEMEA,1200\n' }),
      blocks.bash('srvtoolu_2', 'python plot.py'),
      blocks.bashResult('srvtoolu_2', { stderr: 'No such file: plot.py', returnCode: 2 }),
      blocks.editor('srvtoolu_3', {
        command: 'create',
        path: '/tmp/plot.py',
        file_text: 'print("plotting")\n',
      }),
      blocks.editorCreated('srvtoolu_3'),
      blocks.bash('srvtoolu_4', 'python /tmp/plot.py && cp /tmp/revenue.png "$OUTPUT_DIR/"'),
      blocks.bashResult('srvtoolu_4', { stdout: `plotting\ntoken=${SECRET}\n`, fileIds: [pngId] }),
      blocks.text('EMEA leads with 1,200.'),
    ],
  });
  const root = await h.mention('Which region leads on revenue?', { files: [file] });
  await h.settle();
  h.anthropic.enqueue({
    kind: 'message',
    content: [
      blocks.bash('srvtoolu_5', 'python -c "print(1200 - 900)"'),
      blocks.bashResult('srvtoolu_5', { stdout: '300\n' }),
      blocks.text('EMEA is 300 ahead.'),
    ],
  });
  await h.message('By how much?', { threadTs: root });
  await h.settle();
  return { root, png };
}

async function exportIt(root: string) {
  await h.mention('notebook', { threadTs: root });
  await h.settle();
  const upload = h.slack.uploads.find((u) => u.filename.endsWith('.ipynb'));
  expect(upload?.threadTs).toBe(root);
  const text = upload!.bytes.toString('utf8');
  return { upload: upload!, text, nb: JSON.parse(text) as { cells: Cell[] } };
}

describe('@Analyst notebook', () => {
  it('posts the thread as a valid notebook with every successful run, each answer and the chart, and no secret', async () => {
    h = await startHarness({ DELETE_OUTPUT_FILES: 'false' });
    const { root, png } = await analysedThread();
    const { upload, text, nb } = await exportIt(root);

    expect(upload.filename).toBe('Which region leads on revenue.ipynb');
    expect(nbformatErrors(nb)).toEqual([]);
    const src = nb.cells.map((c) => c.source.join(''));
    expect(src[0]).toContain('`sales.csv`');
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
    expect(code.slice(1)).toEqual([
      '%%bash\nhead -3 sales.csv',
      '%%writefile /tmp/plot.py\nprint("plotting")\n',
      '%%bash\npython /tmp/plot.py && cp /tmp/revenue.png "$OUTPUT_DIR/"',
      '%%bash\npython -c "print(1200 - 900)"',
    ]);
    const chartCell = nb.cells.find((c) => c.source.join('').includes('cp /tmp/revenue.png'));
    expect(chartCell?.outputs?.map((o) => o.output_type)).toEqual(['stream', 'display_data']);
    expect(chartCell?.outputs?.[1]?.data?.['image/png']).toBe(png.toString('base64'));
    for (const answer of [
      'Which region leads on revenue?',
      'EMEA leads with 1,200.',
      'By how much?',
      'EMEA is 300 ahead.',
    ])
      expect(src.some((s) => s.includes(answer))).toBe(true);
    expect(text).not.toContain('No such file: plot.py');
    expect(text).not.toContain(SECRET);
    expect(upload.initialComment).toMatch(/2 questions, 4 code cells.*sales\.csv/);
  });

  it('names a chart whose bytes were deleted after posting instead of embedding it', async () => {
    h = await startHarness();
    const { root } = await analysedThread();
    const { nb } = await exportIt(root);
    expect(nbformatErrors(nb)).toEqual([]);
    const text = JSON.stringify(nb);
    expect(text).not.toContain('image/png');
    expect(text).toMatch(
      /posted to the Slack thread \(Files API id `file_\w+`\); its bytes are no longer kept/,
    );
  });

  it('says so when there is nothing to export yet', async () => {
    h = await startHarness();
    const root = await h.mention('notebook');
    await h.settle();
    expect(threadText(h.thread(root))).toContain('no answered question in this thread to export');
    expect(h.slack.uploads).toHaveLength(0);
  });
});
