/**
 * The Parquet footer (a Thrift FileMetaData in the compact protocol), decoded with bounds, for untrusted uploads.
 *
 * Only what the receipt uses is kept: num_rows, the flattened schema and each top-level column's null count summed
 * over the row groups. Everything else (statistics' min/max, key-value metadata, encodings…) is skipped in place,
 * and row groups are folded into the sums as they are read, so memory grows with the schema, never with the row
 * groups or the footer. Every value takes at least one byte, so a declared list length is checked against the bytes
 * left before anything is read, and the work is linear in the footer's size. A footer breaking a bound throws a
 * FooterError whose message names the bound.
 */
import { formatCount } from './wording.js';

/** Footers above this are not read (real ones are kilobytes to a few megabytes). */
export const MAX_FOOTER_BYTES = 64 * 1024 * 1024;
/** Schema elements (columns and their nested fields) kept. */
export const MAX_SCHEMA_ELEMENTS = 100_000;
/** Any other list or map (row groups, key-values, encodings, …). */
export const MAX_LIST_ENTRIES = 1_000_000;
/** Structs, lists and maps inside one another; real footers nest about 7 deep. */
export const MAX_DEPTH = 32;
/** Column names. */
export const MAX_NAME_BYTES = 64 * 1024;

export class FooterError extends Error {}

export interface SchemaElement {
  name: string;
  /** Physical type (BOOLEAN 0 … FIXED_LEN_BYTE_ARRAY 7); absent on groups. */
  physical?: number;
  /** REQUIRED 0, OPTIONAL 1, REPEATED 2. */
  repetition?: number;
  numChildren: number;
  convertedType?: number;
  /** Which member of the LogicalType union is set (STRING 1, MAP 2, LIST 3, …). */
  logicalType?: number;
}

export interface Footer {
  rows: number | null;
  schema: SchemaElement[];
  /** Top-level leaf column → null count summed over the row groups; null when a row group has no count. */
  nullCounts: Map<string, number | null>;
  rowGroups: number;
}

// Compact protocol type ids.
const BOOL_TRUE = 1;
const BOOL_FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

export function decodeFooter(buf: Buffer): Footer {
  const r = new CompactReader(buf);
  const footer: Footer = { rows: null, schema: [], nullCounts: new Map(), rowGroups: 0 };
  r.struct((id, type) => {
    if (id === 2 && type === LIST) {
      // A field given twice replaces the first, so a footer repeating its schema cannot add up past the cap.
      const schema: SchemaElement[] = [];
      r.structList(MAX_SCHEMA_ELEMENTS, 'schema elements', () => schema.push(schemaElement(r)));
      footer.schema = schema;
    } else if (id === 3 && isInteger(type)) {
      footer.rows = r.integer(type);
    } else if (id === 4 && type === LIST) {
      r.structList(MAX_LIST_ENTRIES, 'row groups', () => {
        rowGroup(r, footer.nullCounts);
        footer.rowGroups += 1;
      });
    } else {
      r.skip(type);
    }
  });
  return footer;
}

function schemaElement(r: CompactReader): SchemaElement {
  const e: SchemaElement = { name: '', numChildren: 0 };
  r.struct((id, type) => {
    if (id === 1 && isInteger(type)) e.physical = r.integer(type);
    else if (id === 3 && isInteger(type)) e.repetition = r.integer(type);
    else if (id === 4 && type === BINARY) e.name = r.string(MAX_NAME_BYTES, 'column name');
    else if (id === 5 && isInteger(type)) e.numChildren = r.integer(type);
    else if (id === 6 && isInteger(type)) e.convertedType = r.integer(type);
    else if (id === 10 && type === STRUCT) {
      // A union: the one field present says which logical type; its contents (units, precision) are skipped.
      r.struct((member, memberType) => {
        e.logicalType = member;
        r.skip(memberType);
      });
    } else r.skip(type);
  });
  return e;
}

/** RowGroup.columns (1) → ColumnChunk.meta_data (3) → path_in_schema (3) and statistics.null_count (12 → 3). */
function rowGroup(r: CompactReader, sums: Map<string, number | null>): void {
  r.struct((id, type) => {
    if (id !== 1 || type !== LIST) return r.skip(type);
    r.structList(MAX_SCHEMA_ELEMENTS, 'column chunks in a row group', () => {
      let name: string | null = null;
      let nulls: number | null = null;
      r.struct((chunkField, chunkType) => {
        if (chunkField !== 3 || chunkType !== STRUCT) return r.skip(chunkType);
        r.struct((metaField, metaType) => {
          if (metaField === 3 && metaType === LIST) {
            // A top-level leaf has a one-element path; nested leaves are not summed (their counts are per leaf).
            let length = 0;
            r.list(MAX_SCHEMA_ELEMENTS, 'path elements', (itemType) => {
              length += 1;
              if (length === 1 && itemType === BINARY) name = r.string(MAX_NAME_BYTES, 'column name');
              else r.skip(itemType, true);
            });
            if (length !== 1) name = null;
          } else if (metaField === 12 && metaType === STRUCT) {
            r.struct((statField, statType) => {
              if (statField === 3 && isInteger(statType)) nulls = r.integer(statType);
              else r.skip(statType);
            });
          } else r.skip(metaType);
        });
      });
      if (name === null) return;
      const sum = sums.get(name);
      // Only top-level columns are summed, so the map is bounded by the schema.
      if (sum === undefined && sums.size >= MAX_SCHEMA_ELEMENTS) return;
      sums.set(name, nulls === null || sum === null ? null : (sum ?? 0) + nulls);
    });
  });
}

function isInteger(type: number): boolean {
  return type === BYTE || type === I16 || type === I32 || type === I64;
}

/**
 * Thrift compact protocol over a buffer. struct() hands each field's id and type to a callback that must consume
 * the value: read it with integer()/string()/struct()/list(), or skip() it. Booleans in a struct live in the field
 * header and are consumed here (the footer fields this reader uses have none).
 */
class CompactReader {
  private pos = 0;
  private depth = 0;

  constructor(private readonly buf: Buffer) {}

  struct(onField: (id: number, type: number) => void): void {
    this.enter();
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) break;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      if (type !== BOOL_TRUE && type !== BOOL_FALSE) onField(id, type);
    }
    this.depth -= 1;
  }

  /** A list or set: calls onItem(elementType) once per element; onItem must consume the element. */
  list(max: number, what: string, onItem: (itemType: number) => void): void {
    this.enter();
    const header = this.byte();
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    const itemType = header & 0x0f;
    this.checkSize(size, itemType === DOUBLE ? 8 : 1, max, what);
    for (let i = 0; i < size; i++) onItem(itemType);
    this.depth -= 1;
  }

  /** A list of structs: onStruct() reads each one; elements of another type are skipped. */
  structList(max: number, what: string, onStruct: () => void): void {
    this.list(max, what, (itemType) => (itemType === STRUCT ? onStruct() : this.skip(itemType, true)));
  }

  integer(type: number): number {
    return type === BYTE ? (this.byte() << 24) >> 24 : this.zigzag();
  }

  string(maxBytes: number, what: string): string {
    const length = this.varint();
    if (length > maxBytes) {
      throw new FooterError(
        `a ${what} of ${formatCount(length)} bytes exceeds the limit of ${formatCount(maxBytes)}`,
      );
    }
    this.need(length);
    const text = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return text;
  }

  /** Moves past one value without keeping it. `inList`: a boolean element takes a byte there. */
  skip(type: number, inList = false): void {
    switch (type) {
      case BOOL_TRUE:
      case BOOL_FALSE:
        if (inList) this.byte();
        return;
      case BYTE:
        this.byte();
        return;
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        this.advance(8);
        return;
      case BINARY:
        this.advance(this.varint());
        return;
      case LIST:
      case SET:
        this.list(MAX_LIST_ENTRIES, 'entries', (itemType) => this.skip(itemType, true));
        return;
      case MAP:
        this.skipMap();
        return;
      case STRUCT:
        this.struct((_, fieldType) => this.skip(fieldType));
        return;
      default:
        throw new FooterError(`it holds an unknown Thrift type (${type}) at byte ${formatCount(this.pos)}`);
    }
  }

  private skipMap(): void {
    this.enter();
    const size = this.varint();
    if (size > 0) {
      const types = this.byte();
      // Each entry is a key and a value.
      this.checkSize(size, 2, MAX_LIST_ENTRIES, 'map entries');
      for (let i = 0; i < size; i++) {
        this.skip(types >> 4, true);
        this.skip(types & 0x0f, true);
      }
    }
    this.depth -= 1;
  }

  /** A declared length within `max` and within what the bytes left can hold at `minBytes` per entry. */
  private checkSize(size: number, minBytes: number, max: number, what: string): void {
    if (size > max) {
      throw new FooterError(
        `a list of ${formatCount(size)} ${what} exceeds the limit of ${formatCount(max)}`,
      );
    }
    const left = this.buf.length - this.pos;
    if (size * minBytes > left) {
      throw new FooterError(
        `a list of ${formatCount(size)} ${what} cannot fit in the ${formatCount(left)} bytes left`,
      );
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      throw new FooterError(`it nests deeper than ${MAX_DEPTH} levels`);
    }
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private advance(bytes: number): void {
    this.need(bytes);
    this.pos += bytes;
  }

  private need(bytes: number): void {
    if (bytes > this.buf.length - this.pos) throw new FooterError('it is truncated or damaged');
  }

  /** Unsigned LEB128, at most 10 bytes (a 64-bit value); exact up to 2^53. */
  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new FooterError('it holds a number longer than 10 bytes');
  }

  private zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
}
