import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { buildRequest, type RequestInput } from '../../src/claude/analyst.js';
import { profileText, threadContext } from '../../src/claude/prompt.js';
import type { ThreadFile } from '../../src/domain.js';
import type { DataProfile } from '../../src/files/profile/index.js';

const file = (name: string): ThreadFile => ({
  slackFileId: `F_${name}`,
  anthropicFileId: `file_${name}`,
  name,
  sizeBytes: 2048,
  mimeType: 'text/csv',
  containerId: null,
});

const question = (text: string, files: ThreadFile[] = []): Anthropic.ContentBlockParam[] => [
  { type: 'text', text: threadContext(files) },
  { type: 'text', text },
];

/** A stored turn as history holds it: the question, then Claude's answer with one code run. */
const storedTurn = (n: number): Anthropic.MessageParam[] => [
  { role: 'user', content: question(`question ${n}`) },
  {
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'plan', signature: 'sig' },
      {
        type: 'server_tool_use',
        id: `srvtoolu_${n}`,
        name: 'bash_code_execution',
        input: { command: 'python a.py' },
      },
      {
        type: 'bash_code_execution_tool_result',
        tool_use_id: `srvtoolu_${n}`,
        content: {
          type: 'bash_code_execution_result',
          stdout: 'x'.repeat(100),
          stderr: '',
          return_code: 0,
          content: [],
        },
      },
      { type: 'text', text: `answer ${n}` },
    ],
  },
];

const base = (over: Partial<RequestInput> = {}): RequestInput => ({
  model: 'claude-sonnet-5-5',
  maxTokens: 16_000,
  toolVersion: 'code_execution_20260521',
  history: [],
  userContent: question('first question'),
  containerId: null,
  cache: '1h',
  ...over,
});

/** Every cache_control in the request, in prompt order (tools, system, messages), with where it sits. */
function breakpoints(req: Anthropic.MessageCreateParams) {
  const found: { at: string; ttl: string | undefined }[] = [];
  for (const [i, b] of (req.system as Anthropic.TextBlockParam[]).entries())
    if (b.cache_control) found.push({ at: `system[${i}]`, ttl: b.cache_control.ttl });
  req.messages.forEach((m, mi) => {
    if (typeof m.content === 'string') return;
    m.content.forEach((b, bi) => {
      const cc = (b as { cache_control?: Anthropic.CacheControlEphemeral | null }).cache_control;
      if (cc) found.push({ at: `messages[${mi}][${bi}]`, ttl: cc.ttl });
    });
  });
  return found;
}

describe('request shape for prompt caching', () => {
  it('sends byte-identical tools and system for two different threads; the files travel in the question', () => {
    const a = buildRequest(base({ userContent: question('revenue?', [file('sales.csv')]) }));
    const b = buildRequest(
      base({
        history: [...storedTurn(1), ...storedTurn(2)],
        userContent: question('churn?', [file('salaries.csv'), file('churn.parquet')]),
        containerId: 'container_abc',
        previousMessageId: 'msg_prev',
      }),
    );
    expect(JSON.stringify(a.tools)).toBe(JSON.stringify(b.tools));
    expect(JSON.stringify(a.system)).toBe(JSON.stringify(b.system));
    expect(JSON.stringify(a.system)).not.toContain('sales.csv');
    expect(JSON.stringify(a.messages)).toContain('sales.csv');
    expect(JSON.stringify(b.messages.at(-1))).toContain('salaries.csv');
  });

  it('marks the system prompt, the last stored question and the end of the new question, all 1h', () => {
    const history = [...storedTurn(1), ...storedTurn(2)];
    const req = buildRequest(base({ history, userContent: question('third') }));
    expect(breakpoints(req)).toEqual([
      { at: 'system[0]', ttl: '1h' },
      // history[2] is the second stored question: where the previous request wrote its last entry.
      { at: 'messages[2][1]', ttl: '1h' },
      { at: 'messages[4][1]', ttl: '1h' },
    ]);
  });

  it("adds a breakpoint with the thread's TTL on a continuation (the next question reads it too), never more than 4", () => {
    const continuation: Anthropic.ContentBlockParam[] = [
      { type: 'text', text: 'Loading the file.' },
      { type: 'server_tool_use', id: 'srvtoolu_x', name: 'bash_code_execution', input: { command: 'ls' } },
      { type: 'thinking', thinking: 'still going', signature: 'sig2' },
    ];
    const history = Array.from({ length: 12 }, (_, i) => storedTurn(i)).flat();
    const req = buildRequest(base({ history, continuation }));
    const found = breakpoints(req);
    expect(found.length).toBeLessThanOrEqual(4);
    expect(found.map((f) => f.ttl)).toEqual(['1h', '1h', '1h', '1h']);
    // With PROMPT_CACHE_TTL=5m only the workspace-wide system prompt keeps 1h (it comes first, as the API requires).
    expect(breakpoints(buildRequest(base({ history, continuation, cache: '5m' }))).map((f) => f.ttl)).toEqual(
      ['1h', '5m', '5m', '5m'],
    );
    // A thinking block cannot carry cache_control: the mark goes on the block before it.
    expect(found.at(-1)?.at).toBe(`messages[${history.length + 1}][1]`);
  });

  it('puts the question breakpoint before container_upload blocks, which history later stores as notes', () => {
    const req = buildRequest(
      base({
        userContent: [
          ...question('revenue?', [file('sales.csv')]),
          { type: 'container_upload', file_id: 'file_sales' },
        ],
      }),
    );
    expect(breakpoints(req).at(-1)).toEqual({ at: 'messages[0][1]', ttl: '1h' });
  });

  it('does not write cache_control into the history it was given', () => {
    const history = storedTurn(1);
    const before = JSON.stringify(history);
    buildRequest(base({ history }));
    expect(JSON.stringify(history)).toBe(before);
  });

  it('turns a string message into a block so the breakpoint has somewhere to go', () => {
    const req = buildRequest(
      base({
        history: [
          { role: 'user', content: 'old question' },
          { role: 'assistant', content: 'old answer' },
        ],
      }),
    );
    expect(req.messages[0]?.content).toEqual([
      { type: 'text', text: 'old question', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
  });

  it('asks for cache diagnostics against the previous response, null on a first question', () => {
    expect(buildRequest(base()).diagnostics).toEqual({ previous_message_id: null });
    expect(buildRequest(base({ previousMessageId: 'msg_01' })).diagnostics).toEqual({
      previous_message_id: 'msg_01',
    });
  });

  it('with caching off sends no breakpoints and no diagnostics, and the same prompt otherwise', () => {
    const on = buildRequest(base({ history: storedTurn(1) }));
    const off = buildRequest(base({ history: storedTurn(1), cache: 'off' }));
    expect(breakpoints(off)).toEqual([]);
    expect(off.diagnostics).toBeUndefined();
    const strip = (r: unknown) => JSON.stringify(r).replace(/,"cache_control":\{[^}]*\}/g, '');
    expect(strip(off.messages)).toBe(strip(on.messages));
  });

  it('sends effort and thinking explicitly when configured', () => {
    const req = buildRequest(base({ behaviour: { effort: 'medium', thinking: { type: 'adaptive' } } }));
    expect(req.output_config).toEqual({ effort: 'medium' });
    expect(req.thinking).toEqual({ type: 'adaptive' });
  });
});

describe('the schema up front', () => {
  const profile: DataProfile = {
    kind: 'csv',
    rows: 1250,
    columns: [
      { name: 'month', type: 'date', nulls: 0 },
      { name: 'revenue', type: 'number', nulls: 3 },
      { name: 'tags', type: 'string', nulls: null, shape: 'list<text>' },
    ],
    delimiter: ';',
    encoding: 'utf-8 (BOM)',
    notes: ['types and empty counts inferred from the first 1,000 rows'],
  };

  it("gives Claude the profile of each file attached with the question, marked as the bot's and approximate", () => {
    const sales = { ...file('sales.csv'), profile };
    const old = { ...file('old.csv'), profile: { ...profile, rows: 7 } };
    const text = threadContext([old, sales], new Set([sales.anthropicFileId]));
    expect(text).toContain('- old.csv');
    expect(text).toContain(
      'Profile of sales.csv (made by the bot when the file was uploaded; it may be approximate): csv, delimiter ";", utf-8 (BOM), 1250 rows.',
    );
    expect(text).toContain(
      '3 columns: month date; revenue number (3 empty); tags list<text> (empty unknown)',
    );
    expect(text).toContain('Note: types and empty counts inferred from the first 1,000 rows');
    // The older file was attached with an earlier question, whose profile is already in the history.
    expect(text).not.toContain('Profile of old.csv');
  });

  it('stays bounded for thousands of columns with long names', () => {
    const wide: DataProfile = {
      kind: 'csv',
      rows: null,
      columns: Array.from({ length: 5_000 }, (_, i) => ({
        name: `${'x'.repeat(500)}\n${i}`,
        type: 'string' as const,
        nulls: 0,
      })),
      notes: [],
    };
    const text = profileText('wide.csv', wide);
    expect(text.length).toBeLessThanOrEqual(6_000);
    expect(text).toContain('rows unknown');
    expect(text.split('\n').length).toBeLessThanOrEqual(3);
  });
});
