"""``sopbot``'s argument parser, speaking Indonesian.

argparse writes its own words (usage, headings, the help of ``-h``, and every error: a missing
argument, an unknown choice, an unknown option) through gettext's ``_`` and ``ngettext``, looked
up in the ``argparse`` module when the words are needed. ``Parser`` swaps them for this module's
table (``MESSAGES``, argparse's own message ids in Indonesian) while it is built, parses, writes
help or refuses, and puts them back afterwards, so other parsers in the same process are not
touched. Every message id of argparse has a translation; ``tests/test_cli.py`` reads argparse's
source to keep it so when Python changes them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

MESSAGES: Mapping[str, str] = {
    # Usage, headings and the help option.
    "usage: ": "Penggunaan: ",
    "positional arguments": "argumen",
    "options": "opsi",
    "subcommands": "perintah",
    "show this help message and exit": "tampilkan bantuan ini lalu keluar",
    # What a person typing a command can get wrong.
    "%(prog)s: error: %(message)s\n": "%(prog)s: galat: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argumen %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "argumen ini wajib diisi: %s",
    "one of the arguments %s is required": "salah satu argumen ini wajib diisi: %s",
    "unrecognized arguments: %s": "argumen tidak dikenal: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "pilihan %(value)r tidak dikenal; pilih salah satu: %(choices)s"
    ),
    "invalid %(type)s value: %(value)r": "nilai %(value)r tidak valid",
    "expected one argument": "perlu satu nilai sesudahnya",
    "expected at most one argument": "paling banyak satu nilai",
    "expected at least one argument": "perlu paling sedikit satu nilai",
    "expected %s argument": "perlu %s nilai",
    "expected %s arguments": "perlu %s nilai",
    "ambiguous option: %(option)s could match %(matches)s": (
        "opsi %(option)s kurang jelas: bisa berarti %(matches)s"
    ),
    "not allowed with argument %s": "tidak boleh dipakai bersama argumen %s",
    "ignored explicit argument %r": "nilai %r tidak dipakai oleh opsi ini",
    "unexpected option string: %s": "opsi tidak terduga: %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "perintah %(parser_name)r tidak dikenal; pilih salah satu: %(choices)s"
    ),
    "can't open '%(filename)s': %(error)s": "tidak dapat membuka '%(filename)s': %(error)s",
    'argument "-" with mode %r': 'argumen "-" dengan mode %r',
    # Mistakes in how a parser is built: a programmer's, but said in the same language.
    ".__call__() not defined": ".__call__() belum ditulis",
    "conflicting subparser: %s": "subperintah ganda: %s",
    "conflicting subparser alias: %s": "alias subperintah ganda: %s",
    "cannot merge actions - two groups are named %r": (
        "tindakan tidak dapat digabung: dua kelompok bernama %r"
    ),
    "'required' is an invalid argument for positionals": (
        "'required' tidak berlaku untuk argumen posisi"
    ),
    "invalid option string %(option)r: must start with a character %(prefix_chars)r": (
        "opsi %(option)r tidak valid: harus diawali karakter %(prefix_chars)r"
    ),
    "dest= is required for options like %r": "dest= wajib untuk opsi seperti %r",
    "invalid conflict_resolution value: %r": "nilai conflict_resolution %r tidak valid",
    "conflicting option string: %s": "opsi ganda: %s",
    "conflicting option strings: %s": "opsi ganda: %s",
    "mutually exclusive arguments must be optional": (
        "argumen yang saling meniadakan harus berupa opsi"
    ),
    "cannot have multiple subparser arguments": "subperintah hanya boleh satu kelompok",
    "%r is not callable": "%r tidak dapat dipanggil",
    "show program's version number and exit": "tampilkan versi program lalu keluar",
}


def _translate(message: str | None) -> str | None:
    if message is None:
        return None
    return MESSAGES.get(message, message)


def _ntranslate(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return MESSAGES.get(chosen, chosen)


@contextmanager
def indonesian() -> Iterator[None]:
    """argparse speaks Indonesian inside this block (re-entrant; the process's other parsers are
    themselves again after it)."""
    saved = (getattr(argparse, "_"), getattr(argparse, "ngettext"))  # noqa: B009
    setattr(argparse, "_", _translate)  # noqa: B010 - argparse looks its words up by this name
    setattr(argparse, "ngettext", _ntranslate)  # noqa: B010
    try:
        yield
    finally:
        setattr(argparse, "_", saved[0])  # noqa: B010
        setattr(argparse, "ngettext", saved[1])  # noqa: B010


F = TypeVar("F", bound=Callable[..., Any])


def _spoken(method: F) -> F:
    @wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        with indonesian():
            return method(*args, **kwargs)

    return run  # type: ignore[return-value]


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose every word is Indonesian (its subparsers are ``Parser`` too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with indonesian():
            super().__init__(*args, **kwargs)


# Every method of argparse that writes words: building (headings, the help option), parsing (the
# errors), help and usage, and refusing.
for _name in (
    "add_subparsers",
    "add_argument",
    "parse_args",
    "parse_known_args",
    "parse_intermixed_args",
    "parse_known_intermixed_args",
    "format_usage",
    "format_help",
    "error",
):
    setattr(Parser, _name, _spoken(getattr(argparse.ArgumentParser, _name)))
