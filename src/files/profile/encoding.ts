/** Text files: the encoding guessed from the first bytes, then the text decoded as it streams. */
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
  /** U+FFFD appeared while decoding UTF-8: some bytes past the sniffed head were not valid. */
  private replaced = false;

  private constructor(
    private readonly path: string,
    private readonly enc: TextEncoding,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<TextFile> {
    const { head, size } = await readHead(path, SNIFF_BYTES);
    return new TextFile(path, detectEncoding(head), size);
  }

  /** 'utf-8', 'utf-8 (BOM)', 'utf-16le', 'utf-16be', 'latin-1 (guessed)'; UTF-16 without a BOM is '(guessed)'. */
  get encoding(): string {
    return this.enc.name;
  }

  /** The text after any BOM, chunk by chunk; each call reads the file from the start. */
  async *chunks(): AsyncGenerator<string> {
    const decoder = new TextDecoder(this.enc.label, { ignoreBOM: true });
    const checkReplacement = this.enc.label === 'utf-8';
    const bytes = createReadStream(this.path, { start: this.enc.bomBytes, highWaterMark: 256 * 1024 });
    for await (const chunk of bytes) {
      const text = decoder.decode(chunk as Buffer, { stream: true });
      if (checkReplacement && !this.replaced && text.includes('\uFFFD')) this.replaced = true;
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }

  notes(): string[] {
    return this.replaced ? ['some bytes are not valid UTF-8 (another encoding?); they show as �'] : [];
  }
}

/** BOM first; then NUL-byte patterns for BOM-less UTF-16; then valid UTF-8, else Latin-1 (Windows-1252). */
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
  try {
    // stream: true, so a character cut by the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return { label: 'utf-8', name: 'utf-8', bomBytes: 0 };
  } catch {
    return { label: 'latin1', name: 'latin-1 (guessed)', bomBytes: 0 };
  }
}
