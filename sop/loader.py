"""Reading SOP files and the roles file, with messages naming the file, the step and the fault."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sop.models import RoleBook, SopDefinition

BUILTIN_DIR = Path(__file__).parent / "definitions"
ROLES_FILE = "roles.yaml"


class SopFileError(Exception):
    """One or more faults in SOP or roles files; each message names its file."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SopFileError([f"{path.name}: tidak dapat dibaca ({exc.strerror})"]) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"baris {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SopFileError([f"{path.name}: {where}YAML tidak valid: {problem}"]) from exc


def _step_label(raw: Any, index: int) -> str:
    try:
        return f"langkah {int(raw['steps'][index]['number'])}"
    except (KeyError, IndexError, TypeError, ValueError):
        return f"langkah ke-{index + 1}"


def _describe(exc: ValidationError, raw: Any, source: str) -> list[str]:
    messages: list[str] = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        text = str(err["msg"]).removeprefix("Value error, ")
        where: list[str] = []
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            where.append(_step_label(raw, loc[1]))
            loc = loc[2:]
        path = ".".join(str(p) for p in loc)
        if path:
            where.append(path)
        prefix = ": ".join([source, *where])
        messages.extend(f"{prefix}: {line}" for line in text.splitlines() if line.strip())
    return messages


def _read_roles(path: Path) -> Mapping[str, Any]:
    raw = _read_yaml(path)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("roles"), Mapping):
        raise SopFileError([f"{path.name}: harus berisi pemetaan 'roles'"])
    return raw["roles"]  # type: ignore[no-any-return]


def load_roles(paths: Sequence[Path]) -> RoleBook:
    """Read the built-in roles file and any office roles files into one book; an office file may
    add roles but not redefine one."""
    merged: dict[str, Any] = {}
    faults: list[str] = []
    for path in paths:
        try:
            found = _read_roles(path)
        except SopFileError as exc:
            faults.extend(exc.messages)
            continue
        clash = sorted(set(found) & set(merged))
        if clash:
            faults.append(
                f"{path.name}: peran {', '.join(clash)} sudah dinyatakan di roles.yaml bawaan"
            )
            continue
        merged.update(found)
    if faults:
        raise SopFileError(faults)
    source = paths[-1].name if len(paths) == 1 else ROLES_FILE
    try:
        return RoleBook.model_validate({"roles": merged})
    except ValidationError as exc:
        raise SopFileError(_describe(exc, merged, source)) from exc


def parse_definition(raw: Any, roles: RoleBook | None, source: str) -> SopDefinition:
    if not isinstance(raw, Mapping):
        raise SopFileError([f"{source}: berkas SOP harus berupa pemetaan YAML"])
    try:
        return SopDefinition.model_validate(raw, context={"roles": roles})
    except ValidationError as exc:
        raise SopFileError(_describe(exc, raw, source)) from exc


def load_definition(path: Path, roles: RoleBook) -> SopDefinition:
    return parse_definition(_read_yaml(path), roles, path.name)


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
        for path in sorted(d.glob("*.yaml")):
            if path.name == ROLES_FILE:
                continue
            try:
                defn = load_definition(path, roles)
            except SopFileError as exc:
                faults.extend(exc.messages)
                continue
            if defn.code in catalog.definitions:
                other = catalog.sources[defn.code].name
                faults.append(f"{path.name}: kode SOP '{defn.code}' sudah dipakai oleh {other}")
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
