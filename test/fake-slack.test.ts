import { createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { App, LogLevel, verifySlackRequest } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type FakeSlack,
  loadFixture,
  sendEvent,
  signSlackRequest,
  startFakeSlack,
} from './support/fakes/fake-slack.js';

const CHANNEL = 'C07DATATEAM';
const ROOT_TS = '1795788300.123459'; // thread A root in the fixtures
const SIGNING_SECRET = 'test-signing-secret';

let fake: FakeSlack;
let web: WebClient;

beforeEach(async () => {
  fake = await startFakeSlack();
  web = new WebClient(fake.botToken, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
});

afterEach(async () => {
  await fake.close();
});

/** The Slack error code of a rejected WebClient call. */
async function slackError(call: Promise<unknown>): Promise<string | undefined> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e as { data?: { error?: string } },
  );
  return err?.data?.error;
}

describe('Web API', () => {
  it('shows chat.postMessage replies in the thread, with increasing string ts', async () => {
    const first = await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: ROOT_TS,
      text: 'Looking at the CSV…',
    });
    const second = await web.chat.postMessage({ channel: CHANNEL, thread_ts: ROOT_TS, text: 'Done.' });
    await web.chat.postMessage({ channel: CHANNEL, text: 'top level' });

    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.message).toMatchObject({ user: fake.botUserId, bot_id: fake.botId, thread_ts: ROOT_TS });
    const thread = fake.messages(CHANNEL, ROOT_TS);
    expect(thread.map((m) => [m.text, m.thread_ts, m.user])).toEqual([
      ['Looking at the CSV…', ROOT_TS, fake.botUserId],
      ['Done.', ROOT_TS, fake.botUserId],
    ]);
    expect(fake.messages(CHANNEL)).toHaveLength(3);

    await web.chat.update({ channel: CHANNEL, ts: first.ts!, text: 'Reading 410 rows…' });
    await web.chat.delete({ channel: CHANNEL, ts: second.ts! });
    expect(fake.messages(CHANNEL, ROOT_TS)).toMatchObject([
      { text: 'Reading 410 rows…', updated: 1 },
      { text: 'Done.', deleted: true },
    ]);
    const replies = await web.conversations.replies({ channel: CHANNEL, ts: ROOT_TS });
    expect(replies.messages?.map((m) => m.text)).toEqual(['Reading 410 rows…']);
  });

  it('records calls with parsed JSON params and rejects a wrong token', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    await web.chat.postMessage({ channel: CHANNEL, text: 'hi', blocks });
    const [call] = fake.callsTo('chat.postMessage');
    expect(call?.params).toMatchObject({ channel: CHANNEL, text: 'hi', blocks });
    expect(call?.headers.authorization).toBe(`Bearer ${fake.botToken}`);

    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    expect(await slackError(stranger.auth.test())).toBe('invalid_auth');
    expect(await web.auth.test()).toMatchObject({
      user_id: 'U08CSVBOT9K',
      bot_id: 'B08CSVBOTQ2',
      team_id: 'T07QWERT1AB',
    });
    expect(await slackError(web.apiCall('no.such.method'))).toBe('unknown_method');
  });

  it('completes files.uploadV2 with byte-identical content in uploads and in the thread', async () => {
    const png = randomBytes(50_000); // every byte value, not just text
    const res = await web.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: ROOT_TS,
      file: png,
      filename: 'revenue_by_month.png',
      title: 'Revenue by month',
      initial_comment: 'Chart below',
    });

    expect(fake.calls.map((c) => c.method)).toEqual([
      'files.getUploadURLExternal',
      'upload',
      'files.completeUploadExternal',
    ]);
    expect(fake.callsTo('files.getUploadURLExternal')[0]?.params).toMatchObject({
      filename: 'revenue_by_month.png',
      length: '50000',
    });
    // Typed as a bare WebAPICallResult, but nested: one completeUploadExternal response per (channel, thread) group.
    const { files } = res as typeof res & { files: { files: { id: string }[] }[] };
    const fileId = files[0]?.files[0]?.id;
    expect(fileId).toMatch(/^F/);

    const [upload] = fake.uploads;
    expect(upload).toMatchObject({
      fileId,
      channelId: CHANNEL,
      threadTs: ROOT_TS,
      initialComment: 'Chart below',
    });
    expect(upload?.bytes.equals(png)).toBe(true);
    const [message] = fake.messages(CHANNEL, ROOT_TS);
    expect(message?.text).toBe('Chart below');
    expect(message?.files?.[0]).toMatchObject({
      id: fileId,
      name: 'revenue_by_month.png',
      title: 'Revenue by month',
    });
    expect(message?.files?.[0]?.bytes.equals(png)).toBe(true);

    const info = await web.files.info({ file: fileId! });
    expect(info.file).toMatchObject({
      id: fileId,
      mimetype: 'image/png',
      size: 50_000,
      user: fake.botUserId,
    });
  });

  it('answers a scripted 429 with Retry-After, which the WebClient waits out before retrying', async () => {
    // A 429 is retried through retryConfig, so it needs at least one retry; with `retries: 0` the WebClient sleeps
    // for Retry-After and then throws.
    const retrying = new WebClient(fake.botToken, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
      logLevel: LogLevel.ERROR,
    });
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });

    const started = Date.now();
    const res = await retrying.chat.postMessage({
      channel: CHANNEL,
      thread_ts: ROOT_TS,
      text: 'after the wait',
    });

    expect(res.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(2);
    expect(fake.messages(CHANNEL, ROOT_TS).map((m) => m.text)).toEqual(['after the wait']);
  });

  it('returns scripted platform errors the given number of times', async () => {
    fake.failNext('files.completeUploadExternal', { body: { ok: false, error: 'not_in_channel' } });
    const upload = web.files.uploadV2({ channel_id: CHANNEL, file: Buffer.from('x'), filename: 'a.png' });
    expect(await slackError(upload)).toBe('not_in_channel');
    expect(fake.uploads).toEqual([]);

    fake.failNext('upload', { status: 500 });
    await expect(
      web.files.uploadV2({ channel_id: CHANNEL, file: Buffer.from('x'), filename: 'a.png' }),
    ).rejects.toThrow();

    fake.failNext('reactions.add', { body: { ok: false, error: 'ratelimited' } }, 2);
    for (const expected of ['ratelimited', 'ratelimited', undefined]) {
      expect(
        await slackError(web.reactions.add({ channel: CHANNEL, timestamp: ROOT_TS, name: 'eyes' })),
      ).toBe(expected);
    }
    expect(await slackError(web.reactions.add({ channel: CHANNEL, timestamp: ROOT_TS, name: 'eyes' }))).toBe(
      'already_reacted',
    );
    expect(fake.reactions(CHANNEL, ROOT_TS)).toEqual(['eyes']);
  });

  it("enforces Slack's message limits", async () => {
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const blocks = (n: number) => Array.from({ length: n }, (_, i) => section(`row ${i}`));

    expect(await slackError(web.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: blocks(51) }))).toBe(
      'invalid_blocks',
    );
    expect((await web.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: blocks(50) })).ok).toBe(true);
    expect(
      await slackError(
        web.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: [section('a'.repeat(3001))] }),
      ),
    ).toBe('invalid_blocks');
    expect(
      await slackError(
        web.chat.postMessage({
          channel: CHANNEL,
          text: 'x',
          blocks: [{ type: 'markdown', text: 'a'.repeat(12_001) }],
        }),
      ),
    ).toBe('invalid_blocks');
    expect(
      await slackError(web.chat.postMessage({ channel: CHANNEL, text: 'x', markdown_text: '**x**' })),
    ).toBe('markdown_text_conflict');

    const long = await web.chat.postMessage({ channel: CHANNEL, text: 'a'.repeat(40_001) });
    expect(long.response_metadata?.warnings).toEqual(['message_truncated']);
    expect(fake.messages(CHANNEL).at(-1)?.text).toHaveLength(40_000);

    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'short' });
    expect(
      await slackError(web.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'x', blocks: blocks(51) })),
    ).toBe('invalid_blocks');
  });

  it('streams a message into the thread', async () => {
    const stream = web.chatStream({
      channel: CHANNEL,
      thread_ts: ROOT_TS,
      recipient_team_id: fake.teamId,
      recipient_user_id: 'U04ANALYST7',
      buffer_size: 5,
    });
    await stream.append({ markdown_text: 'Revenue ' });
    await stream.append({ markdown_text: 'grew 4.5%' });
    expect(fake.messages(CHANNEL, ROOT_TS)).toMatchObject([{ text: 'Revenue grew 4.5%', streaming: true }]);
    await stream.stop();

    expect(fake.messages(CHANNEL, ROOT_TS)).toMatchObject([{ text: 'Revenue grew 4.5%', streaming: false }]);
    expect(fake.calls.map((c) => c.method)).toEqual([
      'chat.startStream',
      'chat.appendStream',
      'chat.stopStream',
    ]);
    expect(
      await slackError(web.chat.startStream({ channel: CHANNEL, thread_ts: ROOT_TS, markdown_text: 'x' })),
    ).toBe('missing_recipient_team_id');
  });
});

describe('file hosting', () => {
  const csv = Buffer.from('region,month,revenue\nEMEA,2026-10,181000\nAMER,2026-10,262000\n');
  const auth = () => ({ authorization: `Bearer ${fake.botToken}` });

  it('serves a hosted file to the bot token in the documented file object shape', async () => {
    const file = fake.hostFile({ name: 'sales.csv', content: csv });
    const shape = loadFixture('message_file_share_csv_in_thread').event.files[0];
    expect(Object.keys(file).sort()).toEqual(Object.keys(shape).sort());
    expect(file).toMatchObject({
      mimetype: 'text/csv',
      filetype: 'csv',
      size: csv.length,
      mode: 'hosted',
      lines: 3,
    });

    const res = await fetch(file.url_private_download, { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv');
    expect(Buffer.from(await res.arrayBuffer()).equals(csv)).toBe(true);
    expect(fake.downloads).toEqual([
      { path: new URL(file.url_private_download).pathname, authorization: `Bearer ${fake.botToken}` },
    ]);
    expect((await web.files.info({ file: file.id })).file).toEqual(file);
  });

  it('answers with the HTML sign-in page for html_login and for a missing token', async () => {
    const blocked = fake.hostFile({ name: 'sales.csv', content: csv, behaviour: 'html_login' });
    const ok = fake.hostFile({ name: 'sales.csv', content: csv });
    for (const res of [
      await fetch(blocked.url_private_download, { headers: auth() }),
      await fetch(ok.url_private_download),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toMatch(/<!DOCTYPE html>/i);
    }
  });

  it('redirects within the origin (token kept) or to the foreign origin (token dropped by fetch)', async () => {
    const same = fake.hostFile({ name: 'a.csv', content: csv, behaviour: 'redirect_same_origin' });
    const sameRes = await fetch(same.url_private_download, { headers: auth() });
    expect(Buffer.from(await sameRes.arrayBuffer()).equals(csv)).toBe(true);
    expect(fake.downloads.map((d) => d.authorization)).toEqual([
      `Bearer ${fake.botToken}`,
      `Bearer ${fake.botToken}`,
    ]);

    const foreign = fake.hostFile({
      name: 'b.csv',
      content: () => Readable.from([csv]),
      behaviour: 'redirect_foreign',
    });
    expect(foreign.size).toBeUndefined();
    const first = await fetch(foreign.url_private_download, { headers: auth(), redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')?.startsWith(fake.foreign.url)).toBe(true);
    const followed = await fetch(foreign.url_private_download, { headers: auth() });
    expect(Buffer.from(await followed.arrayBuffer()).equals(csv)).toBe(true);
    expect(fake.foreign.requests).toHaveLength(1);
    expect(fake.foreign.requests[0]?.authorization).toBeUndefined();

    const gone = fake.hostFile({ name: 'c.csv', content: csv, behaviour: 'not_found' });
    expect((await fetch(gone.url_private_download, { headers: auth() })).status).toBe(404);
  });
});

describe('Events API sender', () => {
  it('signs requests exactly as Bolt verifies them', () => {
    const body = JSON.stringify(loadFixture('app_mention_in_thread'));
    const headers = signSlackRequest(body, SIGNING_SECRET);
    const verify = (secret: string) =>
      verifySlackRequest({
        signingSecret: secret,
        body,
        headers: {
          'x-slack-signature': headers['x-slack-signature'],
          'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
        },
      });
    expect(() => verify(SIGNING_SECRET)).not.toThrow();
    expect(() => verify('another-secret')).toThrow(/signature mismatch/);

    // The documented algorithm, computed independently.
    const ts = 1_795_788_503;
    const expected = createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex');
    expect(signSlackRequest(body, SIGNING_SECRET, ts)).toEqual({
      'x-slack-signature': `v0=${expected}`,
      'x-slack-request-timestamp': String(ts),
    });
  });

  it('delivers signed envelopes to a real Bolt HTTPReceiver whose replies land in the fake', async () => {
    const app = new App({
      token: fake.botToken,
      signingSecret: SIGNING_SECRET,
      botId: fake.botId,
      botUserId: fake.botUserId,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    });
    const retryNums: (number | undefined)[] = [];
    app.event('app_mention', async ({ event, client, context }) => {
      retryNums.push(context.retryNum);
      await client.chat.postMessage({
        channel: event.channel,
        thread_ts: event.thread_ts ?? event.ts,
        text: 'on it',
      });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    try {
      const events = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
      const envelope = loadFixture('app_mention_in_thread');

      expect(await sendEvent(events, envelope, { signingSecret: SIGNING_SECRET })).toMatchObject({
        status: 200,
      });
      await vi.waitFor(() => expect(fake.messages(CHANNEL, ROOT_TS).map((m) => m.text)).toEqual(['on it']));

      await sendEvent(events, envelope, { signingSecret: SIGNING_SECRET, retryNum: 1 });
      await vi.waitFor(() => expect(retryNums).toEqual([undefined, 1]));

      expect(
        (await sendEvent(events, envelope, { signingSecret: SIGNING_SECRET, badSignature: true })).status,
      ).toBe(401);
      const stale = Math.floor(Date.now() / 1000) - 600;
      expect(
        (await sendEvent(events, envelope, { signingSecret: SIGNING_SECRET, timestampSec: stale })).status,
      ).toBe(401);
      const challenge = await sendEvent(events, loadFixture('url_verification'), {
        signingSecret: SIGNING_SECRET,
      });
      expect(JSON.parse(challenge.body)).toEqual({ challenge: loadFixture('url_verification').challenge });
    } finally {
      await app.stop();
    }
  });
});
