/**
 * JSON and JSON Lines. A top-level array is split into elements as it streams, each parsed on its own; any other
 * document is parsed whole (within a size cap) and its first array of records profiled.
 */

import { oneLine } from '../../text/format.js';
import { TextFile } from './encoding.js';
import type { DataProfile } from './index.js';
import { type ColumnStats, classifyText, Table, type ValueType } from './types.js';
import { formatCount, plural } from './wording.js';

/** A longer JSON array element or JSONL line is skipped. */
const MAX_ELEMENT_CHARS = 16 * 1024 * 1024;
/** A JSON file that is not a top-level array is parsed whole only up to this size. */
const MAX_WHOLE_JSON_BYTES = 50 * 1024 * 1024;

export async function profileJson(path: string, maxRows: number): Promise<DataProfile> {
  const file = await TextFile.open(path);
  const rows = new JsonRows(maxRows);
  let position = 0;
  const splitter = new JsonArraySplitter((text) => {
    position += 1;
    rows.add(text, position);
  });
  for await (const text of file.chunks()) {
    splitter.push(text);
    if (splitter.state === 'other' || splitter.trailing) break;
  }
  const unclosed = splitter.end();

  if (splitter.state === 'array' || splitter.state === 'done') {
    const notes = [...rows.notes('element'), ...file.notes()];
    if (unclosed) notes.unshift('the JSON array is not closed (a cut-off file?)');
    if (splitter.trailing) notes.push('text after the closing ] was ignored');
    return { kind: 'json', ...rows.shape(), encoding: file.encoding, notes };
  }
  if (splitter.state === 'before') {
    return { kind: 'json', rows: 0, columns: [], encoding: file.encoding, notes: ['the file is empty'] };
  }
  if (splitter.first === '{' && (await looksLikeJsonLines(file))) {
    const profile = await jsonLines(file, maxRows);
    return { ...profile, kind: 'json', notes: ['one JSON object per line (JSON Lines)', ...profile.notes] };
  }
  if (file.size > MAX_WHOLE_JSON_BYTES) {
    return unread(
      file,
      `not a JSON array, and over ${formatCount(MAX_WHOLE_JSON_BYTES / 1024 / 1024)} MB: not profiled`,
    );
  }
  return profileWholeJson(file, maxRows);
}

export async function profileJsonLines(path: string, maxRows: number): Promise<DataProfile> {
  return jsonLines(await TextFile.open(path), maxRows);
}

async function jsonLines(file: TextFile, maxRows: number): Promise<DataProfile> {
  const rows = new JsonRows(maxRows);
  const line = new PendingText();
  let lineNo = 0;
  const endLine = (): void => {
    lineNo += 1;
    const text = line.take();
    if (text === null || text.trim() !== '') rows.add(text, lineNo);
  };
  for await (const text of file.chunks()) {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      line.add(text.slice(from, nl));
      endLine();
      from = nl + 1;
    }
    line.add(text.slice(from));
  }
  if (!line.empty) endLine();
  return {
    kind: 'jsonl',
    ...rows.shape(),
    encoding: file.encoding,
    notes: [...rows.notes('line'), ...file.notes()],
  };
}

/** The first line is a whole JSON object and more follows. */
async function looksLikeJsonLines(file: TextFile): Promise<boolean> {
  let text = '';
  for await (const chunk of file.chunks()) {
    text += chunk;
    const newline = text.indexOf('\n');
    if (newline >= 0) {
      const rest = text.slice(newline + 1).trim();
      if (rest === '' && text.length < MAX_ELEMENT_CHARS) continue;
      try {
        return isRecord(JSON.parse(text.slice(0, newline))) && rest !== '';
      } catch {
        return false;
      }
    }
    if (text.length > MAX_ELEMENT_CHARS) return false;
  }
  return false;
}

/** A document that is not an array, parsed whole: its first array of records, if any. */
async function profileWholeJson(file: TextFile, maxRows: number): Promise<DataProfile> {
  let text = '';
  for await (const chunk of file.chunks()) text += chunk;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? `: ${err.message}` : '';
    return unread(file, `not valid JSON${oneLine(detail, 120)}`);
  }
  const table = new Table(maxRows);
  let notes: string[];
  if (isRecord(doc)) {
    const found = Object.entries(doc).find(([, v]) => Array.isArray(v) && v.length > 0 && isRecord(v[0]));
    if (!found) {
      const keys = Object.keys(doc);
      const shown = keys.slice(0, 10).join(', ') + (keys.length > 10 ? ', …' : '');
      return unread(file, `a JSON object, not a list of records (keys: ${shown || 'none'})`);
    }
    const [key, records] = found as [string, unknown[]];
    for (const record of records) addJsonRow(table, record);
    notes = [`rows are the records in "${key}"`, ...table.notes(), ...file.notes()];
  } else {
    addJsonRow(table, doc);
    notes = ['a single JSON value, not a list of records'];
  }
  return { kind: 'json', rows: table.rows, columns: table.profiles(), encoding: file.encoding, notes };
}

function unread(file: TextFile, note: string): DataProfile {
  return { kind: 'json', rows: null, columns: [], encoding: file.encoding, notes: [note] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects give columns by key; arrays by position (`column_1` …); other values a `value` column. */
function addJsonRow(table: Table, value: unknown): void {
  if (!table.beginRow()) return;
  const entries: [string, unknown][] = isRecord(value)
    ? Object.entries(value)
    : Array.isArray(value)
      ? value.map((v, i): [string, unknown] => [`column_${i + 1}`, v])
      : [['value', value]];
  for (const [key, v] of entries) {
    const column = table.named(key);
    if (column) table.observe(column, jsonType(v, column));
  }
  table.endRow();
}

function jsonType(value: unknown, column: ColumnStats): ValueType | null {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return classifyText(value);
    case 'object':
      if (value === null) return null;
      column.nested = true;
      return 'string';
    default:
      return null;
  }
}

/** Array elements or lines parsed into typed rows, counting those that could not be. */
class JsonRows {
  private readonly table: Table;
  private invalid = 0;
  private firstInvalid = 0;
  private oversized = 0;
  private nonObjects = 0;

  constructor(maxRows: number) {
    this.table = new Table(maxRows);
  }

  /** `text` is null for one over MAX_ELEMENT_CHARS; `position` (1-based) is for the notes. */
  add(text: string | null, position: number): void {
    if (text === null) {
      this.oversized += 1;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.invalid += 1;
      if (this.firstInvalid === 0) this.firstInvalid = position;
      return;
    }
    if (!isRecord(value)) this.nonObjects += 1;
    addJsonRow(this.table, value);
  }

  shape(): Pick<DataProfile, 'rows' | 'columns'> {
    return { rows: this.table.rows, columns: this.table.profiles() };
  }

  notes(unit: 'element' | 'line'): string[] {
    const notes: string[] = [];
    const { invalid, oversized, nonObjects } = this;
    if (invalid > 0) {
      notes.push(
        `${plural(invalid, unit)} ${invalid === 1 ? 'is' : 'are'} not valid JSON and ${invalid === 1 ? 'was' : 'were'} skipped (first: ${unit} ${formatCount(this.firstInvalid)})`,
      );
    }
    if (oversized > 0)
      notes.push(`${plural(oversized, unit)} over 16 MB ${oversized === 1 ? 'was' : 'were'} skipped`);
    if (nonObjects > 0)
      notes.push(`${plural(nonObjects, unit)} ${nonObjects === 1 ? 'is' : 'are'} not a JSON object`);
    return [...notes, ...this.table.notes()];
  }
}

/** Text gathered across chunks, given up once it is longer than MAX_ELEMENT_CHARS. */
class PendingText {
  private text = '';
  private tooLong = false;

  get empty(): boolean {
    return this.text === '' && !this.tooLong;
  }

  add(s: string): void {
    if (this.tooLong) return;
    if (this.text.length + s.length > MAX_ELEMENT_CHARS) {
      this.tooLong = true;
      this.text = '';
    } else this.text += s;
  }

  /** The text gathered (null when it got too long), and a fresh start. */
  take(): string | null {
    const text = this.tooLong ? null : this.text;
    this.text = '';
    this.tooLong = false;
    return text;
  }
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Splits a top-level JSON array into the text of its elements as chunks arrive, tracking only string state and
 * nesting depth; each element is then parsed on its own, so memory is bounded by the largest element.
 */
class JsonArraySplitter {
  state: 'before' | 'array' | 'done' | 'other' = 'before';
  /** The first non-blank character when the document is not an array. */
  first = '';
  /** Something other than blanks follows the closing ]. */
  trailing = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Inside an element (its text is in `element`). */
  private active = false;
  private readonly element = new PendingText();

  /** `text` is null for an element over MAX_ELEMENT_CHARS. */
  constructor(private readonly onElement: (text: string | null) => void) {}

  push(text: string): void {
    if (this.state === 'other' || this.trailing) return;
    let start = this.active ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue; // JSON whitespace
      if (this.state === 'before') {
        if (c === OPEN_BRACKET) {
          this.state = 'array';
          this.depth = 1;
          continue;
        }
        this.state = 'other';
        this.first = text[i] ?? '';
        return;
      }
      if (this.state === 'done') {
        this.trailing = true;
        return;
      }
      if (this.depth === 1) {
        if (c === COMMA || c === CLOSE_BRACKET) {
          if (this.active) this.flush(text.slice(start, i));
          start = -1;
          if (c === CLOSE_BRACKET) this.state = 'done';
          continue;
        }
        if (!this.active) {
          this.active = true;
          start = i;
        }
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth += 1;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) this.depth -= 1;
    }
    if (this.active && start >= 0) this.element.add(text.slice(start));
  }

  /** True when the array was never closed. */
  end(): boolean {
    if (this.state !== 'array') return false;
    if (this.active) this.flush('');
    return true;
  }

  private flush(last: string): void {
    this.element.add(last);
    this.onElement(this.element.take());
    this.active = false;
  }
}
