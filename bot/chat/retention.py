"""Forgetting what nobody needs any more, so the database grows with what runs, not with all that
was ever said: a message sent (or given up on) longer ago than the retention (``MESSAGE_RETENTION``,
30 days by default), with what hangs on it (what the channel reported of it, the topic it asked
about), and an update received and handled as long ago.

What stays, whatever its age:

- a message still to send (pending, or waiting for its group or its person);
- every message of a step run still open: it is edited when the step closes, and ``/proses`` and
  ``/riwayat`` show how far it got;
- a message an edit still to send (or a young one) refers to;
- a message whose deduplication key could be made again: each key below is named with when it
  stops mattering, and a key of any other prefix keeps its row.

The audit trail is not touched: it holds every action in its own chained table.

It runs in small transactions (``BATCH`` messages looked at in each) and rests between them
(``SHARE``): the first run on an old database has millions of messages to forget, and each batch
holds the event loop while SQLite deletes, so the job takes at most a fifth of the loop and a press
meets at most one batch on its way. SQLite reuses the pages freed: the file
stops growing rather than shrinking, and no VACUUM is needed (it would hold the write lock for as
long as it copies the whole file).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.clock import Clock
    from storage.db import Database, Tx
    from storage.outbox import MessageTrace

log = logging.getLogger(__name__)

# Prompts and menus expire within two days, a deduplication key by the day (below), a channel's
# event keys after six days: a retention of a week forgets nothing any of them still needs.
SHORTEST_RETENTION = timedelta(days=7)
BATCH = 100  # messages looked at per transaction: a few milliseconds holding the loop
SHARE = 0.2  # the most of the event loop's time the job takes: it rests 4x as long as a batch took
MIN_REST = 0.01  # seconds, at least, between two batches
EVERY = 3600.0  # seconds between runs
SETTLED = frozenset({"sent", "failed"})

# Deduplication keys (``prefix:...``) whose message may go once it is older than the retention:
# the same key cannot be made again by then.
DONE_BY_THEN = frozenset(
    {
        # remind:<run>:<n>:<person>, plh:<holding>:<over|back>:<run>:<person> (scheduler,
        # step_messages): sent about an open run, whose messages all stay while it is open.
        "remind",
        "plh",
        # announce:<process>:<visit>:<person> (workflow): made in the transaction that moves the
        # process past that visit.
        "announce",
        # stranger:<channel>:<id>:<ten minutes>:<n> (welcome); nudge:...:<day>, shortform:...:<day>,
        # undeliverable:<user>:<day> (sender): a time that has passed.
        "stranger",
        "nudge",
        "shortform",
        "undeliverable",
        # again:<outbox id> (sender): sent again when the channel refused the first outside its
        # window; a status never moves back, and a status of a message forgotten finds none.
        "again",
    }
)
# escalate:<run>:<boss> (scheduler) is not tied to its run by step_run_id: it stays while the run is
# open (the run's escalated_at also keeps it from escalating twice).
WHILE_RUN_OPEN = frozenset({"escalate"})
# Kept for ever, as any prefix not named above: joined:<channel>:<chat> (the greeting of a group,
# once per group, however old).


@dataclass
class Forgotten:
    """What one run forgot, and what it cost."""

    messages: int = 0
    statuses: int = 0
    asked: int = 0  # the topics messages asked about
    inbound: int = 0
    batches: int = 0
    longest: float = 0.0  # seconds: the longest a batch held the write lock
    seconds: float = 0.0

    @property
    def anything(self) -> bool:
        return bool(self.messages or self.statuses or self.asked or self.inbound)


class Retention:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        keep_for: timedelta,
        *,
        batch: int = BATCH,
        every: float = EVERY,
        share: float = SHARE,
        rest: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.db = db
        self.clock = clock
        self.keep_for = keep_for
        self.batch = batch
        self.every = every
        self.share = share  # 1.0: no rest between batches (the benchmark's job alone)
        self.rest = rest
        self._next = 0.0  # monotonic time of the next run: the first tick runs it

    async def tick(self) -> None:
        """Run when ``every`` seconds have passed since the last run (a timer calls this often)."""
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.every
        done = await self.run()
        if done.anything:
            log.info(
                "retention forgot %d messages, %d statuses, %d prompt links, %d updates in %.1f s",
                done.messages,
                done.statuses,
                done.asked,
                done.inbound,
                done.seconds,
            )

    async def run(self) -> Forgotten:
        """Forget everything older than the retention that nothing needs any more."""
        began = time.perf_counter()
        cutoff = self.clock.now() - self.keep_for
        done = Forgotten()
        after: int | None = 0
        while after is not None:
            started = time.perf_counter()
            async with self.db.transaction() as tx:
                after = await self._messages(tx, after, cutoff, done)
            await self._rest(done, time.perf_counter() - started)
        after = 0
        while after is not None:
            started = time.perf_counter()
            async with self.db.transaction() as tx:
                after = await self._inbound(tx, after, cutoff, done)
            await self._rest(done, time.perf_counter() - started)
        done.seconds = time.perf_counter() - began
        return done

    async def _rest(self, done: Forgotten, seconds: float) -> None:
        """A batch took ``seconds``: count it, and leave the loop to the bot for a while."""
        done.batches += 1
        done.longest = max(done.longest, seconds)
        if self.share >= 1.0:
            await asyncio.sleep(0)
            return
        await self.rest(max(MIN_REST, seconds * (1.0 - self.share) / self.share))

    async def _messages(self, tx: Tx, after: int, cutoff: datetime, done: Forgotten) -> int | None:
        """One batch of the outbox, in the order it was queued; where to go on from, or None at
        the first message younger than the retention (or the end)."""
        window = await tx.outbox.traces(after, self.batch)
        going: dict[int, MessageTrace] = {}
        last: int | None = window[-1].id if len(window) == self.batch else None
        for m in window:
            if m.created_at >= cutoff:
                last = None
                break
            if await self._may_go(tx, m, cutoff):
                going[m.id] = m
        await self._with_edits(tx, going, cutoff)
        if going:
            messages, statuses = await tx.outbox.forget(going)
            done.messages += messages
            done.statuses += statuses
            done.asked += await tx.conversation.forget_asked(going)
        return last

    async def _with_edits(self, tx: Tx, going: dict[int, MessageTrace], cutoff: datetime) -> None:
        """A message goes with its edits, or stays while one of them must stay (an edit refers to
        the message it replaces)."""
        staying: set[int] = set()
        changed = True
        while changed and going:
            changed = False
            for e in await tx.outbox.edits_of(sorted(going)):
                if e.id in going or e.edit_of not in going:
                    continue
                if e.id not in staying and await self._may_go(tx, e, cutoff):
                    going[e.id] = e
                else:
                    assert e.edit_of is not None  # noqa: S101 - found by it
                    del going[e.edit_of]
                    staying.add(e.edit_of)
                changed = True

    async def _may_go(self, tx: Tx, m: MessageTrace, cutoff: datetime) -> bool:
        """Sent or given up on before the cutoff, and needed by nothing the bot may still do."""
        if m.state not in SETTLED or m.created_at >= cutoff or m.settled_at >= cutoff:
            return False
        if m.run_open:
            return False
        if m.dedupe_key is None:
            return True
        prefix, _, rest = m.dedupe_key.partition(":")
        if prefix in DONE_BY_THEN:
            return True
        if prefix in WHILE_RUN_OPEN:
            run_id = rest.partition(":")[0]
            if not run_id.isdigit():
                return False
            run = await tx.processes.step_run(int(run_id))
            return run is None or not run.is_open
        return False

    async def _inbound(self, tx: Tx, after: int, cutoff: datetime, done: Forgotten) -> int | None:
        """One batch of the updates kept; where to go on from, or None (as ``_messages``)."""
        window = await tx.inbound.ages(after, self.batch)
        going: list[int] = []
        last: int | None = window[-1].id if len(window) == self.batch else None
        for body in window:
            if body.received_at >= cutoff:
                last = None
                break
            if body.handled_at is not None and body.handled_at < cutoff:
                going.append(body.id)
        done.inbound += await tx.inbound.drop(going)
        return last
