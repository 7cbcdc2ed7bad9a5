/**
 * `npm run demo`: runs the real bot (HTTP mode, silent logs, a temporary SQLite database) against the local Slack and
 * Anthropic stand-ins, plays a short data conversation through signed Slack events, and writes the resulting thread
 * to demo-output/thread.html. Needs no tokens and no network.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHarness } from '../../test/support/harness.js';
import { playConversation } from './conversation.js';
import { writeThreadHtml } from './render.js';

/** Plays the demo conversation and writes `<outDir>/thread.html`. */
export async function runDemo(outDir: string): Promise<{ htmlPath: string }> {
  // The e2e harness wires the bot exactly as production does, only pointed at the fakes by base URL.
  const h = await startHarness();
  try {
    const thread = await playConversation(h);
    return { htmlPath: await writeThreadHtml(thread, outDir) };
  } finally {
    await h.close();
  }
}

// Run only when executed directly (tsx scripts/demo/run.ts), not when a test imports runDemo.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = fileURLToPath(new URL('../../demo-output/', import.meta.url));
  runDemo(outDir).then(
    ({ htmlPath }) => console.log(`Demo thread written to ${relative(process.cwd(), htmlPath) || htmlPath}`),
    (err: unknown) => {
      console.error('Demo failed:', err);
      process.exitCode = 1;
    },
  );
}
