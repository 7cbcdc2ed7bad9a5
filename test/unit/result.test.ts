import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { answerText, collectRuns } from '../../src/claude/result.js';

type Block = Anthropic.ContentBlock;

const text = (t: string): Anthropic.TextBlock => ({ type: 'text', text: t, citations: null });

const use = (
  id: string,
  name: Anthropic.ServerToolUseBlock['name'],
  input: Record<string, unknown>,
): Anthropic.ServerToolUseBlock => ({
  type: 'server_tool_use',
  id,
  name,
  input,
  caller: { type: 'direct' },
});

const bash = (
  toolUseId: string,
  r: { stdout?: string; stderr?: string; return_code: number; files?: string[] },
): Anthropic.BashCodeExecutionToolResultBlock => ({
  type: 'bash_code_execution_tool_result',
  tool_use_id: toolUseId,
  content: {
    type: 'bash_code_execution_result',
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    return_code: r.return_code,
    content: (r.files ?? []).map((file_id) => ({ type: 'bash_code_execution_output', file_id })),
  },
});

const python = (
  toolUseId: string,
  r: { stdout?: string; stderr?: string; return_code: number; files?: string[] },
): Anthropic.CodeExecutionToolResultBlock => ({
  type: 'code_execution_tool_result',
  tool_use_id: toolUseId,
  content: {
    type: 'code_execution_result',
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    return_code: r.return_code,
    content: (r.files ?? []).map((file_id) => ({ type: 'code_execution_output', file_id })),
  },
});

const editor = (
  toolUseId: string,
  content: Anthropic.TextEditorCodeExecutionToolResultBlock['content'],
): Anthropic.TextEditorCodeExecutionToolResultBlock => ({
  type: 'text_editor_code_execution_tool_result',
  tool_use_id: toolUseId,
  content,
});

describe('collectRuns: bash_code_execution_tool_result', () => {
  it('reports a successful command with its output and the ids of the files it produced', () => {
    const runs = collectRuns([
      use('srvtoolu_1', 'bash_code_execution', { command: 'python plot.py' }),
      bash('srvtoolu_1', { stdout: 'saved chart\n', return_code: 0, files: ['file_png', 'file_csv'] }),
    ]);
    expect(runs).toEqual([
      {
        toolUseId: 'srvtoolu_1',
        kind: 'bash',
        input: 'python plot.py',
        stdout: 'saved chart\n',
        stderr: '',
        returnCode: 0,
        errorCode: null,
        outputFileIds: ['file_png', 'file_csv'],
        failed: false,
      },
    ]);
  });

  it('marks a non-zero return code as failed and keeps stderr for the user', () => {
    const [run] = collectRuns([
      use('srvtoolu_1', 'bash_code_execution', { command: 'cat missing.csv' }),
      bash('srvtoolu_1', { stderr: 'cat: missing.csv: No such file or directory', return_code: 1 }),
    ]);
    expect(run).toMatchObject({
      failed: true,
      returnCode: 1,
      errorCode: null,
      stderr: 'cat: missing.csv: No such file or directory',
    });
  });

  it('marks a tool error as failed with its error code and no return code', () => {
    const [run] = collectRuns([
      use('srvtoolu_1', 'bash_code_execution', { command: 'sleep 9999' }),
      {
        type: 'bash_code_execution_tool_result',
        tool_use_id: 'srvtoolu_1',
        content: { type: 'bash_code_execution_tool_result_error', error_code: 'execution_time_exceeded' },
      },
    ]);
    expect(run).toMatchObject({
      kind: 'bash',
      input: 'sleep 9999',
      failed: true,
      returnCode: null,
      errorCode: 'execution_time_exceeded',
      outputFileIds: [],
    });
  });
});

describe('collectRuns: code_execution_tool_result (Python)', () => {
  it('pairs the run with the code Claude sent', () => {
    const code = 'import pandas as pd\nprint(pd.read_csv("sales.csv").shape)';
    const [run] = collectRuns([
      use('srvtoolu_py', 'code_execution', { code }),
      python('srvtoolu_py', { stdout: '(120, 4)\n', return_code: 0, files: ['file_out'] }),
    ]);
    expect(run).toMatchObject({
      kind: 'python',
      input: code,
      stdout: '(120, 4)\n',
      returnCode: 0,
      failed: false,
      outputFileIds: ['file_out'],
    });
  });

  it('marks a Python traceback (return code 1) as failed', () => {
    const [run] = collectRuns([
      use('srvtoolu_py', 'code_execution', { code: '1/0' }),
      python('srvtoolu_py', { stderr: 'ZeroDivisionError: division by zero', return_code: 1 }),
    ]);
    expect(run).toMatchObject({ failed: true, returnCode: 1, stderr: 'ZeroDivisionError: division by zero' });
  });

  it('reads the encrypted variant: no stdout, but stderr, return code and output files', () => {
    const [run] = collectRuns([
      use('srvtoolu_enc', 'code_execution', { code: 'print(secret)' }),
      {
        type: 'code_execution_tool_result',
        tool_use_id: 'srvtoolu_enc',
        content: {
          type: 'encrypted_code_execution_result',
          encrypted_stdout: 'EqQBCkYIARgCKkA…opaque',
          stderr: 'warning: deprecated',
          return_code: 2,
          content: [{ type: 'code_execution_output', file_id: 'file_enc' }],
        },
      },
    ]);
    expect(run).toMatchObject({
      kind: 'python',
      stdout: '',
      stderr: 'warning: deprecated',
      returnCode: 2,
      failed: true,
      outputFileIds: ['file_enc'],
    });
    expect(run?.stdout).not.toContain('opaque');
  });

  it('marks the error object as failed with its error code', () => {
    const [run] = collectRuns([
      use('srvtoolu_py', 'code_execution', { code: 'x' }),
      {
        type: 'code_execution_tool_result',
        tool_use_id: 'srvtoolu_py',
        content: { type: 'code_execution_tool_result_error', error_code: 'unavailable' },
      },
    ]);
    expect(run).toMatchObject({ kind: 'python', failed: true, returnCode: null, errorCode: 'unavailable' });
  });
});

describe('collectRuns: text_editor_code_execution_tool_result', () => {
  it('describes a create by command, path and the file text, and counts it as a success', () => {
    const [run] = collectRuns([
      use('srvtoolu_ed', 'text_editor_code_execution', {
        command: 'create',
        path: '/tmp/analysis.py',
        file_text: 'print("hi")',
      }),
      editor('srvtoolu_ed', { type: 'text_editor_code_execution_create_result', is_file_update: false }),
    ]);
    expect(run).toEqual({
      toolUseId: 'srvtoolu_ed',
      kind: 'file_edit',
      input: 'create /tmp/analysis.py\nprint("hi")',
      stdout: '',
      stderr: '',
      returnCode: null,
      errorCode: null,
      outputFileIds: [],
      failed: false,
    });
  });

  it('describes view and str_replace by command and path', () => {
    const runs = collectRuns([
      use('srvtoolu_v', 'text_editor_code_execution', { command: 'view', path: '/tmp/data.csv' }),
      editor('srvtoolu_v', {
        type: 'text_editor_code_execution_view_result',
        content: 'a,b\n1,2',
        file_type: 'text',
        num_lines: 2,
        start_line: 1,
        total_lines: 2,
      }),
      use('srvtoolu_r', 'text_editor_code_execution', {
        command: 'str_replace',
        path: '/tmp/analysis.py',
        old_str: 'sum',
        new_str: 'mean',
      }),
      editor('srvtoolu_r', {
        type: 'text_editor_code_execution_str_replace_result',
        lines: ['df.mean()'],
        new_lines: 1,
        new_start: 3,
        old_lines: 1,
        old_start: 3,
      }),
    ]);
    expect(runs.map((r) => [r.input, r.failed])).toEqual([
      ['view /tmp/data.csv', false],
      ['str_replace /tmp/analysis.py', false],
    ]);
  });

  it('reports an editor error with its code and message', () => {
    const [run] = collectRuns([
      use('srvtoolu_ed', 'text_editor_code_execution', { command: 'view', path: '/tmp/nope.txt' }),
      editor('srvtoolu_ed', {
        type: 'text_editor_code_execution_tool_result_error',
        error_code: 'file_not_found',
        error_message: 'File /tmp/nope.txt does not exist',
      }),
    ]);
    expect(run).toMatchObject({
      kind: 'file_edit',
      input: 'view /tmp/nope.txt',
      failed: true,
      errorCode: 'file_not_found',
      stderr: 'File /tmp/nope.txt does not exist',
    });
  });

  it('reports an editor error without a message as failed with empty stderr', () => {
    const [run] = collectRuns([
      editor('srvtoolu_ed', {
        type: 'text_editor_code_execution_tool_result_error',
        error_code: 'invalid_tool_input',
        error_message: null,
      }),
    ]);
    expect(run).toMatchObject({ failed: true, errorCode: 'invalid_tool_input', stderr: '' });
  });
});

describe('collectRuns: pairing and robustness', () => {
  it('keeps runs in response order, each paired with its own server_tool_use', () => {
    const runs = collectRuns([
      text('Let me look.'),
      use('a', 'bash_code_execution', { command: 'ls' }),
      use('b', 'code_execution', { code: 'print(2)' }),
      python('b', { stdout: '2', return_code: 0 }),
      bash('a', { stdout: 'sales.csv', return_code: 0 }),
    ]);
    expect(runs.map((r) => [r.toolUseId, r.kind, r.input])).toEqual([
      ['b', 'python', 'print(2)'],
      ['a', 'bash', 'ls'],
    ]);
  });

  it('leaves the input empty when the result has no matching server_tool_use', () => {
    const [run] = collectRuns([bash('orphan', { return_code: 0 })]);
    expect(run).toMatchObject({ toolUseId: 'orphan', input: '' });
  });

  it('ignores text, thinking, web search and block types newer than this build without crashing', () => {
    const future = { type: 'quantum_tool_result', tool_use_id: 'q', content: { whatever: true } };
    const content = [
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      text('hello'),
      use('w', 'web_search', { query: 'gdp' }),
      { type: 'web_search_tool_result', tool_use_id: 'w', content: [], caller: { type: 'direct' } },
      { type: 'container_upload', file_id: 'file_in' },
      future,
    ] as unknown as Block[];
    expect(collectRuns(content)).toEqual([]);
    expect(() => answerText(content)).not.toThrow();
  });

  it('decides failure from the return code even when Claude says it worked', () => {
    const content: Block[] = [
      use('a', 'bash_code_execution', { command: 'python report.py' }),
      bash('a', { stderr: 'KeyError: region', return_code: 1 }),
      text('Done! The report ran successfully and everything worked.'),
    ];
    const [run] = collectRuns(content);
    expect(run?.failed).toBe(true);
    expect(answerText(content)).toBe('Done! The report ran successfully and everything worked.');
  });

  it('decides success from the return code even when stderr is noisy', () => {
    const [run] = collectRuns([
      use('a', 'bash_code_execution', { command: 'pip install x' }),
      bash('a', { stderr: 'WARNING: Running pip as root', return_code: 0 }),
    ]);
    expect(run?.failed).toBe(false);
  });
});

describe('answerText', () => {
  it('returns only the conclusion written after the last tool call', () => {
    const content: Block[] = [
      text('I will load the file first.'),
      use('a', 'bash_code_execution', { command: 'head sales.csv' }),
      bash('a', { stdout: 'region,q1,q2', return_code: 0 }),
      text('Now computing growth.'),
      use('b', 'code_execution', { code: 'growth()' }),
      python('b', { stdout: 'EMEA 18.4', return_code: 0 }),
      text('  EMEA grew fastest: +18.4 %.  '),
      text('AMER +9.1 %.'),
    ];
    expect(answerText(content)).toBe('EMEA grew fastest: +18.4 %.\n\nAMER +9.1 %.');
  });

  it('treats a trailing tool call without a result as the last tool call', () => {
    const content: Block[] = [
      text('Earlier narration.'),
      python('a', { return_code: 0 }),
      text('Conclusion.'),
      use('b', 'bash_code_execution', { command: 'ls' }),
      text('Final words.'),
    ];
    expect(answerText(content)).toBe('Final words.');
  });

  it('returns all text when no tool ran', () => {
    expect(answerText([text('Hello.'), text('  '), text('The answer is 42.')])).toBe(
      'Hello.\n\nThe answer is 42.',
    );
  });

  it('returns an empty string when Claude wrote nothing', () => {
    expect(answerText([])).toBe('');
  });
});
