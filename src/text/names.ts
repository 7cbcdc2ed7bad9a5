/**
 * File names from people, Slack and the sandbox, made safe: one cleaning for every name the bot sends to the Files
 * API or shows in Slack, so what people read is what the file is called.
 */
import { neutraliseMentions } from './mentions.js';
import { redactSecrets } from './redact.js';

const MAX_NAME_BYTES = 255;
/** An extension longer than this is treated as part of the stem when truncating. */
const MAX_EXTENSION_CHARS = 16;
// Control characters (C0 incl. NUL and newlines, DEL, C1) and bidi controls (embeddings, overrides, isolates,
// LRM/RLM, the Arabic letter mark): they can make `report\u202Ecsv.exe` read "reportexe.csv".
const INVISIBLE = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
// Characters the Files API rejects in filenames; `<` and `>` would also open Slack mention and link syntax.
const FORBIDDEN = /[<>:"|?*\\/]/g;

/**
 * A filename the Files API and the container's file system accept: the last path component only, no control or
 * bidi characters, none of `< > : " | ? * \ /` (replaced by `_`), no leading dots (hidden in `ls`), at most 255
 * UTF-8 bytes (so also at most 255 characters) with the extension kept, and never empty (`.csv` → `file.csv`).
 */
export function safeFileName(name: string): string {
  const cleaned = cleanName(name);

  const dot = cleaned.lastIndexOf('.');
  const extensionChars = cleaned.length - dot - 1;
  const hasExtension = dot >= 0 && extensionChars > 0 && extensionChars <= MAX_EXTENSION_CHARS;
  const extension = hasExtension ? cleaned.slice(dot) : '';
  const stem = (hasExtension ? cleaned.slice(0, dot) : cleaned).replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');

  const stemBudget = MAX_NAME_BYTES - Buffer.byteLength(extension);
  return (truncateUtf8(stem, stemBudget) || 'file') + extension;
}

/**
 * A name the bot posts back to Slack (an output file's name and title): safe as above, with any secret in it
 * redacted. Invisible characters go before redacting (so they cannot split a token past the patterns), and the
 * length cut comes after it (so it cannot cut a token's prefix off).
 */
export function slackFileName(name: string): string {
  return safeFileName(redactSecrets(cleanName(name)));
}

/** The last path component without invisible or forbidden characters; not yet shortened. */
function cleanName(name: string): string {
  const lastComponent = name.split(/[\\/]/).pop() ?? '';
  return lastComponent.normalize('NFC').replace(INVISIBLE, '').replace(FORBIDDEN, '_').trim();
}

/** Characters of a long name kept after the cut, so its extension stays visible. */
const KEPT_END_CHARS = 16;

/**
 * A name inside Markdown or mrkdwn text (receipts, notices, "X was not used because …"): `slackFileName`, shortened
 * in the middle to `maxChars` (after redaction, so a cut cannot hide a token's prefix), then Markdown syntax escaped
 * with backslashes, `&` as Slack's `&amp;`, and `@here`-style words neutralised: a name can neither format, link nor
 * ping.
 */
export function fileNameMarkdown(name: string, maxChars = 120): string {
  const chars = Array.from(slackFileName(name));
  const short =
    chars.length <= maxChars
      ? chars.join('')
      : `${chars.slice(0, maxChars - 1 - KEPT_END_CHARS).join('')}…${chars.slice(-KEPT_END_CHARS).join('')}`;
  const escaped = short
    .replace(/[\\`*_~[\]#|]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  return neutraliseMentions(escaped, { allowedUserIds: new Set() });
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, never splitting a code point. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end).trimEnd();
}
