-- foreign_keys: off
-- Channels as plug-ins: a person is reached on one or more chat channels (Telegram, WhatsApp),
-- an office has a group chat per channel, and nothing in the schema names Telegram any more.
-- The users table is rebuilt to drop its telegram_id column (SQLite cannot drop a UNIQUE
-- column), so this migration runs with foreign keys off and is checked before it commits.

-- One row per channel a person is known on; external_id is the channel's id of them (a Telegram
-- user id, a WhatsApp number in international form), which is also their private chat's address.
CREATE TABLE identities (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX identities_by_user ON identities (user_id, channel);
INSERT INTO identities (user_id, channel, external_id, created_at)
    SELECT id, 'telegram', CAST(telegram_id AS TEXT), created_at FROM users
    WHERE telegram_id IS NOT NULL;

CREATE TABLE users_new (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    is_admin          INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    preferred_channel TEXT,                     -- NULL: the first channel they are known on
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
INSERT INTO users_new (id, name, is_admin, active, created_at, updated_at)
    SELECT id, name, is_admin, active, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- The office's group on each channel (today's group_chat_id is its Telegram group).
CREATE TABLE office_groups (
    office_id INTEGER NOT NULL REFERENCES offices(id),
    channel   TEXT NOT NULL,
    chat_id   TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (office_id, channel),
    UNIQUE (channel, chat_id)
);
INSERT INTO office_groups (office_id, channel, chat_id, linked_at)
    SELECT id, 'telegram', group_chat_id, updated_at FROM offices WHERE group_chat_id IS NOT NULL;
ALTER TABLE offices DROP COLUMN group_chat_id;

-- A button's token, whatever channel shows the button.
ALTER TABLE callback_tokens RENAME TO button_tokens;
DROP INDEX callback_tokens_step_choice;
DROP INDEX callback_tokens_file;
CREATE UNIQUE INDEX button_tokens_step_choice ON button_tokens (step_run_id, choice)
    WHERE kind = 'step';
CREATE UNIQUE INDEX button_tokens_file ON button_tokens (handin_id) WHERE kind = 'file';

-- A group message waits for the office's group on its own channel.
DROP INDEX outbox_waiting;
CREATE INDEX outbox_waiting ON outbox (office_id, channel) WHERE state = 'waiting';
