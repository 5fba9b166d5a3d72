"""Reading SOP files and the roles file, with messages naming the file, the step and the fault."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sop.faults import (
    Lines,
    Loc,
    Problem,
    Unreadable,
    YamlFault,
    path_text,
    problems,
    read_text,
    read_yaml,
    render,
)
from sop.models import RoleBook, SopDefinition, Step, graph_faults, role_faults

BUILTIN_DIR = Path(__file__).parent / "definitions"
ROLES_FILE = "roles.yaml"


class SopFileError(Exception):
    """One or more faults in SOP or roles files; each message names its file, the entry and the
    line where known."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)


def _read_yaml(path: Path) -> tuple[Any, Lines]:
    try:
        return read_yaml(read_text(path))
    except Unreadable as exc:
        raise SopFileError([f"{path.name}: {exc.reason}"]) from None
    except YamlFault as exc:
        raise SopFileError(
            [render(path.name, exc.line, [], f"YAML tidak valid: {exc.text}")]
        ) from None


def _step_label(raw: Any, index: int) -> str:
    try:
        return f"langkah {int(raw['steps'][index]['number'])}"
    except (KeyError, IndexError, TypeError, ValueError):
        return f"langkah ke-{index + 1}"


def _entry(raw: Any, loc: Loc) -> tuple[list[str], Loc]:
    """The entry a location is in, as people name it (``langkah 3``, ``peran humas``), and the
    rest of the location inside it."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        return [_step_label(raw, loc[1])], loc[2:]
    if len(loc) >= 2 and loc[0] == "roles":
        return [f"peran {loc[1]}"], loc[2:]
    return [], loc


def _message(found: Problem, raw: Any, lines: Lines, source: str) -> str:
    parts, rest = _entry(raw, found.loc)
    if found.show_path:
        parts.append(path_text(rest))
    return render(source, lines.line(found.line_loc), parts, found.text)


def _read_roles(path: Path) -> tuple[Mapping[str, Any], Lines]:
    raw, lines = _read_yaml(path)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("roles"), Mapping):
        raise SopFileError(
            [render(path.name, lines.line(()), [], "harus berisi 'roles:' dengan peran-perannya")]
        )
    return raw["roles"], lines


def load_roles(paths: Sequence[Path]) -> RoleBook:
    """Read the built-in roles file and any office roles files into one book; an office file may
    add roles but not redefine one."""
    merged: dict[str, Any] = {}
    where: dict[str, tuple[str, Lines]] = {}
    faults: list[str] = []
    for path in paths:
        try:
            found, lines = _read_roles(path)
        except SopFileError as exc:
            faults.extend(exc.messages)
            continue
        for key in sorted(set(found) & set(merged), key=lambda k: lines.line(("roles", k)) or 0):
            faults.append(
                render(
                    path.name,
                    lines.line(("roles", key)),
                    [],
                    f"peran {key} sudah dinyatakan di {where[key][0]}; sebuah kantor boleh "
                    "menambah peran, bukan mengubah peran yang ada",
                )
            )
        name = f"{ROLES_FILE} bawaan" if path.parent == BUILTIN_DIR else path.name
        for key in found:
            where.setdefault(key, (name, lines))
        merged.update({k: v for k, v in found.items() if k not in merged})
    if faults:
        raise SopFileError(faults)
    try:
        return RoleBook.model_validate({"roles": merged})
    except ValidationError as exc:
        messages = []
        for found_problem in problems(exc, RoleBook):
            key = str(found_problem.loc[1]) if len(found_problem.loc) > 1 else ""
            source, lines = where.get(key, (paths[-1].name, Lines()))
            messages.append(_message(found_problem, {"roles": merged}, lines, source))
        raise SopFileError(messages) from exc


def _checks_of_parts(raw: Mapping[str, Any], roles: RoleBook | None) -> list[Problem]:
    """The checks of a whole SOP that can run on a file whose fields are not all valid, so every
    fault of a file is told at once: the role keys it names, and the steps as a graph when every
    step is valid on its own."""

    def listed(key: str) -> list[Any]:
        value = raw.get(key)
        return value if isinstance(value, list) else []

    faults = []
    steps_raw = listed("steps")
    if roles is not None:
        lanes, starters = listed("lanes"), listed("starters")
        actors = [s.get("pelaksana") if isinstance(s, Mapping) else None for s in steps_raw]
        faults += role_faults(lanes, starters, actors, roles)
    try:
        steps = tuple(Step.model_validate(s) for s in steps_raw)
    except ValidationError:
        steps = ()
    if steps:
        # Not validated: only the steps are read by the graph's checks.
        parts = SopDefinition.model_construct(steps=steps)  # type: ignore[call-arg]
        faults += graph_faults(parts)
    return [Problem(loc, text, show_path=False) for loc, text in faults]


def parse_definition(
    raw: Any, roles: RoleBook | None, source: str, lines: Lines | None = None
) -> SopDefinition:
    """A definition from a file's data (``lines`` says where its keys are); every fault of the
    file at once in ``SopFileError``."""
    lines = lines or Lines()
    if not isinstance(raw, Mapping):
        raise SopFileError(
            [
                render(
                    source,
                    lines.line(()),
                    [],
                    "berkas SOP harus berisi kunci dan nilainya (code:, header:, lanes:, "
                    "starters:, steps:)",
                )
            ]
        )
    try:
        return SopDefinition.model_validate(raw, context={"roles": roles})
    except ValidationError as exc:
        found = problems(exc, SopDefinition)
        if not any(err["loc"] == () for err in exc.errors()):
            # A field was refused, so the checks of the whole SOP did not run: run what can.
            found += _checks_of_parts(raw, roles)
        # In the order of the file's lines, as the admin reads it.
        found.sort(key=lambda f: lines.line(f.line_loc) or 0)
        raise SopFileError([_message(f, raw, lines, source) for f in found]) from exc


def _load(path: Path, roles: RoleBook) -> tuple[SopDefinition, Lines]:
    raw, lines = _read_yaml(path)
    return parse_definition(raw, roles, path.name, lines), lines


def load_definition(path: Path, roles: RoleBook) -> SopDefinition:
    return _load(path, roles)[0]


def sop_files(folder: Path) -> list[Path]:
    """The SOP files of a folder: every ``*.yaml`` but the roles file."""
    return sorted(p for p in folder.glob("*.yaml") if p.name != ROLES_FILE)


@dataclass
class Catalog:
    """Every SOP the bot knows, by code, with the roles they name."""

    roles: RoleBook
    definitions: dict[str, SopDefinition] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)

    def get(self, code: str) -> SopDefinition | None:
        return self.definitions.get(code)

    def all(self) -> list[SopDefinition]:
        return sorted(self.definitions.values(), key=lambda d: d.code)


def load_catalog(extra_dirs: Sequence[Path] = (), *, builtin: Path | None = BUILTIN_DIR) -> Catalog:
    """Load the built-in SOPs and those in ``extra_dirs``; every fault in every file is reported.

    An extra directory may carry its own ``roles.yaml`` adding roles (not redefining built-in ones).
    """
    dirs = ([builtin] if builtin else []) + list(extra_dirs)
    faults = [f"{d}: folder SOP tidak ditemukan" for d in dirs if not d.is_dir()]
    role_files = [d / ROLES_FILE for d in dirs if (d / ROLES_FILE).is_file()]
    if not role_files:
        raise SopFileError(
            [*faults, f"{ROLES_FILE} tidak ditemukan di {', '.join(map(str, dirs))}"]
        )
    try:
        roles = load_roles(role_files)
    except SopFileError as exc:
        raise SopFileError([*faults, *exc.messages]) from exc
    catalog = Catalog(roles=roles)
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sop_files(d):
            try:
                defn, lines = _load(path, roles)
            except SopFileError as exc:
                faults.extend(exc.messages)
                continue
            if defn.code in catalog.definitions:
                other = catalog.sources[defn.code].name
                faults.append(
                    render(
                        path.name,
                        lines.line(("code",)),
                        [],
                        f"kode SOP '{defn.code}' sudah dipakai oleh {other}",
                    )
                )
                continue
            catalog.definitions[defn.code] = defn
            catalog.sources[defn.code] = path
    if faults:
        raise SopFileError(faults)
    return catalog


def definition_from_json(content: str, source: str = "versi tersimpan") -> SopDefinition:
    """A definition as a process stored it (``SopDefinition.canonical_json``)."""
    try:
        raw = json.loads(content)
    except json.JSONDecodeError as exc:
        raise SopFileError([f"{source}: JSON tidak valid ({exc.msg})"]) from exc
    return parse_definition(raw, None, source)
