"""Baku mutu durations as the SOP forms write them: ``10 menit``, ``1 jam``, ``2 hari``.

``hari`` is a working day; ``menit`` and ``jam`` are minutes of working time. A duration keeps days
and minutes apart because a working day is not a fixed number of minutes: how long it really takes
depends on the office calendar (``bot.office.calendar``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_TERM = re.compile(r"(\d+)\s*(menit|jam|hari)", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+\s*(?:menit|jam|hari)\s*)+$", re.IGNORECASE)


class DurationError(ValueError):
    """A waktu text that is not a duration."""


@dataclass(frozen=True, order=True)
class Duration:
    """A span of working time: whole working days plus working minutes."""

    days: int = 0
    minutes: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.minutes < 0:
            raise DurationError("durasi tidak boleh negatif")

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``"10 menit"``, ``"1 Jam"``, ``"2 hari"`` or a sum (``"1 hari 95 menit"``)."""
        if not _WHOLE.match(text):
            raise DurationError(
                f"waktu {text!r} tidak dikenali; tulis misalnya '10 menit', '1 jam' atau '2 hari'"
            )
        days = minutes = 0
        for amount, unit in _TERM.findall(text):
            value = int(amount)
            match unit.lower():
                case "hari":
                    days += value
                case "jam":
                    minutes += value * 60
                case _:
                    minutes += value
        if days == 0 and minutes == 0:
            raise DurationError(f"waktu {text!r} bernilai nol")
        return cls(days=days, minutes=minutes)

    @classmethod
    def coerce(cls, value: object) -> Duration:
        """A duration from a file: text (``parse``), a ``Duration``, or the stored form
        ``{"days": 1, "minutes": 30}``; ``DurationError`` in Indonesian otherwise."""
        if isinstance(value, Duration):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, Mapping) and set(value) <= {"days", "minutes"}:
            days, minutes = value.get("days", 0), value.get("minutes", 0)
            if isinstance(days, int) and isinstance(minutes, int):
                return cls(days=days, minutes=minutes)
        shown = str(value) if isinstance(value, int | float) else "isian lain"
        raise DurationError(
            f"waktu harus ditulis seperti '10 menit', '1 jam' atau '2 hari', bukan {shown}"
        )

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.days + other.days, self.minutes + other.minutes)

    def __mul__(self, factor: int) -> Duration:
        return Duration(self.days * factor, self.minutes * factor)

    @property
    def is_zero(self) -> bool:
        return self.days == 0 and self.minutes == 0

    def __str__(self) -> str:
        """The serialised form, in the SOP forms' own style: days, then minutes (``1 hari 95
        menit``, ``120 menit``); ``parse`` reads it back. For people the bot writes a duration with
        ``bot.words.format.waktu_text``."""
        parts = []
        if self.days:
            parts.append(f"{self.days} hari")
        if self.minutes or not parts:
            parts.append(f"{self.minutes} menit")
        return " ".join(parts)


ZERO = Duration()
