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
import { type CodeRun, RESTORE_SCRIPT } from '../domain.js';
import { isExploratory, type RecordedStep, type RecordedTurn, type Rename, renameLine } from './recorded.js';

export type SkipReason = 'failed' | 'exploratory' | 'unknown';

export interface ReplayPlan {
  /** Steps the script re-runs, in order (its step n is `steps[n - 1]`). */
  steps: RecordedStep[];
  /** Recorded runs left out, and why. */
  skipped: { step: RecordedStep; reason: SkipReason }[];
  /** Files copied over earlier files' names before the steps run: every rerun's, the latest per name. */
  renames: Rename[];
  script: string;
}

export interface ReplayOptions {
  /** A rerun's new files, on top of the renames earlier reruns recorded. */
  renames?: readonly Rename[];
  /**
   * A rerun: files the steps write to $OUTPUT_DIR come back (the new charts), and each step's output is printed so
   * the new numbers can be read. A restore sends them to a scratch folder and prints only failures.
   */
  rerun?: boolean;
}

export function replayPlan(turns: readonly RecordedTurn[], options: ReplayOptions = {}): ReplayPlan {
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
  const byName = new Map<string, string>();
  for (const { from, to } of [...turns.flatMap((t) => t.renames), ...(options.renames ?? [])])
    byName.set(to, from);
  const renames = [...byName].map(([to, from]) => ({ from, to })).filter((r) => r.from !== r.to);
  return { steps, skipped, renames, script: script(steps, renames, options.rerun === true) };
}

function script(steps: readonly RecordedStep[], renames: readonly Rename[], rerun: boolean): string {
  const total = steps.length;
  const lines = [
    '#!/usr/bin/env bash',
    rerun
      ? `# Reruns this Slack thread's analysis on new data: its ${total} recorded steps in their original order.`
      : `# Restores this Slack thread's sandbox: re-runs its ${total} recorded steps in their original order.`,
    rerun
      ? '# Written by slack-analyst from the thread history. Files the steps write to $OUTPUT_DIR are posted.'
      : '# Written by slack-analyst from the thread history. Files the steps write to $OUTPUT_DIR are not posted again.',
    ...(rerun ? [] : ['export OUTPUT_DIR="$(mktemp -d)"']),
    'logs="$(mktemp -d)"',
    'ok=0; failed=0',
    '',
    ...renameLines(renames),
  ];
  steps.forEach((step, i) => {
    const n = i + 1;
    const { head, body } = command(step, n);
    lines.push(
      `# Step ${n} of ${total}: ${step.action.type}`,
      `if ${head} > "$logs/${n}.log" 2>&1 <<'${delimiter(n, body)}'`,
      body,
      delimiter(n, body),
      rerun
        ? `then echo "restore step ${n}/${total} ok"; tail -n 40 "$logs/${n}.log"; ok=$((ok + 1))`
        : `then echo "restore step ${n}/${total} ok"; ok=$((ok + 1))`,
      `else echo "restore step ${n}/${total} FAILED (exit $?)"; tail -n 5 "$logs/${n}.log"; failed=$((failed + 1)); fi`,
      '',
    );
  });
  lines.push(`echo "restore: $ok of ${total} steps re-ran, $failed failed"`, '');
  return lines.join('\n');
}

/**
 * Gives each new file its earlier name, next to the uploaded files (the script is uploaded with them, so its own
 * folder is the input folder). Copies go through a scratch folder first, so two files may swap names.
 */
function renameLines(renames: readonly Rename[]): string[] {
  if (renames.length === 0) return [];
  const lines = [
    'here="$(cd -- "$(dirname -- "$BASH_SOURCE")" && pwd)"',
    'staged="$(mktemp -d)"',
    'locate() { if [ -f "$here/$1" ]; then echo "$here/$1"; else find / -name "$1" -type f 2>/dev/null | head -n 1; fi; }',
  ];
  renames.forEach(({ from }, i) => {
    lines.push(
      `src="$(locate ${quote(from)})"`,
      `if [ -z "$src" ] || ! cp -- "$src" "$staged/${i}"; then echo ${quote(`rerun: ${from} was not found in the sandbox`)}; exit 1; fi`,
    );
  });
  renames.forEach(({ from, to }, i) => {
    lines.push(
      `if cp -- "$staged/${i}" "$here"/${quote(to)}; then echo ${quote(`rerun: ${from} takes the name ${to}`)}; else echo ${quote(`rerun: could not give ${from} the name ${to}`)}; exit 1; fi`,
    );
  });
  return [...lines, ''];
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

/**
 * The text sent with a rerun's script, before the question: which file takes which name (one `renameLine` each, so
 * later restores know), what to run, and what to answer. The comparison is Claude's: it has the earlier answers in
 * the history and the new output in front of it, whatever shape the numbers take.
 */
export function rerunInstruction(
  steps: number,
  renames: readonly Rename[],
  notes: readonly string[],
): string {
  return [
    "Note: the user asked to rerun this thread's analysis on new data, in a new sandbox. Earlier variables and intermediate files are gone.",
    ...renames.map(renameLine),
    ...notes,
    `The thread's files were attached, and so was ${RESTORE_SCRIPT}, which gives each new file its earlier name and re-runs the thread's ${steps} earlier steps in their original order, printing their output. Charts and files they write to $OUTPUT_DIR are returned to the user.`,
    `Before anything else, run it once with a single bash call: bash "$(find / -name ${RESTORE_SCRIPT} -type f 2>/dev/null | head -n 1)"`,
    'Do not repeat the steps yourself. Then answer with the new key numbers next to the earlier ones from your answers in this thread, and one line that starts with "What changed:" summarising the difference. If a step FAILED, say which one and why.',
  ].join('\n');
}

/** What the restore script reported in the turn's runs; `ran` false when no run printed its summary line. */
export function replayOutcome(runs: readonly CodeRun[]): { ran: boolean; failedSteps: number[] } {
  const out = runs.map((r) => r.stdout).join('\n');
  const failedSteps = [...out.matchAll(/^restore step (\d+)\/\d+ FAILED/gm)].map((m) => Number(m[1]));
  return { ran: /^restore: \d+ of \d+ steps re-ran/m.test(out), failedSteps: [...new Set(failedSteps)] };
}
