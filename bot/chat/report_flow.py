"""The chat side of the reports: /laporan (the figures of a period as a summary, a chart and XLSX
and CSV files), /sop (an SOP's flowchart), and what /riwayat N adds to the timeline (the process's
flowchart with its progress, and its archive record as a PDF).

Pictures and files go through the outbox like every message, but not as bytes: a message carries
a ``generate`` spec and the sender makes the file when it sends it (``file_generators``, registered
in ``bot.app``), so the outbox keeps a few words instead of a quarter-megabyte PNG for every
/riwayat. The rights are checked when the person asks (and again on every press); the generators
only make what the dialog already allowed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from bot.chat.admin_flow import Spot
from bot.chat.events import Answer, Chat, Command
from bot.chat.messages import Button, OutMessage, Rich
from bot.documents.files import ARCHIVE_FILE, DIAGRAM, FORMATS, REPORT_FILE
from bot.documents.reports import (
    PERIOD_KINDS,
    PERIOD_LABELS,
    PeriodKind,
    UnknownOffice,
    build_report,
    period,
    summary_text,
)
from bot.office.settings import DEFAULT_REPORT_ROLES, settings_of
from bot.words import steps as texts
from bot.words.format import format_date
from storage.offices import Office, User

if TYPE_CHECKING:
    from bot.chat.dialog import Dialog
    from bot.process.workflow import Context
    from sop.loader import Catalog
    from sop.models import SopDefinition
    from storage.db import Tx

# Menu actions this dialog answers (``Dialog._menu`` hands them over).
OFFICE = "lap_kantor"
PERIOD = "lap_periode"
DOWNLOAD = "lap_unduh"
FLOWCHART = "sopgambar"
ARCHIVE = "arsip"
ACTIONS = frozenset({OFFICE, PERIOD, DOWNLOAD, FLOWCHART, ARCHIVE})

MAX_SOP_BUTTONS = 30


def dates_text(start: date, end: date) -> str:
    if start == end:
        return format_date(start)
    return f"{format_date(start)} – {format_date(end)}"


class ReportDialog:
    def __init__(self, dialog: Dialog) -> None:
        self.d = dialog

    @property
    def catalog(self) -> Catalog:
        return self.d.catalog

    @staticmethod
    def handles(action: object) -> bool:
        return action in ACTIONS

    # --- who may see what ------------------------------------------------------------------------

    async def _may_report(self, tx: Tx, user: User, office: Office, now: datetime) -> bool:
        """Admins, and people holding or standing in for one of the office's report roles."""
        if user.is_admin:
            return True
        actor = await self.d.workflow.actor(tx, user, office, now)
        return bool(actor.roles & set(settings_of(office).report_roles))

    async def _report_offices(self, user: User) -> tuple[list[Office], list[str]]:
        """The offices this person may read reports of, and (for a refusal) the labels of the
        roles that may, in the offices they belong to."""
        now = self.d.clock.now()
        async with self.d.db.read() as tx:
            candidates = (
                await tx.offices.all() if user.is_admin else await tx.offices.offices_of(user.id)
            )
            allowed = [o for o in candidates if await self._may_report(tx, user, o, now)]
        keys = dict.fromkeys(
            role for o in candidates for role in settings_of(o).report_roles
        ) or dict.fromkeys(DEFAULT_REPORT_ROLES)
        return allowed, [self.catalog.roles.label(k) for k in keys]

    async def _office_if_allowed(self, user: User, office_id: object) -> Office | None:
        if not isinstance(office_id, int):
            return None
        now = self.d.clock.now()
        async with self.d.db.read() as tx:
            office = await tx.offices.get(office_id)
            if office is None or not await self._may_report(tx, user, office, now):
                return None
        return office

    async def _visible_sops(self, user: User) -> list[SopDefinition]:
        """The SOPs the person's offices run (admins: every SOP the bot knows)."""
        if user.is_admin:
            return self.catalog.all()
        async with self.d.db.read() as tx:
            codes = {
                code
                for office in await tx.offices.offices_of(user.id)
                for code in await tx.offices.sops(office.id)
            }
        found = [self.catalog.get(c) for c in sorted(codes)]
        return [d for d in found if d is not None]

    # --- /laporan --------------------------------------------------------------------------------

    async def report(self, ev: Command, user: User) -> None:
        offices, roles = await self._report_offices(user)
        if not offices:
            who = ", ".join(roles)
            await self.d.say_text(
                ev.chat,
                f"Maaf, laporan SOP hanya untuk admin bot dan pemegang peran {who} (termasuk Plh). "
                "Hubungi admin kantor bila Anda seharusnya dapat membukanya.",
            )
            return
        if len(offices) == 1:
            await self._periods(Spot(ev.chat, None), user, offices[0])
            return
        buttons = [
            [await self.d.menu_button(user, texts.short(o.name, 60), {"a": OFFICE, "office": o.id})]
            for o in offices
        ]
        text = Rich().b("Laporan SOP").nl().add("Pilih kantor:")
        await self.d.say(ev.chat, OutMessage(text, buttons))

    async def _period_buttons(
        self, user: User, office: Office, skip: PeriodKind | None = None
    ) -> list[list[Button]]:
        kinds = [k for k in PERIOD_KINDS if k != skip]
        buttons = [
            await self.d.menu_button(
                user, PERIOD_LABELS[k], {"a": PERIOD, "office": office.id, "p": k}
            )
            for k in kinds
        ]
        return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]

    async def _periods(self, at: Spot, user: User, office: Office) -> Answer:
        buttons = await self._period_buttons(user, office)
        text = Rich().b(f"Laporan SOP — {office.name}").nl()
        text.add("Pilih periode (proses yang dimulai dalam periode itu, sampai hari ini):")
        await self.d.replace(at.chat, at.message_ref, OutMessage(text, buttons))
        return Answer()

    async def _report(self, at: Spot, user: User, office: Office, kind: PeriodKind) -> Answer:
        now = self.d.clock.now()
        start, end = period(kind, now, self.d.workflow.calendar(office).zone)
        try:
            report = await build_report(
                self.d.db, office.code, start, end, now, roles=self.catalog.roles
            )
        except UnknownOffice:
            return Answer(texts.INVALID_BUTTON, alert=True)
        head, _, rest = summary_text(report).partition("\n")
        text = Rich().b(head).nl().add(rest)
        if report.is_empty:
            text.nl(2).i("Pilih periode lain:")
            buttons = await self._period_buttons(user, office, skip=kind)
            await self.d.replace(at.chat, at.message_ref, OutMessage(text, buttons))
            return Answer("Tidak ada proses dalam periode ini.")
        base = {
            "a": DOWNLOAD,
            "office": office.id,
            "from": start.isoformat(),
            "to": end.isoformat(),
        }
        row = [
            await self.d.menu_button(user, f"Unduh {label}", {**base, "f": fmt})
            for fmt, (label, _) in FORMATS.items()
        ]
        await self.d.replace(at.chat, at.message_ref, OutMessage(text, [row]))
        caption = Rich().b("Median waktu kerja per langkah dibanding baku mutu").nl()
        caption.add(f"{office.name} · {dates_text(start, end)}").nl()
        caption.i("Hijau: dalam baku mutu · merah: melebihi · abu-abu: tanpa baku mutu.")
        chart = {"kind": REPORT_FILE, "office": office.code, "format": "png"}
        chart |= {"from": start.isoformat(), "to": end.isoformat()}
        await self.d.say(at.chat, OutMessage(caption, generate=chart))
        return Answer(f"Laporan {PERIOD_LABELS[kind].lower()} dikirim.")

    async def _download(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        fmt = p.get("f")
        try:
            start, end = date.fromisoformat(str(p["from"])), date.fromisoformat(str(p["to"]))
        except (KeyError, ValueError):
            return Answer(texts.INVALID_BUTTON, alert=True)
        if fmt not in FORMATS or end < start:
            return Answer(texts.INVALID_BUTTON, alert=True)
        label = FORMATS[str(fmt)][0]
        text = Rich().b(f"Laporan SOP {office.name} ({label})").nl()
        text.add(f"Proses yang dimulai {dates_text(start, end)}, keadaan saat berkas dibuat.")
        spec = {"kind": REPORT_FILE, "office": office.code, "format": fmt}
        spec |= {"from": start.isoformat(), "to": end.isoformat()}
        await self.d.say(at.chat, OutMessage(text, generate=spec))
        return Answer(f"Berkas {label} disiapkan.")

    # --- /sop ------------------------------------------------------------------------------------

    async def sops(self, ev: Command, user: User) -> None:
        found = await self._visible_sops(user)
        if not found:
            await self.d.say_text(
                ev.chat,
                "Kantor Anda belum menjalankan SOP apa pun di bot ini. Hubungi admin kantor.",
            )
            return
        text = Rich().b("SOP" if user.is_admin else "SOP kantor Anda").nl()
        for defn in found[:MAX_SOP_BUTTONS]:
            text.add(f"• {texts.sop_title(defn)}").nl()
        text.add("Tekan salah satu untuk melihat diagram alirnya.")
        buttons = [
            [
                await self.d.menu_button(
                    user,
                    texts.short(defn.header.singkat or defn.header.nama, 60),
                    {"a": FLOWCHART, "code": defn.code},
                )
            ]
            for defn in found[:MAX_SOP_BUTTONS]
        ]
        await self.d.say(ev.chat, OutMessage(texts.fit(text), buttons))

    async def _flowchart(self, at: Spot, user: User, code: object) -> Answer:
        defn = next((d for d in await self._visible_sops(user) if d.code == code), None)
        if defn is None:
            return Answer("SOP ini tidak dijalankan di kantor Anda.", alert=True)
        h = defn.header
        text = Rich().b(h.nama).nl()
        text.add(f"SOP Nomor {h.nomor} · {len(defn.steps)} langkah").nl()
        text.add(f"Waktu normal: {defn.normal_time_text(hours=True)}")
        await self.d.say(at.chat, OutMessage(text, generate={"kind": DIAGRAM, "sop": defn.code}))
        return Answer("Diagram alir dikirim.")

    # --- /riwayat N ------------------------------------------------------------------------------

    async def after_history(self, chat: Chat, user: User, ctx: Context) -> None:
        """After the timeline: the process's flowchart, its progress marked, with a button for the
        archive record. The caller has checked that the person may view the process."""
        process = ctx.process
        text = Rich().b(f"Diagram alir proses #{process.id}").nl()
        if process.status == "running" and process.current_step is not None:
            index = ctx.defn.index(process.current_step)
            text.add(
                f"Langkah sekarang: {index} dari {len(ctx.defn.steps)} (kuning); "
                "langkah yang sudah dijawab hijau."
            )
        elif process.status == "finished":
            text.add("Proses selesai; langkah yang dijalankan hijau.")
        else:
            text.add("Proses dibatalkan; langkah yang sudah dijawab hijau.")
        button = await self.d.menu_button(
            user, "Arsip (PDF)", {"a": ARCHIVE, "process": process.id}
        )
        message = OutMessage(text, [[button]], generate={"kind": DIAGRAM, "process": process.id})
        await self.d.say(chat, message)

    async def _archive(self, at: Spot, user: User, process_id: object) -> Answer:
        if not isinstance(process_id, int):
            return Answer(texts.INVALID_BUTTON, alert=True)
        async with self.d.db.read() as tx:
            process = await tx.processes.get(process_id)
            visible = process is not None and await self.d.may_view(tx, user, process.office_id)
        if process is None or not visible:
            return Answer("Arsip ini hanya untuk orang di kantor proses ini.", alert=True)
        text = Rich().b(f"Arsip proses #{process.id}").nl()
        text.add(f"{process.title} — rekaman proses dan jejak auditnya (PDF A4).")
        await self.d.say(
            at.chat, OutMessage(text, generate={"kind": ARCHIVE_FILE, "process": process.id})
        )
        return Answer("Arsip PDF disiapkan.")

    # --- presses ---------------------------------------------------------------------------------

    async def menu(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        action = p.get("a")
        if action == FLOWCHART:
            return await self._flowchart(at, user, p.get("code"))
        if action == ARCHIVE:
            return await self._archive(at, user, p.get("process"))
        office = await self._office_if_allowed(user, p.get("office"))
        if office is None:
            return Answer("Laporan kantor ini bukan untuk Anda.", alert=True)
        match action:
            case "lap_kantor":
                return await self._periods(at, user, office)
            case "lap_periode":
                kind = p.get("p")
                if kind not in PERIOD_KINDS:
                    return Answer(texts.INVALID_BUTTON, alert=True)
                return await self._report(at, user, office, cast("PeriodKind", kind))
            case "lap_unduh":
                return await self._download(at, user, office, p)
        return Answer(texts.INVALID_BUTTON, alert=True)
