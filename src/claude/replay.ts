/**
 * Restoring a thread's sandbox: one bash script, built here from the recorded tool inputs, that re-runs the
 * thread's successful, non-exploratory steps in their original order. Pure — no I/O.
 *
 * Why a script file: the code execution tool only runs code the model asks for (the API has no "execute this"
 * call, and a server_tool_use block cannot be supplied by the client), but a container_upload block puts exact
 * bytes into the sandbox. So the bot writes the replay itself and Claude's one step is `bash <script>`: the code
 * is not retyped by the model (no drift, no output tokens), and the step shows in the progress timeline and in
 * Show code like any other run.
 */
import type { CodeRun } from '../domain.js';
import { isExploratory, type RecordedStep, type RecordedTurn } from './recorded.js';

/** Names every restore script; a run that mentions it is a restore, never itself replayed. */
export const RESTORE_SCRIPT = 'slack-analyst-restore.sh';

export type SkipReason = 'failed' | 'exploratory' | 'unknown';

export interface ReplayPlan {
  /** Steps the script re-runs, in order (its step n is `steps[n - 1]`). */
  steps: RecordedStep[];
  /** Recorded runs left out, and why. */
  skipped: { step: RecordedStep; reason: SkipReason }[];
  script: string;
}

export function replayPlan(turns: readonly RecordedTurn[]): ReplayPlan {
  const steps: RecordedStep[] = [];
  const skipped: ReplayPlan['skipped'] = [];
  for (const step of turns.flatMap((t) => t.steps)) {
    if (step.run.input.includes(RESTORE_SCRIPT)) continue;
    const reason: SkipReason | undefined = step.run.failed
      ? 'failed'
      : step.action.type === 'unknown'
        ? 'unknown'
        : isExploratory(step.action)
          ? 'exploratory'
          : undefined;
    if (reason) skipped.push({ step, reason });
    else steps.push(step);
  }
  return { steps, skipped, script: script(steps) };
}

function script(steps: readonly RecordedStep[]): string {
  const total = steps.length;
  const lines = [
    '#!/usr/bin/env bash',
    `# Restores this Slack thread's sandbox: re-runs its ${total} recorded steps in their original order.`,
    '# Written by slack-analyst from the thread history. Files the steps write to $OUTPUT_DIR are not posted again.',
    'export OUTPUT_DIR="$(mktemp -d)"',
    'logs="$(mktemp -d)"',
    'ok=0; failed=0',
    '',
  ];
  steps.forEach((step, i) => {
    const n = i + 1;
    const { head, body } = command(step, n);
    lines.push(
      `# Step ${n} of ${total}: ${step.action.type}`,
      `if ${head} > "$logs/${n}.log" 2>&1 <<'${delimiter(n, body)}'`,
      body,
      delimiter(n, body),
      `then echo "restore step ${n}/${total} ok"; ok=$((ok + 1))`,
      `else echo "restore step ${n}/${total} FAILED (exit $?)"; tail -n 5 "$logs/${n}.log"; failed=$((failed + 1)); fi`,
      '',
    );
  });
  lines.push(`echo "restore: $ok of ${total} steps re-ran, $failed failed"`, '');
  return lines.join('\n');
}

/** The command that reads the step from a quoted here-document, and that document. */
function command({ action }: RecordedStep, n: number): { head: string; body: string } {
  switch (action.type) {
    case 'bash':
      return { head: 'bash', body: action.command };
    case 'python':
      return { head: 'python3', body: action.code };
    case 'create':
      // base64 keeps the file's bytes exact (a here-document would add a final newline).
      return {
        head: `{ mkdir -p -- "$(dirname -- ${quote(action.path)})" && base64 -d > ${quote(action.path)}; }`,
        body: wrap(Buffer.from(action.fileText).toString('base64')),
      };
    case 'str_replace': {
      const args = Buffer.from(JSON.stringify(action)).toString('base64');
      return {
        head: 'python3',
        body: [
          'import base64, json, pathlib',
          `a = json.loads(base64.b64decode(${JSON.stringify(wrap(args))}.replace("\\n", "")))`,
          'p = pathlib.Path(a["path"]); text = p.read_text()',
          'assert a["oldStr"] in text, "the text to replace is not in the file"',
          'p.write_text(text.replace(a["oldStr"], a["newStr"], 1))',
        ].join('\n'),
      };
    }
    default:
      throw new Error(`step ${n} cannot be replayed`);
  }
}

/** A here-document delimiter that no line of the body equals. */
function delimiter(n: number, body: string): string {
  let d = `SLACK_ANALYST_STEP_${n}`;
  while (body.split('\n').includes(d)) d += '_';
  return d;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const wrap = (b64: string) => b64.replace(/.{1,76}/g, '$&\n').trimEnd();

/** The text sent with the restore script, before the question. */
export function restoreInstruction(steps: number): string {
  return [
    `Note: this thread's sandbox is new. Earlier variables and intermediate files are gone; the input files were re-attached, and so was ${RESTORE_SCRIPT}, which re-runs the thread's ${steps} earlier steps in their original order.`,
    `Before anything else, run it once with a single bash call: bash "$(find / -name ${RESTORE_SCRIPT} -type f 2>/dev/null | head -n 1)"`,
    'Do not repeat the steps yourself. If a step FAILED, take that into account, then answer the question.',
  ].join('\n');
}

/** What the restore script reported in the turn's runs; `ran` false when no run printed its summary line. */
export function replayOutcome(runs: readonly CodeRun[]): { ran: boolean; failedSteps: number[] } {
  const out = runs.map((r) => r.stdout).join('\n');
  const failedSteps = [...out.matchAll(/^restore step (\d+)\/\d+ FAILED/gm)].map((m) => Number(m[1]));
  return { ran: /^restore: \d+ of \d+ steps re-ran/m.test(out), failedSteps: [...new Set(failedSteps)] };
}
