"""SOP definitions as validated data.

An SOP file (``sop/definitions/*.yaml``) holds the form's header, the roles (lanes) that act in it,
which roles may start it, and its steps. Roles are declared once in ``roles.yaml`` beside the SOP
files and referred to by key. Validation rejects a broken file with messages that name the file,
the step and the fault; see ``sop.loader`` for how files are read.

Field names follow the SOP form where the form has a word for them (kegiatan, pelaksana,
kelengkapan, waktu, output) and plain English for the mechanics (kind, returns_to, handin, ...).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sop.durations import Duration, DurationError
from sop.faults import Faults, Loc

MAX_CHOICES = 3
"""WhatsApp interactive messages carry at most three reply buttons; Telegram keeps the same rule."""
MAX_CHOICE_LABEL = 20
"""WhatsApp's limit on a reply button's title."""


class Kind(StrEnum):
    """What a step asks of its actor, and so which buttons it shows."""

    TUGAS = "tugas"  # a task: Selesai
    KOREKSI = "koreksi"  # a review: Ada koreksi / Tidak ada koreksi
    PERSETUJUAN = "persetujuan"  # an approval: Setuju / Tidak Setuju


class HandinKind(StrEnum):
    """What an actor must hand in to complete a step."""

    ATTACHMENT = "attachment"  # a document or photo
    LINK = "link"  # an http(s) URL
    NOMOR = "nomor"  # an agenda number, e.g. 12/HK.03-ND/15/2026
    TEXT = "text"  # free text, e.g. a caption


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    """One answer an actor may give on a step: a button.

    ``goto`` is the step the process moves to; ``None`` means the step's successor (or the end of
    the SOP when the step is final). A negative choice always needs a note.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    label: str = Field(min_length=1)
    positive: bool = True
    goto: int | None = None

    @property
    def needs_note(self) -> bool:
        return not self.positive


def default_choices(kind: Kind, returns_to: int | None) -> tuple[Choice, ...]:
    """The buttons of each kind, as sop-reading.md's rules give them."""
    match kind:
        case Kind.TUGAS:
            return (Choice(id="selesai", label="Selesai"),)
        case Kind.KOREKSI:
            return (
                Choice(id="ada_koreksi", label="Ada koreksi", positive=False, goto=returns_to),
                Choice(id="tidak_ada_koreksi", label="Tidak ada koreksi"),
            )
        case Kind.PERSETUJUAN:
            return (
                Choice(id="setuju", label="Setuju"),
                Choice(id="tidak_setuju", label="Tidak Setuju", positive=False, goto=returns_to),
            )


class HandinSpec(_Frozen):
    """Something the actor must (or may) hand in when completing a step."""

    kind: HandinKind
    label: str = Field(min_length=1)
    optional: bool = False


class ReminderOverride(_Frozen):
    """Per-step reminder timing; unset fields fall back to the office's settings."""

    interval: Duration | None = None
    escalate_after: Duration | None = None

    @field_validator("interval", "escalate_after", mode="before")
    @classmethod
    def _parse_duration(cls, value: object) -> object:
        return _duration_or_none(value)


def _duration_or_none(value: object) -> object:
    if value is None:
        return value
    try:
        return Duration.coerce(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from exc


class Step(_Frozen):
    number: int = Field(ge=1)
    kegiatan: str = Field(min_length=1)
    pelaksana: str
    kelengkapan: str | None = None
    waktu: Duration | None = None
    output: str | None = None
    kind: Kind = Kind.TUGAS
    returns_to: int | None = None
    next: int | None = None
    final: bool = False
    choices: tuple[Choice, ...] | None = None
    handin: tuple[HandinSpec, ...] = ()
    announce: bool = False
    reminder: ReminderOverride | None = None

    @field_validator("waktu", mode="before")
    @classmethod
    def _parse_waktu(cls, value: object) -> object:
        return _duration_or_none(value)

    @model_validator(mode="after")
    def _check_kind(self) -> Step:
        if self.choices is None:
            if self.kind is Kind.TUGAS and self.returns_to is not None:
                raise Faults(
                    [
                        (
                            ("returns_to",),
                            "langkah jenis 'tugas' tidak punya jawaban negatif; hapus returns_to",
                        )
                    ]
                )
            if self.kind is not Kind.TUGAS and self.returns_to is None:
                raise Faults(
                    [
                        (
                            ("kind",),
                            f"langkah jenis '{self.kind}' harus menyebut returns_to: langkah "
                            "tujuan bila jawabannya negatif",
                        )
                    ]
                )
        return self

    @property
    def effective_choices(self) -> tuple[Choice, ...]:
        if self.choices is not None:
            return self.choices
        return default_choices(self.kind, self.returns_to)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.effective_choices if c.id == choice_id), None)

    @property
    def required_handins(self) -> tuple[HandinSpec, ...]:
        return tuple(h for h in self.handin if not h.optional)


class Header(_Frozen):
    """The SOP form's header block, as printed on the paper form."""

    instansi: str
    nomor: str
    tanggal_pengesahan: date | None = None
    disahkan_oleh: str
    nama: str
    singkat: str | None = Field(default=None, max_length=48)  # a short name for buttons and lists
    dasar_hukum: tuple[str, ...] = ()
    kualifikasi_pelaksana: tuple[str, ...] = ()
    keterkaitan: tuple[str, ...] = ()
    peralatan: tuple[str, ...] = ()
    peringatan: tuple[str, ...] = ()
    pencatatan: tuple[str, ...] = ()
    evaluasi: str | None = None


class Role(_Frozen):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    short: str | None = None
    atasan: tuple[str, ...] = ()

    @field_validator("atasan", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        return value

    @property
    def display(self) -> str:
        return self.short or self.label


class RoleBook(_Frozen):
    """Every role (jabatan) an SOP may name, with its atasan for escalation."""

    roles: dict[str, Role]

    @model_validator(mode="before")
    @classmethod
    def _keys_into_roles(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("roles"), Mapping):
            roles = {}
            for key, body in data["roles"].items():
                roles[key] = {"key": key, **body} if isinstance(body, Mapping) else body
            return {**data, "roles": roles}
        return data

    @model_validator(mode="after")
    def _check_atasan(self) -> RoleBook:
        faults: list[tuple[Loc, str]] = [
            (("roles", role.key, "atasan"), f"atasan '{boss}' tidak dikenal; {self.known()}")
            for role in self.roles.values()
            for boss in role.atasan
            if boss not in self.roles
        ]
        faults += [
            (("roles", role.key, "atasan"), "rantai atasan berputar kembali ke peran ini")
            for role in self.roles.values()
            if self._has_cycle(role.key)
        ]
        if faults:
            raise Faults(faults)
        return self

    def known(self) -> str:
        """The role keys an SOP or office file may name, for a message about an unknown one."""
        return "peran yang ada: " + ", ".join(sorted(self.roles))

    def _has_cycle(self, start: str) -> bool:
        seen: set[str] = set()
        frontier = list(self.roles[start].atasan)
        while frontier:
            key = frontier.pop()
            if key == start:
                return True
            if key in seen or key not in self.roles:
                continue
            seen.add(key)
            frontier.extend(self.roles[key].atasan)
        return False

    def __contains__(self, key: object) -> bool:
        return key in self.roles

    def label(self, key: str) -> str:
        role = self.roles.get(key)
        return role.display if role else key


class SopDefinition(_Frozen):
    """One SOP: header, lanes, starters and steps. Validated as a whole on construction.

    Pass ``context={"roles": RoleBook}`` to ``model_validate`` to check role keys; a definition read
    back from storage (a version a process started with) is validated without it.
    """

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,47}$")
    header: Header
    lanes: tuple[str, ...] = Field(min_length=1)
    starters: tuple[str, ...] = Field(min_length=1)
    start_handin: tuple[HandinSpec, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_graph(self, info: ValidationInfo) -> SopDefinition:
        faults = list(graph_faults(self))
        roles = info.context.get("roles") if isinstance(info.context, Mapping) else None
        if isinstance(roles, RoleBook):
            faults += role_faults(
                self.lanes, self.starters, [s.pelaksana for s in self.steps], roles
            )
        if faults:
            raise Faults(faults)
        return self

    @cached_property
    def by_number(self) -> dict[int, Step]:
        return {s.number: s for s in self.steps}

    @property
    def first(self) -> Step:
        return min(self.steps, key=lambda s: s.number)

    def step(self, number: int) -> Step:
        return self.by_number[number]

    def successor(self, step: Step) -> int | None:
        """The step a positive answer leads to, or None when the SOP ends there."""
        if step.final:
            return None
        if step.next is not None:
            return step.next
        later = [s.number for s in self.steps if s.number > step.number]
        return min(later) if later else None

    def target(self, step: Step, choice: Choice) -> int | None:
        """Where a choice on a step leads: a step number, or None for the end of the SOP."""
        return choice.goto if choice.goto is not None else self.successor(step)

    def index(self, number: int) -> int:
        """The 1-based position of a step, for "langkah i dari n"."""
        return sorted(self.by_number).index(number) + 1

    @property
    def normal_time(self) -> Duration:
        """The sum of the baku mutu of every step that states one."""
        total = Duration()
        for s in self.steps:
            if s.waktu is not None:
                total = total + s.waktu
        return total

    @property
    def steps_without_time(self) -> int:
        return sum(1 for s in self.steps if s.waktu is None)

    @cached_property
    def version(self) -> str:
        """The hash of the content; a running process keeps the version it began with."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def _at(defn: SopDefinition, number: int, field: str) -> Loc:
    """Where step ``number``'s ``field`` is in the file: its first entry with that number."""
    index = next(i for i, s in enumerate(defn.steps) if s.number == number)
    return ("steps", index, field)


def graph_faults(defn: SopDefinition) -> Iterable[tuple[Loc, str]]:
    """Faults of the steps as a whole: numbers, choices, where answers lead, and whether every
    step is reached and can reach the end. Each names its step's field."""
    numbers = [s.number for s in defn.steps]
    seen: set[int] = set()
    for i, n in enumerate(numbers):
        if n in seen:
            yield ("steps", i, "number"), "nomor langkah ganda"
        seen.add(n)
    if len(seen) != len(numbers):
        return  # the graph is ambiguous until numbers are unique
    for i, s in enumerate(defn.steps):
        choices = s.effective_choices
        if len(choices) > MAX_CHOICES:
            yield ("steps", i, "choices"), f"{len(choices)} pilihan, paling banyak {MAX_CHOICES}"
        ids = [c.id for c in choices]
        if len(set(ids)) != len(ids):
            yield ("steps", i, "choices"), "id pilihan ganda"
        for c in choices:
            if len(c.label) > MAX_CHOICE_LABEL:
                yield (
                    ("steps", i, "choices"),
                    f"label pilihan '{c.label}' lebih dari {MAX_CHOICE_LABEL} karakter",
                )
        if s.returns_to is not None and s.returns_to not in seen:
            yield ("steps", i, "returns_to"), f"returns_to ke langkah {s.returns_to} yang tidak ada"
        if s.next is not None and s.next not in seen:
            yield ("steps", i, "next"), f"next ke langkah {s.next} yang tidak ada"
        for c in choices:
            if c.goto is not None and c.goto not in seen and c.goto != s.returns_to:
                yield (
                    ("steps", i, "choices"),
                    f"pilihan '{c.id}' menuju langkah {c.goto} yang tidak ada",
                )
        if s.final and s.next is not None:
            yield ("steps", i, "next"), "langkah akhir tidak boleh punya next"
        if s.waktu is not None and s.waktu.is_zero:
            yield ("steps", i, "waktu"), "waktu nol"
    yield from _reachability_faults(defn, seen)


def _edges(defn: SopDefinition) -> dict[int, set[int | None]]:
    """Every step's possible next steps; None stands for the end of the SOP."""
    return {
        s.number: {defn.target(s, c) for c in s.effective_choices}
        for s in defn.steps
        if all(c.goto is None or c.goto in defn.by_number for c in s.effective_choices)
        and (s.next is None or s.next in defn.by_number)
    }


def _reachability_faults(defn: SopDefinition, numbers: set[int]) -> Iterable[tuple[Loc, str]]:
    edges = _edges(defn)
    if len(edges) != len(numbers):
        return  # broken references are already reported
    reached = {defn.first.number}
    frontier = [defn.first.number]
    while frontier:
        for nxt in edges[frontier.pop()]:
            if nxt is not None and nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    for n in sorted(numbers - reached):
        yield _at(defn, n, "number"), f"tidak dapat dicapai dari langkah {defn.first.number}"
    # Steps that can finish: fixpoint over "has an edge to the end or to a step that can finish".
    can_finish: set[int] = set()
    changed = True
    while changed:
        changed = False
        for n, targets in edges.items():
            if n not in can_finish and any(t is None or t in can_finish for t in targets):
                can_finish.add(n)
                changed = True
    for n in sorted(numbers - can_finish):
        yield _at(defn, n, "number"), "dari langkah ini SOP tidak pernah sampai ke langkah akhir"


def role_faults(
    lanes: Sequence[object],
    starters: Sequence[object],
    pelaksana: Sequence[object],
    roles: RoleBook,
) -> list[tuple[Loc, str]]:
    """Role keys an SOP names that the roles files do not declare, each with the ones there are;
    and actors outside the lanes. Takes the file's own values, so it also runs on a file whose
    other fields are broken."""
    faults: list[tuple[Loc, str]] = []
    for key, values in (("lanes", lanes), ("starters", starters)):
        for i, role in enumerate(values):
            if isinstance(role, str) and role not in roles:
                faults.append(((key, i), f"peran '{role}' tidak dikenal; {roles.known()}"))
    for i, role in enumerate(pelaksana):
        if not isinstance(role, str):
            continue
        if role not in roles:
            faults.append(
                (("steps", i, "pelaksana"), f"pelaksana '{role}' tidak dikenal; {roles.known()}")
            )
        elif lanes and role not in lanes:  # no lanes is a fault of its own
            faults.append((("steps", i, "pelaksana"), f"pelaksana '{role}' tidak ada di lanes"))
    return faults
