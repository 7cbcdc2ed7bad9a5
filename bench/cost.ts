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
 *
 * Besides the 8- and 20-question threads: the 8-question thread with every answer paused once (pause_turn,
 * then a continuation), and the 20-question thread over a small history budget (old turns shortened and dropped).
 * For the 8-question thread the report lists where each request's units went.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { CacheMode } from '../src/claude/analyst.js';
import { billedInputUnits, noTokens, type TokenUsage, totalInputTokens } from '../src/pricing.js';
import { blocks, startHarness } from '../test/support/harness.js';
import { fmtRatio, note } from './stats.js';

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
  /** Each request's usage, in order. */
  perRequest: Anthropic.Usage[];
}

/** A thread shape: how Claude answers, and the bot's environment. */
export interface CostScenario {
  label: string;
  gapsMinutes: readonly number[];
  /** Every answer comes in two requests: the code run ends in pause_turn, the answer follows in a continuation. */
  paused?: boolean;
  env?: Record<string, string>;
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

/** Request `index` of a thread whose answers are each paused once after the code run. */
function pausedAnswer(index: number) {
  const answer = codeAnswer(Math.floor(index / 2));
  return index % 2 === 0
    ? { ...answer, content: answer.content.slice(0, 3), stop_reason: 'pause_turn' as const }
    : { ...answer, content: answer.content.slice(3) };
}

/** One thread of `gaps.length + 1` questions through the real bot with the given cache mode. */
export async function runCostThread(mode: CacheMode, scenario: CostScenario): Promise<CostRun> {
  const { gapsMinutes } = scenario;
  const h = await startHarness({ ...scenario.env, PROMPT_CACHE_TTL: mode, COST_RECEIPT: 'false' });
  const requestsPerQuestion = scenario.paused ? 2 : 1;
  try {
    h.anthropic.onMessage((_body, index) => (scenario.paused ? pausedAnswer(index) : codeAnswer(index)));
    const file = h.slack.hostFile({ name: 'sales.csv', content: Buffer.from(CSV) });
    const root = await h.mention('What is the revenue by region?', { files: [file] });
    await h.settle();
    for (const [i, gap] of gapsMinutes.entries()) {
      h.anthropic.advanceClock(gap * MINUTE);
      await h.message(`Follow-up ${i + 1}: and by month for the top region?`, { threadTs: root });
      await h.settle();
    }
    const responses = h.anthropic.messageResponses();
    const expected = (gapsMinutes.length + 1) * requestsPerQuestion;
    if (responses.length !== expected) {
      throw new Error(`expected ${expected} requests, the fake answered ${responses.length}`);
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
      perRequest: responses.map((r) => r.usage),
    };
  } finally {
    await h.close();
  }
}

export interface CostResult {
  /** Per scenario, one run per cache mode. */
  threads: { scenario: CostScenario; runs: CostRun[] }[];
}

const LONG_GAPS = Array.from({ length: 19 }, (_, i) => REPLY_GAPS_MINUTES[i % REPLY_GAPS_MINUTES.length]!);
export const SCENARIOS: CostScenario[] = [
  { label: '8 questions', gapsMinutes: REPLY_GAPS_MINUTES },
  { label: '20 questions', gapsMinutes: LONG_GAPS },
  { label: '8 questions, each answer paused once', gapsMinutes: REPLY_GAPS_MINUTES, paused: true },
  {
    label: '20 questions, HISTORY_TOKEN_BUDGET=8000',
    gapsMinutes: LONG_GAPS,
    env: { HISTORY_TOKEN_BUDGET: '8000' },
  },
];

export async function runCost(scenarios: CostScenario[] = SCENARIOS): Promise<CostResult> {
  const threads: CostResult['threads'] = [];
  for (const scenario of scenarios) {
    const runs: CostRun[] = [];
    for (const mode of CACHE_MODES) {
      note(`  ${scenario.label}, PROMPT_CACHE_TTL=${mode}`);
      runs.push(await runCostThread(mode, scenario));
    }
    threads.push({ scenario, runs });
  }
  return { threads };
}

export const sameInput = (runs: CostRun[]) => new Set(runs.map((r) => totalInputTokens(r.tokens))).size === 1;

const units = (n: number) => `${Math.round(n).toLocaleString('en-US')} units`;
const count = (n: number | null | undefined) => (n ?? 0).toLocaleString('en-US');

/**
 * Billed units if every token were written once at 2× when first sent and read at 0.1× after: the best a 1-hour
 * cache can do for a thread whose every request extends the previous one (the plain threads).
 */
export function writeOnceFloor(off: CostRun): number {
  let previous = 0;
  let floor = 0;
  for (const u of off.perRequest) {
    const total = u.input_tokens;
    floor += 2 * Math.max(0, total - previous) + 0.1 * Math.min(previous, total);
    previous = total;
  }
  return floor;
}

/** Table rows and summary lines for `npm run bench`. */
export function costReport(cost: CostResult): { rows: string[][]; summaries: string[] } {
  const rows: string[][] = [];
  const summaries: string[] = [];
  for (const { scenario, runs } of cost.threads) {
    const off = runs.find((r) => r.mode === 'off')!;
    for (const run of runs.filter((r) => r.mode !== 'off')) {
      rows.push([
        run.mode === '5m' ? `input cost, ${scenario.label}` : '',
        `PROMPT_CACHE_TTL=${run.mode}`,
        `cached ${units(run.billedInputUnits)}`,
        `uncached ${units(off.billedInputUnits)}`,
        fmtRatio(run.billedInputUnits / off.billedInputUnits),
      ]);
    }
    const best = runs.find((r) => r.mode === '1h')!;
    const t = best.tokens;
    const plain = !scenario.paused && !scenario.env;
    summaries.push(
      `prompt caching, ${scenario.label} (replies ${scenario.gapsMinutes === REPLY_GAPS_MINUTES ? '2, 12, 1, 20, 5, 15, 3' : 'the same gaps, repeated'} min apart, ~5 KB stdout per answer): ` +
        `billed input units 1h ${units(best.billedInputUnits)} vs uncached ${units(off.billedInputUnits)} → ` +
        `${fmtRatio(best.billedInputUnits / off.billedInputUnits)}; 1h run: ${count(t.cacheReadInputTokens)} read, ` +
        `${count(t.cacheCreationInputTokens)} written, ${count(t.inputTokens)} uncached tokens` +
        (plain
          ? `; write-once floor (every token written at 2× when first sent, then read at 0.1×) ${fmtRatio(writeOnceFloor(off) / off.billedInputUnits)}`
          : '') +
        `${sameInput(runs) ? '' : ' (WARNING: the runs sent different amounts of input)'}`,
    );
    if (scenario.label === '8 questions') {
      summaries.push(
        `  where the 1h run's units went, request by request (uncached 1× / 1h writes 2× / 5m writes 1.25× / reads 0.1× → units):`,
      );
      for (const [i, u] of best.perRequest.entries()) {
        const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
        const w5m = u.cache_creation?.ephemeral_5m_input_tokens ?? 0;
        const read = u.cache_read_input_tokens ?? 0;
        const billed = u.input_tokens + 2 * w1h + 1.25 * w5m + 0.1 * read;
        const sent = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + read;
        summaries.push(
          `    request ${i + 1}: ${count(sent)} tokens = ${count(u.input_tokens)} / ${count(w1h)} / ${count(w5m)} / ${count(read)} → ${units(billed)} (${fmtRatio(billed / sent)})`,
        );
      }
    }
  }
  return { rows, summaries };
}
