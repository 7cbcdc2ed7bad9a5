/**
 * Best-effort removal of credentials from text before it is posted to Slack or stored.
 * Patterns are deliberately specific (known prefixes, explicit key names) so that ordinary data
 * such as numbers, CSV rows or prose about "token counts" passes through untouched.
 */

/** Key names whose values are treated as secrets; the name must END with one of these words. */
const SECRET_KEY_NAME = String.raw`[\w.-]{0,100}?(?:password|passwd|secret|token|(?:api|access|secret|private|client|signing)[_-]?key)`;
/** A quoted string or a bare value running up to whitespace, a quote or a delimiter. */
const VALUE = String.raw`"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"'\`,;&()[\]{}<>]+`;
const MIN_SECRET_LENGTH = 8;

// Every pattern stays linear in its input (the text can be a whole output file): one character class per
// quantifier, classes that do not overlap the literal that follows, and bounded repeats where a scan could restart.
// Order matters: specific prefixes first, so `sk-ant-` is not reported as an OpenAI key and
// generic assignments see an already-redacted value (which they skip).
// Lookbehinds keep the context (header or variable name) visible while only the value is replaced.
const RULES: { pattern: RegExp; kind: string }[] = [
  // PEM (RSA, EC, DSA, OpenSSH, encrypted PKCS#8, …) and PGP private key blocks. A block with no END line
  // (e.g. output cut short upstream) is redacted to the end of the text.
  {
    pattern:
      /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
    kind: 'private key',
  },
  { pattern: /\bPuTTY-User-Key-File-\d: [\s\S]*?(?:Private-MAC: [0-9a-f]{1,128}|$)/g, kind: 'private key' },
  {
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[\w/-]{1,200}/g,
    kind: 'slack webhook',
  },
  { pattern: /\b(?:xoxe\.)?xox[abcdeprs]-[A-Za-z0-9-]{10,500}/g, kind: 'slack token' },
  { pattern: /\bxapp-\d{1,20}-[A-Za-z0-9-]{10,500}/g, kind: 'slack app token' },
  { pattern: /\bsk-ant-[\w-]{10,500}/g, kind: 'anthropic key' },
  { pattern: /\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,250}/g, kind: 'stripe key' },
  { pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, kind: 'aws access key id' },
  {
    pattern: /(?<=aws_secret_access_key["']?\s{0,8}[:=]\s{0,8}["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi,
    kind: 'aws secret key',
  },
  { pattern: /\b(?:gh[opsur]_[A-Za-z0-9]{20,255}|github_pat_\w{20,255})/g, kind: 'github token' },
  { pattern: /\bglpat-[\w-]{20,255}/g, kind: 'gitlab token' },
  { pattern: /\bAIza[\w-]{35}(?![\w-])/g, kind: 'google api key' },
  {
    pattern: /(?<=\bAuthorization["']?\s{0,8}[:=]\s{0,8}["']?(?:Bearer|Basic)\s{1,8})[\w.~+/=-]{8,8000}/gi,
    kind: 'authorization',
  },
  // header.payload.signature, both JSON parts base64url of `{"` (eyJ); the signature may be empty (alg none).
  { pattern: /\beyJ[\w-]{5,8000}\.eyJ[\w-]{5,8000}\.[\w-]{0,8000}/g, kind: 'jwt' },
];

const OPENAI_KEY = /\bsk-[\w-]{20,500}/g;
// scheme://user:password@host: only the password goes; the user and host stay readable.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@]{0,256}:)([^\s/@]{1,256})(?=@)/gi;
// KEY=value: env files, shell, URL query strings, keyword arguments.
const ASSIGNMENT = new RegExp(String.raw`(?<![\w.-])(${SECRET_KEY_NAME}\s{0,16}=\s{0,16})(${VALUE})`, 'gi');
// "key": "value": JSON and Python dicts. Only quoted keys, so prose like "the secret: …" survives.
const QUOTED_KEY = new RegExp(String.raw`((["'])${SECRET_KEY_NAME}\2\s{0,16}:\s{0,16})(${VALUE})`, 'gi');
const SECRET_KEY_ONLY = new RegExp(`^${SECRET_KEY_NAME}$`, 'i');

export function redactSecrets(text: string): string {
  let out = text;
  for (const { pattern, kind } of RULES) out = out.replace(pattern, `[redacted ${kind}]`);
  // Requiring a digit keeps hyphenated words like "sk-learn-compatible-…" intact. Checked here rather than in a
  // lookahead, which would rescan up to 500 characters at every "sk-" of a long run.
  out = out.replace(OPENAI_KEY, (match) => (/\d/.test(match) ? '[redacted openai key]' : match));
  out = out.replace(URL_PASSWORD, (match, prefix: string, password: string) =>
    // `${DB_PASSWORD}`, `%s`, `****`: placeholders, not passwords.
    /^(?:[$%{]|\*+$|\[redacted)/.test(password) ? match : `${prefix}[redacted password]`,
  );
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
