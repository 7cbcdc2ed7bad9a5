/**
 * runTurn against in-memory ports: a scripted Analyst, a recording Replier and FileGateway, and a real `:memory:`
 * store. What the e2e suite shows through Slack, pinned here at the use case's own boundary.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Analyst, AskParams, AskResult } from '../../src/claude/analyst.js';
import { AnalystError } from '../../src/claude/errors.js';
import { type ThreadMessage, threadKeyOf } from '../../src/domain.js';
import { createLogger } from '../../src/log.js';
import type { FileGateway } from '../../src/ports.js';
import { noTokens } from '../../src/pricing.js';
import { openDatabase } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/index.js';
import { runTurn, type TurnDeps } from '../../src/turn.js';
import { blocks } from '../support/harness.js';
import { recordingReplier } from '../support/recording-replier.js';

const message = (text: string): ThreadMessage => ({
  teamId: 'T1',
  channelId: 'C1',
  threadTs: '1700000000.000100',
  messageTs: '1700000000.000100',
  userId: 'U1',
  text,
  files: [],
  addressed: true,
  isDirectMessage: false,
});

let store: Store;
let thread: ReturnType<typeof recordingReplier>;
let asked: AskParams[];

const files: FileGateway = {
  ingest: async () => Promise.reject(new Error('no files in these tests')),
  earlierFiles: async () => [],
  fetchOutput: async (id) => Promise.reject(new Error(`${id} not kept`)),
  deleteFile: async () => undefined,
  uploadText: async () => Promise.reject(new Error('no uploads in these tests')),
  removeLocalCopies: async () => undefined,
} as FileGateway;

/** An Analyst that answers every request with `content` (or throws `error`), recording what it was asked. */
function analyst(content: Anthropic.ContentBlock[], error?: unknown): Analyst {
  return {
    async ask(p: AskParams): Promise<AskResult> {
      asked.push(p);
      if (error) throw error;
      return {
        assistantContent: content,
        userContent: p.userContent,
        history: p.history,
        stopReason: 'end_turn',
        hitContinuationLimit: false,
        hitCostLimit: false,
        container: { id: 'container_1', expiresAt: Date.now() + 3_600_000 },
        containerReplaced: false,
        usage: { ...noTokens(), inputTokens: 1_000, outputTokens: 200 },
        requestIds: ['req_1'],
      };
    },
  } as Analyst;
}

const deps = (a: Analyst): TurnDeps => ({
  store,
  analyst: a,
  replier: thread.replier,
  files,
  log: createLogger('silent'),
  model: 'claude-test',
  toolVersion: 'code_execution_20260521',
  historyTokenBudget: 100_000,
  deleteOutputFiles: true,
  prices: null,
});

beforeEach(() => {
  store = createStore(openDatabase(':memory:'));
  thread = recordingReplier('1700000000.000200');
  asked = [];
});
afterEach(() => store.close());

describe('runTurn', () => {
  it('flags a failed code run next to a confident answer, and stores the turn with its container', async () => {
    const msg = message('which region grew fastest?');
    await store.inbox.accept(msg);
    const outcome = await runTurn(
      deps(
        analyst([
          blocks.bash('srvtoolu_1', 'python3 grow.py'),
          blocks.bashResult('srvtoolu_1', { stderr: 'KeyError: region', returnCode: 1 }),
          blocks.text('EMEA grew fastest.'),
        ]),
      ),
      msg,
    );

    expect(outcome.status).toBe('answered');
    expect(thread.answers).toHaveLength(1);
    expect(thread.answers[0]!.markdown).toBe('EMEA grew fastest.');
    expect(thread.answers[0]!.runs.map((r) => [r.failed, r.returnCode])).toEqual([[true, 1]]);
    expect(thread.answers[0]!.retryable).toBe(true); // every run failed: the answer offers Retry
    expect(thread.finished).toEqual(['failed']);
    const key = threadKeyOf(msg);
    expect((await store.threads.get(key))?.containerId).toBe('container_1');
    expect((await store.history.list(key)).map((e) => e.message.role)).toEqual(['user', 'assistant']);
  });

  it('sends the stored history with a follow-up, in the same container', async () => {
    const first = message('total revenue?');
    const follow = { ...message('and by month?'), messageTs: '1700000000.000300' };
    const a = analyst([blocks.text('42.')]);
    await store.inbox.accept(first);
    await runTurn(deps(a), first);
    await store.inbox.accept(follow);
    await runTurn(deps(a), follow);

    expect(asked[1]!.containerId).toBe('container_1');
    expect(asked[1]!.history.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it("reports Claude's failure with its user message, and leaves no history behind", async () => {
    const msg = message('anything');
    await store.inbox.accept(msg);
    const error = new AnalystError('overloaded', 'req_1', 'overloaded_error', 529, null);
    const outcome = await runTurn(deps(analyst([], error)), msg);

    expect(outcome).toMatchObject({ status: 'failed', code: 'overloaded' });
    expect(thread.said.map((s) => s.text).join('\n')).toContain('Claude is overloaded right now.');
    expect(thread.finished).toEqual(['failed']);
    expect(await store.history.list(threadKeyOf(msg))).toEqual([]);
  });

  it('never shows a crash as "Stopped": an error that is not an abort ends the view as failed and propagates', async () => {
    const msg = message('anything');
    await store.inbox.accept(msg);
    const bug = new TypeError('a bug');
    await expect(runTurn(deps(analyst([], bug)), msg)).rejects.toBe(bug);
    expect(thread.finished).toEqual(['failed']);
  });

  it("shows an abort as stopped when the turn's signal fired", async () => {
    const msg = message('anything');
    await store.inbox.accept(msg);
    const controller = new AbortController();
    controller.abort(new Error('Stop'));
    const aborted = new AnalystError('aborted', null, null, null, null);
    await expect(runTurn(deps(analyst([], aborted)), msg, controller.signal)).rejects.toBe(aborted);
    expect(thread.finished).toEqual(['stopped']);
  });
});
