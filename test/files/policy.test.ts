import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SlackFileRef } from '../../src/domain.js';
import { CONTENT_TYPES, checkSlackFile, safeFileName } from '../../src/files/policy.js';

const MB = 1024 * 1024;
const limits = { maxBytes: 50 * MB };

function fixtureFiles(name: string): SlackFileRef[] {
  const url = new URL(`../fixtures/slack/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).event.files;
}

const [csvFromSlack] = fixtureFiles('message_file_share_csv_in_thread');

function hosted(overrides: Partial<SlackFileRef>): SlackFileRef {
  return { ...csvFromSlack!, ...overrides };
}

describe('checkSlackFile', () => {
  it('accepts the CSV from a real file_share event', () => {
    expect(checkSlackFile(csvFromSlack!, limits)).toEqual({
      ok: true,
      kind: 'csv',
      safeName: 'sales_q4_forecast.csv',
      mimeType: 'text/csv',
    });
  });

  it('asks for files.info on a Slack Connect stub', () => {
    const [stub] = fixtureFiles('message_file_share_slack_connect_check_file_info');
    expect(checkSlackFile(stub!, limits)).toEqual({ ok: false, needsFileInfo: true });
  });

  it('refuses the PNG chart the bot posted itself', () => {
    const [chart] = fixtureFiles('message_bot_own_file_share_chart');
    const result = checkSlackFile(chart!, limits);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('not supported') });
  });

  it.each([
    ['q.tsv', 'tsv', 'tsv', 'text/tab-separated-values'],
    ['Q.XLSX', 'xlsx', 'xlsx', CONTENT_TYPES.xlsx],
    ['old.xls', 'xls', 'xls', 'application/vnd.ms-excel'],
    ['a.json', 'json', 'json', 'application/json'],
    ['events.jsonl', 'text', 'jsonl', 'application/x-ndjson'],
    ['events.ndjson', 'binary', 'jsonl', 'application/x-ndjson'],
    ['t.parquet', 'binary', 'parquet', 'application/vnd.apache.parquet'],
    ['notes.txt', 'text', 'txt', 'text/plain'],
  ] as const)('accepts %s (filetype %s) as %s', (name, filetype, kind, mimeType) => {
    expect(checkSlackFile(hosted({ name, filetype, mimetype: 'application/octet-stream' }), limits)).toEqual({
      ok: true,
      kind,
      safeName: name,
      mimeType,
    });
  });

  it("uses Slack's filetype when the name has no known extension, and gives the name one", () => {
    const snippet = hosted({ mode: 'snippet', name: 'Untitled', title: 'Untitled', filetype: 'csv' });
    expect(checkSlackFile(snippet, limits)).toMatchObject({
      ok: true,
      kind: 'csv',
      safeName: 'Untitled.csv',
    });
    const text = hosted({ name: 'server.log', filetype: 'text' });
    expect(checkSlackFile(text, limits)).toMatchObject({ ok: true, kind: 'txt', safeName: 'server.log.txt' });
  });

  it('never decides by mimetype alone', () => {
    const file = hosted({ name: 'data', filetype: 'binary', mimetype: 'text/csv' });
    expect(checkSlackFile(file, limits)).toMatchObject({ ok: false, reason: expect.stringContaining('CSV') });
  });

  it('refuses unsupported types even when Slack calls them text', () => {
    expect(checkSlackFile(hosted({ name: 'run.py', filetype: 'python' }), limits).ok).toBe(false);
    expect(checkSlackFile(hosted({ name: 'report.pdf', filetype: 'pdf' }), limits).ok).toBe(false);
  });

  it.each([
    ['external', 'outside Slack'],
    ['tombstone', 'deleted'],
    ['hidden_by_limit', 'storage limit'],
    ['post', 'cannot be downloaded'],
    ['some_future_mode', 'cannot be downloaded'],
  ])('refuses mode %s', (mode, words) => {
    expect(checkSlackFile(hosted({ mode }), limits)).toEqual({
      ok: false,
      reason: expect.stringContaining(words),
    });
  });

  it('refuses a file without a mode, and an external file whatever its mode says', () => {
    const { mode: _, ...noMode } = csvFromSlack!;
    expect(checkSlackFile(noMode, limits).ok).toBe(false);
    expect(checkSlackFile(hosted({ is_external: true }), limits)).toMatchObject({
      reason: expect.stringContaining('outside Slack'),
    });
  });

  it('refuses a file without a download url, and falls back to url_private', () => {
    const noUrls = hosted({ url_private_download: undefined, url_private: undefined });
    expect(checkSlackFile(noUrls, limits)).toMatchObject({
      reason: expect.stringContaining('download link'),
    });
    expect(checkSlackFile(hosted({ url_private_download: undefined }), limits).ok).toBe(true);
  });

  it('refuses a file above the limit, naming both sizes in MB', () => {
    const result = checkSlackFile(hosted({ size: 120 * MB }), limits);
    expect(result).toEqual({ ok: false, reason: 'It is 120 MB, above the 50 MB limit.' });
    expect(checkSlackFile(hosted({ size: 50 * MB }), limits).ok).toBe(true);
    expect(checkSlackFile(hosted({ size: 600 * 1024 }), { maxBytes: MB / 2 })).toMatchObject({
      reason: 'It is 0.6 MB, above the 0.5 MB limit.',
    });
  });

  it('sanitises the name it returns', () => {
    const result = checkSlackFile(hosted({ name: '../../etc/<q4>.csv' }), limits);
    expect(result).toMatchObject({ ok: true, safeName: '_q4_.csv' });
  });
});

describe('safeFileName', () => {
  it('keeps an ordinary name', () => {
    expect(safeFileName('Sales Q4 (final).csv')).toBe('Sales Q4 (final).csv');
    expect(safeFileName('données été.xlsx')).toBe('données été.xlsx');
  });

  it('keeps only the last path component, Unix or Windows', () => {
    expect(safeFileName('/tmp/x/data.csv')).toBe('data.csv');
    expect(safeFileName('C:\\Users\\me\\data.csv')).toBe('data.csv');
  });

  it('replaces characters the Files API rejects and drops control and bidi characters', () => {
    expect(safeFileName('a<b>c:d"e|f?g*h.csv')).toBe('a_b_c_d_e_f_g_h.csv');
    expect(safeFileName('tab\there\u0000\u001f\u007f\u0085.csv')).toBe('tabhere.csv');
    expect(safeFileName('invoice\u202Evsc.exe.txt')).toBe('invoicevsc.exe.txt');
  });

  it('drops leading dots so the file is not hidden', () => {
    expect(safeFileName('.env.csv')).toBe('env.csv');
    expect(safeFileName('..')).toBe('file');
  });

  it('is never empty', () => {
    for (const name of ['', '   ', '/', '\u0001', '.csv', 'dir/']) {
      expect(safeFileName(name).length).toBeGreaterThan(0);
    }
    expect(safeFileName('.csv')).toBe('file.csv');
  });

  it('cuts to 255 UTF-8 bytes keeping the extension and whole code points', () => {
    const ascii = safeFileName(`${'a'.repeat(400)}.parquet`);
    expect(ascii).toHaveLength(255);
    expect(ascii.endsWith('a.parquet')).toBe(true);

    const wide = safeFileName(`${'📈'.repeat(100)}.csv`);
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(255);
    expect(wide).toMatch(/^(📈)+\.csv$/u);
  });

  it('treats an overlong "extension" as part of the name', () => {
    const name = safeFileName(`report.${'x'.repeat(300)}`);
    expect(name.startsWith('report.x')).toBe(true);
    expect(Buffer.byteLength(name)).toBe(255);
  });
});
