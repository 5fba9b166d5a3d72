"""What the bot says in conversation, outside the step messages themselves: the welcome and the
help, strangers, the lists of /tugas and /proses, starting a process, cancelling, and the answers
to what it did not ask for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.chat.commands import CommandSpec, Where, Who
from bot.chat.messages import Button, OutMessage, Rich
from bot.office.calendar import WorkCalendar
from bot.words.admin import CHANNEL_ID_NAME
from bot.words.format import DELIVERY_LABEL, format_local, short, sop_title
from bot.words.steps import NOT_REGISTERED, UNDO_HINT
from sop.engine import MAX_TITLE
from sop.models import SopDefinition
from storage.offices import Office
from storage.processes import ProcessRow, StepRun

# --- help ---------------------------------------------------------------------------------------

HELP_TAIL = (
    "Setiap langkah Anda datang sebagai satu pesan lengkap dengan tombolnya: tekan Selesai, "
    "Setuju/Tidak Setuju, atau Ada koreksi/Tidak ada koreksi."
)


def help_text(
    commands: Iterable[CommandSpec], *, admin: bool, slash: bool = True, groups: bool = True
) -> str:
    """``/bantuan``: the commands a person may use, an admin's own in a section of theirs. On a
    channel without a command menu they are typed as words ("tugas"), so shown without the "/";
    on one without office groups, the group's commands are left out."""
    lead = "/" if slash else ""

    def line(c: CommandSpec) -> str:
        usage = f" {c.usage}" if c.usage else ""
        return f"{lead}{c.name}{usage} — {c.help}"

    listed = [c for c in commands if groups or c.where is not Where.GROUP]
    head = "Perintah:" if slash else "Ketik salah satu perintah ini (atau buka Menu):"
    text = head + "\n" + "\n".join(line(c) for c in listed if c.who is Who.MEMBER)
    text += "\n\n" + HELP_TAIL
    if admin:
        text += "\n\nPerintah admin:\n" + "\n".join(line(c) for c in listed if c.who is Who.ADMIN)
    return text


def unknown_command(name: str) -> str:
    return f"Perintah /{name} tidak dikenal. Kirim /bantuan untuk daftar perintah."


NO_GROUPS = (
    "Grup kantor dihubungkan lewat Telegram. Di WhatsApp, pengumuman dikirim langsung kepada "
    "orang kantor, dan pengunggahnya mendapat tombol untuk membagikannya ke grup WhatsApp kantor."
)


def group_command_in_private(name: str) -> str:
    return (
        f"Kirim /{name} di dalam grup kantor (tambahkan bot ke grup itu dulu), bukan di obrolan "
        "pribadi."
    )


# --- who is writing -----------------------------------------------------------------------------


def stranger(name: str, channel: str, external_id: str) -> OutMessage:
    return OutMessage(
        Rich()
        .add(f"Maaf, {name}, Anda belum terdaftar di bot SOP ini.")
        .nl(2)
        .add(f"Berikan {CHANNEL_ID_NAME.get(channel, 'ID')} Anda kepada admin kantor: ")
        .code(external_id)
        .nl()
        .add("Setelah admin mendaftarkan Anda, kirim /start lagi.")
    )


def stranger_again(channel: str, external_id: str) -> str:
    """A stranger who writes again soon after being told."""
    return (
        f"Anda belum terdaftar. Berikan {CHANNEL_ID_NAME.get(channel, 'ID')} Anda "
        f"({external_id}) kepada admin kantor."
    )


def not_registered_press(channel: str, external_id: str) -> str:
    return f"{NOT_REGISTERED} {CHANNEL_ID_NAME.get(channel, 'ID')} Anda: {external_id}."


def welcome(name: str, roles: Sequence[str], *, admin: bool, waiting: int) -> OutMessage:
    text = Rich().b(f"Selamat datang, {name}.").nl()
    if roles:
        text.add("Peran Anda:").nl()
        for r in roles:
            text.add(f"• {r}").nl()
    elif admin:
        text.add("Anda admin bot ini.").nl()
    if waiting:
        text.nl().add(f"Langkah yang menunggu Anda: {waiting}. Lihat /tugas.").nl()
    else:
        text.nl().add("Saat ini tidak ada langkah yang menunggu Anda.").nl()
    text.add("Kirim /bantuan untuk daftar perintah.")
    return OutMessage(text)


def role_line(role_label: str, office_name: str, *, standin: bool) -> str:
    return f"{role_label}{' (Plh)' if standin else ''} — {office_name}"


MAIN_MENU = "Menu utama: pilih yang ingin Anda lakukan."
MENU_BUTTON = "Menu"

NOTHING_ASKED_FILE = (
    "Berkas diterima, tetapi saya sedang tidak meminta berkas. Bila langkah Anda memerlukan "
    "berkas, tekan dulu tombol Selesai pada pesan langkahnya."
)


def nothing_asked(*, typed: bool) -> str:
    """A text the bot did not ask for; where commands are typed as words (WhatsApp), say so."""
    if typed:
        return (
            "Saya sedang tidak menunggu pesan dari Anda. Gunakan tombol pada pesan langkah, "
            "ketik tugas untuk melihat langkah Anda, atau menu untuk pilihan lainnya."
        )
    return (
        "Saya sedang tidak menunggu pesan dari Anda. Gunakan tombol pada pesan langkah, atau "
        "/tugas untuk melihat langkah Anda. /bantuan untuk daftar perintah."
    )


MENU_FOR_OTHERS = "Tombol ini untuk orang lain."
NEXT_PAGE = "Berikutnya ›"
MENU_EXPIRED = "Menu ini sudah kedaluwarsa; kirim lagi perintahnya."
PRESS_FAILED = "Maaf, terjadi gangguan. Coba tekan lagi sebentar lagi."

# --- /tugas ---------------------------------------------------------------------------------------

NO_TASKS = "Tidak ada langkah yang menunggu Anda. 👍"
TASKS_SHOWN = 20


def task_line(
    process: ProcessRow, run: StepRun, kegiatan: str, calendar: WorkCalendar, now: datetime
) -> Rich:
    text = Rich().add(f"• #{process.id} {short(process.title, 40)} — langkah {run.step}: ")
    text.add(short(kegiatan, 60))
    if run.due_at is not None:
        text.add(f" (batas {format_local(run.due_at, calendar)})")
    if run.due_at is not None and run.due_at < now:
        text.b(" TERLAMBAT")
    return text.nl()


def tasks_head(count: int) -> Rich:
    return Rich().b(f"Langkah yang menunggu Anda ({count}):").nl()


def tasks_tail(more: int) -> Rich:
    text = Rich()
    if more > 0:
        text.i(f"… dan {more} lainnya.").nl()
    return text.add("Tekan tombol untuk membuka pesan langkahnya lagi.")


def open_task_label(process: ProcessRow, run: StepRun) -> str:
    return f"Buka #{process.id} langkah {run.step}: {process.title}"


STEP_RESENT = "Pesan langkah dikirim ulang."
STEP_SENT = "Pesan langkah dikirim."
NOT_YOUR_STEP_NOW = "Langkah ini bukan tugas Anda lagi."
STEP_FOR_OFFICE = "Langkah ini hanya untuk orang di kantor prosesnya."
FILE_FOR_OFFICE = "Berkas ini hanya untuk orang di kantor proses ini."
FILE_SENT = "Berkas dikirim."


def sent_privately(answer: str) -> str:
    """A press in a group answered in the presser's private chat: say where to look."""
    return f"{answer} Lihat chat pribadi Anda dengan bot."


VIEWED_AS_BOSS = "Dilihat sebagai atasan: tombolnya hanya untuk pemegang peran."


def step_done_already(process_id: int) -> str:
    return f"Langkah ini sudah selesai. Lihat /riwayat {process_id}."


def file_caption(label: str, process_id: int) -> str:
    return f"{label} — proses #{process_id}"


# --- /baru ---------------------------------------------------------------------------------------

CANNOT_START = (
    "Anda belum memegang peran yang dapat memulai SOP. Hubungi admin kantor bila ini keliru."
)
CANCEL_LABEL = "Batal"
START_LABEL = "▶️ Mulai proses"
NEW_HEAD = "Mulai proses baru"
NOTHING_PREPARED = "Tidak ada proses yang sedang disiapkan. Mulai lagi dengan /baru."
REQUIRED_DOCS_MISSING = "Dokumen wajib belum lengkap."
SEND_AS_FILE = "Kirim berkas sebagai dokumen atau foto."
SUPPORTING_DOC = "Dokumen pendukung"
TITLE_FIRST = "Tulis dulu judul prosesnya (teks), dokumen dikirim sesudahnya."
TITLE_HINT = "Judul proses…"
BAD_TITLE = f"Judul harus berisi 1 sampai {MAX_TITLE} karakter. Tulis lagi judulnya."


def sop_choice_label(defn: SopDefinition, office: Office, *, several_offices: bool) -> str:
    label = defn.header.singkat or defn.header.nama
    return f"{label} · {office.code}" if several_offices else label


def choose_sop() -> Rich:
    return Rich().b(NEW_HEAD).nl().add("Pilih SOP yang akan dijalankan:")


def sop_chosen(defn: SopDefinition) -> OutMessage:
    return OutMessage(Rich().b(NEW_HEAD).nl().add(f"SOP: {sop_title(defn)}"))


def chosen_answer(defn: SopDefinition) -> str:
    return f"Dipilih: {defn.header.singkat or defn.code}"


def title_what(defn: SopDefinition) -> str:
    return f"judul proses {defn.header.singkat or defn.code}"


def title_prompt(defn: SopDefinition) -> OutMessage:
    prompt = Rich().b(f"Proses baru: {defn.header.singkat or defn.code}").nl()
    prompt.add(
        'Tulis judul singkat proses ini, misalnya "Unggah Keputusan KPU Nomor 5 Tahun 2026".'
    )
    prompt.nl().i(UNDO_HINT)
    return OutMessage(prompt, reply_prompt=TITLE_HINT)


def start_docs(
    title: str, given: Sequence[str], problem: str | None, buttons: list[list[Button]]
) -> OutMessage:
    text = Rich().b(f"Proses baru: {title}").nl()
    if problem:
        text.b("⚠️ ").add(problem).nl(2)
    if given:
        text.add("Berkas diterima: ").add(", ".join(given)).nl()
    text.add("Lampirkan dokumen pendukung bila ada (kirim berkasnya), lalu tekan Mulai proses.")
    return OutMessage(text, buttons)


def started(process_id: int, title: str, first_role: str) -> OutMessage:
    done = Rich().b(f"Proses #{process_id} dimulai: {title}").nl()
    done.add(f"Langkah 1 dikirim ke {first_role}. Anda akan dikabari setiap kemajuan dan akhirnya.")
    return OutMessage(done)


def started_answer(process_id: int) -> str:
    return f"Proses #{process_id} dimulai."


UNDONE = "Diurungkan. Tidak ada yang berubah."
UNDONE_ANSWER = "Diurungkan."

# --- /proses, /riwayat, /batal --------------------------------------------------------------------


def running_head(office: Office, count: int) -> Rich:
    return Rich().b(f"{office.name}: {count} proses berjalan").nl()


def holder_name(name: str, delivery: str | None) -> str:
    """A step's holder, with how far their step message got where the channel says
    ("Staf Ani, pesan dibaca")."""
    return f"{name}, pesan {DELIVERY_LABEL.get(delivery, delivery)}" if delivery else name


def running_line(
    process: ProcessRow,
    index: int,
    total: int,
    kegiatan: str,
    role: str,
    holders: Sequence[str],
    started_at: str,
    *,
    late: bool,
    escalated: bool,
) -> Rich:
    names = "; ".join(holders) or "belum ada pemegang peran"
    text = Rich().add(f"• #{process.id} {short(process.title, 50)}").nl()
    text.add(f"   Langkah {index}/{total}: {short(kegiatan, 50)}").nl()
    text.add(f"   {role} ({names}), sejak {started_at}")
    if late:
        text.b(" · TERLAMBAT")
    if escalated:
        text.b(" · DIESKALASI")
    return text.nl()


NO_OFFICE = "Anda belum terdaftar di kantor mana pun."


def ask_number(command: str) -> str:
    return f"Tulis nomor prosesnya, misalnya /{command} 12."


def process_not_found(number: str) -> str:
    """A process that does not exist, or is another office's: the same words for both."""
    return f"Proses #{number} tidak ditemukan."


NOTHING_TO_UNDO = (
    "Tidak ada yang sedang diminta. Untuk membatalkan proses, kirim /batal N (N = nomor proses)."
)


def undone(labels: Sequence[str]) -> str:
    """/batal without a number: every question the bot was waiting on is dropped."""
    if len(labels) == 1:
        return f"Baik, diurungkan: {labels[0]}. Tidak ada yang berubah."
    listed = "\n".join(f"• {label}" for label in labels)
    return f"Baik, semua yang sedang diminta diurungkan:\n{listed}\nTidak ada yang berubah."


# --- which question a message answers --------------------------------------------------------

WHICH_PROMPT = (
    "Anda sedang ditanya lebih dari satu hal. Pesan Anda tadi untuk yang mana? "
    "Lain kali, balas (reply) pesan pertanyaannya agar langsung tepat."
)
PROMPT_GONE = (
    "Pertanyaan itu sudah terjawab, diurungkan, atau diganti yang lebih baru; pesan Anda tidak "
    "dipakai."
)
ANSWER_TAKEN = "Pesan Anda dipakai."


def not_waiting_on(process_id: int | None) -> str:
    """A reply to a message about something the bot no longer asks."""
    if process_id is None:
        return (
            "Pertanyaan pada pesan yang Anda balas sudah terjawab atau diurungkan; pesan Anda "
            "tidak dipakai."
        )
    return (
        f"Saya tidak sedang menunggu jawaban Anda untuk proses #{process_id}; pesan Anda tidak "
        "dipakai. Gunakan tombol pada pesan langkahnya, atau /tugas."
    )


CANCEL_REASON_AS_TEXT = "Tulis alasan pembatalan berupa teks."


def cancelled(process_id: object) -> str:
    return f"Proses #{process_id} dibatalkan."
