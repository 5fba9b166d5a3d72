"""A constructed history with known times, written through the storage repositories, shared by the
report, export and archive tests.

Office ``kapuas`` (Asia/Jakarta, standard hours: Senin-Kamis 07.30-16.00, Jumat 07.30-16.30), report
period December 2026, report moment Rabu 30 Des 2026 10.00 WIB. Times below are WIB.

SOP D (kapuas-medsos-jdih; baku mutu 10 menit, 1 hari, 30, 30, 10, 15 menit):

* P1 "Konten Natal", finished. Step 2 runs Rabu 23 Des 08.08 -> Senin 28 Des 09.08 across the
  cuti bersama (24 Des), Natal (25 Des) and the weekend: 7 jam 52 menit + 1 jam 38 menit = 9 jam
  30 menit of working time, past its deadline (Senin 28 Des 08.08). Step 5 is answered Tidak Setuju
  once (15 menit, late), then Setuju. Whole process: 8 jam + 3 jam 10 menit = 11 jam 10 menit.
* P2 "Konten Hari Ibu", finished: step 1 done exactly at its deadline (within), step 2 8 jam 20
  menit (within), step 3 45 menit (late). Whole process 9 jam 50 menit.
* P3 "Konten Hari HAM", cancelled under step 2.
* P4 "Konten Tahun Baru", running: step 2 open since Selasa 29 Des 08.10, due Rabu 30 Des 08.10,
  so late now.
* P5 "Konten Hari Guru", started in November (outside the period), step 1 open and late: counts only
  in the per-role "now" figures.

SOP C (jambi-konten-medsos; steps 5-7 state no waktu):

* P6 "Konten JDIH Desember", finished: step 3 answered Ada koreksi once, step 4 late (9 jam 30
  menit against 1 hari), steps 5-7 without deadline. Whole process 29 jam.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from bot.documents.reports import Report, SopFigures, Spread, StepFigures, baku_mutu_working
from bot.office.settings import calendar_for
from bot.words.format import short_kegiatan
from sop.loader import load_catalog
from sop.models import SopDefinition
from storage.db import Database

ZONE = ZoneInfo("Asia/Jakarta")
PERIOD = (date(2026, 12, 1), date(2026, 12, 31))
NOW = datetime(2026, 12, 30, 10, 0, tzinfo=ZONE).astimezone(UTC)
SETUP = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)

LINK_P1 = "https://www.instagram.com/p/kpu-kapuas-jdih-natal-2026/"
FILE_P1 = "draft-konten-natal.docx"
NOTE_P1 = "Logo KPU belum sesuai pedoman; perbaiki warna latar."


def wib(month: int, day: int, hour: int, minute: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


@dataclass(frozen=True)
class H:
    kind: str
    label: str
    value: str
    file_name: str | None = None


@dataclass(frozen=True)
class R:
    """A step run: the step, when it was answered (None: still open), and how."""

    step: int
    end: datetime | None
    outcome: str | None = None
    note: str | None = None
    handins: tuple[H, ...] = ()


@dataclass(frozen=True)
class P:
    key: str
    code: str
    title: str
    start: datetime
    runs: tuple[R, ...]
    status: Literal["running", "finished", "cancelled"]
    end_note: str | None = None


PEOPLE = {
    "kasubbag_hukum_sdm": (1001, "Hildayani"),
    "staf_subbagian": (1002, "Rina Marlina"),
    "pengelola_jdih": (1003, "Budi Santoso"),
    "kabag_teknis_hukum": (1004, "Ahmad Fauzi"),
    "tim_kreatif": (1005, "Sari Wulandari"),
    "kasubbag_hukum": (1006, "Dewi Anggraini"),
    "tim_desain": (1007, "Yoga Pratama"),
    "admin_medsos": (1008, "Nanda Putri"),
}

D = "kapuas-medsos-jdih"
C = "jambi-konten-medsos"

PROCESSES = (
    P(
        "P1",
        D,
        "Konten Natal",
        wib(12, 23, 8, 0),
        (
            R(1, wib(12, 23, 8, 8)),
            R(2, wib(12, 28, 9, 8)),
            R(
                3,
                wib(12, 28, 9, 28),
                handins=(H("attachment", "Draft konten media sosial", "file-1", FILE_P1),),
            ),
            R(4, wib(12, 28, 9, 48)),
            R(5, wib(12, 28, 10, 3), "tidak_setuju", NOTE_P1),
            R(4, wib(12, 28, 10, 23)),
            R(5, wib(12, 28, 10, 28), "setuju"),
            R(6, wib(12, 28, 10, 40), handins=(H("link", "Tautan hasil unggah", LINK_P1),)),
        ),
        "finished",
    ),
    P(
        "P2",
        D,
        "Konten Hari Ibu",
        wib(12, 1, 8, 0),
        (
            R(1, wib(12, 1, 8, 10)),
            R(2, wib(12, 2, 8, 0)),
            R(3, wib(12, 2, 8, 45)),
            R(4, wib(12, 2, 9, 5)),
            R(5, wib(12, 2, 9, 10), "setuju"),
            R(6, wib(12, 2, 9, 20)),
        ),
        "finished",
    ),
    P(
        "P3",
        D,
        "Konten Hari HAM",
        wib(12, 10, 8, 0),
        (R(1, wib(12, 10, 8, 5)), R(2, wib(12, 10, 9, 5), "batal")),
        "cancelled",
        "Materi digabung dengan konten lain.",
    ),
    P(
        "P4",
        D,
        "Konten Tahun Baru",
        wib(12, 29, 8, 0),
        (R(1, wib(12, 29, 8, 10)), R(2, None)),
        "running",
    ),
    P("P5", D, "Konten Hari Guru", wib(11, 30, 8, 0), (R(1, None),), "running"),
    P(
        "P6",
        C,
        "Konten JDIH Desember",
        wib(12, 14, 8, 0),
        (
            R(1, wib(12, 14, 8, 15)),
            R(2, wib(12, 15, 15, 15)),
            R(3, wib(12, 15, 15, 45), "ada_koreksi", "Judul konten terlalu panjang."),
            R(2, wib(12, 16, 9, 0)),
            R(3, wib(12, 16, 9, 30), "tidak_ada_koreksi"),
            R(4, wib(12, 17, 10, 30)),
            R(5, wib(12, 17, 11, 0), "setuju"),
            R(6, wib(12, 17, 11, 20)),
            R(7, wib(12, 17, 11, 30)),
        ),
        "finished",
    ),
)


@dataclass
class History:
    office_id: int
    processes: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    definitions: dict[str, SopDefinition] = field(default_factory=dict)


async def build_history(db: Database) -> History:
    catalog = load_catalog()
    async with db.transaction() as tx:
        office, _ = await tx.offices.upsert(
            "kapuas", "KPU Kabupaten Kapuas", "Asia/Jakarta", {}, SETUP
        )
        history = History(office.id)
        for role, (telegram_id, name) in PEOPLE.items():
            user, _ = await tx.offices.upsert_user("telegram", str(telegram_id), name, SETUP)
            history.users[role] = user.id
        cal = calendar_for(office)
        for spec in PROCESSES:
            defn = catalog.definitions[spec.code]
            history.definitions[spec.code] = defn
            await tx.processes.keep_version(defn.version, defn.code, defn.canonical_json(), SETUP)
            starter = history.users[defn.starters[0]]
            pid = await tx.processes.create(
                office_id=office.id,
                sop_code=defn.code,
                sop_version=defn.version,
                title=spec.title,
                started_by=starter,
                current_step=defn.first.number,
                visit=1,
                started_at=spec.start,
            )
            history.processes[spec.key] = pid
            await tx.audit.append(
                "process_started",
                spec.start,
                data={"title": spec.title},
                office_id=office.id,
                process_id=pid,
                actor_user_id=starter,
            )
            at = spec.start
            returned: tuple[int, str | None, int] | None = None
            for visit, run in enumerate(spec.runs, start=1):
                step = defn.step(run.step)
                due = cal.add(at, step.waktu) if step.waktu is not None else None
                run_id = await tx.processes.open_step_run(
                    process_id=pid,
                    step=run.step,
                    visit=visit,
                    role=step.pelaksana,
                    started_at=at,
                    due_at=due,
                    next_alert_at=due,
                    returned_from=returned[0] if returned else None,
                    return_note=returned[1] if returned else None,
                    return_by=returned[2] if returned else None,
                )
                if run.end is None:
                    continue
                actor = history.users[step.pelaksana]
                outcome = run.outcome or step.effective_choices[0].id
                for h in run.handins:
                    await tx.processes.add_handin(
                        process_id=pid,
                        step_run_id=run_id,
                        kind=h.kind,
                        label=h.label,
                        value=h.value,
                        file_name=h.file_name,
                        mime_type=None,
                        created_by=actor,
                        created_at=run.end,
                    )
                await tx.processes.close_step_run(
                    run_id, done_at=run.end, done_by=actor, outcome=outcome, note=run.note
                )
                await tx.audit.append(
                    "step_answered",
                    run.end,
                    data={"step": run.step, "visit": visit, "choice": outcome},
                    office_id=office.id,
                    process_id=pid,
                    actor_user_id=actor,
                )
                choice = step.choice(outcome)
                negative = choice is not None and not choice.positive
                returned = (run.step, run.note, actor) if negative else None
                at = run.end
            process = await tx.processes.get(pid)
            assert process is not None
            last = spec.runs[-1]
            if spec.status == "running":
                await tx.processes.update_state(
                    process, status="running", current_step=last.step, visit=len(spec.runs)
                )
            else:
                await tx.processes.update_state(
                    process,
                    status=spec.status,
                    current_step=None,
                    visit=len(spec.runs),
                    ended_at=last.end,
                    end_note=spec.end_note,
                )
                await tx.audit.append(
                    "process_" + spec.status,
                    at,
                    office_id=office.id,
                    process_id=pid,
                )
    return history


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def hours(h: int, m: int = 0) -> timedelta:
    return timedelta(hours=h, minutes=m)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; fails on anything that is not a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR", "PNG without IHDR first"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def synthetic_report() -> Report:
    """A report over all four built-in SOPs, each step timed at a known multiple of its baku mutu
    (steps without waktu at 25 menit), for the chart and export tests."""
    catalog = load_catalog()
    day = hours(8, 30)
    sops = []
    for defn in catalog.all():
        steps = []
        for i, step in enumerate(defn.steps):
            baku = baku_mutu_working(step.waktu, day) if step.waktu else None
            taken = (baku * (0.5 + 0.4 * i)) if baku is not None else minutes(25)
            steps.append(
                StepFigures(
                    number=step.number,
                    kegiatan=step.kegiatan,
                    short=short_kegiatan(step.kegiatan),
                    role=step.pelaksana,
                    role_label=catalog.roles.label(step.pelaksana),
                    kind=step.kind,
                    baku_mutu=step.waktu,
                    baku_mutu_working=baku,
                    negative_labels=tuple(
                        c.label for c in step.effective_choices if not c.positive
                    ),
                    runs=3,
                    answered=3,
                    open=0,
                    cancelled=0,
                    time=Spread.of([taken, taken, taken * 2]),
                    with_deadline=3 if baku else 0,
                    within=2 if baku else 0,
                    late_done=1 if baku else 0,
                    late_open=0,
                    sent_back=0,
                )
            )
        sops.append(
            SopFigures(
                code=defn.code,
                name=defn.header.nama,
                nomor=defn.header.nomor,
                versions=1,
                started=3,
                finished=3,
                cancelled=0,
                running=0,
                total=Spread.of([hours(10)] * 3),
                normal_time=defn.normal_time,
                normal_working=baku_mutu_working(defn.normal_time, day),
                steps_without_time=defn.steps_without_time,
                steps=tuple(steps),
            )
        )
    return Report(
        office_code="jambi",
        office_name="KPU Provinsi Jambi",
        zone=ZONE,
        zone_name="WIB",
        day_length=day,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        now=NOW,
        sops=tuple(sops),
        roles=(),
        processes=(),
    )


def history_file(path: Path) -> tuple[Path, History]:
    """The history in a database file at ``path``, for tests of the synchronous commands."""

    async def make() -> History:
        db = await Database.open(path)
        try:
            return await build_history(db)
        finally:
            await db.close()

    return path, asyncio.run(make())
