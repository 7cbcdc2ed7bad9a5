/**
 * Parquet receipts on files made by real writers (issue 8, point 7): DuckDB and hyparquet-writer, committed under
 * test/fixtures/files/parquet/ with the script that made them (make-parquet.mjs). Empty counts come from the
 * writer's statistics, summed over row groups; where the file cannot tell (nested columns, no statistics) they are
 * unknown, never 0 as before.
 */

import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type DataProfile, formatReceipt, profileFile } from '../../src/files/profile/index.js';
import { decodeFooter } from '../../src/files/profile/parquet-footer.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/files/parquet/${name}`, import.meta.url));

async function profileAndReceipt(name: string): Promise<{ profile: DataProfile; receipt: string }> {
  const path = fixture(name);
  const profile = await profileFile(path, 'parquet');
  return { profile, receipt: formatReceipt(name, (await stat(path)).size, profile) };
}

describe('Parquet receipts on real files', () => {
  it('DuckDB, flat, with statistics: null counts summed over three row groups, dictionary strings included', async () => {
    // The generator's rows: name null when i % 7 = 0 (715 of 5,000), category (4 values, dictionary-encoded) when
    // i % 10 = 0, price when i % 11 = 0, seen_at when i % 13 = 0; `nothing` is always null.
    const file = await readFile(fixture('duckdb-flat.parquet'));
    const footer = decodeFooter(file.subarray(file.length - 8 - file.readUInt32LE(file.length - 8), -8));
    expect(footer.rowGroups).toBe(3);

    const { profile, receipt } = await profileAndReceipt('duckdb-flat.parquet');
    expect(profile).toEqual({
      kind: 'parquet',
      rows: 5000,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'name', type: 'string', nulls: 715 },
        { name: 'category', type: 'string', nulls: 500 },
        { name: 'price', type: 'number', nulls: 455 },
        { name: 'ratio', type: 'number', nulls: 0 },
        { name: 'day', type: 'date', nulls: 0 },
        { name: 'seen_at', type: 'datetime', nulls: 385 },
        { name: 'ok', type: 'boolean', nulls: 0 },
        { name: 'nothing', type: 'empty', nulls: 5000 },
      ],
      notes: ['types from the Parquet schema'],
    });
    expect(receipt).toBe(
      [
        '📎 **duckdb-flat.parquet** — 5,000 rows × 9 columns (71 KB, Parquet)',
        '`id` integer · `name` text (715 empty) · `category` text (500 empty) · `price` number (455 empty) · ' +
          '`ratio` number · `day` date · `seen_at` date-time (385 empty) · `ok` true/false · `nothing` empty',
        'ℹ️ types from the Parquet schema',
      ].join('\n'),
    );
  });

  it('DuckDB, nested struct, list and map columns with nulls: shapes shown, empty counts unknown (were 0)', async () => {
    // 20 of the 100 `tags` lists are null, but the footer's only count is for the inner `element` leaf (55: null
    // lists, empty lists and null elements together), so no number from the footer is the column's.
    const { profile, receipt } = await profileAndReceipt('duckdb-nested.parquet');
    expect(profile).toEqual({
      kind: 'parquet',
      rows: 100,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'tags', type: 'string', nulls: null, shape: 'list<text>' },
        { name: 'address', type: 'string', nulls: null, shape: 'struct<city text, zip integer>' },
        { name: 'attrs', type: 'string', nulls: null, shape: 'map<text, integer>' },
      ],
      notes: [
        'types from the Parquet schema',
        'empty counts unknown for nested columns (Parquet counts them per inner field): tags, address, attrs',
      ],
    });
    expect(receipt.split('\n')[1]).toBe(
      '`id` integer · `tags` list&lt;text&gt; (empty: unknown) · ' +
        '`address` struct&lt;city text, zip integer&gt; (empty: unknown) · `attrs` map&lt;text, integer&gt; (empty: unknown)',
    );
  });

  it('hyparquet-writer without statistics: unknown, except the REQUIRED column, which cannot hold a null', async () => {
    const { profile, receipt } = await profileAndReceipt('hyparquet-no-statistics.parquet');
    expect(profile).toEqual({
      kind: 'parquet',
      rows: 100,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'label', type: 'string', nulls: null },
        { name: 'score', type: 'number', nulls: null },
      ],
      notes: [
        'types from the Parquet schema',
        'empty counts unknown (written without statistics): label, score',
      ],
    });
    expect(receipt).toBe(
      [
        '📎 **hyparquet-no-statistics.parquet** — 100 rows × 3 columns (2 KB, Parquet)',
        '`id` integer · `label` text (empty: unknown) · `score` number (empty: unknown)',
        'ℹ️ types from the Parquet schema',
        'ℹ️ empty counts unknown (written without statistics): label, score',
      ].join('\n'),
    );
  });

  it('DuckDB, no rows: every column known to have no empty cells', async () => {
    const { profile } = await profileAndReceipt('duckdb-empty.parquet');
    expect(profile.rows).toBe(0);
    expect(profile.columns).toHaveLength(9);
    expect(profile.columns.every((c) => c.nulls === 0)).toBe(true);
  });
});
