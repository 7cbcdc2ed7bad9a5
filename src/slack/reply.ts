import type { Button, KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { type CodeRun, messageKeyValue, type ThreadMessage, type ThreadRef } from '../domain.js';
import type { Logger } from '../log.js';
import type { Answer, OutputFile, Replier } from '../ports.js';
import { fileNameMarkdown, slackFileName } from '../text/names.js';
import { redactSecrets } from '../text/redact.js';
import { codeFence, escapeMrkdwn, splitMarkdown, tail } from '../text/slack-markdown.js';
import { parseCsv, toMarkdownTable } from '../text/tables.js';
import { plural, TURN } from '../text/wording.js';
import { ACTIONS, button, feedbackBlock } from './actions.js';
import { createAgentSessions } from './agent-session.js';
import { sanitise } from './answer-stream.js';
import {
  chartBlock,
  chartFallbackText,
  chartSpecBase,
  type DataVisualizationBlock,
  isChartSpecFile,
} from './chart-blocks.js';
import { slackErrorCode } from './errors.js';
import { followUpBlock, suggestPrompts } from './followups.js';
import { MIN_UPDATE_INTERVAL_MS, startProgress } from './progress.js';
import { DATA_TABLE_LIMITS, dataTable, markdownWithTables } from './table-blocks.js';

const WORKING_REACTION = 'eyes';
const QUEUED_REACTION = 'hourglass_flowing_sand';
const OUTCOME_REACTION = { answered: 'white_check_mark', failed: 'warning' } as const;
/** Slack ends a stream after about five minutes. */
const DEFAULT_STREAM_MAX_AGE_MS = 240_000;
/** Below Tier 4's 100 a minute, leaving room for the keep-alives and rollovers. */
const STREAM_APPENDS_PER_MINUTE = 80;
/** Outputs shown as data tables, by extension; a bigger file is only uploaded (it could not fit anyway). */
const TABLE_OUTPUT_DELIMITER: Record<string, string> = { csv: ',', tsv: '\t' };
const MAX_TABLE_OUTPUT_BYTES = 1_000_000;
const extensionOf = (name: string) => name.slice(name.lastIndexOf('.') + 1).toLowerCase();

/** Posts into threads: answers as Markdown blocks split within Slack's limits, failures flagged, files uploaded. */
export function createSlackReplier(
  client: WebClient,
  log: Logger,
  opts: {
    /** Called with the message key when someone ends a turn's stream with Slack's own stop control. */
    stoppedByUser?: (messageKey: string) => void;
    /** A streamed message older than this continues in a new one (SLACK_STREAM_MAX_SECONDS). */
    streamMaxAgeMs?: number;
  } = {},
): Replier {
  const { stoppedByUser = () => {}, streamMaxAgeMs = DEFAULT_STREAM_MAX_AGE_MS } = opts;
  /**
   * Posts Markdown split across messages within Slack's limits; buttons and `footer` (the feedback buttons) go under
   * the last part. A part with tables shows them as data tables, with the whole Markdown as its `text`. Slack may
   * refuse a newer block type (`invalid_blocks`): then the part is posted as plain Markdown, then without the footer.
   */
  async function post(
    thread: ThreadRef,
    markdown: string,
    buttons: Button[] = [],
    footer: KnownBlock[] = [],
  ): Promise<void> {
    const chunks = splitMarkdown(markdown);
    for (const [i, chunk] of chunks.entries()) {
      const last = i === chunks.length - 1;
      const actions: KnownBlock[] =
        last && buttons.length > 0 ? [{ type: 'actions', elements: buttons }] : [];
      const tail = last ? footer : [];
      const markdownBlock: KnownBlock = { type: 'markdown', text: chunk };
      const short = escapeMrkdwn(chunk.slice(0, 300));
      const tables = markdownWithTables(chunk);
      const attempts: { text: string; blocks: KnownBlock[] }[] = [
        ...(tables ? [{ text: escapeMrkdwn(chunk), blocks: [...tables, ...actions, ...tail] }] : []),
        ...(tail.length > 0 ? [{ text: short, blocks: [markdownBlock, ...actions, ...tail] }] : []),
        { text: short, blocks: [markdownBlock, ...actions] },
      ];
      for (const [n, attempt] of attempts.entries()) {
        try {
          await postBlocks(thread, attempt.text, attempt.blocks);
          break;
        } catch (err) {
          if (slackErrorCode(err) !== 'invalid_blocks' || n === attempts.length - 1) throw err;
          log.warn(
            { code: 'invalid_blocks', attempt: n },
            'Slack refused a block; posting the part more plainly',
          );
        }
      }
    }
  }

  async function postBlocks(
    thread: ThreadRef,
    text: string,
    blocks: (KnownBlock | DataVisualizationBlock)[],
  ): Promise<void> {
    await client.chat.postMessage({
      channel: thread.channelId,
      thread_ts: thread.threadTs, // say() alone would post top-level
      text, // notification fallback
      blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
  }

  /**
   * A CSV or TSV output shown as a data table above its uploaded file (every output file is still posted, so it can
   * be downloaded): whole when it fits Slack's limits, else its first rows, captioned as such.
   */
  async function showTableOutput(msg: ThreadMessage, output: OutputFile, allowed: string[]): Promise<void> {
    const delimiter = TABLE_OUTPUT_DELIMITER[extensionOf(output.fileName)];
    if (!delimiter || output.bytes.length > MAX_TABLE_OUTPUT_BYTES) return;
    const text = sanitise(output.bytes.toString('utf8'), allowed);
    const { table, totalRows } = parseCsv(text, { maxRows: DATA_TABLE_LIMITS.maxRows, delimiter });
    const name = slackFileName(output.fileName);
    const fits = dataTable(table, name);
    if (!fits) return;
    const whole = fits.rows === totalRows;
    if (!whole) fits.block.caption = `${name}: first ${fits.rows} of ${plural(totalRows, 'row')}`;
    const shown = { header: table.header, rows: table.rows.slice(0, fits.rows) };
    const fallback = `**${fileNameMarkdown(output.fileName)}**${whole ? '' : ` (first ${fits.rows} of ${plural(totalRows, 'row')})`}\n${toMarkdownTable(shown)}`;
    try {
      await postBlocks(msg, escapeMrkdwn(fallback), [fits.block]);
    } catch (err) {
      log.warn({ code: slackErrorCode(err) }, 'could not show an output as a table');
    }
  }

  /**
   * A chart spec Claude wrote next to a chart (`<name>.chart.json`) shown as Slack's native chart, in its own message
   * just above the uploaded PNG. A spec that is invalid or over Slack's limits, or a chart Slack refuses, leaves
   * only the PNG; the spec itself is never posted as a file.
   */
  async function showChart(msg: ThreadMessage, spec: OutputFile, allowed: string[]): Promise<void> {
    const block = chartBlock(spec.bytes, (text) => sanitise(text, allowed));
    const name = slackFileName(spec.fileName);
    if (!block) {
      log.info({ file: name }, 'chart spec invalid or over Slack limits; only the PNG is posted');
      return;
    }
    try {
      await postBlocks(msg, escapeMrkdwn(chartFallbackText(block)), [block]);
    } catch (err) {
      log.warn({ code: slackErrorCode(err), file: name }, 'could not show a native chart');
    }
  }

  /**
   * Claude's suggested follow-ups (sanitised): in the assistant pane the thread's suggested prompts, elsewhere (or
   * when Slack refuses those) buttons under the answer, returned here to go with the feedback buttons.
   */
  async function followUpBlocks(msg: ThreadMessage, answer: Answer): Promise<KnownBlock[]> {
    const questions = (answer.followUps ?? [])
      .map((q) => sanitise(q, answer.allowedUserIds).trim())
      .filter(Boolean);
    if (questions.length === 0) return [];
    if (msg.isDirectMessage && (await suggestPrompts(client, msg, questions, log))) return [];
    return [followUpBlock(questions)];
  }

  /**
   * The rest of a reply whose text was streamed: the answer's tables as data tables, then notices, failed runs, the
   * output summary and receipt, with the buttons and feedback.
   */
  async function afterStream(
    msg: ThreadMessage,
    answer: Answer,
    buttons: Button[],
    feedback: KnownBlock[],
  ): Promise<void> {
    const tables = (markdownWithTables(sanitise(answer.markdown, answer.allowedUserIds)) ?? []).filter(
      (b) => b.type !== 'markdown',
    );
    if (tables.length > 0) {
      await postBlocks(msg, TURN.tablesAbove, tables).catch((err: unknown) =>
        log.warn({ code: slackErrorCode(err) }, "could not show the streamed answer's tables"),
      );
    }
    const rest = sanitise(composeAnswer({ ...answer, markdown: '' }), answer.allowedUserIds);
    if (rest) return post(msg, rest, buttons, feedback);
    const actions: KnownBlock[] = buttons.length > 0 ? [{ type: 'actions', elements: buttons }] : [];
    try {
      await postBlocks(msg, TURN.rateAnswer, [...actions, ...feedback]);
    } catch (err) {
      if (slackErrorCode(err) !== 'invalid_blocks' || actions.length === 0) throw err;
      await postBlocks(msg, TURN.rateAnswer, actions);
    }
  }

  async function react(msg: ThreadMessage, name: string, remove = false): Promise<void> {
    try {
      const args = { channel: msg.channelId, timestamp: msg.messageTs, name };
      await (remove ? client.reactions.remove(args) : client.reactions.add(args));
    } catch (err) {
      // Reactions are a courtesy; already_reacted / no_reaction are fine, anything else is only logged.
      const code = slackErrorCode(err);
      if (code !== 'already_reacted' && code !== 'no_reaction') log.warn({ code, name }, 'reaction failed');
    }
  }

  /**
   * Live progress views share Slack's rate tiers (chat.appendStream is Tier 4, about 100 a minute per workspace):
   * with many at once, each updates less often than once a second.
   */
  let liveViews = 0;
  const updateIntervalMs = () =>
    Math.max(MIN_UPDATE_INTERVAL_MS, Math.ceil((liveViews * 60_000) / STREAM_APPENDS_PER_MINUTE));

  const sessions = createAgentSessions(client, log);

  /** Messages showing the "waiting" reaction, by message key. */
  const waiting = new Set<string>();

  return {
    async queued(msg) {
      waiting.add(messageKeyValue(msg));
      await react(msg, QUEUED_REACTION);
    },
    async working(msg) {
      if (waiting.delete(messageKeyValue(msg))) await react(msg, QUEUED_REACTION, true);
      await react(msg, WORKING_REACTION);
      // Slack's AI status line under the thread ("is analysing…"); cleared by Slack when the bot replies.
      await client.assistant.threads
        .setStatus({ channel_id: msg.channelId, thread_ts: msg.threadTs, status: 'is analysing your data…' })
        .catch((err: unknown) => log.debug({ code: slackErrorCode(err) }, 'setStatus not available here'));
      await sessions.working(msg);
    },
    async done(msg, outcome) {
      await react(msg, WORKING_REACTION, true);
      await react(msg, OUTCOME_REACTION[outcome]);
      await sessions.done(msg);
    },
    async progress(msg, existingTs) {
      liveViews += 1;
      const view = await startProgress(client, msg, log, {
        existingTs,
        onStoppedByUser: () => stoppedByUser(messageKeyValue(msg)),
        streamMaxAgeMs,
        updateIntervalMs,
      }).catch((err: unknown) => {
        liveViews -= 1;
        throw err;
      });
      let live = true;
      const ended = () => {
        if (live) liveViews -= 1;
        live = false;
      };
      return { ...view, finish: (...args) => view.finish(...args).finally(ended) };
    },
    notice: (thread, markdown) => post(thread, sanitise(markdown, [])),
    async failure(msg, markdown) {
      await post(msg, sanitise(markdown, []), [
        button(ACTIONS.retry, 'Retry', messageKeyValue(msg), 'primary'),
      ]);
      await react(msg, WORKING_REACTION, true);
      await react(msg, OUTCOME_REACTION.failed);
      await sessions.done(msg);
    },
    async answer(msg, answer) {
      const buttons = [
        ...(answer.runs.length > 0 ? [button(ACTIONS.showCode, 'Show code', answer.turnId)] : []),
        ...(answer.retryable ? [button(ACTIONS.retry, 'Retry', messageKeyValue(msg))] : []),
      ];
      const feedback = [
        ...(await followUpBlocks(msg, answer)),
        feedbackBlock(answer.turnId, messageKeyValue(msg)),
      ];
      if (answer.streamed === 'all') await afterStream(msg, answer, buttons, feedback);
      else {
        // A stream that broke off part-way leaves a partial answer above: say so, and post it whole.
        const notices =
          answer.streamed === 'part' ? [TURN.streamBrokeOff, ...answer.notices] : answer.notices;
        await post(
          msg,
          sanitise(composeAnswer({ ...answer, notices }), answer.allowedUserIds),
          buttons,
          feedback,
        );
      }
      const specs = answer.outputs.filter((o) => isChartSpecFile(o.fileName));
      const files = answer.outputs.filter((o) => !isChartSpecFile(o.fileName));
      for (const output of files) await showTableOutput(msg, output, answer.allowedUserIds);
      // Charts in the order of their PNGs (a spec without its PNG last), each just above the upload.
      const pngIndex = (spec: OutputFile) => {
        const i = files.findIndex((f) => f.fileName.startsWith(`${chartSpecBase(spec.fileName)}.`));
        return i < 0 ? files.length : i;
      };
      specs.sort((a, b) => pngIndex(a) - pngIndex(b));
      for (const spec of specs) await showChart(msg, spec, answer.allowedUserIds);
      if (files.length === 0) return;
      // Images first so charts lead; one upload message for all files of the turn.
      const ordered = [...files].sort(
        (a, b) => Number(b.mimeType.startsWith('image/')) - Number(a.mimeType.startsWith('image/')),
      );
      try {
        await client.files.uploadV2({
          channel_id: msg.channelId,
          thread_ts: msg.threadTs,
          file_uploads: ordered.map((o) => {
            const name = slackFileName(o.fileName); // also done when fetched; this is the Slack boundary
            return { file: o.bytes, filename: name, title: name };
          }),
        });
      } catch (err) {
        const code = slackErrorCode(err);
        log.warn({ code, files: ordered.length }, 'output upload failed');
        const names = ordered.map((o) => `**${fileNameMarkdown(o.fileName)}**`).join(', ');
        await post(msg, sanitise(`⚠️ I couldn't upload ${names} to Slack (${code}).`, []));
      }
    },
    async upload(thread, file, comment) {
      const name = slackFileName(file.fileName);
      try {
        await client.files.uploadV2({
          channel_id: thread.channelId,
          thread_ts: thread.threadTs,
          initial_comment: sanitise(comment, []),
          file_uploads: [{ file: file.bytes, filename: name, title: name }],
        });
        return true;
      } catch (err) {
        const code = slackErrorCode(err);
        log.warn({ code }, 'file upload failed');
        await post(
          thread,
          sanitise(`⚠️ I couldn't upload **${fileNameMarkdown(file.fileName)}** to Slack (${code}).`, []),
        );
        return false;
      }
    },
  };
}

/** The reply as one Markdown document: notices, the answer, failed runs, then a short stdout summary. */
export function composeAnswer(answer: Answer): string {
  const parts: string[] = [];
  if (answer.notices.length > 0) parts.push(answer.notices.join('\n'));
  if (answer.markdown) parts.push(answer.markdown);
  const failures = failureSummary(answer.runs);
  if (failures) parts.push(failures);
  const summary = runSummary(answer.runs);
  if (summary) parts.push(summary);
  if (answer.receipt) parts.push(answer.receipt);
  return parts.join('\n\n');
}

/** Failed runs stated plainly next to the answer, whatever Claude's prose says. */
function failureSummary(runs: readonly CodeRun[]): string {
  const failed = runs.filter((r) => r.failed);
  if (failed.length === 0) return '';
  const lines = failed.map((r) => {
    const n = runs.indexOf(r) + 1;
    const what = r.errorCode ? `tool error \`${r.errorCode}\`` : `exit code ${r.returnCode}`;
    const stderr = tail(redactSecrets(r.stderr), { maxLines: 3, maxChars: 300 }).text;
    return `• Run ${n}${r.kind === 'file_edit' ? ' (file edit)' : ''}: ${what}${stderr ? `\n${codeFence(stderr)}` : ''}`;
  });
  return `⚠️ **${failed.length} of ${plural(runs.length, 'code run')} failed** — check the answer against this:\n${lines.join('\n')}`;
}

/** How much code ran, and the last meaningful stdout lines. */
function runSummary(runs: readonly CodeRun[]): string {
  const executed = runs.filter((r) => r.kind !== 'file_edit');
  if (executed.length === 0) return '';
  const last = [...executed].reverse().find((r) => r.stdout.trim() !== '');
  const head = `🧮 Ran code ${plural(executed.length, 'time')}.`;
  if (!last) return head;
  const out = tail(redactSecrets(last.stdout), { maxLines: 12, maxChars: 1_200 });
  const more = out.omittedLines > 0 ? ` (last ${out.text.split('\n').length} lines)` : '';
  return `${head} Output${more}:\n${codeFence(out.text)}`;
}
