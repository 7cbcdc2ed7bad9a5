/** How counts, plurals and errors are worded in profile notes and the receipt. */
import { plural as pluralOf } from '../../text/wording.js';

/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 row`, `1,250 rows`. */
export function plural(n: number, word: string): string {
  return pluralOf(n, word, formatCount);
}

/** A short reason for a note: system error codes as they are, damage in plain words. */
export function errorText(err: unknown): string {
  const code =
    err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (code.startsWith('Z_')) return 'damaged compressed data';
  if (code === 'ERR_OUT_OF_RANGE') return 'damaged file structure';
  if (code) return code;
  return err instanceof Error ? err.message : String(err);
}
