/**
 * Safe Markdown → HTML for the demo page. Everything is HTML-escaped before any formatting is applied, so no markup
 * in a message can reach the page: formatting only ever wraps already-escaped text in a fixed set of tags.
 *
 * Two dialects, because the bot posts both: Markdown (the `markdown` blocks of answers, as Slack renders them) and
 * Slack's mrkdwn (section and context blocks, and what people type).
 */

export interface InlineOptions {
  /** Display name for a `<@U…>` mention. */
  mentionName?: (userId: string) => string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/** Markdown as Slack's `markdown` block renders it: single newlines are line breaks. */
export function markdownToHtml(markdown: string, opts: InlineOptions = {}): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  const inline = (text: string) => inlineMarkdown(text, opts);
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (fence) {
      const close = new RegExp(`^\\s*${fence[1]![0] === '`' ? '`' : '~'}{${fence[1]!.length},}\\s*$`);
      const body: string[] = [];
      for (i++; i < lines.length && !close.test(lines[i]!); i++) body.push(lines[i]!);
      i++; // the closing fence (or the end of an unclosed block)
      const lang = fence[2] ? ` data-lang="${escapeHtml(fence[2])}"` : '';
      out.push(`<pre${lang}><code>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push('<hr>');
      i++;
      continue;
    }
    if (isTableStart(lines, i)) {
      const rows: string[] = [];
      for (; i < lines.length && /^\s*\|/.test(lines[i]!); i++) rows.push(lines[i]!);
      out.push(renderTable(rows, inline));
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted: string[] = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]!); i++) quoted.push(lines[i]!.replace(/^\s*>\s?/, ''));
      out.push(`<blockquote>${quoted.map(inline).join('<br>')}</blockquote>`);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const items: string[] = [];
      // A top-level item of the other kind (bullets vs numbers) starts a new list.
      const sameKind = (l: string) => !/^\S/.test(l) || /^\d/.test(l) === /^\d/.test(line.trimStart());
      for (; i < lines.length && LIST_ITEM.test(lines[i]!) && sameKind(lines[i]!); i++) items.push(lines[i]!);
      out.push(renderList(items, inline));
      continue;
    }
    const paragraph: string[] = [];
    for (; i < lines.length && lines[i]!.trim() !== '' && !startsBlock(lines, i); i++) {
      paragraph.push(lines[i]!);
    }
    out.push(`<p>${paragraph.map(inline).join('<br>')}</p>`);
  }
  return out.join('\n');
}

const LIST_ITEM = /^(\s*)([-*+•]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function isTableStart(lines: readonly string[], i: number): boolean {
  return /^\s*\|/.test(lines[i]!) && TABLE_SEPARATOR.test(lines[i + 1] ?? '');
}

function startsBlock(lines: readonly string[], i: number): boolean {
  const line = lines[i]!;
  return (
    /^\s*(`{3,}|~{3,})/.test(line) ||
    /^#{1,6}\s/.test(line) ||
    /^\s*>/.test(line) ||
    LIST_ITEM.test(line) ||
    isTableStart(lines, i)
  );
}

/** Consecutive list items; indentation becomes a nesting level for display, the list itself stays flat. */
function renderList(items: readonly string[], inline: (text: string) => string): string {
  const ordered = /^\s*\d/.test(items[0]!);
  const lis = items.map((item) => {
    const [, indent = '', , text = ''] = LIST_ITEM.exec(item)!;
    const level = Math.min(3, Math.floor(indent.replace(/\t/g, '  ').length / 2));
    return `<li${level > 0 ? ` class="nested-${level}"` : ''}>${inline(text)}</li>`;
  });
  return ordered ? `<ol>${lis.join('')}</ol>` : `<ul>${lis.join('')}</ul>`;
}

function renderTable(rows: readonly string[], inline: (text: string) => string): string {
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((c) => c.trim());
  const [header = '', separator = '', ...body] = rows;
  const align = cells(separator).map((c) =>
    c.endsWith(':') ? (c.startsWith(':') ? 'center' : 'right') : 'left',
  );
  const row = (tag: 'th' | 'td', row: string) =>
    `<tr>${cells(row)
      .map((c, j) => `<${tag} class="${align[j] ?? 'left'}">${inline(c)}</${tag}>`)
      .join('')}</tr>`;
  return `<table><thead>${row('th', header)}</thead><tbody>${body.map((r) => row('td', r)).join('')}</tbody></table>`;
}

/** Inline Markdown: code spans, bold, italics, strikethrough, http(s) links and Slack mentions. */
export function inlineMarkdown(text: string, opts: InlineOptions = {}): string {
  return withCodeSpans(text, (s) => {
    let html = escapeHtml(s)
      .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
      .replace(/__(?=\S)([\s\S]*?\S)__/g, '<strong>$1</strong>')
      .replace(/(^|[^\w*])\*(?=[^\s*])([^*]*?[^\s*])\*(?![\w*])/g, '$1<em>$2</em>')
      .replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, '$1<em>$2</em>')
      .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>');
    // Only http(s) targets become links, so a `javascript:` URL stays text; the URL was escaped with the rest.
    html = html.replace(
      /\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g,
      '<a href="$2" rel="noopener noreferrer">$1</a>',
    );
    return mentions(html, opts);
  });
}

/**
 * Slack mrkdwn: `*bold*`, `_italic_`, `~strike~`, `code`, ``` blocks ```. Slack sends `&`, `<` and `>` as entities in
 * mrkdwn; they are decoded first and everything is escaped again, so an entity cannot smuggle markup either.
 */
export function mrkdwnToHtml(text: string, opts: InlineOptions = {}): string {
  const decoded = text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return decoded
    .split(/```/)
    .map((part, i) => {
      if (i % 2 === 1) return `<pre><code>${escapeHtml(part.replace(/^\n|\n$/g, ''))}</code></pre>`;
      const html = withCodeSpans(part, (s) =>
        escapeHtml(s)
          .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1<strong>$2</strong>')
          .replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1<em>$2</em>')
          .replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, '$1<del>$2</del>'),
      );
      return mentions(html, opts).replace(/\n/g, '<br>');
    })
    .join('');
}

/**
 * Formats `text` outside code spans with `format`; code spans are escaped and kept verbatim. Placeholders use NUL,
 * which is removed from the input first so a message cannot forge one.
 */
function withCodeSpans(text: string, format: (s: string) => string): string {
  const spans: string[] = [];
  const masked = text.replace(/\0/g, '').replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_, _ticks, code) => {
    spans.push(`<code>${escapeHtml(code)}</code>`);
    return `\0${spans.length - 1}\0`;
  });
  return format(masked).replace(/\0(\d+)\0/g, (_, n: string) => spans[Number(n)] ?? '');
}

/** `<@U123>` (already escaped to `&lt;@U123&gt;`) becomes a mention chip. */
function mentions(html: string, opts: InlineOptions): string {
  return html.replace(/&lt;@([UW][A-Z0-9]+)(?:\|[^&]*)?&gt;/g, (_, id: string) => {
    const name = opts.mentionName?.(id) ?? id;
    return `<span class="mention">@${escapeHtml(name)}</span>`;
  });
}
