/**
 * Issue 16, point 2, for CSV/TXT/JSON/JSONL: uploads shaped to make the profiler super-linear or memory-hungry,
 * generated here (nothing large is committed). Each must finish well inside a generous bound, with memory bounded,
 * and say in a note which bound it reached.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataKind } from '../../src/files/formats.js';
import { formatReceipt, profileFile } from '../../src/files/profile/index.js';
import { describeText } from '../../src/files/profile/types.js';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'profile-hostile-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fileWith(content: string | Buffer, kind: DataKind): Promise<string> {
  counter += 1;
  const path = join(dir, `file-${counter}.${kind}`);
  await writeFile(path, content);
  return path;
}

/** Writes `parts()` to a file without holding it whole. */
async function streamFile(kind: DataKind, parts: () => Iterable<string>): Promise<string> {
  counter += 1;
  const path = join(dir, `big-${counter}.${kind}`);
  const out = createWriteStream(path);
  for (const part of parts()) if (!out.write(part)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return path;
}

/** Profiles and measures the peak of heap plus external memory (large strings and Buffers live outside). */
async function profileMeasured(path: string, kind: DataKind) {
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
  const baseline = used();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, used());
  }, 5);
  const started = performance.now();
  try {
    const profile = await profileFile(path, kind);
    return { profile, ms: performance.now() - started, peakBytes: Math.max(peak, used()) - baseline };
  } finally {
    clearInterval(sampler);
  }
}

const MB = 1024 * 1024;

describe('number pattern backtracking (issue 16: 80,000 digits and a letter blocked 5–27 s)', () => {
  it('classifies long digit runs that end in a letter in linear time', () => {
    const started = performance.now();
    expect(describeText(`${'9'.repeat(80_000)}x`)?.type).toBe('string');
    expect(describeText(`-${'1'.repeat(80_000)}.${'2'.repeat(80_000)}e`)?.type).toBe('string');
    expect(describeText(`${'1,'.repeat(200_000)}x`)?.type).toBe('string');
    expect(describeText(`${'1.234'.repeat(100_000)}`)?.type).toBe('string');
    expect(describeText(`$${'9'.repeat(MB)}%`)?.type).toBe('string');
    expect(describeText('9'.repeat(MB))?.type).toBe('integer');
    expect(describeText(`${'12:'.repeat(300_000)}`)?.type).toBe('string');
    // Each of these took seconds or more with the old pattern; together they are milliseconds now.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('profiles a CSV and a JSON file full of such fields quickly', { timeout: 60_000 }, async () => {
    const field = `${'7'.repeat(80_000)}a`;
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${field},${'5'.repeat(MB / 8)}`);
    const csv = await fileWith(`id,bad,long\n${rows.join('\n')}\n`, 'csv');
    const json = await fileWith(
      JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ id: i, bad: field, long: '5'.repeat(MB) }))),
      'json',
    );
    for (const [path, kind] of [
      [csv, 'csv'],
      [json, 'json'],
    ] as const) {
      const { profile, ms } = await profileMeasured(path, kind);
      expect(profile.rows).toBe(20);
      expect(profile.columns.map((c) => c.type)).toEqual(['integer', 'string', 'integer']);
      expect(ms).toBeLessThan(5_000);
    }
  });
});

describe('bounded records (issue 16: a 190 MB line of commas took 1.9 GB)', () => {
  it('counts a 24 MB line of commas without keeping its fields, and says how many columns were profiled', {
    timeout: 60_000,
  }, async () => {
    const fields = 24 * MB;
    const path = await streamFile('csv', function* () {
      for (let i = 0; i < fields / MB; i++) yield ','.repeat(MB);
      yield '\n1,2,3\n';
    });
    const { profile, peakBytes } = await profileMeasured(path, 'csv');
    expect(profile.rows).toBe(1);
    expect(profile.columnCount).toBe(fields + 1);
    expect(profile.columns).toHaveLength(1_000);
    expect(profile.columns.slice(0, 4).map((c) => c.type)).toEqual([
      'integer',
      'integer',
      'integer',
      'empty',
    ]);
    expect(profile.notes).toContain('fields past the first 1,000 of a record were counted, not read');
    expect(profile.notes).toContain(
      '1 row has a different number of fields than the header (first: data row 1)',
    );
    expect(formatReceipt('commas.csv', fields, profile).split('\n')[0]).toContain(
      '— 1 row × 25,165,825 columns (first 1,000 profiled)',
    );
    // Keeping the fields took ~80 bytes each (1.9 GB for 190 MB); streaming them keeps one.
    expect(peakBytes).toBeLessThan(64 * MB);
  });

  it('cuts a field of an unbalanced quote at 1 MB', { timeout: 60_000 }, async () => {
    const path = await streamFile('csv', function* () {
      yield 'a,b\n1,"';
      for (let i = 0; i < 20; i++) yield 'x'.repeat(MB);
    });
    const { profile, peakBytes } = await profileMeasured(path, 'csv');
    expect(profile.rows).toBe(1);
    expect(profile.notes).toContain('some fields are longer than 1 MB and were cut (an unbalanced quote?)');
    expect(profile.notes).toContain('the file ends inside a quoted field (an unbalanced quote?)');
    expect(peakBytes).toBeLessThan(64 * MB);
  });
});

describe('bounded JSON (issue 16: a 48 MB object or deep nesting took 10–18 s and 1.6 GB)', () => {
  it('reads a 48 MB object (not an array) as it streams, in bounded memory', {
    timeout: 60_000,
  }, async () => {
    const entry = (i: number) => `"key-${i}": {"name": "value ${i}", "n": ${i}, "tags": ["a", "b"]},`;
    const perMb = Math.floor(MB / entry(100_000).length);
    const path = await streamFile('json', function* () {
      yield '{';
      for (let m = 0; m < 48; m++) {
        const lines: string[] = [];
        for (let i = 0; i < perMb; i++) lines.push(entry(m * perMb + i));
        yield lines.join('');
      }
      yield '"last": 1}';
    });
    const { profile, ms, peakBytes } = await profileMeasured(path, 'json');
    expect(profile.rows).toBeNull();
    expect(profile.notes).toEqual([
      'a JSON object, not a list of records (keys: key-0, key-1, key-2, key-3, key-4, key-5, key-6, key-7, key-8, key-9, …)',
    ]);
    expect(peakBytes).toBeLessThan(64 * MB);
    expect(ms).toBeLessThan(30_000);
  });

  it('finds records in a large object and keeps going past them', { timeout: 60_000 }, async () => {
    const records = Array.from({ length: 50_000 }, (_, i) => `{"id":${i},"amount":"${i},5"}`).join(',');
    const path = await fileWith(
      `{"meta":{"deep":[[[[]]]]},"rows":[${records}],"after":{"x":[1,2,3]}}`,
      'json',
    );
    const { profile } = await profileMeasured(path, 'json');
    expect(profile.rows).toBe(50_000);
    expect(profile.columns).toEqual([
      { name: 'id', type: 'integer', nulls: 0 },
      { name: 'amount', type: 'number', nulls: 0, format: 'decimal comma' },
    ]);
    expect(profile.notes).toEqual(['rows are the records in "rows"']);
  });

  it('skips nesting past 64 levels without a stack, and says so', { timeout: 60_000 }, async () => {
    const depth = 2_000_000;
    const path = await streamFile('json', function* () {
      yield '[{"a": 1, "deep": ';
      for (let i = 0; i < depth / 100_000; i++) yield '[{"k": '.repeat(100_000 / 7);
      yield '0';
      for (let i = 0; i < depth / 100_000; i++) yield '}]'.repeat(100_000 / 7);
      yield '}, {"a": 2}]';
    });
    const { profile, peakBytes } = await profileMeasured(path, 'json');
    expect(profile.rows).toBe(2);
    expect(profile.columns).toEqual([
      { name: 'a', type: 'integer', nulls: 0 },
      { name: 'deep', type: 'string', nulls: 1 },
    ]);
    expect(profile.notes).toContain('nested deeper than 64 levels: the deeper values were skipped');
    expect(peakBytes).toBeLessThan(64 * MB);
  });

  it('bounds keys per record and characters per value, and names both bounds', {
    timeout: 60_000,
  }, async () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `"k${i}": ${i}`).join(',');
    const longKey = 'K'.repeat(2 * MB);
    const path = await fileWith(
      `[{${keys}}, {"k1": 1.5, "${longKey}": 1, "text": "${'t'.repeat(3 * MB)}", "num": ${'9'.repeat(3 * MB)}}]`,
      'json',
    );
    const { profile, peakBytes } = await profileMeasured(path, 'json');
    expect(profile.rows).toBe(2);
    expect(profile.columns).toHaveLength(1_000);
    expect(profile.columns[1]).toEqual({ name: 'k1', type: 'number', nulls: 0 });
    expect(profile.notes).toContain('more than 1,000 columns (first 1,000 profiled)');
    expect(profile.notes).toContain('2 values over 1 MB cut (counted as text)');
    expect(peakBytes).toBeLessThan(96 * MB);
  });

  it('reads JSON Lines with a broken, a deep and a huge line, line by line', {
    timeout: 60_000,
  }, async () => {
    const lines = [
      '{"id": 1, "x": "a"}',
      `{"id": 2, "x": ${'['.repeat(100_000)}`,
      `{"id": 3, "x": "${'y'.repeat(2 * MB)}"}`,
      `{"id": 4, "x": ${'['.repeat(1_000)}${']'.repeat(1_000)}}`,
      '{"id": 5, "x": "b"}',
    ];
    const path = await fileWith(lines.join('\n'), 'jsonl');
    const { profile } = await profileMeasured(path, 'jsonl');
    expect(profile.rows).toBe(4);
    expect(profile.columns).toEqual([
      { name: 'id', type: 'integer', nulls: 0 },
      { name: 'x', type: 'string', nulls: 0 },
    ]);
    expect(profile.notes).toEqual([
      'nested objects or arrays (counted as text) in x',
      '1 line is not valid JSON and was skipped (first: line 2)',
      'nested deeper than 64 levels: the deeper values were skipped',
      '1 value over 1 MB cut (counted as text)',
    ]);
  });
});
