import type Anthropic from '@anthropic-ai/sdk';
import type { CodeRun, StepEvent } from '../domain.js';
import { splitFollowUps } from '../text/follow-ups.js';

type Block = Anthropic.ContentBlock;

/** Pairs each code-execution result block with the server_tool_use that started it, in order. */
export function collectRuns(content: readonly Block[]): CodeRun[] {
  const uses = new Map<string, Anthropic.ServerToolUseBlock>();
  const runs: CodeRun[] = [];
  for (const block of content) {
    if (block.type === 'server_tool_use') {
      uses.set(block.id, block);
      continue;
    }
    const run = toRun(block, uses);
    if (run) runs.push(run);
  }
  return runs;
}

function toRun(block: Block, uses: Map<string, Anthropic.ServerToolUseBlock>): CodeRun | undefined {
  switch (block.type) {
    case 'bash_code_execution_tool_result': {
      const base = {
        toolUseId: block.tool_use_id,
        kind: 'bash' as const,
        input: describeInput(uses.get(block.tool_use_id)),
      };
      const c = block.content;
      if (c.type === 'bash_code_execution_tool_result_error') return toolError(base, c.error_code);
      return executed(base, c.stdout, c.stderr, c.return_code, c.content);
    }
    case 'code_execution_tool_result': {
      const base = {
        toolUseId: block.tool_use_id,
        kind: 'python' as const,
        input: describeInput(uses.get(block.tool_use_id)),
      };
      const c = block.content;
      if (c.type === 'code_execution_tool_result_error') return toolError(base, c.error_code);
      // The encrypted variant hides stdout (it only appears when the code used web search).
      const stdout = c.type === 'encrypted_code_execution_result' ? '' : c.stdout;
      return executed(base, stdout, c.stderr, c.return_code, c.content);
    }
    case 'text_editor_code_execution_tool_result': {
      const base = {
        toolUseId: block.tool_use_id,
        kind: 'file_edit' as const,
        input: describeInput(uses.get(block.tool_use_id)),
      };
      const c = block.content;
      if (c.type === 'text_editor_code_execution_tool_result_error') {
        return { ...toolError(base, c.error_code), stderr: c.error_message ?? '' };
      }
      return {
        ...base,
        stdout: '',
        stderr: '',
        returnCode: null,
        errorCode: null,
        outputFileIds: [],
        failed: false,
      };
    }
    default:
      // Text, thinking, other tools and block types newer than this build: kept in history, not rendered.
      return undefined;
  }
}

const executed = (
  base: Pick<CodeRun, 'toolUseId' | 'kind' | 'input'>,
  stdout: string,
  stderr: string,
  returnCode: number,
  outputs: readonly { file_id: string }[],
): CodeRun => ({
  ...base,
  stdout,
  stderr,
  returnCode,
  errorCode: null,
  outputFileIds: outputs.map((o) => o.file_id),
  failed: returnCode !== 0,
});

const toolError = (base: Pick<CodeRun, 'toolUseId' | 'kind' | 'input'>, errorCode: string): CodeRun => ({
  ...base,
  stdout: '',
  stderr: '',
  returnCode: null,
  errorCode,
  outputFileIds: [],
  failed: true,
});

/** Human-readable input of a server tool call: the bash command, the Python code, or the edit. */
function describeInput(use: Anthropic.ServerToolUseBlock | undefined): string {
  if (!use) return '';
  const input = (use.input ?? {}) as Record<string, unknown>;
  if (typeof input.command === 'string' && typeof input.path === 'string') {
    return `${input.command} ${input.path}${typeof input.file_text === 'string' ? `\n${input.file_text}` : ''}`;
  }
  for (const key of ['command', 'code'] as const) {
    if (typeof input[key] === 'string') return input[key];
  }
  return JSON.stringify(input);
}

/**
 * The answer to show: the text Claude wrote after its last tool call (its conclusion), or all of its
 * text when it never called a tool.
 */
export function answerText(content: readonly Block[]): string {
  let lastTool = -1;
  content.forEach((b, i) => {
    if (b.type === 'server_tool_use' || b.type.endsWith('_tool_result')) lastTool = i;
  });
  const texts = (from: number) =>
    content
      .slice(from)
      .flatMap((b) => (b.type === 'text' ? [b.text.trim()] : []))
      .filter(Boolean)
      .join('\n\n');
  return splitFollowUps(texts(lastTool + 1) || texts(0)).markdown;
}

/** The follow-up questions Claude proposed at the end of its answer (see SYSTEM_PROMPT), at most three. */
export function followUpsOf(content: readonly Block[]): string[] {
  const text = content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n\n');
  return splitFollowUps(text).followUps;
}

const KIND_BY_TOOL: Record<string, CodeRun['kind']> = {
  bash_code_execution: 'bash',
  code_execution: 'python',
  text_editor_code_execution: 'file_edit',
};

/** The step event a completed content block stands for, if any. */
export function stepEvent(block: Block): StepEvent | undefined {
  if (block.type === 'server_tool_use') {
    const kind = KIND_BY_TOOL[block.name];
    return kind && { type: 'started', id: block.id, kind, input: describeInput(block) };
  }
  const run = toRun(block, new Map());
  return run && { type: 'finished', id: run.toolUseId, failed: run.failed };
}
