import type { Answer, Replier } from '../../src/ports.js';

/**
 * A Replier that posts nothing and keeps what the thread would have been told, for tests of the use case (turn,
 * intake, commands) without Slack: notices and failures in order, answers, and how each progress view finished.
 */
export function recordingReplier(progressTs?: string) {
  const said: { kind: 'notice' | 'failure'; text: string }[] = [];
  const answers: Answer[] = [];
  const finished: string[] = [];
  const replier: Replier = {
    queued: async () => undefined,
    working: async () => undefined,
    done: async () => undefined,
    progress: async () => ({
      ts: progressTs,
      step: () => undefined,
      text: () => undefined,
      finish: async (outcome) => {
        finished.push(outcome);
        return 'none';
      },
    }),
    notice: async (_thread, text) => void said.push({ kind: 'notice', text }),
    failure: async (_msg, text) => void said.push({ kind: 'failure', text }),
    answer: async (_msg, answer) => void answers.push(answer),
    upload: async () => true,
  };
  return { replier, said, answers, finished };
}
