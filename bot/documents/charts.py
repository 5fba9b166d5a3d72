"""The report's chart: each step's median working time against its baku mutu, as one PNG.

One figure holds every SOP of the report (or one SOP, given its code): a panel per SOP, headed by
its full name (wrapped, never cut), and a horizontal bar per step. A bar's length is the step's
median working time as a share of its baku mutu, on a plain (linear) axis from 0%: a step done in
half its baku mutu has a bar half as long as the black line at 100% that marks the baku mutu; a
step done in 0 menit has no bar. Green within the baku mutu, red over it. A step whose SOP states
no waktu has nothing to compare with, so it has no bar: its row says "tanpa baku mutu". The axis,
one for all panels, runs to 150% at least and 300% at most; a longer bar stops at the edge with a
mark (»), and its own figure is written out. A column at the right writes the median and the baku mutu as durations
(``bot.words.format``, one hari being the office's nominal working day, as in the report) and the
share. Step labels are wrapped over two lines and end in "…" when cut.

A log axis was used before; its bar lengths meant nothing to a reader (steps of "0 menit" drew long
bars), so the chart compares each step with its own standard instead.

Drawn with matplotlib's object API on the Agg canvas: no pyplot state, no GUI, safe to call from
any thread of the bot. matplotlib is imported when a chart is drawn, not when the bot starts.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.documents.layout import chars, fit_text
from bot.documents.reports import Report, SopFigures, StepFigures
from bot.words.format import (
    format_dates,
    format_working_duration,
    percent,
    short_kegiatan,
    waktu_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 120
WIDTH_IN = 12.0
GREEN = "#3c9a5f"
RED = "#d0493f"
GREY = "#6b7280"
LEFT, AXIS_W = 0.33, 0.40
"""Where a panel's axis starts and how wide it is, as shares of the figure's width."""
MIN_AXIS, MAX_AXIS = 1.5, 3.0
"""The axis runs at least to 150% of the baku mutu and at most to 300%."""
ROW_IN = 0.46
NAME_PT = 10.5


def _share(step: StepFigures) -> float | None:
    """The median as a share of the baku mutu, or None without one of them."""
    median, baku = step.time.median, step.baku_mutu_working
    if median is None or baku is None or baku <= timedelta(0):
        return None
    return median / baku


def _axis_end(sops: Sequence[SopFigures]) -> float:
    """One axis for every panel, so bars compare across SOPs too."""
    shares = [v for sop in sops for v in map(_share, sop.steps) if v is not None]
    longest = max(shares, default=0.0)
    return min(MAX_AXIS, max(MIN_AXIS, math.ceil(longest * 2 + 0.1) / 2))


def _value_text(step: StepFigures, day: timedelta) -> str:
    taken = step.time.median
    median = format_working_duration(taken, day) if taken is not None else "belum ada"
    text = f"{median} / {waktu_text(step.baku_mutu)}"
    share = _share(step)
    return f"{text} ({percent(share)})" if share is not None else text


def _colour(step: StepFigures) -> str:
    return RED if step.over_baku_mutu else GREEN


def _name_text(sop: SopFigures) -> str:
    # The full name, wrapped: it is the one place the chart names the SOP.
    return fit_text(sop.name, chars(WIDTH_IN * 0.96, NAME_PT), 6)


def _panel_height(sop: SopFigures) -> float:
    return 0.75 + ROW_IN * max(len(sop.steps), 1)


def _head_height(sop: SopFigures) -> float:
    return 0.45 + 0.2 * (_name_text(sop).count("\n") + 1)


def _draw_panel(
    fig: Figure, rect: Sequence[float], sop: SopFigures, report: Report, end: float
) -> Axes:
    ax = fig.add_axes((rect[0], rect[1], rect[2], rect[3]))
    day = report.day_length
    n = len(sop.steps)
    ax.set_xlim(0, end)
    ax.set_ylim(n - 0.5, -0.5)
    for i, step in enumerate(sop.steps):
        share = _share(step)
        if share is not None:
            ax.barh(i, min(share, end), left=0, height=0.58, color=_colour(step))
            if share > end:  # longer than the axis: a mark at the edge says it goes on
                ax.text(
                    end * 0.985,
                    i,
                    "»",
                    ha="right",
                    va="center",
                    fontsize=11,
                    weight="bold",
                    color="white",
                )
        else:
            why = "tanpa baku mutu" if step.baku_mutu_working is None else "belum ada yang dijawab"
            ax.text(
                end * 0.015,
                i,
                why,
                ha="left",
                va="center",
                fontsize=8.5,
                color=GREY,
                style="italic",
            )
        ax.text(
            1.015,
            i,
            _value_text(step, day),
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=9,
        )
    ax.axvline(1.0, color="black", linewidth=2.0)
    ax.set_yticks(range(n))
    label_chars = chars(LEFT * WIDTH_IN - 0.35, 8.5)
    ax.set_yticklabels(
        [
            fit_text(f"{s.number}. {short_kegiatan(s.kegiatan, 10_000)}", label_chars, 2)
            for s in sop.steps
        ],
        linespacing=1.05,
    )
    ax.tick_params(axis="y", labelsize=8.5, length=0)
    ticks = [i / 2 for i in range(int(end * 2) + 1)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{round(t * 100)}%" for t in ticks], fontsize=8)
    ax.minorticks_off()
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("median dibanding baku mutu (garis hitam = baku mutu, 100%)", fontsize=8)
    ax.text(
        1.015,
        -0.62,
        "median / baku mutu",
        transform=ax.get_yaxis_transform(),
        fontsize=8,
        color="#555555",
        va="bottom",
    )
    return ax


def step_chart_png(report: Report, code: str | None = None) -> bytes:
    """The chart as PNG bytes: every SOP of the report, or only ``code``'s (ValueError when the
    report has no such SOP)."""
    buffer = io.BytesIO()
    step_chart_figure(report, code).savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def step_chart_figure(report: Report, code: str | None = None) -> Figure:
    """The chart as a matplotlib ``Figure`` (to inspect its parts)."""
    from matplotlib.figure import Figure  # first, as in flowchart._Drawing
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if code is not None:
        found = report.sop(code)
        if found is None:
            raise ValueError(f"laporan tidak memuat SOP {code!r}")
        sops: tuple[SopFigures, ...] = (found,)
    else:
        sops = report.sops
    head_in, foot_in = 1.0, 1.0
    heights = [_head_height(s) + _panel_height(s) + 0.25 for s in sops]
    total = head_in + foot_in + (sum(heights) if sops else 1.5)
    fig = Figure(figsize=(WIDTH_IN, total), dpi=DPI)
    fig.patch.set_facecolor("white")
    fig.text(
        0.02,
        1 - 0.35 / total,
        "Median waktu kerja per langkah dibanding baku mutu",
        fontsize=14,
        weight="bold",
        va="center",
    )
    fig.text(
        0.02,
        1 - 0.72 / total,
        f"{report.office_name} · proses yang dimulai {format_dates(report.start, report.end)}",
        fontsize=10,
        va="center",
        color="#333333",
    )
    if not sops:
        fig.text(
            0.5,
            0.5,
            "Tidak ada proses yang dimulai dalam periode ini.",
            ha="center",
            va="center",
            fontsize=12,
        )
    top = total - head_in
    end = _axis_end(sops)
    for sop, height in zip(sops, heights, strict=True):
        fig.text(
            0.02,
            top / total,
            _name_text(sop),
            fontsize=NAME_PT,
            weight="bold",
            va="top",
            linespacing=1.2,
        )
        fig.text(
            0.02,
            (top - _head_height(sop) + 0.27) / total,
            f"{sop.code} · {sop.started} proses, {sop.finished} selesai",
            fontsize=9,
            color="#333333",
            va="top",
        )
        panel = _panel_height(sop)
        bottom = top - _head_height(sop) - panel + 0.45
        rect = (LEFT, bottom / total, AXIS_W, (panel - 0.45) / total)
        _draw_panel(fig, rect, sop, report, end)
        top -= height
    legend = [
        Patch(color=GREEN, label="median ≤ baku mutu"),
        Patch(color=RED, label="median > baku mutu"),
        Line2D([0], [0], color="black", linewidth=2.0, label="baku mutu (100%)"),
    ]
    fig.legend(
        handles=legend,
        loc="lower center",
        ncol=3,
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(0.5, 0.5 / total),
    )
    day = format_working_duration(report.day_length)
    fig.text(
        0.02,
        0.3 / total,
        "Panjang batang: median waktu kerja langkah dibagi baku mutunya, dari 0%. Langkah tanpa "
        "baku mutu tidak punya batang.",
        fontsize=8,
        color="#555555",
    )
    fig.text(
        0.02,
        0.12 / total,
        f"Jam kerja kantor saja; 1 hari = {day} kerja. Median dari langkah yang sudah dijawab.",
        fontsize=8,
        color="#555555",
    )
    return fig
