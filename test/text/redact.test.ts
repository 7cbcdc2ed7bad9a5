import { describe, expect, it } from 'vitest';
import { redactDeep, redactSecrets } from '../../src/text/redact.js';

// Fake credentials are assembled at runtime so no credential-shaped literal is committed.
const j = (...parts: string[]) => parts.join('');
const slackBot = j('xoxb-', '123456789012-1234567890123-', 'AbCdEfGhIjKlMnOpQrStUvWx');
const slackUser = j('xoxp-', '123456789012-1234567890123-', '1234567890123-0123456789abcdef0123456789abcdef');
const slackRotating = j('xoxe.', 'xoxp-', '1-Mi0yLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkw');
const slackApp = j('xapp-', '1-A0123456789-1234567890123-', '0123456789abcdef0123456789abcdef');
const webhook = j('https://hooks.slack.com/services/', 'T00000000/B00000000/', 'XXXXXXXXXXXXXXXXXXXXXXXX');
const anthropic = j('sk-ant-', 'api03-', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ-abcdefAA');
const openai = j('sk-', 'proj-', 'Abc123Def456Ghi789Jkl012Mno345Pqr678');
const awsId = j('AKIA', 'IOSFODNN7EXAMPLE');
const awsSecret = j('wJalrXUtnFEMI/', 'K7MDENG/bPxRfiCY', 'EXAMPLEKEY');
const github = j('ghp_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8');
const githubPat = j('github_pat_', '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123');
const jwt = j('eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiIxMjM0In0', '.abcDEF123_-xyz');

describe('redactSecrets', () => {
  it('removes a Slack bot token from program output', () => {
    const out = redactSecrets(`connecting with ${slackBot}\nok`);
    expect(out).not.toContain(slackBot);
    expect(out).not.toContain('AbCdEfGhIjKl');
    expect(out).toBe('connecting with [redacted slack token]\nok');
  });

  it.each([
    ['Slack user token', slackUser, 'slack token'],
    ['rotating Slack token', slackRotating, 'slack token'],
    ['Slack app token', slackApp, 'slack app token'],
    ['Slack webhook', webhook, 'slack webhook'],
    ['Anthropic key', anthropic, 'anthropic key'],
    ['OpenAI key', openai, 'openai key'],
    ['AWS access key id', awsId, 'aws access key id'],
    ['GitHub token', github, 'github token'],
    ['GitHub fine-grained token', githubPat, 'github token'],
  ])('redacts a %s', (_name, secret, kind) => {
    const out = redactSecrets(`before ${secret} after`);
    expect(out).toBe(`before [redacted ${kind}] after`);
  });

  it('redacts the value of an AWS secret key assignment but keeps the name', () => {
    const out = redactSecrets(`aws_secret_access_key = ${awsSecret}\nregion = eu-west-1`);
    expect(out).not.toContain(awsSecret);
    expect(out).toBe('aws_secret_access_key = [redacted aws secret key]\nregion = eu-west-1');
  });

  it('redacts Authorization header values in curl output and Python dicts', () => {
    expect(redactSecrets(`> Authorization: Bearer ${jwt}\n> Accept: */*`)).toBe(
      '> Authorization: Bearer [redacted authorization]\n> Accept: */*',
    );
    const out = redactSecrets(`headers = {"Authorization": "Bearer ${jwt}"}`);
    expect(out).toBe('headers = {"Authorization": "Bearer [redacted authorization]"}');
  });

  it('redacts a multi-line PEM private key block, and a truncated one to the end', () => {
    const body = j('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n', 'BKcwggSjAgEAAoIBAQC7\n');
    const pem = `-----BEGIN RSA ${'PRIVATE KEY'}-----\n${body}-----END RSA ${'PRIVATE KEY'}-----`;
    expect(redactSecrets(`key:\n${pem}\ndone`)).toBe('key:\n[redacted private key]\ndone');
    const truncated = `-----BEGIN ${'PRIVATE KEY'}-----\n${body}…output truncated`;
    expect(redactSecrets(`key:\n${truncated}`)).toBe('key:\n[redacted private key]');
  });

  it('redacts env-style and JSON-style secret assignments, keeping JSON valid', () => {
    const env = redactSecrets(
      `DB_HOST=db.internal\nDB_PASSWORD=correct-horse-battery\nSLACK_SIGNING_SECRET=${'8f14e45f'.repeat(4)}`,
    );
    expect(env).toBe(
      'DB_HOST=db.internal\nDB_PASSWORD=[redacted secret]\nSLACK_SIGNING_SECRET=[redacted secret]',
    );

    const json = redactSecrets(
      '{"user": "etl", "password": "correct-horse-battery", "api_key": "abcd1234efgh5678"}',
    );
    expect(JSON.parse(json)).toEqual({
      user: 'etl',
      password: '[redacted secret]',
      api_key: '[redacted secret]',
    });

    expect(redactSecrets("connect(password='correct-horse-battery')")).toBe(
      "connect(password='[redacted secret]')",
    );
    expect(redactSecrets('GET /export?access_token=abcdef0123456789&page=2')).toBe(
      'GET /export?access_token=[redacted secret]&page=2',
    );
  });

  it('does not touch CSV data, numbers or prose about tokens', () => {
    const harmless = [
      'date,region,revenue,tokens\n2024-01-01,EMEA,1234567.89,42\n2024-01-02,APAC,987654.32,17',
      'token count: 1234567',
      'max_tokens=4096, input_tokens: 123456789, total_tokens = 1,234,567',
      '{"input_tokens": 12345678, "output_tokens": 87654321, "token": null}',
      'password=abc',
      'tokenizer=cl100k_base_encoding',
      'The secret: elephants never forget.',
      'from sklearn import sk-learn-compatible-estimator',
      'contact ops@example.com or see https://example.com/a?page=2',
      'password=getpass()',
      'api_key=os.environ["ANTHROPIC_API_KEY"]',
      'SLACK_BOT_TOKEN=$SLACK_BOT_TOKEN',
      'AKIA is a prefix; ASIA is a continent.',
    ];
    for (const text of harmless) expect(redactSecrets(text)).toBe(text);
  });

  it('is idempotent', () => {
    const text = `SLACK_BOT_TOKEN=${slackBot}\n{"token": "${slackBot}"}\npassword="correct-horse-battery"`;
    const once = redactSecrets(text);
    expect(once).toBe(
      'SLACK_BOT_TOKEN=[redacted slack token]\n{"token": "[redacted slack token]"}\npassword="[redacted secret]"',
    );
    expect(redactSecrets(once)).toBe(once);
  });
});

describe('redactDeep', () => {
  it('redacts strings anywhere in a tool result without mutating it', () => {
    const result = {
      stdout: `using ${anthropic}\nrows: 1200`,
      rows: 1200,
      ok: true,
      nothing: null,
      files: [{ name: 'out.csv', log: [`token ${github}`] }],
      config: { password: 'correct-horse-battery', max_tokens: 4096, token: 'short' },
    };
    const copy = structuredClone(result);
    expect(redactDeep(result)).toEqual({
      stdout: 'using [redacted anthropic key]\nrows: 1200',
      rows: 1200,
      ok: true,
      nothing: null,
      files: [{ name: 'out.csv', log: ['token [redacted github token]'] }],
      config: { password: '[redacted secret]', max_tokens: 4096, token: 'short' },
    });
    expect(result).toEqual(copy);
  });

  it('leaves primitives and ordinary values alone', () => {
    expect(redactDeep(42)).toBe(42);
    expect(redactDeep('plain text')).toBe('plain text');
    expect(redactDeep([1, 'a', null])).toEqual([1, 'a', null]);
  });
});
