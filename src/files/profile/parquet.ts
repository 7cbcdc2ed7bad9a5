/** Parquet: the Thrift-encoded footer holds num_rows, the schema and per-column null counts. */
import { open } from 'node:fs/promises';
import { readAt } from './bytes.js';
import type { ColumnProfile, DataProfile } from './index.js';

const MAX_FOOTER_BYTES = 64 * 1024 * 1024;

export async function profileParquet(path: string): Promise<DataProfile> {
  const unread = (note: string): DataProfile => ({
    kind: 'parquet',
    rows: null,
    columns: [],
    notes: [note],
  });
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 12) return unread('too small to be a Parquet file');
    const tail = await readAt(fh, size - 8, 8);
    const magic = tail.toString('latin1', 4, 8);
    if (magic === 'PARE') return unread('encrypted Parquet footer: rows and columns not read');
    if (magic !== 'PAR1') return unread('not a Parquet file (no PAR1 footer)');
    const footerLength = tail.readUInt32LE(0);
    if (footerLength > size - 12 || footerLength > MAX_FOOTER_BYTES) {
      return unread('the Parquet footer is too large or damaged: rows and columns not read');
    }
    const footer = await readAt(fh, size - 8 - footerLength, footerLength);
    return footerProfile(new CompactReader(footer).readStruct());
  } finally {
    await fh.close();
  }
}

/** FileMetaData: num_rows (3), the flattened schema (2) and the row groups (4) with column statistics. */
function footerProfile(meta: ThriftStruct): DataProfile {
  const rows = tNumber(meta, 3) ?? null;
  const top = topLevelColumns(tList(meta, 2).filter((s): s is ThriftStruct => s instanceof Map));
  const nulls = nullCounts(tList(meta, 4));

  let missingNulls = false;
  const columns = top.map(({ name, element, nested }): ColumnProfile => {
    const count = nulls.get(name);
    if (nested || count === undefined || count === null) {
      if (!nested && rows !== 0) missingNulls = true;
      return { name, type: nested ? 'string' : parquetType(element), nulls: 0 };
    }
    const allEmpty = rows !== null && rows > 0 && count >= rows;
    return { name, type: allEmpty ? 'empty' : parquetType(element), nulls: count };
  });
  const notes = ['types from the Parquet schema'];
  if (rows === null) notes.push('row count not available for this Parquet file');
  if (missingNulls) notes.push('empty counts not recorded in the file for some columns (shown as 0)');
  const nested = top.filter((c) => c.nested).map((c) => c.name);
  if (nested.length > 0) notes.push(`nested columns (shown as text): ${nested.slice(0, 5).join(', ')}`);
  return { kind: 'parquet', rows, columns, notes };
}

interface TopColumn {
  name: string;
  element: ThriftStruct;
  /** A group (a column with children of its own). */
  nested: boolean;
}

/** The schema root's children. */
function topLevelColumns(schema: ThriftStruct[]): TopColumn[] {
  const top: TopColumn[] = [];
  let index = 1;
  for (let child = 0; child < (tNumber(schema[0], 5) ?? 0) && index < schema.length; child++) {
    const element = schema[index]!;
    top.push({ name: tString(element, 4) ?? '', element, nested: (tNumber(element, 5) ?? 0) > 0 });
    // Skip the element and its whole subtree (the schema is flattened depth-first).
    let pending = 1;
    while (pending > 0 && index < schema.length) {
      pending += (tNumber(schema[index], 5) ?? 0) - 1;
      index += 1;
    }
  }
  return top;
}

/** Null counts of top-level leaf columns, summed over the row groups; null when some group lacks one. */
function nullCounts(rowGroups: ThriftValue[]): Map<string, number | null> {
  const nulls = new Map<string, number | null>();
  for (const group of rowGroups) {
    for (const chunk of tList(group, 1)) {
      const metadata = tStruct(chunk, 3);
      const pathInSchema = tList(metadata, 3);
      if (pathInSchema.length !== 1 || !Buffer.isBuffer(pathInSchema[0])) continue;
      const name = pathInSchema[0].toString('utf8');
      const count = tNumber(tStruct(metadata, 12), 3);
      const sum = nulls.get(name);
      nulls.set(name, count === undefined || sum === null ? null : (sum ?? 0) + count);
    }
  }
  return nulls;
}

/** A SchemaElement's logical type (10), else converted type (6), else physical type (1). */
function parquetType(element: ThriftStruct): ColumnProfile['type'] {
  const logical = tStruct(element, 10);
  switch (logical ? [...logical.keys()][0] : undefined) {
    case 1: // STRING
    case 4: // ENUM
    case 12: // JSON
    case 13: // BSON
    case 14: // UUID
      return 'string';
    case 5: // DECIMAL
    case 15: // FLOAT16
      return 'number';
    case 6:
      return 'date';
    case 7: // TIME
    case 8: // TIMESTAMP
      return 'datetime';
    case 10:
      return 'integer';
    case 11: // UNKNOWN: always null
      return 'empty';
  }
  const converted = tNumber(element, 6);
  if (converted !== undefined) {
    if (converted === 5) return 'number'; // DECIMAL
    if (converted === 6) return 'date';
    if (converted >= 7 && converted <= 10) return 'datetime'; // TIME_* and TIMESTAMP_*
    if (converted >= 11 && converted <= 18) return 'integer'; // UINT_* and INT_*
    return 'string';
  }
  switch (tNumber(element, 1)) {
    case 0:
      return 'boolean';
    case 1: // INT32
    case 2: // INT64
      return 'integer';
    case 3:
      return 'datetime'; // INT96: legacy timestamps
    case 4: // FLOAT
    case 5: // DOUBLE
      return 'number';
    default:
      return 'string';
  }
}

type ThriftValue = boolean | number | Buffer | ThriftValue[] | ThriftStruct;
type ThriftStruct = Map<number, ThriftValue>;

function field(s: ThriftValue | undefined, id: number): ThriftValue | undefined {
  return s instanceof Map ? s.get(id) : undefined;
}

function tNumber(s: ThriftValue | undefined, id: number): number | undefined {
  const v = field(s, id);
  return typeof v === 'number' ? v : undefined;
}

function tString(s: ThriftValue | undefined, id: number): string | undefined {
  const v = field(s, id);
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

function tStruct(s: ThriftValue | undefined, id: number): ThriftStruct | undefined {
  const v = field(s, id);
  return v instanceof Map ? v : undefined;
}

function tList(s: ThriftValue | undefined, id: number): ThriftValue[] {
  const v = field(s, id);
  return Array.isArray(v) ? v : [];
}

/**
 * Thrift compact protocol, decoded generically (field id → value), so fields this reader does not use are skipped
 * whatever their type. Types: 1/2 bool, 3 byte, 4–6 i16/i32/i64, 7 double, 8 binary, 9/10 list/set, 11 map,
 * 12 struct.
 */
class CompactReader {
  private pos = 0;
  private depth = 0;

  constructor(private readonly buf: Buffer) {}

  readStruct(): ThriftStruct {
    if (++this.depth > 64) throw new Error('Parquet footer nests too deeply');
    const out: ThriftStruct = new Map();
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) break;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      out.set(id, type === 1 || type === 2 ? type === 1 : this.value(type));
    }
    this.depth -= 1;
    return out;
  }

  private value(type: number): ThriftValue {
    switch (type) {
      case 1:
      case 2:
        return this.byte() === 1; // a bool inside a list is a whole byte
      case 3:
        return (this.byte() << 24) >> 24;
      case 4:
      case 5:
      case 6:
        return this.zigzag();
      case 7: {
        this.need(8);
        const v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      }
      case 8: {
        const length = this.varint();
        this.need(length);
        const v = this.buf.subarray(this.pos, this.pos + length);
        this.pos += length;
        return v;
      }
      case 9:
      case 10: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        this.need(size);
        const out: ThriftValue[] = [];
        for (let i = 0; i < size; i++) out.push(this.value(header & 0x0f));
        return out;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return [];
        const types = this.byte();
        this.need(size);
        const out: ThriftValue[] = [];
        for (let i = 0; i < size; i++) out.push([this.value(types >> 4), this.value(types & 0x0f)]);
        return out;
      }
      case 12:
        return this.readStruct();
      default:
        throw new Error(`bad Parquet footer (Thrift type ${type})`);
    }
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.buf.length) throw new Error('truncated Parquet footer');
  }

  /** Unsigned LEB128, exact up to 2^53. */
  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('bad varint in Parquet footer');
  }

  private zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
}
