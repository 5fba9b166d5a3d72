-- The edits of each message. outbox.edit_of refers to the message an edit replaces, so deleting a
-- message makes SQLite look for edits of it; without an index that is a walk of the whole outbox
-- for every message deleted (78 s for 1,000 messages among 200,000), and the retention deletes
-- messages all the time. Few messages are edits: the index holds only those.
CREATE INDEX outbox_edits ON outbox (edit_of) WHERE edit_of IS NOT NULL;
