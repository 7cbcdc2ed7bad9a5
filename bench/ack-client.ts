/**
 * The Slack side of the ack benchmark, in its own process: Slack is another machine, so work the bot does after
 * writing its ack (the turn) must not delay the client reading that ack, as it would in one shared event loop.
 * Asked over IPC to send one signed event to a URL, it answers with the round-trip time in milliseconds.
 */
import { performance } from 'node:perf_hooks';
import { sendEvent } from '../test/support/fakes/fake-slack.js';

export interface AckRequest {
  url: string;
  body: object;
  signingSecret: string;
}
export type AckReply = { ms: number; status: number; body: string } | { error: string };

process.on('message', (req: AckRequest) => {
  const started = performance.now();
  sendEvent(req.url, req.body, { signingSecret: req.signingSecret }).then(
    (res) =>
      process.send!({
        ms: performance.now() - started,
        status: res.status,
        body: res.body,
      } satisfies AckReply),
    (err: unknown) => process.send!({ error: String(err) } satisfies AckReply),
  );
});
// Exits with the parent.
process.on('disconnect', () => process.exit(0));
