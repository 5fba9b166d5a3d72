"""Inbound updates, kept before they are acknowledged and handled from here, each event once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.base import Repo, Row, from_ts, opt_from_ts, ts


@dataclass(frozen=True)
class InboundBody:
    id: int
    channel: str
    body: bytes
    received_at: datetime


@dataclass(frozen=True)
class BodyAge:
    id: int
    received_at: datetime
    handled_at: datetime | None


class Inbound(Repo):
    async def keep(self, channel: str, body: bytes, now: datetime) -> int:
        """Store an update as it arrived (before the channel is told it was received)."""
        return await self._insert(
            "INSERT INTO inbound (channel, body, received_at) VALUES (?, ?, ?)",
            (channel, body, ts(now)),
        )

    async def unhandled(self, channel: str, limit: int = 100) -> list[InboundBody]:
        rows = await self._all(
            "SELECT * FROM inbound WHERE handled_at IS NULL AND channel = ? ORDER BY id LIMIT ?",
            (channel, limit),
        )
        return [_body(r) for r in rows]

    async def last(self, channel: str) -> InboundBody | None:
        """The body kept last on a channel, handled or not."""
        row = await self._one(
            "SELECT * FROM inbound WHERE channel = ? ORDER BY id DESC LIMIT 1", (channel,)
        )
        return _body(row) if row is not None else None

    async def mark_handled(self, body_id: int, now: datetime) -> None:
        await self._update("UPDATE inbound SET handled_at = ? WHERE id = ?", (ts(now), body_id))

    async def heard(self, channel: str, chat_id: str, at: datetime) -> None:
        """A chat's person wrote at ``at`` (the latest time is kept)."""
        await self._update(
            "INSERT INTO chat_windows (channel, chat_id, last_inbound_at) VALUES (?, ?, ?) "
            "ON CONFLICT (channel, chat_id) DO UPDATE SET last_inbound_at = "
            "max(last_inbound_at, excluded.last_inbound_at)",
            (channel, chat_id, ts(at)),
        )

    async def last_heard(self, channel: str, chat_id: str) -> datetime | None:
        value = await self._scalar(
            "SELECT last_inbound_at FROM chat_windows WHERE channel = ? AND chat_id = ?",
            (channel, chat_id),
        )
        return from_ts(value) if value else None

    async def seen(self, channel: str, key: str) -> bool:
        """Whether an event (a message id, a status) was handled before."""
        found = await self._scalar(
            "SELECT 1 FROM inbound_events WHERE channel = ? AND key = ?", (channel, key)
        )
        return found is not None

    async def forget(self, channel: str, before: datetime) -> int:
        """Forget the keys of a channel's events handled before ``before``; returns how many."""
        return await self._update(
            "DELETE FROM inbound_events WHERE channel = ? AND handled_at < ?", (channel, ts(before))
        )

    async def remember(self, channel: str, key: str, now: datetime) -> bool:
        """Remember an event as handled; False when it was handled already."""
        return (
            await self._update(
                "INSERT OR IGNORE INTO inbound_events (channel, key, handled_at) VALUES (?, ?, ?)",
                (channel, key, ts(now)),
            )
            > 0
        )

    # --- retention (bot.chat.retention) -----------------------------------------------------------

    async def ages(self, after_id: int, limit: int) -> list[BodyAge]:
        """When the bodies kept after ``after_id`` arrived and were handled, in the order kept."""
        rows = await self._all(
            "SELECT id, received_at, handled_at FROM inbound WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [
            BodyAge(r["id"], from_ts(r["received_at"]), opt_from_ts(r["handled_at"])) for r in rows
        ]

    async def drop(self, ids: Iterable[int]) -> int:
        """Delete these bodies (handled long ago: their events' keys are kept apart)."""
        found = list(ids)
        if not found:
            return 0
        marks = ",".join("?" for _ in found)
        return await self._update(
            f"DELETE FROM inbound WHERE id IN ({marks})",  # noqa: S608 - only placeholders are interpolated
            tuple(found),
        )


def _body(row: Row) -> InboundBody:
    return InboundBody(row["id"], row["channel"], bytes(row["body"]), from_ts(row["received_at"]))
