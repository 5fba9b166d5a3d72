"""An SOP drawn as its paper form draws it: a PNG flowchart with one lane per role.

The layout follows the form: a row per step, top to bottom in step order, with the step's number
and kegiatan at the left, one column (lane) per role where the step's symbol sits, and the baku mutu
at the right. A ``tugas`` step is a box; a ``koreksi`` or ``persetujuan`` step is a diamond. Arrows
follow the flow: from "Mulai" to the first step, from each step to where each of its answers leads,
and from the last step to "Selesai". A decision's positive arrow carries its label ("Setuju",
"Tidak ada koreksi"); a negative answer's return arrow leaves the diamond to the right, climbs in a
channel beside the lanes' symbols and enters the step it returns to from the right, labelled with
the answer ("Tidak Setuju", "Ada koreksi"). A step whose result is announced in the office group
carries "→ grup". For a process, the current step is highlighted (yellow, "sekarang") and the done
steps are green with a tick.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no GUI) in inch coordinates, at
150 dpi: 1700-2300 px wide for three to five lanes, so a phone can zoom in on it.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle
from matplotlib.path import Path

from bot.words.format import KIND_LABEL, normal_time_text, short_kegiatan, waktu_text
from sop.models import Kind, SopDefinition, Step
from storage.processes import StepRun

DPI = 150
MARGIN = 0.3
NO_W = 0.5
KEGIATAN_W = 3.2
LANE_W = 1.9
WAKTU_W = 1.3
TITLE_H = 1.0
HEADER_H = 0.75
TERMINAL_H = 0.7
ROW_H = 1.3
LEGEND_H = 0.6
BOX_W, BOX_H = 1.32, 0.66
DIAMOND_W, DIAMOND_H = 1.36, 0.86

INK = "#1f2933"
GRID = "#c5ccd3"
HEAD_FILL = "#e4eaf1"
BOX_FILL = "#ffffff"
DONE_FILL = "#cfead6"
DONE_EDGE = "#2f8a4c"
CURRENT_FILL = "#ffe27a"
CURRENT_EDGE = "#d9822b"
RETURN_INK = "#b23b3b"
ANNOUNCE_INK = "#2364aa"


class RoleLabels(Protocol):
    """Anything that names a role for people (``sop.models.RoleBook``)."""

    def label(self, key: str) -> str: ...


@dataclass(frozen=True)
class _Shape:
    cx: float
    cy: float
    w: float
    h: float

    @property
    def left(self) -> float:
        return self.cx - self.w / 2

    @property
    def right(self) -> float:
        return self.cx + self.w / 2

    @property
    def top(self) -> float:
        return self.cy - self.h / 2

    @property
    def bottom(self) -> float:
        return self.cy + self.h / 2


def progress_marks(
    status: str, current_step: int | None, runs: Sequence[StepRun]
) -> tuple[int | None, frozenset[int]]:
    """``(current_step, done_steps)`` of a process for ``flowchart_png``: the current step while
    it runs, and every step answered at least once (a cancelled run does not count)."""
    done = frozenset(r.step for r in runs if r.done_at is not None and r.outcome != "batal")
    current = current_step if status == "running" else None
    return current, done - ({current} if current is not None else set())


def _char_width(points: float) -> float:
    """The average width in inches of a DejaVu Sans character at ``points``."""
    return 0.56 * points / 72


def _is_decision(step: Step) -> bool:
    return step.kind is not Kind.TUGAS


def flowchart_png(
    defn: SopDefinition,
    roles: RoleLabels,
    *,
    current_step: int | None = None,
    done_steps: Iterable[int] = (),
    title: str | None = None,
) -> bytes:
    """The SOP's flowchart as PNG bytes (see the module's docstring)."""
    fig = flowchart_figure(
        defn, roles, current_step=current_step, done_steps=done_steps, title=title
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def flowchart_figure(
    defn: SopDefinition,
    roles: RoleLabels,
    *,
    current_step: int | None = None,
    done_steps: Iterable[int] = (),
    title: str | None = None,
) -> Figure:
    """The flowchart as a matplotlib ``Figure`` (for another format, or to inspect its parts)."""
    return _Drawing(defn, roles, current_step, frozenset(done_steps), title).draw()


class _Drawing:
    def __init__(
        self,
        defn: SopDefinition,
        roles: RoleLabels,
        current: int | None,
        done: frozenset[int],
        title: str | None,
    ) -> None:
        self.defn = defn
        self.roles = roles
        self.current = current
        self.done = done
        self.title = title
        self.steps = sorted(defn.steps, key=lambda s: s.number)
        self.lanes = list(defn.lanes)
        self.width = 2 * MARGIN + NO_W + KEGIATAN_W + LANE_W * len(self.lanes) + WAKTU_W
        self.top = MARGIN + TITLE_H + HEADER_H
        self.height = self.top + TERMINAL_H * 2 + ROW_H * len(self.steps) + LEGEND_H + MARGIN
        self.lane_x0 = MARGIN + NO_W + KEGIATAN_W
        self.row_of = {s.number: i for i, s in enumerate(self.steps)}
        self.shapes = {s.number: self._shape(s) for s in self.steps}
        self.channels: dict[int, int] = {}
        fig = Figure(figsize=(self.width, self.height), dpi=DPI)
        fig.patch.set_facecolor("white")
        self.fig = fig
        self.ax = fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, self.width)
        self.ax.set_ylim(self.height, 0)
        self.ax.axis("off")

    # -- geometry --

    def _lane_cx(self, role: str) -> float:
        index = self.lanes.index(role) if role in self.lanes else 0
        return self.lane_x0 + LANE_W * (index + 0.5)

    def _row_cy(self, row: int) -> float:
        return self.top + TERMINAL_H + ROW_H * (row + 0.5)

    def _shape(self, step: Step) -> _Shape:
        cx, cy = self._lane_cx(step.pelaksana), self._row_cy(self.row_of[step.number])
        if _is_decision(step):
            return _Shape(cx, cy, DIAMOND_W, DIAMOND_H)
        return _Shape(cx, cy, BOX_W, BOX_H)

    # -- drawing --

    def draw(self) -> Figure:
        self._titles()
        self._grid()
        for step in self.steps:
            self._row_text(step)
            self._symbol(step)
        self._flow()
        self._legend()
        return self.fig

    def _titles(self) -> None:
        h = self.defn.header
        name = self.title or h.nama
        self.ax.text(
            MARGIN,
            MARGIN + 0.22,
            textwrap.shorten(name, 150, placeholder="…"),
            fontsize=13,
            weight="bold",
            color=INK,
            va="center",
        )
        normal = normal_time_text(self.defn)
        sub = f"{h.instansi} · SOP Nomor {h.nomor} · waktu normal {normal}"
        if self.title:
            sub = f"{h.nama} · " + sub
        per_line = int((self.width - 2 * MARGIN) / _char_width(8.5))
        self.ax.text(
            MARGIN,
            MARGIN + 0.5,
            "\n".join(textwrap.wrap(sub, per_line)[:2]),
            fontsize=8.5,
            color="#52606d",
            va="top",
            linespacing=1.3,
        )

    def _grid(self) -> None:
        ax = self.ax
        x0, x1 = MARGIN, self.width - MARGIN
        y0 = MARGIN + TITLE_H
        y1 = self.top + TERMINAL_H * 2 + ROW_H * len(self.steps)
        ax.add_patch(Rectangle((x0, y0), x1 - x0, HEADER_H, facecolor=HEAD_FILL, edgecolor=GRID))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=GRID, lw=1))
        heads = [(MARGIN, NO_W, "No"), (MARGIN + NO_W, KEGIATAN_W, "Kegiatan")]
        heads += [
            (self.lane_x0 + LANE_W * i, LANE_W, self.roles.label(role))
            for i, role in enumerate(self.lanes)
        ]
        heads.append((self.lane_x0 + LANE_W * len(self.lanes), WAKTU_W, "Baku mutu"))
        for left, width, text in heads:
            ax.plot([left, left], [y0, y1], color=GRID, lw=1)
            ax.text(
                left + width / 2,
                y0 + HEADER_H / 2,
                "\n".join(textwrap.wrap(text, 20)[:3]),
                ha="center",
                va="center",
                fontsize=8.5,
                weight="bold",
                color=INK,
            )
        for row in range(len(self.steps) + 1):
            y = self.top + TERMINAL_H + ROW_H * row
            ax.plot([x0, x1], [y, y], color=GRID, lw=0.7)

    def _row_text(self, step: Step) -> None:
        cy = self._row_cy(self.row_of[step.number])
        self.ax.text(MARGIN + NO_W / 2, cy, f"{step.number}.", ha="center", va="center", fontsize=9)
        lines = textwrap.wrap(short_kegiatan(step.kegiatan, 130), 44)
        self.ax.text(
            MARGIN + NO_W + 0.1,
            cy,
            "\n".join(lines[:4]),
            ha="left",
            va="center",
            fontsize=8,
            color=INK,
            linespacing=1.25,
        )
        self.ax.text(
            self.width - MARGIN - WAKTU_W / 2,
            cy,
            waktu_text(step.waktu),
            ha="center",
            va="center",
            fontsize=9,
            color=INK,
        )

    def _colours(self, number: int) -> tuple[str, str, float]:
        if number == self.current:
            return CURRENT_FILL, CURRENT_EDGE, 2.6
        if number in self.done:
            return DONE_FILL, DONE_EDGE, 1.6
        return BOX_FILL, INK, 1.2

    def _symbol(self, step: Step) -> None:
        s = self.shapes[step.number]
        fill, edge, lw = self._colours(step.number)
        tick = "✓ " if step.number in self.done and step.number != self.current else ""
        if _is_decision(step):
            points = [(s.cx, s.top), (s.right, s.cy), (s.cx, s.bottom), (s.left, s.cy)]
            self.ax.add_patch(Polygon(points, closed=True, facecolor=fill, edgecolor=edge, lw=lw))
            self.ax.text(
                s.cx,
                s.cy - 0.1,
                f"{tick}{step.number}",
                ha="center",
                va="center",
                fontsize=10,
                weight="bold",
                color=INK,
            )
            self.ax.text(
                s.cx,
                s.cy + 0.13,
                KIND_LABEL[step.kind],
                ha="center",
                va="center",
                fontsize=6.5,
                color=INK,
            )
        else:
            self.ax.add_patch(
                FancyBboxPatch(
                    (s.left, s.top),
                    s.w,
                    s.h,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor=fill,
                    edgecolor=edge,
                    lw=lw,
                )
            )
            self.ax.text(
                s.cx,
                s.top + 0.14,
                f"{tick}{step.number}",
                ha="center",
                va="center",
                fontsize=10,
                weight="bold",
                color=INK,
            )
            words = textwrap.wrap(short_kegiatan(step.kegiatan, 40), 21)[:2]
            self.ax.text(
                s.cx,
                s.top + 0.43,
                "\n".join(words),
                ha="center",
                va="center",
                fontsize=6.5,
                color=INK,
                linespacing=1.1,
            )
        if step.number == self.current:
            self.ax.text(
                s.left - 0.04,
                s.top,
                "sekarang",
                ha="right",
                va="bottom",
                fontsize=7,
                weight="bold",
                color=CURRENT_EDGE,
            )
        if step.announce:
            self.ax.text(
                s.cx + 0.08,
                s.bottom + 0.05,
                "→ grup",
                ha="left",
                va="top",
                fontsize=7,
                weight="bold",
                color=ANNOUNCE_INK,
            )

    # -- arrows --

    def _arrow(self, points: Sequence[tuple[float, float]], colour: str = INK) -> None:
        codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
        self.ax.add_patch(
            FancyArrowPatch(
                path=Path(points, codes),
                arrowstyle="-|>",
                mutation_scale=11,
                lw=1.2,
                color=colour,
                shrinkA=0,
                shrinkB=0,
            )
        )

    def _down(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """From a bottom point down to a top point, turning once between them when lanes
        differ."""
        if abs(x0 - x1) < 1e-6:
            self._arrow([(x0, y0), (x1, y1)])
            return
        mid = y1 - 0.14  # turn just above the target, off the row's grid line
        self._arrow([(x0, y0), (x0, mid), (x1, mid), (x1, y1)])

    def _flow(self) -> None:
        first = self.shapes[self.defn.first.number]
        start_y = self.top + TERMINAL_H / 2
        self._terminal(first.cx, start_y, "Mulai")
        self._arrow([(first.cx, start_y + 0.2), (first.cx, first.top)])
        enders = [
            s
            for s in self.steps
            if any(self.defn.target(s, c) is None for c in s.effective_choices)
        ]
        last = max(enders or self.steps, key=lambda s: s.number)
        end = self.shapes[last.number]
        end_y = self.top + TERMINAL_H + ROW_H * len(self.steps) + TERMINAL_H / 2
        self._terminal(end.cx, end_y, "Selesai")
        for step in self.steps:
            self._step_arrows(step, end.cx, end_y - 0.2)

    def _terminal(self, cx: float, cy: float, text: str) -> None:
        self.ax.add_patch(Ellipse((cx, cy), 1.0, 0.4, facecolor=HEAD_FILL, edgecolor=INK, lw=1.2))
        self.ax.text(cx, cy, text, ha="center", va="center", fontsize=8.5, weight="bold")

    def _step_arrows(self, step: Step, end_x: float, end_top: float) -> None:
        src = self.shapes[step.number]
        targets: dict[int | None, list[str]] = {}
        negative: dict[int | None, bool] = {}
        for choice in step.effective_choices:
            target = self.defn.target(step, choice)
            targets.setdefault(target, []).append(choice.label)
            negative[target] = negative.get(target, False) or not choice.positive
        decision = _is_decision(step) or len(step.effective_choices) > 1
        for target, labels in targets.items():
            label = " / ".join(labels) if decision else None
            if target is None:
                self._down(src.cx, src.bottom, end_x, end_top)
                self._label_below(src, label)
                continue
            dst = self.shapes[target]
            if self.row_of[target] > self.row_of[step.number]:
                self._down(src.cx, src.bottom, dst.cx, dst.top)
                self._label_below(src, label)
            else:
                self._return(src, dst, label if label else "", negative[target])

    def _label_below(self, src: _Shape, label: str | None) -> None:
        if not label:
            return
        self.ax.text(
            src.cx - 0.06,
            src.bottom + 0.04,
            label,
            ha="right",
            va="top",
            fontsize=7,
            color=INK,
            style="italic",
        )

    def _return(self, src: _Shape, dst: _Shape, label: str, negative: bool) -> None:
        lane_right = max(src.cx, dst.cx) + LANE_W / 2
        key = round((lane_right - self.lane_x0) / LANE_W)
        k = self.channels.get(key, 0)
        self.channels[key] = k + 1
        x = min(max(src.right, dst.right) + 0.1 + 0.09 * k, lane_right - 0.05)
        colour = RETURN_INK if negative else INK
        # Enter above the middle: a diamond's right corner is where its own answers leave.
        y = dst.cy - dst.h / 4
        inset = dst.w / 4 if dst.h == DIAMOND_H else 0.0
        self._arrow([(src.right, src.cy), (x, src.cy), (x, y), (dst.right - inset, y)], colour)
        self.ax.text(
            src.right + 0.05,
            src.cy + 0.05,
            label,
            ha="left",
            va="top",
            fontsize=7,
            weight="bold",
            color=colour,
            bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none"},
        )

    def _legend(self) -> None:
        y = self.height - MARGIN - LEGEND_H / 2
        parts = [
            "□ tugas",
            "◇ keputusan (koreksi/persetujuan)",
            "merah: jawaban negatif kembali ke langkah sebelumnya",
            "→ grup: hasil diumumkan di grup kantor",
        ]
        if self.current is not None or self.done:
            parts.append("kuning: langkah sekarang; hijau ✓: sudah dikerjakan")
        per_line = int((self.width - 2 * MARGIN) / _char_width(7.5))
        lines: list[str] = []
        for part in parts:
            if lines and len(lines[-1]) + 7 + len(part) <= per_line:
                lines[-1] += "   ·   " + part
            else:
                lines.append(part)
        self.ax.text(
            MARGIN,
            y,
            "\n".join(lines),
            ha="left",
            va="center",
            fontsize=7.5,
            color="#52606d",
            linespacing=1.4,
        )
