"""Reminders and escalation, acted on when their time comes.

The database is the source of truth: every open step run carries the time of its next alert
(``next_alert_at``). A sweep takes the runs whose alert is due, decides with
``bot.process.reminders``, and for each queues the reminder (and the escalation), records it in the
audit log and moves the run's alert on, all in the transaction that read the run. The runs go in
batches, one transaction each (a first small one so that delivery starts at once, then up to
``BATCH``): a burst of a thousand reminders is a handful of transactions, and between them the
event loop serves presses and the sender. A reminder's outbox key names the run and the reminder's
number, so it is queued once even if the bot dies and sweeps again; the run's alert moves only if
nobody moved it since it was read. Something outside (the bot's timers, see ``bot.app``) wakes
the sweep at the next alert time; at start the sweep runs once, which re-arms everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from bot.chat import notify
from bot.chat.messages import Button
from bot.clock import Clock
from bot.office.settings import ReminderSettings, reminders_of
from bot.process.instances import Context, Instances
from bot.process.reminders import decide, plan_for
from bot.process.step_messages import StepMessages
from bot.words import short_forms
from bot.words import steps as texts
from storage.db import Database, Tx
from storage.offices import Holding, Office, User
from storage.processes import StepRun

log = logging.getLogger(__name__)

# Runs acted on in the sweep's first transaction, and at most in each one after it.
FIRST_BATCH = 50
BATCH = 250


class _Moved(Exception):
    """Someone moved the run's alert (or closed the run) after it was read: leave it to them."""


class Scheduler:
    def __init__(
        self,
        db: Database,
        steps: StepMessages,
        clock: Clock,
        *,
        defaults: ReminderSettings | None = None,
        arm: Callable[[float], None] = lambda delay: None,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.steps = steps
        self.instances: Instances = steps.instances
        self.roles = steps.roles
        self.clock = clock
        self.defaults = defaults or ReminderSettings()
        self.arm = arm
        self.on_commit = on_commit
        self._tick_lock = asyncio.Lock()
        self.reminded = 0
        self.escalated = 0
        self.transactions = 0  # the sweep's transactions of alerts, for the benchmark

    async def tick(self) -> int:
        """Act on every alert that is due now; then arm the next wake-up. Returns how many runs
        were acted on."""
        async with self._tick_lock:
            now = self.clock.now()
            # Stand-ins first: a step handed back is the holder's before it reminds anyone.
            handled = await self._hand_standins(now)
            size = FIRST_BATCH
            while True:
                acted, seen = await self._alert_batch(now, size)
                handled += acted
                if acted:
                    self.on_commit()  # the sender starts on these while the sweep goes on
                if seen < size or acted == 0:
                    break
                size = BATCH
                await asyncio.sleep(0)  # presses and deliveries between two transactions
            await self.rearm()
            return handled

    async def _alert_batch(self, now: datetime, size: int) -> tuple[int, int]:
        """Act on up to ``size`` due runs in one transaction: (acted on, read)."""
        try:
            async with self.db.transaction() as tx:
                self.transactions += 1
                due = await tx.processes.due_alerts(now, limit=size)
                acted = 0
                for run in due:
                    acted += await self._alert(tx, run, now)
            return acted, len(due)
        except _Moved:
            pass
        # A run moved under the batch (it cannot, inside one write transaction; if it did, the
        # batch was undone): each run alone, in a transaction of its own, as it was read then.
        async with self.db.read() as tx:
            due = await tx.processes.due_alerts(now, limit=size)
        acted = 0
        for seen in due:
            acted += await self._alert_alone(seen.id, now)
        return acted, len(due)

    async def _alert_alone(self, run_id: int, now: datetime) -> int:
        try:
            async with self.db.transaction() as tx:
                self.transactions += 1
                run = await tx.processes.step_run(run_id)
                return 0 if run is None else await self._alert(tx, run, now)
        except _Moved:
            return 0

    async def rearm(self) -> None:
        """Ask to be woken at the next alert time in the database, or sooner when a stand-in's
        period begins or ends."""
        async with self.db.read() as tx:
            nxt = await tx.processes.next_alert_at()
            for holding, office in await tx.offices.standins_to_hand():
                when = self._standin_boundary(holding, office)
                if when is not None and (nxt is None or when < nxt):
                    nxt = when
        if nxt is not None:
            self.arm(max(0.0, (nxt - self.clock.now()).total_seconds()))

    # --- stand-ins -------------------------------------------------------------------------------

    def _standin_boundary(self, holding: Holding, office: Office) -> datetime | None:
        """When a stand-in's open steps are next to be handed: the start of the first day of the
        period (over), or of the day after its last (back), at the office's midnight."""
        if holding.valid_from is None or holding.valid_until is None:
            return None
        day = holding.valid_from if not holding.handed_over else holding.valid_until
        if holding.handed_over:
            day += timedelta(days=1)
        zone = self.instances.calendar(office).zone
        return datetime.combine(day, time(), zone).astimezone(UTC)

    async def _hand_standins(self, now: datetime) -> int:
        """Hand a role's open steps to its stand-in as the period begins, and back to the holders
        as it ends; each once (the holding is marked in the same transaction)."""
        async with self.db.read() as tx:
            pending = await tx.offices.standins_to_hand()
        handed = 0
        for holding, office in pending:
            if holding.valid_from is None or holding.valid_until is None:
                continue
            day = self.instances.calendar(office).local_date(now)
            if day > holding.valid_until:
                handed += await self._hand(holding, office, now, back=True)
            elif day >= holding.valid_from and not holding.handed_over:
                handed += await self._hand(holding, office, now, back=False)
        return handed

    async def _hand(self, holding: Holding, office: Office, now: datetime, *, back: bool) -> int:
        async with self.db.transaction() as tx:
            if not await tx.offices.mark_handed(holding.id, back, now):
                return 0  # another sweep did it
            if back and not holding.handed_over:
                # The whole period passed while the bot was down: nothing was handed over.
                await tx.offices.mark_handed(holding.id, False, now)
                return 0
            standin = await tx.offices.user(holding.user_id)
            day = self.instances.calendar(office).local_date(now)
            if back:
                people = await tx.offices.recipients(office.id, holding.role, day)
            else:
                people = [standin] if standin is not None else []
            runs = await tx.processes.open_runs_for_roles(office.id, frozenset({holding.role}))
            role = self.roles.label(holding.role)
            name = standin.name if standin is not None else "—"
            banner = (
                texts.standin_ended_banner(name, role)
                if back
                else texts.standin_banner(role, holding.valid_until or day)
            )
            for _, run in runs:
                ctx = await self.instances.context(tx, run.process_id)
                if ctx is None:
                    continue
                await self.steps.send(
                    tx,
                    ctx,
                    run,
                    now,
                    to=people,
                    banner=banner,
                    dedupe=f"plh:{holding.id}:{'back' if back else 'over'}:{run.id}",
                )
            await tx.audit.append(
                "standin_handed_back" if back else "standin_handed_over",
                now,
                office_id=office.id,
                data={
                    "standin": holding.user_id,
                    "role": holding.role,
                    "runs": [run.id for _, run in runs],
                },
            )
        if runs:
            self.on_commit()
        return len(runs)

    async def _alert(self, tx: Tx, run: StepRun, now: datetime) -> int:
        """Act on one run read in ``tx``: 1 when its alert was due and moved on."""
        if not run.is_open or run.next_alert_at is None or run.next_alert_at > now:
            return 0
        ctx = await self.instances.context(tx, run.process_id)
        if ctx is None:
            return 0
        step = ctx.defn.step(run.step)
        plan = plan_for(step, reminders_of(ctx.office, self.defaults), ctx.calendar)
        decision = decide(run, plan, ctx.calendar, now)
        day = ctx.calendar.local_date(now)
        if decision.remind:
            await self._remind(tx, ctx, run, now, day)
        if decision.escalate:
            await self._escalate(tx, ctx, run, now, day)
        moved = await tx.processes.record_alert(
            run,
            next_alert_at=decision.next_alert_at,
            reminded=decision.remind,
            escalated_at=now if decision.escalate else None,
        )
        if not moved:
            raise _Moved
        return 1

    async def _remind(self, tx: Tx, ctx: Context, run: StepRun, now: datetime, day: date) -> None:
        n = run.reminders_sent + 1
        people = await tx.offices.recipients(ctx.office.id, run.role, day)
        banner = texts.reminder_banner(run, ctx.calendar, now, n)
        late = texts.lateness(run, ctx.calendar, now) or None
        sent = await self.steps.send(
            tx,
            ctx,
            run,
            now,
            to=people,
            banner=banner,
            headline=short_forms.reminder_headline(n, late),
            dedupe=f"remind:{run.id}:{n}",
        )
        await ctx.record(
            tx,
            "step_reminded",
            now,
            step=run.step,
            visit=run.visit,
            n=n,
            to=[p.id for p in people],
            late=late,
        )
        self.reminded += sent

    async def _escalate(self, tx: Tx, ctx: Context, run: StepRun, now: datetime, day: date) -> None:
        bosses, via = await self.atasan(tx, ctx.office, run.role, day)
        holders = [u.name for u in await tx.offices.recipients(ctx.office.id, run.role, day)]
        for boss in bosses:
            button = await self._open_button(tx, boss, run, now)
            message = texts.escalation_message(
                ctx.process,
                ctx.defn,
                self.roles,
                run,
                holders,
                ctx.calendar,
                now,
                button,
            )
            await notify.to_user(tx, boss, message, now, dedupe_key=f"escalate:{run.id}:{boss.id}")
        label = self.roles.label(via) if via else "admin"
        await ctx.record(
            tx,
            "step_escalated",
            now,
            step=run.step,
            visit=run.visit,
            role=run.role,
            to=label,
            users=[b.id for b in bosses],
        )
        self.escalated += 1

    async def _open_button(self, tx: Tx, user: User, run: StepRun, now: datetime) -> Button:
        token = await tx.conversation.menu_token(
            "menu", user.id, {"a": "lihat", "run": run.id}, now
        )
        return Button(label=texts.OPEN_STEP, token=token)

    async def atasan(
        self, tx: Tx, office: Office, role: str, day: date
    ) -> tuple[list[User], str | None]:
        """Who a late step of ``role`` escalates to: the holders of its nearest atasan role that
        has someone in the office (walking up the chain), or the admins when there is none."""
        roles = self.roles
        seen = {role}
        level = list(roles.roles[role].atasan) if role in roles else []
        while level:
            for boss_role in level:
                people = await tx.offices.recipients(office.id, boss_role, day)
                if people:
                    return people, boss_role
            following: list[str] = []
            for boss_role in level:
                seen.add(boss_role)
                following += [r for r in roles.roles[boss_role].atasan if r not in seen]
            level = following
        return await tx.offices.admins(office.id), None
