"""Flowcharts of the four SOPs: sane PNGs, the form's parts, and a process's progress marked."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text

from bot.cli.reports import cmd_sop_png
from bot.documents.flowchart import (
    CURRENT_FILL,
    DONE_FILL,
    RETURN_INK,
    flowchart_figure,
    flowchart_png,
    progress_marks,
)
from bot.documents.layout import fit_text
from bot.words.format import short_kegiatan, waktu_text
from sop.loader import Catalog, load_catalog
from sop.models import Kind
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
    # A label wraps to stay inside its lane ("Tidak ada / koreksi").
    texts = [t.replace("\n", " ") for t in texts]
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


# --- layout: lines, labels and cut texts (issue 12) -----------------------------------------------

Segment = tuple[tuple[float, float], tuple[float, float]]


def _rendered(fig: Figure) -> RendererAgg:
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    assert isinstance(renderer, RendererAgg)
    return renderer


def _shafts(fig: Figure) -> list[list[tuple[float, float]]]:
    """Each arrow's line, without its head, in inches (y downwards)."""
    shafts = []
    for patch in fig.axes[0].patches:
        if isinstance(patch, FancyArrowPatch):
            path = patch.get_path()
            vertices = np.asarray(path.vertices, dtype=float)
            codes = np.asarray(path.codes, dtype=int)
            points: list[tuple[float, float]] = []
            for (x, y), code in zip(vertices.tolist(), codes.tolist(), strict=True):
                if code == MplPath.MOVETO and points:
                    break
                points.append((x, y))
            shafts.append(points)
    return shafts


def _boxes(
    fig: Figure, renderer: RendererAgg
) -> list[tuple[Text, tuple[float, float, float, float]]]:
    """Every non-empty text with its box in inches (x0, y0, x1, y1, y downwards)."""
    ax = fig.axes[0]
    out = []
    for text in ax.texts:
        if not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer).transformed(ax.transData.inverted())
        out.append((text, (box.x0, min(box.y0, box.y1), box.x1, max(box.y0, box.y1))))
    return out


def _crosses_box(seg: Segment, box: tuple[float, float, float, float], pad: float = 0.01) -> bool:
    (xa, ya), (xb, yb) = seg
    x0, y0, x1, y1 = box[0] + pad, box[1] + pad, box[2] - pad, box[3] - pad
    if abs(xa - xb) < 1e-6:  # vertical
        return x0 < xa < x1 and min(ya, yb) < y1 and max(ya, yb) > y0
    if abs(ya - yb) < 1e-6:  # horizontal
        return y0 < ya < y1 and min(xa, xb) < x1 and max(xa, xb) > x0
    return False


def _cross(a: Segment, b: Segment) -> bool:
    """Whether a horizontal and a vertical segment cross (touching at an end does not count)."""
    for (h0, h1), (v0, v1) in ((a, b), (b, a)):
        if abs(h0[1] - h1[1]) < 1e-6 and abs(v0[0] - v1[0]) < 1e-6:
            x, y = v0[0], h0[1]
            if min(h0[0], h1[0]) + 1e-3 < x < max(h0[0], h1[0]) - 1e-3 and (
                min(v0[1], v1[1]) + 1e-3 < y < max(v0[1], v1[1]) - 1e-3
            ):
                return True
    return False


@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("code", CODES)
def test_no_line_crosses_a_label_or_another_line_and_no_two_meet_at_a_point(
    catalog: Catalog, code: str, columns: bool
) -> None:
    fig = flowchart_figure(catalog.definitions[code], catalog.roles, columns=columns)
    renderer = _rendered(fig)
    shafts = _shafts(fig)
    segments = [(i, seg) for i, shaft in enumerate(shafts) for seg in pairwise(shaft)]
    for text, box in _boxes(fig, renderer):
        for _, seg in segments:
            assert not _crosses_box(seg, box), (code, text.get_text(), seg)
    for i, a in segments:
        for j, b in segments:
            if i < j:
                assert not _cross(a, b), (code, a, b)
    tips = [shaft[-1] for shaft in shafts]
    starts = [shaft[0] for shaft in shafts]
    assert len(set(tips)) == len(tips), code  # no two arrows end at one point
    assert not set(tips) & set(starts), code  # nor where another leaves


@pytest.mark.parametrize("code", CODES)
def test_texts_stay_inside_their_column(catalog: Catalog, code: str) -> None:
    """No text touches a lane or column line ("Tidak ada koreksi" used to); a return's label,
    set on a white ground above its line, is the one text allowed over a line."""
    defn = catalog.definitions[code]
    # A process's marks too: the current step ("sekarang") on a decision and on the last step.
    decision = next(s.number for s in defn.steps if s.kind is not Kind.TUGAS)
    for current in (None, decision, defn.steps[-1].number):
        fig = flowchart_figure(defn, catalog.roles, columns=True, current_step=current)
        _inside_columns(fig, code)


def _inside_columns(fig: Figure, code: str) -> None:
    renderer = _rendered(fig)
    ax = fig.axes[0]
    drawn = [
        (np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float))
        for line in ax.lines
    ]
    lines = {round(float(xs[0]), 4) for xs, _ in drawn if xs[0] == xs[1]}
    ys = [float(y) for _, line_ys in drawn for y in line_ys]
    grid_top, grid_bottom = min(ys), max(ys)
    for text, (x0, y0, x1, y1) in _boxes(fig, renderer):
        if y0 < grid_top or y1 > grid_bottom or text.get_bbox_patch() is not None:
            continue
        for x in lines:
            assert not x0 - 0.02 < x < x1 + 0.02, (code, text.get_text())


@pytest.mark.parametrize("code", CODES)
def test_a_cut_text_ends_with_an_ellipsis(catalog: Catalog, code: str) -> None:
    """Every kegiatan, kelengkapan and output is shown, whole or cut, and a cut one ends in "…"
    (box labels used to lose their last line silently)."""
    defn = catalog.definitions[code]
    texts = [
        t.replace("\n", " ") for t in _texts(flowchart_figure(defn, catalog.roles, columns=True))
    ]
    sources = {
        " ".join(source.split())
        for step in defn.steps
        for source in (
            short_kegiatan(step.kegiatan, 10_000),
            step.kelengkapan or "—",
            step.output or "—",
        )
    }
    for source in sources:
        assert source in texts or any(
            source.startswith(t.rstrip("…")) for t in texts if len(t) > 3
        ), source
    for text in texts:
        cut = text.rstrip("…")
        if text in sources or len(cut) < 4:
            continue
        if any(source.startswith(cut) for source in sources):
            assert text.endswith("…"), (code, text)


def test_fit_text_wraps_and_cuts_with_an_ellipsis() -> None:
    assert fit_text("Menurunkan dokumen hukum", 30, 2) == "Menurunkan dokumen hukum"
    assert fit_text("satu dua tiga empat lima enam", 9, 2) == "satu dua\ntiga…"
    assert all(len(line) <= 9 for line in fit_text("a" * 40 + " b c", 9, 3).splitlines())


def test_the_form_columns_kelengkapan_and_output(catalog: Catalog) -> None:
    defn = catalog.definitions["jambi-pengunggahan-jdih"]
    plain = _texts(flowchart_figure(defn, catalog.roles))
    assert "Kelengkapan" not in plain
    texts = _texts(flowchart_figure(defn, catalog.roles, columns=True))
    assert {"Kelengkapan", "Output", "Baku mutu"} <= set(texts)
    flat = [t.replace("\n", " ") for t in texts]
    assert "Disposisi" in flat  # step 2's kelengkapan
    assert any(t.startswith("1 produk hukum telah diunggah") for t in flat)  # step 7's output
    width = png_size(flowchart_png(defn, catalog.roles, columns=True))[0]
    assert width > png_size(flowchart_png(defn, catalog.roles))[0]
