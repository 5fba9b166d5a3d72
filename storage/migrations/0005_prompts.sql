-- A person may be asked several things at once: a correction on process #1 and an agenda number
-- on process #2. One waiting answer per person sent the note meant for #1 to #2 and dropped #1's
-- prompt without a word. Now each prompt is its own row, one per person and topic (a process, a
-- new process being prepared, the office's settings). The messages that asked about a topic are
-- remembered, so a reply to one of them goes to that topic's prompt. Earlier rows keep their
-- process as their topic.
CREATE TABLE prompts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a stale button stays stale
    user_id        INTEGER NOT NULL REFERENCES users(id),
    topic          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    label          TEXT NOT NULL,
    payload        TEXT NOT NULL,
    process_id     INTEGER REFERENCES processes(id),
    wants_file     INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    UNIQUE (user_id, topic)
);

-- The messages that asked (by their outbox row: its message reference arrives when it is sent).
CREATE TABLE prompt_messages (
    outbox_id INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    topic     TEXT NOT NULL
);

INSERT INTO prompts (user_id, topic, kind, label, payload, process_id, wants_file, created_at,
                     expires_at)
SELECT p.user_id,
       CASE
           WHEN pr.id IS NOT NULL THEN 'proses:' || pr.id
           WHEN p.kind IN ('title', 'start_docs') THEN 'baru'
           ELSE 'kantor'
       END,
       p.kind,
       CASE WHEN pr.id IS NOT NULL THEN '#' || pr.id || ' ' || pr.title ELSE '' END,
       p.payload,
       pr.id,
       p.kind = 'start_docs' OR COALESCE(json_extract(p.payload, '$.kind') = 'attachment', 0),
       p.created_at,
       p.expires_at
FROM pending_inputs AS p
LEFT JOIN processes AS pr ON pr.id = json_extract(p.payload, '$.process');

DROP TABLE pending_inputs;
