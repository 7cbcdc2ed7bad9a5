/**
 * A fake Slack for tests: the Web API, file hosting and a signed Events API sender, served as real HTTP servers on
 * 127.0.0.1 so that the real Bolt HTTPReceiver and the real `WebClient` (with `slackApiUrl: fake.apiUrl`) run
 * unmodified against it.
 *
 * Wire formats follow what @slack/web-api 8.2 actually sends: every method is a POST with a form-urlencoded body
 * whose object values (blocks, files, chunks, ...) are JSON strings; `files.uploadV2` posts the bytes to the
 * returned `upload_url` as multipart/form-data with a single part named `body`.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface SlackCall {
  method: string;
  /** Form fields; JSON-string values of blocks, files, attachments, chunks, metadata, prompts, view, ... are parsed. */
  params: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface PostedMessage {
  ts: string;
  channel: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  /** Always the bot user: the fake only knows the bot's own posts. */
  user: string;
  files?: { id: string; name: string; title: string; bytes: Buffer }[];
  /** How many times chat.update changed it. */
  updated?: number;
  deleted?: boolean;
  /** Set on chat.startStream messages: true until chat.stopStream. */
  streaming?: boolean;
  /** Set when the user pressed Slack's own stop on the stream: further appends and stops get `stopped_by_user`. */
  stoppedByUser?: boolean;
  /** ms; when chat.startStream created it (Slack ends a stream after about five minutes). */
  streamStartedAt?: number;
}

export interface HostedFileOptions {
  name: string;
  content: Buffer | (() => Readable);
  mimetype?: string;
  filetype?: string;
  /** Defaults to the Buffer length; omitted from the file object for stream content unless given. */
  size?: number;
  behaviour?:
    | 'ok'
    /** HTTP 200 text/html sign-in page, as Slack answers when the token or scope is wrong. */
    | 'html_login'
    | 'redirect_same_origin'
    /** 302 to the foreign server. */
    | 'redirect_foreign'
    | 'not_found';
  mode?: string;
}

export type SlackFileObject = Record<string, unknown> & {
  id: string;
  name: string;
  url_private_download: string;
};

export interface CompletedUpload {
  fileId: string;
  filename: string;
  title?: string;
  bytes: Buffer;
  channelId?: string;
  threadTs?: string;
  initialComment?: string;
}

export interface ScriptedResponse {
  status?: number;
  retryAfterSec?: number;
  body?: Record<string, unknown>;
}

export interface FakeSlack {
  /** Origin, http://127.0.0.1:PORT */
  url: string;
  /** `${url}/api/`: what the bot gets as SLACK_API_URL. */
  apiUrl: string;
  botToken: string;
  botUserId: string;
  botId: string;
  teamId: string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** The bot's posts as Slack would show them: in one channel, or in one thread (root included) when threadTs is given. */
  messages(channel: string, threadTs?: string): PostedMessage[];
  /** Reaction names the bot currently has on a message. */
  reactions(channel: string, ts: string): string[];
  /**
   * Records a message people posted (an event the test also sends), so conversations.replies returns it
   * alongside the bot's own posts, as Slack does.
   */
  /** Answer apps.connections.open (app-level token) with this WebSocket URL. */
  useSocketMode(url: string): void;
  recordHumanMessage(message: {
    channel: string;
    ts: string;
    user: string;
    text?: string;
    thread_ts?: string;
    files?: object[];
  }): void;
  uploads: CompletedUpload[];
  hostFile(opts: HostedFileOptions): SlackFileObject;
  /** Every GET of hosted files on this server (redirect hops included). */
  downloads: { path: string; authorization: string | undefined }[];
  /** A second server on another port: a non-Slack origin, for token-leak tests. */
  foreign: { url: string; requests: { path: string; authorization: string | undefined }[] };
  /**
   * Registers a workspace member for `users.info` (Slack's user object: role flags default to false). Users never
   * registered get `user_not_found`, as Slack answers for an unknown id.
   */
  setUser(user: {
    id: string;
    name?: string;
    is_admin?: boolean;
    is_owner?: boolean;
    is_primary_owner?: boolean;
    deleted?: boolean;
  }): void;
  /** Answer the next `times` calls of `method` (or 'upload' for the upload_url POST) with a scripted response. */
  failNext(method: string, response: ScriptedResponse, times?: number): void;
  /**
   * The user presses Slack's own stop control on a streaming message: the stream ends, and the app's next
   * chat.appendStream/stopStream on it fails with `stopped_by_user` (documented error of those methods).
   */
  stopStreamAsUser(channel: string, ts: string): void;
  /**
   * Slack ends a streamed message about five minutes after it started: later appends and stops get
   * `message_not_in_streaming_state`. Tests shorten it.
   */
  streamMaxAgeMs: number;
  /** Block types this workspace refuses with `invalid_blocks` (a client or plan without them). */
  unsupportedBlockTypes: Set<string>;
  close(): Promise<void>;
}

const DEFAULT_BOT_TOKEN = 'xoxb-test-token';
/** markdown_text per chat.startStream / appendStream / stopStream call (Slack's documented limit). */
const MAX_STREAM_TEXT_PER_CALL = 12_000;
/** Calls per minute of Slack's rate tiers for the stream methods (startStream/stopStream Tier 2, appendStream Tier 4). */
const STREAM_RATE_LIMITS: Record<string, number> = {
  'chat.startStream': 20,
  'chat.stopStream': 20,
  'chat.appendStream': 100,
};
// IDs used consistently across test/fixtures/slack.
const BOT_USER_ID = 'U08CSVBOT9K';
const BOT_ID = 'B08CSVBOTQ2';
const TEAM_ID = 'T07QWERT1AB';
const APP_ID = 'A08CSVAN1YZ';
const HUMAN_UPLOADER = 'U04ANALYST7';

// First ts handed out; later ones grow by 100 µs, so ordering by ts equals posting order.
const FIRST_TS_SEC = 1_795_790_000;

// Documented limits (https://docs.slack.dev/reference/block-kit/blocks, @slack/types block-kit/blocks.d.ts,
// https://api.slack.com/changelog/2018-04-truncating-really-long-messages).
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_SECTION_FIELDS = 10;
const MAX_SECTION_FIELD_TEXT = 2000;
const MAX_HEADER_TEXT = 150;
const MAX_MARKDOWN_BLOCK_TEXT = 12_000;
const MAX_TEXT = 40_000;
// data_table (https://docs.slack.dev/reference/block-kit/blocks/data-table-block): a header plus 1–100 rows of
// 1–20 cells each, all the same length, cell text ≥ 1 character, ≤ 10,000 characters across the cells of a table
// and of a message, rich_text not in the header, caption required, page_size 1–100.
const MAX_DATA_TABLE_ROWS = 101;
const MAX_DATA_TABLE_COLUMNS = 20;
const MAX_DATA_TABLE_CHARS = 10_000;
// data_visualization (https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block): title ≤ 50
// characters; pie: 1–6 segments, label ≤ 20, value > 0; bar/line/area: 1–6 uniquely named series (name ≤ 20), each
// 1–20 data points (label ≤ 20) whose labels are the axis_config categories; axis titles ≤ 50.
const CHART = { maxTitle: 50, maxLabel: 20, maxAxisTitle: 50, maxSeries: 6, maxPoints: 20, maxSegments: 6 };
// context_actions (@slack/types ContextActionsBlock): at most 5 elements, feedback_buttons or icon_button.
const MAX_CONTEXT_ACTIONS = 5;

// Parameters the WebClient serialises as JSON strings and the fake hands back parsed.
const JSON_PARAMS = new Set([
  'blocks',
  'files',
  'attachments',
  'chunks',
  'metadata',
  'prompts',
  'loading_messages',
  'view',
]);

const LOGIN_PAGE =
  '<!DOCTYPE html><html lang="en"><head><title>Sign in | Slack</title></head>' +
  '<body><h1>Sign in to your workspace</h1></body></html>';

type Params = Record<string, unknown>;
type Reply = Record<string, unknown>;

const fixtureDir = new URL('../../fixtures/slack/', import.meta.url);

/** A fresh (deep) copy of test/fixtures/slack/<name>.json. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are arbitrary JSON and tests index into them freely
export function loadFixture<T = any>(name: string): T {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  return JSON.parse(readFileSync(new URL(file, fixtureDir), 'utf8')) as T;
}

/** Slack's v0 request signature: hex HMAC-SHA256(secret, `v0:${ts}:${body}`). */
export function signSlackRequest(
  body: string,
  signingSecret: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const hash = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${hash}`, 'x-slack-request-timestamp': String(timestampSec) };
}

/** POST an Events API envelope to the bot the way Slack does: JSON body, signature and optional retry headers. */
export function sendEvent(
  targetUrl: string,
  envelope: object,
  opts: {
    signingSecret: string;
    retryNum?: number;
    retryReason?: string;
    badSignature?: boolean;
    timestampSec?: number;
  },
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(envelope);
  const secret = opts.badSignature ? `${opts.signingSecret}-wrong` : opts.signingSecret;
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...signSlackRequest(body, secret, opts.timestampSec),
  };
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
  }
  return new Promise((resolve, reject) => {
    // agent:false: no keep-alive socket outlives the request, so the bot's server can close promptly.
    const req = httpRequest(targetUrl, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface HostedFile {
  object: SlackFileObject;
  content: Buffer | (() => Readable);
  behaviour: NonNullable<HostedFileOptions['behaviour']>;
}

interface PendingUpload {
  filename: string;
  bytes?: Buffer;
}

/** `appToken`: the one app-level token apps.connections.open accepts (default: any xapp- token). */
export async function startFakeSlack(
  opts: { botToken?: string; appToken?: string } = {},
): Promise<FakeSlack> {
  const botToken = opts.botToken ?? DEFAULT_BOT_TOKEN;
  const calls: SlackCall[] = [];
  const posted: PostedMessage[] = [];
  let socketModeUrl: string | undefined;
  const humanPosts: {
    channel: string;
    ts: string;
    user: string;
    text?: string;
    thread_ts?: string;
    files?: object[];
  }[] = [];
  const uploads: CompletedUpload[] = [];
  const downloads: FakeSlack['downloads'] = [];
  const foreignRequests: FakeSlack['foreign']['requests'] = [];
  const hosted = new Map<string, HostedFile>();
  const pendingUploads = new Map<string, PendingUpload>();
  const reactionsByMessage = new Map<string, Set<string>>();
  const users = new Map<string, Reply>();
  const scripted = new Map<string, (ScriptedResponse & { remaining: number })[]>();
  const unsupportedBlockTypes = new Set<string>();

  let tsCounter = 0;
  const nextTs = (): string => {
    tsCounter += 1;
    const micros = tsCounter * 100;
    return `${FIRST_TS_SEC + Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  };
  let idCounter = 0;
  const nextId = (prefix: string): string => {
    idCounter += 1;
    return `${prefix}0FAKE${String(idCounter).padStart(5, '0')}`;
  };

  const foreignServer = createServer((req, res) => {
    const path = req.url ?? '/';
    foreignRequests.push({ path, authorization: req.headers.authorization });
    // Behaves like a CDN with pre-signed URLs: serves the bytes without looking at Authorization.
    const fileId = /^\/cdn\/([^/]+)\//.exec(path)?.[1];
    const file = fileId === undefined ? undefined : hosted.get(fileId);
    if (file === undefined) return sendText(res, 404, 'Not Found');
    serveContent(res, file);
  });
  const foreignUrl = await listen(foreignServer);

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      // A bug in the fake must be loud, not look like a Slack answer.
      if (res.headersSent) {
        res.destroy();
      } else {
        sendText(res, 500, `fake-slack error: ${err instanceof Error ? err.stack : String(err)}`);
      }
    });
  });
  const url = await listen(server);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', url);
    if (pathname.startsWith('/api/')) return handleApi(req, res, pathname.slice('/api/'.length));
    if (pathname.startsWith('/upload/v1/'))
      return handleUpload(req, res, pathname.slice('/upload/v1/'.length));
    if (
      req.method === 'GET' &&
      (pathname.startsWith('/files-pri/') || pathname.startsWith('/files-origin/'))
    ) {
      return handleDownload(req, res, pathname);
    }
    sendText(res, 404, 'Not Found');
  }

  /** Consumes one scripted response for `method`, if any, and sends it. */
  function replyScripted(method: string, res: ServerResponse): boolean {
    const queue = scripted.get(method);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return false;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    const status = next.status ?? (next.retryAfterSec === undefined ? 200 : 429);
    const body = next.body ?? { ok: false, error: status === 429 ? 'ratelimited' : 'internal_error' };
    const headers: OutgoingHttpHeaders =
      next.retryAfterSec === undefined ? {} : { 'retry-after': String(next.retryAfterSec) };
    sendJson(res, status, body, headers);
    return true;
  }

  /** Accepted calls of each rate-limited method in the last minute, oldest first. */
  const recentCalls = new Map<string, number[]>();
  /**
   * Slack's per-method, per-workspace rate tiers, for the stream methods: over the limit, HTTP 429 with
   * Retry-After (seconds until the oldest call of the last minute leaves the window) and `ratelimited`.
   */
  function rateLimited(method: string, res: ServerResponse): boolean {
    const perMinute = STREAM_RATE_LIMITS[method];
    if (perMinute === undefined) return false;
    const now = Date.now();
    const recent = (recentCalls.get(method) ?? []).filter((at) => now - at < 60_000);
    recentCalls.set(method, recent);
    if (recent.length < perMinute) {
      recent.push(now);
      return false;
    }
    const retryAfter = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
    sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
    return true;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const { fields } = await parseBody(req);
    calls.push({ method, params: fields, headers: { ...req.headers }, at: Date.now() });
    if (replyScripted(method, res)) return;
    if (rateLimited(method, res)) return;
    // The WebClient sends the token as a Bearer header; Slack also accepts it as a form field.
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? str(fields, 'token');
    let reply: Reply;
    if (token === undefined) reply = fail('not_authed');
    else if (method === 'apps.connections.open') {
      // Socket Mode: called with the app-level token, answers the WebSocket URL to connect to.
      reply =
        token.startsWith('xapp-') && (opts.appToken ?? token) === token && socketModeUrl
          ? { ok: true, url: socketModeUrl }
          : fail('invalid_auth');
    } else if (token !== botToken) reply = fail('invalid_auth');
    else reply = methods[method]?.(fields) ?? fail('unknown_method');
    sendJson(res, 200, reply);
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, fileId: string): Promise<void> {
    const { fields, files, raw } = await parseBody(req);
    // The WebClient sends multipart with one part named `body`; the docs allow raw bytes too.
    const isMultipart = req.headers['content-type']?.includes('multipart/form-data') ?? false;
    const bytes = isMultipart ? files.get('body') : raw;
    calls.push({
      method: 'upload',
      params: { ...fields, file_id: fileId, ...(bytes && { length: bytes.length }) },
      headers: { ...req.headers },
      at: Date.now(),
    });
    if (replyScripted('upload', res)) return;
    const pending = pendingUploads.get(fileId);
    if (pending === undefined) return sendText(res, 404, 'Not Found');
    if (bytes === undefined) return sendText(res, 400, 'missing multipart part "body"');
    pending.bytes = bytes;
    sendText(res, 200, `OK - ${bytes.length}`);
  }

  function handleDownload(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    downloads.push({ path: req.url ?? pathname, authorization: req.headers.authorization });
    // Paths look like /files-pri/<team>-<file id>/[download/]<name>; redirects land on /files-origin/….
    const fileId = pathname.split('/')[2]?.split('-')[1];
    const file = fileId === undefined ? undefined : hosted.get(fileId);
    const firstHop = pathname.startsWith('/files-pri/');
    if (file === undefined || file.behaviour === 'not_found') {
      sendText(res, 404, 'Not Found');
    } else if (req.headers.authorization !== `Bearer ${botToken}` || file.behaviour === 'html_login') {
      // Slack answers a missing/wrong token or a missing files:read scope with its sign-in page, not a 401.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-slack-meta': '?;acl_fail' });
      res.end(LOGIN_PAGE);
    } else if (firstHop && file.behaviour === 'redirect_same_origin') {
      redirect(
        res,
        `${url}/files-origin/${TEAM_ID}-${file.object.id}/${encodeURIComponent(file.object.name)}`,
      );
    } else if (firstHop && file.behaviour === 'redirect_foreign') {
      // Like a CDN hop with a pre-signed URL: the foreign server needs no token and must never receive one.
      redirect(
        res,
        `${foreignUrl}/cdn/${file.object.id}/${encodeURIComponent(file.object.name)}?sig=presigned`,
      );
    } else {
      serveContent(res, file);
    }
  }

  function hostFile(opts: HostedFileOptions): SlackFileObject {
    return registerFile(opts, { id: nextId('F'), user: HUMAN_UPLOADER, title: opts.name });
  }

  function registerFile(
    opts: HostedFileOptions,
    { id, user, title }: { id: string; user: string; title: string },
  ): SlackFileObject {
    const extension = /\.([^.]+)$/.exec(opts.name)?.[1]?.toLowerCase() ?? '';
    const filetype = opts.filetype ?? (extension || 'binary');
    const mode = opts.mode ?? 'hosted';
    const size = opts.size ?? (Buffer.isBuffer(opts.content) ? opts.content.length : undefined);
    const name = encodeURIComponent(opts.name);
    const created = Math.floor(Date.now() / 1000);
    const object: SlackFileObject = {
      id,
      created,
      timestamp: created,
      name: opts.name,
      title,
      mimetype: opts.mimetype ?? MIME_TYPES[filetype] ?? 'application/octet-stream',
      filetype,
      pretty_type: filetype.toUpperCase(),
      user,
      user_team: TEAM_ID,
      editable: false,
      ...(size !== undefined && { size }),
      mode,
      is_external: mode === 'external',
      external_type: '',
      is_public: true,
      public_url_shared: false,
      display_as_bot: false,
      username: '',
      url_private: `${url}/files-pri/${TEAM_ID}-${id}/${name}`,
      url_private_download: `${url}/files-pri/${TEAM_ID}-${id}/download/${name}`,
      media_display_type: 'unknown',
      permalink: `${url}/files/${user}/${id}/${name}`,
      permalink_public: `${url}/public/${TEAM_ID}-${id}`,
      ...(filetype === 'csv' && Buffer.isBuffer(opts.content) && textPreview(opts.content)),
      is_starred: false,
      has_rich_preview: false,
      file_access: 'visible',
    };
    hosted.set(id, { object, content: opts.content, behaviour: opts.behaviour ?? 'ok' });
    return structuredClone(object);
  }

  function findMessage(channel: string | undefined, ts: string | undefined): PostedMessage | undefined {
    return posted.find((m) => m.channel === channel && m.ts === ts && !m.deleted);
  }

  function post(message: Omit<PostedMessage, 'ts' | 'user'>): PostedMessage {
    const stored: PostedMessage = { ts: nextTs(), user: BOT_USER_ID, ...message };
    posted.push(stored);
    return stored;
  }

  /** The message as the Web API returns it (postMessage `message`, conversations.replies `messages[]`). */
  function toSlackMessage(m: PostedMessage): Reply {
    return {
      type: 'message',
      user: m.user,
      bot_id: BOT_ID,
      app_id: APP_ID,
      team: TEAM_ID,
      text: m.text ?? '',
      ts: m.ts,
      ...(m.thread_ts !== undefined && { thread_ts: m.thread_ts }),
      ...(m.blocks !== undefined && { blocks: m.blocks }),
      ...(m.files !== undefined && { files: m.files.map((f) => hosted.get(f.id)?.object), upload: true }),
    };
  }

  /** Still streaming: not stopped, and younger than Slack's stream age limit (which ends it). */
  function isStreaming(message: PostedMessage): boolean {
    if (message.streaming && Date.now() - (message.streamStartedAt ?? 0) >= fake.streamMaxAgeMs)
      message.streaming = false;
    return message.streaming === true;
  }

  function appendStreamText(message: PostedMessage, p: Params): Reply | undefined {
    const { chunks } = p;
    if (chunks !== undefined && !Array.isArray(chunks)) return fail('invalid_chunks');
    // Only markdown_text chunks add text; task/plan updates are display-only and not modelled.
    const text = [str(p, 'markdown_text'), ...(chunks ?? []).map(markdownChunkText)]
      .filter((t) => t !== undefined)
      .join('');
    // markdown_text is documented as at most 12,000 characters per call; Slack's error for a long text.
    if (text.length > MAX_STREAM_TEXT_PER_CALL) return fail('msg_too_long');
    message.text = (message.text ?? '') + text;
    return undefined;
  }

  const methods: Record<string, (p: Params) => Reply> = {
    'auth.test': () => ({
      ...loadFixture('webapi_auth_test_response'),
      user_id: BOT_USER_ID,
      bot_id: BOT_ID,
      team_id: TEAM_ID,
    }),

    'chat.postMessage': (p) => {
      const channel = str(p, 'channel');
      if (!channel) return fail('channel_not_found');
      const content = checkContent(p, unsupportedBlockTypes);
      if ('rejected' in content) return content.rejected;
      const threadTs = str(p, 'thread_ts');
      const message = post({
        channel,
        ...(threadTs !== undefined && { thread_ts: threadTs }),
        ...(content.text !== undefined && { text: content.text }),
        ...(content.blocks !== undefined && { blocks: content.blocks }),
      });
      return { ok: true, channel, ts: message.ts, message: toSlackMessage(message), ...content.warnings };
    },

    'chat.update': (p) => {
      const message = findMessage(str(p, 'channel'), str(p, 'ts'));
      if (message === undefined) return fail('message_not_found');
      if (message.streaming) return fail('streaming_state_conflict');
      const content = checkContent(p, unsupportedBlockTypes);
      if ('rejected' in content) return content.rejected;
      // Fields left out keep their previous value, as on Slack.
      if (content.text !== undefined) message.text = content.text;
      if (content.blocks !== undefined) message.blocks = content.blocks;
      message.updated = (message.updated ?? 0) + 1;
      return {
        ok: true,
        channel: message.channel,
        ts: message.ts,
        text: message.text ?? '',
        message: toSlackMessage(message),
        ...content.warnings,
      };
    },

    'chat.delete': (p) => {
      const message = findMessage(str(p, 'channel'), str(p, 'ts'));
      if (message === undefined) return fail('message_not_found');
      message.deleted = true;
      return { ok: true, channel: message.channel, ts: message.ts };
    },

    // Ephemeral messages are not persisted by Slack; tests read them from callsTo('chat.postEphemeral').
    'chat.postEphemeral': (p) => {
      const missing = missingParams(p, 'channel', 'user');
      if (missing) return missing;
      const content = checkContent(p, unsupportedBlockTypes);
      if ('rejected' in content) return content.rejected;
      return { ok: true, message_ts: nextTs(), ...content.warnings };
    },

    'chat.startStream': (p) => {
      const missing = missingParams(p, 'channel', 'thread_ts');
      if (missing) return missing;
      if (p.markdown_text === undefined && p.chunks === undefined) return fail('invalid_arguments');
      const channel = str(p, 'channel') ?? '';
      // Required when streaming to channels; DMs (D…) may omit them.
      if (!channel.startsWith('D')) {
        if (!str(p, 'recipient_team_id')) return fail('missing_recipient_team_id');
        if (!str(p, 'recipient_user_id')) return fail('missing_recipient_user_id');
      }
      const message: PostedMessage = {
        ts: nextTs(),
        user: BOT_USER_ID,
        channel,
        thread_ts: str(p, 'thread_ts') ?? '',
        text: '',
        streaming: true,
        streamStartedAt: Date.now(),
      };
      const error = appendStreamText(message, p);
      if (error) return error;
      posted.push(message);
      return { ok: true, channel, ts: message.ts };
    },

    'chat.appendStream': (p) => {
      // "Either markdown_text or chunks is required."
      if (p.markdown_text === undefined && p.chunks === undefined) return fail('invalid_arguments');
      const message = findMessage(str(p, 'channel'), str(p, 'ts'));
      if (message === undefined) return fail('message_not_found');
      if (message.stoppedByUser) return fail('stopped_by_user');
      if (!isStreaming(message)) return fail('message_not_in_streaming_state');
      return appendStreamText(message, p) ?? { ok: true, channel: message.channel, ts: message.ts };
    },

    'chat.stopStream': (p) => {
      const message = findMessage(str(p, 'channel'), str(p, 'ts'));
      if (message === undefined) return fail('message_not_found');
      if (message.stoppedByUser) return fail('stopped_by_user');
      if (!isStreaming(message)) return fail('message_not_in_streaming_state');
      const blocks = checkBlocks(p.blocks, unsupportedBlockTypes);
      if (blocks !== undefined && !Array.isArray(blocks)) return blocks;
      const error = appendStreamText(message, p);
      if (error) return error;
      if (blocks !== undefined) message.blocks = blocks;
      message.streaming = false;
      return { ok: true, channel: message.channel, ts: message.ts, message: toSlackMessage(message) };
    },

    'reactions.add': (p) => {
      const missing = missingParams(p, 'channel', 'timestamp', 'name');
      if (missing) return missing;
      const key = `${str(p, 'channel')}:${str(p, 'timestamp')}`;
      const names = reactionsByMessage.get(key) ?? new Set<string>();
      const name = str(p, 'name') ?? '';
      if (names.has(name)) return fail('already_reacted');
      reactionsByMessage.set(key, names.add(name));
      return { ok: true };
    },

    'reactions.remove': (p) => {
      const missing = missingParams(p, 'channel', 'timestamp', 'name');
      if (missing) return missing;
      const names = reactionsByMessage.get(`${str(p, 'channel')}:${str(p, 'timestamp')}`);
      if (!names?.delete(str(p, 'name') ?? '')) return fail('no_reaction');
      return { ok: true };
    },

    'files.info': (p) => {
      const missing = missingParams(p, 'file');
      if (missing) return missing;
      const file = hosted.get(str(p, 'file') ?? '');
      if (file === undefined) return fail('file_not_found');
      return {
        ok: true,
        file: structuredClone(file.object),
        comments: [],
        response_metadata: { next_cursor: '' },
      };
    },

    'files.getUploadURLExternal': (p) => {
      const missing = missingParams(p, 'filename', 'length');
      if (missing) return missing;
      if (!(Number(p.length) > 0)) return fail('missing_argument');
      const fileId = nextId('F');
      pendingUploads.set(fileId, { filename: str(p, 'filename') ?? '' });
      return { ok: true, upload_url: `${url}/upload/v1/${fileId}`, file_id: fileId };
    },

    'files.completeUploadExternal': (p) => {
      const requested = p.files;
      if (!Array.isArray(requested) || requested.length === 0) return fail('invalid_arguments');
      const files: { id: string; title: string; givenTitle?: string; filename: string; bytes: Buffer }[] = [];
      for (const entry of requested as { id?: unknown; title?: unknown }[]) {
        const id = String(entry.id);
        const pending = pendingUploads.get(id);
        // Unknown ids and ids whose bytes never reached upload_url both leave Slack without a file.
        if (pending?.bytes === undefined) return fail('file_not_found');
        const givenTitle = typeof entry.title === 'string' ? entry.title : undefined;
        files.push({
          id,
          title: givenTitle ?? pending.filename, // Slack defaults the title to the filename
          ...(givenTitle !== undefined && { givenTitle }),
          filename: pending.filename,
          bytes: pending.bytes,
        });
      }
      const channelId = str(p, 'channel_id');
      const threadTs = str(p, 'thread_ts');
      const initialComment = str(p, 'initial_comment');
      for (const { id, title, givenTitle, filename, bytes } of files) {
        pendingUploads.delete(id);
        // The uploaded file becomes a normal hosted file: files.info and downloads work for it.
        registerFile({ name: filename, content: bytes }, { id, user: BOT_USER_ID, title });
        uploads.push({
          fileId: id,
          filename,
          ...(givenTitle !== undefined && { title: givenTitle }),
          bytes,
          ...(channelId !== undefined && { channelId }),
          ...(threadTs !== undefined && { threadTs }),
          ...(initialComment !== undefined && { initialComment }),
        });
      }
      // Without channel_id the files stay private and nothing is posted.
      if (channelId !== undefined) {
        post({
          channel: channelId,
          ...(threadTs !== undefined && { thread_ts: threadTs }),
          ...(initialComment !== undefined && { text: initialComment }),
          files: files.map(({ id, filename, title, bytes }) => ({ id, name: filename, title, bytes })),
        });
      }
      return { ok: true, files: files.map(({ id, title }) => ({ id, title })) };
    },

    'assistant.threads.setStatus': (p) =>
      missingParams(p, 'channel_id', 'thread_ts', 'status') ?? { ok: true },
    'assistant.threads.setSuggestedPrompts': (p) =>
      missingParams(p, 'channel_id', 'thread_ts', 'prompts') ?? { ok: true },
    'assistant.threads.setTitle': (p) => missingParams(p, 'channel_id', 'thread_ts', 'title') ?? { ok: true },
    // An app declared as an agent: its thread-based sessions take these four statuses.
    'agents.sessions.setStatus': (p) =>
      missingParams(p, 'channel_id', 'status') ??
      (['active', 'processing', 'suspended', 'closed'].includes(str(p, 'status') ?? '')
        ? { ok: true }
        : { ok: false, error: 'invalid_arguments' }),

    'conversations.replies': (p) => {
      const missing = missingParams(p, 'channel', 'ts');
      if (missing) return missing;
      const channel = str(p, 'channel');
      const ts = str(p, 'ts');
      const inThread = (m: { channel: string; ts: string; thread_ts?: string | undefined }) =>
        m.channel === channel && (m.ts === ts || m.thread_ts === ts);
      const messages = [
        ...posted.filter((m) => inThread(m) && !m.deleted).map(toSlackMessage),
        ...humanPosts
          .filter(inThread)
          .map(({ channel: _channel, ...m }) => ({ type: 'message', team: TEAM_ID, ...m })),
      ].sort((a, b) => Number(a.ts) - Number(b.ts));
      return {
        ok: true,
        messages,
        has_more: false,
        response_metadata: { next_cursor: '' },
      };
    },

    'users.info': (p) => {
      const missing = missingParams(p, 'user');
      if (missing) return missing;
      const user = users.get(str(p, 'user') ?? '');
      return user === undefined ? fail('user_not_found') : { ok: true, user: structuredClone(user) };
    },

    'views.publish': (p) => {
      const missing = missingParams(p, 'user_id', 'view');
      if (missing) return missing;
      return { ok: true, view: { ...(p.view as object), id: nextId('V'), team_id: TEAM_ID } };
    },
  };

  const fake: FakeSlack = {
    url,
    apiUrl: `${url}/api/`,
    botToken,
    botUserId: BOT_USER_ID,
    botId: BOT_ID,
    teamId: TEAM_ID,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages: (channel, threadTs) =>
      posted
        .filter(
          (m) =>
            m.channel === channel &&
            (threadTs === undefined || m.ts === threadTs || m.thread_ts === threadTs),
        )
        .map((m) => ({ ...m })),
    reactions: (channel, ts) => [...(reactionsByMessage.get(`${channel}:${ts}`) ?? [])],
    useSocketMode: (url) => {
      socketModeUrl = url;
    },
    recordHumanMessage: (message) => {
      humanPosts.push(structuredClone(message));
    },
    uploads,
    hostFile,
    downloads,
    foreign: { url: foreignUrl, requests: foreignRequests },
    setUser: (user) => {
      const name = user.name ?? user.id.toLowerCase();
      users.set(user.id, {
        id: user.id,
        team_id: TEAM_ID,
        name,
        deleted: user.deleted ?? false,
        real_name: name,
        tz: 'Europe/London',
        is_admin: user.is_admin ?? false,
        is_owner: user.is_owner ?? false,
        is_primary_owner: user.is_primary_owner ?? false,
        is_restricted: false,
        is_ultra_restricted: false,
        is_bot: false,
        is_app_user: false,
        updated: Math.floor(Date.now() / 1000),
        profile: { real_name: name, display_name: name, team: TEAM_ID },
      });
    },
    unsupportedBlockTypes,
    streamMaxAgeMs: 5 * 60_000,
    stopStreamAsUser(channel, ts) {
      const message = findMessage(channel, ts);
      if (!message?.streaming) throw new Error(`no streaming message ${channel} ${ts}`);
      message.streaming = false;
      message.stoppedByUser = true;
    },
    failNext: (method, response, times = 1) => {
      const queue = scripted.get(method) ?? [];
      queue.push({ ...response, remaining: times });
      scripted.set(method, queue);
    },
    close: async () => {
      await Promise.all([closeServer(server), closeServer(foreignServer)]);
    },
  };
  return fake;
}

const MIME_TYPES: Record<string, string> = {
  csv: 'text/csv',
  txt: 'text/plain',
  png: 'image/png',
  jpg: 'image/jpeg',
  json: 'application/json',
};

/** The preview fields Slack adds to text files (first 5 lines), as in the fixtures' CSV file objects. */
function textPreview(content: Buffer): Record<string, unknown> {
  const lines = content.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const shown = lines.slice(0, 5);
  return {
    preview: shown.join('\n'),
    lines: lines.length,
    lines_more: lines.length - shown.length,
    preview_is_truncated: lines.length > shown.length,
  };
}

function str(p: Params, key: string): string | undefined {
  const value = p[key];
  return typeof value === 'string' ? value : undefined;
}

function fail(error: string, messages?: string[]): Reply {
  return { ok: false, error, ...(messages && { response_metadata: { messages } }) };
}

/** Slack's generic answer for absent required arguments on the newer methods. */
function missingParams(p: Params, ...names: string[]): Reply | undefined {
  const missing = names.filter((name) => p[name] === undefined);
  if (missing.length === 0) return undefined;
  return fail(
    'invalid_arguments',
    missing.map((name) => `[ERROR] missing required field: ${name}`),
  );
}

function markdownChunkText(chunk: unknown): string | undefined {
  const { type, text } = (chunk ?? {}) as { type?: unknown; text?: unknown };
  return type === 'markdown_text' && typeof text === 'string' ? text : undefined;
}

interface MessageContent {
  text?: string;
  blocks?: unknown[];
  /** Extra reply fields (the truncation warning). */
  warnings: Reply;
}

/**
 * Validates message content the way chat.postMessage/chat.update do. Text over 40k characters is accepted but
 * truncated with a `message_truncated` warning, as Slack does.
 */
function checkContent(p: Params, unsupported: ReadonlySet<string>): MessageContent | { rejected: Reply } {
  const text = str(p, 'text');
  const markdownText = str(p, 'markdown_text');
  if (markdownText !== undefined && (text !== undefined || p.blocks !== undefined)) {
    return { rejected: fail('markdown_text_conflict') };
  }
  const blocks = checkBlocks(p.blocks, unsupported);
  if (blocks !== undefined && !Array.isArray(blocks)) return { rejected: blocks };
  const body = text ?? markdownText;
  if (!body && !blocks?.length && p.attachments === undefined) return { rejected: fail('no_text') };
  if (body === undefined) return { ...(blocks && { blocks }), warnings: {} };
  const truncated = body.length > MAX_TEXT;
  return {
    text: truncated ? body.slice(0, MAX_TEXT) : body,
    ...(blocks && { blocks }),
    warnings: truncated
      ? { warning: 'message_truncated', response_metadata: { warnings: ['message_truncated'] } }
      : {},
  };
}

/** Returns the blocks when valid, an error reply when not, undefined when absent. */
function checkBlocks(blocks: unknown, unsupported: ReadonlySet<string>): unknown[] | Reply | undefined {
  if (blocks === undefined) return undefined;
  // A value that was not valid JSON, or JSON that is not an array, stays unparsed/unusable.
  if (!Array.isArray(blocks)) return fail('invalid_blocks_format');
  const problems: string[] = [];
  const tooLong = (value: unknown, max: number, pointer: string): void => {
    if (typeof value === 'string' && value.length > max) {
      problems.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${pointer}]`);
    }
  };
  let tableChars = 0;
  if (blocks.length > MAX_BLOCKS)
    problems.push(`[ERROR] no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  blocks.forEach((block: unknown, i) => {
    const b = (block ?? {}) as { type?: unknown; text?: { text?: unknown } | string; fields?: unknown };
    const at = `/blocks/${i}`;
    if (typeof b.type !== 'string')
      problems.push(`[ERROR] missing required field: type [json-pointer:${at}]`);
    else if (unsupported.has(b.type))
      problems.push(`[ERROR] unsupported type: ${b.type} [json-pointer:${at}/type]`);
    if (b.type === 'section') {
      if (typeof b.text === 'object') tooLong(b.text.text, MAX_SECTION_TEXT, `${at}/text/text`);
      if (Array.isArray(b.fields)) {
        if (b.fields.length > MAX_SECTION_FIELDS) {
          problems.push(
            `[ERROR] no more than ${MAX_SECTION_FIELDS} items allowed [json-pointer:${at}/fields]`,
          );
        }
        b.fields.forEach((field: { text?: unknown } | null, j) => {
          tooLong(field?.text, MAX_SECTION_FIELD_TEXT, `${at}/fields/${j}/text`);
        });
      }
    }
    if (b.type === 'header' && typeof b.text === 'object')
      tooLong(b.text.text, MAX_HEADER_TEXT, `${at}/text/text`);
    if (b.type === 'markdown') tooLong(b.text, MAX_MARKDOWN_BLOCK_TEXT, `${at}/text`);
    if (b.type === 'data_table') tableChars += checkDataTable(block as Params, at, problems);
    if (b.type === 'context_actions') checkContextActions(block as Params, at, problems);
    if (b.type === 'data_visualization') checkDataVisualization(block as Params, at, problems);
  });
  if (tableChars > MAX_DATA_TABLE_CHARS)
    problems.push(
      `[ERROR] table cells of a message must be less than ${MAX_DATA_TABLE_CHARS + 1} characters [json-pointer:/blocks]`,
    );
  return problems.length > 0 ? fail('invalid_blocks', problems) : blocks;
}

/** Checks one data_table block, adding its problems; returns the characters across its cells. */
function checkDataTable(b: Params, at: string, problems: string[]): number {
  if (typeof b.caption !== 'string')
    problems.push(`[ERROR] missing required field: caption [json-pointer:${at}]`);
  const pageSize = b.page_size;
  if (
    pageSize !== undefined &&
    (!Number.isInteger(pageSize) || (pageSize as number) < 1 || (pageSize as number) > 100)
  )
    problems.push(`[ERROR] must be between 1 and 100 [json-pointer:${at}/page_size]`);
  const rows = b.rows;
  if (!Array.isArray(rows) || rows.length < 2 || rows.length > MAX_DATA_TABLE_ROWS) {
    problems.push(`[ERROR] must have between 2 and ${MAX_DATA_TABLE_ROWS} items [json-pointer:${at}/rows]`);
    return 0;
  }
  let chars = 0;
  const width = Array.isArray(rows[0]) ? rows[0].length : -1;
  rows.forEach((row: unknown, r) => {
    if (
      !Array.isArray(row) ||
      row.length < 1 ||
      row.length > MAX_DATA_TABLE_COLUMNS ||
      row.length !== width
    ) {
      problems.push(
        `[ERROR] rows must have the same number of 1 to ${MAX_DATA_TABLE_COLUMNS} cells [json-pointer:${at}/rows/${r}]`,
      );
      return;
    }
    row.forEach((cell: unknown, c) => {
      const { type, text, value } = (cell ?? {}) as { type?: unknown; text?: unknown; value?: unknown };
      const where = `${at}/rows/${r}/${c}`;
      if (type === 'rich_text') {
        if (r === 0)
          problems.push(`[ERROR] rich_text is not allowed in the header row [json-pointer:${where}]`);
        return;
      }
      if ((type !== 'raw_text' && type !== 'raw_number') || typeof text !== 'string' || text.length < 1) {
        problems.push(
          `[ERROR] must be a raw_text, raw_number or rich_text cell with text [json-pointer:${where}]`,
        );
        return;
      }
      if (type === 'raw_number' && typeof value !== 'number')
        problems.push(`[ERROR] missing required field: value [json-pointer:${where}]`);
      chars += text.length;
    });
  });
  if (chars > MAX_DATA_TABLE_CHARS)
    problems.push(
      `[ERROR] table cells must be less than ${MAX_DATA_TABLE_CHARS + 1} characters [json-pointer:${at}/rows]`,
    );
  return chars;
}

/** Checks one data_visualization block against the documented shape and limits. */
function checkDataVisualization(b: Params, at: string, problems: string[]): void {
  const problem = (what: string, pointer: string): void => {
    problems.push(`[ERROR] ${what} [json-pointer:${at}${pointer}]`);
  };
  const text = (value: unknown, max: number, pointer: string): void => {
    if (typeof value !== 'string' || value.length < 1) problem('must be a non-empty string', pointer);
    else if (value.length > max) problem(`must be less than ${max + 1} characters`, pointer);
  };
  const items = (value: unknown, max: number, pointer: string): unknown[] => {
    if (!Array.isArray(value) || value.length < 1 || value.length > max) {
      problem(`must have between 1 and ${max} items`, pointer);
      return [];
    }
    return value;
  };
  text(b.title, CHART.maxTitle, '/title');
  const chart = (b.chart ?? {}) as Params;
  if (chart.type === 'pie') {
    items(chart.segments, CHART.maxSegments, '/chart/segments').forEach((seg, i) => {
      const { label, value } = (seg ?? {}) as Params;
      text(label, CHART.maxLabel, `/chart/segments/${i}/label`);
      if (typeof value !== 'number' || !(value > 0))
        problem('must be a number above 0', `/chart/segments/${i}/value`);
    });
    return;
  }
  if (chart.type !== 'bar' && chart.type !== 'line' && chart.type !== 'area') {
    problem('must be one of pie, bar, area, line', '/chart/type');
    return;
  }
  const axis = (chart.axis_config ?? {}) as Params;
  const categories = items(axis.categories, CHART.maxPoints, '/chart/axis_config/categories');
  categories.forEach((c, i) => {
    text(c, CHART.maxLabel, `/chart/axis_config/categories/${i}`);
  });
  for (const key of ['x_label', 'y_label'])
    if (axis[key] !== undefined) text(axis[key], CHART.maxAxisTitle, `/chart/axis_config/${key}`);
  const names = new Set<unknown>();
  items(chart.series, CHART.maxSeries, '/chart/series').forEach((raw, i) => {
    const series = (raw ?? {}) as Params;
    text(series.name, CHART.maxLabel, `/chart/series/${i}/name`);
    if (names.has(series.name)) problem('series names must be unique', `/chart/series/${i}/name`);
    names.add(series.name);
    const data = items(series.data, CHART.maxPoints, `/chart/series/${i}/data`);
    data.forEach((point, j) => {
      const { label, value } = (point ?? {}) as Params;
      text(label, CHART.maxLabel, `/chart/series/${i}/data/${j}/label`);
      if (typeof value !== 'number' || !Number.isFinite(value))
        problem('must be a number', `/chart/series/${i}/data/${j}/value`);
      if (!categories.includes(label))
        problem('label must be one of the categories', `/chart/series/${i}/data/${j}/label`);
    });
  });
}

/** Checks one context_actions block: up to 5 feedback_buttons / icon_button elements, feedback buttons whole. */
function checkContextActions(b: Params, at: string, problems: string[]): void {
  const elements = b.elements;
  if (!Array.isArray(elements) || elements.length < 1 || elements.length > MAX_CONTEXT_ACTIONS) {
    problems.push(
      `[ERROR] must have between 1 and ${MAX_CONTEXT_ACTIONS} items [json-pointer:${at}/elements]`,
    );
    return;
  }
  elements.forEach((e: Params | null, i) => {
    const where = `${at}/elements/${i}`;
    if (e?.type === 'icon_button') return;
    if (e?.type !== 'feedback_buttons') {
      problems.push(`[ERROR] must be feedback_buttons or icon_button [json-pointer:${where}/type]`);
      return;
    }
    for (const side of ['positive_button', 'negative_button']) {
      const button = e[side] as { text?: { type?: unknown; text?: unknown }; value?: unknown } | undefined;
      if (
        button?.text?.type !== 'plain_text' ||
        typeof button.text.text !== 'string' ||
        typeof button.value !== 'string'
      )
        problems.push(`[ERROR] missing required field: text or value [json-pointer:${where}/${side}]`);
    }
  });
}

/**
 * Reads a request body. Form-urlencoded (what the WebClient sends), JSON and multipart bodies are accepted;
 * multipart file parts are returned separately as Buffers.
 */
async function parseBody(
  req: IncomingMessage,
): Promise<{ fields: Params; files: Map<string, Buffer>; raw: Buffer }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const contentType = req.headers['content-type'] ?? '';
  const fields: Params = {};
  const files = new Map<string, Buffer>();
  if (contentType.includes('application/json')) {
    Object.assign(fields, raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {});
  } else if (contentType.includes('multipart/form-data')) {
    // The platform Response parser handles boundaries and binary parts correctly.
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form) {
      if (typeof value === 'string') fields[key] = value;
      else files.set(key, Buffer.from(await value.arrayBuffer()));
    }
  } else {
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) fields[key] = value;
  }
  for (const [key, value] of Object.entries(fields)) {
    if (JSON_PARAMS.has(key) && typeof value === 'string') fields[key] = parseJsonOr(value);
  }
  return { fields, files, raw };
}

function parseJsonOr(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function serveContent(res: ServerResponse, file: HostedFile): void {
  const headers: OutgoingHttpHeaders = { 'content-type': String(file.object.mimetype) };
  if (Buffer.isBuffer(file.content)) {
    res.writeHead(200, { ...headers, 'content-length': file.content.length });
    res.end(file.content);
    return;
  }
  res.writeHead(200, headers);
  // A client that aborts mid-download (size-cap tests) ends the pipeline with an error; that is expected.
  pipeline(file.content(), res).catch(() => undefined);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location });
  res.end();
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets from fetch/WebClient would otherwise hold close() open.
    server.closeAllConnections();
  });
}
