/**
 * CSV, TSV and plain text: the delimiter is sniffed from the start of the text, then every record is parsed; text
 * with no delimiter is counted in lines.
 */
import type { DataKind } from '../formats.js';
import { TextFile } from './encoding.js';
import type { DataProfile } from './profile.js';
import { type ColumnStats, classifyText, MAX_COLUMNS, MAX_NAME_CHARS, Table } from './types.js';
import { formatCount, plural } from './wording.js';

/** Decoded characters looked at to choose the delimiter. */
const SNIFF_CHARS = 64 * 1024;
/** A longer field is cut (an unbalanced quote can otherwise swallow the whole file). */
const MAX_FIELD_CHARS = 1024 * 1024;
const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'];

export async function profileDelimited(path: string, kind: DataKind, maxRows: number): Promise<DataProfile> {
  const file = await TextFile.open(path);
  if (file.size === 0) {
    return { kind, rows: 0, columns: [], encoding: file.encoding, notes: ['the file is empty'] };
  }
  const reader = new DelimitedReader(kind, maxRows);
  for await (const text of file.chunks()) reader.push(text);
  const read = reader.end();
  return { kind, ...read, encoding: file.encoding, notes: [...read.notes, ...file.notes()] };
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/** Receives a record's fields one by one (only the first MAX_COLUMNS), then its field count. */
interface FieldSink {
  field(index: number, text: string): void;
  endRecord(fields: number): void;
}

/**
 * RFC 4180 records from text pushed in chunks: quoted fields may hold the delimiter, newlines and doubled quotes;
 * CRLF, LF and CR end records; blank lines are skipped. Lenient: a quote inside an unquoted field is literal, and
 * text after a closing quote is kept. Memory is one field: fields are handed on as they end, those past
 * MAX_COLUMNS are only counted, and a field is cut at MAX_FIELD_CHARS.
 */
class CsvParser {
  private readonly delimiterCode: number;
  /** Fields ended in the current record. */
  private count = 0;
  /** The record's first field waits until the record is known not to be a blank line. */
  private first: string | null = null;
  private field = '';
  private state = START;
  private quoted = false;
  private skipLf = false;
  /** Some field was cut at MAX_FIELD_CHARS. */
  private overlong = false;
  /** The input ended inside a quoted field. */
  private unterminated = false;
  private wide = false;

  constructor(
    readonly delimiter: string,
    private readonly sink: FieldSink,
  ) {
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  push(text: string): void {
    const n = text.length;
    const d = this.delimiterCode;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.skipLf) {
        this.skipLf = false;
        if (c === LF) {
          i += 1;
          continue;
        }
      }
      if (this.state === QUOTED) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          this.append(text, i, n);
          return;
        }
        this.append(text, i, q);
        this.state = QUOTE_IN_QUOTED;
        i = q + 1;
        continue;
      }
      if (this.state === QUOTE_IN_QUOTED) {
        if (c === QUOTE) {
          this.append('"', 0, 1);
          this.state = QUOTED;
          i += 1;
          continue;
        }
        this.state = UNQUOTED;
      }
      if (this.state === START && c === QUOTE) {
        this.state = QUOTED;
        this.quoted = true;
        i += 1;
        continue;
      }
      let j = i;
      while (j < n) {
        const x = text.charCodeAt(j);
        if (x === d || x === LF || x === CR) break;
        j += 1;
      }
      if (j > i) {
        this.append(text, i, j);
        this.state = UNQUOTED;
      }
      if (j === n) return;
      const x = text.charCodeAt(j);
      if (x === d) this.endField();
      else {
        this.endRecord();
        if (x === CR) this.skipLf = true;
      }
      i = j + 1;
    }
  }

  end(): void {
    if (this.state === QUOTED) this.unterminated = true;
    if (this.count > 0 || this.field !== '' || this.quoted) this.endRecord();
  }

  notes(): string[] {
    const notes: string[] = [];
    if (this.unterminated) notes.push('the file ends inside a quoted field (an unbalanced quote?)');
    if (this.overlong) notes.push('some fields are longer than 1 MB and were cut (an unbalanced quote?)');
    if (this.wide)
      notes.push(`fields past the first ${formatCount(MAX_COLUMNS)} of a record were counted, not read`);
    return notes;
  }

  private append(s: string, from: number, to: number): void {
    if (this.count >= MAX_COLUMNS) return;
    const room = MAX_FIELD_CHARS - this.field.length;
    if (to - from > room) {
      this.overlong = true;
      to = from + room;
    }
    if (to > from) this.field += s.slice(from, to);
  }

  private endField(): void {
    const index = this.count;
    if (index === 0) this.first = this.field;
    else if (index === 1) {
      this.sink.field(0, this.first ?? '');
      this.first = null;
    }
    if (index > 0 && index < MAX_COLUMNS) this.sink.field(index, this.field);
    else if (index >= MAX_COLUMNS) this.wide = true;
    this.count += 1;
    this.field = '';
    this.state = START;
    this.quoted = false;
  }

  private endRecord(): void {
    const blank = this.count === 0 && !this.quoted && this.field.trim() === '';
    this.endField();
    const fields = this.count;
    this.count = 0;
    if (fields === 1) {
      if (!blank) this.sink.field(0, this.first ?? '');
      this.first = null;
    }
    if (!blank) this.sink.endRecord(fields);
  }
}

interface DelimiterGuess {
  delimiter: string;
  /** Fields in the first record. */
  fields: number;
  /** Share of sampled records with that many fields. */
  consistency: number;
  records: number;
}

/** The candidate whose sampled records most consistently have the header's field count (at least 2). */
function sniffDelimiter(sample: string, complete: boolean, preferred: string): DelimiterGuess | null {
  let best: DelimiterGuess | null = null;
  for (const delimiter of CANDIDATE_DELIMITERS) {
    const counts: number[] = [];
    const parser = new CsvParser(delimiter, {
      field: () => {},
      endRecord: (fields) => {
        if (counts.length < 200) counts.push(fields);
      },
    });
    parser.push(sample);
    // Only whole records count: without end() the record cut by the end of the sample is not emitted.
    if (complete) parser.end();
    const fields = counts[0] ?? 0;
    if (fields < 2) continue;
    const consistency = Math.round((counts.filter((c) => c === fields).length / counts.length) * 100) / 100;
    const guess = { delimiter, fields, consistency, records: counts.length };
    if (!best || better(guess, best, preferred)) best = guess;
  }
  return best;
}

function better(a: DelimiterGuess, b: DelimiterGuess, preferred: string): boolean {
  if (a.consistency !== b.consistency) return a.consistency > b.consistency;
  if ((a.delimiter === preferred) !== (b.delimiter === preferred)) return a.delimiter === preferred;
  return a.fields > b.fields;
}

/** Counts lines of plain text (LF, or CR for old Mac files). */
class LineCounter {
  private lf = 0;
  private cr = 0;
  private last = '';

  push(text: string): void {
    if (!text) return;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lf += 1;
    if (this.lf === 0) for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) this.cr += 1;
    this.last = text[text.length - 1] ?? this.last;
  }

  lines(): number {
    if (this.last === '') return 0;
    if (this.lf > 0) return this.lf + (this.last === '\n' ? 0 : 1);
    return this.cr + (this.last === '\r' ? 0 : 1);
  }
}

/** Header row → column names; later records → typed rows, each field typed as it arrives. */
class RecordSink implements FieldSink {
  private header: string[] | null = null;
  private headerFields = 0;
  private headerLooksLikeData = true;
  private readonly names: string[] = [];
  private readonly columns: (ColumnStats | undefined)[] = [];
  private inRow = false;
  private typed = false;
  private maxFields = 0;
  private ragged = 0;
  private firstRagged = 0;

  constructor(private readonly table: Table) {}

  field(index: number, text: string): void {
    if (!this.header) {
      this.names.push(text.trim().slice(0, MAX_NAME_CHARS + 1)); // Table marks a cut name with …
      const t = classifyText(text);
      if (t !== 'integer' && t !== 'number') this.headerLooksLikeData = false;
      return;
    }
    const table = this.table;
    if (!this.inRow) {
      this.inRow = true;
      this.typed = table.beginRow();
    }
    if (!this.typed) return;
    while (this.columns.length <= index) {
      this.columns.push(table.addColumn(`column_${this.columns.length + 1}`));
    }
    const column = this.columns[index];
    if (column) table.observeText(column, text);
  }

  endRecord(fields: number): void {
    const table = this.table;
    this.maxFields = Math.max(this.maxFields, fields);
    if (fields > MAX_COLUMNS) table.columnCount = this.maxFields;
    if (!this.header) {
      this.header = this.names;
      this.headerFields = fields;
      this.names.forEach((name, i) => {
        this.columns.push(table.addColumn(name || `column_${i + 1}`));
      });
      return;
    }
    if (fields !== this.headerFields) {
      this.ragged += 1;
      if (this.firstRagged === 0) this.firstRagged = table.rows + (this.inRow ? 0 : 1);
    }
    if (this.typed) table.endRow();
    this.inRow = false;
    this.typed = false;
  }

  notes(): string[] {
    const notes: string[] = [];
    if (this.header && this.headerLooksLikeData)
      notes.push('the first row looks like data, but it was read as the column names');
    if (this.ragged > 0) {
      notes.push(
        `${plural(this.ragged, 'row')} ${this.ragged === 1 ? 'has' : 'have'} a different number of fields than the header (first: data row ${formatCount(this.firstRagged)})`,
      );
    }
    return notes;
  }
}

type DelimitedRead = Pick<DataProfile, 'rows' | 'columns' | 'columnCount' | 'delimiter' | 'notes'>;

/** Keeps the first SNIFF_CHARS characters to choose the delimiter, then parses everything (or counts lines). */
class DelimitedReader {
  private sample = '';
  private reader: CsvParser | LineCounter | null = null;
  private readonly table: Table;
  private readonly records: RecordSink;

  constructor(
    private readonly kind: DataKind,
    maxRows: number,
  ) {
    this.table = new Table(maxRows);
    this.records = new RecordSink(this.table);
  }

  push(text: string): void {
    if (this.reader) this.reader.push(text);
    else {
      this.sample += text;
      if (this.sample.length >= SNIFF_CHARS) this.reader = this.start(false);
    }
  }

  end(): DelimitedRead {
    const reader = this.reader ?? this.start(true);
    if (reader instanceof LineCounter) {
      return {
        rows: reader.lines(),
        columns: [],
        notes: ['no column delimiter found: plain text, counted in lines'],
      };
    }
    reader.end();
    const { columnCount } = this.table;
    return {
      rows: this.table.rows,
      columns: this.table.profiles(),
      ...(columnCount !== null && { columnCount }),
      delimiter: reader.delimiter,
      notes: [...this.table.notes(), ...this.records.notes(), ...reader.notes()],
    };
  }

  /** Chooses the delimiter (none: plain text) and hands the sample on; `complete` when it is the whole file. */
  private start(complete: boolean): CsvParser | LineCounter {
    let sample = this.sample;
    this.sample = '';
    let delimiter: string | null = null;
    // Excel's "sep=;" first line names the delimiter.
    const hint = /^sep=([^\r\n])\r?\n/.exec(sample);
    if (hint?.[1]) {
      delimiter = hint[1];
      sample = sample.slice(hint[0].length);
    } else {
      const preferred = this.kind === 'tsv' ? '\t' : ',';
      const guess = sniffDelimiter(sample, complete, preferred);
      const isTable = guess && (this.kind !== 'txt' || (guess.records >= 2 && guess.consistency >= 0.8));
      if (isTable) delimiter = guess.delimiter;
      else if (this.kind !== 'txt') delimiter = preferred;
    }
    const reader = delimiter === null ? new LineCounter() : new CsvParser(delimiter, this.records);
    reader.push(sample);
    return reader;
  }
}
