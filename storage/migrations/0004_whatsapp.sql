-- WhatsApp beside Telegram: what the bot must remember that Telegram never needed.

-- A WhatsApp person is known by their number; webhooks also carry a business-scoped user id,
-- kept beside it.
ALTER TABLE identities ADD COLUMN scoped_id TEXT;

-- When a chat's person last wrote: it opens WhatsApp's 24-hour window for free messages (a
-- stranger's chat too, so the bot can answer them).
CREATE TABLE chat_windows (
    channel         TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    last_inbound_at TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

-- Every inbound webhook body is kept before it is acknowledged, and handled from here: a crash
-- right after the 200 loses nothing. An event (a message, a press, a status) is handled once: its
-- key is remembered, so a body Meta delivers twice acts once.
CREATE TABLE inbound (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    body        BLOB NOT NULL,
    received_at TEXT NOT NULL,
    handled_at  TEXT
);
CREATE INDEX inbound_unhandled ON inbound (id) WHERE handled_at IS NULL;
CREATE TABLE inbound_events (
    channel    TEXT NOT NULL,
    key        TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    PRIMARY KEY (channel, key)
);

-- Files handed in, kept by the bot: a WhatsApp media URL lives minutes and its id days, so the
-- bytes are downloaded at once and sent from here to the next actor on either channel.
CREATE TABLE files (
    id         INTEGER PRIMARY KEY,
    origin     TEXT,                            -- the channel it came from, and its reference
    origin_ref TEXT,                            -- there (sent again on it without uploading)
    name       TEXT NOT NULL,
    mime_type  TEXT,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- What the channel says happened to a message it took (sent, delivered, read, failed), by the
-- channel's reference: a status may arrive before the sender has recorded the reference.
CREATE TABLE message_statuses (
    channel      TEXT NOT NULL,
    message_ref  TEXT NOT NULL,
    status       TEXT NOT NULL,
    at           TEXT NOT NULL,
    error_code   INTEGER,
    error_detail TEXT,
    PRIMARY KEY (channel, message_ref)
);
CREATE INDEX outbox_by_ref ON outbox (channel, message_ref) WHERE message_ref IS NOT NULL;
-- A message waits for its person: WhatsApp's window closed and no template could carry it.
CREATE INDEX outbox_waiting_for_chat ON outbox (channel, chat_id) WHERE state = 'waiting';
