"""An office file: the office, its SOPs, its settings and its people with their roles, as an admin
writes it (the examples are in ``bot/office/examples``). Read and checked whole, every fault named;
``Admin.import_office`` applies it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
    model_config = ConfigDict(extra="forbid")

    telegram_id: int = Field(gt=0)
    name: str = Field(min_length=1, max_length=120)
    roles: list[str] = Field(default_factory=list)
    admin: bool = False


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
    seen: dict[int, str] = {}
    for n, person in enumerate(office.people, start=1):
        entry = f"{source}: people[{n}] ({person.name})"
        if person.telegram_id in seen:
            other = seen[person.telegram_id]
            messages.append(f"{entry}: telegram_id {person.telegram_id} sudah dipakai oleh {other}")
        seen[person.telegram_id] = person.name
        for role in person.roles:
            if role not in catalog.roles:
                messages.append(f"{entry}: peran '{role}' tidak dikenal")
    for role in office.report_roles or []:
        if role not in catalog.roles:
            messages.append(f"{source}: report_roles: peran '{role}' tidak dikenal")
    try:
        settings = office.settings()
        calendar_for(Office(0, office.code, office.name, office.timezone, settings.to_json()))
    except (ValidationError, ValueError) as exc:
        messages.append(f"{source}: pengaturan kantor tidak valid: {exc}")
    if messages:
        raise OfficeFileError(messages)
    return office
