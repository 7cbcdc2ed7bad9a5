/**
 * JSON and JSON Lines, read by one streaming tokenizer: nothing is built but the counters, so memory stays bounded
 * whatever the shape (one huge object, deep nesting, a million keys). Rows are the elements of a top-level array,
 * the records of the first array of objects inside a top-level object, or the lines of JSON Lines. Bounds, each
 * named in a note when reached: MAX_DEPTH levels of nesting (deeper values are skipped whole, not checked),
 * MAX_VALUE_CHARS per string or number (kept cut, counted as text), MAX_NAME_CHARS per key and MAX_COLUMNS keys
 * profiled per record.
 */
import { TextFile } from './encoding.js';
import type { DataProfile } from './profile.js';
import { describeText, MAX_COLUMNS, MAX_NAME_CHARS, Table, type TextCell, type ValueType } from './types.js';
import { formatCount, plural } from './wording.js';

/** Containers deeper than this are skipped whole (only brackets and strings tracked). */
const MAX_DEPTH = 64;
/** Characters kept of a string or number value; the rest is counted, not kept. */
const MAX_VALUE_CHARS = 1024 * 1024;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export async function profileJson(path: string, maxRows: number): Promise<DataProfile> {
  const file = await TextFile.open(path);
  const records = new RecordsHandler('document', maxRows);
  const scanner = new JsonScanner(records);
  for await (const text of file.chunks()) {
    scanner.push(text);
    if (scanner.stopped) break;
  }
  scanner.end();
  if (records.root === '{' && scanner.trailing === '{') {
    const profile = await jsonLines(file, maxRows);
    return { ...profile, kind: 'json', notes: ['one JSON object per line (JSON Lines)', ...profile.notes] };
  }
  const encoding = file.encoding;
  const shape = records.result(scanner);
  return { kind: 'json', ...shape, encoding, notes: [...shape.notes, ...file.notes()] };
}

export async function profileJsonLines(path: string, maxRows: number): Promise<DataProfile> {
  return jsonLines(await TextFile.open(path), maxRows);
}

async function jsonLines(file: TextFile, maxRows: number): Promise<DataProfile> {
  const records = new RecordsHandler('lines', maxRows);
  const scanner = new JsonScanner(records);
  let lineNo = 0;
  const endLine = (): void => {
    lineNo += 1;
    records.endLine(scanner.endDocument(), lineNo);
  };
  let pending = false;
  for await (const text of file.chunks()) {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      scanner.push(text.slice(from, nl));
      endLine();
      from = nl + 1;
    }
    scanner.push(text.slice(from));
    pending = from < text.length;
  }
  if (pending) endLine();
  const shape = records.result(scanner);
  return { kind: 'jsonl', ...shape, encoding: file.encoding, notes: [...shape.notes, ...file.notes()] };
}

type Scalar = { kind: 'string' | 'number'; text: string; cut: boolean } | { kind: 'literal'; text: string };

/** What the tokenizer reports; `depth` is the number of containers around the value (0: the document). */
interface JsonEvents {
  open(kind: '{' | '[', depth: number): void;
  close(depth: number): void;
  key(name: string, depth: number): void;
  scalar(value: Scalar, depth: number): void;
  /**
   * Invalid JSON at `depth`: the depth to resynchronise at (skip to the next ',' or the close of the container
   * there), or null to give up on the document.
   */
  error(depth: number): number | null;
}

const VALUE = 0;
const VALUE_OR_CLOSE = 1;
const KEY_OR_CLOSE = 2;
const KEY = 3;
const COLON = 4;
const AFTER_VALUE = 5;
const DONE = 6;
const FAILED = 7;
const SKIP = 8;

/**
 * A strict streaming JSON tokenizer: one pass, one character at a time, keeping the container stack (up to
 * MAX_DEPTH) and the current token (up to MAX_VALUE_CHARS).
 */
class JsonScanner {
  /** Non-blank text after the document: its first character. */
  trailing = '';
  /** Strings or numbers cut at MAX_VALUE_CHARS. */
  cutValues = 0;
  /** Containers past MAX_DEPTH were skipped. */
  tooDeep = false;
  /** Characters read before the current chunk, and the index in it: the position of an error. */
  private offset = 0;
  private cursor = 0;
  errorAt = -1;
  private state = VALUE;
  private readonly stack: ('{' | '[')[] = [];
  private started = false;
  // The current token.
  private inString = false;
  private isKey = false;
  private inLiteral = false;
  private token = '';
  private tokenCut = false;
  /** After a backslash: '' for the next character, 'u…' while reading \uXXXX; null outside an escape. */
  private escape: string | null = null;
  // Skipping (after an error, or past MAX_DEPTH): strings and brackets only.
  private skipDepth = 0;
  /** A skip that ends when the skipped value closes (past MAX_DEPTH), not at a ',' (after an error). */
  private skipValue = false;
  private skipString = false;
  private skipEscape = false;

  constructor(private readonly events: JsonEvents) {}

  get stopped(): boolean {
    return this.state === FAILED || this.trailing !== '';
  }

  /** The document ended cleanly. */
  get complete(): boolean {
    return this.state === DONE && this.trailing === '';
  }

  get depth(): number {
    return this.stack.length;
  }

  push(text: string): void {
    const n = text.length;
    for (let i = 0; i < n; i++) {
      if (this.state === FAILED || this.trailing) break;
      this.cursor = i;
      if (this.inString) {
        i = this.readString(text, i);
        continue;
      }
      if (this.inLiteral) {
        let j = i;
        while (j < n && isLiteralChar(text.charCodeAt(j))) j += 1;
        this.addToken(text, i, j);
        if (j === n) break;
        i = j;
        this.cursor = i;
        this.endLiteral();
      }
      const c = text.charCodeAt(i);
      if (this.state === SKIP) this.skip(c);
      else if (this.state !== FAILED) this.structural(c, text[i]!);
    }
    this.offset += n;
  }

  /** End of input: a number or word at the very end is finished. */
  end(): void {
    if (this.inLiteral) this.endLiteral();
  }

  /** JSON Lines: ends this line's document and reports whether it was one whole JSON value (or blank). */
  endDocument(): 'blank' | 'ok' | 'invalid' {
    this.end();
    const result = !this.started ? 'blank' : this.complete ? 'ok' : 'invalid';
    this.state = VALUE;
    this.stack.length = 0;
    this.started = false;
    this.inString = false;
    this.inLiteral = false;
    this.escape = null;
    this.trailing = '';
    return result;
  }

  private structural(c: number, ch: string): void {
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) return;
    this.started = true;
    switch (this.state) {
      case DONE:
        this.trailing = ch;
        return;
      case KEY_OR_CLOSE:
      case KEY:
        if (c === 0x22) {
          this.startString(true);
          return;
        }
        if (c === 0x7d && this.state === KEY_OR_CLOSE) {
          this.close('{');
          return;
        }
        this.fail();
        return;
      case COLON:
        if (c === 0x3a) this.state = VALUE;
        else this.fail();
        return;
      case AFTER_VALUE: {
        const top = this.stack[this.stack.length - 1];
        if (c === 0x2c) this.state = top === '{' ? KEY : VALUE;
        else if (c === 0x7d || c === 0x5d) this.close(c === 0x7d ? '{' : '[');
        else this.fail();
        return;
      }
      default: // VALUE, VALUE_OR_CLOSE
        if (c === 0x5d && this.state === VALUE_OR_CLOSE) {
          this.close('[');
          return;
        }
        if (c === 0x7b || c === 0x5b) {
          this.open(c === 0x7b ? '{' : '[');
          return;
        }
        if (c === 0x22) {
          this.startString(false);
          return;
        }
        if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
          this.inLiteral = true;
          this.token = ch;
          this.tokenCut = false;
          return;
        }
        this.fail();
        return;
    }
  }

  private open(kind: '{' | '['): void {
    if (this.stack.length >= MAX_DEPTH) {
      this.tooDeep = true;
      this.state = SKIP;
      this.skipValue = true;
      this.skipDepth = 1;
      return;
    }
    this.events.open(kind, this.stack.length);
    this.stack.push(kind);
    this.state = kind === '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
  }

  private close(kind: '{' | '['): void {
    if (this.stack[this.stack.length - 1] !== kind) {
      this.fail();
      return;
    }
    this.stack.pop();
    this.events.close(this.stack.length);
    this.valueDone();
  }

  private valueDone(): void {
    this.state = this.stack.length === 0 ? DONE : AFTER_VALUE;
  }

  private startString(isKey: boolean): void {
    this.inString = true;
    this.isKey = isKey;
    this.token = '';
    this.tokenCut = false;
  }

  /** Reads string characters from `i`; returns the index of the last one consumed. */
  private readString(text: string, i: number): number {
    const n = text.length;
    let run = i;
    for (let j = i; j < n; j++) {
      const c = text.charCodeAt(j);
      if (this.escape !== null) {
        if (this.escape === '') {
          const simple = ESCAPES[text[j]!];
          if (simple !== undefined) {
            this.addToken(simple, 0, simple.length);
            this.escape = null;
          } else if (c === 0x75) this.escape = 'u';
          else return this.failInString(j);
        } else {
          if (!/[0-9a-fA-F]/.test(text[j]!)) return this.failInString(j);
          this.escape += text[j];
          if (this.escape.length === 5) {
            const unit = String.fromCharCode(Number.parseInt(this.escape.slice(1), 16));
            this.addToken(unit, 0, 1);
            this.escape = null;
          }
        }
        run = j + 1;
        continue;
      }
      if (c === 0x22) {
        this.addToken(text, run, j);
        this.inString = false;
        this.endString();
        return j;
      }
      if (c === 0x5c) {
        this.addToken(text, run, j);
        this.escape = '';
        run = j + 1;
        continue;
      }
      if (c < 0x20) return this.failInString(j);
    }
    this.addToken(text, run, n);
    return n - 1;
  }

  private endString(): void {
    if (this.isKey) {
      this.events.key(this.token, this.stack.length);
      this.state = COLON;
    } else {
      if (this.tokenCut) this.cutValues += 1;
      this.events.scalar({ kind: 'string', text: this.token, cut: this.tokenCut }, this.stack.length);
      this.valueDone();
    }
    this.token = '';
  }

  private endLiteral(): void {
    this.inLiteral = false;
    const text = this.token;
    this.token = '';
    if (this.tokenCut) {
      // Only a number can be this long; its digits are not all kept.
      if (!/^-?\d[\d.eE+-]*$/.test(text)) {
        this.fail();
        return;
      }
      this.cutValues += 1;
      this.events.scalar({ kind: 'number', text, cut: true }, this.stack.length);
    } else if (text === 'true' || text === 'false' || text === 'null') {
      this.events.scalar({ kind: 'literal', text }, this.stack.length);
    } else if (JSON_NUMBER.test(text)) {
      this.events.scalar({ kind: 'number', text, cut: false }, this.stack.length);
    } else {
      this.fail();
      return;
    }
    this.valueDone();
  }

  private addToken(s: string, from: number, to: number): void {
    if (this.tokenCut || to <= from) return;
    const cap = this.isKey && this.inString ? MAX_NAME_CHARS + 1 : MAX_VALUE_CHARS;
    const room = cap - this.token.length;
    if (to - from > room) {
      this.tokenCut = true;
      to = from + room;
    }
    this.token += s.slice(from, to);
  }

  private failInString(j: number): number {
    this.inString = false;
    this.escape = null;
    this.fail();
    if (this.state === SKIP) this.skipString = true;
    return j;
  }

  /** Invalid JSON: resynchronise where the events say, or stop. */
  private fail(): void {
    this.inLiteral = false;
    this.token = '';
    const at = this.events.error(this.stack.length);
    if (this.errorAt < 0) this.errorAt = this.offset + this.cursor;
    if (at === null) {
      this.state = FAILED;
      return;
    }
    this.skipDepth = Math.max(0, this.stack.length - at);
    this.stack.length = Math.min(this.stack.length, at);
    this.skipValue = false;
    this.skipString = false;
    this.skipEscape = false;
    this.state = SKIP;
  }

  private skip(c: number): void {
    if (this.skipString) {
      if (this.skipEscape) this.skipEscape = false;
      else if (c === 0x5c) this.skipEscape = true;
      else if (c === 0x22) this.skipString = false;
      return;
    }
    if (c === 0x22) this.skipString = true;
    else if (c === 0x7b || c === 0x5b) this.skipDepth += 1;
    else if (c === 0x7d || c === 0x5d) {
      if (this.skipDepth > 0) {
        this.skipDepth -= 1;
        if (this.skipValue && this.skipDepth === 0) this.valueDone();
        return;
      }
      // The container we resynchronise in closes.
      this.state = AFTER_VALUE;
      this.structural(c, c === 0x7d ? '}' : ']');
    } else if (c === 0x2c && this.skipDepth === 0 && !this.skipValue) {
      this.state = this.stack[this.stack.length - 1] === '{' ? KEY : VALUE;
    }
  }
}

function isLiteralChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e
  );
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

type Shape = Pick<DataProfile, 'rows' | 'columns' | 'notes'>;

/** Turns tokenizer events into typed rows: which values are records, and their keys and types. */
class RecordsHandler implements JsonEvents {
  root: '{' | '[' | 'value' | null = null;
  private readonly table: Table;
  /** Depth at which values are rows (1 for a top-level array, 2 in an object's array, 0 for JSON Lines). */
  private recordsDepth: number | null;
  private recordsKey = '';
  private recordsDone = false;
  /** An array directly in the top-level object, not yet known to hold records. */
  private candidate: string | null = null;
  private lastRootKey = '';
  private readonly rootKeys: string[] = [];
  private rootKeyCount = 0;
  // The row being read.
  private rowKind: '{' | '[' | 'value' | null = null;
  private rowKey = '';
  private rowIndex = 0;
  private readonly cells = new Map<string, ValueType | TextCell | null | 'nested'>();
  /** JSON Lines: the line's value ended; it counts once the line proves whole. */
  private rowDone = false;
  private position = 0;
  private invalid = 0;
  private firstInvalid = 0;
  private nonObjects = 0;

  constructor(
    private readonly mode: 'document' | 'lines',
    maxRows: number,
  ) {
    this.table = new Table(maxRows);
    this.recordsDepth = mode === 'lines' ? 0 : null;
  }

  open(kind: '{' | '[', depth: number): void {
    if (depth === 0 && this.mode === 'document') {
      this.root = kind;
      if (kind === '[') this.recordsDepth = 1;
      return;
    }
    if (this.recordsDepth === null) {
      if (this.root === '{' && depth === 1 && kind === '[') this.candidate = this.lastRootKey;
      else if (this.candidate !== null && depth === 2) {
        if (kind === '{') {
          this.recordsDepth = 2;
          this.recordsKey = this.candidate;
        }
        this.candidate = null;
      }
      if (this.recordsDepth === null) return;
    }
    if (this.recordsDone) return;
    if (depth === this.recordsDepth) this.startRow(kind);
    else if (depth === this.recordsDepth + 1 && this.rowKind) this.cell('nested');
  }

  close(depth: number): void {
    if (this.candidate !== null && depth === 1) this.candidate = null;
    if (this.recordsDepth === null || this.recordsDone) return;
    if (depth === this.recordsDepth && this.rowKind) this.finishRow();
    else if (depth === this.recordsDepth - 1) this.recordsDone = true;
  }

  key(name: string, depth: number): void {
    if (this.root === '{' && depth === 1) {
      this.lastRootKey = name;
      this.rootKeyCount += 1;
      if (this.rootKeys.length < 10) this.rootKeys.push(name);
    }
    if (this.rowKind && depth === (this.recordsDepth ?? -2) + 1) this.rowKey = name;
  }

  scalar(value: Scalar, depth: number): void {
    if (depth === 0 && this.mode === 'document') {
      this.root = 'value';
      this.recordsDepth = 0;
    }
    if (this.candidate !== null && depth === 2) this.candidate = null;
    if (this.recordsDepth === null || this.recordsDone) return;
    if (depth === this.recordsDepth) {
      this.startRow('value');
      this.cell(scalarCell(value));
      this.finishRow();
    } else if (depth === this.recordsDepth + 1 && this.rowKind) this.cell(scalarCell(value));
  }

  error(depth: number): number | null {
    if (this.mode === 'lines') {
      this.dropRow();
      return null;
    }
    const records = this.recordsDepth;
    if (records === null || records === 0 || this.recordsDone || depth < records) return null;
    // A broken element: skip to the next one.
    if (!this.rowKind) this.position += 1;
    this.countInvalid(this.position);
    this.dropRow();
    return records;
  }

  /** JSON Lines: a line ended. */
  endLine(result: 'blank' | 'ok' | 'invalid', lineNo: number): void {
    if (result === 'ok' && this.rowDone) this.commit();
    else if (result === 'invalid') this.countInvalid(lineNo);
    this.dropRow();
  }

  result(scanner: JsonScanner): Shape {
    const t = this.table;
    const cutOff = this.root === '[' && !scanner.complete && !scanner.stopped;
    if (cutOff && this.rowKind) this.countInvalid(this.position); // the element cut off at the end
    const bounds: string[] = [];
    if (scanner.tooDeep)
      bounds.push(`nested deeper than ${MAX_DEPTH} levels: the deeper values were skipped`);
    if (scanner.cutValues > 0)
      bounds.push(`${plural(scanner.cutValues, 'value')} over 1 MB cut (counted as text)`);
    const unit = this.mode === 'lines' ? 'line' : 'element';
    const rowNotes = [...t.notes(), ...this.rowNotes(unit), ...bounds];
    const shape = (notes: string[]): Shape => ({ rows: t.rows, columns: t.profiles(), notes });

    if (this.mode === 'lines') return shape(rowNotes);
    switch (this.root) {
      case null:
        return scanner.stopped ? unreadable(scanner) : { rows: 0, columns: [], notes: ['the file is empty'] };
      case 'value':
        return scanner.complete ? shape(['a single JSON value, not a list of records']) : unreadable(scanner);
      case '[':
        if (scanner.stopped && !scanner.trailing) return unreadable(scanner);
        if (cutOff) rowNotes.unshift('the JSON array is not closed (a cut-off file?)');
        if (scanner.trailing) rowNotes.push('text after the closing ] was ignored');
        return shape(rowNotes);
      case '{': {
        if (this.recordsDepth === null) {
          if (!scanner.complete) return unreadable(scanner);
          const keys = this.rootKeys.join(', ') + (this.rootKeyCount > this.rootKeys.length ? ', …' : '');
          const note = `a JSON object, not a list of records (keys: ${keys || 'none'})`;
          return { rows: null, columns: [], notes: [note] };
        }
        if (!this.recordsDone) return unreadable(scanner);
        const notes = [`rows are the records in "${this.recordsKey}"`, ...rowNotes];
        if (!scanner.complete) notes.push('the JSON after the records is not valid (not read)');
        return shape(notes);
      }
    }
  }

  private rowNotes(unit: 'element' | 'line'): string[] {
    const notes: string[] = [];
    const { invalid, nonObjects } = this;
    if (invalid > 0) {
      notes.push(
        `${plural(invalid, unit)} ${invalid === 1 ? 'is' : 'are'} not valid JSON and ${invalid === 1 ? 'was' : 'were'} skipped (first: ${unit} ${formatCount(this.firstInvalid)})`,
      );
    }
    if (nonObjects > 0)
      notes.push(`${plural(nonObjects, unit)} ${nonObjects === 1 ? 'is' : 'are'} not a JSON object`);
    return notes;
  }

  private countInvalid(position: number): void {
    this.invalid += 1;
    if (this.firstInvalid === 0) this.firstInvalid = position;
  }

  private startRow(kind: '{' | '[' | 'value'): void {
    this.position += 1;
    this.rowKind = kind;
    this.rowIndex = 0;
    this.rowKey = 'value';
    this.cells.clear();
  }

  /** A value in the row: under its key, or by position in an array. */
  private cell(cell: ValueType | TextCell | null | 'nested'): void {
    let name = this.rowKey;
    if (this.rowKind === '[') {
      this.rowIndex += 1;
      name = `column_${this.rowIndex}`;
    }
    // Bounded: past MAX_COLUMNS keys a row keeps only those that are columns already (at most MAX_COLUMNS more).
    if (this.cells.size >= MAX_COLUMNS && !this.cells.has(name) && !this.table.has(name)) {
      this.table.droppedColumns = true;
      return;
    }
    this.cells.set(name, cell);
  }

  private finishRow(): void {
    if (this.mode === 'lines') this.rowDone = true;
    else this.commit();
  }

  private commit(): void {
    const t = this.table;
    if (this.rowKind !== '{') this.nonObjects += 1;
    if (t.beginRow()) {
      for (const [name, cell] of this.cells) {
        const column = t.named(name);
        if (!column) continue;
        if (cell === 'nested') {
          column.nested = true;
          t.observe(column, 'string');
        } else t.observe(column, cell);
      }
      t.endRow();
    }
    this.dropRow();
  }

  private dropRow(): void {
    this.rowKind = null;
    this.rowDone = false;
    this.cells.clear();
  }
}

function scalarCell(value: Scalar): ValueType | TextCell | null {
  if (value.kind === 'literal') return value.text === 'null' ? null : 'boolean';
  if (value.cut) return 'string';
  if (value.kind === 'string') return describeText(value.text);
  const { text } = value;
  return !/[.eE]/.test(text) || Number.isInteger(Number(text)) ? 'integer' : 'number';
}

function unreadable(scanner: JsonScanner): Shape {
  const where = scanner.errorAt >= 0 ? `near character ${formatCount(scanner.errorAt + 1)}` : 'it ends early';
  return { rows: null, columns: [], notes: [`not valid JSON (${where})`] };
}
