/**
 * Just enough of zip for XLSX: the central directory, then entries streamed as UTF-8 text (stored or deflated).
 * Zip64 records are followed too: some writers emit them whatever the size.
 *
 * Inflation is bounded, whatever the sizes the archive declares: reading stops with InflateLimitError once the
 * entries read have inflated past MAX_INFLATED_BYTES in all, or as soon as an entry has grown past
 * BOMB_CHECK_BYTES at more than MAX_RATIO times its compressed size (real sheet XML deflates 5–50 fold; a zip
 * bomb about 1,000 fold).
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createInflateRaw } from 'node:zlib';
import { readAt } from './bytes.js';
import { formatCount } from './wording.js';

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  offset: number;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_EXTRA = 0x0001;
const STORED = 0;
const DEFLATED = 8;
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;
const MiB = 1024 * 1024;
const MAX_INFLATED_BYTES = 2048 * MiB;
const BOMB_CHECK_BYTES = 32 * MiB;
const MAX_RATIO = 250;

/** An entry inflated past a limit; the message says which. */
export class InflateLimitError extends Error {}

/** A zip starts with a local file header. */
export function isZip(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === LOCAL_HEADER;
}

export class ZipReader {
  /** Bytes inflated so far, all entries together. */
  private inflated = 0;

  private constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
    private readonly entries: Map<string, ZipEntry>,
  ) {}

  /** null when the file is not a zip. `fh` stays the caller's, to close after reading. */
  static async open(path: string, fh: FileHandle): Promise<ZipReader | null> {
    const { size } = await fh.stat();
    const entries = isZip(await readAt(fh, 0, 4)) ? await readDirectory(fh, size) : null;
    return entries && new ZipReader(path, fh, entries);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The entry's text as it is decompressed; nothing when there is no such entry. Throws InflateLimitError once a
   * limit is passed (the text before it has been yielded).
   */
  async *text(name: string): AsyncGenerator<string> {
    const entry = this.entries.get(name);
    if (!entry) return;
    const local = await readAt(this.fh, entry.offset, 30);
    if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_HEADER) throw new Error(`bad zip entry ${name}`);
    if (entry.method !== STORED && entry.method !== DEFLATED) {
      throw new Error(`unsupported zip compression ${entry.method}`);
    }
    if (entry.compressedSize === 0) return;
    const start = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = createReadStream(this.path, { start, end: start + entry.compressedSize - 1 });
    // pipeline forwards errors and tears both streams down when the reader stops early.
    const bytes = entry.method === STORED ? raw : pipeline(raw, createInflateRaw(), () => {});
    const decoder = new StringDecoder('utf8');
    let inflated = 0;
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      this.inflated += chunk.length;
      if (this.inflated > MAX_INFLATED_BYTES) {
        throw new InflateLimitError(
          `the workbook inflates to more than ${formatCount(MAX_INFLATED_BYTES / MiB)} MB`,
        );
      }
      if (inflated > BOMB_CHECK_BYTES && inflated > MAX_RATIO * raw.bytesRead) {
        throw new InflateLimitError(
          `it inflates more than ${MAX_RATIO}-fold (a zip bomb?); read the first ${formatCount(Math.round(inflated / MiB))} MB`,
        );
      }
      yield decoder.write(chunk);
    }
    yield decoder.end();
  }
}

/** The central directory, or null when there is none. */
async function readDirectory(fh: FileHandle, size: number): Promise<Map<string, ZipEntry> | null> {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(fh, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_OF_DIRECTORY) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (
    (cdOffset === 0xffffffff || cdSize === 0xffffffff) &&
    eocd >= 20 &&
    tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR
  ) {
    const record = await readAt(fh, Number(tail.readBigUInt64LE(eocd - 12)), 56);
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_END_OF_DIRECTORY) return null;
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > size) return null;

  const cd = await readAt(fh, cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  for (let p = 0; p + 46 <= cd.length && cd.readUInt32LE(p) === CENTRAL_HEADER; ) {
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLength + extraLength > cd.length) break;
    let compressedSize = cd.readUInt32LE(p + 20);
    const uncompressedSize = cd.readUInt32LE(p + 24);
    let offset = cd.readUInt32LE(p + 42);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    // Zip64 extra field: the 64-bit values, in order, of those fields that hold 0xffffffff.
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength; ) {
      const id = cd.readUInt16LE(e);
      const length = cd.readUInt16LE(e + 2);
      const fieldEnd = Math.min(e + 4 + length, cd.length);
      if (id === ZIP64_EXTRA) {
        let v = e + 4;
        if (uncompressedSize === 0xffffffff) v += 8;
        if (compressedSize === 0xffffffff && v + 8 <= fieldEnd) {
          compressedSize = Number(cd.readBigUInt64LE(v));
          v += 8;
        }
        if (offset === 0xffffffff && v + 8 <= fieldEnd) offset = Number(cd.readBigUInt64LE(v));
      }
      e += 4 + length;
    }
    entries.set(name, { name, method: cd.readUInt16LE(p + 10), compressedSize, offset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
