/**
 * `npm run bench`: the performance figures of slack-analyst, each a ratio of two things measured side by side in
 * this one run, on loopback only. Absolute numbers are machine-specific and are printed, never stored.
 *
 *   npm run bench                 # all of them but replicas
 *   npm run bench -- ack inbox    # a selection: ack, transfer, inbox, profile, cost, redact, replicas
 *   npm run bench -- replicas     # only when named: ~2 min, and it needs the PostgreSQL server binaries
 *
 * See bench/README.md for what each benchmark measures and how to read the ratios.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type AckLatencyResult, runAckLatency } from './ack-latency.js';
import { type AckUnderProfileResult, runAckUnderProfile } from './ack-under-profile.js';
import { type CostResult, costReport, runCost } from './cost.js';
import { type InboxThroughputResult, runInboxThroughput } from './inbox-throughput.js';
import { type RedactionResult, runRedaction } from './redaction.js';
import { type ReplicasResult, runReplicas } from './replicas.js';
import { fmtMb, fmtMs, fmtRatio, fmtUs, table } from './stats.js';
import { runTransfer, type TransferResult } from './transfer.js';

// Bounded so the whole bench stays well under two minutes on a 2-core machine.
const ACK = { warmupRounds: 30, rounds: 300 };
const TRANSFER = { megabytes: 100, runsPerMode: 3 };
const INBOX = { warmup: 500, rounds: 7, perRound: 2_000, fullPerRound: 200 };
const REPLICAS = { threads: 200, answerMs: 2_000, perReplica: 8 };
const PROFILE = { megabytes: 450, warmupEvents: 30, events: 200, profileTimeoutSeconds: 120 };
const REDACT = { megabytes: 5, runs: 5 };

const BENCHMARKS = ['ack', 'transfer', 'inbox', 'profile', 'cost', 'redact', 'replicas'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!(BENCHMARKS as readonly string[]).includes(name)) {
    console.error(`unknown benchmark "${name}"; choose from: ${BENCHMARKS.join(', ')}`);
    process.exit(2);
  }
}
const selected = (name: Benchmark) =>
  requested.length === 0 ? name !== 'replicas' : requested.includes(name);

const started = performance.now();
console.log(
  `slack-analyst bench — node ${process.version}, ${process.platform}/${process.arch}, ` +
    `${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}`.trimEnd(),
);

let ack: AckLatencyResult | undefined;
let transfer: TransferResult | undefined;
let inbox: InboxThroughputResult | undefined;
let profile: AckUnderProfileResult | undefined;
let cost: CostResult | undefined;
let redaction: RedactionResult | undefined;
let replicas: ReplicasResult | undefined;

if (selected('ack')) {
  console.error(
    `\n[ack] inbox ack latency: ${ACK.rounds} measured rounds (bot, bare Bolt, Bolt + inbox) after ${ACK.warmupRounds} warm-up rounds`,
  );
  ack = await runAckLatency(ACK);
}
if (selected('transfer')) {
  console.error(
    `\n[transfer] file transfer: ${TRANSFER.megabytes} MB CSV, ${TRANSFER.runsPerMode} runs per mode, fresh process each`,
  );
  transfer = await runTransfer(TRANSFER);
}
if (selected('inbox')) {
  console.error(`\n[inbox] inbox writes: ${INBOX.rounds} rounds × ${INBOX.perRound} accept() per database`);
  inbox = await runInboxThroughput(INBOX);
}
if (selected('profile')) {
  console.error(
    `\n[profile] ack latency while a ${PROFILE.megabytes} MB CSV is profiled: ${PROFILE.events} events without, with, without`,
  );
  profile = await runAckUnderProfile(PROFILE);
}
if (selected('cost')) {
  console.error('\n[cost] prompt caching: one thread per PROMPT_CACHE_TTL (off, 5m, 1h), 8 and 20 questions');
  cost = await runCost();
}
if (selected('redact')) {
  console.error(
    `\n[redact] output redaction: a ${REDACT.megabytes} MB CSV, ${REDACT.runs} runs on the event loop and in the worker`,
  );
  redaction = await runRedaction(REDACT);
}

if (selected('replicas')) {
  console.error(
    `\n[replicas] ${REPLICAS.threads} threads, Claude ${REPLICAS.answerMs / 1000} s per answer, ` +
      `${REPLICAS.perReplica} turns per replica: 1 vs 3 replicas on PostgreSQL, 1 on SQLite`,
  );
  replicas = await runReplicas(REPLICAS);
}

const rows: string[][] = [];
const summaries: string[] = [];

if (ack) {
  const { bot, bare, inboxOnly } = ack;
  const label = `ack latency (n=${ack.rounds} each)`;
  rows.push(
    [label, 'p50', `bot ${fmtMs(bot.p50)}`, `bare Bolt ${fmtMs(bare.p50)}`, fmtRatio(bot.p50 / bare.p50)],
    ['', 'p95', `bot ${fmtMs(bot.p95)}`, `bare Bolt ${fmtMs(bare.p95)}`, fmtRatio(bot.p95 / bare.p95)],
    [
      '  attribution',
      'p50',
      `Bolt + inbox write ${fmtMs(inboxOnly.p50)}`,
      `bare Bolt ${fmtMs(bare.p50)}`,
      fmtRatio(inboxOnly.p50 / bare.p50),
    ],
  );
  summaries.push(
    `inbox ack latency: bot p50 ${fmtMs(bot.p50)} vs bare Bolt ${fmtMs(bare.p50)} → ${fmtRatio(bot.p50 / bare.p50)} ` +
      `(p95 ${fmtMs(bot.p95)} vs ${fmtMs(bare.p95)} → ${fmtRatio(bot.p95 / bare.p95)}); ` +
      `of the +${fmtMs(bot.p50 - bare.p50)} at p50, the inbox write alone is +${fmtMs(inboxOnly.p50 - bare.p50)} ` +
      `(Bolt + inbox write p50 ${fmtMs(inboxOnly.p50)}); ${ack.turnsDone}/${ack.eventsSent} bot turns answered after the ack`,
  );
}
if (transfer) {
  const { streaming: s, buffered: b, sizeBytes } = transfer;
  const label = `file transfer ${fmtMb(sizeBytes)} (median of ${transfer.runsPerMode})`;
  rows.push(
    [
      label,
      'peak RSS growth',
      `buffered ${fmtMb(b.growth)}`,
      `streaming ${fmtMb(s.growth)}`,
      fmtRatio(b.growth / s.growth),
    ],
    [
      '',
      'peak RSS',
      `buffered ${fmtMb(b.peakRss)}`,
      `streaming ${fmtMb(s.peakRss)}`,
      fmtRatio(b.peakRss / s.peakRss),
    ],
    ['', 'wall time', `buffered ${fmtMs(b.ms)}`, `streaming ${fmtMs(s.ms)}`, fmtRatio(b.ms / s.ms)],
  );
  summaries.push(
    `file transfer (${fmtMb(sizeBytes)}): peak RSS growth buffered ${fmtMb(b.growth)} vs streaming ` +
      `${fmtMb(s.growth)} → ${fmtRatio(b.growth / s.growth)} (= ${(b.growth / sizeBytes).toFixed(2)}× vs ` +
      `${(s.growth / sizeBytes).toFixed(2)}× the file size; whole-process peak ${fmtMb(b.peakRss)} vs ` +
      `${fmtMb(s.peakRss)} → ${fmtRatio(b.peakRss / s.peakRss)}); wall time buffered ${fmtMs(b.ms)} vs streaming ` +
      `${fmtMs(s.ms)} → ${fmtRatio(b.ms / s.ms)}`,
  );
}
if (inbox) {
  const label = `inbox accept() (median of ${inbox.rounds}×${inbox.perRound})`;
  rows.push([
    label,
    'time per accept',
    `file ${fmtUs(inbox.fileUs)}`,
    `:memory: ${fmtUs(inbox.memoryUs)}`,
    fmtRatio(inbox.fileUs / inbox.memoryUs),
  ]);
  rows.push([
    '',
    `synchronous (FULL: ${inbox.rounds}×${inbox.fullPerRound})`,
    `FULL ${fmtUs(inbox.fullUs)}`,
    `NORMAL ${fmtUs(inbox.fileUs)}`,
    fmtRatio(inbox.fullUs / inbox.fileUs),
  ]);
  summaries.push(
    `inbox writes: file (${inbox.journalMode}, synchronous=${inbox.synchronous}, in ${inbox.directory}) ` +
      `${fmtUs(inbox.fileUs)} vs :memory: ${fmtUs(inbox.memoryUs)} per accept → ${fmtRatio(inbox.fileUs / inbox.memoryUs)} ` +
      `(+${fmtUs(inbox.fileUs - inbox.memoryUs)} of disk cost per event; ` +
      `${Math.round(1e6 / inbox.fileUs).toLocaleString('en-US')} accepts/s on file)`,
  );
  summaries.push(
    `inbox writes with SQLITE_SYNCHRONOUS=FULL: ${fmtUs(inbox.fullUs)} vs NORMAL ${fmtUs(inbox.fileUs)} per accept → ` +
      `${fmtRatio(inbox.fullUs / inbox.fileUs)} (an fsync per commit; ` +
      `${Math.round(1e6 / inbox.fullUs).toLocaleString('en-US')} accepts/s)`,
  );
}

if (profile) {
  const { with: w, without: wo } = profile;
  const label = `ack while profiling ${fmtMb(profile.sizeBytes)} (n=${w.samples.length} vs ${wo.samples.length})`;
  rows.push(
    [label, 'p50', `profiling ${fmtMs(w.p50)}`, `idle ${fmtMs(wo.p50)}`, fmtRatio(w.p50 / wo.p50)],
    ['', 'p99', `profiling ${fmtMs(w.p99)}`, `idle ${fmtMs(wo.p99)}`, fmtRatio(w.p99 / wo.p99)],
  );
  summaries.push(
    `ack latency while a ${fmtMb(profile.sizeBytes)} CSV is profiled in the worker thread: p50 ${fmtMs(w.p50)} vs ` +
      `${fmtMs(wo.p50)} idle → ${fmtRatio(w.p50 / wo.p50)}, p99 ${fmtMs(w.p99)} vs ${fmtMs(wo.p99)} → ` +
      `${fmtRatio(w.p99 / wo.p99)} (${w.samples.length} events while profiling` +
      `${profile.profileOutlasted ? ', the profile still running after the last' : ', the profile ended first'}; ` +
      `${wo.samples.length} idle, before and after)`,
  );
}

if (cost) {
  const report = costReport(cost);
  rows.push(...report.rows);
  summaries.push(...report.summaries);
}

if (redaction) {
  const { inline: i, worker: w } = redaction;
  const label = `redacting a ${fmtMb(redaction.sizeBytes)} output (median of ${redaction.runs})`;
  rows.push(
    [
      label,
      'longest event-loop stall',
      `event loop ${fmtMs(i.stallMs)}`,
      `worker ${fmtMs(w.stallMs)}`,
      fmtRatio(i.stallMs / w.stallMs),
    ],
    [
      '',
      'wall time',
      `event loop ${fmtMs(i.wallMs)}`,
      `worker ${fmtMs(w.wallMs)}`,
      fmtRatio(i.wallMs / w.wallMs),
    ],
  );
  summaries.push(
    `output redaction (${fmtMb(redaction.sizeBytes)} CSV with tokens): the event loop is held ${fmtMs(i.stallMs)} when ` +
      `redacting on it vs ${fmtMs(w.stallMs)} with the worker thread → ${fmtRatio(i.stallMs / w.stallMs)}; ` +
      `wall time ${fmtMs(i.wallMs)} vs ${fmtMs(w.wallMs)} (the worker adds its start-up)`,
  );
}

if (replicas) {
  const { pg1, pg3, sqlite1, opts } = replicas;
  const label = `replicas (${opts.threads} threads, ${opts.answerMs / 1000} s answers, ${opts.perReplica}/replica)`;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  rows.push(
    [
      label,
      'wall time',
      `3 replicas PG ${secs(pg3.wallMs)}`,
      `1 replica PG ${secs(pg1.wallMs)}`,
      fmtRatio(pg3.wallMs / pg1.wallMs),
    ],
    [
      '',
      'wall time',
      `1 replica PG ${secs(pg1.wallMs)}`,
      `1 replica SQLite ${secs(sqlite1.wallMs)}`,
      fmtRatio(pg1.wallMs / sqlite1.wallMs),
    ],
    [
      '',
      'ack p99',
      `3 replicas PG ${fmtMs(pg3.ackP99)}`,
      `1 replica PG ${fmtMs(pg1.ackP99)}`,
      fmtRatio(pg3.ackP99 / pg1.ackP99),
    ],
    [
      '',
      'ack p99',
      `1 replica PG ${fmtMs(pg1.ackP99)}`,
      `1 replica SQLite ${fmtMs(sqlite1.ackP99)}`,
      fmtRatio(pg1.ackP99 / sqlite1.ackP99),
    ],
  );
  summaries.push(
    `replicas: wall time 3 replicas ${secs(pg3.wallMs)} vs 1 replica ${secs(pg1.wallMs)} on PostgreSQL → ` +
      `${fmtRatio(pg3.wallMs / pg1.wallMs)} (goal ≤ 0.4×); 1 replica on SQLite ${secs(sqlite1.wallMs)}; ack p50/p99 ` +
      `${[pg3, pg1, sqlite1].map((r) => `${r.label} ${fmtMs(r.ackP50)}/${fmtMs(r.ackP99)}`).join(', ')}`,
  );
}

console.log(`\n${table(['benchmark', 'measure', 'A', 'B', 'A/B'], rows)}\n`);
for (const line of summaries) console.log(line);
console.log(`\n(bench took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
