import { createHash, randomBytes } from 'node:crypto';
import Anthropic, { APIError, toFile } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from './support/fakes/fake-anthropic.js';

const MODEL = 'claude-opus-5-5';
const TOOLS: Anthropic.ToolUnion[] = [{ type: 'code_execution_20260521', name: 'code_execution' }];

const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function setup(opts?: Parameters<typeof startFakeAnthropic>[0]) {
  const fake = await startFakeAnthropic(opts);
  fakes.push(fake);
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
  return { fake, client };
}

function ask(text: string, container?: string): Anthropic.MessageCreateParamsNonStreaming {
  return {
    model: MODEL,
    max_tokens: 4096,
    tools: TOOLS,
    messages: [{ role: 'user', content: text }],
    ...(container === undefined ? {} : { container }),
  };
}

const CODE_EXECUTION_TURN: Anthropic.ContentBlock[] = [
  {
    type: 'thinking',
    thinking: 'Load the CSV, aggregate by month, then plot it.',
    signature: 'EqQBCgIYAhIM',
  },
  { type: 'text', text: "I'll look at the file first — 📊 then chart it.", citations: null },
  {
    type: 'server_tool_use',
    id: 'srvtoolu_01B3C4D5E6F7G8H9I0J1K2L3',
    name: 'bash_code_execution',
    input: { command: 'python /tmp/rev.py && cp /tmp/rev.png "$OUTPUT_DIR/" && ls "$OUTPUT_DIR"' },
    caller: { type: 'direct' },
  },
  {
    type: 'bash_code_execution_tool_result',
    tool_use_id: 'srvtoolu_01B3C4D5E6F7G8H9I0J1K2L3',
    content: {
      type: 'bash_code_execution_result',
      stdout: 'date\n2026-01-01    41230.10\nrev.png\n',
      stderr: '',
      return_code: 0,
      content: [{ type: 'bash_code_execution_output', file_id: 'file_011CXa9f2kQv7pLmN3rT8wYz' }],
    },
  },
  { type: 'text', text: 'Revenue rose 13% from Feb to Mar.', citations: null },
];

/** The APIError a request rejects with. */
async function apiError(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(APIError);
    return err as APIError;
  }
  throw new Error('expected the request to fail');
}

const until = (condition: () => boolean) =>
  vi.waitFor(() => expect(condition()).toBe(true), { timeout: 2_000, interval: 10 });

describe('fake Anthropic messages', () => {
  it('streams a code execution turn that finalMessage() reassembles exactly', async () => {
    const { fake, client } = await setup();
    fake.enqueue({
      kind: 'message',
      content: CODE_EXECUTION_TURN,
      usage: { input_tokens: 6120, output_tokens: 1484 },
    });

    const stream = client.messages.stream(ask('chart revenue by month'));
    const eventTypes: string[] = [];
    stream.on('streamEvent', (event) => eventTypes.push(event.type));
    const message = await stream.finalMessage();

    expect(message.content).toEqual(CODE_EXECUTION_TURN);
    expect(message.model).toBe(MODEL);
    expect(message.id).toMatch(/^msg_/);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 6120, output_tokens: 1484 });
    expect(message.container?.id).toMatch(/^container_/);
    expect(Date.parse(message.container?.expires_at ?? '')).toBeGreaterThan(Date.now());
    expect(eventTypes[0]).toBe('message_start');
    expect(eventTypes.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(eventTypes.filter((type) => type === 'content_block_delta').length).toBeGreaterThan(5);

    const [body] = fake.messageRequests();
    expect(body).toMatchObject({ stream: true, tools: TOOLS });
    expect(body).not.toHaveProperty('container');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-ant-test');
  });

  it('echoes the request container and matches the non-streaming response', async () => {
    const { fake, client } = await setup();
    fake.onMessage(() => ({ kind: 'message', content: CODE_EXECUTION_TURN, usage: { input_tokens: 10 } }));

    const streamed = await client.messages.stream(ask('again', 'container_abc')).finalMessage();
    const created = await client.messages.create(ask('again', 'container_abc'));

    expect(streamed.container?.id).toBe('container_abc');
    expect(created.container?.id).toBe('container_abc');
    // Only the message id and the container's rolling expires_at differ between the two replies;
    // the stream helper also adds `parsed_output`.
    const comparable = (message: Anthropic.Message) => ({
      ...message,
      id: '',
      container: null,
      parsed_output: null,
    });
    expect(comparable(streamed)).toEqual(comparable(created));
    expect(fake.messageRequests().map((body) => body.container)).toEqual(['container_abc', 'container_abc']);
  });

  it('answers "ok" by default and supports a null container', async () => {
    const { fake, client } = await setup();
    expect((await client.messages.create(ask('hi'))).content).toEqual([
      { type: 'text', text: 'ok', citations: null },
    ]);
    fake.enqueue({ kind: 'message', content: [], container: null, stop_reason: 'pause_turn' });
    const paused = await client.messages.stream(ask('hi')).finalMessage();
    expect(paused.container).toBeNull();
    expect(paused.stop_reason).toBe('pause_turn');
  });

  it('surfaces a scripted 529 as an APIError with status and request id', async () => {
    const { fake, client } = await setup();
    fake.enqueue({
      kind: 'error',
      status: 529,
      type: 'overloaded_error',
      message: 'Overloaded',
      headers: { 'retry-after': '0' },
    });

    const err = await apiError(client.messages.stream(ask('hi')).finalMessage());

    expect(err).toBeInstanceOf(Anthropic.OverloadedError);
    expect(err.status).toBe(529);
    expect(err.type).toBe('overloaded_error');
    expect(err.apiMessage).toBe('Overloaded');
    expect(err.requestID).toMatch(/^req_/);
    expect(err.headers?.get('retry-after')).toBe('0');
    expect(err.error).toMatchObject({ type: 'error', request_id: err.requestID });
  });

  it('surfaces a scripted errorCode', async () => {
    const { fake, client } = await setup();
    fake.enqueue({
      kind: 'error',
      status: 404,
      type: 'not_found_error',
      message: 'container not found',
      errorCode: 'container_expired',
    });

    const err = await apiError(client.messages.create(ask('hi', 'container_gone')));

    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect(err.errorCode).toBe('container_expired');
    expect(err.details).toEqual({ error_code: 'container_expired' });
  });

  it('makes finalMessage() reject when the stream is cut mid-response', async () => {
    const { fake, client } = await setup();
    fake.enqueue({ kind: 'message', content: CODE_EXECUTION_TURN, cutAfterEvents: 4 });

    const stream = client.messages.stream(ask('hi'));
    let events = 0;
    stream.on('streamEvent', () => events++);

    await expect(stream.finalMessage()).rejects.toThrow();
    expect(events).toBe(4);
    expect(fake.abortedStreams).toBe(0);
  });

  it('records a client abort of a hanging stream', async () => {
    const { fake, client } = await setup();
    fake.enqueue({ kind: 'message', content: CODE_EXECUTION_TURN, hangAfterEvents: 2 });

    const stream = client.messages.stream(ask('hi'));
    await new Promise<void>((resolve) => stream.on('streamEvent', () => resolve()));
    stream.abort();

    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    await until(() => fake.abortedStreams === 1);
    expect(fake.activeMessageStreams()).toBe(0);
  });

  it('tracks concurrent message streams', async () => {
    const { fake, client } = await setup();
    fake.onMessage(() => ({
      kind: 'message',
      content: [{ type: 'text', text: 'x', citations: null }],
      delayMs: 100,
    }));

    const replies = [1, 2, 3].map(() => client.messages.stream(ask('hi')).finalMessage());
    await until(() => fake.activeMessageStreams() === 3);
    await Promise.all(replies);

    expect(fake.maxConcurrentMessageStreams).toBe(3);
    expect(fake.activeMessageStreams()).toBe(0);
  });

  it('checks the API key when configured', async () => {
    const { client } = await setup({ apiKey: 'sk-ant-test' });
    expect((await client.messages.create(ask('hi'))).content).toHaveLength(1);

    const { client: wrongKey } = await setup({ apiKey: 'sk-ant-other' });
    const err = await apiError(wrongKey.messages.create(ask('hi')));
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(err.type).toBe('authentication_error');
  });
});

describe('fake Anthropic files and models', () => {
  it('uploads, describes, downloads and deletes files', async () => {
    const { fake, client } = await setup();
    const csv = Buffer.from('date,region,revenue\n2026-01-03,EU,1200.5\n');

    const uploaded = await client.files.upload({
      file: await toFile(csv, 'sales.csv', { type: 'text/csv' }),
    });
    expect(uploaded).toMatchObject({
      type: 'file',
      filename: 'sales.csv',
      mime_type: 'text/csv',
      size_bytes: csv.length,
      downloadable: false,
    });
    expect(uploaded.id).toMatch(/^file_/);
    expect(fake.files.get(uploaded.id)?.bytes).toEqual(csv);
    expect(await client.files.retrieveMetadata(uploaded.id)).toEqual(uploaded);

    const notDownloadable = await apiError(client.files.download(uploaded.id));
    expect(notDownloadable).toBeInstanceOf(Anthropic.FileNotDownloadableError);
    expect(notDownloadable.status).toBe(400);
    expect(notDownloadable.errorCode).toBe('file_not_downloadable');

    const png = randomBytes(70_000);
    const outputId = fake.addOutputFile('rev.png', 'image/png', png);
    expect(await client.files.retrieveMetadata(outputId)).toMatchObject({
      filename: 'rev.png',
      mime_type: 'image/png',
      size_bytes: png.length,
      downloadable: true,
    });
    const downloaded = Buffer.from(await (await client.files.download(outputId)).arrayBuffer());
    expect(downloaded.equals(png)).toBe(true);

    expect(await client.files.delete(outputId)).toEqual({ id: outputId, type: 'file_deleted' });
    expect(fake.files.get(outputId)?.deleted).toBe(true);
    expect(await apiError(client.files.retrieveMetadata(outputId))).toBeInstanceOf(Anthropic.NotFoundError);
    expect(await apiError(client.files.download(outputId))).toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('rejects invalid filenames and keeps only size and hash when storeBytes is false', async () => {
    const { fake, client } = await setup({ storeBytes: false });

    for (const name of ['a:b.csv', 'x'.repeat(256), 'tab\there.csv', 'quote".csv']) {
      const err = await apiError(client.files.upload({ file: await toFile(Buffer.from('x'), name) }));
      expect(err, name).toBeInstanceOf(Anthropic.BadRequestError);
    }

    // Large enough to arrive in many chunks, so delimiters can straddle chunk borders.
    const big = randomBytes(8 * 1024 * 1024 + 3);
    const uploaded = await client.files.upload({
      file: await toFile(big, 'big.bin'),
      expires_in_seconds: 3600,
    });
    const stored = fake.files.get(uploaded.id);
    expect(stored?.sizeBytes).toBe(big.length);
    expect(stored?.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(stored?.bytes).toBeUndefined();
    expect(Date.parse(uploaded.expires_at ?? '')).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('reports code execution support for models and 404s unknown paths', async () => {
    const { fake, client } = await setup();
    const model = await client.models.retrieve(MODEL);
    expect(model.id).toBe(MODEL);
    expect(model.capabilities?.server_tools.code_execution.supported).toBe(true);

    const response = await fetch(`${fake.url}/v1/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('fake Anthropic prompt cache: mixed TTLs (the documented A/B/C billing)', () => {
  /** ~1,300 tokens each at the fake's ~4 characters per token. */
  const part = (name: string) => `${name}: ${'Compute every figure in code. '.repeat(170)}`;
  const marked = (text: string, ttl: '5m' | '1h'): Anthropic.TextBlockParam => ({
    type: 'text',
    text,
    cache_control: { type: 'ephemeral', ttl },
  });
  const request = (
    system: Anthropic.TextBlockParam[],
    content: Anthropic.TextBlockParam[],
  ): Anthropic.MessageCreateParamsNonStreaming => ({
    ...ask(''),
    system,
    messages: [{ role: 'user', content }],
  });

  it('bills the prefix up to a 1h breakpoint at the 1h rate and the rest up to a later 5m one at the 5m rate', async () => {
    const { client } = await setup();
    const body = request([marked(part('system'), '1h')], [marked(part('question'), '5m')]);
    const first = await client.messages.create(body);
    const { ephemeral_1h_input_tokens: oneHour, ephemeral_5m_input_tokens: fiveMinutes } =
      first.usage.cache_creation!;
    expect(oneHour).toBeGreaterThan(1024);
    expect(fiveMinutes).toBeGreaterThan(1024);
    expect(first.usage.cache_creation_input_tokens).toBe(oneHour + fiveMinutes);
    expect(first.usage.input_tokens).toBe(0);
    // The same prompt again is one read of everything written, at neither write rate.
    const again = await client.messages.create(body);
    expect(again.usage.cache_read_input_tokens).toBe(oneHour + fiveMinutes);
    expect(again.usage.cache_creation_input_tokens).toBe(0);
  });

  it('reads a live 5m prefix and writes only what a later 1h breakpoint adds, at the 1h rate', async () => {
    const { fake, client } = await setup();
    const system = [{ type: 'text' as const, text: part('system') }];
    const first = await client.messages.create(request(system, [marked(part('question'), '5m')]));
    const written5m = first.usage.cache_creation!.ephemeral_5m_input_tokens;
    const extended = request(system, [
      { type: 'text', text: part('question') },
      marked(part('answer'), '1h'),
    ]);
    const second = await client.messages.create(extended);
    expect(second.usage.cache_read_input_tokens).toBe(written5m);
    expect(second.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: second.usage.cache_creation_input_tokens,
    });
    // The 1h entry covers the whole prefix: 20 minutes later (the 5m entry long gone) it is read in full.
    fake.advanceClock(20 * 60_000);
    const later = await client.messages.create(extended);
    expect(later.usage.cache_read_input_tokens).toBe(written5m + second.usage.cache_creation_input_tokens!);
  });
});
