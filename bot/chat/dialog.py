"""The conversation: what the bot does with each command, button press, text and file.

Channel-neutral: a channel turns its updates into ``bot.chat.events`` and calls ``Dialog.handle``; every
reply goes through the outbox (so replies keep their order with the step messages), and a press
gets an immediate ``Answer``. What the bot is waiting for from a person (a note, a hand-in, a
title) is kept in the database, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.chat import notify
from bot.chat.admin_flow import AdminDialog, Spot
from bot.chat.events import (
    AddedToGroup,
    Answer,
    Chat,
    Command,
    Event,
    FileIn,
    FileRef,
    Person,
    Press,
    Text,
)
from bot.chat.messages import Attachment, Button, OutMessage, Rich
from bot.chat.report_flow import ReportDialog
from bot.clock import Clock
from bot.office.admin import Admin
from bot.process.workflow import Done, NeedsInput, NeedsNote, Outcome, Refused, Workflow
from bot.words import steps as texts
from bot.words.timeline import timeline_message
from sop.engine import MAX_TITLE
from sop.handins import Handin
from sop.models import HandinKind, HandinSpec
from storage.conversation import ButtonToken
from storage.db import Database, Tx
from storage.offices import User

log = logging.getLogger(__name__)

PENDING_FOR = timedelta(days=1)
MENU_FOR = timedelta(days=2)

HELP = (
    "Perintah:\n"
    "/tugas — langkah yang menunggu Anda\n"
    "/baru — mulai proses SOP baru\n"
    "/proses — proses yang sedang berjalan di kantor Anda\n"
    "/riwayat N — riwayat proses nomor N\n"
    "/sop — daftar SOP kantor Anda dan diagram alirnya\n"
    "/laporan — laporan waktu kerja SOP per periode (admin, Sekretaris, Kabag)\n"
    "/batal N — batalkan proses nomor N (pemulai atau admin)\n"
    "/batal — urungkan catatan atau isian yang sedang diminta\n"
    "/bantuan — daftar ini\n\n"
    "Setiap langkah Anda datang sebagai satu pesan lengkap dengan tombolnya: tekan Selesai, "
    "Setuju/Tidak Setuju, atau Ada koreksi/Tidak ada koreksi."
)
ADMIN_HELP = (
    "\n\nPerintah admin:\n"
    "/undang — buat tautan undangan untuk satu peran di satu kantor\n"
    "/pengguna — daftar orang dan perannya; tambah/cabut peran, nonaktifkan\n"
    "/plh — tetapkan Plh (pengganti) sebuah peran untuk rentang tanggal\n"
    "/kalender — hari libur kantor dan hari kerja tambahan\n"
    "/grup — kirim di grup kantor untuk menghubungkannya dengan kantor"
)


def stranger_text(person: Person) -> OutMessage:
    return OutMessage(
        Rich()
        .add(f"Maaf, {person.name}, Anda belum terdaftar di bot SOP ini.")
        .nl(2)
        .add("Berikan ID Telegram Anda kepada admin kantor: ")
        .code(str(person.external_id))
        .nl()
        .add("Setelah admin mendaftarkan Anda, kirim /start lagi.")
    )


def _handin_json(h: Handin) -> dict[str, Any]:
    return {
        "kind": h.kind.value,
        "label": h.label,
        "value": h.value,
        "file_name": h.file_name,
        "mime": h.mime_type,
    }


def _handin_of(d: dict[str, Any]) -> Handin:
    return Handin(
        kind=HandinKind(d["kind"]),
        label=d["label"],
        value=d["value"],
        file_name=d.get("file_name"),
        mime_type=d.get("mime"),
    )


def _first_missing(specs: Sequence[HandinSpec], given: Sequence[Handin]) -> HandinSpec | None:
    """The first required hand-in that nothing given answers yet."""
    return next((s for s in specs if not s.optional and not any(h.matches(s) for h in given)), None)


class Dialog:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        workflow: Workflow,
        admin: Admin,
        *,
        invite_link: Callable[[str], str],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.workflow = workflow
        self.admin = admin
        self.catalog = workflow.catalog
        self.on_commit = on_commit
        self.admin_dialog = AdminDialog(self, admin, invite_link)
        self.report_dialog = ReportDialog(self)

    # --- entry ----------------------------------------------------------------------------------

    async def handle(self, event: Event) -> Answer | None:
        match event:
            case Press():
                return await self._press(event)
            case Command():
                await self._command(event)
            case Text():
                await self._text(event)
            case FileIn():
                await self._file(event)
            case AddedToGroup():
                await self.admin_dialog.added_to_group(event)
        return None

    async def user_of(self, person: Person) -> User | None:
        user = await self.admin.ensure_admin(person.external_id, person.name)
        if user is not None:
            return user
        async with self.db.read() as tx:
            found = await tx.offices.user_by_telegram(person.external_id)
        return found if found is not None and found.active else None

    # --- replies ---------------------------------------------------------------------------------

    async def say(
        self, chat: Chat | str, message: OutMessage, *, dedupe: str | None = None
    ) -> None:
        chat_id = chat.id if isinstance(chat, Chat) else chat
        async with self.db.transaction() as tx:
            await notify.to_chat(tx, chat_id, message, self.clock.now(), dedupe_key=dedupe)
        self.on_commit()

    async def say_text(self, chat: Chat | str, text: str) -> None:
        await self.say(chat, OutMessage(Rich().add(text)))

    async def replace(self, chat: Chat, message_ref: str | None, message: OutMessage) -> None:
        """Edit the message a button sat on (a menu), or send anew when it is unknown."""
        if message_ref is None:
            await self.say(chat, message)
            return
        async with self.db.transaction() as tx:
            await notify.edit_ref(tx, chat.id, message_ref, message, self.clock.now())
        self.on_commit()

    async def menu_button(self, user: User, label: str, payload: dict[str, Any]) -> Button:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            token = await tx.conversation.menu_token("menu", user.id, payload, now, now + MENU_FOR)
        return Button(label=label, token=token)

    async def expect(self, user: User, kind: str, payload: dict[str, Any]) -> None:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.conversation.expect(user.id, kind, payload, now, now + PENDING_FOR)

    async def forget(self, user: User) -> bool:
        async with self.db.transaction() as tx:
            return await tx.conversation.forget(user.id)

    # --- commands --------------------------------------------------------------------------------

    async def _command(self, ev: Command) -> None:
        if ev.name == "start" and ev.args and not ev.chat.is_group:
            await self.admin_dialog.accept_invite(ev)
            return
        user = await self.user_of(ev.person)
        if ev.chat.is_group:
            if ev.name == "grup":
                await self.admin_dialog.link_group_command(ev, user)
            return
        if user is None:
            await self._stranger(ev.person, ev.chat)
            return
        handlers: dict[str, Callable[[Command, User], Awaitable[None]]] = {
            "start": self._welcome,
            "bantuan": self._help,
            "help": self._help,
            "tugas": self._tasks,
            "baru": self._new,
            "proses": self._running,
            "riwayat": self._history,
            "batal": self._cancel,
            "laporan": self.report_dialog.report,
            "sop": self.report_dialog.sops,
            "undang": self.admin_dialog.invite,
            "pengguna": self.admin_dialog.people,
            "plh": self.admin_dialog.standin,
            "grup": self.admin_dialog.group_in_private,
            "kalender": self.admin_dialog.calendar,
        }
        handler = handlers.get(ev.name)
        if handler is None:
            await self.say_text(
                ev.chat, f"Perintah /{ev.name} tidak dikenal. Kirim /bantuan untuk daftar perintah."
            )
            return
        await handler(ev, user)

    async def _stranger(self, person: Person, chat: Chat) -> None:
        bucket = self.clock.now().strftime("%Y%m%d%H") + str(self.clock.now().minute // 10)
        await self.say(
            chat, stranger_text(person), dedupe=f"stranger:{person.external_id}:{bucket}"
        )

    async def _welcome(self, ev: Command, user: User) -> None:
        async with self.db.read() as tx:
            holdings = await tx.offices.holdings_of(user.id)
            offices = {o.id: o for o in await tx.offices.offices_of(user.id)}
        roles = sorted(
            {
                f"{self.catalog.roles.label(h.role)}{' (Plh)' if h.kind == 'plh' else ''} — {offices[h.office_id].name}"
                for h in holdings
                if h.office_id in offices
            }
        )
        text = Rich().b(f"Selamat datang, {user.name}.").nl()
        if roles:
            text.add("Peran Anda:").nl()
            for r in roles:
                text.add(f"• {r}").nl()
        elif user.is_admin:
            text.add("Anda admin bot ini.").nl()
        tasks = await self.workflow.open_tasks(user)
        text.nl().add(f"Langkah yang menunggu Anda: {len(tasks)}. Lihat /tugas.").nl()
        text.add("Kirim /bantuan untuk daftar perintah.")
        await self.say(ev.chat, OutMessage(text))

    async def _help(self, ev: Command, user: User) -> None:
        await self.say_text(ev.chat, HELP + (ADMIN_HELP if user.is_admin else ""))

    # --- /tugas ----------------------------------------------------------------------------------

    async def _tasks(self, ev: Command, user: User) -> None:
        tasks = await self.workflow.open_tasks(user)
        if not tasks:
            await self.say_text(ev.chat, "Tidak ada langkah yang menunggu Anda. 👍")
            return
        text = Rich().b(f"Langkah yang menunggu Anda ({len(tasks)}):").nl()
        buttons = []
        now = self.clock.now()
        for ctx, run in tasks[:20]:
            step = ctx.defn.step(run.step)
            late = run.due_at is not None and run.due_at < now
            text.add(
                f"• #{ctx.process.id} {texts.short(ctx.process.title, 40)} — langkah {run.step}: "
            )
            text.add(texts.short(step.kegiatan, 60))
            if run.due_at is not None:
                text.add(f" (batas {texts.when(run.due_at, ctx.calendar)})")
            if late:
                text.b(" TERLAMBAT")
            text.nl()
            label = texts.short(
                f"Buka #{ctx.process.id} langkah {run.step}: {ctx.process.title}", 60
            )
            buttons.append([await self.menu_button(user, label, {"a": "buka", "run": run.id})])
        if len(tasks) > 20:
            text.i(f"… dan {len(tasks) - 20} lainnya.").nl()
        text.add("Tekan tombol untuk membuka pesan langkahnya lagi.")
        await self.say(ev.chat, OutMessage(text, buttons))

    async def _open_step(self, press: Press, user: User, run_id: int) -> Answer:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            run = await tx.processes.step_run(run_id)
            if run is None or not run.is_open:
                return Answer(texts.ALREADY_DONE, alert=True)
            ctx = await self.workflow.context(tx, run.process_id)
            if ctx is None:
                return Answer(texts.INVALID_BUTTON, alert=True)
            actor = await self.workflow.actor(tx, user, ctx.office, now)
            if run.role not in actor.roles:
                return Answer("Langkah ini bukan tugas Anda lagi.", alert=True)
            await self.workflow.send_step(tx, ctx, run, now, to=[user])
        self.on_commit()
        return Answer("Pesan langkah dikirim ulang.")

    async def _view_step(self, press: Press, user: User, run_id: int) -> Answer:
        """Show a step to someone following it (an atasan after an escalation): its message as
        its actor sees it, with the choice buttons only for those who hold the step's role."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            run = await tx.processes.step_run(run_id)
            ctx = await self.workflow.context(tx, run.process_id) if run is not None else None
            if run is None or ctx is None:
                return Answer(texts.INVALID_BUTTON, alert=True)
            if not await self.may_view(tx, user, ctx.office.id):
                return Answer("Langkah ini hanya untuk orang di kantor prosesnya.", alert=True)
            if not run.is_open:
                return Answer(
                    f"Langkah ini sudah selesai. Lihat /riwayat {ctx.process.id}.", alert=True
                )
            actor = await self.workflow.actor(tx, user, ctx.office, now)
            banner = None
            if run.role not in actor.roles:
                banner = (
                    Rich().i("Dilihat sebagai atasan: tombolnya hanya untuk pemegang peran.").nl()
                )
            message = await self.workflow.step_message(tx, ctx, run, now, banner=banner)
            if run.role in actor.roles:
                await notify.to_user(tx, user, message, now, step_run_id=run.id)
            else:
                message.buttons = message.buttons[1:]  # keep the document buttons, drop the choices
                await notify.to_chat(tx, press.chat.id, message, now)
        self.on_commit()
        return Answer("Pesan langkah dikirim.")

    # --- /baru -----------------------------------------------------------------------------------

    async def _new(self, ev: Command, user: User) -> None:
        async with self.db.read() as tx:
            options = await self.workflow.startable(tx, user, self.clock.now())
        if not options:
            await self.say_text(
                ev.chat,
                "Anda belum memegang peran yang dapat memulai SOP. Hubungi admin kantor bila ini keliru.",
            )
            return
        several = len({o.id for o, _ in options}) > 1
        buttons = []
        for office, defn in options:
            label = defn.header.singkat or defn.header.nama
            if several:
                label = f"{label} · {office.code}"
            buttons.append(
                [
                    await self.menu_button(
                        user,
                        texts.short(label, 60),
                        {"a": "baru", "office": office.id, "code": defn.code},
                    )
                ]
            )
        buttons.append([await self.menu_button(user, "Batal", {"a": "urung"})])
        text = Rich().b("Mulai proses baru").nl().add("Pilih SOP yang akan dijalankan:")
        await self.say(ev.chat, OutMessage(text, buttons))

    async def _chose_sop(self, press: Press, user: User, payload: dict[str, Any]) -> Answer:
        defn = self.catalog.get(str(payload["code"]))
        if defn is None:
            return Answer(texts.INVALID_BUTTON, alert=True)
        await self.expect(user, "title", {"office": payload["office"], "code": defn.code})
        chosen = OutMessage(Rich().b("Mulai proses baru").nl().add(f"SOP: {texts.sop_title(defn)}"))
        await self.replace(press.chat, press.message_ref, chosen)
        prompt = Rich().add(
            "Tulis judul singkat proses ini, misalnya «Unggah Keputusan KPU Nomor 5 Tahun 2026»."
        )
        prompt.nl().i("Kirim /batal untuk mengurungkan.")
        await self.say(press.chat, OutMessage(prompt, reply_prompt="Judul proses…"))
        return Answer(f"Dipilih: {defn.header.singkat or defn.code}")

    async def _got_title(self, chat: Chat, user: User, payload: dict[str, Any], title: str) -> None:
        title = " ".join(title.split())
        if not title or len(title) > MAX_TITLE:
            await self.say_text(
                chat, f"Judul harus berisi 1 sampai {MAX_TITLE} karakter. Tulis lagi judulnya."
            )
            return
        state = {**payload, "title": title, "handins": []}
        await self.expect(user, "start_docs", state)
        await self._prompt_start_docs(chat, user, state)

    async def _prompt_start_docs(
        self, chat: Chat, user: User, state: dict[str, Any], problem: str | None = None
    ) -> None:
        defn = self.catalog.get(str(state["code"]))
        if defn is None:
            return
        given = [_handin_of(h) for h in state["handins"]]
        missing = _first_missing(defn.start_handin, given)
        if missing is not None:
            await self.say(chat, texts.handin_prompt(missing, step=None, problem=problem))
            return
        text = Rich()
        if problem:
            text.b("⚠️ ").add(problem).nl(2)
        if given:
            text.add("Berkas diterima: ").add(", ".join(h.file_name or h.label for h in given)).nl()
        text.add("Lampirkan dokumen pendukung bila ada (kirim berkasnya), lalu tekan Mulai proses.")
        buttons = [
            [await self.menu_button(user, "▶️ Mulai proses", {"a": "mulai"})],
            [await self.menu_button(user, "Batal", {"a": "urung"})],
        ]
        await self.say(chat, OutMessage(text, buttons))

    async def _start_doc(
        self, chat: Chat, user: User, state: dict[str, Any], file: FileRef
    ) -> None:
        defn = self.catalog.get(str(state["code"]))
        if defn is None:
            return
        given = [_handin_of(h) for h in state["handins"]]
        missing = _first_missing(defn.start_handin, given)
        label = missing.label if missing is not None else "Dokumen pendukung"
        given.append(Handin(HandinKind.ATTACHMENT, label, file.ref, file.name, file.mime_type))
        state = {**state, "handins": [_handin_json(h) for h in given]}
        await self.expect(user, "start_docs", state)
        await self._prompt_start_docs(chat, user, state)

    async def _start(self, press: Press, user: User) -> Answer:
        async with self.db.read() as tx:
            pending = await tx.conversation.expected(user.id, self.clock.now())
        if pending is None or pending.kind != "start_docs":
            return Answer(
                "Tidak ada proses yang sedang disiapkan. Mulai lagi dengan /baru.", alert=True
            )
        state = pending.payload
        handins = [_handin_of(h) for h in state["handins"]]
        outcome = await self.workflow.start(
            user.id, int(state["office"]), str(state["code"]), str(state["title"]), handins
        )
        if isinstance(outcome, NeedsInput):
            await self._prompt_start_docs(press.chat, user, state)
            return Answer("Dokumen wajib belum lengkap.", alert=True)
        if isinstance(outcome, Refused):
            await self.forget(user)
            return Answer(outcome.text, alert=True)
        assert isinstance(outcome, Done)  # noqa: S101
        await self.forget(user)
        defn = self.catalog.get(str(state["code"]))
        first = defn.first if defn else None
        who = self.catalog.roles.label(first.pelaksana) if first else ""
        done = Rich().b(f"Proses #{outcome.process_id} dimulai: {state['title']}").nl()
        done.add(f"Langkah 1 dikirim ke {who}. Anda akan dikabari setiap kemajuan dan akhirnya.")
        await self.replace(press.chat, press.message_ref, OutMessage(done))
        return Answer(f"Proses #{outcome.process_id} dimulai.")

    # --- /proses, /riwayat -----------------------------------------------------------------------

    async def _running(self, ev: Command, user: User) -> None:
        now = self.clock.now()
        async with self.db.read() as tx:
            offices = (
                await tx.offices.all() if user.is_admin else await tx.offices.offices_of(user.id)
            )
            text = Rich()
            for office in offices:
                processes = await tx.processes.list_for_office(office.id, "running", limit=30)
                text.b(f"{office.name}: {len(processes)} proses berjalan").nl()
                for process in processes:
                    ctx = await self.workflow.context(tx, process.id)
                    run = await tx.processes.current_run(process)
                    if ctx is None or run is None:
                        continue
                    step = ctx.defn.step(run.step)
                    holders = await tx.offices.recipients(
                        office.id, run.role, ctx.calendar.local_date(now)
                    )
                    names = ", ".join(u.name for u in holders) or "belum ada pemegang peran"
                    text.add(f"• #{process.id} {texts.short(process.title, 50)}").nl()
                    text.add(
                        f"   Langkah {ctx.defn.index(run.step)}/{len(ctx.defn.steps)}: {texts.short(step.kegiatan, 50)}"
                    ).nl()
                    text.add(
                        f"   {self.catalog.roles.label(run.role)} ({names}), sejak {texts.when(run.started_at, ctx.calendar)}"
                    )
                    if run.due_at is not None and run.due_at < now:
                        text.b(" · TERLAMBAT")
                    if run.escalated_at is not None:
                        text.b(" · DIESKALASI")
                    text.nl()
                text.nl()
        if not offices:
            text.add("Anda belum terdaftar di kantor mana pun.")
        await self.say(ev.chat, OutMessage(texts.fit(text)))

    async def may_view(self, tx: Tx, user: User, office_id: int) -> bool:
        if user.is_admin:
            return True
        return any(o.id == office_id for o in await tx.offices.offices_of(user.id))

    async def _history(self, ev: Command, user: User) -> None:
        number = ev.args.strip().lstrip("#")
        if not number.isdigit():
            await self.say_text(ev.chat, "Tulis nomor prosesnya, misalnya /riwayat 12.")
            return
        async with self.db.read() as tx:
            ctx = await self.workflow.context(tx, int(number))
            visible = ctx is not None and await self.may_view(tx, user, ctx.office.id)
            events = await tx.audit.for_process(int(number)) if visible else []
            names = await self.workflow.names(tx, {e.actor_user_id for e in events})
        if ctx is None or not visible:
            await self.say_text(ev.chat, f"Proses #{number} tidak ditemukan di kantor Anda.")
            return
        message = timeline_message(
            ctx.process, ctx.defn, self.catalog.roles, ctx.calendar, events, names
        )
        await self.say(ev.chat, message)
        await self.report_dialog.after_history(ev.chat, user, ctx)

    # --- /batal ----------------------------------------------------------------------------------

    async def _cancel(self, ev: Command, user: User) -> None:
        number = ev.args.strip().lstrip("#")
        if not number:
            if await self.forget(user):
                await self.say_text(ev.chat, "Baik, diurungkan. Tidak ada yang berubah.")
            else:
                await self.say_text(
                    ev.chat,
                    "Tidak ada yang sedang diminta. Untuk membatalkan proses, kirim /batal N (N = nomor proses).",
                )
            return
        if not number.isdigit():
            await self.say_text(ev.chat, "Tulis nomor prosesnya, misalnya /batal 12.")
            return
        outcome = await self.workflow.cancel(user.id, int(number), None)
        if isinstance(outcome, NeedsNote):
            await self.expect(user, "cancel", {"process": int(number)})
            await self.say(ev.chat, texts.note_prompt(outcome.ask.choice, None, "", int(number)))
            return
        if isinstance(outcome, Refused):
            await self.say_text(ev.chat, outcome.text)

    # --- presses ---------------------------------------------------------------------------------

    async def _press(self, ev: Press) -> Answer:
        async with self.db.read() as tx:
            token = await tx.conversation.token(ev.token)
        if token is None:
            return Answer(texts.INVALID_BUTTON, alert=True)
        user = await self.user_of(ev.person)
        if user is None:
            return Answer(
                f"{texts.NOT_REGISTERED} ID Telegram Anda: {ev.person.external_id}.", alert=True
            )
        match token.kind:
            case "step":
                return await self._press_step(ev, user, token)
            case "file":
                return await self._press_file(ev, user, token)
            case "menu":
                if token.user_id != user.id:
                    return Answer("Tombol ini untuk orang lain.", alert=True)
                if token.expires_at is not None and token.expires_at < self.clock.now():
                    return Answer("Menu ini sudah kedaluwarsa; kirim lagi perintahnya.", alert=True)
                return await self._menu(ev, user, token.payload)
        return Answer(texts.INVALID_BUTTON, alert=True)

    async def _menu(self, ev: Press, user: User, payload: dict[str, Any]) -> Answer:
        action = payload.get("a")
        match action:
            case "buka":
                return await self._open_step(ev, user, int(payload["run"]))
            case "baru":
                return await self._chose_sop(ev, user, payload)
            case "mulai":
                return await self._start(ev, user)
            case "urung":
                await self.forget(user)
                await self.replace(
                    ev.chat,
                    ev.message_ref,
                    OutMessage(Rich().add("Diurungkan. Tidak ada yang berubah.")),
                )
                return Answer("Diurungkan.")
            case "nomor":
                await self._pending_value(ev.chat, user, str(payload["value"]), None)
                return Answer("Nomor dipakai.")
            case "lihat":
                return await self._view_step(ev, user, int(payload["run"]))
        if self.report_dialog.handles(action):
            return await self.report_dialog.menu(Spot(ev.chat, ev.message_ref), user, payload)
        return await self.admin_dialog.menu(Spot(ev.chat, ev.message_ref), user, payload)

    async def _press_step(self, ev: Press, user: User, token: ButtonToken) -> Answer:
        assert token.step_run_id is not None and token.choice is not None  # noqa: S101, PT018
        outcome = await self.workflow.act(user.id, token.step_run_id, token.choice)
        return (
            await self._after(ev.chat, user, token.step_run_id, token.choice, outcome, pressed=True)
            or Answer()
        )

    async def _press_file(self, ev: Press, user: User, token: ButtonToken) -> Answer:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            handin = await tx.processes.handin(token.handin_id) if token.handin_id else None
            process = await tx.processes.get(handin.process_id) if handin else None
            if handin is None or process is None:
                return Answer(texts.INVALID_BUTTON, alert=True)
            if not await self.may_view(tx, user, process.office_id):
                return Answer("Berkas ini hanya untuk orang di kantor proses ini.", alert=True)
            caption = Rich().add(f"{handin.label} — proses #{process.id}")
            message = OutMessage(
                caption,
                attachment=Attachment(name=handin.file_name or handin.label, ref=handin.value),
            )
            await notify.to_chat(tx, ev.chat.id, message, now)
        self.on_commit()
        return Answer("Berkas dikirim.")

    async def _after(
        self,
        chat: Chat,
        user: User,
        run_id: int,
        choice: str,
        outcome: Outcome,
        *,
        pressed: bool,
        handins: list[Handin] | None = None,
    ) -> Answer | None:
        """What the person hears after an attempt on a step: done, a prompt for more, or why not."""
        match outcome:
            case Done():
                await self.forget(user)
                if pressed:
                    return Answer(f"Tercatat: {outcome.label}")
                await self.say_text(chat, f"Tercatat: {outcome.label}. Terima kasih.")
                return None
            case NeedsNote():
                await self.expect(
                    user, "note", {"run": run_id, "choice": choice, "process": outcome.process_id}
                )
                await self.say(
                    chat,
                    texts.note_prompt(
                        outcome.ask.choice, outcome.ask.step, outcome.to, outcome.process_id
                    ),
                )
                return Answer("Tulis catatan Anda sebagai balasan.") if pressed else None
            case NeedsInput():
                spec = outcome.ask.spec
                state = {
                    "run": run_id,
                    "choice": choice,
                    "process": outcome.process_id,
                    "spec": spec.label,
                    "kind": spec.kind.value,
                    "handins": [_handin_json(h) for h in handins or []],
                }
                await self.expect(user, "handin", state)
                buttons = []
                if outcome.suggestion:
                    buttons.append(
                        await self.menu_button(
                            user,
                            f"Pakai {outcome.suggestion}",
                            {"a": "nomor", "value": outcome.suggestion},
                        )
                    )
                await self.say(
                    chat,
                    texts.handin_prompt(
                        spec,
                        step=outcome.ask.step,
                        problem=outcome.ask.problem,
                        suggestion=outcome.suggestion,
                        buttons=buttons,
                    ),
                )
                return Answer(f"Kirim {spec.label}.") if pressed else None
            case Refused():
                if outcome.reason in ("stale", "conflict", "not_running"):
                    await self.forget(user)
                if pressed:
                    return Answer(outcome.text, alert=True)
                await self.say_text(chat, outcome.text)
                return None
        return None

    # --- texts and files -------------------------------------------------------------------------

    async def _text(self, ev: Text) -> None:
        if ev.chat.is_group:
            return
        user = await self.user_of(ev.person)
        if user is None:
            await self._stranger(ev.person, ev.chat)
            return
        await self._pending_value(ev.chat, user, ev.text, None)

    async def _file(self, ev: FileIn) -> None:
        if ev.chat.is_group:
            return
        user = await self.user_of(ev.person)
        if user is None:
            await self._stranger(ev.person, ev.chat)
            return
        await self._pending_value(ev.chat, user, ev.caption or "", ev.file)

    async def _pending_value(self, chat: Chat, user: User, text: str, file: FileRef | None) -> None:
        """A text or file answers what the bot is waiting for from this person, if anything."""
        async with self.db.read() as tx:
            pending = await tx.conversation.expected(user.id, self.clock.now())
        if pending is None:
            if file is not None:
                await self.say_text(
                    chat,
                    "Berkas diterima, tetapi saya sedang tidak meminta berkas. Bila langkah Anda memerlukan "
                    "berkas, tekan dulu tombol Selesai pada pesan langkahnya.",
                )
            else:
                await self.say_text(
                    chat,
                    "Saya sedang tidak menunggu pesan dari Anda. Gunakan tombol pada pesan langkah, atau "
                    "/tugas untuk melihat langkah Anda. /bantuan untuk daftar perintah.",
                )
            return
        state = pending.payload
        match pending.kind:
            case "note":
                if file is not None and not text:
                    await self.say_text(chat, "Yang diminta catatan berupa teks. Tulis catatannya.")
                    return
                outcome = await self.workflow.act(
                    user.id, int(state["run"]), str(state["choice"]), note=text
                )
                await self._after(
                    chat, user, int(state["run"]), str(state["choice"]), outcome, pressed=False
                )
            case "handin":
                await self._handin(chat, user, state, text, file)
            case "cancel":
                if not text.strip():
                    await self.say_text(chat, "Tulis alasan pembatalan berupa teks.")
                    return
                outcome = await self.workflow.cancel(user.id, int(state["process"]), text)
                await self.forget(user)
                if isinstance(outcome, Done):
                    await self.say_text(chat, f"Proses #{state['process']} dibatalkan.")
                elif isinstance(outcome, Refused):
                    await self.say_text(chat, outcome.text)
            case "title":
                if file is not None:
                    await self.say_text(
                        chat, "Tulis dulu judul prosesnya (teks), dokumen dikirim sesudahnya."
                    )
                    return
                await self._got_title(chat, user, state, text)
            case "start_docs":
                if file is None:
                    await self._prompt_start_docs(
                        chat, user, state, "Kirim berkas sebagai dokumen atau foto."
                    )
                    return
                await self._start_doc(chat, user, state, file)
            case _:
                await self.admin_dialog.pending(chat, user, pending.kind, state, text, file)

    async def _handin(
        self, chat: Chat, user: User, state: dict[str, Any], text: str, file: FileRef | None
    ) -> None:
        spec = HandinSpec(kind=HandinKind(state["kind"]), label=str(state["spec"]))
        given = [_handin_of(h) for h in state.get("handins", []) if h["label"] != spec.label]
        if spec.kind is HandinKind.ATTACHMENT:
            # Only a file answers a file: a text gets the engine's "send a file" message.
            value = Handin(
                spec.kind,
                spec.label,
                file.ref if file else "",
                file.name if file else None,
                file.mime_type if file else None,
            )
        else:
            value = Handin(spec.kind, spec.label, "" if file is not None else text)
        given.append(value)
        run, choice = int(state["run"]), str(state["choice"])
        outcome = await self.workflow.act(user.id, run, choice, handins=given)
        keep = [
            h
            for h in given
            if not (isinstance(outcome, NeedsInput) and h.matches(outcome.ask.spec))
        ]
        await self._after(chat, user, run, choice, outcome, pressed=False, handins=keep)
