"""The report's chart: each step's median working time against its baku mutu, as one PNG.

One figure holds every SOP of the report (or one SOP, given its code), a panel per SOP and a
horizontal bar per step: the bar is the median working time of the step's answered runs (green
within the baku mutu, red over it, grey when the SOP states no waktu), a black tick marks the baku
mutu, and a column at the right writes both out. The time axis is logarithmic because a step of
10 menit and one of 2 hari sit in the same SOP; its ticks read in menit, jam and hari (one hari being
the office's nominal working day, as in the report).

Drawn with matplotlib's object API on the Agg canvas: no pyplot state, no GUI, safe to call from
any thread of the bot.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.documents.reports import Report, SopFigures, StepFigures
from bot.words.format import (
    duration_words,
    format_dates,
    format_working_duration,
    short_kegiatan,
    waktu_text,
)

DPI = 120
WIDTH_IN = 12.0
GREEN = "#3c9a5f"
RED = "#d0493f"
GREY = "#9aa0a6"


def _minutes(td: timedelta) -> float:
    return td / timedelta(minutes=1)


def _ticks(day: timedelta, lo: float, hi: float) -> tuple[list[float], list[str]]:
    day_min = _minutes(day) or 24 * 60
    candidates: list[tuple[float, str]] = [(m, duration_words(0, m)) for m in (1, 5, 15, 60, 240)]
    candidates += [(n * day_min, duration_words(n, 0)) for n in (1, 2, 5, 10, 20, 60)]
    # Drop a tick crowding the hari tick (4 jam and 1 hari of a short day).
    chosen = [(v, t) for v, t in candidates if lo <= v <= hi]
    spaced: list[tuple[float, str]] = []
    for v, t in chosen:
        if spaced and v / spaced[-1][0] < 1.6:
            if t.endswith("hari"):
                spaced[-1] = (v, t)
            continue
        spaced.append((v, t))
    return [v for v, _ in spaced], [t for _, t in spaced]


def _value_text(step: StepFigures, day: timedelta) -> str:
    taken = step.time.median
    median = format_working_duration(taken, day) if taken is not None else "belum ada"
    return f"{median} / {waktu_text(step.baku_mutu)}"


def _colour(step: StepFigures) -> str:
    if step.baku_mutu_working is None:
        return GREY
    return RED if step.over_baku_mutu else GREEN


def _panel_height(sop: SopFigures) -> float:
    return 0.9 + 0.42 * max(len(sop.steps), 1)


def _draw_panel(fig: Figure, rect: Sequence[float], sop: SopFigures, report: Report) -> None:
    ax = fig.add_axes((rect[0], rect[1], rect[2], rect[3]))
    day = report.day_length
    values = [_minutes(s.time.median) for s in sop.steps if s.time.median is not None]
    values += [_minutes(s.baku_mutu_working) for s in sop.steps if s.baku_mutu_working]
    lo = min([1.0, *[v / 2 for v in values if v > 0]])
    hi = max([60.0, *[v * 1.5 for v in values]])
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    n = len(sop.steps)
    ax.set_ylim(n - 0.4, -0.6)
    for i, step in enumerate(sop.steps):
        if step.time.median is not None:
            width = max(_minutes(step.time.median), lo * 1.05)
            ax.barh(i, width - lo, left=lo, height=0.6, color=_colour(step))
        if step.baku_mutu_working is not None:
            x = _minutes(step.baku_mutu_working)
            ax.plot([x, x], [i - 0.42, i + 0.42], color="black", linewidth=2.4)
        ax.text(
            1.01,
            i,
            _value_text(step, day),
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=9,
        )
    ax.set_yticks(range(n))
    ax.set_yticklabels([f"{s.number}. {short_kegiatan(s.kegiatan, 44)}" for s in sop.steps])
    ax.tick_params(axis="y", labelsize=9)
    ticks, labels = _ticks(day, lo, hi)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=8)
    ax.minorticks_off()
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    name = sop.name if len(sop.name) <= 60 else sop.name[:59].rstrip() + "…"
    ax.set_title(
        f"{name}\n{sop.code} · {sop.started} proses, {sop.finished} selesai",
        fontsize=10,
        loc="left",
    )
    ax.text(
        1.01,
        -0.9,
        "median / baku mutu",
        transform=ax.get_yaxis_transform(),
        fontsize=8,
        color="#555555",
        va="bottom",
    )


def step_chart_png(report: Report, code: str | None = None) -> bytes:
    """The chart as PNG bytes: every SOP of the report, or only ``code``'s (ValueError when the
    report has no such SOP)."""
    if code is not None:
        found = report.sop(code)
        if found is None:
            raise ValueError(f"laporan tidak memuat SOP {code!r}")
        sops: tuple[SopFigures, ...] = (found,)
    else:
        sops = report.sops
    head_in, foot_in = 1.0, 0.9
    heights = [_panel_height(s) + 1.0 for s in sops]
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
    left, width = 0.35, 0.42
    for sop, height in zip(sops, heights, strict=True):
        panel = _panel_height(sop)
        bottom = top - 0.6 - panel
        _draw_panel(fig, (left, bottom / total, width, panel / total), sop, report)
        top -= height
    legend = [
        Patch(color=GREEN, label="median ≤ baku mutu"),
        Patch(color=RED, label="median > baku mutu"),
        Patch(color=GREY, label="tanpa baku mutu"),
        Line2D([0], [0], color="black", linewidth=2.4, label="baku mutu"),
    ]
    fig.legend(
        handles=legend,
        loc="lower center",
        ncol=4,
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(0.5, 0.32 / total),
    )
    day = format_working_duration(report.day_length)
    fig.text(
        0.02,
        0.12 / total,
        f"Jam kerja kantor saja; 1 hari = {day} kerja. Median dari langkah yang sudah dijawab.",
        fontsize=8,
        color="#555555",
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()
