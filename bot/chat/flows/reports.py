"""What the leadership reads: /laporan (a period's figures as a summary, a chart and XLSX and CSV
files) and /sop (an SOP's flowchart). Pictures and files are made when they are sent (see
``bot.documents.files``); who may read them is ``bot.office.access``'s to say, on every press."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from bot.chat.events import Answer, Command
from bot.chat.messages import Button, OutMessage, Rich, fit
from bot.chat.replies import Flow, Replies, Spot, refused
from bot.documents.files import DIAGRAM, FORMATS, REPORT_FILE
from bot.documents.reports import PERIOD_KINDS, PeriodKind, UnknownOffice, build_report, period
from bot.office.access import Access
from bot.process.instances import Instances
from bot.words import reports as words
from bot.words.format import normal_time_text
from bot.words.steps import INVALID_BUTTON
from sop.models import SopDefinition
from storage.offices import Office, User


class ReportFlow(Flow):
    def __init__(self, replies: Replies, instances: Instances, access: Access) -> None:
        super().__init__()
        self.r = replies
        self.instances = instances
        self.access = access
        self.catalog = instances.catalog
        self.menus = {
            "lap_kantor": self._office_menu(self._periods),
            "lap_periode": self._office_menu(self._report),
            "lap_unduh": self._office_menu(self._download),
            "sopgambar": self._flowchart,
        }

    def _office_menu(self, handler: Any) -> Any:
        """A report menu names its office; only those who may read its reports get further."""

        async def checked(at: Spot, user: User, p: dict[str, Any]) -> Answer:
            office = await self._office_if_allowed(user, p.get("office"))
            if office is None:
                return refused(words.NOT_FOR_YOU)
            answer: Answer = await handler(at, user, office, p)
            return answer

        return checked

    async def _office_if_allowed(self, user: User, office_id: object) -> Office | None:
        if not isinstance(office_id, int):
            return None
        now = self.r.clock.now()
        async with self.r.db.read() as tx:
            office = await tx.offices.get(office_id)
            if office is None or not await self.access.may_report(tx, user, office, now):
                return None
        return office

    async def _visible_sops(self, user: User) -> list[SopDefinition]:
        async with self.r.db.read() as tx:
            return await self.access.visible_sops(tx, user)

    # --- /laporan --------------------------------------------------------------------------------

    async def report(self, ev: Command, user: User) -> None:
        async with self.r.db.read() as tx:
            offices, roles = await self.access.report_offices(tx, user, self.r.clock.now())
        if not offices:
            await self.r.say_text(ev.chat, words.refused(roles))
            return
        if len(offices) == 1:
            await self._periods(Spot(ev.chat), user, offices[0], {})
            return
        items = [(o.name, {"a": "lap_kantor", "office": o.id}) for o in offices]
        await self.r.say(
            ev.chat, await self.r.menu_message(ev.chat, user, words.choose_office(), items)
        )

    async def _period_buttons(
        self, at: Spot, user: User, office: Office, skip: PeriodKind | None = None
    ) -> list[list[Button]]:
        rows = await self.r.menu(
            at.chat,
            user,
            [
                (words.PERIOD_LABELS[k], {"a": "lap_periode", "office": office.id, "p": k})
                for k in PERIOD_KINDS
                if k != skip
            ],
        )
        buttons = [row[0] for row in rows]
        return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]

    async def _periods(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        buttons = await self._period_buttons(at, user, office)
        await self.r.replace(at, OutMessage(words.choose_period(office.name), buttons))
        return Answer()

    async def _report(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        kind = p.get("p")
        if kind not in PERIOD_KINDS:
            return refused(INVALID_BUTTON)
        kind = cast("PeriodKind", kind)
        now = self.r.clock.now()
        start, end = period(kind, now, self.instances.calendar(office).zone)
        try:
            report = await build_report(
                self.r.db, office.code, start, end, now, roles=self.catalog.roles
            )
        except UnknownOffice:
            return refused(INVALID_BUTTON)
        head, _, rest = words.summary_text(report).partition("\n")
        text = Rich().b(head).nl().add(rest)
        if report.is_empty:
            text.nl(2).i(words.OTHER_PERIOD)
            buttons = await self._period_buttons(at, user, office, skip=kind)
            await self.r.replace(at, OutMessage(text, buttons))
            return Answer(words.EMPTY_PERIOD)
        base = {"a": "lap_unduh", "office": office.id, "from": start.isoformat()}
        base["to"] = end.isoformat()
        rows = await self.r.menu(
            at.chat,
            user,
            [
                (words.download_label(label), {**base, "f": fmt})
                for fmt, (label, _) in FORMATS.items()
            ],
        )
        await self.r.replace(at, OutMessage(text, [[row[0] for row in rows]]))
        chart = {"kind": REPORT_FILE, "office": office.code, "format": "png"}
        chart |= {"from": start.isoformat(), "to": end.isoformat()}
        caption = words.chart_caption(office.name, start, end)
        await self.r.say(at.chat, OutMessage(caption, generate=chart))
        return Answer(words.report_sent(words.PERIOD_LABELS[kind]))

    async def _download(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        fmt = p.get("f")
        try:
            start, end = date.fromisoformat(str(p["from"])), date.fromisoformat(str(p["to"]))
        except (KeyError, ValueError):
            return refused(INVALID_BUTTON)
        if fmt not in FORMATS or end < start:
            return refused(INVALID_BUTTON)
        label = FORMATS[str(fmt)][0]
        spec = {"kind": REPORT_FILE, "office": office.code, "format": fmt}
        spec |= {"from": start.isoformat(), "to": end.isoformat()}
        caption = words.file_caption(office.name, label, start, end)
        await self.r.say(at.chat, OutMessage(caption, generate=spec))
        return Answer(words.file_made(label))

    # --- /sop ------------------------------------------------------------------------------------

    async def sops(self, ev: Command, user: User) -> None:
        found = await self._visible_sops(user)
        if not found:
            await self.r.say_text(ev.chat, words.NO_SOPS)
            return
        items = [
            (defn.header.singkat or defn.header.nama, {"a": "sopgambar", "code": defn.code})
            for defn in found
        ]
        text = fit(words.sop_list(found, admin=user.is_admin))
        await self.r.say(ev.chat, await self.r.menu_message(ev.chat, user, text, items))

    async def _flowchart(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        code = p.get("code")
        defn = next((d for d in await self._visible_sops(user) if d.code == code), None)
        if defn is None:
            return refused(words.SOP_NOT_HERE)
        caption = words.sop_caption(defn, normal_time_text(defn))
        await self.r.say(at.chat, OutMessage(caption, generate={"kind": DIAGRAM, "sop": defn.code}))
        return Answer(words.FLOWCHART_SENT)
