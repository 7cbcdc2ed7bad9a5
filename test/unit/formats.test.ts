import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SlackFileRef } from '../../src/domain.js';
import { formatList, SUPPORTED_FORMATS } from '../../src/files/formats.js';
import { checkSlackFile } from '../../src/files/policy.js';
import { buildHomeView } from '../../src/slack/home-view.js';
import { GREETING } from '../../src/slack/listeners/assistant.js';
import { stepLabel } from '../../src/slack/progress.js';

const LIST = 'CSV, TSV, XLSX, XLS, JSON, JSONL, Parquet or TXT';
const hosted = (name: string, over: Partial<SlackFileRef> = {}): SlackFileRef => ({
  id: 'F1',
  name,
  mode: 'hosted',
  size: 10,
  url_private_download: 'https://files.slack.com/x',
  ...over,
});

describe('one list of supported formats', () => {
  it('names every format the policy accepts, in one sentence', () => {
    expect(formatList()).toBe(LIST);
    expect(formatList('and')).toBe('CSV, TSV, XLSX, XLS, JSON, JSONL, Parquet and TXT');
  });

  it('the policy accepts every extension and Slack file type of the table, with its content type', () => {
    for (const format of SUPPORTED_FORMATS) {
      for (const extension of format.extensions) {
        expect(checkSlackFile(hosted(`data.${extension.toUpperCase()}`), { maxBytes: 100 })).toMatchObject({
          ok: true,
          kind: format.kind,
          mimeType: format.mime,
        });
      }
      if ('slackFiletype' in format)
        expect(
          checkSlackFile(hosted('Untitled', { filetype: format.slackFiletype }), { maxBytes: 100 }),
        ).toMatchObject({ ok: true, kind: format.kind, safeName: `Untitled.${format.kind}` });
    }
  });

  it('a refused file, the Home tab, the assistant greeting and the README name the same formats', () => {
    expect(checkSlackFile(hosted('slides.pdf'), { maxBytes: 100 })).toEqual({
      ok: false,
      reason: `This file type is not supported. I can read ${LIST} files.`,
    });
    expect(JSON.stringify(buildHomeView())).toContain(`${LIST} files.`);
    expect(GREETING).toContain(`upload a ${LIST} file`);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`Drop ${LIST} files`);
  });

  it('progress labels recognise a data file of every supported extension', () => {
    for (const extension of SUPPORTED_FORMATS.flatMap((f) => f.extensions))
      expect(stepLabel('python', `df = pd.read_csv("q3.${extension}")`)).toBe(`Reading q3.${extension}`);
  });
});
