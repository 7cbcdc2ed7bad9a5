import type Anthropic from '@anthropic-ai/sdk';
import type { DataProfile } from './files/profile/profile.js';

/**
 * The vocabulary shared by the use case and every adapter: Slack threads and messages, the files in them, code
 * runs and history entries. Plain types, free of Bolt event shapes, SQL rows and API clients.
 */

/** Identifies one Slack thread: the unit that owns a code-execution container and a history. */
export interface ThreadRef {
  teamId: string;
  channelId: string;
  /** ts of the thread's root message (for a top-level mention: the mention itself). */
  threadTs: string;
}

export const threadKeyOf = (t: ThreadRef): string => `${t.teamId}:${t.channelId}:${t.threadTs}`;

/** One Slack message the bot should act on, free of Bolt event shapes. */
export interface ThreadMessage extends ThreadRef {
  messageTs: string;
  userId: string;
  /** Text with the bot mention removed and Slack's &amp;/&lt;/&gt; unescaped. */
  text: string;
  files: SlackFileRef[];
  /** The bot was @-mentioned in this message (or it is a DM). */
  addressed: boolean;
  isDirectMessage: boolean;
  /** A Slack Connect channel, or a person from another organisation. */
  external?: boolean;
  eventId?: string;
}

/**
 * Names one inbox message: "channel|ts". Intake keys running turns by it; Stop and Retry buttons carry it as their
 * value, never trusted beyond a lookup in the same channel.
 */
export const messageKeyValue = (msg: Pick<ThreadMessage, 'channelId' | 'messageTs'>) =>
  `${msg.channelId}|${msg.messageTs}`;

export function parseMessageKey(value: string): { channelId: string; messageTs: string } | undefined {
  const [channelId, messageTs, ...rest] = value.split('|');
  return channelId && messageTs && rest.length === 0 ? { channelId, messageTs } : undefined;
}

/**
 * The fields of a Slack `files[]` entry (or a `files.info` result) that the policy reads. Declared here because
 * `@slack/types` does not export its file type, and because Slack Connect stubs carry little more than `id`.
 */
export interface SlackFileRef {
  id: string;
  name?: string | undefined;
  title?: string | undefined;
  mimetype?: string | undefined;
  filetype?: string | undefined;
  /** Bytes, as Slack reports them. */
  size?: number | undefined;
  /** Parsed as a string: Slack sends values (`tombstone`, `hidden_by_limit`, `file_access`) beyond its typed union. */
  mode?: string | undefined;
  is_external?: boolean | undefined;
  file_access?: string | undefined;
  url_private_download?: string | undefined;
  url_private?: string | undefined;
}

/** An input file of a thread: Slack file id → Anthropic Files API id, uploaded once per thread. */
export interface ThreadFile {
  slackFileId: string;
  anthropicFileId: string;
  name: string;
  sizeBytes: number;
  mimeType: string;
  /** Container the file was last attached to with a container_upload block. */
  containerId: string | null;
  /** The upload receipt's profile, given to Claude with the question; absent for files stored before it was kept. */
  profile?: DataProfile;
}

/** One execution inside the container, decided from return codes and error objects — never from prose. */
export interface CodeRun {
  toolUseId: string;
  /** bash: a shell command; python: REPL code; file_edit: the text editor tool (create/view/str_replace). */
  kind: 'bash' | 'python' | 'file_edit';
  /** The command, code, or "create /tmp/x.py" for edits. */
  input: string;
  stdout: string;
  stderr: string;
  /** null when the tool itself failed (see errorCode) or for file edits. */
  returnCode: number | null;
  /** e.g. execution_time_exceeded, file_not_found; null when the tool ran. */
  errorCode: string | null;
  outputFileIds: string[];
  failed: boolean;
}

/** A live view of a turn while it streams: a code run starting or finishing. */
export type StepEvent =
  | { type: 'started'; id: string; kind: CodeRun['kind']; input: string }
  | { type: 'finished'; id: string; failed: boolean };

/** One stored message of a thread's history. */
export interface HistoryEntry {
  seq: number;
  turnId: string;
  message: Anthropic.MessageParam;
  approxTokens: number;
}

/** A rough token count (4 characters a token) for budgeting history; the API's count is authoritative. */
/** Names every sandbox restore script the bot uploads; a run that mentions it is a restore (or rerun) step. */
export const RESTORE_SCRIPT = 'slack-analyst-restore.sh';

export const approxTokens = (content: unknown): number => Math.ceil(JSON.stringify(content).length / 4);
