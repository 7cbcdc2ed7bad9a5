/**
 * The Anthropic client's connection limits follow ANTHROPIC_TIMEOUT_MS instead of fetch's fixed 300 s. Proven at a
 * small scale against a real slow loopback server: a gap that the default pool would tolerate fails once it exceeds
 * the configured timeout, and delays within the configured timeout pass.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicClient } from '../../src/claude/client.js';

const MODEL = {
  type: 'model',
  id: 'claude-test-1',
  display_name: 'Claude Test',
  created_at: '2026-01-01T00:00:00Z',
};

let server: Server;
let baseURL: string;
/** Delays of the next response: before its headers, and between the two halves of its body. */
let script = { headersAfterMs: 0, bodyGapMs: 0 };

beforeAll(async () => {
  server = createServer((_req, res) => {
    const { headersAfterMs, bodyGapMs } = script;
    const body = JSON.stringify(MODEL);
    const half = Math.floor(body.length / 2);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_test' });
      res.write(body.slice(0, half));
      setTimeout(() => res.end(body.slice(half)), bodyGapMs);
    }, headersAfterMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (timeoutMs: number) =>
  createAnthropicClient({
    ANTHROPIC_API_KEY: 'sk-ant-test-key',
    ANTHROPIC_BASE_URL: baseURL,
    ANTHROPIC_MAX_RETRIES: 0,
    ANTHROPIC_TIMEOUT_MS: timeoutMs,
  });

/** The `code` of an error or of any error in its `cause` chain. */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') codes.push(e.code);
  }
  return codes;
}

describe('createAnthropicClient', () => {
  it('waits for slow headers and a slow body within the configured timeout', async () => {
    script = { headersAfterMs: 1_000, bodyGapMs: 1_000 };
    await expect(client(2_000).models.retrieve('claude-test-1')).resolves.toMatchObject({ id: MODEL.id });
  });

  it("ends a body that stays silent longer than the configured timeout (fetch's own limit would be 300 s)", async () => {
    script = { headersAfterMs: 0, bodyGapMs: 1_000 };
    const err = await client(400)
      .models.retrieve('claude-test-1')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(codesOf(err)).toContain('UND_ERR_BODY_TIMEOUT');
  });
});
