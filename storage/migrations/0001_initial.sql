-- The first schema: offices and their people, SOP versions, processes and their step runs,
-- hand-ins, the agenda book, the hash-chained audit log, the outbox, and the conversation state
-- (button tokens, pending inputs, invites). Times are UTC ISO-8601 text of fixed width, so text
-- order is time order.

CREATE TABLE offices (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    timezone      TEXT NOT NULL DEFAULT 'Asia/Jakarta',
    group_chat_id TEXT,                         -- the office group, once linked
    settings      TEXT NOT NULL DEFAULT '{}',   -- JSON: calendar, reminders, agenda, reports
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE office_sops (
    office_id INTEGER NOT NULL REFERENCES offices(id) ON DELETE CASCADE,
    sop_code  TEXT NOT NULL,
    PRIMARY KEY (office_id, sop_code)
);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    telegram_id INTEGER UNIQUE,
    name        TEXT NOT NULL,
    is_admin    INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Who holds which role in which office. A 'plh' row is a stand-in for a date range (inclusive,
-- office-local dates); absent_user_id names the holder it replaces, or NULL for all holders.
CREATE TABLE role_holders (
    id             INTEGER PRIMARY KEY,
    office_id      INTEGER NOT NULL REFERENCES offices(id),
    user_id        INTEGER NOT NULL REFERENCES users(id),
    role           TEXT NOT NULL,
    kind           TEXT NOT NULL DEFAULT 'holder' CHECK (kind IN ('holder', 'plh')),
    absent_user_id INTEGER REFERENCES users(id),
    valid_from     TEXT,
    valid_until    TEXT,
    created_at     TEXT NOT NULL,
    CHECK ((kind = 'holder') = (valid_from IS NULL AND valid_until IS NULL)),
    CHECK (kind = 'holder' OR valid_from <= valid_until)
);
CREATE UNIQUE INDEX role_holders_one_holding
    ON role_holders (office_id, role, user_id) WHERE kind = 'holder';
CREATE INDEX role_holders_by_user ON role_holders (user_id);

CREATE TABLE sop_versions (
    version       TEXT PRIMARY KEY,             -- sha256 of the definition's content
    code          TEXT NOT NULL,
    content       TEXT NOT NULL,                -- the definition as canonical JSON
    first_seen_at TEXT NOT NULL
);

CREATE TABLE processes (
    id           INTEGER PRIMARY KEY,
    office_id    INTEGER NOT NULL REFERENCES offices(id),
    sop_code     TEXT NOT NULL,
    sop_version  TEXT NOT NULL REFERENCES sop_versions(version),
    title        TEXT NOT NULL,
    started_by   INTEGER NOT NULL REFERENCES users(id),
    status       TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled')),
    current_step INTEGER,
    visit        INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,    -- optimistic lock: bumped by every change
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    end_note     TEXT,
    CHECK ((status = 'running') = (current_step IS NOT NULL))
);
CREATE INDEX processes_by_office ON processes (office_id, status, id);

-- One row per entry into a step; (process_id, visit) names it. done_at IS NULL while it is open.
CREATE TABLE step_runs (
    id             INTEGER PRIMARY KEY,
    process_id     INTEGER NOT NULL REFERENCES processes(id),
    step           INTEGER NOT NULL,
    visit          INTEGER NOT NULL,
    role           TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    due_at         TEXT,                        -- NULL when the SOP states no waktu
    done_at        TEXT,
    done_by        INTEGER REFERENCES users(id),
    outcome        TEXT,                        -- the choice id, or 'batal'
    note           TEXT,
    returned_from  INTEGER,                     -- the step whose negative answer led here
    return_note    TEXT,
    return_by      INTEGER REFERENCES users(id),
    next_alert_at  TEXT,                        -- the next reminder or escalation, NULL when none
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    escalated_at   TEXT,
    UNIQUE (process_id, visit)
);
-- The deadline sweep reads only open runs with an alert due: its cost does not grow with the
-- number of finished processes.
CREATE INDEX step_runs_alerts ON step_runs (next_alert_at)
    WHERE done_at IS NULL AND next_alert_at IS NOT NULL;
CREATE INDEX step_runs_open_by_role ON step_runs (role) WHERE done_at IS NULL;

CREATE TABLE handins (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    step_run_id INTEGER REFERENCES step_runs(id), -- NULL: handed in when the process started
    kind        TEXT NOT NULL CHECK (kind IN ('attachment', 'link', 'nomor', 'text')),
    label       TEXT NOT NULL,
    value       TEXT NOT NULL,
    file_name   TEXT,
    mime_type   TEXT,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX handins_by_process ON handins (process_id, id);

-- The office's agenda book: a nomor is used once per office and year.
CREATE TABLE agenda_numbers (
    office_id  INTEGER NOT NULL REFERENCES offices(id),
    year       INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    nomor      TEXT NOT NULL,
    process_id INTEGER REFERENCES processes(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (office_id, year, seq)
);

-- Append-only, hash-chained: each event holds the previous event's hash.
CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    office_id     INTEGER,
    process_id    INTEGER,
    actor_user_id INTEGER,
    kind          TEXT NOT NULL,
    data          TEXT NOT NULL,                -- canonical JSON
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_by_process ON audit_events (process_id, id) WHERE process_id IS NOT NULL;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

-- Messages to deliver, written in the same transaction as the change that causes them.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT 'telegram',
    chat_id     TEXT,                           -- NULL while a group message waits for a group
    office_id   INTEGER REFERENCES offices(id),
    user_id     INTEGER REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('send', 'edit')),
    payload     TEXT NOT NULL,                  -- channel-neutral message, JSON
    step_run_id INTEGER REFERENCES step_runs(id),
    edit_of     INTEGER REFERENCES outbox(id),
    dedupe_key  TEXT UNIQUE,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'failed', 'waiting')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT NOT NULL,
    last_error  TEXT,
    sent_at     TEXT,
    message_ref TEXT                            -- the channel's id of the delivered message
);
CREATE INDEX outbox_pending ON outbox (not_before, id) WHERE state = 'pending';
CREATE INDEX outbox_pending_by_chat ON outbox (chat_id, id) WHERE state = 'pending';
CREATE INDEX outbox_waiting ON outbox (office_id) WHERE state = 'waiting';
CREATE INDEX outbox_by_step_run ON outbox (step_run_id) WHERE step_run_id IS NOT NULL;

-- Callback data is an opaque token looked up here; anything not found is forged or expired.
CREATE TABLE callback_tokens (
    token       TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id),   -- who may press it; NULL: decided by role
    step_run_id INTEGER REFERENCES step_runs(id),
    choice      TEXT,
    handin_id   INTEGER REFERENCES handins(id),  -- a button that fetches a handed-in file
    payload     TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    used_at     TEXT
);
CREATE UNIQUE INDEX callback_tokens_step_choice
    ON callback_tokens (step_run_id, choice) WHERE kind = 'step';
CREATE UNIQUE INDEX callback_tokens_file ON callback_tokens (handin_id) WHERE kind = 'file';

-- What the bot is waiting for from a person (a note, a hand-in, a title), one at a time.
CREATE TABLE pending_inputs (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE invites (
    token      TEXT PRIMARY KEY,
    office_id  INTEGER NOT NULL REFERENCES offices(id),
    role       TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER REFERENCES users(id),
    used_at    TEXT
);
