/**
 * XLSX bytes built in the tests: a real zip (deflated entries, CRCs, central directory) with the parts Excel
 * writes. Shared by the profile tests; hostile parts are generated, never committed.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** An entry given already deflated (for inputs too large to build), with its inflated size. */
export interface Deflated {
  deflated: Buffer;
  size: number;
}

export function zip(files: Record<string, string | Buffer | Deflated>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const given = typeof content === 'object' && 'deflated' in content ? content : null;
    const data = given ? null : Buffer.from(content as string | Buffer);
    const packed = given ? given.deflated : deflateRawSync(data as Buffer);
    const size = given ? given.size : (data as Buffer).length;
    const crc = data ? crc32(data) : 0;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size % 2 ** 32, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size % 2 ** 32, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * `head`, then `repeat` repeated `times` times, deflated without ever holding the whole text: the repeated part
 * is one self-contained deflate segment (full flush) written `times / perSegment` times. Zip bombs are made so.
 */
export function deflatedRepeat(head: string, repeat: string, times: number, perSegment = 100_000): Deflated {
  const full = { finishFlush: constants.Z_FULL_FLUSH };
  const segment = deflateRawSync(Buffer.from(repeat.repeat(perSegment)), full);
  const count = Math.ceil(times / perSegment);
  const parts = [deflateRawSync(Buffer.from(head), full), ...Array<Buffer>(count).fill(segment)];
  parts.push(deflateRawSync(Buffer.alloc(0))); // the final (empty) block
  return { deflated: Buffer.concat(parts), size: head.length + repeat.length * perSegment * count };
}

export const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
export const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

export function workbook(
  sheets: { name: string; target: string }[],
  parts: Record<string, string | Buffer | Deflated>,
): Buffer {
  const sheetTags = sheets.map((s, i) => `<sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 5}"/>`);
  const rels = sheets.map(
    (s, i) => `<Relationship Id="rId${i + 5}" Type="${REL_NS}/worksheet" Target="${s.target}"/>`,
  );
  return zip({
    '[Content_Types].xml': '<?xml version="1.0"?><Types/>',
    'xl/workbook.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>${sheetTags.join('')}</sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`,
    ...parts,
  });
}
