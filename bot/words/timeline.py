"""A process's timeline, told from its audit trail (``/riwayat N``)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.messages import OutMessage, Rich, fit
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
            note = f": {quote(d['note'])}" if d.get("note") else ""
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
            return f"Proses dibatalkan oleh {who}: {quote(str(d.get('reason', '')))}"
    return event.kind


def timeline_message(
    process: ProcessRow,
    defn: SopDefinition,
    roles: RoleBook,
    calendar: WorkCalendar,
    events: Sequence[AuditEvent],
    names: dict[int, str],
    delivery: dict[int, str] | None = None,
) -> OutMessage:
    """``delivery``: how far the current step's message got to each holder, where the channel
    reports it (by user id)."""
    text = Rich().b(process_title(process)).nl()
    text.add(f"SOP {sop_title(defn)}").nl()
    text.add(f"Status: {status_label(process.status).lower()}").nl()
    for user_id, status in (delivery or {}).items():
        who = names.get(user_id, "pemegang langkah")
        text.add(f"Pesan langkah sekarang untuk {who}: {DELIVERY_LABEL.get(status, status)}").nl()
    text.nl()
    for event in events:
        text.add(f"{format_local(event.at, calendar)} — ").add(
            event_line(event, defn, roles, names)
        ).nl()
    if events:
        text.nl().i(f"Hash jejak audit terakhir: {events[-1].hash[:16]}…")
    return OutMessage(fit(text))


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
