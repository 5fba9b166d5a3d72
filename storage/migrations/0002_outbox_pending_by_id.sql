-- The sender asks for the pending messages in id order. With only (not_before, id) to go on,
-- SQLite walked the whole outbox in rowid order to avoid a sort, and the outbox keeps every
-- message ever sent: each pass cost more as the office's history grew. An index of the pending
-- rows alone, in id order, makes the pass cost what is pending, nothing more.
CREATE INDEX outbox_pending_by_id ON outbox (id) WHERE state = 'pending';
