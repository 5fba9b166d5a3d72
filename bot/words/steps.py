"""What the bot says about processes and steps, in Bahasa Indonesia, as channel-neutral messages.

One place for the wording of the step message, the outcome written into it, the starter's progress
news, the group announcement, the prompts for notes and hand-ins, and the refusals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote as quote_url

from bot.chat.messages import Button, OutMessage, Rich, fit
from bot.office.calendar import WorkCalendar
from bot.words import short_forms
from bot.words.format import (
    HANDIN_WORD,
    NO_WAKTU,
    format_date,
    format_lateness,
    format_local,
    kind_label,
    process_title,
    quote,
    short,
    sop_title,
    waktu_text,
)
from sop.engine import RejectReason
from sop.models import Choice, HandinKind, HandinSpec, RoleBook, SopDefinition, Step
from storage.offices import Office
from storage.processes import ProcessRow, StepRun, StoredHandin

HISTORY_LINES = 8
OUTCOME_MARK = {True: "✅", False: "↩️"}


def when(t: datetime, calendar: WorkCalendar) -> str:
    return format_local(t, calendar)


@dataclass
class StepView:
    """Everything a step message shows."""

    office: Office
    calendar: WorkCalendar
    defn: SopDefinition
    roles: RoleBook
    process: ProcessRow
    run: StepRun
    earlier: Sequence[StepRun] = ()
    handins: Sequence[StoredHandin] = ()
    names: dict[int, str] = field(default_factory=dict)

    @property
    def step(self) -> Step:
        return self.defn.step(self.run.step)

    def name(self, user_id: int | None) -> str:
        return self.names.get(user_id, "—") if user_id is not None else "—"


def step_message(
    view: StepView,
    choice_buttons: Sequence[Button],
    file_buttons: Sequence[Button] = (),
    *,
    banner: Rich | None = None,
) -> OutMessage:
    """The one message a person gets for their step: everything needed to do it, and its buttons."""
    step, defn, cal = view.step, view.defn, view.calendar
    text = Rich()
    if banner is not None:
        text.extend(banner).nl()
    kind = kind_label(step)
    text.b(f"📋 Langkah {defn.index(step.number)} dari {len(defn.steps)} · {kind}").nl()
    text.b(process_title(view.process)).nl()
    text.add(f"SOP {sop_title(defn)}").nl()
    text.add(f"{view.office.name} · {view.roles.label(step.pelaksana)}").nl(2)
    text.field("Kegiatan", f"{step.number}. {step.kegiatan}")
    if step.kelengkapan:
        text.field("Kelengkapan", step.kelengkapan)
    if step.output:
        text.field("Output", step.output)
    text.extend(deadline_line(step, view.run, cal))
    if view.run.return_note:
        back = view.run.returned_from
        text.nl().b(
            f"↩️ Dikembalikan dari langkah {back} oleh {view.name(view.run.return_by)}:"
        ).nl()
        text.i(quote(view.run.return_note, 1000, more=full_text_at(view.process.id))).nl()
    text.extend(_history(view))
    if step.handin:
        wanted = ", ".join(
            f"{h.label} ({HANDIN_WORD[h.kind]}{', opsional' if h.optional else ''})"
            for h in step.handin
        )
        text.nl().field("Yang diserahkan", wanted)
    buttons: list[list[Button]] = []
    if choice_buttons:
        buttons.append(list(choice_buttons))
    buttons.extend([b] for b in file_buttons)
    prompt = (
        f"#{view.process.id} · Langkah {defn.index(step.number)} dari {len(defn.steps)}: "
        "pilih jawaban Anda."
    )
    return OutMessage(text=fit(text), buttons=buttons, prompt=prompt)


def deadline_line(step: Step, run: StepRun, calendar: WorkCalendar) -> Rich:
    text = Rich()
    if step.waktu is None or run.due_at is None:
        return text.field("Baku mutu", NO_WAKTU)
    return text.field("Baku mutu", f"{waktu_text(step.waktu)} · batas {when(run.due_at, calendar)}")


def _history(view: StepView) -> Rich:
    """The earlier steps of this process: who did them, their notes, links and numbers."""
    done = [r for r in view.earlier if r.done_at is not None and r.visit < view.run.visit]
    text = Rich()
    if not done:
        start_docs = [h for h in view.handins if h.step_run_id is None]
        if start_docs:
            text.nl().b("Dokumen awal: ").add(", ".join(h.label for h in start_docs)).nl()
        return text
    text.nl().b("Sebelumnya:").nl()
    shown = done[-HISTORY_LINES:]
    if len(done) > len(shown):
        text.i(
            f"(… {len(done) - len(shown)} langkah sebelumnya, lihat /riwayat {view.process.id})"
        ).nl()
    by_run: dict[int | None, list[StoredHandin]] = {}
    for h in view.handins:
        by_run.setdefault(h.step_run_id, []).append(h)
    for r in shown:
        step = view.defn.by_number.get(r.step)
        choice = step.choice(r.outcome or "") if step else None
        mark = OUTCOME_MARK[choice.positive] if choice else "•"
        label = choice.label if choice else (r.outcome or "")
        assert r.done_at is not None  # noqa: S101 - filtered above
        text.add(
            f"{mark} {r.step}. {label} — {view.name(r.done_by)}, {when(r.done_at, view.calendar)}"
        ).nl()
        if r.note:
            text.add("   Catatan: ").i(quote(r.note, 200, more=full_text_at(view.process.id))).nl()
        for h in by_run.get(r.id, []):
            if h.kind == HandinKind.LINK:
                text.add(f"   {h.label}: ").link(short(h.value, 60), h.value).nl()
            elif h.kind in (HandinKind.NOMOR, HandinKind.TEXT):
                text.add(f"   {h.label}: ").add(short(h.value, 300)).nl()
            else:
                text.add(f"   📎 {h.label}: {h.file_name or 'berkas'}").nl()
    return text


def full_text_at(process_id: int) -> str:
    """Where the whole of a note cut short in a message is."""
    return f"(selengkapnya: /riwayat {process_id})"


def outcome_line(
    choice: Choice,
    by: str,
    at: datetime,
    calendar: WorkCalendar,
    note: str | None,
    process_id: int,
) -> Rich:
    mark = "⛔" if choice.id == "batal" else OUTCOME_MARK[choice.positive]
    label = "Proses dibatalkan" if choice.id == "batal" else choice.label
    text = Rich().b(f"{mark} {label}").add(f" — {by}, {when(at, calendar)}")
    if note:
        text.nl().add("Catatan: ").i(quote(note, 300, more=full_text_at(process_id)))
    return text


def closed_step_message(original: OutMessage, outcome: Rich) -> OutMessage:
    """The step message after its step is done: buttons gone, the outcome and time written in."""
    text = Rich(list(original.text.spans)).nl().extend(outcome)
    return OutMessage(text=fit(text))


def progress_message(
    event: str,
    process: ProcessRow,
    defn: SopDefinition,
    roles: RoleBook,
    *,
    step: int | None,
    choice: Choice | None,
    by: str,
    now_step: int | None,
    note: str | None = None,
) -> OutMessage:
    """News for the person who started a process."""
    text = Rich().b(process_title(process)).nl()
    label = defn.step(step).kegiatan if step is not None and step in defn.by_number else ""
    match event:
        case "finished":
            text.add(f"✅ Proses selesai. Langkah terakhir ({step}) dikerjakan oleh {by}.").nl()
        case "cancelled":
            text.add(f"⛔ Proses dibatalkan oleh {by}.").nl()
            if note:
                text.add("Alasan: ").i(quote(note, 1000, more=full_text_at(process.id))).nl()
        case "returned":
            choice_label = choice.label if choice else "Dikembalikan"
            text.add(f"↩️ Langkah {step} ({short(label, 60)}): {choice_label} oleh {by}.").nl()
            if note:
                text.add("Catatan: ").i(quote(note, 1000, more=full_text_at(process.id))).nl()
        case _:
            choice_label = choice.label if choice else "Selesai"
            text.add(f"✅ Langkah {step} ({short(label, 60)}): {choice_label} oleh {by}.").nl()
    if now_step is not None:
        nxt = defn.step(now_step)
        who = roles.label(nxt.pelaksana)
        text.add(f"Sekarang di langkah {now_step}: {short(nxt.kegiatan, 60)} — {who}.")
    return OutMessage(text=fit(text))


def announcement(
    process: ProcessRow,
    defn: SopDefinition,
    step: Step,
    by: str,
    by_role: str,
    handins: Sequence[StoredHandin],
    at: datetime,
    calendar: WorkCalendar,
) -> OutMessage:
    """The office group's news of a finished upload, with its link."""
    text = Rich().b(f"📢 {step.output or 'Telah diunggah'}").nl()
    text.field("Proses", f"#{process.id} — {process.title}")
    text.field("SOP", sop_title(defn))
    text.field("Diunggah oleh", f"{by} ({by_role})")
    text.field("Waktu", when(at, calendar))
    buttons: list[list[Button]] = []
    details = []
    for h in handins:
        if h.kind == HandinKind.LINK:
            text.b(f"{h.label}: ").link(h.value, h.value).nl()
            buttons.append([Button(label="Buka tautan", url=h.value)])
            details.append(h.value)
        elif h.kind in (HandinKind.NOMOR, HandinKind.TEXT):
            text.field(h.label, h.value)
            details.append(f"{h.label}: {h.value}")
    headline = step.output or "Telah diunggah"
    short_form = short_forms.announcement(
        headline, process, f"{by} ({by_role})", " · ".join(details) or "—"
    )
    return OutMessage(text=text, buttons=buttons[:3], short_form=short_form)


SHARE_LABEL = "Bagikan ke grup"


def share_announcement(announcement: OutMessage, step: int) -> OutMessage:
    """To the person who uploaded: one tap posts the announcement in the office's own WhatsApp
    group, as the SOP asks ("kepada grup WhatsApp")."""
    url = "https://wa.me/?text=" + quote_url(announcement.text.plain())
    text = Rich().add(
        f"Sesuai SOP langkah {step}, bagikan pengumuman ini ke grup WhatsApp kantor: tekan "
        f"{SHARE_LABEL}, pilih grupnya, lalu kirim."
    )
    return OutMessage(text, [[Button(label=SHARE_LABEL, url=url)]])


# --- prompts -------------------------------------------------------------------------------------

NOTE_PROMPT = {
    "ada_koreksi": "Tulis koreksi Anda untuk langkah {step}. Koreksi dikirim ke {to}.",
    "tidak_setuju": "Tulis alasan Tidak Setuju untuk langkah {step}. Catatan dikirim ke {to}.",
    "batal": "Tulis alasan pembatalan proses ini.",
}
NOTE_WHAT = {
    "ada_koreksi": "koreksi langkah {step}",
    "tidak_setuju": "alasan Tidak Setuju langkah {step}",
    "batal": "alasan pembatalan",
}


def prompt_head(process_id: int | None, title: str) -> Rich:
    """The first line of every prompt: which process it is about."""
    if process_id is None:
        return Rich().b(f"Proses baru: {title}").nl() if title else Rich()
    return Rich().b(f"#{process_id} {title}").nl()


def prompt_label(process_id: int | None, title: str, what: str) -> str:
    """A prompt named in one line, for the person choosing which question a message answers."""
    if process_id is None:
        return f"Proses baru: {title} · {what}" if title else f"Proses baru · {what}"
    return f"#{process_id} {title} · {what}"


def note_label(choice: Choice, step: int | None, process_id: int, title: str) -> str:
    what = NOTE_WHAT.get(choice.id, "catatan langkah {step}").format(step=step)
    return prompt_label(process_id, title, what)


def note_prompt(
    choice: Choice, step: int | None, to: str, process_id: int, title: str
) -> OutMessage:
    template = NOTE_PROMPT.get(
        choice.id,
        'Tulis catatan untuk pilihan "{label}" pada langkah {step}. Catatan dikirim ke {to}.',
    )
    body = template.format(step=step, to=to, label=choice.label)
    text = prompt_head(process_id, title).add(body).nl().i(UNDO_HINT)
    return OutMessage(text=text, reply_prompt="Catatan…")


def handin_what(spec: HandinSpec, step: int | None) -> str:
    where = f" langkah {step}" if step is not None else ""
    return f"{spec.label}{where}"


def handin_prompt(
    spec: HandinSpec,
    *,
    step: int | None,
    process_id: int | None = None,
    title: str = "",
    problem: str | None = None,
    suggestion: str | None = None,
    buttons: Sequence[Button] = (),
) -> OutMessage:
    text = prompt_head(process_id, title)
    if problem:
        text.b("⚠️ ").add(problem).nl(2)
    where = f" untuk langkah {step}" if step is not None else ""
    label = spec.label
    match spec.kind:
        case HandinKind.ATTACHMENT:
            text.add(f"Kirim berkas {label}{where} (dokumen atau foto).")
            hint = None
        case HandinKind.LINK:
            # "Tautan konten yang diunggah" is asked as "tautan konten...", never "tautan Tautan".
            what = "tautan" + label[6:] if label.lower().startswith("tautan") else f"tautan {label}"
            text.add(f"Kirim {what}{where}, diawali https://.")
            hint = "https://…"
        case HandinKind.NOMOR:
            text.add(f"Kirim {label}{where} sesuai buku agenda kantor.")
            if suggestion:
                text.nl().add("Nomor berikutnya yang masih kosong: ").code(suggestion)
            hint = suggestion or "Nomor agenda…"
        case HandinKind.TEXT:
            text.add(f"Tulis {label}{where}.")
            hint = spec.label
    if spec.optional:
        text.nl().i("Boleh dilewati.")
    text.nl().i(UNDO_HINT)
    rows = [[b] for b in buttons]
    return OutMessage(text=text, buttons=rows, reply_prompt=None if rows else hint)


OPEN_STEP = "Buka langkah"
SOP_NOT_RUN_HERE = "SOP ini tidak dijalankan di kantor Anda."
UNDO_HINT = "Kirim /batal untuk mengurungkan."

REJECTED = {
    RejectReason.NOT_RUNNING: "Proses ini sudah selesai atau dibatalkan; tombolnya sudah diproses.",
    RejectReason.STALE: "Langkah ini sudah diproses.",
    RejectReason.NOT_YOUR_STEP: (
        "Langkah ini bukan tugas Anda. Hanya {role} kantor ini (atau Plh-nya) yang dapat "
        "menekannya."
    ),
    RejectReason.UNKNOWN_CHOICE: "Tombol ini tidak berlaku.",
    RejectReason.NOT_ALLOWED: "Hanya pemulai proses atau admin yang dapat membatalkannya.",
    RejectReason.NOT_STARTER: "Anda tidak memegang peran yang boleh memulai SOP ini.",
    RejectReason.BAD_TITLE: "Judul proses harus berisi 1 sampai 200 karakter.",
}
ALREADY_DONE = "Sudah diproses."
INVALID_BUTTON = "Tombol ini tidak berlaku."
NOT_REGISTERED = "Anda belum terdaftar di bot ini."


# --- reminders and escalation --------------------------------------------------------------------


def lateness(run: StepRun, calendar: WorkCalendar, now: datetime) -> str:
    """How late a run is, in the office's working time ("1 jam 5 menit")."""
    if run.due_at is None:
        return ""
    late = calendar.working_time_between(run.due_at, now)
    return format_lateness(late, calendar.nominal_day_length)


def reminder_banner(run: StepRun, calendar: WorkCalendar, now: datetime, n: int) -> Rich:
    text = Rich()
    if run.due_at is not None:
        text.b(f"⏰ Pengingat ke-{n}: langkah ini melewati batas waktunya").nl()
        text.add(f"Batas {when(run.due_at, calendar)} — terlambat {lateness(run, calendar, now)}.")
    else:
        text.b(f"⏰ Pengingat ke-{n}: langkah ini belum selesai").nl()
        text.add(
            f"Menunggu sejak {when(run.started_at, calendar)} (SOP tidak menetapkan baku mutu)."
        )
    return text.nl()


def escalation_message(
    process: ProcessRow,
    defn: SopDefinition,
    roles: RoleBook,
    run: StepRun,
    holders: Sequence[str],
    calendar: WorkCalendar,
    now: datetime,
    open_button: Button,
) -> OutMessage:
    step = defn.step(run.step)
    text = Rich().b("⚠️ Eskalasi: langkah terlambat").nl()
    text.b(process_title(process)).nl()
    text.add(f"SOP {sop_title(defn)}").nl(2)
    text.field(
        "Langkah", f"{defn.index(step.number)} dari {len(defn.steps)} — {short(step.kegiatan, 120)}"
    )
    who = ", ".join(holders) or "belum ada pemegang peran"
    text.field("Pemegang", f"{roles.label(run.role)} ({who})")
    text.field("Sejak", when(run.started_at, calendar))
    if run.due_at is not None:
        text.field(
            "Batas", f"{when(run.due_at, calendar)} — terlambat {lateness(run, calendar, now)}"
        )
    else:
        text.field("Baku mutu", NO_WAKTU)
    text.field("Pengingat terkirim", str(run.reminders_sent))
    text.nl().i("Anda menerima pesan ini sebagai atasan peran tersebut.")
    short_form = short_forms.escalation(
        process,
        f"{defn.index(step.number)} dari {len(defn.steps)} — {step.kegiatan}",
        f"{roles.label(run.role)} ({who})",
        lateness(run, calendar, now),
        open_button,
    )
    return OutMessage(text=text, buttons=[[open_button]], short_form=short_form)


# --- what the workflow answers and announces -----------------------------------------------------

STARTED_LABEL = "Proses dimulai"
CANCELLED_LABEL = "Proses dibatalkan"


def process_unknown(process_id: int) -> str:
    return f"Proses #{process_id} tidak ditemukan."


def process_ended(process_id: int) -> str:
    return f"Proses #{process_id} sudah tidak berjalan."


def standin_banner(role: str, until: date) -> Rich:
    """Above a step handed to a stand-in as their period begins."""
    return (
        Rich()
        .i(
            f"🔁 Anda Plh {role} sampai {format_date(until, weekday=True)}: langkah yang terbuka ini "
            "sekarang tugas Anda."
        )
        .nl()
    )


def standin_ended_banner(standin: str, role: str) -> Rich:
    """Above a step handed back to the holders as a stand-in's period ends."""
    return (
        Rich()
        .i(
            f"🔁 Masa Plh {role} ({standin}) telah berakhir: langkah yang terbuka ini kembali "
            "kepada Anda."
        )
        .nl()
    )


def nomor_taken(seq: int, year: int, owner: int) -> str:
    return f"Nomor urut {seq} tahun {year} sudah dipakai di buku agenda (proses #{owner})."


def nomor_wrong_year(nomor: str, year: int, book_year: int) -> str:
    return (
        f"Nomor {nomor} bertahun {year}, padahal buku agenda yang berjalan adalah tahun "
        f"{book_year}. Pakai nomor tahun {book_year}."
    )


def nomor_format(example: str | None) -> str:
    """A nomor that is not an agenda number; the example is the office's own next number."""
    sample = f", misalnya {example}" if example else ""
    return (
        "Nomor tidak sesuai format agenda kantor. Tulis nomor urut, kode klasifikasi dan "
        f"tahun{sample}."
    )


def file_button_label(label: str, step: int | None, version: int = 1) -> str:
    """A button that fetches an earlier document: its label, the step it came from, and which
    version it is when the step handed it in more than once (after a send-back)."""
    where = f"langkah {step}" if step is not None else "awal"
    again = f", versi {version}" if version > 1 else ""
    # The label gives way first, so the step and the version always show.
    suffix = f" ({where}{again})"
    return f"📎 {short(label, 60 - len(suffix) - 2)}{suffix}"


def archive_caption(process: ProcessRow, *, final: bool) -> Rich:
    """The caption of a process's archive record (PDF): sent to its starter when it ends, and to
    whoever asks for it from /riwayat."""
    text = Rich().b(f"Arsip proses #{process.id}").nl()
    if final:
        return text.add(
            f"{process.title} — rekaman untuk disimpan (softcopy) dan dicetak (hardcopy)."
        )
    return text.add(f"{process.title} — rekaman proses dan jejak auditnya (PDF A4).")


def recorded(label: str) -> str:
    """The answer to a step's button (or typed answer) that was taken."""
    return f"Tercatat: {label}"


def recorded_thanks(label: str) -> str:
    return f"Tercatat: {label}. Terima kasih."


WRITE_NOTE_AS_REPLY = "Tulis catatan Anda sebagai balasan."
NOTE_AS_TEXT = "Yang diminta catatan berupa teks. Tulis catatannya."


def send_handin(label: str) -> str:
    return f"Kirim {label}."


def use_nomor(nomor: str) -> str:
    return f"Pakai {nomor}"


NOMOR_USED = "Nomor dipakai."
NOMOR_NOT_USED = (
    "Nomor ini tidak dipakai: permintaan nomornya sudah terjawab, diurungkan, atau diganti "
    "permintaan yang lebih baru."
)
