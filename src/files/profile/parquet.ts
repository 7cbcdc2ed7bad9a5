/**
 * Parquet: rows, columns, types and empty counts from the footer alone (decoded with bounds: parquet-footer.ts).
 *
 * Empty counts come from the writer's statistics (null_count per column chunk, summed over the row groups). Where
 * the footer cannot give them they are shown as unknown (null), never as 0:
 * - a flat column some row group has no statistics for;
 * - a nested column (struct, list, map): Parquet counts nulls per inner leaf, and a leaf's count mixes "the row is
 *   null" with "this inner field is null" or "the list holds a null", so it says nothing about the column's rows.
 * Counting them ourselves would mean reading and decompressing every page of the column (all of the file for
 * nested data) with codecs Node 20 lacks (Snappy, ZSTD, LZ4), and decoding page headers from an untrusted upload,
 * which is where the hostile-file bugs live; the receipt is a quick look, and Claude gets the file itself and can
 * count exactly in the sandbox. A column the schema marks REQUIRED cannot hold a null, so its count is 0 for sure.
 */
import { open } from 'node:fs/promises';
import { readAt } from './bytes.js';
import {
  decodeFooter,
  type Footer,
  FooterError,
  MAX_FOOTER_BYTES,
  type SchemaElement,
} from './parquet-footer.js';
import type { ColumnProfile, DataProfile } from './profile.js';
import { TYPE_LABELS } from './receipt.js';
import { formatCount } from './wording.js';

const REQUIRED = 0;
const REPEATED = 2;
/** Names listed in one note. */
const MAX_NAMED = 5;

export async function profileParquet(path: string): Promise<DataProfile> {
  const unread = (note: string): DataProfile => ({ kind: 'parquet', rows: null, columns: [], notes: [note] });
  const fh = await open(path, 'r');
  let footer: Footer;
  try {
    const { size } = await fh.stat();
    if (size < 12) return unread('too small to be a Parquet file');
    const tail = await readAt(fh, size - 8, 8);
    const magic = tail.toString('latin1', 4, 8);
    if (magic === 'PARE') return unread('encrypted Parquet footer: rows and columns not read');
    if (magic !== 'PAR1') return unread('not a Parquet file (no PAR1 footer)');
    const footerLength = tail.readUInt32LE(0);
    if (footerLength > size - 12) {
      return unread(
        `could not read the Parquet footer: it declares ${formatCount(footerLength)} bytes, more than the file holds`,
      );
    }
    if (footerLength > MAX_FOOTER_BYTES) {
      return unread(
        `could not read the Parquet footer: its ${formatCount(footerLength)} bytes exceed the limit of ${formatCount(MAX_FOOTER_BYTES)}`,
      );
    }
    footer = decodeFooter(await readAt(fh, size - 8 - footerLength, footerLength));
  } catch (err) {
    if (err instanceof FooterError) return unread(`could not read the Parquet footer: ${err.message}`);
    throw err;
  } finally {
    await fh.close();
  }
  return footerProfile(footer);
}

function footerProfile(footer: Footer): DataProfile {
  const rows = isCount(footer.rows) ? footer.rows : null;
  const noStatistics: string[] = [];
  const nested: string[] = [];
  const columns = topLevelColumns(footer.schema).map((node): ColumnProfile => {
    const { name, repetition } = node.element;
    const isNested = node.children.length > 0 || repetition === REPEATED;
    const count = footer.nullCounts.get(name);
    let nulls: number | null;
    if (rows === 0 || repetition === REQUIRED) nulls = 0;
    else if (isNested) nulls = null;
    else nulls = isCount(count) ? count : null;
    if (isNested) {
      if (nulls === null) nested.push(name);
      return { name, type: 'string', nulls, shape: shapeOf(node, 0) };
    }
    if (nulls === null) noStatistics.push(name);
    const allEmpty = rows !== null && rows > 0 && nulls !== null && nulls >= rows;
    return { name, type: allEmpty ? 'empty' : leafType(node.element), nulls };
  });

  const notes = ['types from the Parquet schema'];
  if (rows === null) notes.push('row count not available for this Parquet file');
  if (nested.length > 0) {
    notes.push(
      `empty counts unknown for nested columns (Parquet counts them per inner field): ${named(nested)}`,
    );
  }
  if (noStatistics.length > 0) {
    notes.push(`empty counts unknown (written without statistics): ${named(noStatistics)}`);
  }
  return { kind: 'parquet', rows, columns, notes };
}

function isCount(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function named(names: string[]): string {
  const shown = names.slice(0, MAX_NAMED).join(', ');
  return names.length > MAX_NAMED ? `${shown} and ${formatCount(names.length - MAX_NAMED)} more` : shown;
}

interface SchemaNode {
  element: SchemaElement;
  children: SchemaNode[];
}

/**
 * The root's children, as trees. The schema is flattened depth-first, each group saying how many children follow;
 * built without recursion, one step per element, whatever the counts claim.
 */
function topLevelColumns(schema: SchemaElement[]): SchemaNode[] {
  if (schema.length === 0) return [];
  const root: SchemaNode = { element: schema[0]!, children: [] };
  // Groups still expecting children, innermost last.
  const parents: { node: SchemaNode; left: number }[] = [{ node: root, left: schema[0]!.numChildren }];
  for (let i = 1; i < schema.length; i++) {
    while (parents.length > 0 && parents[parents.length - 1]!.left <= 0) parents.pop();
    const parent = parents[parents.length - 1];
    if (!parent) break;
    const node: SchemaNode = { element: schema[i]!, children: [] };
    parent.node.children.push(node);
    parent.left -= 1;
    if (node.element.numChildren > 0) parents.push({ node, left: node.element.numChildren });
  }
  return root.children;
}

const LIST_CONVERTED = 3;
const MAP_CONVERTED = [1, 2]; // MAP, MAP_KEY_VALUE
const LIST_LOGICAL = 3;
const MAP_LOGICAL = 2;
/** Nesting shown in a shape; deeper levels read "…". */
const SHAPE_DEPTH = 2;
const MAX_SHAPE_CHARS = 80;

/** `list<text>`, `map<text, integer>`, `struct<city text, zip integer>`, from the schema. */
function shapeOf(node: SchemaNode, depth: number): string {
  const text = inner(node, depth);
  const shape = node.element.repetition === REPEATED ? `list<${text}>` : text;
  return shape.length > MAX_SHAPE_CHARS ? `${shape.slice(0, MAX_SHAPE_CHARS - 1)}…` : shape;
}

function inner(node: SchemaNode, depth: number): string {
  const { element, children } = node;
  if (children.length === 0) return TYPE_LABELS[leafType(element)];
  if (depth >= SHAPE_DEPTH) return '…';
  const child = children[0]!;
  if (element.logicalType === LIST_LOGICAL || element.convertedType === LIST_CONVERTED) {
    // Three levels (list → repeated group → element), or the legacy two (the repeated child is the element).
    const threeLevel =
      child.children.length === 1 &&
      child.element.name !== 'array' &&
      child.element.name !== `${element.name}_tuple`;
    return `list<${threeLevel ? shapeOf(child.children[0]!, depth + 1) : inner(child, depth + 1)}>`;
  }
  if (
    (element.logicalType === MAP_LOGICAL || MAP_CONVERTED.includes(element.convertedType ?? -1)) &&
    child.children.length === 2
  ) {
    const [key, value] = child.children as [SchemaNode, SchemaNode];
    return `map<${shapeOf(key, depth + 1)}, ${shapeOf(value, depth + 1)}>`;
  }
  const fields = children.slice(0, 3).map((c) => `${c.element.name} ${shapeOf(c, depth + 1)}`);
  if (children.length > 3) fields.push('…');
  return `struct<${fields.join(', ')}>`;
}

/** A SchemaElement's logical type, else converted type, else physical type. */
function leafType(element: SchemaElement): ColumnProfile['type'] {
  switch (element.logicalType) {
    case 1: // STRING
    case 4: // ENUM
    case 12: // JSON
    case 13: // BSON
    case 14: // UUID
      return 'string';
    case 5: // DECIMAL
    case 15: // FLOAT16
      return 'number';
    case 6:
      return 'date';
    case 7: // TIME
    case 8: // TIMESTAMP
      return 'datetime';
    case 10:
      return 'integer';
    case 11: // UNKNOWN: always null
      return 'empty';
  }
  const converted = element.convertedType;
  if (converted !== undefined) {
    if (converted === 5) return 'number'; // DECIMAL
    if (converted === 6) return 'date';
    if (converted >= 7 && converted <= 10) return 'datetime'; // TIME_* and TIMESTAMP_*
    if (converted >= 11 && converted <= 18) return 'integer'; // UINT_* and INT_*
    return 'string';
  }
  switch (element.physical) {
    case 0:
      return 'boolean';
    case 1: // INT32
    case 2: // INT64
      return 'integer';
    case 3:
      return 'datetime'; // INT96: legacy timestamps
    case 4: // FLOAT
    case 5: // DOUBLE
      return 'number';
    default:
      return 'string';
  }
}
