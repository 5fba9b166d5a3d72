"""What the bot says to an office's admin: invitations, people and roles, stand-ins (Plh), the
office calendar, and linking the office group; and the refusals of what only an admin may do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.chat.messages import OutMessage, Rich
from bot.words.format import format_date, format_dates
from bot.words.steps import UNDO_HINT

# What a person's id is called on each channel (told to strangers, shown to admins).
CHANNEL_ID_NAME = {"telegram": "ID Telegram", "whatsapp": "nomor WhatsApp"}

ADMIN_ONLY = "Perintah ini hanya untuk admin kantor atau admin bot."
GROUP_ADMIN_ONLY = (
    "Hanya admin bot atau admin kantor yang dapat menghubungkan grup ini dengan kantor."
)
UNKNOWN_OFFICE = "Kantor ini tidak ditemukan."
PERSON_OF_OTHER_OFFICES = (
    "Orang ini juga terdaftar di kantor yang bukan Anda kelola, jadi hanya admin bot yang dapat "
    "mengubah status aktifnya."
)
GROUP_OF_OTHER_OFFICE = (
    "Grup ini sudah terhubung dengan kantor yang bukan Anda kelola. Minta admin bot atau admin "
    "kantor itu melepasnya lebih dulu."
)
NO_OFFICES = "Belum ada kantor. Buat dulu dengan: sopbot office import BERKAS.yaml"
NO_OFFICES_FOR_GROUP = "Belum ada kantor yang terdaftar di bot."
CHOOSE_OFFICE = "Pilih kantor:"
BACK = "⬅️ Kembali"

INVITE_TITLE = "Buat undangan"
PEOPLE_TITLE = "Pengguna"
STANDIN_TITLE = "Tetapkan Plh"
CALENDAR_TITLE = "Kalender kerja"

# --- invitations ----------------------------------------------------------------------------------

INVITE_USED = (
    "Tautan undangan ini sudah dipakai atau kedaluwarsa. Minta tautan baru kepada admin kantor."
)
INVITE_MADE = "Tautan undangan dibuat."


def invite_roles(office_name: str) -> Rich:
    return Rich().b(f"Undangan untuk {office_name}").nl().add("Pilih peran orang yang diundang:")


def invitation(
    role: str, office_name: str, expires: date, links: Sequence[tuple[str, str]]
) -> OutMessage:
    """The links to forward: one per channel the bot runs (label, URL)."""
    text = Rich().b(f"Undangan {role} — {office_name}").nl()
    text.add(
        "Teruskan tautan ini kepada orangnya. Siapa pun yang membukanya terdaftar dengan peran ini, "
    )
    text.add(f"sekali pakai, berlaku sampai {format_date(expires)}:").nl()
    for label, url in links:
        if len(links) > 1:
            text.add(f"{label}: ")
        text.link(url, url).nl()
    return OutMessage(text)


def invite_accepted(name: str, role: str, office_name: str) -> OutMessage:
    text = Rich().b(f"Selamat datang, {name}!").nl()
    text.add(f"Anda terdaftar sebagai {role} di {office_name}.").nl(2)
    text.add("Setiap langkah SOP yang menjadi tugas Anda akan datang ke sini dengan tombolnya. ")
    text.add(
        "Kirim /tugas untuk melihat langkah yang menunggu, atau /bantuan untuk daftar perintah."
    )
    return OutMessage(text)


# --- people and roles -----------------------------------------------------------------------------


def people_head(office_name: str, count: int) -> Rich:
    return Rich().b(f"Pengguna {office_name} ({count})").nl()


def person_line(name: str, roles: Sequence[str], *, active: bool) -> str:
    state = "" if active else " [nonaktif]"
    return f"• {name}{state}: {', '.join(roles)}"


NOBODY_YET = "Belum ada. Undang orang dengan /undang."


def identity_line(ids: Sequence[tuple[str, str]], *, active: bool) -> str:
    """How a person is reached, e.g. ``ID Telegram: 1201 · aktif``."""
    known = " · ".join(f"{CHANNEL_ID_NAME.get(c, c)}: {e}" for c, e in ids) or "belum terhubung"
    return f"{known} · {'aktif' if active else 'nonaktif'}"


def standin_line(role: str, start: date | None, end: date | None) -> str:
    period = format_dates(start, end) if start and end else ""
    return f"• Plh {role} {period}".rstrip()


def remove_role_label(role: str) -> str:
    return f"➖ Cabut {role}"


ADD_ROLE = "➕ Tambah peran"
DEACTIVATE = "Nonaktifkan"
REACTIVATE = "Aktifkan lagi"
BACK_TO_PEOPLE = "⬅️ Daftar pengguna"
CHOOSE_ROLE_TO_ADD = "Pilih peran yang ditambahkan:"
ACTIVATED = "Diaktifkan."
DEACTIVATED = "Dinonaktifkan."


def role_changed(role: str, *, holds: bool) -> str:
    return f"Peran {role} {'ditambahkan' if holds else 'dicabut'}."


# --- stand-ins (Plh) ------------------------------------------------------------------------------


def standin_roles(office_name: str) -> Rich:
    return Rich().b(f"Plh — {office_name}").nl().add("Peran yang digantikan:")


def standin_who(role: str) -> str:
    return f"Siapa Plh {role}? (orang yang belum terdaftar: undang dulu dengan /undang)"


STANDIN_DATES = (
    "Tulis rentang tanggal Plh, misalnya 23-11-2026 s.d. 27-11-2026 (tanggal di zona waktu kantor)."
)
STANDIN_DATES_HINT = "23-11-2026 s.d. 27-11-2026"


def standin_dates_prompt() -> OutMessage:
    prompt = Rich().add(STANDIN_DATES).nl().i(UNDO_HINT)
    return OutMessage(prompt, reply_prompt=STANDIN_DATES_HINT)


STANDIN_DATES_ANSWER = "Tulis rentang tanggalnya."
STANDIN_DATES_WHAT = "Pengaturan kantor · tanggal Plh"
BAD_RANGE = "Rentang tanggal tidak dikenali. Tulis misalnya 23-11-2026 s.d. 27-11-2026."
STANDIN_FOR_WHOM = "Plh ini menggantikan siapa?"
STANDIN_FOR_ALL = "Menggantikan semua pemegang peran"
STANDIN_SET = "Plh ditetapkan."


def standin_for(name: str) -> str:
    return f"Menggantikan {name}"


def _period(start: date, end: date) -> str:
    return f"{format_date(start)} s.d. {format_date(end)}"


def standin_recorded(who: str, role: str, replaced: str | None, start: date, end: date) -> str:
    what = f" menggantikan {replaced}" if replaced else ""
    return f"Tercatat: {who} menjadi Plh {role}{what}, {_period(start, end)}."


def standin_told(role: str, office_name: str, replaced: str | None, start: date, end: date) -> str:
    what = f" menggantikan {replaced}" if replaced else ""
    return (
        f"Anda ditetapkan sebagai Plh {role} di {office_name}{what}, {_period(start, end)}. "
        "Langkah SOP peran ini yang sedang terbuka dikirim kepada Anda saat masa itu mulai, dan "
        "yang datang selama masa itu juga."
    )


# --- the office calendar --------------------------------------------------------------------------


def calendar_head(office_name: str, zone: str) -> Rich:
    return Rich().b(f"Kalender kerja — {office_name} ({zone})").nl()


ALWAYS_OPEN = "Setiap jam adalah jam kerja (24/7)."
DAY_OFF = "libur"
COMING_HOLIDAYS = "Libur nasional 60 hari ke depan:"
ADD_CLOSED = "➕ Hari libur kantor"
ADD_WORKING = "➕ Hari kerja tambahan"
REMOVE_DATE = "➖ Hapus tanggal"
WHICH_DATE = "Tanggal mana yang dihapus?"
DATE_HINT = "28-11-2026"
DATE_ANSWER = "Tulis tanggalnya."
BAD_DATE = "Tanggal tidak dikenali. Tulis misalnya 28-11-2026, atau 24-12-2026 s.d. 26-12-2026."
RANGE_TOO_LONG = "Rentang paling panjang satu tahun. Tulis lagi tanggalnya."


def calendar_fields(
    hours: str | None, national: bool, closed: Sequence[str], working: Sequence[str]
) -> Rich:
    text = Rich()
    if hours is None:
        text.add(ALWAYS_OPEN).nl()
    else:
        text.field("Jam kerja", hours)
        text.field("Libur nasional dan cuti bersama", "diikuti" if national else "tidak diikuti")
    text.field("Hari libur kantor tambahan", ", ".join(closed) or "—")
    text.field("Hari kerja tambahan", ", ".join(working) or "—")
    return text


def kind_of_date(closing: bool) -> str:
    return "hari libur kantor" if closing else "hari kerja tambahan"


def date_prompt(closing: bool) -> OutMessage:
    prompt = Rich().add(
        f"Tulis tanggal {kind_of_date(closing)}, misalnya 28-11-2026, atau rentang "
        "24-12-2026 s.d. 26-12-2026."
    )
    prompt.nl().i(UNDO_HINT)
    return OutMessage(prompt, reply_prompt=DATE_HINT)


def date_what(closing: bool) -> str:
    return f"Pengaturan kantor · tanggal {kind_of_date(closing)}"


def remove_date_label(day: str) -> str:
    return f"Hapus {day}"


def date_removed(day: date) -> str:
    return f"{format_date(day)} dihapus dari kalender."


def calendar_unchanged(reason: str) -> str:
    return f"Kalender tidak diubah: {reason}"


def calendar_changed(start: date, end: date, closing: bool, office_name: str) -> str:
    listed = format_date(start) if start == end else _period(start, end)
    return (
        f"Tercatat: {listed} menjadi {kind_of_date(closing)} di {office_name}. Batas waktu langkah "
        "yang dibuka sesudah ini memakainya."
    )


# --- the office group -----------------------------------------------------------------------------

ADDED_TO_GROUP = (
    "Terima kasih telah menambahkan bot SOP. Admin bot: kirim /grup di grup ini untuk "
    "menghubungkannya sebagai grup kantor; tautan hasil unggahan akan diumumkan di sini."
)
GROUP_LINKED_ANSWER = "Grup dihubungkan."


def link_group_menu(admin_name: str) -> Rich:
    return (
        Rich()
        .b("Hubungkan grup ini")
        .nl()
        .add(f"{admin_name}, pilih kantor yang memakai grup ini:")
    )


def group_linked(office_name: str, released: int) -> OutMessage:
    text = Rich().b("Grup terhubung").nl().add(f"Grup ini sekarang grup kantor {office_name}. ")
    text.add("Tautan hasil unggahan SOP akan diumumkan di sini.")
    if released:
        text.nl().add(f"{released} pengumuman yang tertunda segera dikirim.")
    return OutMessage(text)
