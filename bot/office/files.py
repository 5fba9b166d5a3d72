"""An office file: the office, its SOPs, its settings and its people with their roles, as an admin
writes it (the examples are in ``bot/office/examples``). Read and checked whole, every fault named;
``Admin.import_office`` applies it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.office.calendar import CalendarSettings
from bot.office.identity import whatsapp_number
from bot.office.settings import OfficeSettings
from bot.office.zones import resolve_zone
from sop.faults import (
    Lines,
    Loc,
    Unreadable,
    YamlFault,
    path_text,
    problems,
    read_text,
    read_yaml,
    render,
)
from sop.loader import Catalog
from storage.offices import Office

# The example office files of the two offices in the SOP sources (README: setting up an office).
EXAMPLE_OFFICES = Path(__file__).parent / "examples"


class OfficeFileError(Exception):
    """An office file refused whole; each message names the entry at fault."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


class PersonEntry(BaseModel):
    """A person of the office: known on Telegram (``telegram_id``), on WhatsApp (``whatsapp``, the
    number in international form), or both, reached first on ``preferred_channel``."""

    model_config = ConfigDict(extra="forbid")

    telegram_id: int | None = Field(default=None, gt=0)
    whatsapp: str | None = None
    preferred_channel: Literal["telegram", "whatsapp"] | None = None
    name: str = Field(min_length=1, max_length=120)
    roles: list[str] = Field(default_factory=list)
    admin: bool = False

    @field_validator("whatsapp", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        if isinstance(value, int):
            value = str(value)
        return whatsapp_number(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _reachable(self) -> PersonEntry:
        if self.telegram_id is None and self.whatsapp is None:
            raise ValueError("isi telegram_id, whatsapp, atau keduanya")
        if self.preferred_channel == "telegram" and self.telegram_id is None:
            raise ValueError("preferred_channel telegram, tetapi telegram_id tidak diisi")
        if self.preferred_channel == "whatsapp" and self.whatsapp is None:
            raise ValueError("preferred_channel whatsapp, tetapi whatsapp tidak diisi")
        return self

    def identities(self) -> list[tuple[str, str]]:
        """(channel, id) of each channel the person is known on, the preferred one first."""
        found = []
        if self.telegram_id is not None:
            found.append(("telegram", str(self.telegram_id)))
        if self.whatsapp is not None:
            found.append(("whatsapp", self.whatsapp))
        return sorted(found, key=lambda i: i[0] != self.preferred_channel)


class OfficeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    name: str = Field(min_length=1)
    timezone: str = "Asia/Jakarta"
    group_chat_id: int | None = None
    sops: list[str] = Field(min_length=1)
    calendar: dict[str, Any] = Field(default_factory=dict)
    reminders: dict[str, Any] = Field(default_factory=dict)
    agenda_template: str | None = None
    report_roles: list[str] | None = None
    announce_roles: list[str] | None = None
    people: list[PersonEntry] = Field(default_factory=list)

    @field_validator("calendar", "reminders", mode="before")
    @classmethod
    def _empty_settings(cls, value: object) -> object:
        # A key whose every line is commented out reads as empty: the default, not a fault.
        return {} if value is None else value

    @field_validator("people", mode="before")
    @classmethod
    def _empty_people(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("group_chat_id")
    @classmethod
    def _group_is_negative(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("group_chat_id grup Telegram selalu negatif, mis. -1001234567890")
        return value

    def settings(self) -> OfficeSettings:
        data: dict[str, Any] = {"calendar": self.calendar, "reminders": self.reminders}
        if self.agenda_template is not None:
            data["agenda_template"] = self.agenda_template
        if self.report_roles is not None:
            data["report_roles"] = tuple(self.report_roles)
        if self.announce_roles is not None:
            data["announce_roles"] = tuple(self.announce_roles)
        return OfficeSettings.model_validate(data)


@dataclass
class ImportReport:
    office: Office
    created: bool = False
    office_changed: bool = False
    people_added: list[str] = field(default_factory=list)
    people_changed: list[str] = field(default_factory=list)
    roles_added: list[str] = field(default_factory=list)
    roles_removed: list[str] = field(default_factory=list)
    group_linked: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.office_changed
            or self.people_added
            or self.people_changed
            or self.roles_added
            or self.roles_removed
            or self.group_linked
        )

    def lines(self) -> list[str]:
        if not self.changed:
            return [f"Kantor {self.office.code}: tidak ada perubahan."]
        verb = "dibuat" if self.created else "diperbarui"
        out = [f"Kantor {self.office.code} ({self.office.name}) {verb}."]
        if self.people_added:
            out.append(f"Orang baru: {', '.join(self.people_added)}.")
        if self.people_changed:
            out.append(f"Data diperbarui: {', '.join(self.people_changed)}.")
        if self.roles_added:
            out.append(f"Peran ditambahkan: {', '.join(self.roles_added)}.")
        if self.roles_removed:
            out.append(f"Peran dicabut: {', '.join(self.roles_removed)}.")
        if self.group_linked:
            out.append("Grup kantor dihubungkan.")
        return out


def read_office_file(path: Path, catalog: Catalog) -> OfficeFile:
    """Read and check an office file; ``OfficeFileError`` names every fault, with its line."""
    try:
        raw, lines = read_yaml(read_text(path))
    except Unreadable as exc:
        raise OfficeFileError([f"{path.name}: {exc.reason}"]) from None
    except YamlFault as exc:
        raise OfficeFileError(
            [render(path.name, exc.line, [], f"YAML tidak valid: {exc.text}")]
        ) from None
    return validate_office(raw, path.name, catalog, lines)


class _Told:
    """Faults of one office file, each named by its file, line and entry."""

    def __init__(self, raw: Any, source: str, lines: Lines) -> None:
        self.raw, self.source, self.lines = raw, source, lines
        self.found: list[tuple[int, str]] = []

    @property
    def messages(self) -> list[str]:
        """Each fault once, in the order of their lines (those without a line first)."""
        ordered = sorted(self.found, key=lambda found: found[0])
        return list(dict.fromkeys(message for _, message in ordered))

    def _entry(self, loc: Loc) -> tuple[list[str], Loc]:
        if len(loc) >= 2 and loc[0] == "people" and isinstance(loc[1], int):
            entry = f"people[{loc[1] + 1}]"
            people = self.raw.get("people") if isinstance(self.raw, Mapping) else None
            if isinstance(people, list) and loc[1] < len(people):
                name = people[loc[1]].get("name") if isinstance(people[loc[1]], Mapping) else None
                if isinstance(name, str) and name.strip():
                    entry += f" ({name.strip()})"
            return [entry], loc[2:]
        return [], loc

    def add(self, loc: Loc, text: str, *, show_path: bool = False, at: Loc | None = None) -> None:
        parts, rest = self._entry(loc)
        if show_path:
            parts.append(path_text(rest))
        line = self.lines.line(at if at is not None else loc)
        self.found.append((line or 0, render(self.source, line, parts, text)))

    def problems(self, exc: ValidationError, model: type[BaseModel]) -> None:
        for found in problems(exc, model, _KNOWN_KEYS):
            self.add(found.loc, found.text, show_path=found.show_path, at=found.at)


# The settings an office keeps as free data, checked by their own models: the keys they allow.
_KNOWN_KEYS: Mapping[Loc, tuple[str, ...]] = {
    ("calendar",): tuple(k for k in CalendarSettings.model_fields if k != "timezone"),
}


def validate_office(
    raw: Any, source: str, catalog: Catalog, lines: Lines | None = None
) -> OfficeFile:
    """Check an office file whole; every fault is reported at once, naming its entry (and its
    line, given ``lines`` from ``sop.faults.read_yaml``). The checks read the file's own values,
    so a refused field does not hide the faults of the others."""
    told = _Told(raw, source, lines or Lines())
    if not isinstance(raw, Mapping):
        told.add((), "berkas kantor harus berisi kunci dan nilainya (code:, name:, sops:, people:)")
        raise OfficeFileError(told.messages)
    office: OfficeFile | None = None
    try:
        office = OfficeFile.model_validate(raw)
    except ValidationError as exc:
        told.problems(exc, OfficeFile)
    _check_names(raw, catalog, told)
    _check_settings(raw, told)
    if told.messages or office is None:
        raise OfficeFileError(told.messages)
    return office


def _listed(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _check_names(raw: Mapping[str, Any], catalog: Catalog, told: _Told) -> None:
    """SOP codes and role keys the catalog knows; no id given to two people."""
    for i, code in enumerate(_listed(raw, "sops")):
        if isinstance(code, str) and catalog.get(code) is None:
            known = ", ".join(sorted(catalog.definitions))
            told.add(("sops", i), f"sops: SOP '{code}' tidak dikenal (yang ada: {known})")
    unknown = f"{catalog.roles.known()} (dinyatakan di sop/definitions/roles.yaml)"
    seen: dict[tuple[str, str], str] = {}
    for n, entry in enumerate(_listed(raw, "people")):
        if not isinstance(entry, Mapping):
            continue
        try:
            person = PersonEntry.model_validate(entry)
        except ValidationError:
            person = None  # its faults are told with the file's
        for channel, external_id in person.identities() if person else []:
            key = "telegram_id" if channel == "telegram" else "whatsapp"
            if (channel, external_id) in seen:
                other = seen[channel, external_id]
                told.add(("people", n, key), f"{key} {external_id} sudah dipakai oleh {other}")
            seen[channel, external_id] = person.name if person else ""
        roles = entry.get("roles")
        for r, role in enumerate(roles if isinstance(roles, list) else []):
            if isinstance(role, str) and role not in catalog.roles:
                told.add(("people", n, "roles", r), f"peran '{role}' tidak dikenal; {unknown}")
    for key in ("report_roles", "announce_roles"):
        for r, role in enumerate(_listed(raw, key)):
            if isinstance(role, str) and role not in catalog.roles:
                told.add((key, r), f"{key}: peran '{role}' tidak dikenal; {unknown}")


_SETTINGS_KEYS = ("calendar", "reminders", "agenda_template", "report_roles", "announce_roles")


def _check_settings(raw: Mapping[str, Any], told: _Told) -> None:
    """The office's settings as the bot will keep them, and its timezone."""
    data = {key: raw[key] for key in _SETTINGS_KEYS if raw.get(key) is not None}
    try:
        OfficeSettings.model_validate(data)
    except ValidationError as exc:
        told.problems(exc, OfficeSettings)
    zone = raw.get("timezone", "Asia/Jakarta")
    if isinstance(zone, str):
        try:
            resolve_zone(zone)
        except ValueError as exc:
            told.add(("timezone",), str(exc), show_path=True)


# --- placeholders ---------------------------------------------------------------------------------

PLACEHOLDER_TELEGRAM_IDS = range(100_000_000, 100_001_000)
"""The example office files' Telegram ids are placeholders, written 100000xxx (100000000 to
100000999), as their comments say. The range is the examples' own convention: an import with one
is not refused, only warned about, since a real person's id could in principle fall in it."""
PLACEHOLDER_WHATSAPP_PREFIX = "62800000"
"""The example files' WhatsApp numbers are placeholders written 62800000xxxx: 0800 is no mobile
prefix in Indonesia."""


def placeholders(office: OfficeFile) -> list[PersonEntry]:
    """The people of an office file who still have an example placeholder id or number."""
    return [
        p
        for p in office.people
        if (p.telegram_id is not None and p.telegram_id in PLACEHOLDER_TELEGRAM_IDS)
        or (p.whatsapp is not None and p.whatsapp.startswith(PLACEHOLDER_WHATSAPP_PREFIX))
    ]


def placeholder_warning(office: OfficeFile, source: str) -> str | None:
    """What to tell the admin who imports a file that still has placeholder ids, or ``None``."""
    found = placeholders(office)
    if not found:
        return None
    names = ", ".join(p.name for p in found)
    return (
        f"Peringatan: {len(found)} orang di {source} masih memakai id contoh (telegram_id "
        f"100000xxx atau nomor WhatsApp 62800000xxxx), bukan id mereka sendiri: {names}. Bot "
        "tidak dapat mengirim langkah kepada mereka. Ganti dengan id Telegram atau nomor WhatsApp "
        "masing-masing (seseorang melihat id Telegram-nya dengan menulis apa saja kepada bot), "
        "lalu impor lagi."
    )
