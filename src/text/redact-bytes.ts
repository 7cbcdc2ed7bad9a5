import { redactSecrets } from './redact.js';

/**
 * The same bytes when nothing was redacted. UTF-8 is decoded strictly (BOM kept) so the bytes round-trip; anything
 * else is read as Latin-1, which maps every byte to one character and back, and the patterns are ASCII.
 */
export function redactTextBytes(bytes: Buffer): Buffer {
  let text: string;
  let encoding: 'utf8' | 'latin1' = 'utf8';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    encoding = 'latin1';
    text = bytes.toString('latin1');
  }
  const redacted = redactSecrets(text);
  return redacted === text ? bytes : Buffer.from(redacted, encoding);
}
