/**
 * Issue 8, points 4–6, on files real writers made (pandas, LibreOffice headless, Python's csv module): dates and
 * times as people write them, currency, percent and decimal commas, the encoding decided on the whole file, honest
 * caps and hex IDs. The fixtures and the script that made them are in test/fixtures/files/text/ (see make.py).
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatReceipt, profileFile } from '../../src/files/profile/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'files', 'text');
const fixture = (name: string) => join(FIXTURES, name);

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'profile-text-real-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('dates, times and numbers as people write them', () => {
  it('reads a LibreOffice CSV with US dates, one-digit hours, times, $, % and thousands commas', async () => {
    const p = await profileFile(fixture('libreoffice-us.csv'), 'csv');
    expect(p).toMatchObject({ rows: 3, delimiter: ',', encoding: 'utf-8', notes: [] });
    expect(p.columns).toEqual([
      { name: 'order', type: 'integer', nulls: 0 },
      { name: 'day', type: 'date', nulls: 0, format: 'm/d/yyyy' },
      { name: 'placed', type: 'datetime', nulls: 0, format: 'm/d/yyyy' },
      { name: 'duration', type: 'time', nulls: 0 },
      { name: 'price', type: 'number', nulls: 0, format: "',' thousands, $" },
      { name: 'share', type: 'number', nulls: 0, format: '%' },
      { name: 'units', type: 'integer', nulls: 0, format: "',' thousands" },
      // 1/2, 3/4, 5/6: nothing in the column says which is the day.
      { name: 'ambiguous day', type: 'date', nulls: 0, format: 'day/month order unclear' },
    ]);
    expect(formatReceipt('orders.csv', 271, p)).toBe(
      '📎 **orders.csv** — 3 rows × 8 columns (271 B, comma-separated, UTF-8)\n' +
        "`order` integer · `day` date (m/d/yyyy) · `placed` date-time (m/d/yyyy) · `duration` time · `price` number (',' thousands, $) · `share` number (%) · `units` integer (',' thousands) · `ambiguous day` date (day/month order unclear)",
    );
  });

  it('reads a pandas export with decimal=",", sep=";" and day-first dates', async () => {
    const p = await profileFile(fixture('pandas-decimal-comma.csv'), 'csv');
    expect(p).toMatchObject({ rows: 4, delimiter: ';', notes: [] });
    expect(p.columns).toEqual([
      { name: 'Datum', type: 'date', nulls: 0, format: 'd.m.yyyy' },
      { name: 'Betrag', type: 'number', nulls: 0, format: 'decimal comma' },
      { name: 'Menge', type: 'integer', nulls: 0 },
    ]);
    expect(formatReceipt('de.csv', 92, p)).toContain('`Betrag` number (decimal comma)');
  });

  it("reads a csv-module file with '.' thousands, decimal commas, € and % after the number", async () => {
    const p = await profileFile(fixture('csv-module-thousands.csv'), 'csv');
    expect(p).toMatchObject({ rows: 3, delimiter: ';', notes: [] });
    expect(p.columns).toEqual([
      { name: 'Kunde', type: 'string', nulls: 0 },
      { name: 'Umsatz', type: 'number', nulls: 0, format: "decimal comma, '.' thousands" },
      { name: 'Preis', type: 'number', nulls: 0, format: "decimal comma, '.' thousands, €" },
      { name: 'Anteil', type: 'number', nulls: 0, format: 'decimal comma, %' },
      { name: 'Uhrzeit', type: 'time', nulls: 0 },
      { name: 'Zeitpunkt', type: 'datetime', nulls: 0 },
    ]);
  });
});

describe('encoding decided on the whole file', () => {
  it('labels a Windows-1252 file whose first accent comes after 100 KB as Latin-1, not UTF-8', async () => {
    const path = fixture('pandas-cp1252-late-accent.csv');
    const bytes = await readFile(path);
    expect(bytes.findIndex((b) => b >= 0x80)).toBeGreaterThan(100 * 1024);
    const p = await profileFile(path, 'csv');
    expect(p).toMatchObject({ rows: 2503, encoding: 'latin-1 (guessed)', notes: [] });
    expect(formatReceipt('customers.csv', bytes.length, p).split('\n')[0]).toBe(
      '📎 **customers.csv** — 2,503 rows × 2 columns (121 KB, comma-separated, Latin-1 (guessed))',
    );
  });
});

describe('encoding decided on the whole file: byte-exact cases around the 256 KB read chunks', () => {
  const chunk = 256 * 1024;
  /** A CSV of ASCII rows up to `at` bytes, then `tail`. */
  const csvWith = (at: number, tail: Buffer): Buffer => {
    const rows = ['name,n'];
    let length = rows[0]!.length;
    while (length < at - 40) {
      rows.push(`row ${rows.length},${rows.length}`);
      length += rows.at(-1)!.length + 1;
    }
    const head = `${rows.join('\n')}\n`.padEnd(at - 2, 'x');
    return Buffer.concat([Buffer.from(`${head},1`), tail]);
  };

  it('keeps UTF-8 whose first accent is split across two read chunks', async () => {
    const bytes = csvWith(chunk - 1, Buffer.from('\nJosé,2\n'));
    expect(bytes.indexOf(Buffer.from('é'))).toBe(chunk - 1 + 4);
    const split = csvWith(chunk - 4 - 1, Buffer.from('\nJosé,2\n'));
    expect(split.indexOf(Buffer.from('é'))).toBe(chunk - 1);
    for (const b of [bytes, split]) {
      const path = join(await tempDir(), 'utf8.csv');
      await writeFile(path, b);
      const p = await profileFile(path, 'csv');
      expect(p).toMatchObject({ encoding: 'utf-8', notes: [] });
    }
  });

  it('calls a Windows-1252 accent at the chunk edge Latin-1, and late bad bytes after UTF-8 a UTF-8 problem', async () => {
    const latin = csvWith(chunk - 1 - 4, Buffer.from('\nJos\xe9,2\n', 'latin1'));
    expect(latin.indexOf(0xe9)).toBe(chunk - 1);
    const mixed = Buffer.concat([
      Buffer.from('name,n\nJosé,1\n'),
      csvWith(chunk * 2, Buffer.from('\nbad\xff,2\n', 'latin1')),
    ]);
    const dir = await tempDir();
    await writeFile(join(dir, 'latin.csv'), latin);
    await writeFile(join(dir, 'mixed.csv'), mixed);
    expect(await profileFile(join(dir, 'latin.csv'), 'csv')).toMatchObject({
      encoding: 'latin-1 (guessed)',
      notes: [],
    });
    const p = await profileFile(join(dir, 'mixed.csv'), 'csv');
    expect(p.encoding).toBe('utf-8');
    expect(p.notes).toContain('some bytes are not valid UTF-8 (another encoding?); they show as �');
  });
});

describe('honest caps, and hex IDs', () => {
  it('profiles the first 1,000 of 2,000 columns and says so in the shape', async () => {
    const p = await profileFile(fixture('pandas-wide.csv'), 'csv');
    expect(p.rows).toBe(3);
    expect(p.columnCount).toBe(2000);
    expect(p.columns).toHaveLength(1000);
    expect(p.columns.at(-1)).toEqual({ name: 'c999', type: 'integer', nulls: 0 });
    expect(formatReceipt('wide.csv', 37_569, p).split('\n')[0]).toBe(
      '📎 **wide.csv** — 3 rows × 2,000 columns (first 1,000 profiled) (37 KB, comma-separated, UTF-8)',
    );
  });

  it('types md5 IDs as text, even one that reads as a number, and names the row cap first', async () => {
    const p = await profileFile(fixture('pandas-hex-ids.csv'), 'csv', { maxRows: 100 });
    expect(p.rows).toBe(300);
    expect(p.columns).toEqual([
      // Row 8 holds 401013266745e5661589292315434968, a real md5 that parses as 4.01e5661.
      { name: 'id', type: 'string', nulls: 0, format: 'hex IDs' },
      { name: 'count', type: 'integer', nulls: 0 },
    ]);
    expect(p.notes[0]).toBe('types and empty counts inferred from the first 100 rows');
    const receipt = formatReceipt('ids.csv', 11_071, {
      ...p,
      notes: [...p.notes, 'one', 'two', 'three', 'four', 'five'],
    });
    expect(receipt).toContain('ℹ️ types and empty counts inferred from the first 100 rows');
  });
});
