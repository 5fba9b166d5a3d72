"""What a channel receives, kept before it is acknowledged and handled from the database: a crash
right after the channel was told "received" loses nothing, and an event the channel delivers twice
(Meta retries a webhook, Telegram hands out again an update it was not told was received) acts
once, by its key. The key is remembered in the transaction that marks the body handled, so an event
whose handling a crash cut short is handled again after the restart: at least once, never lost.
Also where a person's writing is noted: it opens WhatsApp's 24-hour window, and what waited for
them goes out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.chat.channel import ChannelError
from bot.chat.sender import Sender
from bot.clock import Clock
from storage.db import Database
from storage.inbound import InboundBody

__all__ = ["InboundBody", "Inbox"]


class Inbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sender: Sender,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sender = sender
        self.on_commit = on_commit

    async def keep(self, channel: str, body: bytes) -> int:
        """Store what arrived, before the channel is answered."""
        async with self.db.transaction() as tx:
            return await tx.inbound.keep(channel, body, self.clock.now())

    async def keep_all(self, channel: str, bodies: Sequence[bytes]) -> list[InboundBody]:
        """Store a batch that arrived together, in one transaction: all or none of it is kept
        before the channel is told it was received. What was kept, to be handled."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            return [
                InboundBody(await tx.inbound.keep(channel, body, now), channel, body, now)
                for body in bodies
            ]

    async def unhandled(self, channel: str) -> list[InboundBody]:
        async with self.db.read() as tx:
            return await tx.inbound.unhandled(channel)

    async def last(self, channel: str) -> InboundBody | None:
        """What was kept last on a channel (where to go on from after a restart)."""
        async with self.db.read() as tx:
            return await tx.inbound.last(channel)

    async def done(self, body: InboundBody, key: str | None = None) -> None:
        """A body was handled; with ``key``, the event it carried is remembered as handled in the
        same transaction (a copy of it kept later is then skipped)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if key is not None:
                await tx.inbound.remember(body.channel, key, now)
            await tx.inbound.mark_handled(body.id, now)

    async def forget(self, channel: str, kept_for: timedelta) -> int:
        """Forget the keys of a channel's events handled longer ago than ``kept_for``."""
        async with self.db.transaction() as tx:
            return await tx.inbound.forget(channel, self.clock.now() - kept_for)

    async def seen(self, channel: str, key: str) -> bool:
        """Whether an event (a message id, a status) was handled already."""
        async with self.db.read() as tx:
            return await tx.inbound.seen(channel, key)

    async def handled(self, channel: str, key: str) -> None:
        async with self.db.transaction() as tx:
            await tx.inbound.remember(channel, key, self.clock.now())

    async def heard(self, channel: str, external_id: str, scoped_id: str | None) -> None:
        """A person wrote or pressed: their window opens, and what waited for them goes out."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.inbound.heard(channel, external_id, now)
            if scoped_id:
                await tx.offices.set_scoped_id(channel, external_id, scoped_id)
            released = await tx.outbox.release_chat(channel, external_id, now)
        if released:
            self.on_commit()

    async def status(
        self, channel: str, message_ref: str, status: str, error: ChannelError | None
    ) -> None:
        """What the channel reports of a message it took."""
        await self.sender.reported(channel, message_ref, status, error)
