import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUESTIONS } from '../../scripts/demo/conversation.js';
import { PNG_SIGNATURE } from '../../scripts/demo/png.js';
import { BANNER, renderThreadHtml } from '../../scripts/demo/render.js';
import { runDemo } from '../../scripts/demo/run.js';
import { analyse, generateSales, money } from '../../scripts/demo/sales.js';

const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const escaped = (text: string) => text.replace(/'/g, '&#39;');

describe('npm run demo', () => {
  it('writes one self-contained page with the real chart, the native chart, the answer, follow-ups, the failure flag and the banner', async () => {
    const { htmlPath } = await runDemo(dir);
    const html = readFileSync(htmlPath, 'utf8');

    const chart = /<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(html);
    expect(chart).not.toBeNull();
    expect(Buffer.from(chart![1]!, 'base64').subarray(0, 8)).toEqual(PNG_SIGNATURE);

    // The answer's numbers are the CSV's: recompute them from the same generated rows.
    const { byRegion, growth } = analyse(generateSales());
    expect(html).toContain(
      `${byRegion[0]!.region} brought in the most 2025 revenue: ${money(byRegion[0]!.revenue)}`,
    );
    expect(html).toContain(`${growth[0]!.region} grew fastest`);
    expect(html).toMatch(/⚠️ <strong>1 of 2 code runs failed<\/strong>/);
    expect(html).toContain('This thread: 3 questions billed');
    // The answer's table is Slack's native data table, and every answer carries 👍/👎.
    expect(html).toMatch(
      new RegExp(`<table class="data-table"><caption>[^<]*</caption>.*<td>${byRegion[0]!.region}</td>`),
    );
    expect(html).toContain('<span class="button feedback" title="Buttons are inert in this demo">👍</span>');
    expect(html).toContain(escaped(BANNER));

    // Slack's native chart, drawn from the spec the code wrote next to the PNG, sits just above the PNG, one bar
    // per region with its revenue; the spec itself is not posted as a file.
    const native = html.indexOf('<figure class="native-chart" data-chart-type="bar">');
    expect(native).toBeGreaterThan(0);
    expect(native).toBeLessThan(html.indexOf('<img src="data:image/png'));
    const bars = [
      ...html.matchAll(
        /<span class="chart-label">([^<]+)<\/span><div><div class="chart-bar"><span style="width:[\d.]+%;[^"]*"><\/span><small>([\d,]+)<\/small>/g,
      ),
    ];
    expect(bars.map((b) => [b[1], b[2]])).toEqual(
      byRegion.map((r) => [r.region, Math.round(r.revenue).toLocaleString('en-US')]),
    );
    expect(html).not.toContain('download="revenue_by_region.chart.json"');
    // Claude's suggested follow-ups are buttons under the first answer; the demo clicks the first one, and the bot
    // asks it in the thread on Maya's behalf.
    expect(html).toContain(
      `<span class="button" title="Buttons are inert in this demo">💬 ${QUESTIONS.growth}</span>`,
    );
    expect(html).not.toContain('followups');
    expect(html).toContain(`🙋 <span class="mention">@Maya Okafor</span> asked: ${QUESTIONS.growth}`);
    // Self-contained: nothing fetched from elsewhere, no script.
    expect(html).not.toMatch(/<script|<link|src="http|url\(/i);
  });

  it('escapes markup in messages instead of passing it through', () => {
    const injected = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    const html = renderThreadHtml({
      channelName: 'data-team<b>',
      names: { U1: 'Eve <i>', B1: 'Analyst' },
      entries: [
        {
          ts: '1.1',
          userId: 'U1',
          isBot: false,
          text: injected,
          files: [],
          reactions: [],
          updates: [],
          at: new Date(),
        },
        {
          ts: '1.2',
          userId: 'B1',
          isBot: true,
          blocks: [
            {
              type: 'markdown',
              text: `**bold** ${injected}\n[link](javascript:alert(1))\n\`\`\`\n${injected}\n\`\`\``,
            },
            {
              type: 'data_visualization',
              title: injected,
              chart: { type: 'bar', series: [{ name: injected, data: [{ label: injected, value: 1 }] }] },
            },
          ],
          files: [
            { name: '"><script>x</script>.png', mimeType: 'image/png"><script>', bytes: Buffer.from('x') },
          ],
          reactions: [],
          updates: [],
          at: new Date(),
        },
      ],
    });
    expect(html).not.toMatch(/<script|<img src=x|<i>|<b>|href="javascript/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<span class="chart-label">&lt;script&gt;');
    expect(html).toContain('data:application/octet-stream;base64,');
  });
});
