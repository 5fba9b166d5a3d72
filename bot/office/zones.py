"""The zones Indonesian offices keep time in, by the names people use for them (WIB, WITA, WIT)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

INDONESIAN_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "Asia/Jakarta": "WIB",
        "Asia/Pontianak": "WIB",
        "Asia/Makassar": "WITA",
        "Asia/Ujung_Pandang": "WITA",
        "Asia/Jayapura": "WIT",
    }
)
_ZONE_ALIASES: Mapping[str, str] = MappingProxyType(
    {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
)


def resolve_zone(name: str) -> ZoneInfo:
    """A ``ZoneInfo`` from an IANA name (``Asia/Makassar``) or ``WIB``/``WITA``/``WIT``.

    Raises ``ValueError`` with an Indonesian message for an unknown zone.
    """
    key = _ZONE_ALIASES.get(name.strip().upper(), name.strip())
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"zona waktu {name!r} tidak dikenal; pakai misalnya Asia/Jakarta (WIB), "
            "Asia/Makassar (WITA) atau Asia/Jayapura (WIT)"
        ) from None
