import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditOutcome } from '../../src/ports.js';
import { GROUPINGS, parseReportArgs, render, summarise, UsageError } from '../../src/report.js';
import { createStore, openDatabase } from '../../src/store/index.js';

const run = promisify(execFile);

/** Rows with varied numbers in every column, spread over users, channels and three days. */
function sampleRows(): AuditEntry[] {
  const outcomes: AuditOutcome[] = ['answered', 'failed', 'stopped', 'refused', 'over_budget', 'answered'];
  return Array.from({ length: 30 }, (_, i) => {
    const asked = outcomes[i % outcomes.length]!;
    const spent = asked !== 'refused' && asked !== 'over_budget';
    return {
      at: Date.parse('2026-11-01T10:00:00Z') + (i % 3) * 86_400_000 + i * 1000,
      teamId: 'T1',
      channelId: `C${i % 4}`,
      threadTs: `${i}.0`,
      messageTs: `${i}.1`,
      userId: `U${i % 5}`,
      outcome: asked,
      costUsd: spent ? 0.0123 * (i + 1) : 0,
      ...(spent
        ? {
            model: 'claude-sonnet-5-5',
            usage: {
              inputTokens: 100 * i,
              outputTokens: 7 * i,
              cacheReadInputTokens: 300 * i,
              cacheCreationInputTokens: 50 * i,
              cacheCreation1hInputTokens: 20 * i,
            },
            containerMinutes: i % 2 ? 5 : 0,
            codeRuns: i % 4,
            failedRuns: i % 2,
            files: i % 3 ? [] : [{ name: `f${i}.csv`, sizeBytes: i * 10 }],
          }
        : {}),
    };
  });
}

describe('summarise', () => {
  it.each(GROUPINGS)('by %s: the total equals the sum of the lines and of the rows', (by) => {
    const rows = sampleRows();
    const { lines, total } = summarise(rows, by);
    expect(lines.length).toBe(by === 'user' ? 5 : by === 'channel' ? 4 : 3);
    for (const column of Object.keys(total).filter((k) => k !== 'key') as (keyof typeof total)[]) {
      const sum = lines.reduce((s, l) => s + (l[column] as number), 0);
      expect(sum).toBeCloseTo(total[column] as number, 9);
    }
    expect(total.costUsd).toBeCloseTo(
      rows.reduce((s, r) => s + r.costUsd, 0),
      9,
    );
    expect(total.inputTokens).toBe(rows.reduce((s, r) => s + (r.usage?.inputTokens ?? 0), 0));
    expect(total.refused).toBe(5);
    expect(total.overBudget).toBe(5);
    expect(total.questions).toBe(20);
    expect(total.cacheWrite5mTokens + total.cacheWrite1hTokens).toBe(
      rows.reduce((s, r) => s + (r.usage?.cacheCreationInputTokens ?? 0), 0),
    );
  });

  it('orders days by date and everything else by cost', () => {
    const rows = sampleRows();
    expect(summarise(rows, 'day').lines.map((l) => l.key)).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
    ]);
    const costs = summarise(rows, 'user').lines.map((l) => l.costUsd);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
  });
});

describe('render', () => {
  it('csv: a header, one line per group and the total, numbers that add up', () => {
    const report = summarise(sampleRows(), 'channel');
    const csv = render(report, 'channel', 'csv').trim().split('\n');
    expect(csv[0]).toMatch(
      /^channel,questions,attempts,answered,failed,stopped,refused,over_budget,input_tokens,/,
    );
    expect(csv).toHaveLength(1 + 4 + 1);
    const costAt = csv[0]!.split(',').indexOf('cost_usd');
    const body = csv.slice(1, -1).map((l) => Number(l.split(',')[costAt]));
    expect(csv.at(-1)!.startsWith('total,')).toBe(true);
    expect(body.reduce((a, b) => a + b, 0)).toBeCloseTo(Number(csv.at(-1)!.split(',')[costAt]), 3);
  });

  it('json and table carry the same total', () => {
    const report = summarise(sampleRows(), 'day');
    const json = JSON.parse(render(report, 'day', 'json')) as {
      total: { costUsd: number };
      lines: unknown[];
    };
    expect(json.lines).toHaveLength(3);
    expect(json.total.costUsd).toBeCloseTo(report.total.costUsd, 6);
    const table = render(report, 'day', 'table');
    expect(table.trim().split('\n').at(-1)).toContain(report.total.costUsd.toFixed(4));
  });
});

describe('arguments', () => {
  it('reads UTC days with both ends included, and rejects what it cannot use', () => {
    const a = parseReportArgs([
      '--since',
      '2026-11-01',
      '--until',
      '2026-11-30',
      '--by',
      'user',
      '--format',
      'csv',
    ]);
    expect(a).toEqual({
      since: Date.parse('2026-11-01T00:00:00Z'),
      until: Date.parse('2026-12-01T00:00:00Z'),
      by: 'user',
      format: 'csv',
    });
    expect(parseReportArgs(['--since', '2026-11-01'], Date.parse('2026-11-15T08:00:00Z')).until).toBe(
      Date.parse('2026-11-16T00:00:00Z'),
    );
    expect(() => parseReportArgs([])).toThrow(UsageError);
    expect(() => parseReportArgs(['--since', '11/01/2026'])).toThrow(/--since must be a date/);
    expect(() => parseReportArgs(['--since', '2026-11-01', '--by', 'team'])).toThrow(/--by must be one of/);
    expect(() => parseReportArgs(['--since', '2026-11-01', '--colour'])).toThrow(UsageError);
  });
});

describe('npm run report', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('prints the audit rows of the period from the database, total equal to their sum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    dirs.push(dir);
    const dbPath = join(dir, 'bot.db');
    const store = createStore(openDatabase(dbPath));
    const rows = sampleRows();
    for (const r of rows) await store.audit.record(r);
    await store.audit.record({
      ...rows[0]!,
      messageTs: 'late',
      at: Date.parse('2026-12-05T00:00:00Z'),
      costUsd: 99,
    });
    await store.close();

    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/report.ts',
        '--since',
        '2026-11-01',
        '--until',
        '2026-11-30',
        '--format',
        'json',
      ],
      { env: { ...process.env, DATABASE_PATH: dbPath } },
    );
    const out = JSON.parse(stdout) as { total: { costUsd: number; questions: number } };
    expect(out.total.costUsd).toBeCloseTo(
      rows.reduce((s, r) => s + r.costUsd, 0),
      6,
    );
    expect(out.total.questions).toBe(20);

    const bad = await run(process.execPath, ['--import', 'tsx', 'src/report.ts', '--since', 'soon'], {
      env: { ...process.env, DATABASE_PATH: dbPath },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--since must be a date') });
  });
});
