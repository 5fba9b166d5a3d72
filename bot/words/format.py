"""How the bot writes dates, times, durations, names and labels: one place for all of it, so the
chat, the command line, the reports, the exports and the archive say them the same way.

- A date: ``20 Nov 2026`` (``Jumat, 20 Nov 2026`` with its day); a long date in a document:
  ``20 November 2026``.
- A time: on the office's wall clock with its zone, ``Jumat, 20 Nov 2026 07.35 WIB``.
- A duration: days, hours and minutes, each shown when it is not zero (``1 hari 1 jam 35 menit``,
  ``2 jam``, ``35 menit``). The SOP forms write a baku mutu as minutes, hours or days; the bot
  writes every duration, stated or measured, in that one shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.chat.messages import clip
from bot.office.zones import INDONESIAN_ZONES, resolve_zone
from sop.durations import Duration
from sop.models import HandinKind, Kind, SopDefinition, Step
from storage.processes import ProcessRow

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")

# --- labels ---------------------------------------------------------------------------------------

KIND_LABEL: Mapping[Kind, str] = MappingProxyType(
    {Kind.TUGAS: "Tugas", Kind.KOREKSI: "Koreksi", Kind.PERSETUJUAN: "Persetujuan"}
)
STATUS_LABEL: Mapping[str, str] = MappingProxyType(
    {"running": "Berjalan", "finished": "Selesai", "cancelled": "Dibatalkan"}
)
HANDIN_WORD: Mapping[HandinKind, str] = MappingProxyType(
    {
        HandinKind.ATTACHMENT: "berkas",
        HandinKind.LINK: "tautan",
        HandinKind.NOMOR: "nomor",
        HandinKind.TEXT: "teks",
    }
)
NO_WAKTU = "— (SOP tidak menetapkan waktu)"
# What a channel reports of a message it carried (WhatsApp's statuses).
DELIVERY_LABEL: Mapping[str, str] = MappingProxyType(
    {
        "sent": "terkirim",
        "delivered": "diterima",
        "read": "dibaca",
        "failed": "gagal terkirim",
        "window": "menunggu dibuka (di luar 24 jam)",
    }
)


def kind_label(step: Step) -> str:
    """A step's kind as the form names it; a step with choices of its own is a task."""
    return "Tugas" if step.choices is not None else KIND_LABEL[step.kind]


def status_label(status: str) -> str:
    return STATUS_LABEL.get(status, status)


def sop_title(defn: SopDefinition) -> str:
    return f"{defn.header.singkat or defn.header.nama} (No. {defn.header.nomor})"


def process_title(process: ProcessRow) -> str:
    return f"Proses #{process.id} — {process.title}"


# --- text -----------------------------------------------------------------------------------------


def short(text: str, limit: int = 90) -> str:
    """``text`` on one line, cut to ``limit`` characters at a word boundary with "…" when cut."""
    return clip(" ".join(text.split()), limit)


_FIRST_MARKER = re.compile(r"^[a-h][.)]\s+")
_INNER_MARKER = re.compile(r"\s*[;,]?\s+[a-h][.)]\s+")


def short_kegiatan(text: str, limit: int = 60) -> str:
    """A kegiatan as one sentence: the forms enumerate sub-activities ("a. Menghimpun ... b.
    Membuat ..."), so the first marker goes and the rest are joined with semicolons; cut like
    ``short``."""
    flat = " ".join(text.split())
    flat = _FIRST_MARKER.sub("", flat)
    flat = _INNER_MARKER.sub("; ", flat).replace(";;", ";").replace("; dan;", "; dan")
    return short(flat[:1].upper() + flat[1:], limit)


QUOTE_LIMIT = 700  # characters of a person's words a message quotes


def quote(note: str, limit: int = QUOTE_LIMIT, *, more: str = "") -> str:
    """A person's words in quotation marks, as Indonesian writes them. Longer than ``limit``,
    they are cut at a word boundary with "…" and followed by ``more``: where the whole text is
    (the timeline, the archive), so any note fits any message."""
    whole = note.strip()
    body = clip(whole, limit)
    pointer = f" {more}" if more and body != whole else ""
    return f"\u201c{body}\u201d{pointer}"


def percent(value: float | None) -> str:
    """``80%``, or ``—`` when there is nothing to divide."""
    return "—" if value is None else f"{round(value * 100)}%"


# --- dates and times ------------------------------------------------------------------------------


class HasZone(Protocol):
    """A working calendar, or anything else that knows its office's zone."""

    @property
    def zone(self) -> ZoneInfo: ...


ZoneLike = HasZone | ZoneInfo | str


def _zone_of(where: ZoneLike) -> ZoneInfo:
    if isinstance(where, ZoneInfo):
        return where
    if isinstance(where, str):
        return resolve_zone(where)
    return where.zone


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: times for people need a zone")
    return t


def zone_abbreviation(zone: ZoneInfo, at: datetime) -> str:
    """The zone name people read at instant ``at``: WIB/WITA/WIT for Indonesian zones; otherwise
    the zone's own abbreviation (``CEST``, ``UTC``) or, where the tz database has only a number,
    the offset (``UTC+5.30``)."""
    indonesian = INDONESIAN_ZONES.get(zone.key)
    if indonesian is not None:
        return indonesian
    local = _aware(at).astimezone(zone)
    name = local.tzname() or ""
    if name.isalpha():
        return name
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(int(abs(offset).total_seconds()) // 60, 60)
    return f"UTC{sign}{hours}" + (f".{rest:02d}" if rest else "")


def format_date(d: date, *, weekday: bool = False) -> str:
    """``20 Nov 2026``, or ``Jumat, 20 Nov 2026`` with ``weekday=True``."""
    text = f"{d.day} {MONTHS_SHORT[d.month - 1]} {d.year}"
    return f"{DAYS[d.weekday()]}, {text}" if weekday else text


def format_long_date(d: date) -> str:
    """``20 November 2026``, as a form or a letter writes a date."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def format_dates(start: date, end: date) -> str:
    """A period: ``1 Nov 2026 – 30 Nov 2026``, or one date."""
    if start == end:
        return format_date(start)
    return f"{format_date(start)} – {format_date(end)}"


def format_local(t: datetime, where: ZoneLike) -> str:
    """``Jumat, 20 Nov 2026 07.35 WIB``: ``t`` on the wall clock of a calendar or zone."""
    zone = _zone_of(where)
    local = _aware(t).astimezone(zone)
    return f"{format_date(local.date(), weekday=True)} {format_time_local(t, zone)}"


def format_date_local(t: datetime, where: ZoneLike) -> str:
    """``20 Nov 2026``: the date of ``t`` in the calendar's or zone's wall clock."""
    return format_date(_aware(t).astimezone(_zone_of(where)).date())


def format_time_local(t: datetime, where: ZoneLike) -> str:
    """``07.35 WIB`` (seconds are cut, not rounded)."""
    zone = _zone_of(where)
    local = _aware(t).astimezone(zone)
    return f"{local:%H.%M} {zone_abbreviation(zone, t)}"


# --- durations ------------------------------------------------------------------------------------


def duration_words(days: int, minutes: int) -> str:
    """The one way a duration is written: ``1 hari 1 jam 35 menit``, ``2 jam``, ``0 menit``."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} hari")
    if hours:
        parts.append(f"{hours} jam")
    if rest or not parts:
        parts.append(f"{rest} menit")
    return " ".join(parts)


def waktu_text(waktu: Duration | None) -> str:
    """A baku mutu as the SOP states it: ``1 jam``, ``2 hari``; ``—`` for none."""
    return duration_words(waktu.days, waktu.minutes) if waktu is not None else "—"


def normal_time_text(defn: SopDefinition) -> str:
    """An SOP's normal time (the sum of its baku mutu), the steps with no time counted apart."""
    text = waktu_text(defn.normal_time)
    if defn.steps_without_time:
        text += f" + {defn.steps_without_time} langkah tanpa waktu"
    return text


def _split_days(total_minutes: int, day_length: timedelta | None) -> tuple[int, int]:
    day_minutes = 0 if day_length is None else int(day_length // timedelta(minutes=1))
    return divmod(total_minutes, day_minutes) if day_minutes > 0 else (0, total_minutes)


def format_working_duration(td: timedelta, day_length: timedelta | None = None) -> str:
    """A span of working time, rounded to the nearest minute, in ``duration_words``.

    Days are shown only when ``day_length`` is given: one ``hari`` is then that much working time,
    matching the ``hari`` of baku mutu; pass ``cal.nominal_day_length`` (8 jam 30 menit for the
    standard hours, 24 jam for a 24/7 office). A positive span under half a minute is ``kurang
    dari 1 menit``.
    """
    if td < timedelta(0):
        raise ValueError(f"duration cannot be negative: {td}")
    minutes = int((td + timedelta(seconds=30)) // timedelta(minutes=1))
    if minutes == 0 and td > timedelta(0):
        return "kurang dari 1 menit"
    return duration_words(*_split_days(minutes, day_length))


def format_lateness(td: timedelta, day_length: timedelta | None = None) -> str:
    """The number part of ``terlambat ...``: like ``format_working_duration`` but rounded up to a
    whole minute, so any lateness shows at least ``1 menit``."""
    if td < timedelta(0):
        raise ValueError(f"lateness cannot be negative: {td}")
    minutes = -(-td // timedelta(minutes=1))
    return duration_words(*_split_days(minutes, day_length))


def normal_time_words(total: Duration, steps_without_time: int) -> str:
    """``normal_time_text`` from its parts, for figures that carry the sum and the count rather
    than the definition (a report's SOP)."""
    text = waktu_text(total)
    if steps_without_time:
        text += f" + {steps_without_time} langkah tanpa waktu"
    return text
