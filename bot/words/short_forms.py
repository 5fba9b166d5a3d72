"""The short forms of the bot's messages: what a person gets when the channel lets the bot write
first only with a text approved in advance (WhatsApp's templates, outside its 24-hour window).

Each form has a body with numbered places for its values ({{1}}, {{2}} ...; a place never opens
or closes the body, as Meta requires), an example value for each, and its quick replies, whose
labels are fixed in the form and which act like the full message's buttons. The values are one
line each. ``sopbot whatsapp templates`` prints these forms for approval and can submit them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.chat.messages import Button, ShortForm
from bot.office.calendar import WorkCalendar
from bot.words.format import format_local, short, waktu_text
from sop.models import SopDefinition, Step
from storage.processes import ProcessRow, StepRun

VIEW_STEP = "Lihat langkah"
OPEN = "Buka"


@dataclass(frozen=True)
class FormSpec:
    name: str
    description: str  # what the form is for (for the admin submitting it)
    body: str
    examples: tuple[str, ...]
    buttons: tuple[str, ...] = ()


_STEP_BODY = (
    "Bot SOP: {{1}}\n\n"
    "📋 Langkah {{2}}: {{3}}\n"
    "Proses #{{4}} — {{5}}\n"
    "Batas: {{6}}\n\n"
    "Tekan jawaban Anda, atau Lihat langkah untuk pesan lengkap dengan dokumennya."
)
_STEP_EXAMPLES = (
    "langkah baru untuk Anda",
    "5 dari 6",
    "Menerima dan memberikan persetujuan pengunggahan konten media sosial JDIH",
    "12",
    "Konten Hari Pahlawan",
    "Senin, 16 Nov 2026 08.10 WIB",
)

FORMS: Mapping[str, FormSpec] = {
    f.name: f
    for f in (
        FormSpec(
            "langkah_tugas",
            "Langkah (atau pengingatnya) yang dijawab Selesai",
            _STEP_BODY,
            _STEP_EXAMPLES,
            ("Selesai", VIEW_STEP),
        ),
        FormSpec(
            "langkah_persetujuan",
            "Langkah persetujuan (atau pengingatnya)",
            _STEP_BODY,
            _STEP_EXAMPLES,
            ("Setuju", "Tidak Setuju", VIEW_STEP),
        ),
        FormSpec(
            "langkah_koreksi",
            "Langkah koreksi (atau pengingatnya)",
            _STEP_BODY,
            _STEP_EXAMPLES,
            ("Ada koreksi", "Tidak ada koreksi", VIEW_STEP),
        ),
        FormSpec(
            "langkah",
            "Langkah dengan pilihan jawaban lain (atau pengingatnya)",
            _STEP_BODY,
            _STEP_EXAMPLES,
            (VIEW_STEP,),
        ),
        FormSpec(
            "eskalasi",
            "Eskalasi langkah terlambat kepada atasan",
            "Bot SOP: ⚠️ langkah terlambat.\n\n"
            "Proses #{{1}} — {{2}}\n"
            "Langkah {{3}}\n"
            "Pemegang: {{4}}\n"
            "Terlambat {{5}}\n\n"
            "Anda menerima pesan ini sebagai atasan peran tersebut.",
            (
                "12",
                "Konten Hari Pahlawan",
                "5 dari 6 — Menerima dan memberikan persetujuan",
                "Kasubbag Hukum dan SDM (Budi)",
                "1 jam 20 menit",
            ),
            ("Buka langkah",),
        ),
        FormSpec(
            "pengumuman",
            "Pengumuman hasil unggahan kepada orang kantor",
            "Bot SOP: 📢 {{1}}\n\n"
            "Proses #{{2}} — {{3}}\n"
            "Diunggah oleh {{4}}\n"
            "{{5}}\n\n"
            "Pengumuman kantor dari bot SOP.",
            (
                "Konten media sosial telah diunggah",
                "12",
                "Konten Hari Pahlawan",
                "Joko (Pengelola JDIH)",
                "https://www.instagram.com/p/contoh/",
            ),
        ),
        FormSpec(
            "kabar",
            "Ajakan membuka percakapan bila ada pesan lain yang menunggu",
            "Bot SOP: ada {{1}} untuk Anda.\n\nTekan Buka untuk membacanya.",
            ("pesan baru",),
            (OPEN,),
        ),
    )
}
_STEP_FORMS = {
    ("Selesai",): "langkah_tugas",
    ("Setuju", "Tidak Setuju"): "langkah_persetujuan",
    ("Ada koreksi", "Tidak ada koreksi"): "langkah_koreksi",
}
_VALUE = 200  # a value's length: long enough to say it, short enough for the body's 1,024


def _one_line(value: str, limit: int = _VALUE) -> str:
    return short(value, limit) or "—"


def step(
    headline: str,
    defn: SopDefinition,
    step: Step,
    process: ProcessRow,
    run: StepRun,
    calendar: WorkCalendar,
    choices: Sequence[Button],
    view: Button,
) -> ShortForm:
    """A step (or its reminder): its choices as quick replies when the form has them, and a
    button for the whole message."""
    labels = tuple(b.label for b in choices)
    name = _STEP_FORMS.get(labels, "langkah")
    deadline = format_local(run.due_at, calendar) if run.due_at else "tanpa baku mutu"
    if run.due_at is not None and step.waktu is not None:
        deadline += f" ({waktu_text(step.waktu)})"
    params = (
        _one_line(headline),
        f"{defn.index(step.number)} dari {len(defn.steps)}",
        _one_line(step.kegiatan),
        str(process.id),
        _one_line(process.title, 100),
        deadline,
    )
    buttons = (*choices, view) if name != "langkah" else (view,)
    return ShortForm(name, params, tuple(buttons))


NEW_STEP = "langkah baru untuk Anda"


def reminder_headline(n: int, late: str | None) -> str:
    return f"⏰ pengingat ke-{n}, terlambat {late}" if late else f"⏰ pengingat ke-{n}"


def escalation(
    process: ProcessRow, step_text: str, holders: str, late: str, open_button: Button
) -> ShortForm:
    return ShortForm(
        "eskalasi",
        (
            str(process.id),
            _one_line(process.title, 100),
            _one_line(step_text),
            _one_line(holders),
            late or "—",
        ),
        (open_button,),
    )


def announcement(headline: str, process: ProcessRow, by: str, detail: str) -> ShortForm:
    return ShortForm(
        "pengumuman",
        (
            _one_line(headline),
            str(process.id),
            _one_line(process.title, 100),
            _one_line(by),
            _one_line(detail, 500),
        ),
    )


def news(what: str, open_button: Button) -> ShortForm:
    return ShortForm("kabar", (_one_line(what, 60),), (open_button,))
