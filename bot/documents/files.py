"""The files the bot makes when a message that carries them is sent: a report's chart and
spreadsheets, flowcharts, and a process's archive record.

A message names its file with a ``generate`` spec (kind and parameters) instead of carrying its
bytes, so the outbox keeps a few words instead of a quarter-megabyte PNG; the sender calls the
generator of that kind (``file_generators``, wired in ``bot.app``) when it sends the message. The
rights were checked when the person asked; a generator only makes what was allowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.chat.messages import Attachment
from bot.chat.sender import Generator
from bot.clock import Clock
from bot.documents.archive import archive_pdf
from bot.documents.charts import step_chart_png
from bot.documents.exports import report_csv, report_xlsx
from bot.documents.flowchart import flowchart_png, progress_marks
from bot.documents.reports import build_report
from sop.loader import Catalog, definition_from_json
from storage.db import Database

# Generator kinds. The workflow queues "archive" itself when a process ends.
REPORT_FILE = "laporan"
DIAGRAM = "diagram"
ARCHIVE_FILE = "archive"

FORMATS: Mapping[str, tuple[str, str]] = {
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("CSV", "text/csv"),
}


class ReportFiles:
    """What the generators make: the report's chart and spreadsheets, and flowcharts."""

    def __init__(self, db: Database, catalog: Catalog, clock: Clock) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock

    async def report_file(self, spec: Mapping[str, Any]) -> Attachment:
        code, fmt = str(spec["office"]), str(spec["format"])
        start, end = date.fromisoformat(str(spec["from"])), date.fromisoformat(str(spec["to"]))
        report = await build_report(
            self.db, code, start, end, self.clock.now(), roles=self.catalog.roles
        )
        name = f"laporan-sop-{code}-{start.isoformat()}-{end.isoformat()}"
        match fmt:
            case "png":
                png = await asyncio.to_thread(step_chart_png, report)
                return Attachment(
                    f"grafik-{name}.png", data=png, mime_type="image/png", as_photo=True
                )
            case "xlsx":
                data = await asyncio.to_thread(report_xlsx, report)
            case "csv":
                data = report_csv(report)
            case _:
                raise ValueError(f"unknown report format {fmt!r}")
        return Attachment(f"{name}.{fmt}", data=data, mime_type=FORMATS[fmt][1])

    async def archive(self, spec: Mapping[str, Any]) -> Attachment:
        """A process's archive record (PDF), made when it is sent: it holds the final state and
        audit hash even when it was queued in the transaction that ended the process."""
        process = int(spec["process"])
        data = await archive_pdf(self.db, process, self.clock.now(), roles=self.catalog.roles)
        return Attachment(f"arsip-proses-{process}.pdf", data=data, mime_type="application/pdf")

    async def diagram(self, spec: Mapping[str, Any]) -> Attachment:
        if "process" in spec:
            return await self._process_diagram(int(spec["process"]))
        code = str(spec["sop"])
        defn = self.catalog.get(code)
        if defn is None:
            raise LookupError(f"SOP {code} is not in the catalogue")
        png = await asyncio.to_thread(flowchart_png, defn, self.catalog.roles)
        return Attachment(f"diagram-{code}.png", data=png, mime_type="image/png", as_photo=True)

    async def _process_diagram(self, process_id: int) -> Attachment:
        async with self.db.read() as tx:
            process = await tx.processes.get(process_id)
            content = await tx.processes.version_content(process.sop_version) if process else None
            runs = await tx.processes.step_runs(process_id)
        if process is None or content is None:
            raise LookupError(f"process {process_id} is not stored")
        defn = definition_from_json(content, f"SOP versi {process.sop_version[:12]}")
        current, done = progress_marks(process.status, process.current_step, runs)
        png = await asyncio.to_thread(
            flowchart_png,
            defn,
            self.catalog.roles,
            current_step=current,
            done_steps=done,
            title=f"Proses #{process.id} — {process.title}",
        )
        return Attachment(
            f"diagram-proses-{process.id}.png", data=png, mime_type="image/png", as_photo=True
        )


def file_generators(db: Database, catalog: Catalog, clock: Clock) -> dict[str, Generator]:
    """The sender's generators for this dialog's messages, by ``generate`` kind."""
    files = ReportFiles(db, catalog, clock)
    return {REPORT_FILE: files.report_file, DIAGRAM: files.diagram, ARCHIVE_FILE: files.archive}
