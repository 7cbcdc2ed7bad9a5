/**
 * Writes a recorded thread as one self-contained HTML page that looks like a Slack thread. Nothing is loaded from
 * elsewhere (images and files are data: URIs, styles are inline, there is no script) and the page's CSP forbids it
 * anyway. Every piece of message text goes through markdown.ts, which escapes before it formats.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeHtml, type InlineOptions, markdownToHtml, mrkdwnToHtml } from './markdown.js';
import { STYLE } from './style.js';
import type { DemoFile, DemoThread, ThreadEntry } from './thread.js';

export const BANNER =
  "Offline demo — Claude's replies are simulated by a local stand-in; the bot, Slack client, SQLite store and file pipeline are real.";

/** Renders `thread` to `<outDir>/thread.html` (creating the folder) and returns the file's path. */
export async function writeThreadHtml(thread: DemoThread, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, 'thread.html');
  await writeFile(path, renderThreadHtml(thread));
  return path;
}

export function renderThreadHtml(thread: DemoThread): string {
  const opts: InlineOptions = { mentionName: (id) => thread.names[id] ?? id };
  const [root, ...replies] = thread.entries;
  const body = [
    `<div class="banner" role="note">${escapeHtml(BANNER)}</div>`,
    '<main class="thread">',
    `<header class="thread-head"><strong>Thread</strong> <span class="channel"># ${escapeHtml(thread.channelName)}</span></header>`,
    root ? renderEntry(root, thread, opts) : '',
    `<div class="reply-count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</div>`,
    ...replies.map((e) => renderEntry(e, thread, opts)),
    '</main>',
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>slack-analyst — offline demo thread</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function renderEntry(entry: ThreadEntry, thread: DemoThread, opts: InlineOptions): string {
  const name = thread.names[entry.userId] ?? entry.userId;
  const progress = isProgress(entry);
  const content = entry.blocks?.length
    ? renderBlocks(entry.blocks, opts)
    : entry.text
      ? mrkdwnToHtml(entry.text, opts)
      : '';
  return `<article class="message${entry.isBot ? ' bot' : ''}${progress ? ' progress' : ''}">
<div class="avatar" style="background:${entry.isBot ? '#4a154b' : '#2b7a78'}">${escapeHtml(initials(name))}</div>
<div class="message-body">
<div class="meta"><span class="name">${escapeHtml(name)}</span>${entry.isBot ? '<span class="app">APP</span>' : ''}<time>${entry.at.toTimeString().slice(0, 5)}</time></div>
<div class="content">${content}</div>
${entry.files.map(renderFile).join('\n')}
${renderReactions(entry.reactions)}
${progress ? renderUpdates(entry.updates, opts) : ''}
</div>
</article>`;
}

/** The live progress message: headline and steps in section/context blocks, no Markdown block and no files. */
const isProgress = (entry: ThreadEntry) =>
  entry.isBot &&
  entry.files.length === 0 &&
  !blockTypes(entry.blocks).includes('markdown') &&
  entry.updates.length > 0;

const blockTypes = (blocks: unknown[] | undefined) =>
  (blocks ?? []).map((b) => (b as { type?: unknown }).type);

interface TextObject {
  type?: string;
  text?: string;
}

/** The Block Kit blocks the bot posts; anything else is skipped rather than guessed at. */
function renderBlocks(blocks: unknown[], opts: InlineOptions): string {
  const text = (t: TextObject | undefined) =>
    t?.type === 'mrkdwn'
      ? mrkdwnToHtml(t.text ?? '', opts)
      : escapeHtml(t?.text ?? '').replace(/\n/g, '<br>');
  return blocks
    .map((raw) => {
      const block = raw as {
        type?: string;
        text?: string | TextObject;
        fields?: TextObject[];
        elements?: (TextObject & { style?: string })[];
      };
      switch (block.type) {
        case 'markdown':
          return renderMarkdownBlock(typeof block.text === 'string' ? block.text : '', opts);
        case 'section': {
          const fields = (block.fields ?? []).map((f) => `<div>${text(f)}</div>`).join('');
          return `<div class="section">${typeof block.text === 'object' ? text(block.text) : ''}${fields ? `<div class="fields">${fields}</div>` : ''}</div>`;
        }
        case 'context':
          return `<div class="context">${(block.elements ?? []).map((e) => `<span>${text(e)}</span>`).join(' ')}</div>`;
        case 'header':
          return `<h3>${text(typeof block.text === 'object' ? block.text : undefined)}</h3>`;
        case 'divider':
          return '<hr>';
        case 'actions':
          // Buttons are inert here: the page has no script and there is no bot behind it.
          return `<div class="actions">${(block.elements ?? [])
            .map((e) => {
              const label = e.text && typeof e.text === 'object' ? (e.text as TextObject).text : '';
              const style = e.style === 'primary' || e.style === 'danger' ? ` ${e.style}` : '';
              return `<span class="button${style}" title="Buttons are inert in this demo">${escapeHtml(label ?? '')}</span>`;
            })
            .join('')}</div>`;
        case 'data_table':
          return renderDataTable(raw as DataTable);
        case 'data_visualization':
          return renderChart(raw as Chart);
        case 'context_actions':
          // Slack's feedback buttons, inert like the other buttons.
          return `<div class="actions">${(raw as { elements?: FeedbackButtons[] }).elements
            ?.filter((e) => e.type === 'feedback_buttons')
            .flatMap((e) => [e.positive_button, e.negative_button])
            .map(
              (b) =>
                `<span class="button feedback" title="Buttons are inert in this demo">${escapeHtml(b?.text?.text ?? '')}</span>`,
            )
            .join('')}</div>`;
        default:
          return '';
      }
    })
    .join('\n');
}

interface DataTable {
  caption?: string;
  rows?: { type?: string; text?: string }[][];
}
interface FeedbackButtons {
  type?: string;
  positive_button?: { text?: TextObject };
  negative_button?: { text?: TextObject };
}

/** Slack's data_table block: a captioned table, its first row the header; numbers right-aligned as Slack shows them. */
function renderDataTable(table: DataTable): string {
  const [header = [], ...rows] = table.rows ?? [];
  const cell = (tag: 'th' | 'td', c: { type?: string; text?: string }) =>
    `<${tag}${c.type === 'raw_number' ? ' class="right"' : ''}>${escapeHtml(c.text ?? '')}</${tag}>`;
  return `<table class="data-table"><caption>${escapeHtml(table.caption ?? '')}</caption><thead><tr>${header
    .map((c) => cell('th', c))
    .join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => cell('td', c)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

interface Point {
  label?: string;
  value?: number;
}
interface Chart {
  title?: string;
  chart?: { type?: string; segments?: Point[]; series?: { name?: string; data?: Point[] }[] };
}
const SERIES_COLOURS = ['#1264a3', '#e8912d', '#2bac76', '#cd2553', '#8c5bd6', '#616061'];

/**
 * Slack's native chart (data_visualization), drawn simply: one row per category with a bar per series (a pie as
 * one bar per segment with its share), the values written out. Slack draws the real thing; this shows its data.
 */
function renderChart(block: Chart): string {
  const chart = block.chart ?? {};
  const series =
    chart.type === 'pie'
      ? [{ name: 'Share', data: chart.segments ?? [] }]
      : (chart.series ?? []).map((s) => ({ name: s.name ?? '', data: s.data ?? [] }));
  const labels = [...new Set(series.flatMap((s) => s.data.map((p) => p.label ?? '')))];
  const values = series.flatMap((s) => s.data.map((p) => Math.abs(p.value ?? 0)));
  const max = Math.max(...values, 1);
  const total = chart.type === 'pie' ? values.reduce((a, b) => a + b, 0) || 1 : 0;
  const format = (v: number) =>
    chart.type === 'pie' ? `${((100 * v) / total).toFixed(1)} %` : v.toLocaleString('en-US');
  const rows = labels.map((label) => {
    const bars = series.map((s, i) => {
      const value = s.data.find((p) => p.label === label)?.value ?? 0;
      const width = ((100 * Math.abs(value)) / (chart.type === 'pie' ? total : max)).toFixed(1);
      return `<div class="chart-bar"><span style="width:${width}%;background:${SERIES_COLOURS[i % SERIES_COLOURS.length]}"></span><small>${escapeHtml(format(value))}</small></div>`;
    });
    return `<div class="chart-row"><span class="chart-label">${escapeHtml(label)}</span><div>${bars.join('')}</div></div>`;
  });
  const legend =
    series.length > 1 || chart.type !== 'pie'
      ? `<div class="chart-legend">${series
          .map(
            (s, i) =>
              `<span><i style="background:${SERIES_COLOURS[i % SERIES_COLOURS.length]}"></i>${escapeHtml(s.name)}</span>`,
          )
          .join('')}</div>`
      : '';
  return `<figure class="native-chart" data-chart-type="${escapeHtml(chart.type ?? '')}"><figcaption>${escapeHtml(block.title ?? '')} <small>Slack chart · ${escapeHtml(chart.type ?? '')}</small></figcaption>${rows.join('')}${legend}</figure>`;
}

/** An answer's Markdown, with the cost receipt line (💸 …) set apart as a footer, the way it reads in Slack. */
function renderMarkdownBlock(markdown: string, opts: InlineOptions): string {
  const lines = markdown.split('\n');
  const receipts = lines.filter((l) => l.startsWith('💸'));
  const rest = lines.filter((l) => !l.startsWith('💸')).join('\n');
  return `<div class="md">${markdownToHtml(rest, opts)}</div>${receipts
    .map((r) => `<div class="receipt">${mrkdwnToHtml(r, opts)}</div>`)
    .join('')}`;
}

// Only raster types a browser shows safely inline become <img>; everything else is a download link.
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

function renderFile(file: DemoFile): string {
  const mime = /^[\w.+-]+\/[\w.+-]+$/.test(file.mimeType) ? file.mimeType : 'application/octet-stream';
  const uri = `data:${mime};base64,${file.bytes.toString('base64')}`;
  const size = formatSize(file.bytes.length);
  if (INLINE_IMAGE_TYPES.has(mime)) {
    return `<figure class="image"><img src="${uri}" alt="${escapeHtml(file.name)}"><figcaption>${escapeHtml(file.name)} · ${size}</figcaption></figure>`;
  }
  return `<a class="file" download="${escapeHtml(file.name)}" href="${uri}"><span class="file-icon">📄</span><span><strong>${escapeHtml(file.name)}</strong><br><small>${escapeHtml(mime)} · ${size} · click to download</small></span></a>`;
}

const EMOJI: Record<string, string> = {
  eyes: '👀',
  white_check_mark: '✅',
  warning: '⚠️',
  hourglass_flowing_sand: '⏳',
  x: '❌',
};

function renderReactions(names: string[]): string {
  if (names.length === 0) return '';
  const pills = names.map(
    (n) => `<span class="reaction" title=":${escapeHtml(n)}:">${EMOJI[n] ?? `:${escapeHtml(n)}:`} 1</span>`,
  );
  return `<div class="reactions">${pills.join('')}</div>`;
}

/** Each state the progress message went through, as chat.update left it. */
function renderUpdates(updates: unknown[][], opts: InlineOptions): string {
  const states = updates.map(
    (blocks, i) => `<li><span class="step-no">${i + 1}</span><div>${renderBlocks(blocks, opts)}</div></li>`,
  );
  return `<details class="updates"><summary>Edited live ${updates.length} time${updates.length === 1 ? '' : 's'} (chat.update) — show each state</summary><ol>${states.join('')}</ol></details>`;
}

const initials = (name: string) =>
  name
    .split(/\s+/)
    .map((w) => w[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();

const formatSize = (bytes: number) => (bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`);
