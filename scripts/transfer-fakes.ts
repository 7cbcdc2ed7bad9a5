/**
 * The servers for scripts/memory-check.ts and bench/transfer.ts, in their own process so their memory is not
 * counted.
 *
 * Usage: `transfer-fakes.ts <megabytes>`. Starts the fake Slack and the fake Anthropic (keeping only size and hash
 * of uploads), hosts a generated CSV of about <megabytes> MB streamed from a generator (no Content-Length, as
 * the generator has no length), and prints one JSON line on stdout:
 * `{ slackApiUrl, botToken, fileUrl, anthropicUrl, sizeBytes, sha256 }`.
 * Then, for each file id read as a line on stdin, it prints what the fake Anthropic stored under that id as JSON
 * (or null). It exits when stdin closes.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { startFakeAnthropic } from '../test/support/fakes/fake-anthropic.js';
import { startFakeSlack } from '../test/support/fakes/fake-slack.js';

const megabytes = Number(process.argv[2] ?? '200');
if (!Number.isFinite(megabytes) || megabytes <= 0) throw new Error(`bad size: ${process.argv[2]}`);
const TARGET_BYTES = Math.round(megabytes * 1024 * 1024);
const ROWS_PER_CHUNK = 1000;

/** Deterministic CSV chunks of about 50 KB each, until at least TARGET_BYTES have been produced. */
function* csvChunks(): Generator<Buffer> {
  yield Buffer.from('id,region,month,revenue,note\n');
  let produced = 0;
  for (let row = 0; produced < TARGET_BYTES; ) {
    const lines: string[] = [];
    for (const end = row + ROWS_PER_CHUNK; row < end; row++) {
      lines.push(
        `${row},region-${row % 7},2026-${(row % 12) + 1},${(row * 7919) % 100_000},"note ${row} é"\n`,
      );
    }
    const chunk = Buffer.from(lines.join(''));
    produced += chunk.length;
    yield chunk;
  }
}

const expected = createHash('sha256');
let sizeBytes = 0;
for (const chunk of csvChunks()) {
  expected.update(chunk);
  sizeBytes += chunk.length;
}

const slack = await startFakeSlack();
const anthropic = await startFakeAnthropic({ storeBytes: false });
const file = slack.hostFile({ name: 'generated.csv', content: () => Readable.from(csvChunks()) });

process.stdout.write(
  `${JSON.stringify({
    slackApiUrl: slack.apiUrl,
    botToken: slack.botToken,
    fileUrl: file.url_private_download,
    anthropicUrl: anthropic.url,
    sizeBytes,
    sha256: expected.digest('hex'),
  })}\n`,
);

for await (const line of createInterface({ input: process.stdin })) {
  const stored = anthropic.files.get(line.trim());
  process.stdout.write(
    `${JSON.stringify(stored ? { filename: stored.filename, mimeType: stored.mimeType, sizeBytes: stored.sizeBytes, sha256: stored.sha256 } : null)}\n`,
  );
}
await Promise.all([slack.close(), anthropic.close()]);
