"""How a fault in a file that a person wrote is told to them: in Indonesian, naming the file, the
entry and the line, saying what is wrong and what is expected, with no library's words.

Used by the SOP files (``sop.loader``) and the office files (``bot.office.files``):

- ``read_yaml`` reads YAML keeping every key's line (``Lines``); an impossible date
  (``2026-02-30``) stays text for validation to name, a key written twice is a fault, and YAML's
  own parser messages are told in Indonesian (``yaml_problem``).
- ``problems`` turns a pydantic ``ValidationError`` into ``Problem``s, one per fault, each in
  Indonesian (``error_text``: one translation of every pydantic error type). A model validator
  that finds several faults raises ``Faults``, which carries each with its own location.
- ``read_text`` reads a file or says why it cannot (``Unreadable``); ``os_reason`` says why a file
  could not be read or written.
"""

from __future__ import annotations

import errno
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[int | str, ...]

# --- faults found by a model validator ------------------------------------------------------------


class Faults(ValueError):
    """Several faults found at once by a model validator, each with its location inside the
    model (``("steps", 2, "returns_to")``) and its text, which names the field itself."""

    def __init__(self, faults: Iterable[tuple[Loc, str]]) -> None:
        self.faults = tuple(faults)
        super().__init__("\n".join(text for _, text in self.faults))


@dataclass(frozen=True)
class Problem:
    """One fault: where in the data (``loc``), what is wrong, and whether ``loc`` past its entry
    is shown as a field path before the text (pydantic's errors) or the text names the field
    itself (``Faults``)."""

    loc: Loc
    text: str
    show_path: bool = True
    at: Loc | None = None
    """Where the fault's line is, when not at ``loc`` (an unknown key's own line)."""

    @property
    def line_loc(self) -> Loc:
        return self.at if self.at is not None else self.loc


# --- values as people read them -------------------------------------------------------------------


def shown(value: object) -> str:
    """A value from a file as a message quotes it."""
    if value is None:
        return "kosong"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}…'"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "isian kunci: nilai"
    if isinstance(value, list | tuple | set | frozenset):
        return "sebuah daftar"
    return f"'{value}'"


def _or_list(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "'a', 'b' atau 'c'"."""
    return re.sub(r"\bor\b", "atau", expected)


# A hint for each field whose value must match a pattern, so nobody reads a regular expression.
PATTERN_HINTS: Mapping[str, str] = {
    "code": "huruf kecil, angka dan tanda hubung, mulai dengan huruf atau angka, "
    "misalnya kpu-kabupaten-kapuas",
    "id": "huruf kecil, angka dan garis bawah, mulai dengan huruf, paling panjang 24, "
    "misalnya ada_koreksi",
    "key": "huruf kecil, angka dan garis bawah, mulai dengan huruf, misalnya kasubbag_hukum",
}

_DATE_TYPES = frozenset(
    {
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
        "datetime_type",
        "datetime_parsing",
        "datetime_object_invalid",
        "datetime_from_date_parsing",
    }
)
_LIST_TYPES = frozenset(
    {"list_type", "tuple_type", "set_type", "frozen_set_type", "deque_type", "iterable_type"}
)
_MAPPING_TYPES = frozenset(
    {
        "dict_type",
        "mapping_type",
        "model_type",
        "model_attributes_type",
        "dataclass_type",
        "dataclass_exact_type",
        "frozen_dict_type",
        "ordered_dict_type",
        "named_tuple_type",
    }
)
_NUMBER_TYPES = frozenset(
    {
        "float_type",
        "float_parsing",
        "finite_number",
        "decimal_type",
        "decimal_parsing",
        "fraction_type",
        "fraction_parsing",
    }
)
_TIME_TYPES = frozenset({"time_type", "time_parsing", "time_delta_type", "time_delta_parsing"})


def error_text(err: ErrorDetails, allowed: Sequence[str] = ()) -> str:
    """One pydantic error in Indonesian: what is wrong and what is expected. Every error type has
    its words; the English ``msg`` is used only for the project's own messages (a ``ValueError``
    or ``PydanticCustomError`` raised by a validator, written in Indonesian)."""
    kind = err["type"]
    value = err.get("input")
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    field = str(err["loc"][-1]) if err["loc"] else ""
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "assertion_error":
        return str(err["msg"]).removeprefix("Assertion failed, ")
    if kind == "missing":
        return "wajib diisi"
    if kind == "extra_forbidden":
        known = f"; yang dikenal di sini: {', '.join(allowed)}" if allowed else ""
        return f"kunci '{field}' tidak dikenal{known}"
    if kind in {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}:
        return f"harus bilangan bulat (angka saja), bukan {shown(value)}"
    if kind in _NUMBER_TYPES:
        return f"harus angka, bukan {shown(value)}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"harus true atau false (ya atau tidak), bukan {shown(value)}"
    if kind in {"string_type", "string_unicode", "string_not_ascii"}:
        return f"harus teks, bukan {shown(value)}"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        if least == 1:
            return "tidak boleh kosong"
        return f"paling sedikit {least} karakter, bukan {shown(value)}"
    if kind == "string_too_long":
        return f"paling banyak {ctx.get('max_length')} karakter; ini {len(str(value))}"
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(field)
        return f"{shown(value)} tidak sesuai bentuknya" + (f": tulis {hint}" if hint else "")
    if kind == "greater_than":
        return f"harus lebih dari {ctx.get('gt')}, bukan {shown(value)}"
    if kind == "greater_than_equal":
        return f"paling kecil {ctx.get('ge')}, bukan {shown(value)}"
    if kind == "less_than":
        return f"harus kurang dari {ctx.get('lt')}, bukan {shown(value)}"
    if kind == "less_than_equal":
        return f"paling besar {ctx.get('le')}, bukan {shown(value)}"
    if kind == "multiple_of":
        return f"harus kelipatan {ctx.get('multiple_of')}, bukan {shown(value)}"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        if least == 1:
            return "tidak boleh kosong: isi paling sedikit satu"
        return f"paling sedikit {least} isian"
    if kind == "too_long":
        return f"paling banyak {ctx.get('max_length')} isian"
    if kind in _LIST_TYPES:
        return f"harus berupa daftar (baris-baris '- ...' atau [a, b]), bukan {shown(value)}"
    if kind in _MAPPING_TYPES:
        return f"harus berupa isian 'kunci: nilai', bukan {shown(value)}"
    if kind in {"literal_error", "enum"}:
        expected = _or_list(str(ctx.get("expected", "")))
        return f"{shown(value)} tidak dikenal; pilih {expected}"
    if kind in _DATE_TYPES or kind in {"date_past", "date_future", "datetime_past"}:
        return (
            f"tanggal {shown(value)} tidak valid; tulis tanggal yang ada di kalender, "
            "TTTT-BB-HH, misalnya 2026-03-18"
        )
    if kind in _TIME_TYPES:
        return f"waktu {shown(value)} tidak valid"
    if kind == "none_required":
        return f"harus dikosongkan, bukan {shown(value)}"
    if kind in {"url_type", "url_parsing", "url_syntax_violation", "url_scheme", "url_too_long"}:
        return f"tautan {shown(value)} tidak valid; tulis lengkap, misalnya https://jdih.kpu.go.id"
    if kind.startswith(("frozen_", "recursion_", "json_")) or kind in {
        "no_such_attribute",
        "needs_python_object",
        "get_attribute_error",
        "default_factory_not_called",
        "set_item_not_hashable",
        "invalid_key",
    }:
        return f"nilai {shown(value)} tidak dapat dipakai di sini"
    if not kind.isascii() or kind not in _PYDANTIC_TYPES:
        # The project's own PydanticCustomError (e.g. the calendar's): its message is ours.
        return str(err["msg"])
    return f"nilai {shown(value)} tidak valid di sini"


def _pydantic_types() -> frozenset[str]:
    from pydantic_core.core_schema import ErrorType

    return frozenset(get_args(ErrorType))


_PYDANTIC_TYPES = _pydantic_types()


def _unwrap(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class found at ``loc`` inside ``model``, if there is one."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            found = current.model_fields.get(str(part))
            if found is None:
                return None
            current = found.annotation
        elif origin in (list, tuple, set, frozenset) or (
            origin is not None and isinstance(part, int)
        ):
            args = get_args(current)
            current = args[0] if args else Any
        elif origin is dict:
            args = get_args(current)
            current = args[1] if len(args) == 2 else Any
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a file may write at ``loc`` (the mapping holding an unknown key)."""
    found = _model_at(model, loc)
    return list(found.model_fields) if found is not None else []


def problems(
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    known_keys: Mapping[Loc, Sequence[str]] | None = None,
) -> list[Problem]:
    """Every fault of a ``ValidationError``, in Indonesian, each with its location. An unknown
    key's fault lists the keys ``model`` allows there, or ``known_keys`` gives them for a mapping
    the model keeps as free data (an office's ``calendar``)."""
    found: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, Faults):
            found.extend(Problem(loc + sub, text, show_path=False) for sub, text in cause.faults)
            continue
        if err["type"] == "extra_forbidden":
            given = (known_keys or {}).get(loc[:-1])
            if given is not None:
                allowed = list(given)
            else:
                allowed = allowed_keys(model, loc[:-1]) if model is not None else []
            found.append(Problem(loc[:-1], error_text(err, allowed), at=loc))
            continue
        text = error_text(err)
        found.extend(Problem(loc, line) for line in text.splitlines() if line.strip())
    return found


def told(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """A ``ValidationError`` as people read it, one fault a line (``calendar.hours: ...``): for a
    message that has no file to name, such as a change made in chat."""
    lines = []
    for found in problems(exc, model):
        path = path_text(found.loc) if found.show_path else ""
        lines.append(f"{path}: {found.text}" if path else found.text)
    return "\n".join(lines)


def path_text(loc: Loc) -> str:
    """A location inside an entry as the file writes it: ``handin[2].label`` (counted from 1)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part == "[key]":
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def render(source: str, line: int | None, parts: Sequence[str], text: str) -> str:
    """``berkas.yaml, baris 12: langkah 3: kegiatan: wajib diisi``."""
    head = f"{source}, baris {line}" if line is not None else source
    return ": ".join([head, *[p for p in parts if p], text])


# --- YAML with its lines --------------------------------------------------------------------------


class Lines:
    """Where each key and entry of a YAML document is: ``line(("steps", 2, "waktu"))`` is the line
    (from 1) of the deepest part of that location the file has; ``None`` without a document."""

    def __init__(self, root: Node | None = None) -> None:
        self.root = root

    def line(self, loc: Loc) -> int | None:
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    if isinstance(key, ScalarNode) and key.value == str(part):
                        line, node = key.start_mark.line + 1, value
                        break
                else:
                    return line
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


class YamlFault(Exception):
    """A file that is not readable YAML: the line and what is wrong, in Indonesian."""

    def __init__(self, line: int | None, text: str) -> None:
        super().__init__(text)
        self.line = line
        self.text = text


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, except that an impossible date stays text (validation names it, instead
    of a crash) and a key written twice is refused (YAML would silently keep the last)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if key.value in seen:
                    raise _DuplicateKey(key.value, key.start_mark.line + 1, seen[key.value])
                seen[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _timestamp(loader: _Loader, node: Node) -> object:
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

# YAML's parser problems, told in Indonesian: (part of the problem's text, what to say).
_YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("found character '\\t'", "karakter tab tidak boleh dipakai; pakai spasi untuk indentasi"),
    (
        "mapping values are not allowed",
        "tanda titik dua di tempat yang tidak boleh; teks yang memuat ': ' harus diberi tanda "
        "kutip, dan indentasinya harus rata",
    ),
    (
        "could not find expected ':'",
        "tanda titik dua ':' sesudah kunci tidak ditemukan (teks panjang yang berlanjut ke baris "
        "berikutnya diawali '>-' atau diberi tanda kutip)",
    ),
    ("expected ',' or ']'", "daftar yang dibuka dengan '[' tidak ditutup dengan ']'"),
    ("expected ',' or '}'", "isian yang dibuka dengan '{' tidak ditutup dengan '}'"),
    ("did not find expected '-' indicator", "indentasi daftar tidak rata"),
    ("did not find expected key", "indentasi tidak rata atau tanda '-' di tempat yang salah"),
    ("expected <block end>", "indentasi tidak rata"),
    (
        "expected the node content, but found '-'",
        "tanda '-' di dalam '[ ... ]': di dalam kurung siku isinya dipisah koma; atau hapus "
        "'[' dan tulis satu baris '- ...' per isian",
    ),
    ("expected the node content", "nilai yang diharapkan tidak ada di sini"),
    ("did not find expected node content", "nilai yang diharapkan tidak ada di sini"),
    (
        "found unexpected end of stream",
        "berkas berakhir sebelum teks selesai: tanda kutip tidak ditutup",
    ),
    ("found unknown escape character", "garis miring terbalik '\\' yang tidak dikenal dalam teks"),
    ("found undefined alias", "alias '*' tanpa jangkar '&' yang sama"),
    ("found character '@'", "'@' tidak boleh mengawali nilai; beri tanda kutip"),
    ("found character '`'", "'`' tidak boleh mengawali nilai; beri tanda kutip"),
    ("found character '%'", "'%' tidak boleh mengawali nilai; beri tanda kutip"),
    ("but found another document", "berkas berisi lebih dari satu dokumen ('---')"),
    ("expected a single document", "berkas berisi lebih dari satu dokumen ('---')"),
)


def yaml_problem(exc: yaml.YAMLError) -> YamlFault:
    """A YAML error of the parser, told in Indonesian with its line."""
    if isinstance(exc, _DuplicateKey):
        return YamlFault(
            exc.line, f"kunci '{exc.key}' ditulis dua kali (pertama di baris {exc.first})"
        )
    problem = str(getattr(exc, "problem", None) or exc)
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    for needle, text in _YAML_PROBLEMS:
        if needle in problem:
            if needle.startswith("expected ',' or") and context_mark is not None:
                # Where it was opened is where to look; the parser noticed only at the end.
                opened = context_mark.line + 1
                return YamlFault(opened, f"{text} (dibuka di baris {opened})")
            return YamlFault(line, text)
    return YamlFault(
        line,
        "penulisan YAML tidak dapat dibaca di sini; periksa indentasi, tanda titik dua dan "
        "tanda kutip",
    )


def read_yaml(text: str) -> tuple[Any, Lines]:
    """The data of a YAML text and where its keys are; ``YamlFault`` when it is not YAML."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise yaml_problem(exc) from None
    finally:
        loader.dispose()
    return data, Lines(node)


# --- files ----------------------------------------------------------------------------------------

_OS_REASONS: Mapping[int, str] = {
    errno.ENOENT: "tidak ditemukan",
    errno.EACCES: "tidak ada izin untuk membukanya",
    errno.EPERM: "tidak ada izin untuk membukanya",
    errno.EISDIR: "itu sebuah folder, bukan berkas",
    errno.ENOTDIR: "salah satu bagian jalurnya bukan folder",
    errno.ENOSPC: "ruang penyimpanan penuh",
    errno.EROFS: "penyimpanannya hanya dapat dibaca",
    errno.EEXIST: "sudah ada",
    errno.ENAMETOOLONG: "namanya terlalu panjang",
}


def os_reason(exc: OSError) -> str:
    """Why a file could not be read or written, in Indonesian (``tidak ditemukan``)."""
    reason = _OS_REASONS.get(exc.errno or -1)
    if reason is not None:
        return reason
    name = errno.errorcode.get(exc.errno or -1)
    return f"galat sistem {name}" if name else "galat sistem"


class Unreadable(Exception):
    """A file that cannot be read; ``reason`` says why, in Indonesian."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_text(path: Path) -> str:
    """A file's text (UTF-8); ``Unreadable`` with the reason when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Unreadable("isinya bukan teks UTF-8") from None
    except OSError as exc:
        raise Unreadable(os_reason(exc)) from None
