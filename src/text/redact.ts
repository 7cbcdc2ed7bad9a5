/**
 * Best-effort removal of credentials from text before it is posted to Slack or stored.
 * Patterns are deliberately specific (known prefixes, explicit key names) so that ordinary data
 * such as numbers, CSV rows or prose about "token counts" passes through untouched.
 */

/** Key names whose values are treated as secrets; the name must END with one of these words. */
const SECRET_KEY_NAME = String.raw`[\w.-]*?(?:password|passwd|secret|token|(?:api|access|secret|private|client|signing)[_-]?key)`;
/** A quoted string or a bare value running up to whitespace, a quote or a delimiter. */
const VALUE = String.raw`"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"'\`,;&()[\]{}<>]+`;
const MIN_SECRET_LENGTH = 8;

// Order matters: specific prefixes first, so `sk-ant-` is not reported as an OpenAI key and
// generic assignments see an already-redacted value (which they skip).
// Lookbehinds keep the context (header or variable name) visible while only the value is replaced.
const RULES: { pattern: RegExp; kind: string }[] = [
  // A block with no END line (e.g. truncated output) is redacted to the end of the text.
  {
    pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    kind: 'private key',
  },
  {
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[\w/-]+/g,
    kind: 'slack webhook',
  },
  { pattern: /\b(?:xoxe\.)?xox[abeprs]-[A-Za-z0-9-]{10,}/g, kind: 'slack token' },
  { pattern: /\bxapp-\d+-[A-Za-z0-9-]{10,}/g, kind: 'slack app token' },
  { pattern: /\bsk-ant-[\w-]{10,}/g, kind: 'anthropic key' },
  // Requiring a digit keeps hyphenated words like "sk-learn-compatible-…" intact.
  { pattern: /\bsk-(?=[\w-]*\d)[\w-]{20,}/g, kind: 'openai key' },
  { pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, kind: 'aws access key id' },
  {
    pattern: /(?<=aws_secret_access_key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi,
    kind: 'aws secret key',
  },
  { pattern: /\b(?:gh[opsur]_[A-Za-z0-9]{20,}|github_pat_\w{20,})/g, kind: 'github token' },
  {
    pattern: /(?<=\bAuthorization["']?\s*[:=]\s*["']?(?:Bearer|Basic)\s+)[\w.~+/=-]{8,}/gi,
    kind: 'authorization',
  },
];

// KEY=value: env files, shell, URL query strings, keyword arguments.
const ASSIGNMENT = new RegExp(String.raw`(?<![\w.-])(${SECRET_KEY_NAME}\s*=\s*)(${VALUE})`, 'gi');
// "key": "value": JSON and Python dicts. Only quoted keys, so prose like "the secret: …" survives.
const QUOTED_KEY = new RegExp(String.raw`((["'])${SECRET_KEY_NAME}\2\s*:\s*)(${VALUE})`, 'gi');
const SECRET_KEY_ONLY = new RegExp(`^${SECRET_KEY_NAME}$`, 'i');

export function redactSecrets(text: string): string {
  let out = text;
  for (const { pattern, kind } of RULES) out = out.replace(pattern, `[redacted ${kind}]`);
  out = out.replace(ASSIGNMENT, (match, prefix: string, value: string, offset: number, whole: string) =>
    // A bare value followed by `(` or `[` is code (`password=getpass()`), not a literal secret.
    /[([]/.test(whole[offset + match.length] ?? '') ? match : prefix + redactValue(value),
  );
  return out.replace(
    QUOTED_KEY,
    (_match, prefix: string, _quote: string, value: string) => prefix + redactValue(value),
  );
}

/** Redacts every string in a JSON-like value, plus string values stored under secret-looking keys. */
export function redactDeep<T>(value: T): T {
  return deep(value) as T;
}

function deep(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(deep);
  if (!isPlainObject(value)) return value;
  // fromEntries defines own properties, so a "__proto__" key from JSON.parse stays plain data.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      typeof item === 'string' && SECRET_KEY_ONLY.test(key) && isSecretValue(item)
        ? '[redacted secret]'
        : deep(item),
    ]),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Replaces an assignment's value, keeping its quotes so JSON and code stay well-formed. */
function redactValue(value: string): string {
  const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
  const inner = quote ? value.slice(1, -1) : value;
  return isSecretValue(inner) ? `${quote}[redacted secret]${quote}` : value;
}

function isSecretValue(value: string): boolean {
  return (
    value.length >= MIN_SECRET_LENGTH &&
    !/^[\d\s.,:+-]*$/.test(value) && // numbers, dates, counts
    !value.startsWith('[redacted') && // already handled by a specific rule
    !/^(?:\$|process\.env\b|os\.environ\b|os\.getenv\b)/.test(value) // references, not values
  );
}
