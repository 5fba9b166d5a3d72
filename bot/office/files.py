"""An office file: the office, its SOPs, its settings and its people with their roles, as an admin
writes it (the examples are in ``bot/office/examples``). Read and checked whole, every fault named;
``Admin.import_office`` applies it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.office.identity import whatsapp_number
from bot.office.settings import OfficeSettings, calendar_for
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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OfficeFileError([f"{path.name}: tidak dapat dibaca ({exc.strerror})"]) from exc
    except yaml.YAMLError as exc:
        raise OfficeFileError([f"{path.name}: YAML tidak valid: {exc}"]) from exc
    return validate_office(raw, path.name, catalog)


def validate_office(raw: Any, source: str, catalog: Catalog) -> OfficeFile:
    """Check an office file whole; every fault is reported, naming its entry."""
    try:
        office = OfficeFile.model_validate(raw)
    except ValidationError as exc:
        messages = []
        for err in exc.errors(include_url=False):
            loc = list(err["loc"])
            where = source
            if loc[:1] == ["people"] and len(loc) > 1 and isinstance(loc[1], int):
                where += f": people[{loc[1] + 1}]"
                loc = loc[2:]
            path = ".".join(str(p) for p in loc)
            text = str(err["msg"]).removeprefix("Value error, ")
            messages.append(f"{where}: {path}: {text}" if path else f"{where}: {text}")
        raise OfficeFileError(messages) from exc
    messages = []
    for code in office.sops:
        if catalog.get(code) is None:
            known = ", ".join(sorted(catalog.definitions))
            messages.append(f"{source}: sops: SOP '{code}' tidak dikenal (yang ada: {known})")
    seen: dict[tuple[str, str], str] = {}
    for n, person in enumerate(office.people, start=1):
        entry = f"{source}: people[{n}] ({person.name})"
        for channel, external_id in person.identities():
            key = "telegram_id" if channel == "telegram" else "whatsapp"
            if (channel, external_id) in seen:
                other = seen[channel, external_id]
                messages.append(f"{entry}: {key} {external_id} sudah dipakai oleh {other}")
            seen[channel, external_id] = person.name
        for role in person.roles:
            if role not in catalog.roles:
                messages.append(f"{entry}: peran '{role}' tidak dikenal")
    for key, roles in (
        ("report_roles", office.report_roles),
        ("announce_roles", office.announce_roles),
    ):
        for role in roles or []:
            if role not in catalog.roles:
                messages.append(f"{source}: {key}: peran '{role}' tidak dikenal")
    try:
        settings = office.settings()
        calendar_for(Office(0, office.code, office.name, office.timezone, settings.to_json()))
    except (ValidationError, ValueError) as exc:
        messages.append(f"{source}: pengaturan kantor tidak valid: {exc}")
    if messages:
        raise OfficeFileError(messages)
    return office
