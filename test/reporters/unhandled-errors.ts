import { writeFileSync } from 'node:fs';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Writes how many unhandled errors the run had to $UNHANDLED_ERRORS_FILE. Vitest fails such a run
 * but its JSON report has no field for them, and `.ci/run` counts them as failures in its closing line.
 */
export default class UnhandledErrorsReporter implements Reporter {
  onTestRunEnd(_modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const out = process.env.UNHANDLED_ERRORS_FILE;
    if (out) writeFileSync(out, `${unhandledErrors.length}\n`);
  }
}
