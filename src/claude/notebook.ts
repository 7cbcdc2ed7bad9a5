/**
 * A thread's analysis as a Jupyter notebook (nbformat 4.5): questions and answers as Markdown cells, each successful
 * code run as a code cell (bash as `%%bash`, files the text editor created as `%%writefile`) with its stdout and
 * stderr, and the charts posted to Slack embedded. Pure — no I/O. Every text goes through secret redaction.
 */
import { RESTORE_SCRIPT } from '../domain.js';
import { redactSecrets } from '../text/redact.js';
import { plural } from '../text/wording.js';
import type { RecordedStep, RecordedTurn } from './recorded.js';

/** An output file of a run: its bytes, or null when they are no longer kept (deleted after posting). */
export type NotebookOutput = { fileName: string; mimeType: string; bytes: Buffer } | null;

export interface NotebookInput {
  title: string;
  /** Names of the thread's input files, which the notebook expects next to it. */
  inputFiles: readonly string[];
  turns: readonly RecordedTurn[];
  /** By Files API id, for every output file the runs produced. */
  outputs: ReadonlyMap<string, NotebookOutput>;
}

type Source = string[];
type Output =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: Source }
  | { output_type: 'display_data'; data: Record<string, string>; metadata: Record<string, never> };
type Cell =
  | { cell_type: 'markdown'; id: string; metadata: Record<string, never>; source: Source }
  | {
      cell_type: 'code';
      id: string;
      metadata: Record<string, never>;
      execution_count: null;
      source: Source;
      outputs: Output[];
    };

export interface Notebook {
  nbformat: 4;
  nbformat_minor: 5;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

/** Images Jupyter shows inline; other outputs are named in a Markdown cell. */
const EMBEDDED = new Set(['image/png', 'image/jpeg', 'image/gif']);

export function buildNotebook(input: NotebookInput): Notebook {
  const cells: Cell[] = [];
  const id = () => `cell-${cells.length + 1}`;
  const markdown = (text: string) =>
    cells.push({ cell_type: 'markdown', id: id(), metadata: {}, source: lines(redactSecrets(text)) });
  const code = (text: string, outputs: Output[]) =>
    cells.push({
      cell_type: 'code',
      id: id(),
      metadata: {},
      execution_count: null,
      source: lines(redactSecrets(text)),
      outputs,
    });

  markdown(introduction(input.title, input.inputFiles));
  code(
    [
      '# Charts and files the analysis writes to $OUTPUT_DIR land in ./outputs',
      'import os',
      "os.makedirs('outputs', exist_ok=True)",
      "os.environ.setdefault('OUTPUT_DIR', os.path.abspath('outputs'))",
    ].join('\n'),
    [],
  );

  input.turns.forEach((turn, t) => {
    markdown(`## Question ${t + 1}\n\n${quote(turn.question)}`);
    const failed = turn.steps.filter((s) => s.run.failed).length;
    for (const step of turn.steps) {
      if (step.run.failed) continue;
      if (step.run.input.includes(RESTORE_SCRIPT)) {
        // The cells above already hold what the restore (or rerun) re-ran.
        markdown(
          turn.renames.length > 0
            ? `_The analysis was re-run here on new data (${turn.renames.map((r) => `${r.from} in place of ${r.to}`).join(', ')}): the steps above ran again in a new sandbox._`
            : '_The sandbox was restored here: the steps above were re-run in a new one._',
        );
        continue;
      }
      const source = sourceOf(step);
      if (source === undefined) {
        markdown(`_A step of a kind this export does not know ran here:_ \`${oneLine(step.run.input)}\``);
        continue;
      }
      const { outputs, notes } = outputsOf(step, input.outputs);
      code(source, outputs);
      if (notes.length > 0) markdown(notes.join('\n'));
    }
    const skipped = failed > 0 ? `\n\n_${plural(failed, 'failed code run')} of this answer left out._` : '';
    markdown(`**Answer**\n\n${turn.answer}${skipped}`);
  });

  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
      title: redactSecrets(input.title),
    },
    cells,
  };
}

/** The notebook file's text, as Jupyter writes it (one-space indent, trailing newline). */
export const notebookJson = (nb: Notebook): string => `${JSON.stringify(nb, null, 1)}\n`;

function introduction(title: string, files: readonly string[]): string {
  const list =
    files.length > 0
      ? `To run it, put ${files.length === 1 ? 'this file' : 'these files'} in the same folder as this notebook:\n\n${files.map((f) => `- \`${f}\``).join('\n')}`
      : 'The thread had no input files.';
  return [
    `# ${title}`,
    '',
    'Exported from a Slack thread by slack-analyst: each question, the code that answered it (as it ran in the sandbox), its output, and the answer.',
    '',
    list,
    '',
    'Bash cells (`%%bash`) need `bash` on the machine running Jupyter.',
  ].join('\n');
}

/** The cell source for a step, or undefined for an input this export cannot reproduce. */
function sourceOf({ action }: RecordedStep): string | undefined {
  switch (action.type) {
    case 'bash':
      return `%%bash\n${action.command}`;
    case 'python':
      return action.code;
    case 'create':
      return `%%writefile ${shellWord(action.path)}\n${action.fileText}`;
    case 'str_replace':
      return [
        'from pathlib import Path',
        `p = Path(${JSON.stringify(action.path)})`,
        `p.write_text(p.read_text().replace(${JSON.stringify(action.oldStr)}, ${JSON.stringify(action.newStr)}, 1))`,
      ].join('\n');
    case 'view':
      return `%%bash\ncat ${shellWord(action.path)}`;
    case 'unknown':
      return undefined;
  }
}

function outputsOf(
  step: RecordedStep,
  files: ReadonlyMap<string, NotebookOutput>,
): { outputs: Output[]; notes: string[] } {
  const outputs: Output[] = [];
  const notes: string[] = [];
  const { stdout, stderr } = step.run;
  if (stdout !== '')
    outputs.push({ output_type: 'stream', name: 'stdout', text: lines(redactSecrets(stdout)) });
  if (stderr !== '')
    outputs.push({ output_type: 'stream', name: 'stderr', text: lines(redactSecrets(stderr)) });
  for (const fileId of step.run.outputFileIds) {
    const file = files.get(fileId);
    if (file && EMBEDDED.has(file.mimeType)) {
      outputs.push({
        output_type: 'display_data',
        data: {
          [file.mimeType]: file.bytes.toString('base64'),
          'text/plain': `<${redactSecrets(file.fileName)}>`,
        },
        metadata: {},
      });
    } else if (file) {
      notes.push(
        `_This step wrote \`${oneLine(file.fileName)}\` to \`$OUTPUT_DIR\` (posted to the Slack thread)._`,
      );
    } else {
      notes.push(
        `_This step produced a file that was posted to the Slack thread (Files API id \`${fileId}\`); its bytes are no longer kept, so it is not embedded here: take it from the thread, or run the cell above._`,
      );
    }
  }
  return { outputs, notes };
}

/** Jupyter's multi-line string: lines with their newlines kept. */
function lines(text: string): Source {
  return text.split(/(?<=\n)/).filter((l) => l !== '');
}

const quote = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');

const oneLine = (text: string) => redactSecrets(text).replace(/\s+/g, ' ').replace(/`/g, "'").slice(0, 200);

/** A path as one shell/magic argument. */
const shellWord = (path: string) =>
  /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
