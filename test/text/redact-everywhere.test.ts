/**
 * Redaction before truncation, in every place that shows an excerpt, the new secret shapes, output files, and the
 * one safe-name function. Pure functions only; the end-to-end view is test/e2e/safety.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CodeRun } from '../../src/domain.js';
import { safeFileName as policySafeFileName } from '../../src/files/policy.js';
import { formatReceipt } from '../../src/files/profile/receipt.js';
import type { Answer } from '../../src/ports.js';
import { renderProgress, stepLabel } from '../../src/slack/progress.js';
import { composeAnswer } from '../../src/slack/reply.js';
import { renderRun } from '../../src/slack/show-code.js';
import { fileNameMarkdown, safeFileName, slackFileName } from '../../src/text/names.js';
import { redactSecrets } from '../../src/text/redact.js';
import { MAX_REDACTED_FILE_BYTES, redactOutputFile } from '../../src/text/redact-file.js';

// Fake credentials in the real shapes (none of them valid anywhere).
const SLACK_TOKEN = 'xoxb-2468013579-1357924680-AbCdEfGhIjKlMnOpQrStUvWx';
const GITHUB_TOKEN = 'ghp_R2d2C3poBb8Ewok1Yoda9Lando0Han5Solo7';
const RSA_BODY = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun';

const run = (over: Partial<CodeRun> = {}): CodeRun => ({
  toolUseId: 'srvtoolu_1',
  kind: 'bash',
  input: 'python report.py',
  stdout: '',
  stderr: '',
  returnCode: 0,
  errorCode: null,
  outputFileIds: [],
  failed: false,
  ...over,
});

const answer = (runs: CodeRun[]): Answer => ({
  turnId: 't1',
  markdown: 'Done.',
  runs,
  notices: [],
  outputs: [],
  allowedUserIds: [],
  retryable: false,
});

/** A line that a `maxChars` tail cuts `into` characters into the token at its end. */
const straddling = (token: string, maxChars: number, into: number) =>
  `${'p'.repeat(maxChars - 2 + into - token.length)} ${token}`;

describe('excerpts are redacted before they are cut', () => {
  it('the answer’s stdout summary does not show the rest of a token whose prefix fell outside the excerpt', () => {
    const line = straddling(SLACK_TOKEN, 1_200, 3); // the excerpt starts at "b-2468…"
    const text = composeAnswer(answer([run({ stdout: `header\n${line}\n` })]));
    expect(text).toContain('Ran code 1 time');
    expect(text).not.toContain('2468013579');
    expect(text).not.toContain('AbCdEfGh');
  });

  it('the stderr tail of a failed run does not either', () => {
    const line = straddling(GITHUB_TOKEN, 300, 4); // the excerpt starts after "ghp_"
    const text = composeAnswer(answer([run({ stderr: line, returnCode: 1, failed: true })]));
    expect(text).toContain('1 of 1 code run failed');
    expect(text).not.toContain('R2d2C3po');
  });

  it('a private key whose BEGIN line is far above the excerpt is not shown', () => {
    const stdout = `-----BEGIN RSA PRIVATE KEY-----\n${`${RSA_BODY}\n`.repeat(40)}-----END RSA PRIVATE KEY-----\n`;
    expect(composeAnswer(answer([run({ stdout })]))).not.toContain(RSA_BODY);
  });

  it('a progress step label cut at 50 characters does not show a token cut in half', () => {
    const code = `client = WebClient(token="${SLACK_TOKEN}")  # fifty characters end inside the token`;
    const label = stepLabel('python', code);
    expect(label).not.toMatch(/xoxb|2468013579/);
    const blocks = JSON.stringify(renderProgress([{ id: 's1', label, status: 'running' }], 'working', 'C|1'));
    expect(blocks).not.toContain('xoxb');
  });

  it('a file being written is named safely in its step label', () => {
    expect(stepLabel('file_edit', `create /tmp/out/${SLACK_TOKEN}\u202Egnp.csv\nx`)).toBe(
      'Writing [redacted slack token]gnp.csv',
    );
  });

  it('an upload receipt redacts a column name before shortening it', () => {
    const receipt = formatReceipt('keys.csv', 100, {
      kind: 'csv',
      rows: 1,
      columns: [{ name: `${'x'.repeat(30)} ${SLACK_TOKEN}`, type: 'string', nulls: 0 }],
      notes: [],
    });
    expect(receipt).toContain(' [redacte…'); // the 40-character cut falls inside the placeholder
    expect(receipt).not.toMatch(/xoxb|2468/);
  });

  it('show code redacts code and output before its tails, and in the full run file', () => {
    const stdout = `${'row\n'.repeat(50)}${straddling(SLACK_TOKEN, 3_000, 3)}\n`;
    const { markdown, file } = renderRun(run({ input: `echo ${GITHUB_TOKEN}`, stdout }), 1);
    expect(markdown).not.toMatch(/2468013579|R2d2C3po/);
    expect(file?.content).toBeDefined();
    expect(file!.content).not.toMatch(/2468013579|R2d2C3po/);
    expect(file!.content).toContain('[redacted slack token]');
  });
});

describe('secret shapes', () => {
  it.each([
    [
      'PGP',
      '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGZ1c2VyAQgA3q7kL9\n=Tm9u\n-----END PGP PRIVATE KEY BLOCK-----',
    ],
    [
      'OpenSSH',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----',
    ],
    [
      'EC',
      '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBn\n-----END EC PRIVATE KEY-----',
    ],
    [
      'DSA',
      '-----BEGIN DSA PRIVATE KEY-----\nMIIBuwIBAAKBgQDx2w0wbV8dXuvAkq3b\n-----END DSA PRIVATE KEY-----',
    ],
    [
      'encrypted PKCS#8',
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\n-----END ENCRYPTED PRIVATE KEY-----',
    ],
  ])('removes a whole %s private key block, keeping the text around it', (_kind, block) => {
    const out = redactSecrets(`before\n${block}\nafter`);
    expect(out).toBe('before\n[redacted private key]\nafter');
  });

  it('removes a PGP key cut off before its END line, to the end of the text', () => {
    expect(redactSecrets('key:\n-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBGZ1c2VyAQgA3q7kL9')).toBe(
      'key:\n[redacted private key]',
    );
  });

  it.each([
    ['github classic', GITHUB_TOKEN, 'github token'],
    ['github fine-grained', 'github_pat_11ABCDEFG0abcdefghijkl_MNOPqrstuvWXYZ0123456789', 'github token'],
    ['gitlab', 'glpat-Xy9zAbCdEfGhIjKlMnOp', 'gitlab token'],
    ['google api key', 'AIzaSyD4-abcdefghijklmnopqrstuvwxyz0123', 'google api key'],
    ['stripe live', 'sk_live_51HaBcDeFgHiJkLmNoPqRsTu', 'stripe key'],
    ['stripe restricted', 'rk_live_51HaBcDeFgHiJkLmNoPqRsTu', 'stripe key'],
    ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'jwt'],
    [
      'slack webhook',
      'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'slack webhook',
    ],
  ])('redacts a %s', (_name, secret, kind) => {
    expect(redactSecrets(`value: ${secret} (end)`)).toBe(`value: [redacted ${kind}] (end)`);
  });

  it('redacts the password of a URL, keeping the user and host readable', () => {
    expect(
      redactSecrets('engine = create_engine("postgresql://analyst:S3cr3t!pw@db.internal:5432/sales")'),
    ).toBe('engine = create_engine("postgresql://analyst:[redacted password]@db.internal:5432/sales")');
    expect(redactSecrets('https://bot:ab12@example.com/x')).toBe(
      'https://bot:[redacted password]@example.com/x',
    );
  });

  it('leaves look-alikes alone: ports, user-only URLs, placeholders, public keys, prose', () => {
    const text = [
      'http://localhost:8080/api and https://analyst@example.com/x',
      'postgresql://analyst:$' + '{DB_PASSWORD}@db/sales', // a shell placeholder, not a password
      '-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQENBFake\n-----END PGP PUBLIC KEY BLOCK-----',
      'sk_test is a column; AIza is a prefix; eyJ alone is not a token; glpat- too',
      'order_id,amount\n1001,19.99',
    ].join('\n');
    expect(redactSecrets(text)).toBe(text);
  });

  it('stays linear on long adversarial inputs (each 1 MB finishes, and in well under a second)', () => {
    const n = 1_000_000;
    const inputs = [
      'a'.repeat(n),
      `-----BEGIN ${'A '.repeat(n / 2)}`,
      '-----BEGIN PGP PRIVATE KEY BLOCK-----'.repeat(n / 38),
      `-----BEGIN RSA PRIVATE KEY-----${'-----END RSA '.repeat(n / 13)}`,
      'xoxb-'.repeat(n / 5),
      'sk-'.repeat(n / 3),
      'password='.repeat(n / 9),
      '"password":'.repeat(n / 11),
      `password${' '.repeat(n)}`,
      `http://${'a:'.repeat(n / 2)}`,
      'a://b:'.repeat(n / 6),
      `eyJ${'a.eyJ'.repeat(n / 5)}`,
      'Authorization: Bearer '.repeat(n / 22),
      `${'1'.repeat(n)}x`,
    ];
    const started = performance.now();
    for (const input of inputs) redactSecrets(input);
    // Generous: about 1 s in all on a shared 2-core machine; a backtracking pattern takes minutes.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('output files', async () => {
  const csv = (text: string) => ({ fileName: 'report.csv', mimeType: 'text/csv', bytes: Buffer.from(text) });

  it('redacts secrets inside a text file and says so', async () => {
    const { file, notice } = await redactOutputFile(csv(`service,token\nslack,${SLACK_TOKEN}\n`));
    expect(file?.bytes.toString()).toBe('service,token\nslack,[redacted slack token]\n');
    expect(notice).toBe('🔒 Secrets in **report.csv** were redacted before posting.');
  });

  it('keeps a clean text file byte for byte, BOM and Latin-1 included', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n1,2\n')]);
    expect((await redactOutputFile({ ...csv(''), bytes: bom })).file?.bytes).toBe(bom);
    const latin1 = Buffer.from('caf\xe9,1\n', 'latin1');
    const redacted = await redactOutputFile({
      ...csv(''),
      bytes: Buffer.concat([latin1, Buffer.from(SLACK_TOKEN)]),
    });
    expect(redacted.file?.bytes).toEqual(Buffer.concat([latin1, Buffer.from('[redacted slack token]')]));
  });

  it.each([
    ['data.json', 'application/json'],
    ['notes.md', 'text/markdown'],
    ['page.html', 'text/html'],
    ['feed.xml', 'application/xml'],
    ['cfg.yaml', 'application/octet-stream'],
    ['run.log', 'application/octet-stream'],
    ['table.tsv', 'text/tab-separated-values'],
  ])('treats %s as text', async (fileName, mimeType) => {
    const { file } = await redactOutputFile({ fileName, mimeType, bytes: Buffer.from(`k: ${GITHUB_TOKEN}`) });
    expect(file?.bytes.toString()).toBe('k: [redacted github token]');
  });

  it('posts binary files as they are', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from(SLACK_TOKEN)]);
    const { file, notice } = await redactOutputFile({
      fileName: 'chart.png',
      mimeType: 'image/png',
      bytes: png,
    });
    expect(file?.bytes).toBe(png);
    expect(notice).toBeUndefined();
  });

  it('flags a text file too large to redact in memory instead of posting it silently', async () => {
    const big = Buffer.alloc(MAX_REDACTED_FILE_BYTES + 1, 'a');
    const { file, notice } = await redactOutputFile({ ...csv(''), bytes: big });
    expect(file?.bytes).toBe(big);
    expect(notice).toBe('⚠️ **report.csv** is over 50 MB, so it was posted without checking it for secrets.');
  });

  it('redacts a file large enough to go to the worker thread, and leaves a clean one byte for byte', async () => {
    const rows = 'region,revenue\nnorth,120\n'.repeat(40_000);
    const clean = Buffer.from(rows);
    expect(clean.length).toBeGreaterThan(512 * 1024);
    expect((await redactOutputFile({ ...csv(''), bytes: clean })).file?.bytes).toBe(clean);
    const secret = Buffer.from(`${rows}api,${SLACK_TOKEN}\n${rows}`);
    const { file, notice } = await redactOutputFile({ ...csv(''), bytes: secret });
    expect(file?.bytes.toString()).toBe(`${rows}api,[redacted slack token]\n${rows}`);
    expect(notice).toBe('🔒 Secrets in **report.csv** were redacted before posting.');
  });

  it('redacts and cleans the name of every output file, binary or not', async () => {
    const name = `${SLACK_TOKEN}_\u202Egnp.exe`;
    expect(
      (await redactOutputFile({ fileName: name, mimeType: 'image/png', bytes: Buffer.alloc(1) })).file
        ?.fileName,
    ).toBe('[redacted slack token]_gnp.exe');
    // An invisible character inside the token does not hide it from the patterns.
    expect(slackFileName(`xoxb-2468\u200F013579-1357924680.csv`)).toBe('[redacted slack token].csv');
  });
});

describe('safe names', () => {
  it('is one function: the policy hands the Files API the same cleaning', () => {
    expect(policySafeFileName).toBe(safeFileName);
  });

  it('drops bidi controls so a name reads as what it is', () => {
    for (const mark of [
      '\u202E',
      '\u202D',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200E',
      '\u200F',
      '\u061C',
    ]) {
      expect(safeFileName(`report${mark}vsc.exe`)).toBe('reportvsc.exe');
    }
  });

  it('cannot inject Markdown, links or mentions into a message', () => {
    const shown = fileNameMarkdown('q1\n# Heading\n[click](evil.example)*bold*_x_~y~`z`.csv');
    expect(shown).not.toContain('\n');
    expect(shown).toBe('q1\\# Heading\\[click\\](evil.example)\\_bold\\_\\_x\\_\\~y\\~\\`z\\`.csv');
    expect(fileNameMarkdown('<!here> <@U04ANALYST7>.csv')).toBe('\\_!here\\_ \\_@U04ANALYST7\\_.csv');
    expect(fileNameMarkdown('@channel & co.csv')).toBe('@\u2060channel &amp; co.csv');
    expect(fileNameMarkdown('nul\u0000and\u0007bell.csv')).toBe('nulandbell.csv');
  });

  it('shortens a long name in the middle, after redaction, keeping the extension', () => {
    // Cut first, the kept end would be "…nOpQrStUvWx.csv": the token's tail without its prefix.
    const shown = fileNameMarkdown(`${'x'.repeat(100)} ${SLACK_TOKEN}.csv`, 60);
    expect(Array.from(shown).length).toBeLessThanOrEqual(60 + 1); // plus the escape of `]`
    expect(shown.endsWith('token\\].csv')).toBe(true);
    expect(shown).not.toMatch(/UvWx|2468013579/);
  });

  it('is what the upload receipt and the output names use', () => {
    const profile = { kind: 'csv', rows: 1, columns: [], notes: [] } as unknown as Parameters<
      typeof formatReceipt
    >[2];
    expect(formatReceipt('report\u202Evsc.exe', 10, profile)).toMatch(/^📎 \*\*reportvsc\.exe\*\*/);
    expect(slackFileName('a/b/..\u202E.csv')).toBe('file.csv');
  });
});
