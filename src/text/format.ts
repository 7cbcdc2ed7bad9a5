/** Short numbers and text for people: token counts, file sizes, one-line snippets. */

/** `950`, `12.3k`, `12k`, `2.6M`. */
export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${trimZero((n / 1_000_000).toFixed(1))}M`;
  if (n >= 1_000) return `${trimZero((n / 1_000).toFixed(1))}k`;
  return String(n);
}
const trimZero = (s: string) => s.replace(/\.0$/, '');

/** Bytes in binary units: `512 B`, `48 KB`, `1.5 MB`, `200 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = value < 10 && unit > 0 ? Math.round(value * 10) / 10 : Math.max(1, Math.round(value));
  return `${shown} ${units[unit]}`;
}

/** Whitespace folded to single spaces, cut to `maxChars` with an ellipsis. */
export function oneLine(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}
