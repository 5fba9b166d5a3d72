"""The admin's conversations: invitations (/undang), people and roles (/pengguna), stand-ins (/plh),
and linking the office group (/grup). Menus are buttons whose tokens only their admin can press."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.chat.events import AddedToGroup, Answer, Chat, Command, FileRef
from bot.chat.messages import OutMessage, Rich
from bot.office.admin import Admin
from bot.office.calendar import CalendarSettings, Weekday
from bot.office.settings import calendar_for, settings_of
from bot.words import steps as texts
from bot.words.format import format_date
from storage.offices import Office, User

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.chat.dialog import Dialog

ADMIN_ONLY = "Perintah ini hanya untuk admin bot."
_DATE = r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"
_RANGE = re.compile(
    rf"^\s*{_DATE}\s*(?:s\.?\s*d\.?|sampai|-|–|hingga)\s*{_DATE}\s*$", re.IGNORECASE
)


def _one_date(text: str) -> tuple[date, date] | None:
    match = re.match(rf"^\s*{_DATE}\s*$", text)
    if match is None:
        return None
    d, m, y = (int(g) for g in match.groups())
    try:
        day = date(y, m, d)
    except ValueError:
        return None
    return day, day


def _week(settings: CalendarSettings) -> list[tuple[Weekday, str]]:
    return [
        (day, str(settings.hours[day]) if settings.hours.get(day) else "libur") for day in Weekday
    ]


def parse_range(text: str) -> tuple[date, date] | None:
    match = _RANGE.match(text)
    if match is None:
        return None
    d1, m1, y1, d2, m2, y2 = (int(g) for g in match.groups())
    try:
        start, end = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        return None
    return (start, end) if start <= end else None


@dataclass(frozen=True)
class Spot:
    """Where a menu is shown: its chat, and the message to edit in place (None: send anew)."""

    chat: Chat
    message_ref: str | None


class AdminDialog:
    def __init__(self, dialog: Dialog, admin: Admin, invite_link: Callable[[str], str]) -> None:
        self.d = dialog
        self.admin = admin
        self.invite_link = invite_link

    @property
    def roles(self) -> Any:
        return self.d.catalog.roles

    async def _offices(self) -> list[Office]:
        async with self.d.db.read() as tx:
            return await tx.offices.all()

    async def _office(self, office_id: int) -> Office | None:
        async with self.d.db.read() as tx:
            return await tx.offices.get(office_id)

    async def _office_roles(self, office: Office) -> list[str]:
        """The roles that matter in an office: those its SOPs name (lanes and starters) and those
        who read its reports (the Sekretaris, whom late steps escalate to in the end). Who can be
        invited or stood in for."""
        async with self.d.db.read() as tx:
            codes = await tx.offices.sops(office.id)
        keys: set[str] = set(settings_of(office).report_roles)
        for code in codes:
            defn = self.d.catalog.get(code)
            if defn is not None:
                keys |= set(defn.lanes) | set(defn.starters)
        return sorted((k for k in keys if k in self.d.catalog.roles), key=self.roles.label)

    async def _choose_office(self, chat: Chat, user: User, action: str, title: str) -> None:
        offices = await self._offices()
        if not offices:
            await self.d.say_text(
                chat, "Belum ada kantor. Buat dulu dengan: sopbot office import BERKAS.yaml"
            )
            return
        if len(offices) == 1:
            await self.menu_in_place(chat, None, user, {"a": action, "office": offices[0].id})
            return
        buttons = [
            [await self.d.menu_button(user, o.name, {"a": action, "office": o.id})] for o in offices
        ]
        await self.d.say(chat, OutMessage(Rich().b(title).nl().add("Pilih kantor:"), buttons))

    async def menu_in_place(
        self, chat: Chat, message_ref: str | None, user: User, payload: dict[str, Any]
    ) -> None:
        await self.menu(Spot(chat, message_ref), user, payload)

    # --- entry points ----------------------------------------------------------------------------

    async def invite(self, ev: Command, user: User) -> None:
        if not user.is_admin:
            await self.d.say_text(ev.chat, ADMIN_ONLY)
            return
        await self._choose_office(ev.chat, user, "undang_kantor", "Buat undangan")

    async def people(self, ev: Command, user: User) -> None:
        if not user.is_admin:
            await self.d.say_text(ev.chat, ADMIN_ONLY)
            return
        await self._choose_office(ev.chat, user, "orang_kantor", "Pengguna")

    async def standin(self, ev: Command, user: User) -> None:
        if not user.is_admin:
            await self.d.say_text(ev.chat, ADMIN_ONLY)
            return
        await self._choose_office(ev.chat, user, "plh_kantor", "Tetapkan Plh")

    async def calendar(self, ev: Command, user: User) -> None:
        if not user.is_admin:
            await self.d.say_text(ev.chat, ADMIN_ONLY)
            return
        await self._choose_office(ev.chat, user, "kal_kantor", "Kalender kerja")

    async def group_in_private(self, ev: Command, user: User) -> None:
        await self.d.say_text(
            ev.chat,
            "Kirim /grup di dalam grup kantor (tambahkan bot ke grup itu dulu), bukan di obrolan pribadi.",
        )

    async def link_group_command(self, ev: Command, user: User | None) -> None:
        if user is None or not user.is_admin:
            await self.d.say_text(
                ev.chat, "Hanya admin bot yang dapat menghubungkan grup ini dengan kantor."
            )
            return
        offices = await self._offices()
        if not offices:
            await self.d.say_text(ev.chat, "Belum ada kantor yang terdaftar di bot.")
            return
        buttons = [
            [
                await self.d.menu_button(
                    user, o.name, {"a": "grup", "office": o.id, "chat": ev.chat.id}
                )
            ]
            for o in offices
        ]
        text = (
            Rich()
            .b("Hubungkan grup ini")
            .nl()
            .add(f"{user.name}, pilih kantor yang memakai grup ini:")
        )
        await self.d.say(ev.chat, OutMessage(text, buttons))

    async def added_to_group(self, ev: AddedToGroup) -> None:
        text = Rich().add(
            "Terima kasih telah menambahkan bot SOP. Admin bot: kirim /grup di grup ini untuk "
            "menghubungkannya sebagai grup kantor; tautan hasil unggahan akan diumumkan di sini."
        )
        await self.d.say(ev.chat, OutMessage(text), dedupe=f"joined:{ev.chat.id}")

    async def accept_invite(self, ev: Command) -> None:
        token = ev.args.strip()
        accepted = await self.admin.accept_invite(token, ev.person.external_id, ev.person.name)
        if accepted is None:
            await self.d.say_text(
                ev.chat,
                "Tautan undangan ini sudah dipakai atau kedaluwarsa. Minta tautan baru kepada admin kantor.",
            )
            return
        user, office, role = accepted
        text = Rich().b(f"Selamat datang, {user.name}!").nl()
        text.add(f"Anda terdaftar sebagai {self.roles.label(role)} di {office.name}.").nl(2)
        text.add(
            "Setiap langkah SOP yang menjadi tugas Anda akan datang ke sini dengan tombolnya. "
        )
        text.add(
            "Kirim /tugas untuk melihat langkah yang menunggu, atau /bantuan untuk daftar perintah."
        )
        await self.d.say(ev.chat, OutMessage(text))

    # --- menus -----------------------------------------------------------------------------------

    async def menu(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        action = p.get("a")
        if action == "grup":
            return await self._link(at, user, p)
        if not user.is_admin:
            return Answer(ADMIN_ONLY, alert=True)
        office = await self._office(int(p["office"])) if "office" in p else None
        if office is None:
            return Answer(texts.INVALID_BUTTON, alert=True)
        match action:
            case "undang_kantor":
                return await self._invite_roles(at, user, office)
            case "undang_peran":
                return await self._invite_link(at, user, office, str(p["role"]))
            case "orang_kantor":
                return await self._people(at, user, office)
            case "orang":
                return await self._person(at, user, office, int(p["user"]))
            case "peran":
                holds = bool(p["holds"])
                await self.admin.set_role(user, office.id, int(p["user"]), str(p["role"]), holds)
                await self._person(at, user, office, int(p["user"]))
                verb = "ditambahkan" if holds else "dicabut"
                return Answer(f"Peran {self.roles.label(str(p['role']))} {verb}.")
            case "tambah_peran":
                return await self._add_role_menu(at, user, office, int(p["user"]))
            case "aktif":
                active = bool(p["active"])
                await self.admin.set_active(user, int(p["user"]), active)
                await self._person(at, user, office, int(p["user"]))
                return Answer("Diaktifkan." if active else "Dinonaktifkan.")
            case "plh_kantor":
                return await self._standin_roles(at, user, office)
            case "plh_peran":
                return await self._standin_people(at, user, office, str(p["role"]))
            case "plh_orang":
                await self.d.expect(
                    user, "plh_tanggal", {"office": office.id, "role": p["role"], "user": p["user"]}
                )
                prompt = Rich().add(
                    "Tulis rentang tanggal Plh, misalnya 23-11-2026 s.d. 27-11-2026 (tanggal di zona waktu kantor)."
                )
                prompt.nl().i("Kirim /batal untuk mengurungkan.")
                await self.d.say(
                    at.chat, OutMessage(prompt, reply_prompt="23-11-2026 s.d. 27-11-2026")
                )
                return Answer("Tulis rentang tanggalnya.")
            case "plh_absen":
                return await self._save_standin(at.chat, user, office, p)
            case "kal_kantor":
                await self._calendar(at, user, office)
                return Answer()
            case "kal_tambah":
                kind = str(p["jenis"])
                await self.d.expect(user, "kalender", {"office": office.id, "jenis": kind})
                what = "hari libur kantor" if kind == "libur" else "hari kerja tambahan"
                prompt = Rich().add(
                    f"Tulis tanggal {what}, misalnya 28-11-2026, atau rentang 24-12-2026 s.d. 26-12-2026."
                )
                prompt.nl().i("Kirim /batal untuk mengurungkan.")
                await self.d.say(at.chat, OutMessage(prompt, reply_prompt="28-11-2026"))
                return Answer("Tulis tanggalnya.")
            case "kal_hapus_menu":
                return await self._calendar_remove_menu(at, user, office)
            case "kal_hapus":
                day = date.fromisoformat(str(p["tanggal"]))
                await self.admin.change_calendar(user, office.id, remove=[day])
                await self._calendar(at, user, office.id)
                return Answer(f"{format_date(day)} dihapus dari kalender.")
        return Answer(texts.INVALID_BUTTON, alert=True)

    async def _invite_roles(self, at: Spot, user: User, office: Office) -> Answer:
        roles = await self._office_roles(office)
        buttons = [
            [
                await self.d.menu_button(
                    user, self.roles.label(r), {"a": "undang_peran", "office": office.id, "role": r}
                )
            ]
            for r in roles
        ]
        text = (
            Rich().b(f"Undangan untuk {office.name}").nl().add("Pilih peran orang yang diundang:")
        )
        await self.d.replace(at.chat, at.message_ref, OutMessage(text, buttons))
        return Answer()

    async def _invite_link(self, at: Spot, user: User, office: Office, role: str) -> Answer:
        invite = await self.admin.create_invite(user, office.id, role)
        link = self.invite_link(invite.token)
        text = Rich().b(f"Undangan {self.roles.label(role)} — {office.name}").nl()
        text.add(
            "Teruskan tautan ini kepada orangnya. Siapa pun yang membukanya terdaftar dengan peran ini, "
        )
        text.add(f"sekali pakai, berlaku sampai {format_date(invite.expires_at.date())}:").nl()
        text.link(link, link)
        await self.d.replace(at.chat, at.message_ref, OutMessage(text))
        return Answer("Tautan undangan dibuat.")

    async def _people(self, at: Spot, user: User, office: Office) -> Answer:
        async with self.d.db.read() as tx:
            people = await tx.offices.people(office.id)
        text = Rich().b(f"Pengguna {office.name} ({len(people)})").nl()
        buttons = []
        for person, holdings in people:
            roles = ", ".join(
                self.roles.label(h.role) + (" (Plh)" if h.kind == "plh" else "") for h in holdings
            )
            state = "" if person.active else " [nonaktif]"
            text.add(f"• {person.name}{state}: {roles}").nl()
            buttons.append(
                [
                    await self.d.menu_button(
                        user,
                        texts.short(person.name, 40),
                        {"a": "orang", "office": office.id, "user": person.id},
                    )
                ]
            )
        if not people:
            text.add("Belum ada. Undang orang dengan /undang.")
        await self.d.replace(at.chat, at.message_ref, OutMessage(texts.fit(text), buttons[:40]))
        return Answer()

    async def _person(self, at: Spot, user: User, office: Office, person_id: int) -> Answer:
        async with self.d.db.read() as tx:
            person = await tx.offices.user(person_id)
            holdings = [h for h in await tx.offices.holdings(office.id) if h.user_id == person_id]
        if person is None:
            return Answer(texts.INVALID_BUTTON, alert=True)
        text = Rich().b(person.name).add(f" — {office.name}").nl()
        text.add(
            f"ID Telegram: {person.telegram_id} · {'aktif' if person.active else 'nonaktif'}"
        ).nl()
        buttons = []
        for h in holdings:
            if h.kind == "plh":
                period = (
                    f"{format_date(h.valid_from)} – {format_date(h.valid_until)}"
                    if h.valid_from and h.valid_until
                    else ""
                )
                text.add(f"• Plh {self.roles.label(h.role)} {period}").nl()
                continue
            text.add(f"• {self.roles.label(h.role)}").nl()
            buttons.append(
                [
                    await self.d.menu_button(
                        user,
                        texts.short(f"➖ Cabut {self.roles.label(h.role)}", 60),
                        {
                            "a": "peran",
                            "office": office.id,
                            "user": person_id,
                            "role": h.role,
                            "holds": False,
                        },
                    )
                ]
            )
        buttons.append(
            [
                await self.d.menu_button(
                    user,
                    "➕ Tambah peran",
                    {"a": "tambah_peran", "office": office.id, "user": person_id},
                )
            ]
        )
        toggle = "Nonaktifkan" if person.active else "Aktifkan lagi"
        buttons.append(
            [
                await self.d.menu_button(
                    user,
                    toggle,
                    {
                        "a": "aktif",
                        "office": office.id,
                        "user": person_id,
                        "active": not person.active,
                    },
                )
            ]
        )
        buttons.append(
            [
                await self.d.menu_button(
                    user, "⬅️ Daftar pengguna", {"a": "orang_kantor", "office": office.id}
                )
            ]
        )
        await self.d.replace(at.chat, at.message_ref, OutMessage(text, buttons))
        return Answer()

    async def _add_role_menu(self, at: Spot, user: User, office: Office, person_id: int) -> Answer:
        async with self.d.db.read() as tx:
            held = {
                h.role
                for h in await tx.offices.holdings(office.id)
                if h.user_id == person_id and h.kind == "holder"
            }
        roles = [r for r in await self._office_roles(office) if r not in held]
        buttons = [
            [
                await self.d.menu_button(
                    user,
                    self.roles.label(r),
                    {
                        "a": "peran",
                        "office": office.id,
                        "user": person_id,
                        "role": r,
                        "holds": True,
                    },
                )
            ]
            for r in roles
        ]
        buttons.append(
            [
                await self.d.menu_button(
                    user, "⬅️ Kembali", {"a": "orang", "office": office.id, "user": person_id}
                )
            ]
        )
        await self.d.replace(
            at.chat,
            at.message_ref,
            OutMessage(Rich().add("Pilih peran yang ditambahkan:"), buttons),
        )
        return Answer()

    async def _standin_roles(self, at: Spot, user: User, office: Office) -> Answer:
        buttons = [
            [
                await self.d.menu_button(
                    user, self.roles.label(r), {"a": "plh_peran", "office": office.id, "role": r}
                )
            ]
            for r in await self._office_roles(office)
        ]
        await self.d.replace(
            at.chat,
            at.message_ref,
            OutMessage(
                Rich().b(f"Plh — {office.name}").nl().add("Peran yang digantikan:"), buttons
            ),
        )
        return Answer()

    async def _standin_people(self, at: Spot, user: User, office: Office, role: str) -> Answer:
        async with self.d.db.read() as tx:
            people = [p for p, _ in await tx.offices.people(office.id) if p.active]
        buttons = [
            [
                await self.d.menu_button(
                    user,
                    texts.short(p.name, 40),
                    {"a": "plh_orang", "office": office.id, "role": role, "user": p.id},
                )
            ]
            for p in people
        ]
        text = Rich().add(
            f"Siapa Plh {self.roles.label(role)}? (orang yang belum terdaftar: undang dulu dengan /undang)"
        )
        await self.d.replace(at.chat, at.message_ref, OutMessage(text, buttons[:40]))
        return Answer()

    async def pending(
        self,
        chat: Chat,
        user: User,
        kind: str,
        state: dict[str, Any],
        text: str,
        file: FileRef | None,
    ) -> None:
        if kind == "kalender":
            await self._calendar_dates(chat, user, state, text)
            return
        if kind != "plh_tanggal":
            await self.d.forget(user)
            return
        period = parse_range(text)
        if period is None:
            await self.d.say_text(
                chat, "Rentang tanggal tidak dikenali. Tulis misalnya 23-11-2026 s.d. 27-11-2026."
            )
            return
        office = await self._office(int(state["office"]))
        if office is None:
            await self.d.forget(user)
            return
        role = str(state["role"])
        async with self.d.db.read() as tx:
            holders = [h for h in await tx.offices.holdings(office.id, role) if h.kind == "holder"]
            names = {h.user_id: (await tx.offices.user(h.user_id)) for h in holders}
        base = {
            "a": "plh_absen",
            "office": office.id,
            "role": role,
            "user": state["user"],
            "from": period[0].isoformat(),
            "until": period[1].isoformat(),
        }
        await self.d.forget(user)
        if len(holders) <= 1:
            absent = holders[0].user_id if holders else None
            await self._save_standin(chat, user, office, {**base, "absent": absent})
            return
        buttons = [
            [
                await self.d.menu_button(
                    user, texts.short(f"Menggantikan {u.name}", 60), {**base, "absent": uid}
                )
            ]
            for uid, u in names.items()
            if u is not None
        ]
        buttons.append(
            [
                await self.d.menu_button(
                    user, "Menggantikan semua pemegang peran", {**base, "absent": None}
                )
            ]
        )
        await self.d.say(chat, OutMessage(Rich().add("Plh ini menggantikan siapa?"), buttons))

    async def _save_standin(
        self, chat: Chat, user: User, office: Office, p: dict[str, Any]
    ) -> Answer:
        start, end = date.fromisoformat(str(p["from"])), date.fromisoformat(str(p["until"]))
        absent = int(p["absent"]) if p.get("absent") is not None else None
        await self.admin.add_standin(
            user, office.id, int(p["user"]), str(p["role"]), start, end, absent
        )
        async with self.d.db.read() as tx:
            standin = await tx.offices.user(int(p["user"]))
            replaced = await tx.offices.user(absent) if absent else None
        who = standin.name if standin else "—"
        role = self.roles.label(str(p["role"]))
        what = f" menggantikan {replaced.name}" if replaced else ""
        period = f"{format_date(start)} s.d. {format_date(end)}"
        await self.d.say_text(chat, f"Tercatat: {who} menjadi Plh {role}{what}, {period}.")
        if standin is not None and standin.telegram_id is not None:
            await self.d.say_text(
                str(standin.telegram_id),
                f"Anda ditetapkan sebagai Plh {role} di {office.name}{what}, {period}. Langkah SOP peran ini akan "
                "dikirim kepada Anda selama masa itu.",
            )
        return Answer("Plh ditetapkan.")

    # --- the office calendar ---------------------------------------------------------------------

    async def _calendar(self, at: Spot, user: User, office: Office | int) -> None:
        if isinstance(office, int):
            found = await self._office(office)
            if found is None:
                return
            office = found
        cal = calendar_for(office)
        settings = CalendarSettings.model_validate(
            {**settings_of(office).calendar, "timezone": office.timezone}
        )
        today = cal.local_date(self.d.clock.now())
        text = Rich().b(f"Kalender kerja — {office.name} ({cal.zone_name})").nl()
        if settings.always_open:
            text.add("Setiap jam adalah jam kerja (24/7).").nl()
        else:
            hours = "; ".join(f"{day.label} {hours_text}" for day, hours_text in _week(settings))
            text.field("Jam kerja", hours)
            text.field(
                "Libur nasional dan cuti bersama",
                "diikuti" if settings.national_holidays else "tidak diikuti",
            )
        closed = [d for d in settings.closed_dates if d >= today]
        working = [d for d in sorted(settings.working_dates) if d >= today]
        text.field(
            "Hari libur kantor tambahan",
            ", ".join(format_date(d, weekday=True) for d in closed) or "—",
        )
        text.field(
            "Hari kerja tambahan", ", ".join(format_date(d, weekday=True) for d in working) or "—"
        )
        coming = []
        for offset in range(60):
            day = today + timedelta(days=offset)
            name = cal.holiday_name(day)
            if name and day not in settings.working_dates:
                coming.append(f"{format_date(day, weekday=True)} — {name}")
        if coming:
            text.nl().b("Libur nasional 60 hari ke depan:").nl()
            for line in coming[:10]:
                text.add(f"• {line}").nl()
        buttons = [
            [
                await self.d.menu_button(
                    user,
                    "➕ Hari libur kantor",
                    {"a": "kal_tambah", "office": office.id, "jenis": "libur"},
                )
            ],
            [
                await self.d.menu_button(
                    user,
                    "➕ Hari kerja tambahan",
                    {"a": "kal_tambah", "office": office.id, "jenis": "kerja"},
                )
            ],
        ]
        if closed or working:
            buttons.append(
                [
                    await self.d.menu_button(
                        user, "➖ Hapus tanggal", {"a": "kal_hapus_menu", "office": office.id}
                    )
                ]
            )
        await self.d.replace(at.chat, at.message_ref, OutMessage(text, buttons))

    async def _calendar_remove_menu(self, at: Spot, user: User, office: Office) -> Answer:
        settings = CalendarSettings.model_validate(
            {**settings_of(office).calendar, "timezone": office.timezone}
        )
        days = sorted(set(settings.closed_dates) | set(settings.working_dates))
        buttons = [
            [
                await self.d.menu_button(
                    user,
                    f"Hapus {format_date(d, weekday=True)}",
                    {"a": "kal_hapus", "office": office.id, "tanggal": d.isoformat()},
                )
            ]
            for d in days[-20:]
        ]
        buttons.append(
            [await self.d.menu_button(user, "⬅️ Kembali", {"a": "kal_kantor", "office": office.id})]
        )
        await self.d.replace(
            at.chat, at.message_ref, OutMessage(Rich().add("Tanggal mana yang dihapus?"), buttons)
        )
        return Answer()

    async def _calendar_dates(
        self, chat: Chat, user: User, state: dict[str, Any], text: str
    ) -> None:
        period = parse_range(text) or _one_date(text)
        if period is None:
            await self.d.say_text(
                chat,
                "Tanggal tidak dikenali. Tulis misalnya 28-11-2026, atau 24-12-2026 s.d. 26-12-2026.",
            )
            return
        start, end = period
        if (end - start).days > 366:
            await self.d.say_text(chat, "Rentang paling panjang satu tahun. Tulis lagi tanggalnya.")
            return
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        office_id = int(state["office"])
        closing = state["jenis"] == "libur"
        try:
            office = await self.admin.change_calendar(
                user, office_id, closed=days if closing else None, working=None if closing else days
            )
        except ValueError as exc:
            await self.d.say_text(chat, f"Kalender tidak diubah: {exc}")
            return
        await self.d.forget(user)
        what = "hari libur kantor" if closing else "hari kerja tambahan"
        listed = (
            format_date(start) if start == end else f"{format_date(start)} s.d. {format_date(end)}"
        )
        await self.d.say_text(
            chat,
            f"Tercatat: {listed} menjadi {what} di {office.name}. Batas waktu langkah yang dibuka sesudah ini memakainya.",
        )
        await self._calendar(Spot(chat, None), user, office)

    async def _link(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        if not user.is_admin:
            return Answer(ADMIN_ONLY, alert=True)
        chat_id = str(p["chat"])
        office, released = await self.admin.link_group(user, int(p["office"]), chat_id)
        text = Rich().b("Grup terhubung").nl().add(f"Grup ini sekarang grup kantor {office.name}. ")
        text.add("Tautan hasil unggahan SOP akan diumumkan di sini.")
        if released:
            text.nl().add(f"{released} pengumuman yang tertunda segera dikirim.")
        await self.d.replace(at.chat, at.message_ref, OutMessage(text))
        return Answer("Grup dihubungkan.")
