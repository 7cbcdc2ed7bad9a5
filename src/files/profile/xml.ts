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

export class XmlTokenizer {
  private buffer = '';
  /** Within a pending tag at the start of `buffer`: how far it was scanned, and the quote it is inside. */
  private scanned = 0;
  private quote = 0;

  constructor(private readonly handler: XmlHandler) {}

  /** Throws XmlLimitError when markup runs past MAX_MARKUP_CHARS. */
  push(chunk: string): void {
    this.buffer = this.buffer.length === 0 ? chunk : this.buffer + chunk;
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
    // A tag: find its `>` outside quoted attribute values, resuming where the last chunk stopped.
    let quote = this.quote;
    let i = start + Math.max(1, this.scanned);
    for (; i < xml.length; i++) {
      const c = xml.charCodeAt(i);
      if (quote !== 0) {
        if (c === quote) quote = 0;
      } else if (c === 0x22 || c === 0x27) quote = c;
      else if (c === 0x3e) break;
    }
    if (i >= xml.length) {
      this.scanned = i - start;
      this.quote = quote;
      return -1;
    }
    this.emitTag(xml.slice(start + 1, i));
    return i + 1;
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
