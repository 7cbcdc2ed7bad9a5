import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { billedInputUnits, estimateCost } from '../../src/pricing.js';
import { type FakeAnthropic, startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { blocks, type Harness, startHarness, threadText } from '../support/harness.js';

const MINUTE = 60_000;
const TOOLS: Anthropic.ToolUnion[] = [{ type: 'code_execution_20260521', name: 'code_execution' }];
/** ~2,500 tokens at the fake's ~4 characters per token: above the 1,024-token minimum. */
const LONG = 'Answer with numbers computed in code. '.repeat(260);
const ephemeral = (ttl?: '5m' | '1h'): Anthropic.CacheControlEphemeral => ({
  type: 'ephemeral',
  ...(ttl ? { ttl } : {}),
});

const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function setup() {
  const fake = await startFakeAnthropic();
  fakes.push(fake);
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
  const send = (p: Partial<Anthropic.MessageCreateParamsNonStreaming>) =>
    client.messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'hi' }],
      ...p,
    });
  return { fake, send };
}

const cachedSystem = (ttl?: '5m' | '1h'): Anthropic.TextBlockParam[] => [
  { type: 'text', text: LONG, cache_control: ephemeral(ttl) },
];

describe("the fake API's prompt cache", () => {
  it('writes a marked prefix once and reads it on the next request, with usage split by TTL', async () => {
    const { send } = await setup();
    const first = await send({ system: cachedSystem('1h') });
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(first.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: first.usage.cache_creation_input_tokens,
    });
    const second = await send({ system: cachedSystem('1h'), messages: [{ role: 'user', content: 'other' }] });
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    // Only the unmarked question is billed as plain input.
    expect(second.usage.input_tokens).toBeLessThan(20);
  });

  it('does not cache a prefix below the minimum length even when marked', async () => {
    const { send } = await setup();
    const short = [{ type: 'text' as const, text: 'Be brief.', cache_control: ephemeral() }];
    await send({ system: short });
    const again = await send({ system: short });
    expect(again.usage.cache_read_input_tokens).toBe(0);
    expect(again.usage.cache_creation_input_tokens).toBe(0);
  });

  it('expires a 5-minute entry after 5 idle minutes, and a read refreshes the lifetime', async () => {
    const { fake, send } = await setup();
    await send({ system: cachedSystem('5m') });
    fake.advanceClock(4 * MINUTE);
    expect((await send({ system: cachedSystem('5m') })).usage.cache_read_input_tokens).toBeGreaterThan(0);
    fake.advanceClock(4 * MINUTE); // 8 minutes after the write, 4 after the read
    expect((await send({ system: cachedSystem('5m') })).usage.cache_read_input_tokens).toBeGreaterThan(0);
    fake.advanceClock(6 * MINUTE);
    const expired = await send({ system: cachedSystem('5m') });
    expect(expired.usage.cache_read_input_tokens).toBe(0);
    expect(expired.usage.cache_creation?.ephemeral_5m_input_tokens).toBeGreaterThan(0);
  });

  it('keeps a 1-hour entry over a 20-minute gap', async () => {
    const { fake, send } = await setup();
    await send({ system: cachedSystem('1h'), messages: [{ role: 'user', content: 'x' }] });
    fake.advanceClock(20 * MINUTE);
    const later = await send({ system: cachedSystem('1h'), messages: [{ role: 'user', content: 'y' }] });
    expect(later.usage.cache_read_input_tokens).toBeGreaterThan(0);
  });

  it('finds an earlier entry only within 20 blocks before a breakpoint', async () => {
    const { send } = await setup();
    const turns = (n: number): Anthropic.MessageParam[] =>
      Array.from({ length: n }, (_, i): Anthropic.MessageParam[] => [
        { role: 'user', content: [{ type: 'text', text: `question ${i}` }] },
        { role: 'assistant', content: [{ type: 'text', text: `answer ${i}` }] },
      ]).flat();
    const markLast = (messages: Anthropic.MessageParam[]) => {
      const last = messages.at(-1)!;
      const blocks = last.content as Anthropic.TextBlockParam[];
      return [
        ...messages.slice(0, -1),
        { ...last, content: [{ ...blocks[0]!, cache_control: ephemeral() }] },
      ];
    };
    const system = [{ type: 'text' as const, text: LONG }];
    const base = [...turns(1), { role: 'user' as const, content: [{ type: 'text' as const, text: 'base' }] }];
    const written = await send({ system, messages: markLast(base) });
    expect(written.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    // 24 more blocks: past the lookback, so everything is written again.
    const far = await send({ system, messages: markLast([...base, ...turns(12)]) });
    expect(far.usage.cache_read_input_tokens).toBe(0);
    // 10 more messages of one block each: the entry is 10 blocks back, found.
    const near = await send({ system, messages: markLast([...base, ...turns(5)]) });
    expect(near.usage.cache_read_input_tokens).toBe(written.usage.cache_creation_input_tokens);
  });

  it('places the top-level cache_control on the last block', async () => {
    const { send } = await setup();
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: LONG }];
    await send({ messages, cache_control: ephemeral() });
    const again = await send({ messages, cache_control: ephemeral() });
    expect(again.usage.cache_read_input_tokens).toBeGreaterThan(1024);
  });

  it('rejects more than 4 breakpoints and a 1h breakpoint after a 5m one, as the API does', async () => {
    const { send } = await setup();
    const marked = (ttls: ('5m' | '1h')[]) =>
      ttls.map((ttl, i) => ({ type: 'text' as const, text: `part ${i}`, cache_control: ephemeral(ttl) }));
    const tooMany = await send({ system: marked(['1h', '1h', '1h', '1h', '1h']) }).catch((e) => e);
    expect(tooMany).toBeInstanceOf(APIError);
    expect((tooMany as APIError).status).toBe(400);
    expect(String(tooMany)).toMatch(/maximum of 4 blocks with cache_control/);
    const order = await send({ system: marked(['5m', '1h']) }).catch((e) => e);
    expect((order as APIError).status).toBe(400);
  });

  it('explains a miss against diagnostics.previous_message_id', async () => {
    const { send } = await setup();
    const system = [{ type: 'text' as const, text: LONG }];
    const first = await send({ system, diagnostics: { previous_message_id: null } });
    expect(first.diagnostics).toBeNull();
    const appended = await send({
      system,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'more' },
      ],
      diagnostics: { previous_message_id: first.id },
    });
    expect(appended.diagnostics).toBeNull();
    const changed = await send({
      system: [{ type: 'text', text: `${LONG} Today is Monday.` }],
      diagnostics: { previous_message_id: first.id },
    });
    expect(changed.diagnostics?.cache_miss_reason).toMatchObject({ type: 'system_changed' });
    expect(
      (changed.diagnostics!.cache_miss_reason as Anthropic.CacheMissSystemChanged).cache_missed_input_tokens,
    ).toBeGreaterThan(1024);
    const edited = await send({
      system,
      messages: [{ role: 'user', content: 'edited' }],
      diagnostics: { previous_message_id: first.id },
    });
    expect(edited.diagnostics?.cache_miss_reason).toMatchObject({ type: 'messages_changed' });
    const unknown = await send({ system, diagnostics: { previous_message_id: 'msg_gone' } });
    expect(unknown.diagnostics?.cache_miss_reason).toEqual({ type: 'previous_message_not_found' });
  });
});

/** Claude's answer to question `n`: one code run printing ~5 KB, then the answer. */
function codeAnswer(n: number) {
  const id = `srvtoolu_${n}`;
  const stdout = Array.from(
    { length: 120 },
    (_, i) => `row ${i} of question ${n}: ${(i * 7919 + n) % 100_000}`,
  );
  return {
    kind: 'message' as const,
    content: [
      blocks.bash(id, `python3 analysis_${n}.py`),
      blocks.bashResult(id, { stdout: stdout.join('\n') }),
      blocks.text(`Answer ${n}: 42.`),
    ],
  };
}

const tokensOf = (u: Anthropic.Usage) => ({
  inputTokens: u.input_tokens,
  outputTokens: u.output_tokens,
  cacheReadInputTokens: u.cache_read_input_tokens ?? 0,
  cacheCreationInputTokens: u.cache_creation_input_tokens ?? 0,
  cacheCreation1hInputTokens: u.cache_creation?.ephemeral_1h_input_tokens ?? 0,
});
const promptTokens = (u: Anthropic.Usage) =>
  u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);

describe('the bot with prompt caching', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** A thread of `1 + gaps.length` questions, the fake's clock moved on by each reply gap. */
  async function thread(gapsMinutes: number[], env: Record<string, string> = {}) {
    h = await startHarness(env);
    h.anthropic.onMessage((_body, index) => codeAnswer(index));
    const root = await h.mention('revenue by region?');
    await h.settle();
    for (const gap of gapsMinutes) {
      h.anthropic.advanceClock(gap * MINUTE);
      await h.message('and by month?', { threadTs: root });
      await h.settle();
    }
    return { root, requests: h.anthropic.messageRequests(), responses: h.anthropic.messageResponses() };
  }

  it("reads each follow-up's whole earlier prompt from the cache across reply gaps of up to 20 minutes", async () => {
    const { responses, requests } = await thread([12, 20, 1, 15]);
    expect(responses).toHaveLength(5);
    for (let i = 2; i < responses.length; i++) {
      const previous = responses[i - 1]!.usage;
      // Everything the previous request sent up to its question is read back, not re-sent.
      expect(responses[i]!.usage.cache_read_input_tokens).toBe(promptTokens(previous));
      expect(responses[i]!.usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(0);
      expect(responses[i]!.diagnostics).toBeNull();
    }
    // Follow-ups name the previous response, so a miss would come back explained.
    expect(requests[0]!.diagnostics).toEqual({ previous_message_id: null });
    expect(requests[3]!.diagnostics).toEqual({ previous_message_id: responses[2]!.id });
    const cached = responses.reduce((n, r) => n + billedInputUnits(tokensOf(r.usage)), 0);
    const uncached = responses.reduce((n, r) => n + promptTokens(r.usage), 0);
    // Five short questions already cost less with 1h writes at 2× than without caching; `npm run bench -- cost`
    // reports the ratio for the longer threads.
    expect(cached / uncached).toBeLessThan(0.9);
  });

  it('reads the previous prefix even after an answer of more than 20 blocks (past the API lookback)', async () => {
    h = await startHarness();
    const manyRuns = Array.from({ length: 12 }, (_, i) => [
      blocks.bash(`srvtoolu_r${i}`, `python3 step_${i}.py`),
      blocks.bashResult(`srvtoolu_r${i}`, { stdout: `step ${i}: ${'x'.repeat(400)}` }),
    ]).flat();
    h.anthropic.enqueue({ kind: 'message', content: [...manyRuns, blocks.text('Done in 12 steps.')] });
    h.anthropic.onMessage((_body, index) => codeAnswer(index));
    const root = await h.mention(`revenue by region? ${'Please be thorough. '.repeat(300)}`);
    await h.settle();
    h.anthropic.advanceClock(10 * MINUTE);
    await h.message('and by month?', { threadTs: root });
    await h.settle();
    const [first, second] = h.anthropic.messageResponses();
    expect(first!.content.length).toBeGreaterThan(20);
    expect(first!.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(second!.usage.cache_read_input_tokens).toBe(promptTokens(first!.usage));
  });

  it('reads a paused answer back on the next question: it writes only what the last segment added', async () => {
    h = await startHarness();
    const [run, , answer] = codeAnswer(0).content;
    h.anthropic.enqueue({
      kind: 'message',
      content: codeAnswer(0).content.slice(0, 2),
      stop_reason: 'pause_turn',
    });
    h.anthropic.enqueue({ kind: 'message', content: [answer!] });
    h.anthropic.onMessage((_body, index) => codeAnswer(index));
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from('region,revenue\nEMEA,1\n') });
    const root = await h.mention('revenue by region?', { files: [file] });
    await h.settle();
    h.anthropic.advanceClock(12 * MINUTE);
    await h.message('and by month?', { threadTs: root });
    await h.settle();
    const requests = h.anthropic.messageRequests();
    const [, continued, next] = h.anthropic.messageResponses();
    expect(run!.type).toBe('server_tool_use');
    // The continuation sends the question as history stores it: the file is in the container by then.
    expect(JSON.stringify(requests[0]!.messages)).toContain('container_upload');
    expect(JSON.stringify(requests[1]!.messages)).not.toContain('container_upload');
    expect(JSON.stringify(requests[1]!.messages)).toContain(
      '[file sales.csv was attached to the sandbox here]',
    );
    // Its entry is a 1-hour one, so 12 minutes later the follow-up reads everything the continuation sent.
    expect(continued!.usage.cache_creation?.ephemeral_5m_input_tokens).toBe(0);
    expect(next!.usage.cache_read_input_tokens).toBe(promptTokens(continued!.usage));
    expect(next!.diagnostics).toBeNull();
  });

  it("loses the thread's prefix over a 12-minute gap with PROMPT_CACHE_TTL=5m, and sends no breakpoints when off", async () => {
    const fiveMinutes = await thread([1, 12], { PROMPT_CACHE_TTL: '5m' });
    const [, second, third] = fiveMinutes.responses;
    expect(second!.usage.cache_creation?.ephemeral_5m_input_tokens).toBeGreaterThan(0);
    expect(third!.usage.cache_read_input_tokens).toBe(0);
    await h!.close();
    const off = await thread([1], { PROMPT_CACHE_TTL: 'off' });
    expect(JSON.stringify(off.requests)).not.toContain('cache_control');
    expect(off.responses.map((r) => r.usage.cache_read_input_tokens)).toEqual([0, 0]);
  });

  it('sends the same system prompt and tools for every thread, and effort and thinking explicitly', async () => {
    h = await startHarness({ ANTHROPIC_EFFORT: 'medium' });
    h.anthropic.onMessage((_body, index) => codeAnswer(index));
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from('region,revenue\nEMEA,1\n') });
    await h.mention('thread one', { files: [file] });
    await h.settle();
    await h.mention('thread two');
    await h.settle();
    const [one, two] = h.anthropic.messageRequests();
    expect(JSON.stringify(one!.system)).toBe(JSON.stringify(two!.system));
    expect(JSON.stringify(one!.tools)).toBe(JSON.stringify(two!.tools));
    expect(JSON.stringify(one!.messages)).toContain('sales.csv');
    expect(one!.output_config).toEqual({ effort: 'medium' });
    expect(one!.thinking).toEqual({ type: 'adaptive' });
  });

  it('shortens old printed output when the thread outgrows its history budget, and says so once', async () => {
    const { root, requests } = await thread([1, 1, 1, 1, 1, 1, 1], { HISTORY_TOKEN_BUDGET: '5000' });
    const notices = h!
      .thread(root)
      .filter((m) => threadText([m]).includes('Claude now sees only the start and end'));
    expect(notices).toHaveLength(1);
    const last = JSON.stringify(requests.at(-1)!.messages);
    expect(last).toContain('characters of this earlier run left out');
    // Shortened, not dropped: the first question is still there.
    expect(last).toContain('revenue by region?');
  });

  it('keeps reading the cache once old turns are dropped: they go a quarter of the budget at a time', async () => {
    const { responses } = await thread(Array(15).fill(1), { HISTORY_TOKEN_BUDGET: '5000' });
    const requests = h!.anthropic.messageRequests();
    const dropped = requests.findIndex((r) => !JSON.stringify(r.messages).includes('revenue by region?'));
    expect(dropped).toBeGreaterThan(0);
    // From the first question without the oldest turn on, only a question that drops a new quarter (here ~2 turns)
    // writes its whole history again; dropping one turn per question did so on every question.
    const rewritten = responses.slice(dropped).filter((r) => r.usage.cache_read_input_tokens === 0);
    expect(rewritten.length).toBeLessThanOrEqual(Math.ceil((responses.length - dropped) / 2));
  });

  it('shows cache reads in the receipt and the usage command', async () => {
    const { root } = await thread([3, 3]);
    await h!.mention('usage', { threadTs: root });
    await h!.settle();
    const text = threadText(h!.thread(root));
    expect(text).toMatch(/💸 [\d.]+k input \([\d.]+k from cache\)/);
    expect(text).toMatch(
      /3 questions billed, [\d.]+k input \([\d.]+k read from the prompt cache, [\d.]+k written to it\)/,
    );
  });
});

describe('the schema up front', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("sends the upload's profile with the question that attaches the file, and keeps it across a restart", async () => {
    h = await startHarness();
    const csv = 'month;region;revenue\n2026-01-01;EMEA;10.5\n2026-02-01;;12\n';
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from(csv) });
    const root = await h.mention('revenue by region?', { files: [file] });
    await h.settle();
    await h.message('and by month?', { threadTs: root });
    await h.settle();
    const [first, second] = h.anthropic.messageRequests();
    const question = JSON.stringify(first!.messages.at(-1));
    expect(question).toContain(
      'Profile of sales.csv (made by the bot when the file was uploaded; it may be approximate)',
    );
    expect(question).toMatch(/delimiter \\";\\", utf-8, 2 rows/);
    expect(question).toContain('3 columns: month date; region string (1 empty); revenue number');
    // The follow-up carries it only in the history.
    expect(JSON.stringify(second!.messages.at(-1))).not.toContain('Profile of');

    await h.restart();
    await h.mention('reset', { threadTs: root });
    await h.settle();
    await h.message('again please', { threadTs: root });
    await h.settle();
    const afterReset = h.anthropic.messageRequests().at(-1)!;
    expect(JSON.stringify(afterReset.messages.at(-1))).toContain('Profile of sales.csv');
  });
});

describe('cost with cache prices', () => {
  it('prices cache reads at 0.1×, 5-minute writes at 1.25× and 1-hour writes at 2× the input price', () => {
    const prices = { inputPerMTok: 3, outputPerMTok: 15, containerPerHour: 0.06 };
    const usage = {
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      cacheReadInputTokens: 1_000_000,
      cacheCreationInputTokens: 1_000_000,
      cacheCreation1hInputTokens: 400_000,
    };
    // 1M × 1 + 1M × 0.1 + 0.6M × 1.25 + 0.4M × 2 = 2.65M input-price tokens.
    expect(billedInputUnits(usage)).toBeCloseTo(2_650_000);
    // 2.65 × $3 + 0.1 × $15 + 5 container minutes at $0.06/h.
    expect(estimateCost(prices, usage, 5)).toBeCloseTo(7.95 + 1.5 + 0.005);
  });
});
