/**
 * The App Home tab: what the bot is and how to use it and what it keeps; for admins only (workspace admins and
 * owners, ADMIN_USERS) spend against the budgets, usage by channel and recent failures; for everyone else their own
 * usage today. Pure — no I/O. Home tab limits: at most 100 blocks, section text at most 3,000 characters, header
 * text at most 150.
 */
import type { HomeView, KnownBlock } from '@slack/types';
import { formatList } from '../files/formats.js';
import type { ChannelUsage, Failure, OwnUsage, SpendOverview } from '../ports.js';
import { formatUsd } from '../pricing.js';
import { formatTokens, oneLine } from '../text/format.js';
import { escapeMrkdwn } from '../text/slack-markdown.js';
import { plural } from '../text/wording.js';

export const MAX_HOME_BLOCKS = 100;
export const MAX_SECTION_TEXT = 3_000;
/** Rows shown per admin list; the reports may return more. */
const MAX_USAGE_ROWS = 30;
const MAX_FAILURE_ROWS = 15;
const MAX_ERROR_CHARS = 200;

export interface AdminReport {
  usage: readonly ChannelUsage[];
  failures: readonly Failure[];
  /** Spend against the budgets; absent when the caller has none to show. */
  spend?: SpendOverview | undefined;
  /** 👍/👎 given to answers in this workspace. */
  feedback?: { up: number; down: number } | undefined;
}

export interface HomeViewInput {
  /** The bot's user id, for a mention example that renders as the bot's name. */
  botUserId?: string | undefined;
  /** Present only for admins and owners; everyone else never gets these sections. */
  admin?: AdminReport | undefined;
  /** The viewer's own usage today, shown to everyone who is not an admin. */
  own?: OwnUsage | undefined;
  /** RETENTION_DAYS, for the "what I keep" note (0: until `forget`). */
  retentionDays?: number | undefined;
}

export function buildHomeView(input: HomeViewInput = {}): HomeView {
  const bot = input.botUserId ? `<@${input.botUserId}>` : '@Analyst';
  const blocks: KnownBlock[] = [
    header('📊 Data questions, answered by running code'),
    section(
      "I answer your team's data questions by *running code*, not by guessing. Claude computes each answer " +
        'in a sandbox that belongs to the thread, and I post the answer, charts and output files back into that ' +
        'thread. Failed code runs are always shown next to the answer.',
    ),
    header('How to use me'),
    section(
      [
        `• *Mention me in a channel* with a question: ${bot} which region grew fastest last quarter? ` +
          '(Invite me to the channel first.)',
        `• *Upload your data* into the thread: ${formatList()} files.`,
        '• *Follow up in the same thread* — no mention needed. The thread keeps its files, variables and ' +
          'earlier results.',
        '• *Message me directly* for questions you would rather ask in private.',
        '• Click *Show code* under an answer to see every command it ran, with exit codes and output.',
      ].join('\n'),
    ),
    header('Thread commands'),
    section(
      [
        `Send one of these as the whole message in a thread I am part of, e.g. ${bot} reset ` +
          '(in direct messages the word alone is enough):',
        '• `help` — what I can do',
        '• `reset` — start a fresh sandbox for the thread (earlier variables and intermediate files are gone)',
        '• `usage` — answers, tokens and estimated cost of this thread',
        '• `forget` — delete everything I stored about this thread',
        "• `retry` — ask the thread's last failed question again",
      ].join('\n'),
    ),
    context(
      "🔒 Each thread has its own sandbox: a thread's files and results are never used in another thread. " +
        'Secrets are redacted before anything is stored or posted.',
    ),
  ];
  if (input.retentionDays !== undefined) blocks.push(context(keptNote(input.retentionDays)));
  if (input.own && !input.admin) blocks.push(...ownBlocks(input.own));
  if (input.admin) blocks.push(...adminBlocks(input.admin));
  return { type: 'home', blocks: blocks.slice(0, MAX_HOME_BLOCKS) };
}

/** What is stored and for how long: said to everyone, since everyone's questions are recorded. */
function keptNote(retentionDays: number): string {
  const until =
    retentionDays > 0
      ? `until it is forgotten (\`forget\`, or after ${plural(retentionDays, 'day')} without activity)`
      : 'until it is forgotten with `forget`';
  return (
    `🗄️ What I keep: a thread's history, message text, files and sandbox ${until}. ` +
    'For spend limits and reports, every question also leaves an audit row with numbers and ids only (who, where, ' +
    'when, tokens, estimated cost, file sizes), never message text; it is kept after the thread is forgotten.'
  );
}

function ownBlocks(own: OwnUsage): KnownBlock[] {
  const limit =
    own.dailyCapUsd === undefined
      ? 'no daily limit applies to you'
      : `your daily limit is ${formatUsd(own.dailyCapUsd)} (it resets at midnight UTC)`;
  return [
    { type: 'divider' },
    header('Your usage today'),
    section(
      `${plural(own.questionsToday, 'question')} today, ≈ ${formatUsd(own.spentTodayUsd)} estimated; ${limit}.`,
    ),
  ];
}

function spendBlocks(spend: SpendOverview): KnownBlock[] {
  const budget = (b: SpendOverview['budgets'][number]) =>
    `• ${b.label}: *${formatUsd(b.spentUsd)}*${b.capUsd === undefined ? ' (no limit)' : ` of ${formatUsd(b.capUsd)}`}`;
  const spender = (label: string) => (t: { costUsd: number; questions: number }) =>
    `${label} — *${formatUsd(t.costUsd)}* · ${plural(t.questions, 'question')}`;
  const recent = (r: SpendOverview['recent'][number]) =>
    `${channelLabel(r.channelId)} · <@${r.userId}> · ${formatDate(r.at)} · ${r.outcome.replace('_', ' ')}` +
    (r.reason ? ` (\`${escapeMrkdwn(r.reason).replace(/`/g, "'")}\`)` : '');
  return [
    { type: 'divider' },
    header('Spend this month'),
    context('Visible to admins only · estimates at the configured prices · months and days in UTC'),
    section(spend.budgets.map(budget).join('\n')),
    header('Top people this month'),
    ...sections(
      spend.topUsers.map((t) => spender(`<@${t.id}>`)(t)),
      '_No questions yet._',
    ),
    header('Top channels this month'),
    ...sections(
      spend.topChannels.map((t) => spender(channelLabel(t.id))(t)),
      '_No questions yet._',
    ),
    header('Recently refused or failed'),
    ...sections(spend.recent.map(recent), '_Nothing turned away._'),
  ];
}

function adminBlocks(report: AdminReport): KnownBlock[] {
  const usage = report.usage.slice(0, MAX_USAGE_ROWS).map(usageLine);
  const failures = report.failures.slice(0, MAX_FAILURE_ROWS).map(failureLine);
  const more = report.usage.length - usage.length;
  return [
    ...(report.spend ? spendBlocks(report.spend) : []),
    { type: 'divider' },
    header('Usage by channel'),
    context(`Visible to admins only · all time${more > 0 ? ` · top ${usage.length} channels` : ''}`),
    ...sections(usage, '_No answers yet._'),
    ...(report.feedback
      ? [context(`Answer ratings, all time: 👍 ${report.feedback.up} · 👎 ${report.feedback.down}`)]
      : []),
    header('Recent failures'),
    context('Questions whose turn ended in an error, newest first.'),
    ...sections(failures, '_No failures._'),
  ];
}

function usageLine(u: ChannelUsage): string {
  const cached = u.cacheReadInputTokens + u.cacheCreationInputTokens;
  return (
    `${channelLabel(u.channelId)} — ${plural(u.turns, 'turn', (n) => `*${n}*`)} · ` +
    `${formatTokens(u.inputTokens)} in${cached > 0 ? ` (+${formatTokens(cached)} cached)` : ''} · ` +
    `${formatTokens(u.outputTokens)} out · ${plural(u.codeRuns, 'code run')}`
  );
}

function failureLine(f: Failure): string {
  const error = f.lastError ? oneLine(f.lastError, MAX_ERROR_CHARS) : 'unknown error';
  return `${channelLabel(f.channelId)} · ${formatDate(f.at)} · \`${escapeMrkdwn(error).replace(/`/g, "'")}\``;
}

/** `<#C…>` renders as the channel's name for whoever looks; a DM id does not, so it is named generically. */
function channelLabel(channelId: string): string {
  if (!/^[A-Z0-9]+$/.test(channelId)) return escapeMrkdwn(channelId);
  return channelId.startsWith('D') ? 'a direct message' : `<#${channelId}>`;
}

/** Slack renders the date in the viewer's time zone; the fallback is UTC. */
function formatDate(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
}

/** Lines packed into as few sections as fit 3,000 characters each. */
function sections(lines: readonly string[], empty: string): KnownBlock[] {
  if (lines.length === 0) return [section(empty)];
  const out: KnownBlock[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > MAX_SECTION_TEXT ? `${raw.slice(0, MAX_SECTION_TEXT - 1)}…` : raw;
    if (current !== '' && current.length + 1 + line.length > MAX_SECTION_TEXT) {
      out.push(section(current));
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') out.push(section(current));
  return out;
}

const header = (text: string): KnownBlock => ({
  type: 'header',
  text: { type: 'plain_text', text: text.slice(0, 150), emoji: true },
});
const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: text.slice(0, MAX_SECTION_TEXT) },
});
const context = (text: string): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text }],
});
