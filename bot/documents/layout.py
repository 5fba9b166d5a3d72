"""Text in a place of fixed size on a picture: how much fits, and cutting it so a reader sees it
goes on ("…"). Shared by the flowchart and the report's chart (DejaVu Sans, matplotlib's font)."""

from __future__ import annotations

import textwrap


def char_width(points: float) -> float:
    """The average width in inches of a DejaVu Sans character at ``points``."""
    return 0.56 * points / 72


def chars(width: float, points: float) -> int:
    """How many characters of ``points`` size fit in ``width`` inches, with room to spare for
    wide letters."""
    return max(4, int(width / char_width(points) * 0.9))


def fit_text(text: str, per_line: int, lines: int) -> str:
    """``text`` wrapped to ``per_line`` characters a line; when it needs more than ``lines`` lines
    it is cut at a word and ends in "…"."""
    wrapped = textwrap.wrap(" ".join(text.split()), per_line, break_on_hyphens=False)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    kept = wrapped[:lines]
    last = kept[-1]
    while len(last) + 1 > per_line and " " in last:
        last = last[: last.rindex(" ")]
    kept[-1] = last[: per_line - 1].rstrip(" ,;:.-") + "…"
    return "\n".join(kept)
