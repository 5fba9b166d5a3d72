"""Flowcharts of the four SOPs: sane PNGs, the form's parts, and a process's progress marked."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import FancyArrowPatch

from bot.cli.reports import cmd_sop_png
from bot.documents.flowchart import (
    CURRENT_FILL,
    DONE_FILL,
    RETURN_INK,
    flowchart_figure,
    flowchart_png,
    progress_marks,
)
from bot.words.format import waktu_text
from sop.loader import Catalog, load_catalog
from storage.processes import StepRun
from tests.report_history import png_size

CODES = (
    "jambi-penurunan-jdih",
    "jambi-pengunggahan-jdih",
    "jambi-konten-medsos",
    "kapuas-medsos-jdih",
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


class _Colours:
    """The pixels of a PNG, packed as 0xRRGGBB, to ask whether a colour is drawn."""

    def __init__(self, png: bytes) -> None:
        rgb = (imread(io.BytesIO(png))[:, :, :3] * 255).round().astype(np.uint32)
        self.packed = (rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]

    def __contains__(self, colour: object) -> bool:
        return bool((self.packed == colour).any())


def _colours(png: bytes) -> _Colours:
    return _Colours(png)


def _packed(colour: str) -> int:
    r, g, b = (round(v * 255) for v in to_rgb(colour))
    return (r << 16) | (g << 8) | b


@pytest.mark.parametrize("code", CODES)
def test_every_sop_draws_a_phone_sized_png(catalog: Catalog, code: str) -> None:
    defn = catalog.definitions[code]
    png = flowchart_png(defn, catalog.roles)
    width, height = png_size(png)
    assert 1000 <= width <= 2500
    assert 1000 <= height <= 2500
    colours = _colours(png)
    assert colours.packed.shape == (height, width)  # it decodes, and to the size it states
    # A negative answer's return arrow is drawn in its own colour; nothing is highlighted.
    assert _packed(RETURN_INK) in colours
    assert _packed(CURRENT_FILL) not in colours
    assert _packed(DONE_FILL) not in colours


@pytest.mark.parametrize("code", CODES)
def test_the_chart_holds_the_forms_parts(catalog: Catalog, code: str) -> None:
    defn = catalog.definitions[code]
    fig = flowchart_figure(defn, catalog.roles)
    texts = _texts(fig)
    for lane in defn.lanes:
        assert catalog.roles.label(lane) in texts
    for step in defn.steps:
        assert f"{step.number}." in texts  # the No column
        assert f"{step.number}" in texts  # the symbol
    for step in defn.steps:
        assert waktu_text(step.waktu) in texts
    assert {"Mulai", "Selesai", "No", "Kegiatan", "Baku mutu"} <= set(texts)
    negatives = [c.label for s in defn.steps for c in s.effective_choices if not c.positive]
    for label in negatives:
        assert label in texts
    returns = [
        p
        for p in fig.axes[0].patches
        if isinstance(p, FancyArrowPatch) and p.get_edgecolor()[:3] == to_rgb(RETURN_INK)
    ]
    assert len(returns) == len(negatives)
    announces = sum(s.announce for s in defn.steps)
    assert texts.count("→ grup") == announces


def test_the_form_of_sop_c_shows_steps_without_waktu_and_both_decisions(
    catalog: Catalog,
) -> None:
    texts = _texts(flowchart_figure(catalog.definitions["jambi-konten-medsos"], catalog.roles))
    assert texts.count("—") == 3
    assert {"Ada koreksi", "Tidak ada koreksi", "Setuju", "Tidak Setuju"} <= set(texts)
    assert {"Koreksi", "Persetujuan"} <= set(texts)


def test_a_process_shows_its_current_step_and_done_steps(catalog: Catalog) -> None:
    defn = catalog.definitions["kapuas-medsos-jdih"]
    marked = flowchart_png(
        defn, catalog.roles, current_step=4, done_steps=[1, 2, 3], title="Proses #12: Konten Natal"
    )
    assert 1000 <= png_size(marked)[0] <= 2500
    colours = _colours(marked)
    assert _packed(CURRENT_FILL) in colours
    assert _packed(DONE_FILL) in colours
    texts = _texts(
        flowchart_figure(
            defn, catalog.roles, current_step=4, done_steps=[1, 2, 3], title="Proses #12"
        )
    )
    assert "Proses #12" in texts
    assert {"✓ 1", "✓ 2", "✓ 3", "4", "5", "sekarang"} <= set(texts)
    assert "✓ 4" not in texts


def _run(step: int, visit: int, outcome: str | None) -> StepRun:
    at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC) + timedelta(minutes=visit)
    return StepRun(
        id=visit,
        process_id=1,
        step=step,
        visit=visit,
        role="x",
        started_at=at,
        due_at=None,
        done_at=at if outcome else None,
        done_by=1 if outcome else None,
        outcome=outcome,
        note=None,
        returned_from=None,
        return_note=None,
        return_by=None,
        next_alert_at=None,
        reminders_sent=0,
        escalated_at=None,
    )


def test_progress_marks_from_a_process_history() -> None:
    runs = [
        _run(1, 1, "selesai"),
        _run(2, 2, "selesai"),
        _run(3, 3, "selesai"),
        _run(4, 4, "selesai"),
        _run(5, 5, "tidak_setuju"),
        _run(4, 6, None),
    ]
    assert progress_marks("running", 4, runs) == (4, frozenset({1, 2, 3, 5}))
    finished = [*runs[:5], _run(4, 6, "selesai"), _run(5, 7, "setuju"), _run(6, 8, "selesai")]
    assert progress_marks("finished", None, finished) == (None, frozenset(range(1, 7)))
    cancelled = [_run(1, 1, "selesai"), _run(2, 2, "batal")]
    assert progress_marks("cancelled", None, cancelled) == (None, frozenset({1}))


def test_sop_png_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "diagram.png"
    assert cmd_sop_png("kapuas-medsos-jdih", out) == 0
    assert f"Diagram alir SOP kapuas-medsos-jdih ditulis ke {out}" in capsys.readouterr().out
    assert 1000 <= png_size(out.read_bytes())[0] <= 2500
    assert cmd_sop_png("tidak-ada", out) == 2
    assert "Kode yang ada: jambi-konten-medsos" in capsys.readouterr().err
    broken = tmp_path / "kantor"
    broken.mkdir()
    (broken / "rusak.yaml").write_text("code: rusak\nsteps: []\n")
    assert cmd_sop_png("kapuas-medsos-jdih", out, [broken]) == 1
    assert "Berkas SOP bermasalah" in capsys.readouterr().err
