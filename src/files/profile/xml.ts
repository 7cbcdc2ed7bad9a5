/**
 * A streaming XML tokenizer for the parts of an XLSX file: start tags, end tags and text, fed in chunks.
 *
 * Linear in its input whatever the input: every character is looked at a bounded number of times (`indexOf` for
 * the next `<`, one pass over each tag, resumed where it stopped when a tag spans chunks), no element stack is
 * kept, and a tag, comment or declaration longer than MAX_MARKUP_CHARS stops the scan with XmlLimitError instead
 * of being buffered. It is not a validating parser: malformed markup is read as well as it can be.
 */

/** Longest tag (attributes included), comment, CDATA section or declaration held while looking for its end. */
export const MAX_MARKUP_CHARS = 64 * 1024;

export interface XmlHandler {
  /** A start tag; `name` without its namespace prefix, `attrs` the raw attribute text (see `attributes`). */
  open(name: string, attrs: string, selfClosing: boolean): void;
  close(name: string): void;
  /** Raw character data (entities not yet decoded; may come in pieces). */
  text(raw: string): void;
}

export class XmlLimitError extends Error {
  constructor() {
    super(`markup longer than ${MAX_MARKUP_CHARS.toLocaleString('en-US')} characters`);
  }
}

/** Ends of the markup that is not a tag, by how it starts. */
const SPECIAL_ENDS: readonly [start: string, end: string][] = [
  ['<![CDATA[', ']]>'],
  ['<!--', '-->'],
  ['<?', '?>'],
  ['<!', '>'],
];

const GT = 0x3e;
const DQ = 0x22;
const SQ = 0x27;
const UNKNOWN = -2;

export class XmlTokenizer {
  private buffer = '';
  /** Within a pending tag at the start of `buffer`: how far it was scanned, and the quote it is inside. */
  private scanned = 0;
  private quote = 0;
  /** Within the current push: where the next `>`, `"` and `'` are (-1: none). */
  private readonly found = [UNKNOWN, UNKNOWN, UNKNOWN];

  constructor(private readonly handler: XmlHandler) {}

  /** Throws XmlLimitError when markup runs past MAX_MARKUP_CHARS. */
  push(chunk: string): void {
    this.buffer = this.buffer.length === 0 ? chunk : this.buffer + chunk;
    this.found.fill(UNKNOWN);
    const xml = this.buffer;
    let pos = 0;
    while (pos < xml.length) {
      if (xml.charCodeAt(pos) !== 0x3c) {
        const lt = xml.indexOf('<', pos);
        const end = lt < 0 ? xml.length : lt;
        this.handler.text(xml.slice(pos, end));
        pos = end;
        continue;
      }
      const next = this.markup(xml, pos);
      if (next < 0) break;
      pos = next;
      this.scanned = 0;
      this.quote = 0;
    }
    // Only a pending piece of markup is kept, and it is bounded.
    this.buffer = xml.slice(pos);
    if (this.buffer.length > MAX_MARKUP_CHARS) throw new XmlLimitError();
  }

  /** Markup cut off at the end of the input is dropped. */
  end(): void {
    this.buffer = '';
  }

  /** Handles the markup at `start`; the position after it, or -1 when its end has not arrived yet. */
  private markup(xml: string, start: number): number {
    if (xml.charCodeAt(start + 1) === 0x21 || xml.charCodeAt(start + 1) === 0x3f) {
      if (xml.length - start < 9 && '<![CDATA['.startsWith(xml.slice(start, start + 9))) return -1;
      const [open, close] = SPECIAL_ENDS.find(([s]) => xml.startsWith(s, start)) ?? ['<!', '>'];
      const from = Math.max(start + open.length, start + this.scanned - close.length);
      const end = xml.indexOf(close, from);
      if (end < 0) {
        this.scanned = xml.length - start;
        return -1;
      }
      // CDATA is text; its `&` is escaped so that the handler's one decoding step gives it back unchanged.
      if (open === '<![CDATA[')
        this.handler.text(xml.slice(start + open.length, end).replaceAll('&', '&amp;'));
      return end + close.length;
    }
    // A tag: its `>` is the first one outside quoted attribute values. Usually that is the first `>` (no single
    // quotes, and the double ones paired); that check costs no more than the tag's own length.
    if (this.scanned === 0) {
      const gt = xml.indexOf('>', start + 1);
      const tag = gt < 0 ? '' : xml.slice(start + 1, gt);
      if (gt >= 0 && !tag.includes("'") && pairedQuotes(tag)) {
        this.emitTag(tag);
        return gt + 1;
      }
    }
    // Otherwise follow the quotes, resuming where the last chunk stopped.
    let quote = this.quote;
    let i = start + Math.max(1, this.scanned);
    for (;;) {
      if (quote !== 0) {
        const close = this.next(xml, quote, i);
        if (close < 0) break;
        i = close + 1;
        quote = 0;
      }
      const gt = this.next(xml, GT, i);
      const dq = this.next(xml, DQ, i);
      const sq = this.next(xml, SQ, i);
      const q = dq < 0 ? sq : sq < 0 ? dq : Math.min(dq, sq);
      if (gt >= 0 && (q < 0 || gt < q)) {
        this.emitTag(xml.slice(start + 1, gt));
        return gt + 1;
      }
      if (q < 0) break;
      quote = q === dq ? DQ : SQ;
      i = q + 1;
    }
    this.scanned = xml.length - start;
    this.quote = quote;
    return -1;
  }

  /**
   * The next `char` at or after `from` in the chunk being read. Positions are remembered, so that looking for a
   * quote that is far away (or absent) costs one scan per chunk, not one per tag.
   */
  private next(xml: string, char: number, from: number): number {
    const slot = char === GT ? 0 : char === DQ ? 1 : 2;
    const known = this.found[slot] as number;
    if (known !== UNKNOWN && (known < 0 || known >= from)) return known;
    const at = xml.indexOf(char === GT ? '>' : char === DQ ? '"' : "'", from);
    this.found[slot] = at;
    return at;
  }

  private emitTag(tag: string): void {
    const closing = tag.charCodeAt(0) === 0x2f;
    let nameEnd = closing ? 1 : 0;
    while (nameEnd < tag.length && !isNameEnd(tag.charCodeAt(nameEnd))) nameEnd++;
    const qualified = tag.slice(closing ? 1 : 0, nameEnd);
    const name = qualified.slice(qualified.indexOf(':') + 1);
    if (closing) {
      this.handler.close(name);
      return;
    }
    const selfClosing = tag.charCodeAt(tag.length - 1) === 0x2f;
    this.handler.open(name, tag.slice(nameEnd, selfClosing ? -1 : undefined), selfClosing);
  }
}

function pairedQuotes(tag: string): boolean {
  let count = 0;
  for (let q = tag.indexOf('"'); q >= 0; q = tag.indexOf('"', q + 1)) count++;
  return count % 2 === 0;
}

function isNameEnd(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2f || c === 0x3e;
}

/** The attributes of a tag's raw attribute text, by qualified name (`r`, `r:id`), values decoded. One pass. */
export function attributes(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < raw.length) {
    const eq = raw.indexOf('=', i);
    if (eq < 0) break;
    const name = raw.slice(i, eq).trim();
    let q = eq + 1;
    while (q < raw.length && raw.charCodeAt(q) <= 0x20) q++;
    const quote = raw[q];
    if (quote !== '"' && quote !== "'") break;
    const close = raw.indexOf(quote, q + 1);
    if (close < 0) break;
    if (name) out.set(name, decodeXml(raw.slice(q + 1, close)));
    i = close + 1;
  }
  return out;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character and predefined entity references decoded; anything else left as it is. */
export function decodeXml(text: string): string {
  if (!text.includes('&')) return text;
  // Linear: each match starts at an `&` and the bounded quantifiers stop at the first non-matching character.
  return text.replace(
    /&(?:#x([0-9a-f]{1,8})|#(\d{1,9})|(amp|lt|gt|quot|apos));/gi,
    (whole, hex, dec, named) => {
      if (hex || dec) {
        const code = Number.parseInt(hex ?? dec, hex ? 16 : 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return NAMED_ENTITIES[String(named).toLowerCase()] ?? whole;
    },
  );
}
