/** Text files: BOMs and UTF-16 told from the first bytes; UTF-8 or Latin-1 decided on the whole file as it streams. */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { readHead } from './bytes.js';

/** Bytes looked at to guess the encoding. */
const SNIFF_BYTES = 64 * 1024;

interface TextEncoding {
  /** WHATWG label for TextDecoder. */
  label: string;
  /** What the profile reports. */
  name: string;
  bomBytes: number;
}

export class TextFile {
  /** UTF-8 without a BOM is only a guess until the whole file has decoded cleanly; set by the last full read. */
  private decided: TextEncoding;
  /** Bytes that are not valid UTF-8 came after valid non-ASCII UTF-8: decoded as U+FFFD. */
  private replaced = false;

  private constructor(
    private readonly path: string,
    private readonly enc: TextEncoding,
    readonly size: number,
  ) {
    this.decided = enc;
  }

  static async open(path: string): Promise<TextFile> {
    const { head, size } = await readHead(path, SNIFF_BYTES);
    return new TextFile(path, detectEncoding(head), size);
  }

  /**
   * 'utf-8', 'utf-8 (BOM)', 'utf-16le', 'utf-16be', 'latin-1 (guessed)'; UTF-16 without a BOM is '(guessed)'.
   * Decided on the whole file: read it after chunks() has run to the end.
   */
  get encoding(): string {
    return this.decided.name;
  }

  /**
   * The text after any BOM, chunk by chunk; each call reads the file from the start. Text that is not valid
   * UTF-8 and whose first non-ASCII character is not UTF-8 either is Windows-1252 (Latin-1) throughout: the ASCII
   * already handed on reads the same in both. Otherwise it stays UTF-8 and the bad bytes show as U+FFFD.
   */
  async *chunks(): AsyncGenerator<string> {
    this.decided = this.enc;
    this.replaced = false;
    const utf8 = this.enc.label === 'utf-8';
    let checking = utf8 && this.enc.bomBytes === 0;
    let decoder = new TextDecoder(this.enc.label, { ignoreBOM: true, fatal: checking });
    /** No whole non-ASCII character so far (while checking): a switch to Latin-1 loses nothing. */
    let ascii = true;
    /** The end of the last chunk that may start a character the next one finishes. */
    let carry: Buffer = Buffer.alloc(0);
    const bytes = createReadStream(this.path, { start: this.enc.bomBytes, highWaterMark: 256 * 1024 });
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      let text: string;
      if (!checking) {
        text = decoder.decode(chunk, { stream: true });
        if (utf8 && !this.replaced && text.includes('\uFFFD')) this.replaced = true;
      } else if (carry.length === 0 && isAscii(chunk)) text = chunk.toString('latin1');
      else {
        try {
          text = decoder.decode(chunk, { stream: true });
          // A character only counts once whole: a lead byte at the very end may yet prove not UTF-8.
          const tail = incompleteTail(chunk);
          if (carry.length > 0 || !isAscii(chunk.subarray(0, chunk.length - tail.length))) ascii = false;
          carry = tail;
        } catch {
          checking = false;
          if (ascii && !startsUtf8(Buffer.concat([carry, chunk]))) {
            this.decided = LATIN1;
            decoder = new TextDecoder('latin1');
          } else {
            this.replaced = true;
            decoder = new TextDecoder('utf-8', { ignoreBOM: true });
          }
          text = decoder.decode(Buffer.concat([carry, chunk]), { stream: true });
        }
      }
      if (text) yield text;
    }
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      // A character cut off by the end of the file.
      this.replaced = true;
      rest = '\uFFFD';
    }
    if (rest) yield rest;
  }

  notes(): string[] {
    return this.replaced ? ['some bytes are not valid UTF-8 (another encoding?); they show as �'] : [];
  }
}

const LATIN1: TextEncoding = { label: 'latin1', name: 'latin-1 (guessed)', bomBytes: 0 };

/** The first non-ASCII byte of `bytes` starts a well-formed UTF-8 character (or the bytes end first). */
function startsUtf8(bytes: Buffer): boolean {
  let i = 0;
  while (i < bytes.length && bytes[i]! < 0x80) i += 1;
  if (i === bytes.length) return true;
  const b = bytes[i]!;
  const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (length === 0) return false;
  for (let k = 1; k < length && i + k < bytes.length; k++) {
    const c = bytes[i + k]!;
    if (c < 0x80 || c > 0xbf) return false;
  }
  return true;
}

/** The last bytes of a chunk that start a UTF-8 character the chunk does not finish. */
function incompleteTail(chunk: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const b = chunk[chunk.length - back]!;
    if (b < 0x80) return Buffer.alloc(0);
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return length > back ? Buffer.from(chunk.subarray(chunk.length - back)) : Buffer.alloc(0);
    }
  }
  return Buffer.alloc(0);
}

/** BOM first; then NUL-byte patterns for BOM-less UTF-16; else UTF-8, checked on the whole file as it is read. */
function detectEncoding(head: Buffer): TextEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { label: 'utf-8', name: 'utf-8 (BOM)', bomBytes: 3 };
  }
  if (head[0] === 0xff && head[1] === 0xfe) return { label: 'utf-16le', name: 'utf-16le', bomBytes: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { label: 'utf-16be', name: 'utf-16be', bomBytes: 2 };

  const sample = head.subarray(0, 4096);
  if (sample.length >= 4) {
    let evenNuls = 0;
    let oddNuls = 0;
    for (let i = 0; i < sample.length; i++) {
      if (sample[i] === 0) {
        if (i % 2 === 0) evenNuls += 1;
        else oddNuls += 1;
      }
    }
    const half = sample.length / 2;
    if (oddNuls > half * 0.3 && evenNuls < half * 0.05) {
      return { label: 'utf-16le', name: 'utf-16le (guessed)', bomBytes: 0 };
    }
    if (evenNuls > half * 0.3 && oddNuls < half * 0.05) {
      return { label: 'utf-16be', name: 'utf-16be (guessed)', bomBytes: 0 };
    }
  }
  // UTF-8 until chunks() finds a byte that is not.
  return { label: 'utf-8', name: 'utf-8', bomBytes: 0 };
}
