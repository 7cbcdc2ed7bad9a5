/**
 * Slack → disk → Files API, and Files API → memory, against the fake Slack and fake Anthropic servers.
 *
 * https hostnames (files.slack.com, a CDN, look-alike domains) are tested without TLS: a test-only undici
 * dispatcher connects those names to local plain-HTTP servers, so the token rules run on real-looking URLs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Anthropic, { AuthenticationError } from '@anthropic-ai/sdk';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteFile, downloadOutputFile, uploadInputFile } from '../../src/claude/files.js';
import { checkSlackFile } from '../../src/files/policy.js';
import { downloadSlackFile, type FileDownloadErrorCode } from '../../src/slack/download.js';
import { type FakeAnthropic, startFakeAnthropic } from '../support/fakes/fake-anthropic.js';
import { type FakeSlack, startFakeSlack } from '../support/fakes/fake-slack.js';

const MB = 1024 * 1024;

let slack: FakeSlack;
let anthropic: FakeAnthropic;
let client: Anthropic;
let dir: string;
let fileCounter = 0;

beforeAll(async () => {
  [slack, anthropic, dir] = await Promise.all([
    startFakeSlack(),
    startFakeAnthropic(),
    mkdtemp(join(tmpdir(), 'transfer-test-')),
  ]);
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: anthropic.url, maxRetries: 0 });
});

afterAll(async () => {
  await Promise.all([slack?.close(), anthropic?.close(), dir && rm(dir, { recursive: true, force: true })]);
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function destPath(): string {
  fileCounter += 1;
  return join(dir, `download-${fileCounter}`);
}

function download(url: string, overrides: { botToken?: string; maxBytes?: number; dest?: string } = {}) {
  return downloadSlackFile({
    url,
    botToken: overrides.botToken ?? slack.botToken,
    slackApiUrl: slack.apiUrl,
    destPath: overrides.dest ?? destPath(),
    maxBytes: overrides.maxBytes ?? 10 * MB,
  });
}

/** Asserts the download failed with `code`, left no file, and said nothing secret. */
async function expectFailure(
  run: (dest: string) => Promise<unknown>,
  code: FileDownloadErrorCode,
  token = slack.botToken,
): Promise<void> {
  const dest = destPath();
  const error = await run(dest).then(
    () => expect.fail('download should have failed'),
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'FileDownloadError', code });
  const { message } = error as Error;
  expect(message).not.toContain(token);
  expect(message).not.toContain('://');
  expect(existsSync(dest)).toBe(false);
}

/** `url` moved to `https://<host>` with the same path. */
function onHost(url: string, host: string): string {
  const { pathname, search } = new URL(url);
  return `https://${host}${pathname}${search}`;
}

/** Runs `fn` while https requests to the given hostnames are connected, without TLS, to local HTTP origins. */
async function withHttpsHosts<T>(hosts: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const routed = new Agent({
    connect: (options, callback) => {
      const target = hosts[options.hostname];
      if (target === undefined) return callback(new Error(`no test route for ${options.hostname}`), null);
      const socket = connect(Number(new URL(target).port), '127.0.0.1');
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (error) => callback(error, null));
    },
  });
  const previous = getGlobalDispatcher();
  setGlobalDispatcher(routed);
  try {
    return await fn();
  } finally {
    setGlobalDispatcher(previous);
    await routed.close();
  }
}

/** A server answering every request with a 302 to `location(path)`, recording each request's Authorization. */
async function startRedirector(location: (path: string) => string) {
  const requests: { path: string; authorization: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '/', authorization: req.headers.authorization });
    res.writeHead(302, { location: location(req.url ?? '/') }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A CSV with multi-byte text, CRLFs and a NUL, so any re-encoding would change its hash. */
function sampleCsv(rows: number): Buffer {
  const lines = ['region,month,revenue,note'];
  for (let i = 0; i < rows; i++) lines.push(`EMEA,2026-${(i % 12) + 1},${i * 37},"Zürich 📈 ${i}"`);
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), Buffer.from([0, 10])]);
}

/** A body that sends `bytes` and then neither more data nor an end. */
function stalledAfter(bytes: Buffer): Readable {
  const stream = new Readable({ read() {} });
  stream.push(bytes);
  return stream;
}

describe('downloadSlackFile → uploadInputFile', () => {
  it('moves a CSV byte for byte, with the checked name and content type', async () => {
    const content = sampleCsv(5000);
    const file = slack.hostFile({ name: 'Q4 sales: EMEA.csv', content });
    const check = checkSlackFile(file, { maxBytes: 10 * MB });
    if (!check.ok) throw new Error('the policy should accept a hosted CSV');

    const dest = destPath();
    const result = await download(file.url_private_download, { dest });
    expect(result).toEqual({ sizeBytes: content.length, sha256: sha256(content) });
    expect(await readFile(dest)).toEqual(content);
    expect(slack.downloads.at(-1)?.authorization).toBe(`Bearer ${slack.botToken}`);

    const metadata = await uploadInputFile(client, dest, check.safeName, check.mimeType);
    expect(metadata).toMatchObject({
      filename: 'Q4 sales_ EMEA.csv',
      mime_type: 'text/csv',
      size_bytes: content.length,
    });
    const stored = anthropic.files.get(metadata.id);
    expect(stored).toMatchObject({
      filename: 'Q4 sales_ EMEA.csv',
      mimeType: 'text/csv',
      sha256: sha256(content),
    });
    expect(stored?.bytes).toEqual(content);
    expect(anthropic.requests.at(-1)?.headers['anthropic-beta']).toBeUndefined();
  });

  it('streams a body of unknown length and follows a same-origin redirect with the token', async () => {
    const content = sampleCsv(20_000);
    const file = slack.hostFile({
      name: 'big.csv',
      content: () => Readable.from([content.subarray(0, 1000), content.subarray(1000)]),
      behaviour: 'redirect_same_origin',
    });
    const before = slack.downloads.length;
    expect(await download(file.url_private_download)).toEqual({
      sizeBytes: content.length,
      sha256: sha256(content),
    });
    const hops = slack.downloads.slice(before);
    expect(hops.map((hop) => hop.path.split('/')[1])).toEqual(['files-pri', 'files-origin']);
    expect(hops.every((hop) => hop.authorization === `Bearer ${slack.botToken}`)).toBe(true);
  });
});

describe('downloadSlackFile failures', () => {
  it('rejects the HTML sign-in page Slack serves for a bad token or scope', async () => {
    const file = slack.hostFile({ name: 'a.csv', content: sampleCsv(10), behaviour: 'html_login' });
    await expectFailure((dest) => download(file.url_private_download, { dest }), 'html_login_page');
    const wrongToken = 'xoxb-not-the-right-one';
    const ok = slack.hostFile({ name: 'b.csv', content: sampleCsv(10) });
    await expectFailure(
      (dest) => download(ok.url_private_download, { dest, botToken: wrongToken }),
      'html_login_page',
      wrongToken,
    );
  });

  it('rejects HTML served under another content type, even behind whitespace and a BOM', async () => {
    const page = Buffer.from('\uFEFF \r\n\t<!DOCTYPE html><html><body>Sign in</body></html>');
    const file = slack.hostFile({
      name: 'c.csv',
      content: () => Readable.from([page.subarray(0, 6), page.subarray(6)]),
    });
    await expectFailure((dest) => download(file.url_private_download, { dest }), 'html_login_page');
  });

  it('accepts a file that merely mentions html', async () => {
    const content = Buffer.from('html,body\n<p>,1\n');
    const file = slack.hostFile({ name: 'tags.csv', content });
    expect((await download(file.url_private_download)).sizeBytes).toBe(content.length);
  });

  it('refuses a redirect to a plain-http foreign origin without contacting it', async () => {
    const file = slack.hostFile({ name: 'd.csv', content: sampleCsv(10), behaviour: 'redirect_foreign' });
    await expectFailure((dest) => download(file.url_private_download, { dest }), 'insecure_url');
    expect(slack.foreign.requests).toEqual([]);
  });

  it('refuses a plain-http URL that is not the Slack API origin', async () => {
    const file = slack.hostFile({ name: 'e.csv', content: sampleCsv(10) });
    const foreignUrl = `${slack.foreign.url}/cdn/${file.id}/e.csv`;
    await expectFailure((dest) => download(foreignUrl, { dest }), 'insecure_url');
    expect(slack.foreign.requests).toEqual([]);
  });

  it('aborts above maxBytes, whether the size is declared or only counted', async () => {
    const declared = slack.hostFile({ name: 'f.csv', content: Buffer.alloc(2 * MB, 'a') });
    await expectFailure(
      (dest) => download(declared.url_private_download, { dest, maxBytes: MB }),
      'too_large',
    );

    const chunk = Buffer.alloc(64 * 1024, 'b');
    let produced = 0;
    const endless = slack.hostFile({
      name: 'g.csv',
      content: () =>
        new Readable({
          read() {
            produced += chunk.length;
            this.push(chunk);
          },
        }),
    });
    await expectFailure(
      (dest) => download(endless.url_private_download, { dest, maxBytes: MB }),
      'too_large',
    );
    // Stopped near the cap, not after reading an unbounded body.
    expect(produced).toBeLessThan(16 * MB);
  });

  it('reports the status of a missing file', async () => {
    const file = slack.hostFile({ name: 'h.csv', content: sampleCsv(1), behaviour: 'not_found' });
    await expectFailure((dest) => download(file.url_private_download, { dest }), 'http_status');
  });

  it('times out a stalled body and removes the partial file', async () => {
    const file = slack.hostFile({
      name: 'i.csv',
      content: () => stalledAfter(sampleCsv(100)),
    });
    await expectFailure(
      (dest) =>
        downloadSlackFile({
          url: file.url_private_download,
          botToken: slack.botToken,
          slackApiUrl: slack.apiUrl,
          destPath: dest,
          maxBytes: MB,
          timeoutMs: 200,
        }),
      'network',
    );
  });

  it("rethrows the caller's abort reason", async () => {
    const file = slack.hostFile({ name: 'j.csv', content: () => stalledAfter(sampleCsv(100)) });
    const controller = new AbortController();
    const dest = destPath();
    const pending = downloadSlackFile({
      url: file.url_private_download,
      botToken: slack.botToken,
      slackApiUrl: slack.apiUrl,
      destPath: dest,
      maxBytes: MB,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    await expect(pending).rejects.toThrow('shutting down');
    expect(existsSync(dest)).toBe(false);
  });
});

describe('downloadSlackFile over https: the token goes to Slack hosts only', () => {
  it('sends the token to files.slack.com and not to a CDN it redirects to', async () => {
    const content = sampleCsv(100);
    const file = slack.hostFile({ name: 'k.csv', content });
    // Slack's Enterprise Grid / CDN hop: a *.slack.com host answering with a pre-signed CDN URL.
    const redirector = await startRedirector(() => `https://cdn.example.com/cdn/${file.id}/k.csv?sig=x`);
    try {
      const hosts = {
        'files.slack.com': slack.url,
        'files-edge.slack.com': redirector.url,
        'cdn.example.com': slack.foreign.url,
      };
      await withHttpsHosts(hosts, async () => {
        const direct = await download(onHost(file.url_private_download, 'files.slack.com'));
        expect(direct.sha256).toBe(sha256(content));
        expect(slack.downloads.at(-1)?.authorization).toBe(`Bearer ${slack.botToken}`);

        const viaCdn = await download(onHost(file.url_private_download, 'files-edge.slack.com'));
        expect(viaCdn.sha256).toBe(sha256(content));
      });
      expect(redirector.requests.map((r) => r.authorization)).toEqual([`Bearer ${slack.botToken}`]);
      expect(slack.foreign.requests.at(-1)).toEqual({
        path: `/cdn/${file.id}/k.csv?sig=x`,
        authorization: undefined,
      });
    } finally {
      await redirector.close();
    }
  });

  it('never sends the token to an https host that only looks like Slack', async () => {
    const file = slack.hostFile({ name: 'l.csv', content: sampleCsv(10) });
    const cdnPath = `/cdn/${file.id}/l.csv`;
    const lookalikes = ['files.slack.com.evil.example', 'notslack.com', 'slack.co'];
    const before = slack.foreign.requests.length;
    await withHttpsHosts(
      Object.fromEntries(lookalikes.map((host) => [host, slack.foreign.url])),
      async () => {
        for (const host of lookalikes) await download(`https://${host}${cdnPath}`);
      },
    );
    const seen = slack.foreign.requests.slice(before);
    expect(seen).toHaveLength(lookalikes.length);
    expect(seen.every((request) => request.authorization === undefined)).toBe(true);
  });

  it('gives up after 3 redirects', async () => {
    const loop = await startRedirector((path) => `https://loop.slack.com${path}`);
    try {
      await withHttpsHosts({ 'loop.slack.com': loop.url }, () =>
        expectFailure(
          (dest) => download('https://loop.slack.com/files-pri/T-F/x.csv', { dest }),
          'too_many_redirects',
        ),
      );
      expect(loop.requests).toHaveLength(4);
    } finally {
      await loop.close();
    }
  });
});

describe('Files API helpers', () => {
  it('downloads an output file byte for byte with its name and type', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), sampleCsv(50)]);
    const id = anthropic.addOutputFile('revenue_by_month.png', 'image/png', png);
    const output = await downloadOutputFile(client, id);
    expect(output).toEqual({
      fileName: 'revenue_by_month.png',
      mimeType: 'image/png',
      bytes: png,
      sizeBytes: png.length,
    });
  });

  it('makes an output file name safe to reuse', async () => {
    const id = anthropic.addOutputFile('../out/"q4": summary.csv', 'text/csv', Buffer.from('a\n'));
    expect((await downloadOutputFile(client, id)).fileName).toBe('_q4__ summary.csv');
  });

  it('deletes an uploaded file, and treats an already deleted one as gone', async () => {
    const path = destPath();
    await writeFile(path, 'x,y\n1,2\n');
    const { id } = await uploadInputFile(client, path, 'small.csv', 'text/csv');
    await deleteFile(client, id);
    expect(anthropic.files.get(id)?.deleted).toBe(true);
    await expect(deleteFile(client, id)).resolves.toBeUndefined();
    await expect(deleteFile(client, 'file_never_existed')).resolves.toBeUndefined();
  });

  it('still surfaces other delete failures', async () => {
    const locked = await startFakeAnthropic({ apiKey: 'sk-ant-other' });
    try {
      const wrongKey = new Anthropic({ apiKey: 'sk-ant-test', baseURL: locked.url, maxRetries: 0 });
      await expect(deleteFile(wrongKey, 'file_x')).rejects.toBeInstanceOf(AuthenticationError);
    } finally {
      await locked.close();
    }
  });
});
