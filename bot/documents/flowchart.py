"""An SOP drawn as its paper form draws it: a PNG flowchart with one lane per role.

The layout follows the form: a row per step, top to bottom in step order, with the step's number
and kegiatan at the left, one column (lane) per role where the step's symbol sits, and the baku mutu
at the right; with ``columns`` also the form's Kelengkapan (before the baku mutu) and Output (after
it) columns. A ``tugas`` step is a box; a ``koreksi`` or ``persetujuan`` step is a diamond. Arrows
follow the flow: from "Mulai" to the first step, from each step to where each of its answers leads,
and from the last step to "Selesai". A decision's positive arrow carries its label ("Setuju",
"Tidak ada koreksi", wrapped to stay inside its lane) below the symbol. A negative answer's return
arrow leaves the diamond's right corner, labelled above the line with the answer ("Tidak Setuju",
"Ada koreksi"), climbs in a channel of its own to the right of every symbol and label it passes,
and enters the step it returns to from the right: a box at its side, a diamond on its lower right
edge, each return at a point of its own, so no two lines meet at one point and no line crosses a
label (channels are chosen so; ``tests/test_flowchart.py`` checks it). A text too long for its
place ends in "…". A step whose result is announced in the office group carries "→ grup". For a
process, the current step is highlighted (yellow, "sekarang") and the done steps are green with a
tick.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no GUI) in inch coordinates, at
150 dpi: 1700-2300 px wide for three to five lanes, so a phone can zoom in on it. matplotlib is
imported when a flowchart is drawn, not when the bot starts.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol

from bot.documents.layout import char_width, chars, fit_text
from bot.words.format import KIND_LABEL, normal_time_text, short_kegiatan, waktu_text
from sop.models import Kind, SopDefinition, Step
from storage.processes import StepRun

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 150
MARGIN = 0.3
NO_W = 0.5
KEGIATAN_W = 3.2
LANE_W = 1.9
WAKTU_W = 1.3
FORM_COLUMN_W = 2.1  # Kelengkapan and Output, with ``columns``
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


def _is_decision(step: Step) -> bool:
    return step.kind is not Kind.TUGAS


def flowchart_png(
    defn: SopDefinition,
    roles: RoleLabels,
    *,
    current_step: int | None = None,
    done_steps: Iterable[int] = (),
    title: str | None = None,
    columns: bool = False,
) -> bytes:
    """The SOP's flowchart as PNG bytes (see the module's docstring); ``columns`` adds the form's
    Kelengkapan and Output columns."""
    fig = flowchart_figure(
        defn,
        roles,
        current_step=current_step,
        done_steps=done_steps,
        title=title,
        columns=columns,
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
    columns: bool = False,
) -> Figure:
    """The flowchart as a matplotlib ``Figure`` (for another format, or to inspect its parts)."""
    return _Drawing(defn, roles, current_step, frozenset(done_steps), title, columns).draw()


@dataclass(frozen=True)
class _Column:
    left: float
    width: float
    head: str

    @property
    def cx(self) -> float:
        return self.left + self.width / 2


@dataclass(frozen=True)
class _Return:
    src: Step
    target: int
    label: str
    negative: bool


Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 in inches, y downwards."""


class _Drawing:
    def __init__(
        self,
        defn: SopDefinition,
        roles: RoleLabels,
        current: int | None,
        done: frozenset[int],
        title: str | None,
        columns: bool = False,
    ) -> None:
        self.defn = defn
        self.roles = roles
        self.current = current
        self.done = done
        self.title = title
        self.steps = sorted(defn.steps, key=lambda s: s.number)
        self.lanes = list(defn.lanes)
        self.lane_x0 = MARGIN + NO_W + KEGIATAN_W
        self.lanes_x1 = self.lane_x0 + LANE_W * len(self.lanes)
        self.columns = self._columns(columns)
        self.width = self.columns[-1].left + self.columns[-1].width + MARGIN
        self.top = MARGIN + TITLE_H + HEADER_H
        self.height = self.top + TERMINAL_H * 2 + ROW_H * len(self.steps) + LEGEND_H + MARGIN
        self.row_of = {s.number: i for i, s in enumerate(self.steps)}
        self.shapes = {s.number: self._shape(s) for s in self.steps}
        # What the return channels must not cross: lines drawn and texts placed so far.
        self.verticals: list[tuple[float, float, float]] = []  # x, y0, y1
        self.horizontals: list[tuple[float, float, float]] = []  # y, x0, x1
        self.labels: list[Box] = []
        self.entries: dict[int, int] = {}
        # A drawing's first matplotlib import, as the chart's: two threads drawing at once after
        # a start then wait for the same module, which loads the rest of matplotlib.
        from matplotlib.figure import Figure

        fig = Figure(figsize=(self.width, self.height), dpi=DPI)
        fig.patch.set_facecolor("white")
        self.fig = fig
        self.ax = fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, self.width)
        self.ax.set_ylim(self.height, 0)
        self.ax.axis("off")

    def _columns(self, form_columns: bool) -> list[_Column]:
        cols = [_Column(MARGIN, NO_W, "No"), _Column(MARGIN + NO_W, KEGIATAN_W, "Kegiatan")]
        cols += [
            _Column(self.lane_x0 + LANE_W * i, LANE_W, self.roles.label(role))
            for i, role in enumerate(self.lanes)
        ]
        x = self.lanes_x1
        tail = [(FORM_COLUMN_W, "Kelengkapan")] if form_columns else []
        tail.append((WAKTU_W, "Baku mutu"))
        if form_columns:
            tail.append((FORM_COLUMN_W, "Output"))
        for width, head in tail:
            cols.append(_Column(x, width, head))
            x += width
        return cols

    def _column(self, head: str) -> _Column | None:
        return next((c for c in self.columns[2 + len(self.lanes) :] if c.head == head), None)

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
            fit_text(name, chars(self.width - 2 * MARGIN, 13), 1),
            fontsize=13,
            weight="bold",
            color=INK,
            va="center",
        )
        normal = normal_time_text(self.defn)
        sub = f"{h.instansi} · SOP Nomor {h.nomor} · waktu normal {normal}"
        if self.title:
            sub = f"{h.nama} · " + sub
        self.ax.text(
            MARGIN,
            MARGIN + 0.5,
            fit_text(sub, chars(self.width - 2 * MARGIN, 8.5), 2),
            fontsize=8.5,
            color="#52606d",
            va="top",
            linespacing=1.3,
        )

    def _grid(self) -> None:
        from matplotlib.patches import Rectangle

        ax = self.ax
        x0, x1 = MARGIN, self.width - MARGIN
        y0 = MARGIN + TITLE_H
        y1 = self.top + TERMINAL_H * 2 + ROW_H * len(self.steps)
        ax.add_patch(Rectangle((x0, y0), x1 - x0, HEADER_H, facecolor=HEAD_FILL, edgecolor=GRID))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=GRID, lw=1))
        for col in self.columns:
            ax.plot([col.left, col.left], [y0, y1], color=GRID, lw=1)
            ax.text(
                col.cx,
                y0 + HEADER_H / 2,
                fit_text(col.head, chars(col.width - 0.16, 8.5), 3),
                ha="center",
                va="center",
                fontsize=8.5,
                weight="bold",
                color=INK,
            )
        for row in range(len(self.steps) + 1):
            y = self.top + TERMINAL_H + ROW_H * row
            ax.plot([x0, x1], [y, y], color=GRID, lw=0.7)

    def _cell(self, col: _Column, cy: float, text: str, *, lines: int = 7) -> None:
        """A form column's text in a step's row, from its left edge, cut with "…" if too long."""
        self.ax.text(
            col.left + 0.1,
            cy,
            fit_text(text, chars(col.width - 0.2, 8), lines),
            ha="left",
            va="center",
            fontsize=8,
            color=INK,
            linespacing=1.25,
        )

    def _row_text(self, step: Step) -> None:
        cy = self._row_cy(self.row_of[step.number])
        self.ax.text(MARGIN + NO_W / 2, cy, f"{step.number}.", ha="center", va="center", fontsize=9)
        self._cell(self.columns[1], cy, short_kegiatan(step.kegiatan, 10_000))
        for head, text in (("Kelengkapan", step.kelengkapan), ("Output", step.output)):
            col = self._column(head)
            if col is not None:
                self._cell(col, cy, text or "—")
        waktu = self._column("Baku mutu")
        self.ax.text(
            waktu.cx if waktu is not None else self.width - MARGIN - WAKTU_W / 2,
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
        from matplotlib.patches import FancyBboxPatch, Polygon

        s = self.shapes[step.number]
        fill, edge, lw = self._colours(step.number)
        tick = "✓ " if step.number in self.done and step.number != self.current else ""
        if _is_decision(step):
            points = [(s.cx, s.top), (s.right, s.cy), (s.cx, s.bottom), (s.left, s.cy)]
            self.ax.add_patch(Polygon(points, closed=True, facecolor=fill, edgecolor=edge, lw=lw))
            self._number(s.cx, s.cy - 0.1, f"{tick}{step.number}")
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
            self._number(s.cx, s.top + 0.14, f"{tick}{step.number}")
            self.ax.text(
                s.cx,
                s.top + 0.43,
                fit_text(short_kegiatan(step.kegiatan, 10_000), chars(s.w - 0.1, 6.5), 2),
                ha="center",
                va="center",
                fontsize=6.5,
                color=INK,
                linespacing=1.1,
            )
        # Below the symbol, right of the line that leaves it: inside the lane, clear of the
        # answers' labels (left of the line, and right of the symbol's corner).
        y = s.bottom + 0.05
        for text, colour, shown in (
            ("sekarang", CURRENT_EDGE, step.number == self.current),
            ("→ grup", ANNOUNCE_INK, step.announce),
        ):
            if not shown:
                continue
            x = s.cx + 0.08
            self.ax.text(x, y, text, ha="left", va="top", fontsize=7, weight="bold", color=colour)
            self.labels.append((x, y, x + len(text) * char_width(7.6), y + 0.13))
            y += 0.13

    # -- arrows --

    def _number(self, x: float, y: float, text: str) -> None:
        """A step's number in its symbol."""
        self.ax.text(x, y, text, ha="center", va="center", fontsize=10, weight="bold", color=INK)

    def _arrow(self, points: Sequence[tuple[float, float]], colour: str = INK) -> None:
        from matplotlib.patches import FancyArrowPatch
        from matplotlib.path import Path

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
        for (xa, ya), (xb, yb) in pairwise(points):
            if abs(xa - xb) < 1e-9:
                self.verticals.append((xa, min(ya, yb), max(ya, yb)))
            else:
                self.horizontals.append((ya, min(xa, xb), max(xa, xb)))

    def _down(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """From a bottom point down to a top point, turning once between them when lanes
        differ."""
        if abs(x0 - x1) < 1e-6:
            self._arrow([(x0, y0), (x1, y1)])
            return
        mid = y1 - 0.1  # turn just above the target, below the label of the answer above it
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
        returns: list[_Return] = []
        for step in self.steps:
            returns += self._step_arrows(step, end.cx, end_y - 0.2)
        for r in returns:
            self._return_label(r)
        # Inner returns first, so the channels of those that span them lie further out.
        spans = sorted(returns, key=lambda r: self.row_of[r.src.number] - self.row_of[r.target])
        for r in spans:
            self._return(r)

    def _terminal(self, cx: float, cy: float, text: str) -> None:
        from matplotlib.patches import Ellipse

        self.ax.add_patch(Ellipse((cx, cy), 1.0, 0.4, facecolor=HEAD_FILL, edgecolor=INK, lw=1.2))
        self.ax.text(cx, cy, text, ha="center", va="center", fontsize=8.5, weight="bold")

    def _step_arrows(self, step: Step, end_x: float, end_top: float) -> list[_Return]:
        """Draws the arrows that go down from ``step``; returns those that go back up."""
        src = self.shapes[step.number]
        targets: dict[int | None, list[str]] = {}
        negative: dict[int | None, bool] = {}
        for choice in step.effective_choices:
            target = self.defn.target(step, choice)
            targets.setdefault(target, []).append(choice.label)
            negative[target] = negative.get(target, False) or not choice.positive
        decision = _is_decision(step) or len(step.effective_choices) > 1
        returns = []
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
                returns.append(_Return(step, target, label or "", negative[target]))
        return returns

    def _label_below(self, src: _Shape, label: str | None) -> None:
        """A positive answer's label, left of the line going down, inside the lane."""
        if not label:
            return
        room = LANE_W / 2 - 0.06 - 0.1
        text = fit_text(label, chars(room, 7), 2)
        x, y = src.cx - 0.06, src.bottom + 0.04
        self.ax.text(
            x,
            y,
            text,
            ha="right",
            va="top",
            fontsize=7,
            color=INK,
            style="italic",
            linespacing=1.1,
        )
        lines = text.count("\n") + 1
        width = max(len(line) for line in text.splitlines()) * char_width(7)
        self.labels.append((x - width, y, x, y + lines * 0.12))

    def _return_label(self, r: _Return) -> None:
        """A negative answer's label, above the line that leaves the step's right side."""
        src = self.shapes[r.src.number]
        colour = RETURN_INK if r.negative else INK
        x, y = src.right + 0.06, src.cy - 0.04
        self.ax.text(
            x,
            y,
            r.label,
            ha="left",
            va="bottom",
            fontsize=7,
            weight="bold",
            color=colour,
            bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none"},
        )
        self.labels.append((x - 0.02, y - 0.15, x + len(r.label) * char_width(7.6) + 0.02, y))

    def _entry(self, dst: Step) -> tuple[float, float]:
        """Where a return enters its target, a point of its own for each return: a box at its
        right side, a diamond on its lower right edge (its right corner is where its own answer
        leaves)."""
        shape = self.shapes[dst.number]
        k = self.entries.get(dst.number, 0)
        self.entries[dst.number] = k + 1
        if _is_decision(dst):
            t = min(0.5 + 0.2 * k, 0.9)  # from the right corner (0) to the bottom corner (1)
            return shape.right - shape.w / 2 * t, shape.cy + shape.h / 2 * t
        return shape.right, min(shape.cy + 0.14 * k, shape.bottom - 0.08)

    def _free(self, x: float, y_top: float, y_src: float, lines: Sequence[Box]) -> bool:
        """Whether a channel at ``x`` from ``y_top`` down to ``y_src``, with its two horizontal
        lines (``lines``: the leaving and the entering one), crosses nothing drawn or placed."""
        pad = 0.05
        for xv, y0, y1 in self.verticals:
            if abs(xv - x) < 0.09 and y0 < y_src and y1 > y_top:
                return False
            for hx0, hy, hx1, _ in lines:
                if hx0 - pad < xv < hx1 + pad and y0 < hy < y1:
                    return False
        for hy, x0, x1 in self.horizontals:
            if x0 - pad < x < x1 + pad and y_top - pad < hy < y_src + pad:
                return False
        for bx0, by0, bx1, by1 in self.labels:
            if bx0 - pad < x < bx1 + pad and by0 < y_src and by1 > y_top:
                return False
            for hx0, hy, hx1, _ in lines:
                if by0 < hy < by1 and bx0 < hx1 and bx1 > hx0 + 0.01:
                    return False
        return True

    def _return(self, r: _Return) -> None:
        src = self.shapes[r.src.number]
        dst_step = self.defn.step(r.target)
        ex, ey = self._entry(dst_step)
        rows = range(self.row_of[r.target], self.row_of[r.src.number] + 1)
        # Right of every symbol in the rows it passes.
        x = max(self.shapes[self.steps[i].number].right for i in rows) + 0.14
        limit = self.lanes_x1 + 0.45
        while x < limit:
            lines = [(src.right, src.cy, x, src.cy), (ex, ey, x, ey)]
            if self._free(x, ey, src.cy, lines):
                break
            x += 0.1
        colour = RETURN_INK if r.negative else INK
        self._arrow([(src.right, src.cy), (x, src.cy), (x, ey), (ex, ey)], colour)

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
        per_line = int((self.width - 2 * MARGIN) / char_width(7.5))
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
