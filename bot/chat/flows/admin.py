"""The admin's conversations: invitations (/undang), people and roles (/pengguna), stand-ins (/plh),
the office calendar (/kalender) and linking the office group (/grup). Menus are buttons whose
tokens only their admin can press; every call the menus make is checked by the Admin service."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from bot.chat.events import AddedToGroup, Answer, Chat, Command, FileRef
from bot.chat.messages import OutMessage, Rich, fit
from bot.chat.replies import OFFICE_SETTINGS, Flow, MenuHandler, Replies, Spot
from bot.clock import Clock
from bot.office.admin import Admin
from bot.office.calendar import CalendarSettings, Weekday
from bot.office.settings import calendar_for, settings_of
from bot.words import admin as words
from bot.words.format import format_date
from bot.words.steps import INVALID_BUTTON
from storage.conversation import Prompt
from storage.offices import Office, User

_DATE = r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"
_RANGE = re.compile(
    rf"^\s*{_DATE}\s*(?:s\.?\s*d\.?|sampai|-|–|hingga)\s*{_DATE}\s*$", re.IGNORECASE
)
_ONE = re.compile(rf"^\s*{_DATE}\s*$")


def _day(d: str, m: str, y: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_range(text: str) -> tuple[date, date] | None:
    """``23-11-2026 s.d. 27-11-2026`` (or sampai, hingga, a dash)."""
    match = _RANGE.match(text)
    if match is None:
        return None
    start, end = _day(*match.groups()[:3]), _day(*match.groups()[3:])
    if start is None or end is None or start > end:
        return None
    return start, end


def parse_dates(text: str) -> tuple[date, date] | None:
    """A range, or one date as a range of one day."""
    found = parse_range(text)
    if found is not None:
        return found
    match = _ONE.match(text)
    day = _day(*match.groups()) if match else None
    return (day, day) if day is not None else None


def _week(settings: CalendarSettings) -> str:
    return "; ".join(
        f"{day.label} {settings.hours[day] if settings.hours.get(day) else words.DAY_OFF}"
        for day in Weekday
    )


class AdminFlow(Flow):
    def __init__(
        self,
        replies: Replies,
        admin: Admin,
        invite_links: Callable[[str], list[tuple[str, str]]],
    ) -> None:
        super().__init__()
        self.r = replies
        self.admin = admin
        self.invite_links = invite_links
        self.roles = admin.catalog.roles
        self.clock: Clock = replies.clock
        # Every admin menu names its office; the handler gets it checked by the Admin service.
        office_menus: Mapping[str, Callable[[Spot, User, Office, dict[str, Any]], Any]] = {
            "undang_kantor": self._invite_roles,
            "undang_peran": self._invite_link,
            "orang_kantor": self._people,
            "orang": self._person,
            "peran": self._set_role,
            "tambah_peran": self._add_role_menu,
            "aktif": self._set_active,
            "plh_kantor": self._standin_roles,
            "plh_peran": self._standin_people,
            "plh_orang": self._standin_dates,
            "plh_absen": self._save_standin,
            "kal_kantor": self._calendar_menu,
            "kal_tambah": self._calendar_add,
            "kal_hapus_menu": self._calendar_remove_menu,
            "kal_hapus": self._calendar_remove,
        }
        menus: dict[str, MenuHandler] = {a: self._in_office(h) for a, h in office_menus.items()}
        menus["grup"] = self._link
        self.menus = menus
        self.inputs = {"plh_tanggal": self._standin_period, "kalender": self._calendar_dates}

    def _in_office(
        self, handler: Callable[[Spot, User, Office, dict[str, Any]], Any]
    ) -> MenuHandler:
        async def checked(at: Spot, user: User, p: dict[str, Any]) -> Answer:
            office = await self.admin.office(user, p.get("office"))
            answer: Answer | None = await handler(at, user, office, p)
            return answer or Answer()

        return checked

    async def _choose_office(self, chat: Chat, user: User, action: str, title: str) -> None:
        offices = await self.admin.offices(user)
        if not offices:
            await self.r.say_text(chat, words.NO_OFFICES)
            return
        if len(offices) == 1:
            await self.menus[action](Spot(chat), user, {"a": action, "office": offices[0].id})
            return
        text = Rich().b(title).nl().add(words.CHOOSE_OFFICE)
        items = [(o.name, {"a": action, "office": o.id}) for o in offices]
        await self.r.say(chat, await self.r.menu_message(chat, user, text, items))

    # --- commands --------------------------------------------------------------------------------

    async def invite(self, ev: Command, user: User) -> None:
        await self._choose_office(ev.chat, user, "undang_kantor", words.INVITE_TITLE)

    async def people(self, ev: Command, user: User) -> None:
        await self._choose_office(ev.chat, user, "orang_kantor", words.PEOPLE_TITLE)

    async def standin(self, ev: Command, user: User) -> None:
        await self._choose_office(ev.chat, user, "plh_kantor", words.STANDIN_TITLE)

    async def calendar(self, ev: Command, user: User) -> None:
        await self._choose_office(ev.chat, user, "kal_kantor", words.CALENDAR_TITLE)

    # --- the office group ------------------------------------------------------------------------

    async def link_group(self, ev: Command, user: User | None) -> None:
        """/grup in a group: the admin picks the office whose group it becomes."""
        offices = await self.admin.offices_for_group(user)
        assert user is not None  # noqa: S101 - the service refuses anyone but an admin
        if not offices:
            await self.r.say_text(ev.chat, words.NO_OFFICES_FOR_GROUP)
            return
        items = [(o.name, {"a": "grup", "office": o.id}) for o in offices]
        text = words.link_group_menu(user.name)
        await self.r.say(ev.chat, await self.r.menu_message(ev.chat, user, text, items))

    async def added_to_group(self, ev: AddedToGroup) -> None:
        await self.r.say(
            ev.chat,
            OutMessage(Rich().add(words.ADDED_TO_GROUP)),
            dedupe=f"joined:{ev.chat.channel}:{ev.chat.id}",
        )

    async def _link(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        office, released = await self.admin.link_group(
            user, int(p["office"]), at.chat.channel, at.chat.id
        )
        await self.r.replace(at, words.group_linked(office.name, released))
        return Answer(words.GROUP_LINKED_ANSWER)

    # --- invitations -----------------------------------------------------------------------------

    async def _invite_roles(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> None:
        items = [
            (self.roles.label(r), {"a": "undang_peran", "office": office.id, "role": r})
            for r in await self.admin.office_roles(user, office)
        ]
        text = words.invite_roles(office.name)
        await self.r.replace(at, await self.r.menu_message(at.chat, user, text, items))

    async def _invite_link(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        role = str(p["role"])
        invite = await self.admin.create_invite(user, office.id, role)
        message = words.invitation(
            self.roles.label(role),
            office.name,
            invite.expires_at.date(),
            self.invite_links(invite.token),
        )
        await self.r.replace(at, message)
        return Answer(words.INVITE_MADE)

    # --- people and roles ------------------------------------------------------------------------

    async def _people(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> None:
        people = await self.admin.people(user, office)
        text = words.people_head(office.name, len(people))
        for person, holdings in people:
            roles = [
                self.roles.label(h.role) + (" (Plh)" if h.kind == "plh" else "") for h in holdings
            ]
            text.add(words.person_line(person.name, roles, active=person.active)).nl()
        if not people:
            text.add(words.NOBODY_YET)
        items = [
            (person.name, {"a": "orang", "office": office.id, "user": person.id})
            for person, _ in people
        ]
        await self.r.replace(at, await self.r.menu_message(at.chat, user, fit(text), items))

    async def _person(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        person_id = int(p["user"])
        found = await self.admin.person(user, office, person_id)
        if found is None:
            return Answer(INVALID_BUTTON, alert=True)
        person, holdings = found
        text = Rich().b(person.name).add(f" — {office.name}").nl()
        ids = [(i.channel, i.external_id) for i in person.identities]
        text.add(words.identity_line(ids, active=person.active)).nl()
        items: list[tuple[str, dict[str, Any]]] = []
        base = {"office": office.id, "user": person_id}
        for h in holdings:
            if h.kind == "plh":
                text.add(words.standin_line(self.roles.label(h.role), h.valid_from, h.valid_until))
                text.nl()
                continue
            text.add(f"• {self.roles.label(h.role)}").nl()
            remove = {"a": "peran", **base, "role": h.role, "holds": False}
            items.append((words.remove_role_label(self.roles.label(h.role)), remove))
        items.append((words.ADD_ROLE, {"a": "tambah_peran", **base}))
        toggle = words.DEACTIVATE if person.active else words.REACTIVATE
        items.append((toggle, {"a": "aktif", **base, "active": not person.active}))
        items.append((words.BACK_TO_PEOPLE, {"a": "orang_kantor", "office": office.id}))
        await self.r.replace(at, OutMessage(text, await self.r.menu(at.chat, user, items)))
        return Answer()

    async def _set_role(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        holds, role = bool(p["holds"]), str(p["role"])
        await self.admin.set_role(user, office.id, int(p["user"]), role, holds)
        await self._person(at, user, office, p)
        return Answer(words.role_changed(self.roles.label(role), holds=holds))

    async def _set_active(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> Answer:
        active = bool(p["active"])
        await self.admin.set_active(user, int(p["user"]), active)
        await self._person(at, user, office, p)
        return Answer(words.ACTIVATED if active else words.DEACTIVATED)

    async def _add_role_menu(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> None:
        person_id = int(p["user"])
        found = await self.admin.person(user, office, person_id)
        held = {h.role for h in (found[1] if found else []) if h.kind == "holder"}
        base = {"office": office.id, "user": person_id}
        items: list[tuple[str, dict[str, Any]]] = [
            (self.roles.label(r), {"a": "peran", **base, "role": r, "holds": True})
            for r in await self.admin.office_roles(user, office)
            if r not in held
        ]
        items.append((words.BACK, {"a": "orang", **base}))
        text = Rich().add(words.CHOOSE_ROLE_TO_ADD)
        await self.r.replace(at, await self.r.menu_message(at.chat, user, text, items))

    # --- stand-ins (Plh) -------------------------------------------------------------------------

    async def _standin_roles(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> None:
        items = [
            (self.roles.label(r), {"a": "plh_peran", "office": office.id, "role": r})
            for r in await self.admin.office_roles(user, office)
        ]
        text = words.standin_roles(office.name)
        await self.r.replace(at, await self.r.menu_message(at.chat, user, text, items))

    async def _standin_people(
        self, at: Spot, user: User, office: Office, p: dict[str, Any]
    ) -> None:
        role = str(p["role"])
        people = [u for u, _ in await self.admin.people(user, office) if u.active]
        items = [
            (u.name, {"a": "plh_orang", "office": office.id, "role": role, "user": u.id})
            for u in people
        ]
        text = Rich().add(words.standin_who(self.roles.label(role)))
        await self.r.replace(at, await self.r.menu_message(at.chat, user, text, items))

    async def _standin_dates(
        self, at: Spot, user: User, office: Office, p: dict[str, Any]
    ) -> Answer:
        await self.r.ask(
            at.chat,
            user,
            words.standin_dates_prompt(),
            topic=OFFICE_SETTINGS,
            kind="plh_tanggal",
            label=words.STANDIN_DATES_WHAT,
            payload={"office": office.id, "role": p["role"], "user": p["user"]},
        )
        return Answer(words.STANDIN_DATES_ANSWER)

    async def _standin_period(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        state = prompt.payload
        period = parse_range(text)
        if period is None:
            await self.r.say_text(chat, words.BAD_RANGE)
            return
        office = await self.admin.office(user, state.get("office"))
        role = str(state["role"])
        holders = await self.admin.role_holders(user, office, role)
        base = {
            "a": "plh_absen",
            "office": office.id,
            "role": role,
            "user": state["user"],
            "from": period[0].isoformat(),
            "until": period[1].isoformat(),
        }
        await self.r.done(user, OFFICE_SETTINGS)
        if len(holders) <= 1:
            absent = holders[0].id if holders else None
            await self._save_standin(Spot(chat), user, office, {**base, "absent": absent})
            return
        items = [(words.standin_for(u.name), {**base, "absent": u.id}) for u in holders]
        items.append((words.STANDIN_FOR_ALL, {**base, "absent": None}))
        question = Rich().add(words.STANDIN_FOR_WHOM)
        await self.r.say(chat, await self.r.menu_message(chat, user, question, items))

    async def _save_standin(
        self, at: Spot, user: User, office: Office, p: dict[str, Any]
    ) -> Answer:
        start, end = date.fromisoformat(str(p["from"])), date.fromisoformat(str(p["until"]))
        absent = int(p["absent"]) if p.get("absent") is not None else None
        standin_id = int(p["user"])
        await self.admin.add_standin(
            user, office.id, standin_id, str(p["role"]), start, end, absent
        )
        standin = await self.admin.person(user, office, standin_id)
        replaced = await self.admin.person(user, office, absent) if absent else None
        who = standin[0] if standin else None
        role = self.roles.label(str(p["role"]))
        replaced_name = replaced[0].name if replaced else None
        await self.r.say_text(
            at.chat,
            words.standin_recorded(who.name if who else "—", role, replaced_name, start, end),
        )
        if who is not None:
            await self.r.tell(who, words.standin_told(role, office.name, replaced_name, start, end))
        return Answer(words.STANDIN_SET)

    # --- the office calendar ---------------------------------------------------------------------

    async def _calendar_menu(self, at: Spot, user: User, office: Office, p: dict[str, Any]) -> None:
        cal = calendar_for(office)
        settings = CalendarSettings.model_validate(
            {**settings_of(office).calendar, "timezone": office.timezone}
        )
        today = cal.local_date(self.clock.now())
        closed = [d for d in settings.closed_dates if d >= today]
        working = [d for d in sorted(settings.working_dates) if d >= today]
        text = words.calendar_head(office.name, cal.zone_name)
        text.extend(
            words.calendar_fields(
                None if settings.always_open else _week(settings),
                settings.national_holidays,
                [format_date(d, weekday=True) for d in closed],
                [format_date(d, weekday=True) for d in working],
            )
        )
        coming = []
        for offset in range(60):
            day = today + timedelta(days=offset)
            name = cal.holiday_name(day)
            if name and day not in settings.working_dates:
                coming.append(f"{format_date(day, weekday=True)} — {name}")
        if coming:
            text.nl().b(words.COMING_HOLIDAYS).nl()
            for line in coming[:10]:
                text.add(f"• {line}").nl()
        items: list[tuple[str, dict[str, Any]]] = [
            (words.ADD_CLOSED, {"a": "kal_tambah", "office": office.id, "jenis": "libur"}),
            (words.ADD_WORKING, {"a": "kal_tambah", "office": office.id, "jenis": "kerja"}),
        ]
        if closed or working:
            items.append((words.REMOVE_DATE, {"a": "kal_hapus_menu", "office": office.id}))
        await self.r.replace(at, OutMessage(text, await self.r.menu(at.chat, user, items)))

    async def _calendar_add(
        self, at: Spot, user: User, office: Office, p: dict[str, Any]
    ) -> Answer:
        kind = str(p["jenis"])
        await self.r.ask(
            at.chat,
            user,
            words.date_prompt(kind == "libur"),
            topic=OFFICE_SETTINGS,
            kind="kalender",
            label=words.date_what(kind == "libur"),
            payload={"office": office.id, "jenis": kind},
        )
        return Answer(words.DATE_ANSWER)

    async def _calendar_remove_menu(
        self, at: Spot, user: User, office: Office, p: dict[str, Any]
    ) -> None:
        settings = CalendarSettings.model_validate(
            {**settings_of(office).calendar, "timezone": office.timezone}
        )
        days = sorted(set(settings.closed_dates) | set(settings.working_dates))
        items: list[tuple[str, dict[str, Any]]] = [
            (
                words.remove_date_label(format_date(d, weekday=True)),
                {"a": "kal_hapus", "office": office.id, "tanggal": d.isoformat()},
            )
            for d in days[-20:]
        ]
        items.append((words.BACK, {"a": "kal_kantor", "office": office.id}))
        text = Rich().add(words.WHICH_DATE)
        await self.r.replace(at, await self.r.menu_message(at.chat, user, text, items))

    async def _calendar_remove(
        self, at: Spot, user: User, office: Office, p: dict[str, Any]
    ) -> Answer:
        day = date.fromisoformat(str(p["tanggal"]))
        changed = await self.admin.change_calendar(user, office.id, remove=[day])
        await self._calendar_menu(at, user, changed, p)
        return Answer(words.date_removed(day))

    async def _calendar_dates(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        state = prompt.payload
        period = parse_dates(text)
        if period is None:
            await self.r.say_text(chat, words.BAD_DATE)
            return
        start, end = period
        if (end - start).days > 366:
            await self.r.say_text(chat, words.RANGE_TOO_LONG)
            return
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        closing = state["jenis"] == "libur"
        try:
            office = await self.admin.change_calendar(
                user,
                int(state["office"]),
                closed=days if closing else None,
                working=None if closing else days,
            )
        except ValueError as exc:
            await self.r.say_text(chat, words.calendar_unchanged(str(exc)))
            return
        await self.r.done(user, OFFICE_SETTINGS)
        await self.r.say_text(chat, words.calendar_changed(start, end, closing, office.name))
        await self._calendar_menu(Spot(chat), user, office, {})
