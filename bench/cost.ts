/**
 * Benchmark 4: what prompt caching saves on a thread's input tokens.
 *
 * The real bot (`startHarness`: `createBot` against the fake Slack and the fake Anthropic) answers one thread: a
 * mention with a CSV, then follow-ups, each answered by Claude with one code run that prints ~5 KB. Between
 * questions the fake API's clock moves on by the reply gap, so its prompt cache (documented rules: breakpoints,
 * 20-block lookback, minimum length, 5m/1h lifetimes) expires entries as the real one would. The same thread runs
 * once per `PROMPT_CACHE_TTL` (off, 5m, 1h); "off" is the same requests without breakpoints.
 *
 * Billed input units weigh each input token by its price relative to plain input (src/pricing.ts): uncached 1×,
 * cache reads 0.1×, 5-minute writes 1.25×, 1-hour writes 2×.
 */
import type { CacheMode } from '../src/claude/analyst.js';
import { billedInputUnits, noTokens, type TokenUsage, totalInputTokens } from '../src/pricing.js';
import { blocks, startHarness } from '../test/support/harness.js';
import { note } from './stats.js';

const MINUTE = 60_000;
/** The thread: people reply 2, 12, 1, 20, 5, 15 and 3 minutes apart. */
export const REPLY_GAPS_MINUTES = [2, 12, 1, 20, 5, 15, 3];
export const CACHE_MODES: CacheMode[] = ['off', '5m', '1h'];

export interface CostRun {
  mode: CacheMode;
  questions: number;
  requests: number;
  tokens: TokenUsage;
  /** Input tokens weighted by price (see the header). */
  billedInputUnits: number;
}

/** ~5 KB of stdout that differs per question, like a printed result table. */
export function resultTable(question: number): string {
  const lines = ['month      region   orders   revenue      margin'];
  for (let i = 0; lines.join('\n').length < 5_000; i++) {
    const month = `2026-${String((i % 12) + 1).padStart(2, '0')}`;
    const region = ['EMEA', 'AMER', 'APAC'][i % 3]!;
    const revenue = ((question + 1) * 7919 + i * 104_729) % 1_000_000;
    lines.push(
      `${month}    ${region}     ${String(100 + i * question).padStart(5)}   ${String(revenue).padStart(9)}.00   ${(revenue % 37) + 10}.5%`,
    );
  }
  return lines.join('\n');
}

/** Claude's answer to question `n`: a sentence, one bash run printing the table, the answer. */
export function codeAnswer(n: number) {
  const id = `srvtoolu_q${n}`;
  return {
    kind: 'message' as const,
    content: [
      blocks.text('I will compute that from the file.'),
      blocks.bash(
        id,
        `python3 -c "import pandas as pd; df = pd.read_csv('sales.csv'); print(df.describe())" # q${n}`,
      ),
      blocks.bashResult(id, { stdout: resultTable(n) }),
      blocks.text(`Answer ${n}: revenue peaked in March at 45.1k; EMEA leads with 41% of the total.`),
    ],
  };
}

const CSV = `month,region,orders,revenue\n${Array.from({ length: 200 }, (_, i) => `2026-${String((i % 12) + 1).padStart(2, '0')},${['EMEA', 'AMER', 'APAC'][i % 3]},${i},${i * 13.5}`).join('\n')}\n`;

/** One thread of `gaps.length + 1` questions through the real bot with the given cache mode. */
export async function runCostThread(mode: CacheMode, gapsMinutes: readonly number[]): Promise<CostRun> {
  const h = await startHarness({ PROMPT_CACHE_TTL: mode, COST_RECEIPT: 'false' });
  try {
    h.anthropic.onMessage((_body, index) => codeAnswer(index));
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from(CSV) });
    const root = await h.mention('What is the revenue by region?', { files: [file] });
    await h.settle();
    for (const [i, gap] of gapsMinutes.entries()) {
      h.anthropic.advanceClock(gap * MINUTE);
      await h.message(`Follow-up ${i + 1}: and by month for the top region?`, { threadTs: root });
      await h.settle();
    }
    const responses = h.anthropic.messageResponses();
    if (responses.length !== gapsMinutes.length + 1) {
      throw new Error(`expected ${gapsMinutes.length + 1} answers, the fake answered ${responses.length}`);
    }
    const tokens = noTokens();
    for (const { usage } of responses) {
      tokens.inputTokens += usage.input_tokens;
      tokens.outputTokens += usage.output_tokens;
      tokens.cacheReadInputTokens += usage.cache_read_input_tokens ?? 0;
      tokens.cacheCreationInputTokens += usage.cache_creation_input_tokens ?? 0;
      tokens.cacheCreation1hInputTokens += usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
    }
    return {
      mode,
      questions: gapsMinutes.length + 1,
      requests: responses.length,
      tokens,
      billedInputUnits: billedInputUnits(tokens),
    };
  } finally {
    await h.close();
  }
}

export interface CostResult {
  /** Per thread length, one run per cache mode. */
  threads: { label: string; runs: CostRun[] }[];
}

/** The 8-question thread, and a 20-question one with the same gaps repeated. */
export async function runCost(): Promise<CostResult> {
  const long = Array.from({ length: 19 }, (_, i) => REPLY_GAPS_MINUTES[i % REPLY_GAPS_MINUTES.length]!);
  const threads: CostResult['threads'] = [];
  for (const [label, gaps] of [
    ['8 questions', REPLY_GAPS_MINUTES],
    ['20 questions', long],
  ] as const) {
    const runs: CostRun[] = [];
    for (const mode of CACHE_MODES) {
      note(`  ${label}, PROMPT_CACHE_TTL=${mode}`);
      runs.push(await runCostThread(mode, gaps));
    }
    threads.push({ label, runs });
  }
  return { threads };
}

export const sameInput = (runs: CostRun[]) => new Set(runs.map((r) => totalInputTokens(r.tokens))).size === 1;
