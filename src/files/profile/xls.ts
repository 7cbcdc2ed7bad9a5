/**
 * .xls: legacy binary (BIFF) workbooks are not parsed, but many .xls files are really XLSX or delimited text, and
 * those are read as such.
 */
import { readHead } from './bytes.js';
import { profileDelimited } from './delimited.js';
import type { DataProfile } from './profile.js';
import { isCompoundFile, profileXlsx } from './xlsx.js';
import { isZip } from './zip.js';

export async function profileXls(path: string, maxRows: number): Promise<DataProfile> {
  const unread = (note: string): DataProfile => ({ kind: 'xls', rows: null, columns: [], notes: [note] });
  const { head } = await readHead(path, 512);
  if (isZip(head)) {
    const profile = await profileXlsx(path, 'xls', maxRows);
    return { ...profile, notes: ['this .xls file is an XLSX workbook', ...profile.notes] };
  }
  if (isCompoundFile(head))
    return unread('Excel 97–2003 workbook: rows and columns are not read before analysis');
  const markup = head.toString('latin1').trimStart().startsWith('<');
  if (head.length > 0 && !head.includes(0) && !markup) {
    // Many "Excel exports" are delimited text named .xls.
    const profile = await profileDelimited(path, 'xls', maxRows);
    return { ...profile, notes: ['this .xls file is text, read as delimited text', ...profile.notes] };
  }
  const what = markup ? 'an HTML or XML page' : 'an unknown format';
  return unread(`this .xls file is ${what}, not a binary Excel workbook`);
}
