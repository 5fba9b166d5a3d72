"""A step's message, and sending it to the people whose step it is. One message per step with
everything needed in it (the words are ``bot.words.steps``'), its choice buttons, and a button for
each earlier document; every button is an opaque token looked up when it is pressed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.chat import notify
from bot.chat.messages import Button, OutMessage, Rich
from bot.process.instances import Context, Instances
from bot.words import short_forms
from bot.words import steps as words
from bot.words.notices import nobody_holds_role
from sop.models import HandinKind
from storage.db import Tx
from storage.offices import User
from storage.processes import StepRun

MAX_FILE_BUTTONS = 6
# The choice a step's "Lihat langkah" button carries: it sends the whole step message again.
VIEW_CHOICE = "lihat"


class StepMessages:
    def __init__(self, instances: Instances) -> None:
        self.instances = instances
        self.roles = instances.catalog.roles

    async def send(
        self,
        tx: Tx,
        ctx: Context,
        run: StepRun,
        now: datetime,
        *,
        to: Sequence[User] | None = None,
        banner: Rich | None = None,
        headline: str = short_forms.NEW_STEP,
        dedupe: str | None = None,
    ) -> int:
        """Send a step run's message, with its buttons, to the people who hold its role now (or to
        ``to``). Returns how many were queued; tells the admins when nobody holds the role."""
        people = (
            list(to)
            if to is not None
            else await tx.offices.recipients(ctx.office.id, run.role, ctx.calendar.local_date(now))
        )
        if not people:
            if to is None:
                label = self.roles.label(run.role)
                await notify.to_admins(
                    tx,
                    nobody_holds_role(ctx.office, ctx.process, label, run.step),
                    now,
                    offices=[ctx.office.id],
                )
            return 0
        message = await self.build(tx, ctx, run, now, banner=banner, headline=headline)
        sent = 0
        for person in people:
            key = f"{dedupe}:{person.id}" if dedupe else None
            if await notify.to_user(tx, person, message, now, step_run_id=run.id, dedupe_key=key):
                sent += 1
        return sent

    async def build(
        self,
        tx: Tx,
        ctx: Context,
        run: StepRun,
        now: datetime,
        *,
        banner: Rich | None = None,
        headline: str = short_forms.NEW_STEP,
    ) -> OutMessage:
        step = ctx.defn.step(run.step)
        choices = [
            Button(label=c.label, token=await tx.conversation.step_token(run.id, c.id, now))
            for c in step.effective_choices
        ]
        view_button = Button(
            label=short_forms.VIEW_STEP,
            token=await tx.conversation.step_token(run.id, VIEW_CHOICE, now),
        )
        runs = await tx.processes.step_runs(ctx.process.id)
        handins = await tx.processes.handins(ctx.process.id)
        step_of = {r.id: r.step for r in runs}
        # A document handed in again after a send-back is its next version: "versi 2".
        versions: dict[tuple[str, int | None], int] = {}
        labelled = []
        for h in handins:
            if h.kind != HandinKind.ATTACHMENT:
                continue
            came_from = step_of.get(h.step_run_id) if h.step_run_id else None
            key = (h.label, came_from)
            version = versions[key] = versions.get(key, 0) + 1
            labelled.append((h, words.file_button_label(h.label, came_from, version)))
        file_buttons = [
            Button(label=label, token=await tx.conversation.file_token(h.id, now), kind="file")
            for h, label in labelled[-MAX_FILE_BUTTONS:]
        ]
        names = await self.instances.names(
            tx, {r.done_by for r in runs} | {r.return_by for r in runs}
        )
        view = words.StepView(
            office=ctx.office,
            calendar=ctx.calendar,
            defn=ctx.defn,
            roles=self.roles,
            process=ctx.process,
            run=run,
            earlier=runs,
            handins=handins,
            names=names,
        )
        message = words.step_message(view, choices, file_buttons, banner=banner)
        message.short_form = short_forms.step(
            headline, ctx.defn, step, ctx.process, run, ctx.calendar, choices, view_button
        )
        return message
