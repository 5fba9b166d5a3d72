"""The outbox: messages written in the same transaction as the change that causes them, delivered
later by the sender in order per chat, each marked sent once the channel has it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.base import Repo, Row, dumps, from_ts, opt_from_ts, ts


@dataclass(frozen=True)
class OutboxItem:
    id: int
    created_at: datetime
    channel: str
    chat_id: str | None
    office_id: int | None
    user_id: int | None
    kind: str  # 'send' | 'edit'
    payload: dict[str, Any]
    step_run_id: int | None
    edit_of: int | None
    dedupe_key: str | None
    state: str  # 'pending' | 'sent' | 'failed' | 'waiting'
    attempts: int
    not_before: datetime
    last_error: str | None
    sent_at: datetime | None
    message_ref: str | None

    @classmethod
    def of(cls, row: Row) -> OutboxItem:
        return cls(
            id=row["id"],
            created_at=from_ts(row["created_at"]),
            channel=row["channel"],
            chat_id=row["chat_id"],
            office_id=row["office_id"],
            user_id=row["user_id"],
            kind=row["kind"],
            payload=json.loads(row["payload"]),
            step_run_id=row["step_run_id"],
            edit_of=row["edit_of"],
            dedupe_key=row["dedupe_key"],
            state=row["state"],
            attempts=row["attempts"],
            not_before=from_ts(row["not_before"]),
            last_error=row["last_error"],
            sent_at=opt_from_ts(row["sent_at"]),
            message_ref=row["message_ref"],
        )


@dataclass(frozen=True)
class MessageStatus:
    status: str  # sent, delivered, read, failed, window (refused outside its window)
    error_code: int | None = None
    error_detail: str | None = None


@dataclass(frozen=True)
class MessageTrace:
    """What the retention decides on about a message: its state, age and ties, not its text."""

    id: int
    kind: str
    state: str
    created_at: datetime
    settled_at: datetime  # when it was sent; a failed one, when it was last tried
    step_run_id: int | None
    run_open: bool  # its step run is still open: the message is edited when the step closes
    edit_of: int | None
    dedupe_key: str | None


_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4, "window": 4}


class Outbox(Repo):
    async def enqueue(
        self,
        *,
        chat_id: str | None,
        payload: dict[str, Any],
        now: datetime,
        kind: str = "send",
        office_id: int | None = None,
        user_id: int | None = None,
        step_run_id: int | None = None,
        edit_of: int | None = None,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        channel: str,
    ) -> int | None:
        """Queue a message. A message without a chat (an office group not linked yet) waits until
        ``release_waiting``. Returns None when ``dedupe_key`` was queued before."""
        state = "pending" if chat_id is not None else "waiting"
        try:
            return await self._insert(
                "INSERT INTO outbox (created_at, channel, chat_id, office_id, user_id, kind, "
                "payload, step_run_id, edit_of, dedupe_key, state, not_before) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ts(now),
                    channel,
                    chat_id,
                    office_id,
                    user_id,
                    kind,
                    dumps(payload),
                    step_run_id,
                    edit_of,
                    dedupe_key,
                    state,
                    ts(not_before or now),
                ),
            )
        except sqlite3.IntegrityError:
            if dedupe_key is not None and await self._scalar(
                "SELECT 1 FROM outbox WHERE dedupe_key = ?", (dedupe_key,)
            ):
                return None
            raise

    async def get(self, item_id: int) -> OutboxItem | None:
        row = await self._one("SELECT * FROM outbox WHERE id = ?", (item_id,))
        return OutboxItem.of(row) if row else None

    async def due(
        self, now: datetime, channels: Iterable[str], limit: int = 100
    ) -> list[OutboxItem]:
        """The first pending message of each chat (of each of ``channels``), when it is due: a
        later message of a chat never overtakes an earlier one that is waiting for a retry."""
        sql, params = _due_query(now, channels, limit)
        return [OutboxItem.of(r) for r in await self._all(sql, params)]

    async def explain_due(self, now: datetime, channels: Iterable[str]) -> list[str]:
        """The query plan of ``due`` (to check that it reads only pending rows)."""
        sql, params = _due_query(now, channels, 200)
        return [str(r["detail"]) for r in await self._all(f"EXPLAIN QUERY PLAN {sql}", params)]

    async def next_due_at(
        self, channels: Iterable[str], after: datetime | None = None
    ) -> datetime | None:
        """When the next pending message (of ``channels``) falls due; with ``after``, the first
        due later than that (what is due already is being delivered)."""
        names = sorted(set(channels))
        marks = ",".join("?" for _ in names)
        later = "" if after is None else "AND not_before > ? "
        value = await self._scalar(
            f"SELECT MIN(not_before) FROM outbox WHERE state = 'pending' {later}"  # noqa: S608 - only fixed SQL and placeholders are interpolated
            f"AND channel IN ({marks})",
            (*(() if after is None else (ts(after),)), *names),
        )
        return from_ts(value) if value else None

    async def head_of_chat(self, channel: str, chat_id: str, now: datetime) -> OutboxItem | None:
        """The first pending message of one chat, when it is due (None when the chat has none, or
        its first waits for a retry): the sender's next message for a chat it is delivering to,
        read through the index of pending messages by chat."""
        row = await self._one(
            "SELECT * FROM outbox WHERE state = 'pending' AND chat_id = ? AND channel = ? "
            "ORDER BY id LIMIT 1",
            (chat_id, channel),
        )
        if row is None or row["not_before"] > ts(now):
            return None
        return OutboxItem.of(row)

    async def mark_sent(self, item_id: int, message_ref: str | None, now: datetime) -> None:
        await self._update(
            "UPDATE outbox SET state = 'sent', sent_at = ?, message_ref = ?, "
            "attempts = attempts + 1 WHERE id = ?",
            (ts(now), message_ref, item_id),
        )

    async def reschedule(self, item_id: int, not_before: datetime, error: str) -> None:
        await self._update(
            "UPDATE outbox SET not_before = ?, last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (ts(not_before), error[:500], item_id),
        )

    async def mark_failed(self, item_id: int, error: str) -> None:
        await self._update(
            "UPDATE outbox SET state = 'failed', last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (error[:500], item_id),
        )

    async def wait_for_person(self, item_id: int, error: str) -> None:
        """The message cannot reach its person now (WhatsApp's window is closed and no template
        carries it): it waits until they write."""
        await self._update(
            "UPDATE outbox SET state = 'waiting', last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (error[:500], item_id),
        )

    async def release_chat(self, channel: str, chat_id: str, now: datetime) -> int:
        """A person wrote: what waited for them goes out, in its original order."""
        return await self._update(
            "UPDATE outbox SET state = 'pending', not_before = ? "
            "WHERE state = 'waiting' AND channel = ? AND chat_id = ?",
            (ts(now), channel, chat_id),
        )

    async def sent_in_chat(self, channel: str, chat_id: str, message_ref: str) -> OutboxItem | None:
        """The message sent into a chat as ``message_ref`` (a Telegram message id is only unique
        within its chat)."""
        row = await self._one(
            "SELECT * FROM outbox WHERE channel = ? AND message_ref = ? AND chat_id = ? "
            "AND kind = 'send' ORDER BY id LIMIT 1",
            (channel, message_ref, chat_id),
        )
        return OutboxItem.of(row) if row else None

    async def by_ref(self, channel: str, message_ref: str) -> OutboxItem | None:
        row = await self._one(
            "SELECT * FROM outbox WHERE channel = ? AND message_ref = ? ORDER BY id LIMIT 1",
            (channel, message_ref),
        )
        return OutboxItem.of(row) if row else None

    async def record_status(
        self,
        channel: str,
        message_ref: str,
        status: str,
        at: datetime,
        error_code: int | None = None,
        error_detail: str | None = None,
    ) -> bool:
        """What the channel reports of a message it took; a status never goes back (a late
        "delivered" after "read" changes nothing). Returns whether it moved forward."""
        known = await self.status_of(channel, message_ref)
        if known is not None and _RANK.get(status, 0) <= _RANK.get(known.status, 0):
            return False
        await self._update(
            "INSERT INTO message_statuses (channel, message_ref, status, at, error_code, "
            "error_detail) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, message_ref) DO UPDATE "
            "SET status = excluded.status, at = excluded.at, error_code = excluded.error_code, "
            "error_detail = excluded.error_detail",
            (channel, message_ref, status, ts(at), error_code, error_detail),
        )
        return True

    async def status_of(self, channel: str, message_ref: str) -> MessageStatus | None:
        row = await self._one(
            "SELECT * FROM message_statuses WHERE channel = ? AND message_ref = ?",
            (channel, message_ref),
        )
        if row is None:
            return None
        return MessageStatus(row["status"], row["error_code"], row["error_detail"])

    async def release_waiting(
        self, office_id: int, channel: str, chat_id: str, now: datetime
    ) -> int:
        """An office group was linked on a channel: the messages that waited for it go out, in
        their original order."""
        return await self._update(
            "UPDATE outbox SET state = 'pending', chat_id = ?, not_before = ? "
            "WHERE state = 'waiting' AND office_id = ? AND channel = ?",
            (chat_id, ts(now), office_id, channel),
        )

    async def for_step_run(self, step_run_id: int) -> list[OutboxItem]:
        """The step messages sent (or still to send) about a step run."""
        rows = await self._all(
            "SELECT * FROM outbox WHERE step_run_id = ? AND kind = 'send' "
            "AND state IN ('pending', 'sent') ORDER BY id",
            (step_run_id,),
        )
        return [OutboxItem.of(r) for r in rows]

    async def delivery_statuses(self, step_run_id: int) -> dict[int, str]:
        """How far each person's message of a step run got (the channel's last word), by user:
        only channels that report it (WhatsApp) appear."""
        rows = await self._all(
            "SELECT o.user_id, s.status FROM outbox o JOIN message_statuses s "
            "ON s.channel = o.channel AND s.message_ref = o.message_ref "
            "WHERE o.step_run_id = ? AND o.kind = 'send' AND o.user_id IS NOT NULL ORDER BY o.id",
            (step_run_id,),
        )
        return {int(r["user_id"]): str(r["status"]) for r in rows}

    async def keyed(self, prefix: str) -> list[OutboxItem]:
        """The messages whose deduplication key starts with ``prefix`` (e.g. every reminder)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self._all(
            "SELECT * FROM outbox WHERE dedupe_key LIKE ? ESCAPE '\\' ORDER BY id",
            (escaped + "%",),
        )
        return [OutboxItem.of(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self._all("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}

    async def for_chat(self, channel: str, chat_id: str) -> list[OutboxItem]:
        rows = await self._all(
            "SELECT * FROM outbox WHERE channel = ? AND chat_id = ? ORDER BY id", (channel, chat_id)
        )
        return [OutboxItem.of(r) for r in rows]

    # --- retention (bot.chat.retention) -----------------------------------------------------------

    async def traces(self, after_id: int, limit: int) -> list[MessageTrace]:
        """The messages queued after ``after_id``, in the order they were queued."""
        rows = await self._all(f"{_TRACE} WHERE o.id > ? ORDER BY o.id LIMIT ?", (after_id, limit))
        return [_trace(r) for r in rows]

    async def edits_of(self, ids: Iterable[int]) -> list[MessageTrace]:
        """The edits queued of these messages (a message stays while an edit of it does)."""
        found = list(ids)
        if not found:
            return []
        marks = ",".join("?" for _ in found)
        rows = await self._all(
            f"{_TRACE} WHERE o.edit_of IN ({marks}) ORDER BY o.id",
            tuple(found),
        )
        return [_trace(r) for r in rows]

    async def forget(self, ids: Iterable[int]) -> tuple[int, int]:
        """Delete these messages (an edit of one of them must go with it), and what the channel
        reported of them where no message left shares their reference. Returns how many messages
        and statuses went."""
        found = list(ids)
        if not found:
            return 0, 0
        marks = ",".join("?" for _ in found)
        statuses = await self._update(
            "DELETE FROM message_statuses WHERE (channel, message_ref) IN ("  # noqa: S608 - only placeholders are interpolated
            f"SELECT o.channel, o.message_ref FROM outbox o WHERE o.id IN ({marks}) "
            "AND o.message_ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbox k "
            "WHERE k.channel = o.channel AND k.message_ref = o.message_ref "
            f"AND k.id NOT IN ({marks})))",
            (*found, *found),
        )
        messages = await self._update(
            f"DELETE FROM outbox WHERE id IN ({marks})",  # noqa: S608 - only placeholders are interpolated
            tuple(found),
        )
        return messages, statuses


def _due_query(now: datetime, channels: Iterable[str], limit: int) -> tuple[str, tuple[Any, ...]]:
    names = sorted(set(channels))
    marks = ",".join("?" for _ in names)
    sql = (
        "SELECT * FROM outbox o WHERE o.state = 'pending' AND o.not_before <= ? "  # noqa: S608 - only fixed SQL and placeholders are interpolated
        f"AND o.channel IN ({marks}) "
        "AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.state = 'pending' "
        "AND e.chat_id = o.chat_id AND e.channel = o.channel AND e.id < o.id) "
        "ORDER BY o.id LIMIT ?"
    )
    return sql, (ts(now), *names, limit)


_TRACE = (
    "SELECT o.id, o.kind, o.state, o.created_at, COALESCE(o.sent_at, o.not_before) AS settled_at, "
    "o.step_run_id, r.id IS NOT NULL AND r.done_at IS NULL AS run_open, o.edit_of, o.dedupe_key "
    "FROM outbox o LEFT JOIN step_runs r ON r.id = o.step_run_id"
)


def _trace(row: Any) -> MessageTrace:
    return MessageTrace(
        id=row["id"],
        kind=row["kind"],
        state=row["state"],
        created_at=from_ts(row["created_at"]),
        settled_at=from_ts(row["settled_at"]),
        step_run_id=row["step_run_id"],
        run_open=bool(row["run_open"]),
        edit_of=row["edit_of"],
        dedupe_key=row["dedupe_key"],
    )
