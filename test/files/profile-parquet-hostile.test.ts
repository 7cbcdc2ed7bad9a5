/**
 * Hostile Parquet footers (issue 16): each is generated here, byte by byte, in the Thrift compact protocol. The
 * profiler must answer with a note naming the bound that was broken, quickly and without growing the heap; before,
 * a footer declaring a list of 60 million one-byte empty structs allocated one object per entry and the process
 * died of heap exhaustion in about 30 s.
 */

import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataProfile, formatReceipt, profileFile } from '../../src/files/profile/index.js';
import {
  bin,
  type Field,
  int,
  list,
  listHeader,
  parquetFile,
  struct,
  T,
  varint,
} from '../support/thrift-builder.js';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parquet-hostile-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A valid footer: 3 rows, columns `id` (required int64) and `name` (optional string, 1 null). */
function validFooter(): Buffer {
  const chunk = (name: string, nulls: number) =>
    struct([
      [2, T.i64, int(4)],
      [
        3,
        T.struct,
        struct([
          [1, T.i32, int(2)],
          [2, T.list, list(T.i32, [int(0)])],
          [3, T.list, list(T.binary, [bin(name)])],
          [4, T.i32, int(0)],
          [5, T.i64, int(3)],
          [12, T.struct, struct([[3, T.i64, int(nulls)]])],
        ]),
      ],
    ]);
  return struct([
    [1, T.i32, int(2)],
    [
      2,
      T.list,
      list(T.struct, [
        struct([
          [4, T.binary, bin('schema')],
          [5, T.i32, int(2)],
        ]),
        struct([
          [1, T.i32, int(2)],
          [3, T.i32, int(0)],
          [4, T.binary, bin('id')],
        ]),
        struct([
          [1, T.i32, int(6)],
          [3, T.i32, int(1)],
          [4, T.binary, bin('name')],
          [6, T.i32, int(0)],
        ]),
      ]),
    ],
    [3, T.i64, int(3)],
    [
      4,
      T.list,
      list(T.struct, [
        struct([
          [1, T.list, list(T.struct, [chunk('id', 0), chunk('name', 1)])],
          [3, T.i64, int(3)],
        ]),
      ]),
    ],
  ]);
}

async function profileFooter(footer: Buffer): Promise<DataProfile> {
  counter += 1;
  const path = join(dir, `hostile-${counter}.parquet`);
  await writeFile(path, parquetFile(footer));
  return profileFile(path, 'parquet');
}

/** The one note a footer that could not be read gets. */
async function footerNote(footer: Buffer): Promise<string> {
  const p = await profileFooter(footer);
  expect(p).toMatchObject({ kind: 'parquet', rows: null, columns: [] });
  expect(p.notes).toHaveLength(1);
  return p.notes[0]!;
}

describe('hostile Parquet footers', () => {
  it('reads the valid footer the cases below are built from', async () => {
    expect(await profileFooter(validFooter())).toEqual({
      kind: 'parquet',
      rows: 3,
      columns: [
        { name: 'id', type: 'integer', nulls: 0 },
        { name: 'name', type: 'string', nulls: 1 },
      ],
      notes: ['types from the Parquet schema'],
    });
  });

  it('issue 16: a list of 60 million one-byte empty structs is refused at its header, not allocated (was a heap OOM)', async () => {
    // row_groups (field 4): 60,000,000 empty structs, each a single stop byte.
    const count = 60_000_000;
    const footer = Buffer.concat([
      Buffer.from([0x49]),
      listHeader(T.struct, count),
      Buffer.alloc(count),
      Buffer.from([0]),
    ]);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const note = await footerNote(footer);
    expect(note).toBe(
      'could not read the Parquet footer: a list of 60,000,000 row groups exceeds the limit of 1,000,000',
    );
    // Generous bounds: it used to take ~30 s and then kill the process.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses 30 million schema elements, and the same in a field it skips (key-value metadata)', async () => {
    const count = 30_000_000;
    const body = Buffer.alloc(count);
    const schema = Buffer.concat([Buffer.from([0x29]), listHeader(T.struct, count), body, Buffer.from([0])]);
    expect(await footerNote(schema)).toBe(
      'could not read the Parquet footer: a list of 30,000,000 schema elements exceeds the limit of 100,000',
    );
    const keyValues = Buffer.concat([
      Buffer.from([0x59]),
      listHeader(T.struct, count),
      body,
      Buffer.from([0]),
    ]);
    expect(await footerNote(keyValues)).toBe(
      'could not read the Parquet footer: a list of 30,000,000 entries exceeds the limit of 1,000,000',
    );
  });

  it('walks a list just under the cap in time linear in its bytes, keeping nothing per entry', async () => {
    // 900,000 empty row groups: legal, read, and folded away.
    const count = 900_000;
    // num_rows (field 3) = 5, then row_groups (field 4): 900,000 empty structs.
    const rowGroups = Buffer.concat([
      Buffer.from([0x36]),
      int(5),
      Buffer.from([0x19]),
      listHeader(T.struct, count),
      Buffer.alloc(count),
      Buffer.from([0]),
    ]);
    const started = Date.now();
    const p = await profileFooter(rowGroups);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(p).toEqual({
      kind: 'parquet',
      rows: 5,
      columns: [],
      notes: ['types from the Parquet schema'],
    });
  });

  it('keeps only the last of 40 repeated schemas of 100,000 elements each, so repeats cannot add up past the cap', async () => {
    const filler = Buffer.concat([listHeader(T.struct, 100_000), Buffer.alloc(100_000)]);
    const repeats: Field[] = Array.from({ length: 40 }, () => [2, T.list, filler]);
    const last = list(T.struct, [
      struct([[5, T.i32, int(1)]]),
      struct([
        [3, T.i32, int(1)],
        [4, T.binary, bin('kept')],
      ]),
    ]);
    const p = await profileFooter(struct([...repeats, [2, T.list, last]]));
    expect(p.columns).toEqual([{ name: 'kept', type: 'string', nulls: null }]);
  });

  it('refuses a declared length the bytes left cannot hold, and an absurd one, before reading any element', async () => {
    expect(
      await footerNote(
        Buffer.concat([Buffer.from([0x49]), listHeader(T.struct, 500_000), Buffer.alloc(100)]),
      ),
    ).toBe(
      'could not read the Parquet footer: a list of 500,000 row groups cannot fit in the 100 bytes left',
    );
    expect(await footerNote(Buffer.concat([Buffer.from([0x49]), listHeader(T.struct, 2 ** 50)]))).toBe(
      'could not read the Parquet footer: a list of 1,125,899,906,842,624 row groups exceeds the limit of 1,000,000',
    );
    // A map in a skipped field (key_value_metadata) declaring 400,000 entries in 10 bytes.
    expect(
      await footerNote(
        Buffer.concat([Buffer.from([0x5b]), varint(400_000), Buffer.from([0x88]), Buffer.alloc(10)]),
      ),
    ).toBe(
      'could not read the Parquet footer: a list of 400,000 map entries cannot fit in the 10 bytes left',
    );
    // Doubles take 8 bytes each.
    expect(
      await footerNote(Buffer.concat([Buffer.from([0x59]), listHeader(7, 100), Buffer.alloc(700)])),
    ).toBe('could not read the Parquet footer: a list of 100 entries cannot fit in the 700 bytes left');
  });

  it('stops at 32 levels of nesting, for structs and for lists, without exhausting the stack', async () => {
    const depth = 200_000;
    // Field 1 of type struct, inside field 1 of type struct, … (one byte per level).
    const structs = Buffer.concat([Buffer.alloc(depth, 0x1c), Buffer.alloc(depth + 1, 0)]);
    expect(await footerNote(structs)).toBe(
      'could not read the Parquet footer: it nests deeper than 32 levels',
    );
    // A list of one list of one list … (in field 7, which is skipped).
    const lists = Buffer.concat([Buffer.from([0x79]), Buffer.alloc(depth, 0x19), Buffer.alloc(depth, 0)]);
    expect(await footerNote(lists)).toBe('could not read the Parquet footer: it nests deeper than 32 levels');
  });

  it('reports truncated and overlong varints', async () => {
    // num_rows (field 3, i64) whose varint never ends before the footer does.
    expect(await footerNote(Buffer.from([0x36, 0x80, 0x80, 0x80]))).toBe(
      'could not read the Parquet footer: it is truncated or damaged',
    );
    expect(
      await footerNote(Buffer.concat([Buffer.from([0x36]), Buffer.alloc(11, 0xff), Buffer.from([0])])),
    ).toBe('could not read the Parquet footer: it holds a number longer than 10 bytes');
    // The valid footer cut anywhere is truncated, never an exception.
    const valid = validFooter();
    for (let end = 1; end < valid.length; end++) {
      expect(await footerNote(valid.subarray(0, end))).toMatch(/^could not read the Parquet footer: /);
    }
  });

  it('refuses oversized column names without allocating them, and skips long values it does not need', async () => {
    const schemaWithName = (nameField: Buffer) =>
      struct([
        [2, T.list, list(T.struct, [Buffer.concat([Buffer.from([0x48]), nameField, Buffer.from([0])])])],
      ]);
    const long = 1_000_000;
    expect(await footerNote(schemaWithName(Buffer.concat([varint(long), Buffer.alloc(long, 0x61)])))).toBe(
      'could not read the Parquet footer: a column name of 1,000,000 bytes exceeds the limit of 65,536',
    );
    expect(await footerNote(schemaWithName(varint(2 ** 52)))).toBe(
      'could not read the Parquet footer: a column name of 4,503,599,627,370,496 bytes exceeds the limit of 65,536',
    );
    // created_by (field 6) of 1 MB is skipped, not refused.
    const footer = Buffer.concat([
      validFooter().subarray(0, -1),
      Buffer.from([0x28]),
      bin('x'.repeat(long)),
      Buffer.from([0]),
    ]);
    expect((await profileFooter(footer)).rows).toBe(3);
  });

  it('refuses a footer longer than the file or than 64 MB (a sparse 70 MB file)', async () => {
    const tooLong = Buffer.concat([
      Buffer.from('PAR1'),
      Buffer.from([0xff, 0xff, 0xff, 0x7f]),
      Buffer.from('PAR1'),
    ]);
    const short = join(dir, 'short.parquet');
    await writeFile(short, tooLong);
    expect((await profileFile(short, 'parquet')).notes).toEqual([
      'could not read the Parquet footer: it declares 2,147,483,647 bytes, more than the file holds',
    ]);
    const big = join(dir, 'big.parquet');
    const fh = await open(big, 'w');
    try {
      const size = 70 * 1024 * 1024;
      await fh.truncate(size);
      const tail = Buffer.alloc(8);
      tail.writeUInt32LE(65 * 1024 * 1024, 0);
      tail.write('PAR1', 4, 'latin1');
      await fh.write(tail, 0, 8, size - 8);
    } finally {
      await fh.close();
    }
    expect((await profileFile(big, 'parquet')).notes).toEqual([
      'could not read the Parquet footer: its 68,157,440 bytes exceed the limit of 67,108,864',
    ]);
  });

  it('survives unknown types, wrong field types and schemas whose child counts lie', async () => {
    expect(await footerNote(Buffer.from([0x3d, 0x00]))).toBe(
      'could not read the Parquet footer: it holds an unknown Thrift type (13) at byte 1',
    );
    // num_rows as a string and the schema as an i32: ignored, not misread.
    const wrongTypes = struct([
      [2, T.i32, int(7)],
      [3, T.binary, bin('1000')],
    ]);
    expect(await profileFooter(wrongTypes)).toEqual({
      kind: 'parquet',
      rows: null,
      columns: [],
      notes: ['types from the Parquet schema', 'row count not available for this Parquet file'],
    });
    // A root claiming 2^31 children, a group claiming -5, elements that are not structs.
    const lying = struct([
      [
        2,
        T.list,
        list(T.struct, [
          struct([[5, T.i32, int(2 ** 31)]]),
          struct([
            [4, T.binary, bin('g')],
            [5, T.i32, int(-5)],
          ]),
          struct([
            [4, T.binary, bin('x')],
            [5, T.i32, int(2 ** 31)],
          ]),
          struct([[4, T.binary, bin('y')]]),
        ]),
      ],
      [3, T.i64, int(2)],
      [4, T.list, list(T.i32, [int(1), int(2)])],
    ]);
    const p = await profileFooter(lying);
    expect(p.rows).toBe(2);
    expect(p.columns.map((c) => [c.name, c.nulls])).toEqual([
      ['g', null],
      ['x', null],
    ]);
  });

  it('never throws on 2,000 random corruptions of a valid footer, and the receipt renders each', async () => {
    const valid = validFooter();
    let seed = 16;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2_000; i++) {
      const bytes = Buffer.from(valid);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const p = await profileFooter(bytes);
      expect(p.kind).toBe('parquet');
      expect(formatReceipt('x.parquet', 100, p).length).toBeLessThanOrEqual(2_500);
    }
  });
});
