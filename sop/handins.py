"""What an actor hands in to complete a step, and the one place it is checked.

A hand-in is checked before the step completes: a link must be an http(s) URL, a nomor must be in
the agenda format, text must not be empty, an attachment must be a file. Problems come back as
Indonesian sentences the actor reads, and the step stays open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sop.models import HandinKind, HandinSpec

MAX_TEXT = 3000
MAX_URL = 2048

# Agenda numbers of Indonesian official letters: a running number first, the year last, and the
# classification and unit codes between, e.g. 12/HK.03-ND/15/2026 or 7/PP.01-ND/6203/2026.
NOMOR_PATTERN = re.compile(
    r"^(?P<seq>\d{1,5})(?:/[A-Za-z0-9][A-Za-z0-9.\-]*)+/(?P<year>(?:19|20)\d{2})$"
)


@dataclass(frozen=True)
class Handin:
    """A value handed in for one of a step's hand-in specs.

    ``value`` is the URL, the nomor, the text, or, for an attachment, the channel's reference to
    the file (which the engine treats as opaque).
    """

    kind: HandinKind
    label: str
    value: str
    file_name: str | None = None
    mime_type: str | None = None

    def matches(self, spec: HandinSpec) -> bool:
        return self.kind == spec.kind and self.label == spec.label


@dataclass(frozen=True)
class AgendaNumber:
    seq: int
    year: int
    text: str


def parse_nomor(text: str) -> AgendaNumber | None:
    match = NOMOR_PATTERN.match(text.strip())
    if match is None:
        return None
    return AgendaNumber(seq=int(match["seq"]), year=int(match["year"]), text=text.strip())


def problem(handin: Handin) -> str | None:
    """Why a hand-in is refused, as a sentence for its sender; None when it is acceptable."""
    value = handin.value.strip()
    match handin.kind:
        case HandinKind.LINK:
            return _link_problem(value)
        case HandinKind.NOMOR:
            if parse_nomor(value) is None:
                return (
                    "Nomor tidak sesuai format agenda. Tulis nomor urut, kode klasifikasi dan "
                    "tahun, misalnya 12/HK.03-ND/15/2026."
                )
            return None
        case HandinKind.TEXT:
            if not value:
                return "Teks tidak boleh kosong."
            if len(value) > MAX_TEXT:
                return f"Teks terlalu panjang (paling banyak {MAX_TEXT} karakter)."
            return None
        case HandinKind.ATTACHMENT:
            return None if value else "Kirim berkas (dokumen atau foto), bukan teks."


def _link_problem(value: str) -> str | None:
    sample = "Kirim tautan lengkap yang diawali https://, misalnya https://jdih.kpu.go.id/..."
    if not value or len(value) > MAX_URL or any(ch.isspace() for ch in value):
        return f"Itu bukan tautan. {sample}"
    try:
        parts = urlsplit(value)
    except ValueError:
        return f"Tautan tidak dapat dibaca. {sample}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"Tautan harus diawali http:// atau https://. {sample}"
    host = parts.hostname or ""
    if "." not in host and host != "localhost":
        return f"Alamat situs pada tautan tidak lengkap. {sample}"
    return None


def normalized(handin: Handin) -> Handin:
    """The hand-in as it is stored: surrounding whitespace removed."""
    return Handin(
        kind=handin.kind,
        label=handin.label,
        value=handin.value.strip(),
        file_name=handin.file_name,
        mime_type=handin.mime_type,
    )
