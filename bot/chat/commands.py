"""The commands people type: one table. A channel's command menu (Telegram's), ``/bantuan`` and the
router's dispatch are all made from it, so they cannot drift apart.

Each row names the command, its help line, where it works (a private chat or a group), who may
use it, and its handler as ``flow.method`` (the router resolves it when it starts, so a typo stops
the bot at once). "Who" is what the help and the menus show; the services the handlers call
decide themselves, so no front end can skip a check.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Where(Enum):
    PRIVATE = "private"
    GROUP = "group"


class Who(Enum):
    ANYONE = "anyone"  # strangers too (an invitation is opened with /start)
    MEMBER = "member"  # people registered in an office
    ADMIN = "admin"


@dataclass(frozen=True)
class CommandSpec:
    name: str
    help: str
    where: Where
    who: Who
    handler: str
    usage: str = ""  # what follows the name, e.g. "N"
    # Offered in the channel's command menu (a menu shows the same to everyone in a chat, so the
    # admins' own commands are only in their /bantuan).
    in_menu: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


P, G = Where.PRIVATE, Where.GROUP
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "start", "Mulai, atau buka undangan", P, Who.ANYONE, "welcome.start", in_menu=False
    ),
    CommandSpec("tugas", "Langkah yang menunggu Anda", P, Who.MEMBER, "steps.tasks"),
    CommandSpec("baru", "Mulai proses SOP baru", P, Who.MEMBER, "start.new"),
    CommandSpec(
        "proses", "Proses yang sedang berjalan di kantor Anda", P, Who.MEMBER, "processes.running"
    ),
    CommandSpec("riwayat", "Riwayat proses nomor N", P, Who.MEMBER, "processes.history", usage="N"),
    CommandSpec("sop", "Daftar SOP kantor Anda dan diagram alirnya", P, Who.MEMBER, "reports.sops"),
    CommandSpec(
        "laporan",
        "Laporan waktu kerja SOP per periode (admin, Sekretaris, Kabag)",
        P,
        Who.MEMBER,
        "reports.report",
    ),
    CommandSpec(
        "batal",
        "Batalkan proses nomor N (pemulai atau admin), atau tanpa N: urungkan isian yang sedang diminta",
        P,
        Who.MEMBER,
        "processes.cancel",
        usage="N",
    ),
    CommandSpec("bantuan", "Daftar perintah", P, Who.MEMBER, "welcome.help", aliases=("help",)),
    CommandSpec("menu", "Menu utama dengan tombol", P, Who.MEMBER, "welcome.menu", in_menu=False),
    CommandSpec(
        "undang",
        "Buat tautan undangan untuk satu peran di satu kantor",
        P,
        Who.ADMIN,
        "admin.invite",
        in_menu=False,
    ),
    CommandSpec(
        "pengguna",
        "Daftar orang dan perannya; tambah/cabut peran, nonaktifkan",
        P,
        Who.ADMIN,
        "admin.people",
        in_menu=False,
    ),
    CommandSpec(
        "plh",
        "Tetapkan Plh (pengganti) sebuah peran untuk rentang tanggal",
        P,
        Who.ADMIN,
        "admin.standin",
        in_menu=False,
    ),
    CommandSpec(
        "kalender",
        "Hari libur kantor dan hari kerja tambahan",
        P,
        Who.ADMIN,
        "admin.calendar",
        in_menu=False,
    ),
    CommandSpec(
        "grup", "Hubungkan grup ini dengan kantor (admin)", G, Who.ADMIN, "admin.link_group"
    ),
)


def find(name: str) -> CommandSpec | None:
    return next((c for c in COMMANDS if name in c.names), None)


def parse_typed(text: str) -> tuple[str, str] | None:
    """A command typed on a channel without a command menu (WhatsApp): "tugas", "/tugas",
    "Riwayat 12". The first word must name a command; the rest are its arguments."""
    word, _, rest = text.strip().partition(" ")
    name = word.removeprefix("/").lower()
    if not name or find(name) is None:
        return None
    return name, rest.strip()


def menu(where: Where) -> list[tuple[str, str]]:
    """(name, description) of the commands a channel's menu offers in private chats or groups."""
    return [(c.name, c.help) for c in COMMANDS if c.where is where and c.in_menu]
