/**
 * CSV, TSV and plain text: the delimiter is sniffed from the start of the text, then every record is parsed; text
 * with no delimiter is counted in lines.
 */
import type { DataKind } from '../policy.js';
import { TextFile } from './encoding.js';
import type { DataProfile } from './index.js';
import { type ColumnStats, classifyText, MAX_COLUMNS, Table } from './types.js';
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

/**
 * RFC 4180 records from text pushed in chunks: quoted fields may hold the delimiter, newlines and doubled quotes;
 * CRLF, LF and CR end records; blank lines are skipped. Lenient: a quote inside an unquoted field is literal, and
 * text after a closing quote is kept.
 */
class CsvParser {
  private readonly delimiterCode: number;
  private fields: string[] = [];
  private field = '';
  private state = START;
  private quoted = false;
  private skipLf = false;
  /** Some field was cut at MAX_FIELD_CHARS. */
  private overlong = false;
  /** The input ended inside a quoted field. */
  private unterminated = false;

  constructor(
    readonly delimiter: string,
    private readonly onRecord: (fields: string[]) => void,
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
          this.append(text.slice(i));
          return;
        }
        this.append(text.slice(i, q));
        this.state = QUOTE_IN_QUOTED;
        i = q + 1;
        continue;
      }
      if (this.state === QUOTE_IN_QUOTED) {
        if (c === QUOTE) {
          this.append('"');
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
        this.append(text.slice(i, j));
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
    if (this.fields.length > 0 || this.field !== '' || this.quoted) this.endRecord();
  }

  notes(): string[] {
    const notes: string[] = [];
    if (this.unterminated) notes.push('the file ends inside a quoted field (an unbalanced quote?)');
    if (this.overlong) notes.push('some fields are longer than 1 MB and were cut (an unbalanced quote?)');
    return notes;
  }

  private append(s: string): void {
    if (this.field.length + s.length <= MAX_FIELD_CHARS) {
      this.field += s;
      return;
    }
    this.overlong = true;
    const room = MAX_FIELD_CHARS - this.field.length;
    if (room > 0) this.field += s.slice(0, room);
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = START;
    this.quoted = false;
  }

  private endRecord(): void {
    const blank = this.fields.length === 0 && !this.quoted && this.field.trim() === '';
    this.endField();
    const record = this.fields;
    this.fields = [];
    if (!blank) this.onRecord(record);
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
    const parser = new CsvParser(delimiter, (fields) => {
      if (counts.length < 200) counts.push(fields.length);
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

/** Header row → column names; later records → typed rows. */
class RecordSink {
  private header: string[] | null = null;
  private readonly columns: (ColumnStats | undefined)[] = [];
  private ragged = 0;
  private firstRagged = 0;
  private headerLooksLikeData = false;

  constructor(private readonly table: Table) {}

  readonly onRecord = (fields: string[]): void => {
    const table = this.table;
    if (!this.header) {
      this.header = fields;
      const width = Math.min(fields.length, MAX_COLUMNS);
      for (let i = 0; i < width; i++)
        this.columns.push(table.addColumn(fields[i]!.trim() || `column_${i + 1}`));
      if (fields.length > MAX_COLUMNS) table.droppedColumns = true;
      this.headerLooksLikeData = fields.every((f) => {
        const t = classifyText(f);
        return t === 'integer' || t === 'number';
      });
      return;
    }
    if (fields.length !== this.header.length) {
      this.ragged += 1;
      if (this.firstRagged === 0) this.firstRagged = table.rows + 1;
    }
    if (!table.beginRow()) return;
    const width = Math.min(fields.length, MAX_COLUMNS);
    for (let i = 0; i < width; i++) {
      if (i >= this.columns.length) this.columns.push(table.addColumn(`column_${i + 1}`));
      const column = this.columns[i];
      if (column) table.observe(column, classifyText(fields[i]!));
    }
    table.endRow();
  };

  notes(): string[] {
    const notes: string[] = [];
    if (this.headerLooksLikeData)
      notes.push('the first row looks like data, but it was read as the column names');
    if (this.ragged > 0) {
      notes.push(
        `${plural(this.ragged, 'row')} ${this.ragged === 1 ? 'has' : 'have'} a different number of fields than the header (first: data row ${formatCount(this.firstRagged)})`,
      );
    }
    return notes;
  }
}

type DelimitedRead = Pick<DataProfile, 'rows' | 'columns' | 'delimiter' | 'notes'>;

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
    return {
      rows: this.table.rows,
      columns: this.table.profiles(),
      delimiter: reader.delimiter,
      notes: [...this.records.notes(), ...reader.notes(), ...this.table.notes()],
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
    const reader = delimiter === null ? new LineCounter() : new CsvParser(delimiter, this.records.onRecord);
    reader.push(sample);
    return reader;
  }
}
