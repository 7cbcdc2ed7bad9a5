/**
 * Numbered schema migrations: entry i takes the database from user_version i to i + 1.
 * Never edit a shipped entry; append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: threads, their history and files, the inbox, usage.
  `
  CREATE TABLE threads (
    thread_key            TEXT PRIMARY KEY,          -- team:channel:thread_ts
    team_id               TEXT NOT NULL,
    channel_id            TEXT NOT NULL,
    thread_ts             TEXT NOT NULL,
    tool_version          TEXT NOT NULL,             -- fixed once the thread has used it
    container_id          TEXT,
    container_created_at  INTEGER,                   -- ms; when we first saw this container id
    container_expires_at  INTEGER,                   -- ms; latest rolling expires_at reported by the API
    first_seen_at         INTEGER NOT NULL,          -- ms
    updated_at            INTEGER NOT NULL           -- ms
  ) STRICT;

  CREATE TABLE history (
    thread_key    TEXT NOT NULL REFERENCES threads(thread_key) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content_json  TEXT NOT NULL,                     -- Anthropic content blocks, verbatim
    approx_tokens INTEGER NOT NULL,
    turn_id       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (thread_key, seq)
  ) STRICT;

  CREATE TABLE files (
    thread_key         TEXT NOT NULL REFERENCES threads(thread_key) ON DELETE CASCADE,
    slack_file_id      TEXT NOT NULL,
    anthropic_file_id  TEXT NOT NULL,
    name               TEXT NOT NULL,
    size_bytes         INTEGER NOT NULL,
    mime_type          TEXT NOT NULL,
    container_id       TEXT,                         -- container it was last attached to (container_upload)
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (thread_key, slack_file_id)
  ) STRICT;

  CREATE TABLE inbox (
    channel_id   TEXT NOT NULL,
    message_ts   TEXT NOT NULL,
    thread_key   TEXT NOT NULL,
    message_json TEXT NOT NULL,                      -- the ThreadMessage, secrets redacted
    event_id     TEXT,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    received_at  INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (channel_id, message_ts)
  ) STRICT;
  CREATE INDEX inbox_open ON inbox (status, received_at) WHERE status IN ('queued', 'running');

  CREATE TABLE usage (
    turn_id                      TEXT PRIMARY KEY,
    thread_key                   TEXT NOT NULL,
    model                        TEXT NOT NULL,
    input_tokens                 INTEGER NOT NULL,
    output_tokens                INTEGER NOT NULL,
    cache_read_input_tokens      INTEGER NOT NULL,
    cache_creation_input_tokens  INTEGER NOT NULL,
    code_runs                    INTEGER NOT NULL,
    created_at                   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX usage_thread ON usage (thread_key);
  `,
  // 2: when a turn's result was stored, so a restart never re-runs a turn whose answer exists.
  `ALTER TABLE inbox ADD COLUMN saved_at INTEGER;`,
  // 3: the message's progress message, so a re-run updates it instead of leaving a stale one behind.
  `ALTER TABLE inbox ADD COLUMN progress_ts TEXT;`,
  // 4: one row rewritten by the /healthz probe, so the probe is a real committed write.
  `CREATE TABLE health_probe (
     id          INTEGER PRIMARY KEY CHECK (id = 1),
     checked_at  INTEGER NOT NULL
   ) STRICT;`,
  // 5: files being profiled, so a file whose profiling took the process down is not profiled again on restart.
  `
  CREATE TABLE profiling (
    slack_file_id  TEXT PRIMARY KEY,
    boot_id        TEXT NOT NULL,                    -- the run of the bot that started profiling it
    started_at     INTEGER NOT NULL                  -- ms
  ) STRICT;
  `,
  // 6: the upload receipt's profile, given to Claude with the question (JSON, null for older files);
  // 1-hour cache writes, priced at 2× where 5-minute ones are 1.25× (all writes stay in cache_creation_input_tokens).
  `ALTER TABLE files ADD COLUMN profile_json TEXT;
   ALTER TABLE usage ADD COLUMN cache_creation_1h_input_tokens INTEGER NOT NULL DEFAULT 0;`,
  // 7: history up to this seq is not replayed when the sandbox is restored (`reset clean` moves it).
  `ALTER TABLE threads ADD COLUMN replay_from_seq INTEGER NOT NULL DEFAULT 0;`,
  // 8: the audit log: one row per question and per refusal; numbers and ids only, never message text. File names
  // are kept until the thread is forgotten (then only sizes stay). A refusal is recorded once per message.
  `
  CREATE TABLE audit (
    id                     INTEGER PRIMARY KEY,
    at                     INTEGER NOT NULL,        -- ms
    team_id                TEXT NOT NULL,
    channel_id             TEXT NOT NULL,
    thread_ts              TEXT NOT NULL,
    message_ts             TEXT NOT NULL,
    user_id                TEXT NOT NULL,
    model                  TEXT,                    -- null when no request was made
    input_tokens           INTEGER NOT NULL DEFAULT 0,
    output_tokens          INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_write_5m_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_1h_tokens  INTEGER NOT NULL DEFAULT 0,
    container_minutes      REAL NOT NULL DEFAULT 0,
    cost_usd               REAL NOT NULL DEFAULT 0,  -- estimated with the prices configured at the time
    code_runs              INTEGER NOT NULL DEFAULT 0,
    failed_runs            INTEGER NOT NULL DEFAULT 0,
    files_json             TEXT NOT NULL DEFAULT '[]', -- [{name, sizeBytes}]
    outcome                TEXT NOT NULL CHECK (outcome IN ('answered', 'failed', 'refused', 'over_budget', 'stopped')),
    reason                 TEXT                     -- why refused / which limit / the failure code
  ) STRICT;
  CREATE UNIQUE INDEX audit_refusal ON audit (channel_id, message_ts) WHERE outcome = 'refused';
  CREATE INDEX audit_team_at ON audit (team_id, at);
  CREATE INDEX audit_thread ON audit (team_id, channel_id, thread_ts);
  `,
  // 9: 👍/👎 on answers, one rating per person and turn (a second click replaces it); no message text.
  `
  CREATE TABLE feedback (
    turn_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    thread_key  TEXT NOT NULL,                       -- team:channel:thread_ts, for per-workspace counts
    created_at  INTEGER NOT NULL,                    -- ms
    PRIMARY KEY (turn_id, user_id)
  ) STRICT;
  CREATE INDEX feedback_thread ON feedback (thread_key);
  `,
  // 10: each attempt at a question (Retry, a re-run after a restart) keeps its own audit row, numbered from 1, so
  // what every attempt cost stays in the budgets of its own day; the usage table keeps billed container minutes.
  `
  ALTER TABLE audit ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
  CREATE INDEX audit_message ON audit (channel_id, message_ts);
  UPDATE audit SET attempt = (
    SELECT COUNT(*) FROM audit AS earlier
    WHERE earlier.channel_id = audit.channel_id AND earlier.message_ts = audit.message_ts
      AND earlier.outcome != 'refused' AND earlier.id <= audit.id)
  WHERE outcome != 'refused';
  ALTER TABLE usage ADD COLUMN container_minutes REAL NOT NULL DEFAULT 0;
  UPDATE usage SET container_minutes = 5 WHERE code_runs > 0;
  `,
  // 11: replicas. A thread is worked on by the replica holding its lease (renewed while it works; a dead replica's
  // lease expires), and a Stop clicked on another replica reaches the running one through the inbox row.
  `
  CREATE TABLE thread_leases (
    thread_key  TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,                       -- the replica (host:pid:boot)
    expires_at  INTEGER NOT NULL                     -- ms
  ) STRICT;
  ALTER TABLE inbox ADD COLUMN stop_requested_at INTEGER;
  `,
];

/**
 * The same numbered migrations for PostgreSQL (entry i takes `schema_version` from i to i + 1): the same tables,
 * columns and indexes in PostgreSQL's types. Times in ms and byte sizes are BIGINT; SQLite's rowid, which orders
 * a thread's files, is an identity column of that name.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1
  `
  CREATE TABLE threads (
    thread_key            TEXT PRIMARY KEY,
    team_id               TEXT NOT NULL,
    channel_id            TEXT NOT NULL,
    thread_ts             TEXT NOT NULL,
    tool_version          TEXT NOT NULL,
    container_id          TEXT,
    container_created_at  BIGINT,
    container_expires_at  BIGINT,
    first_seen_at         BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
  );
  CREATE TABLE history (
    thread_key    TEXT NOT NULL REFERENCES threads(thread_key) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content_json  TEXT NOT NULL,
    approx_tokens INTEGER NOT NULL,
    turn_id       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (thread_key, seq)
  );
  CREATE TABLE files (
    rowid              BIGINT GENERATED ALWAYS AS IDENTITY,
    thread_key         TEXT NOT NULL REFERENCES threads(thread_key) ON DELETE CASCADE,
    slack_file_id      TEXT NOT NULL,
    anthropic_file_id  TEXT NOT NULL,
    name               TEXT NOT NULL,
    size_bytes         BIGINT NOT NULL,
    mime_type          TEXT NOT NULL,
    container_id       TEXT,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (thread_key, slack_file_id)
  );
  CREATE TABLE inbox (
    channel_id   TEXT NOT NULL,
    message_ts   TEXT NOT NULL,
    thread_key   TEXT NOT NULL,
    message_json TEXT NOT NULL,
    event_id     TEXT,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    received_at  BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (channel_id, message_ts)
  );
  CREATE INDEX inbox_open ON inbox (status, received_at) WHERE status IN ('queued', 'running');
  CREATE TABLE usage (
    turn_id                      TEXT PRIMARY KEY,
    thread_key                   TEXT NOT NULL,
    model                        TEXT NOT NULL,
    input_tokens                 BIGINT NOT NULL,
    output_tokens                BIGINT NOT NULL,
    cache_read_input_tokens      BIGINT NOT NULL,
    cache_creation_input_tokens  BIGINT NOT NULL,
    code_runs                    INTEGER NOT NULL,
    created_at                   BIGINT NOT NULL
  );
  CREATE INDEX usage_thread ON usage (thread_key);
  `,
  // 2
  `ALTER TABLE inbox ADD COLUMN saved_at BIGINT;`,
  // 3
  `ALTER TABLE inbox ADD COLUMN progress_ts TEXT;`,
  // 4
  `CREATE TABLE health_probe (
     id          INTEGER PRIMARY KEY CHECK (id = 1),
     checked_at  BIGINT NOT NULL
   );`,
  // 5
  `CREATE TABLE profiling (
     slack_file_id  TEXT PRIMARY KEY,
     boot_id        TEXT NOT NULL,
     started_at     BIGINT NOT NULL
   );`,
  // 6
  `ALTER TABLE files ADD COLUMN profile_json TEXT;
   ALTER TABLE usage ADD COLUMN cache_creation_1h_input_tokens BIGINT NOT NULL DEFAULT 0;`,
  // 7
  `ALTER TABLE threads ADD COLUMN replay_from_seq INTEGER NOT NULL DEFAULT 0;`,
  // 8
  `
  CREATE TABLE audit (
    id                     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at                     BIGINT NOT NULL,
    team_id                TEXT NOT NULL,
    channel_id             TEXT NOT NULL,
    thread_ts              TEXT NOT NULL,
    message_ts             TEXT NOT NULL,
    user_id                TEXT NOT NULL,
    model                  TEXT,
    input_tokens           BIGINT NOT NULL DEFAULT 0,
    output_tokens          BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens      BIGINT NOT NULL DEFAULT 0,
    cache_write_5m_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_1h_tokens  BIGINT NOT NULL DEFAULT 0,
    container_minutes      DOUBLE PRECISION NOT NULL DEFAULT 0,
    cost_usd               DOUBLE PRECISION NOT NULL DEFAULT 0,
    code_runs              INTEGER NOT NULL DEFAULT 0,
    failed_runs            INTEGER NOT NULL DEFAULT 0,
    files_json             TEXT NOT NULL DEFAULT '[]',
    outcome                TEXT NOT NULL CHECK (outcome IN ('answered', 'failed', 'refused', 'over_budget', 'stopped')),
    reason                 TEXT
  );
  CREATE UNIQUE INDEX audit_refusal ON audit (channel_id, message_ts) WHERE outcome = 'refused';
  CREATE INDEX audit_team_at ON audit (team_id, at);
  CREATE INDEX audit_thread ON audit (team_id, channel_id, thread_ts);
  `,
  // 9
  `
  CREATE TABLE feedback (
    turn_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    thread_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (turn_id, user_id)
  );
  CREATE INDEX feedback_thread ON feedback (thread_key);
  `,
  // 10
  `
  ALTER TABLE audit ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
  CREATE INDEX audit_message ON audit (channel_id, message_ts);
  UPDATE audit SET attempt = (
    SELECT COUNT(*) FROM audit AS earlier
    WHERE earlier.channel_id = audit.channel_id AND earlier.message_ts = audit.message_ts
      AND earlier.outcome != 'refused' AND earlier.id <= audit.id)
  WHERE outcome != 'refused';
  ALTER TABLE usage ADD COLUMN container_minutes DOUBLE PRECISION NOT NULL DEFAULT 0;
  UPDATE usage SET container_minutes = 5 WHERE code_runs > 0;
  `,
  // 11
  `
  CREATE TABLE thread_leases (
    thread_key  TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
  );
  ALTER TABLE inbox ADD COLUMN stop_requested_at BIGINT;
  `,
];
