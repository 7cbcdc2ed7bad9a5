/**
 * A fake Anthropic API served over real HTTP on 127.0.0.1, so tests can point the real
 * `@anthropic-ai/sdk` client at it with `baseURL` and exercise the SDK's own parsing: SSE
 * accumulation in MessageStream, the error envelope → APIError mapping, multipart uploads.
 *
 * Wire shapes follow the SDK 1.14 types (resources/messages/messages.ts, resources/files.ts,
 * resources/models.ts) and the error parsing in core/error.ts + client.ts `makeStatusError`.
 *
 * Prompt caching is simulated by the documented rules (see `PromptCache` below), on a clock tests can advance.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Anthropic from '@anthropic-ai/sdk';

export type ScriptedReply =
  | {
      kind: 'message';
      content: Anthropic.ContentBlock[];
      /** Default 'end_turn'. */
      stop_reason?: Anthropic.StopReason;
      /**
       * Default 'auto': echo the request's `container` id, or mint a new `container_<random>` id;
       * `expires_at` is now + 5 min. `null` answers without a container (no code ran).
       */
      container?: Anthropic.Container | null | 'auto';
      usage?: Partial<Anthropic.Usage>;
      stop_details?: unknown;
      /** Wait this long before sending the first byte of the response. */
      delayMs?: number;
      /** Destroy the socket after N SSE events (a non-streaming body counts as one event). */
      cutAfterEvents?: number;
      /** Send N SSE events, then never finish until the client goes away (counted in `abortedStreams`). */
      hangAfterEvents?: number;
      /** Stream text in deltas of this many characters (default: each text block in 3 deltas). */
      textDeltaChars?: number;
      /** Wait this long after each text delta, as a model writing at a human-visible pace. */
      textDeltaDelayMs?: number;
    }
  | {
      kind: 'error';
      status: number;
      /** e.g. 'overloaded_error', 'not_found_error', 'invalid_request_error', 'rate_limit_error', 'api_error' */
      type: string;
      message: string;
      /** Sent as `error.details.error_code`, which the SDK exposes as `err.errorCode`. */
      errorCode?: string;
      /** Extra response headers, e.g. `{ 'retry-after': '0' }`. */
      headers?: Record<string, string>;
    };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  json?: unknown;
  receivedAt: number;
}

export interface StoredFile {
  id: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  /** Absent for uploads when the fake runs with `storeBytes: false`. */
  bytes?: Buffer;
  downloadable: boolean;
  deleted: boolean;
  createdAt: string;
  /** Set when the upload carried `expires_in_seconds`. */
  expiresAt: string | null;
}

export interface FakeAnthropic {
  /** e.g. http://127.0.0.1:54321 — pass as `baseURL` to `new Anthropic()`. */
  url: string;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Parsed bodies of accepted POST /v1/messages requests, in order. */
  messageRequests(): Anthropic.MessageCreateParams[];
  /** Every message the fake answered with (usage and diagnostics included), in order. */
  messageResponses(): Anthropic.Message[];
  /** Replies consumed FIFO before the `onMessage` handler is asked. */
  enqueue(...replies: ScriptedReply[]): void;
  /** Default handler: a text answer "ok". `index` counts every accepted message request from 0. */
  onMessage(
    handler: (body: Anthropic.MessageCreateParams, index: number) => ScriptedReply | Promise<ScriptedReply>,
  ): void;
  files: Map<string, StoredFile>;
  /** Registers a downloadable file as code execution would create it; returns the file id. */
  addOutputFile(filename: string, mimeType: string, bytes: Buffer): string;
  /** Message responses (streaming or not) whose client went away before the fake finished them. */
  abortedStreams: number;
  /** Message requests currently being answered (streaming or not). */
  activeMessageStreams(): number;
  maxConcurrentMessageStreams: number;
  /** From now on, requests with another key get the real 401 (as when a key is revoked); undefined accepts any. */
  requireApiKey(key: string | undefined): void;
  /** Moves the prompt cache's clock forward (cache entries expire on it; everything else uses real time). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

export interface FakeAnthropicOptions {
  /** Default true; false keeps only size + sha256 of uploads (for very large upload tests). */
  storeBytes?: boolean;
  /**
   * If set, requests whose `x-api-key` (or `Authorization: Bearer` key, as SDK 1.14 sends it) does
   * not match get the real 401 authentication_error.
   */
  apiKey?: string;
  /**
   * Model ids GET /v1/models/{id} knows (default: any id). Others get the real 404 not_found_error.
   * `codeExecution: false` reports the model without the code execution server tool.
   */
  models?: Record<string, { codeExecution: boolean }>;
  /**
   * Prompt caching: a prefix shorter than this many tokens is not cached even when marked. Default 1024 (the
   * documented minimum of the Sonnet models; other models document 2048 or 4096).
   */
  minCacheableTokens?: number;
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const fake = new FakeAnthropicServer(opts);
  await fake.listen();
  return fake;
}

// Files API limit (413 above it), and filename rules of the Files API error docs.
const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;
const MAX_FILENAME_LENGTH = 255;
const FORBIDDEN_FILENAME_CHARS = '<>:"|?*\\/';
const MIN_EXPIRES_IN_SECONDS = 3600;
const MAX_EXPIRES_IN_SECONDS = 7_776_000;
// The rolling `expires_at` the API reports for a container is a few minutes past the last use.
const CONTAINER_IDLE_MS = 5 * 60_000;
// Part headers are tiny; anything bigger is a malformed body, not a reason to buffer.
const MAX_PART_HEADER_BYTES = 16 * 1024;
const MAX_FIELD_BYTES = 1024;

/** An error answered with the API's error envelope. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

/** Per-response bookkeeping for message requests. */
interface ResponseState {
  /** Resolves when the connection or response closes, for whatever reason. */
  closed: Promise<void>;
  isClosed: boolean;
  /** Set when the fake destroys the socket on purpose (`cutAfterEvents`), so it is not an abort. */
  cutByUs: boolean;
}

class FakeAnthropicServer implements FakeAnthropic {
  url = '';
  requests: RecordedRequest[] = [];
  files = new Map<string, StoredFile>();
  abortedStreams = 0;
  maxConcurrentMessageStreams = 0;

  readonly #server = createServer((req, res) => void this.#handle(req, res));
  readonly #storeBytes: boolean;
  #apiKey: string | undefined;
  readonly #models: FakeAnthropicOptions['models'];
  readonly #queue: ScriptedReply[] = [];
  readonly #messageBodies: Anthropic.MessageCreateParams[] = [];
  #handler: (body: Anthropic.MessageCreateParams, index: number) => ScriptedReply | Promise<ScriptedReply> =
    () => ({ kind: 'message', content: [{ type: 'text', text: 'ok', citations: null }] });
  #active = 0;
  #clockOffsetMs = 0;
  readonly #cache: PromptCache;
  /** The prompt of every response, by message id, for `diagnostics.previous_message_id`. */
  readonly #prompts = new Map<string, PromptBlock[]>();
  readonly #responses: Anthropic.Message[] = [];

  constructor(opts: FakeAnthropicOptions) {
    this.#storeBytes = opts.storeBytes ?? true;
    this.#apiKey = opts.apiKey;
    this.#models = opts.models;
    this.#cache = new PromptCache(opts.minCacheableTokens ?? 1024);
  }

  requireApiKey(key: string | undefined): void {
    this.#apiKey = key;
  }

  advanceClock(ms: number): void {
    this.#clockOffsetMs += ms;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  messageRequests(): Anthropic.MessageCreateParams[] {
    return [...this.#messageBodies];
  }

  messageResponses(): Anthropic.Message[] {
    return [...this.#responses];
  }

  enqueue(...replies: ScriptedReply[]): void {
    this.#queue.push(...replies);
  }

  onMessage(
    handler: (body: Anthropic.MessageCreateParams, index: number) => ScriptedReply | Promise<ScriptedReply>,
  ): void {
    this.#handler = handler;
  }

  addOutputFile(filename: string, mimeType: string, bytes: Buffer): string {
    const id = randomId('file');
    this.files.set(id, {
      id,
      filename,
      mimeType,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes,
      downloadable: true,
      deleted: false,
      createdAt: new Date().toISOString(),
      expiresAt: null,
    });
    return id;
  }

  activeMessageStreams(): number {
    return this.#active;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // Hanging streams and idle keep-alive sockets would otherwise keep close() waiting forever.
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomId('req');
    res.setHeader('request-id', requestId);
    const { pathname } = new URL(req.url ?? '/', 'http://fake.invalid');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: pathname,
      headers: req.headers,
      receivedAt: Date.now(),
    };
    this.requests.push(record);
    try {
      this.#authenticate(req);
      await this.#route(req, res, record);
    } catch (err) {
      const httpError =
        err instanceof HttpError ? err : new HttpError(500, 'api_error', `fake-anthropic: ${String(err)}`);
      if (res.headersSent) {
        res.destroy();
      } else {
        sendError(req, res, httpError.status, httpError.type, httpError.message, httpError.errorCode);
      }
    }
  }

  /** SDK 1.14 sends the API key as `Authorization: Bearer …`; `x-api-key` is the older form. */
  #authenticate(req: IncomingMessage): void {
    if (this.#apiKey === undefined) return;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const key = req.headers['x-api-key'] ?? bearer;
    if (key === undefined) throw new HttpError(401, 'authentication_error', 'x-api-key header is required');
    if (key !== this.#apiKey) throw new HttpError(401, 'authentication_error', 'invalid x-api-key');
  }

  async #route(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const method = req.method ?? 'GET';
    const path = record.path;
    if (method === 'POST' && path === '/v1/messages') return this.#handleMessage(req, res, record);
    if (method === 'POST' && path === '/v1/files') return this.#handleUpload(req, res);

    const fileMatch = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
    if (fileMatch) {
      const file = this.#liveFile(decodeURIComponent(fileMatch[1] ?? ''));
      if (method === 'GET' && fileMatch[2]) return sendFileContent(res, file);
      if (method === 'GET') return sendJson(res, 200, fileMetadata(file));
      if (method === 'DELETE' && !fileMatch[2]) {
        file.deleted = true;
        delete file.bytes;
        return sendJson(res, 200, { id: file.id, type: 'file_deleted' });
      }
    }

    const modelMatch = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (method === 'GET' && modelMatch) {
      const id = decodeURIComponent(modelMatch[1] ?? '');
      const known = this.#models ? this.#models[id] : { codeExecution: true };
      if (!known) throw new HttpError(404, 'not_found_error', `model: ${id}`);
      return sendJson(res, 200, modelInfo(id, known.codeExecution));
    }

    throw new HttpError(404, 'not_found_error', `Not found: ${method} ${path}`);
  }

  #liveFile(id: string): StoredFile {
    const file = this.files.get(id);
    if (!file || file.deleted) throw new HttpError(404, 'not_found_error', `File not found: ${id}`);
    return file;
  }

  async #handleMessage(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const body = await readJson(req);
    record.json = body;
    if (!isMessageCreateParams(body)) {
      throw new HttpError(400, 'invalid_request_error', 'model, max_tokens and messages are required');
    }
    const prompt = promptBlocks(body);
    validateBreakpoints(prompt);
    const index = this.#messageBodies.push(body) - 1;
    const state = this.#track(res);

    const reply = this.#queue.shift() ?? (await this.#handler(body, index));
    if (reply.kind === 'error') {
      sendError(req, res, reply.status, reply.type, reply.message, reply.errorCode, reply.headers);
      return;
    }

    // Only a request that is answered reads and writes the cache.
    const cached = this.#cache.use(prompt, Date.now() + this.#clockOffsetMs);
    const message = buildMessage(body, reply, cached, this.#diagnose(body, prompt));
    this.#prompts.set(message.id, prompt);
    this.#responses.push(message);
    if (body.stream) {
      const events = streamEvents(message, reply.textDeltaChars).map(
        (e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`,
      );
      await deliver(res, state, reply, 'text/event-stream; charset=utf-8', events);
    } else {
      await deliver(res, state, reply, 'application/json', [JSON.stringify(message)]);
    }
  }

  /**
   * Why the prefix of the named previous request could not be reused, or null when nothing diverged (a prefix
   * that merely expired is not a divergence) or no diagnostics were asked for.
   */
  #diagnose(body: Anthropic.MessageCreateParams, prompt: PromptBlock[]): Anthropic.Diagnostics | null {
    const previousId = body.diagnostics?.previous_message_id;
    if (!previousId) return null;
    const previous = this.#prompts.get(previousId);
    if (!previous) return { cache_miss_reason: { type: 'previous_message_not_found' } };
    let common = 0;
    while (common < previous.length && previous[common]!.key === prompt[common]?.key) common++;
    if (common === previous.length) return null;
    const diverged = previous[common]!;
    const missed = previous.slice(common).reduce((n, b) => n + b.tokens, 0);
    const type =
      diverged.section === 'model'
        ? 'model_changed'
        : diverged.section === 'tools'
          ? 'tools_changed'
          : diverged.section === 'system'
            ? 'system_changed'
            : diverged.section === 'settings'
              ? null
              : 'messages_changed';
    // Other prompt-affecting parameters (thinking) are the documented `unavailable` case.
    if (type === null) return { cache_miss_reason: { type: 'unavailable' } };
    return { cache_miss_reason: { type, cache_missed_input_tokens: missed } };
  }

  /** Counts the response as active until it closes, and records client aborts. */
  #track(res: ServerResponse): ResponseState {
    this.#active++;
    this.maxConcurrentMessageStreams = Math.max(this.maxConcurrentMessageStreams, this.#active);
    let markClosed = () => {};
    const state: ResponseState = {
      closed: new Promise<void>((resolve) => {
        markClosed = resolve;
      }),
      isClosed: false,
      cutByUs: false,
    };
    res.once('close', () => {
      this.#active--;
      state.isClosed = true;
      if (!res.writableFinished && !state.cutByUs) this.abortedStreams++;
      markClosed();
    });
    return state;
  }

  async #handleUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(req.headers['content-type'] ?? '');
    const boundaryValue = boundary?.[1] ?? boundary?.[2];
    if (!boundaryValue) {
      throw new HttpError(400, 'invalid_request_error', 'Expected a multipart/form-data body');
    }

    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    const fields = new Map<string, string>();
    let file: { filename: string; mimeType: string; size: number } | undefined;
    let current: { kind: 'file' } | { kind: 'field'; name: string; value: string } | { kind: 'ignored' } = {
      kind: 'ignored',
    };

    const parser = new MultipartParser(boundaryValue, {
      start: (headers) => {
        const disposition = headers.get('content-disposition') ?? '';
        const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
        if (name !== 'file') {
          current = name === undefined ? { kind: 'ignored' } : { kind: 'field', name, value: '' };
          return;
        }
        if (file) throw new HttpError(400, 'invalid_request_error', 'file: only one file may be uploaded');
        const filename = decodeFormFilename(/;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? '');
        validateFilename(filename);
        file = { filename, mimeType: headers.get('content-type') ?? 'application/octet-stream', size: 0 };
        current = { kind: 'file' };
      },
      data: (data) => {
        if (current.kind === 'field') {
          current.value += data.toString('utf8');
          if (current.value.length > MAX_FIELD_BYTES) {
            throw new HttpError(400, 'invalid_request_error', `${current.name}: value too long`);
          }
        } else if (current.kind === 'file' && file) {
          file.size += data.length;
          if (file.size > MAX_UPLOAD_BYTES) {
            throw new HttpError(413, 'request_too_large', 'File exceeds the maximum size of 500 MB');
          }
          hash.update(data);
          if (this.#storeBytes) chunks.push(data);
        }
      },
      end: () => {
        if (current.kind === 'field') fields.set(current.name, current.value);
        current = { kind: 'ignored' };
      },
    });
    await consumeBody(req, (chunk) => parser.write(chunk));
    parser.end();

    if (!file) throw new HttpError(400, 'invalid_request_error', 'file: Field required');
    const now = new Date();
    const stored: StoredFile = {
      id: randomId('file'),
      filename: file.filename,
      mimeType: file.mimeType,
      sizeBytes: file.size,
      sha256: hash.digest('hex'),
      ...(this.#storeBytes ? { bytes: Buffer.concat(chunks) } : {}),
      downloadable: false,
      deleted: false,
      createdAt: now.toISOString(),
      expiresAt: expiresAt(now, fields.get('expires_in_seconds')),
    };
    this.files.set(stored.id, stored);
    sendJson(res, 200, fileMetadata(stored));
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function isMessageCreateParams(body: unknown): body is Anthropic.MessageCreateParams {
  if (typeof body !== 'object' || body === null) return false;
  const { model, max_tokens, messages } = body as Record<string, unknown>;
  return typeof model === 'string' && typeof max_tokens === 'number' && Array.isArray(messages);
}

function buildMessage(
  body: Anthropic.MessageCreateParams,
  reply: Extract<ScriptedReply, { kind: 'message' }>,
  cached: CacheUse,
  diagnostics: Anthropic.Diagnostics | null,
): Anthropic.Message {
  return {
    id: randomId('msg'),
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: reply.content,
    // `?? 'auto'` would turn an explicit null into 'auto'.
    container: resolveContainer(reply.container === undefined ? 'auto' : reply.container, body.container),
    stop_reason: reply.stop_reason ?? 'end_turn',
    stop_sequence: null,
    stop_details: (reply.stop_details ?? null) as Anthropic.RefusalStopDetails | null,
    diagnostics,
    usage: { ...defaultUsage(cached, reply.content), ...reply.usage },
  };
}

function resolveContainer(
  scripted: Anthropic.Container | null | 'auto',
  requested: Anthropic.MessageCreateParamsContainer | null | undefined,
): Anthropic.Container | null {
  if (scripted !== 'auto') return scripted;
  const id = (typeof requested === 'string' ? requested : requested?.id) ?? randomId('container');
  return { id, expires_at: new Date(Date.now() + CONTAINER_IDLE_MS).toISOString(), skills: null };
}

/**
 * Token counts from the prompt cache simulation (~4 characters per token); tests that need exact figures script
 * `usage`. `input_tokens` is what was neither read from nor written to the cache, as the API reports it.
 */
function defaultUsage(cached: CacheUse, content: Anthropic.ContentBlock[]): Anthropic.Usage {
  const written = cached.written5m + cached.written1h;
  return {
    input_tokens: cached.total - cached.read - written,
    output_tokens: Math.max(1, Math.ceil(JSON.stringify(content).length / 4)),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached.read,
    cache_creation: {
      ephemeral_5m_input_tokens: cached.written5m,
      ephemeral_1h_input_tokens: cached.written1h,
    },
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    speed: 'standard',
  };
}

// ---------------------------------------------------------------------------------------------
// Prompt caching, by the documented rules:
// - the prompt is tools, then system, then messages; a cache entry is keyed by the whole prefix up to a block;
// - entries are written only at breakpoints: blocks with `cache_control`, or for the top-level `cache_control` the
//   last block that can carry one; at most 4 breakpoints; a 1h breakpoint may not follow a 5m one;
// - a breakpoint reads the longest live entry at a block boundary at most 20 blocks before it (or at it);
// - a prefix shorter than the model's minimum is not written even when marked;
// - an entry lives 5 minutes or 1 hour from its last use (a read refreshes it at no cost);
// - `thinking` settings are part of the messages' prefix (changing them keeps tools and system cached);
// - usage: read tokens in `cache_read_input_tokens`, written ones in `cache_creation_input_tokens` split by TTL in
//   `cache_creation`, the rest (after the last breakpoint, or not cacheable) in `input_tokens`.

const LOOKBACK_BLOCKS = 20;
const MAX_BREAKPOINTS = 4;
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
type Ttl = keyof typeof TTL_MS;

interface PromptBlock {
  section: 'model' | 'tools' | 'system' | 'settings' | 'messages';
  /** Hash of the prompt up to and including this block, cache_control markers excluded. */
  key: string;
  tokens: number;
  /** Set on a breakpoint. */
  ttl: Ttl | null;
  /** Whether the block may carry cache_control (not thinking, not empty text, not a pseudo block). */
  cacheable: boolean;
}

interface CacheUse {
  total: number;
  read: number;
  written5m: number;
  written1h: number;
}

const withoutCacheControl = (key: string, value: unknown) => (key === 'cache_control' ? undefined : value);

/** The prompt as the cache sees it: one entry per block, each keyed by everything up to it. */
function promptBlocks(body: Anthropic.MessageCreateParams): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  let key = '';
  const add = (section: PromptBlock['section'], block: unknown, cacheable: boolean, role?: string) => {
    const json = JSON.stringify(role ? { role, block } : block, withoutCacheControl);
    key = createHash('sha256').update(key).update(section).update(json).digest('hex');
    const cc = (block as { cache_control?: Anthropic.CacheControlEphemeral | null } | null)?.cache_control;
    const ttl = cc ? (cc.ttl ?? '5m') : null;
    blocks.push({ section, key, tokens: cacheable ? Math.ceil(json.length / 4) : 0, ttl, cacheable });
  };
  // Caches are per model; thinking settings only affect the messages' part.
  add('model', body.model, false);
  for (const tool of body.tools ?? []) add('tools', tool, true);
  const system =
    typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : (body.system ?? []);
  for (const block of system) add('system', block, true);
  add('settings', { thinking: body.thinking ?? null }, false);
  for (const message of body.messages) {
    const content =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    for (const block of content) {
      const b = block as { type: string; text?: string };
      const cacheable =
        b.type !== 'thinking' && b.type !== 'redacted_thinking' && !(b.type === 'text' && b.text === '');
      add('messages', block, cacheable, message.role);
    }
  }
  if (body.cache_control) {
    const last = blocks.findLastIndex((b) => b.cacheable);
    if (last >= 0 && blocks[last]!.ttl === null) blocks[last]!.ttl = body.cache_control.ttl ?? '5m';
  }
  return blocks;
}

function validateBreakpoints(prompt: PromptBlock[]): void {
  const ttls = prompt.flatMap((b) => (b.ttl ? [b.ttl] : []));
  if (ttls.length > MAX_BREAKPOINTS) {
    throw new HttpError(
      400,
      'invalid_request_error',
      `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${ttls.length}.`,
    );
  }
  const fiveMinutes = ttls.indexOf('5m');
  if (fiveMinutes >= 0 && ttls.indexOf('1h', fiveMinutes) > fiveMinutes) {
    throw new HttpError(
      400,
      'invalid_request_error',
      "a cache_control block with ttl='1h' must not come after one with ttl='5m'",
    );
  }
}

/** The organisation's prompt cache, shared by every request (so a common prefix is shared across threads). */
class PromptCache {
  readonly #entries = new Map<string, { ttl: Ttl; expiresAt: number }>();

  constructor(private readonly minTokens: number) {}

  /** Reads the longest live prefix, writes the breakpoints past it, and says how the prompt's tokens were billed. */
  use(prompt: PromptBlock[], now: number): CacheUse {
    const cumulative: number[] = [];
    let total = 0;
    for (const b of prompt) {
      total += b.tokens;
      cumulative.push(total);
    }
    const upTo = (i: number) => (i < 0 ? 0 : cumulative[i]!);
    const live = (i: number) => {
      const entry = this.#entries.get(prompt[i]!.key);
      return entry !== undefined && now < entry.expiresAt ? entry : undefined;
    };
    const breakpoints = prompt.flatMap((b, i) => (b.ttl ? [i] : []));

    let readEnd = -1;
    for (const bp of breakpoints) {
      for (let i = bp; i >= Math.max(0, bp - LOOKBACK_BLOCKS); i--) {
        if (live(i)) {
          readEnd = Math.max(readEnd, i);
          break;
        }
      }
    }
    const use: CacheUse = { total, read: upTo(readEnd), written5m: 0, written1h: 0 };
    // Reading refreshes what was read.
    for (const i of [readEnd, ...breakpoints.filter((bp) => bp <= readEnd)]) {
      const entry = i >= 0 ? live(i) : undefined;
      if (entry) entry.expiresAt = now + TTL_MS[entry.ttl];
    }
    let writtenTo = readEnd;
    for (const bp of breakpoints) {
      if (bp <= writtenTo || upTo(bp) < this.minTokens) continue;
      const ttl = prompt[bp]!.ttl!;
      const tokens = upTo(bp) - upTo(writtenTo);
      if (ttl === '1h') use.written1h += tokens;
      else use.written5m += tokens;
      this.#entries.set(prompt[bp]!.key, { ttl, expiresAt: now + TTL_MS[ttl] });
      writtenTo = bp;
    }
    return use;
  }
}

/**
 * The SSE events the API sends for `message`. Accumulating them the way the SDK's MessageStream
 * does yields `message` again: message_start carries the full usage except output_tokens, which
 * message_delta completes together with stop_reason and the container.
 */
function streamEvents(
  message: Anthropic.Message,
  textDeltaChars?: number,
): Anthropic.RawMessageStreamEvent[] {
  const { usage } = message;
  const events: Anthropic.RawMessageStreamEvent[] = [
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        container: null,
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        usage: { ...usage, output_tokens: Math.min(usage.output_tokens, 1) },
      },
    },
  ];
  message.content.forEach((block, index) => {
    events.push(...contentBlockEvents(block, index, textDeltaChars));
  });
  events.push(
    {
      type: 'message_delta',
      delta: {
        stop_reason: message.stop_reason,
        stop_sequence: message.stop_sequence,
        stop_details: message.stop_details,
        container: message.container,
      },
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        server_tool_use: usage.server_tool_use,
        output_tokens_details: usage.output_tokens_details,
      },
    },
    { type: 'message_stop' },
  );
  return events;
}

function contentBlockEvents(
  block: Anthropic.ContentBlock,
  index: number,
  textDeltaChars?: number,
): Anthropic.RawMessageStreamEvent[] {
  let start: Anthropic.ContentBlock = block;
  let deltas: Anthropic.RawContentBlockDelta[] = [];
  switch (block.type) {
    case 'text': {
      const citations = block.citations ?? [];
      // Citations arrive as citations_delta events that the SDK appends to a null/empty list.
      start = { ...block, text: '', citations: citations.length > 0 ? null : block.citations };
      deltas = [
        ...(textDeltaChars ? piecesOf(block.text, textDeltaChars) : splitIntoPieces(block.text)).map(
          (text): Anthropic.TextDelta => ({ type: 'text_delta', text }),
        ),
        ...citations.map((citation): Anthropic.CitationsDelta => ({ type: 'citations_delta', citation })),
      ];
      break;
    }
    case 'thinking':
      start = { ...block, thinking: '', signature: '' };
      deltas = [
        ...splitIntoPieces(block.thinking).map(
          (thinking): Anthropic.ThinkingDelta => ({ type: 'thinking_delta', thinking }),
        ),
        { type: 'signature_delta', signature: block.signature },
      ];
      break;
    case 'tool_use':
    case 'server_tool_use':
      start = { ...block, input: {} };
      deltas = splitIntoPieces(JSON.stringify(block.input ?? {})).map(
        (partial_json): Anthropic.InputJSONDelta => ({ type: 'input_json_delta', partial_json }),
      );
      break;
    // Tool results, redacted thinking and container uploads arrive whole in content_block_start.
  }
  return [
    { type: 'content_block_start', index, content_block: start },
    ...deltas.map(
      (delta): Anthropic.RawContentBlockDeltaEvent => ({ type: 'content_block_delta', index, delta }),
    ),
    { type: 'content_block_stop', index },
  ];
}

/** Splits text into pieces of `size` characters (the last may be shorter), never inside a surrogate pair. */
function piecesOf(text: string, size: number): string[] {
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}

/** Splits text into up to `count` non-empty pieces, never inside a surrogate pair. */
function splitIntoPieces(text: string, count = 3): string[] {
  return piecesOf(text, Math.ceil(Array.from(text).length / count));
}

/** Sends `chunks` (SSE events, or one JSON body) honouring the reply's delay/cut/hang script. */
async function deliver(
  res: ServerResponse,
  state: ResponseState,
  reply: Extract<ScriptedReply, { kind: 'message' }>,
  contentType: string,
  chunks: string[],
): Promise<void> {
  if (reply.delayMs) await delay(reply.delayMs, state.closed);
  if (state.isClosed) return;
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
  const limit = reply.cutAfterEvents ?? reply.hangAfterEvents ?? chunks.length;
  for (const chunk of chunks.slice(0, limit)) {
    // Wait for each write to reach the socket so a following cut cannot swallow it.
    await Promise.race([new Promise<void>((resolve) => res.write(chunk, () => resolve())), state.closed]);
    if (state.isClosed) return;
    if (reply.textDeltaDelayMs && chunk.includes('"type":"text_delta"'))
      await delay(reply.textDeltaDelayMs, state.closed);
    if (state.isClosed) return;
  }
  if (reply.cutAfterEvents !== undefined) {
    state.cutByUs = true;
    res.destroy();
  } else if (reply.hangAfterEvents !== undefined) {
    await state.closed;
  } else {
    res.end();
  }
}

function delay(ms: number, cancel: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void cancel.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Files

function validateFilename(filename: string): void {
  const chars = Array.from(filename);
  const invalid =
    chars.length === 0 ||
    chars.length > MAX_FILENAME_LENGTH ||
    chars.some((ch) => ch.charCodeAt(0) < 32 || FORBIDDEN_FILENAME_CHARS.includes(ch));
  if (invalid) {
    throw new HttpError(
      400,
      'invalid_request_error',
      `Invalid filename ${JSON.stringify(filename)}: must be 1-${MAX_FILENAME_LENGTH} characters without < > : " | ? * \\ / or control characters`,
    );
  }
}

/** Form encoders (WHATWG, as used by undici's FormData) percent-escape these three in filenames. */
function decodeFormFilename(raw: string): string {
  return raw.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"');
}

function expiresAt(now: Date, expiresInSeconds: string | undefined): string | null {
  if (expiresInSeconds === undefined) return null;
  const seconds = Number(expiresInSeconds);
  if (!Number.isInteger(seconds) || seconds < MIN_EXPIRES_IN_SECONDS || seconds > MAX_EXPIRES_IN_SECONDS) {
    throw new HttpError(
      400,
      'invalid_request_error',
      `expires_in_seconds: must be an integer between ${MIN_EXPIRES_IN_SECONDS} and ${MAX_EXPIRES_IN_SECONDS}`,
    );
  }
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

function fileMetadata(file: StoredFile): Anthropic.FileMetadata {
  return {
    id: file.id,
    type: 'file',
    filename: file.filename,
    mime_type: file.mimeType,
    size_bytes: file.sizeBytes,
    created_at: file.createdAt,
    downloadable: file.downloadable,
    expires_at: file.expiresAt,
  };
}

function sendFileContent(res: ServerResponse, file: StoredFile): void {
  if (!file.downloadable || !file.bytes) {
    throw new HttpError(
      400,
      'invalid_request_error',
      `File ${file.id} is not downloadable: only files created by a tool can be downloaded`,
      'file_not_downloadable',
    );
  }
  res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.length });
  res.end(file.bytes);
}

interface PartSink {
  start(headers: Map<string, string>): void;
  data(chunk: Buffer): void;
  end(): void;
}

/**
 * Incremental multipart/form-data parser (RFC 7578). It holds back at most one delimiter's worth
 * of bytes, so a part body of any size streams through `sink.data` without being buffered.
 */
class MultipartParser {
  readonly #delimiter: Buffer;
  readonly #sink: PartSink;
  // The body opens with `--boundary` and no CRLF; seeding one lets every delimiter match as `\r\n--boundary`.
  #pending: Buffer = Buffer.from('\r\n');
  #state: 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done' = 'preamble';

  constructor(boundary: string, sink: PartSink) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
    this.#sink = sink;
  }

  write(chunk: Buffer): void {
    this.#pending = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    while (this.#step()) {
      // #step consumes #pending until it needs more input.
    }
  }

  end(): void {
    if (this.#state !== 'done') {
      throw new HttpError(400, 'invalid_request_error', 'Malformed multipart body: missing closing boundary');
    }
  }

  /** Consumes what the current state can from #pending; false when more input is needed. */
  #step(): boolean {
    const buf = this.#pending;
    switch (this.#state) {
      case 'preamble':
      case 'body': {
        const at = buf.indexOf(this.#delimiter);
        if (at === -1) {
          // The tail may be the beginning of a delimiter split across chunks: keep it for later.
          const safe = Math.max(0, buf.length - this.#delimiter.length + 1);
          if (this.#state === 'body' && safe > 0) this.#sink.data(buf.subarray(0, safe));
          this.#pending = buf.subarray(safe);
          return false;
        }
        if (this.#state === 'body') {
          if (at > 0) this.#sink.data(buf.subarray(0, at));
          this.#sink.end();
        }
        this.#pending = buf.subarray(at + this.#delimiter.length);
        this.#state = 'afterDelimiter';
        return true;
      }
      case 'afterDelimiter': {
        if (buf.length < 2) return false;
        const marker = buf.toString('latin1', 0, 2);
        if (marker === '--') {
          this.#state = 'done';
          return true;
        }
        if (marker !== '\r\n') {
          throw new HttpError(400, 'invalid_request_error', 'Malformed multipart body: bad boundary line');
        }
        // The CRLF stays in #pending so that a part without headers still ends in CRLFCRLF.
        this.#state = 'headers';
        return true;
      }
      case 'headers': {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) {
          if (buf.length > MAX_PART_HEADER_BYTES) {
            throw new HttpError(
              400,
              'invalid_request_error',
              'Malformed multipart body: part headers too large',
            );
          }
          return false;
        }
        this.#sink.start(parsePartHeaders(buf.toString('utf8', 2, end)));
        this.#pending = buf.subarray(end + 4);
        this.#state = 'body';
        return true;
      }
      case 'done':
        // Whatever follows the closing delimiter is an epilogue and carries no data.
        this.#pending = Buffer.alloc(0);
        return false;
    }
  }
}

function parsePartHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Models

function modelInfo(id: string, codeExecution: boolean): Anthropic.ModelInfo {
  const yes = { supported: true };
  return {
    type: 'model',
    id,
    display_name: id,
    created_at: '2026-01-01T00:00:00Z',
    deprecated_at: null,
    retires_at: null,
    lifecycle: 'active',
    line: null,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    capabilities: {
      batch: yes,
      citations: yes,
      code_execution: yes,
      context_management: {
        supported: true,
        clear_thinking_20251015: yes,
        clear_tool_uses_20250919: yes,
        compact_20260112: yes,
      },
      effort: { supported: true, low: yes, medium: yes, high: yes, xhigh: yes, max: yes },
      image_input: yes,
      pdf_input: yes,
      server_tools: { supported: true, code_execution: { supported: codeExecution }, web_search: yes },
      structured_outputs: yes,
      thinking: {
        supported: true,
        types: { adaptive: yes, between_tools: yes, disabled: yes, enabled: yes },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/** Base62 ids shaped like the API's (`msg_…`, `file_…`, `req_…`). */
function randomId(prefix: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const id = Array.from(randomBytes(24), (byte) => alphabet[byte % alphabet.length]).join('');
  return `${prefix}_${id}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_request_error', 'Request body is not valid JSON');
  }
}

/**
 * Feeds the request body to `onChunk`. After the first error it keeps draining instead of
 * destroying the request, so the error can still be answered on the same connection.
 */
async function consumeBody(req: IncomingMessage, onChunk: (chunk: Buffer) => void): Promise<void> {
  let failure: unknown;
  let failed = false;
  for await (const chunk of req) {
    if (failed) continue;
    try {
      onChunk(chunk as Buffer);
    } catch (err) {
      failure = err;
      failed = true;
    }
  }
  if (failed) throw failure;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The API's error envelope; `errorCode` goes to `error.details.error_code` (see SDK core/error.ts). */
function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  errorCode?: string,
  headers: Record<string, string> = {},
): void {
  // An unread request body (e.g. a rejected upload) must not block the response.
  req.resume();
  const requestId = res.getHeader('request-id');
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(
    JSON.stringify({
      type: 'error',
      error: { type, message, ...(errorCode === undefined ? {} : { details: { error_code: errorCode } }) },
      request_id: requestId,
    }),
  );
}
