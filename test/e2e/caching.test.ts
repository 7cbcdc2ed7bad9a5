import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/fake-anthropic.js';

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
      (changed.diagnostics?.cache_miss_reason as Anthropic.CacheMissSystemChanged).cache_missed_input_tokens,
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
