/**
 * Parquet footers for tests, written byte by byte: parquet-format's FileMetaData in the Thrift compact protocol,
 * framed as `PAR1 <footer> <footer length> PAR1`. Shared by the profiler tests and the hostile-upload suite.
 */

/** Compact-protocol type ids. */
export const T = { i32: 5, i64: 6, binary: 8, list: 9, map: 11, struct: 12 } as const;
export type Field = [id: number, type: number, value: Buffer];

export function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A zigzag-encoded integer (i32, i64). */
export const int = (n: number) => varint(n >= 0 ? n * 2 : -n * 2 - 1);
export const bin = (s: string) => Buffer.concat([varint(Buffer.byteLength(s)), Buffer.from(s)]);

export function struct(fields: Field[]): Buffer {
  let last = 0;
  const parts = fields.map(([id, type, value]) => {
    const header =
      id - last > 0 && id - last <= 15
        ? Buffer.from([((id - last) << 4) | type])
        : Buffer.concat([Buffer.from([type]), int(id)]);
    last = id;
    return Buffer.concat([header, value]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** A list header declaring `size` elements of `type`; the elements follow (or, in a hostile footer, do not). */
export function listHeader(type: number, size: number): Buffer {
  return size < 15
    ? Buffer.from([(size << 4) | type])
    : Buffer.concat([Buffer.from([0xf0 | type]), varint(size)]);
}

export const list = (type: number, items: Buffer[]) =>
  Buffer.concat([listHeader(type, items.length), ...items]);

export function parquetFile(footer: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  return Buffer.concat([Buffer.from('PAR1'), footer, length, Buffer.from('PAR1')]);
}
