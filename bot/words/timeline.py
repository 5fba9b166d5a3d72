"""A process's timeline, told from its audit trail (``/riwayat N``)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.messages import MAX_TEXT, Rich, fit
from bot.office.calendar import WorkCalendar
from bot.words.format import (
    DELIVERY_LABEL,
    format_local,
    process_title,
    quote,
    sop_title,
    status_label,
)
from sop.models import RoleBook, SopDefinition
from storage.audit import AuditEvent
from storage.processes import ProcessRow


def event_line(
    event: AuditEvent, defn: SopDefinition, roles: RoleBook, names: dict[int, str]
) -> str:
    who = names.get(event.actor_user_id, "sistem") if event.actor_user_id is not None else "sistem"
    d = event.data
    match event.kind:
        case "process_started":
            return f"Proses dimulai oleh {who}"
        case "step_opened":
            step = d.get("step")
            role = roles.label(str(d.get("role", "")))
            back = (
                f" (dikembalikan dari langkah {d['returned_from']})"
                if d.get("returned_from")
                else ""
            )
            return f"Langkah {step} untuk {role}{back}"
        case "step_closed":
            note = f": {quote(d['note'], NOTE_LIMIT, more=IN_ARCHIVE)}" if d.get("note") else ""
            handins = "; ".join(
                f"{h['label']}: {h['file_name'] or h['value']}" for h in d.get("handins", [])
            )
            extra = f" [{handins}]" if handins else ""
            return f"Langkah {d.get('step')}: {d.get('label')} oleh {who}{note}{extra}"
        case "announced":
            linked = "" if d.get("group_linked") else " (menunggu grup kantor dihubungkan)"
            return f"Hasil langkah {d.get('step')} diumumkan ke grup kantor{linked}"
        case "step_reminded":
            return f"Pengingat langkah {d.get('step')} dikirim (ke-{d.get('n')})"
        case "step_escalated":
            return f"Langkah {d.get('step')} dieskalasi ke {d.get('to', 'atasan')}"
        case "process_finished":
            return "Proses selesai"
        case "process_cancelled":
            reason = quote(str(d.get("reason", "")), NOTE_LIMIT, more=IN_ARCHIVE)
            return f"Proses dibatalkan oleh {who}: {reason}"
    return event.kind


def timeline_pages(
    process: ProcessRow,
    defn: SopDefinition,
    roles: RoleBook,
    calendar: WorkCalendar,
    events: Sequence[AuditEvent],
    names: dict[int, str],
    delivery: dict[int, str] | None = None,
    *,
    limit: int = MAX_TEXT,
) -> list[Rich]:
    """The timeline in pages that each fit one message, the newest first: the first page has the
    process's state and its latest events (what matters now), each next page older events.
    ``delivery``: how far the current step's message got to each holder, where the channel
    reports it (by user id)."""
    head = Rich().b(process_title(process)).nl()
    head.add(f"SOP {sop_title(defn)}").nl()
    head.add(f"Status: {status_label(process.status).lower()}").nl()
    for user_id, status in (delivery or {}).items():
        who = names.get(user_id, "pemegang langkah")
        head.add(f"Pesan langkah sekarang untuk {who}: {DELIVERY_LABEL.get(status, status)}").nl()
    head.nl()
    footer = (
        Rich().nl().i(f"Hash jejak audit terakhir: {events[-1].hash[:16]}…") if events else Rich()
    )
    lines = [
        Rich().add(f"{format_local(e.at, calendar)} — {event_line(e, defn, roles, names)}").nl()
        for e in events
    ]
    # Fill pages from the newest event back; room is kept for a page's head and pointer.
    pages: list[list[Rich]] = [[]]
    room = limit - len(head) - len(footer) - POINTER_ROOM
    for line in reversed(lines):
        if pages[-1] and len(line) > room:
            pages.append([])
            room = limit - POINTER_ROOM * 2
        pages[-1].insert(0, line)
        room -= len(line)
    out = []
    for index, page in enumerate(pages):
        text = Rich().extend(head) if index == 0 else Rich().b(older_head(process.id, index)).nl(2)
        if index + 1 < len(pages):
            text.i(OLDER_POINTER).nl()
        for line in page:
            text.extend(line)
        if index == 0:
            text.extend(footer)
        out.append(fit(text, limit))
    return out


NOTE_LIMIT = 2500  # a note in the timeline; the archive has it whole
IN_ARCHIVE = "(selengkapnya di arsip PDF)"
POINTER_ROOM = 120
OLDER_POINTER = "(Peristiwa yang lebih lama: tekan Lebih lama.)"
OLDER_BUTTON = "‹ Lebih lama"


def older_head(process_id: int, page: int) -> str:
    return f"Riwayat proses #{process_id} — lanjutan {page} (lebih lama)"


def flowchart_caption(process: ProcessRow, defn: SopDefinition) -> Rich:
    """What /riwayat N sends after the timeline: the process's flowchart, its progress marked."""
    text = Rich().b(f"Diagram alir proses #{process.id}").nl()
    if process.status == "running" and process.current_step is not None:
        index = defn.index(process.current_step)
        return text.add(
            f"Langkah sekarang: {index} dari {len(defn.steps)} (kuning); "
            "langkah yang sudah dijawab hijau."
        )
    if process.status == "finished":
        return text.add("Proses selesai; langkah yang dijalankan hijau.")
    return text.add("Proses dibatalkan; langkah yang sudah dijawab hijau.")


ARCHIVE_BUTTON = "Arsip (PDF)"
ARCHIVE_FOR_OFFICE = "Arsip ini hanya untuk orang di kantor proses ini."
ARCHIVE_MADE = "Arsip PDF disiapkan."
NO_OLDER = "Tidak ada peristiwa yang lebih lama."
