"""An SOP as plain text: the catalogue rows of ``sopbot sop check`` and the form of ``sop show``.

``form`` fits a given width (the terminal's, at least ``MIN_WIDTH``): the form's table when its
columns fit, otherwise one block per step with the same cells.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from bot.words.format import format_long_date, kind_label, normal_time_text, waktu_text
from sop.models import Kind, RoleBook, SopDefinition, Step

MIN_WIDTH = 60
"""The narrowest layout: a narrower terminal wraps the lines itself."""
LANE_W = 12
TEXT_MIN = 14
"""The narrowest a text column (kegiatan, kelengkapan, output) may be in the table."""
TEXT_MAX = 60
TEXT_SHARES = (44, 24, 26)
"""How the table shares its width among kegiatan, kelengkapan and output."""


def catalogue(definitions: Iterable[SopDefinition]) -> str:
    rows = [("KODE", "NAMA SOP", "LANGKAH", "WAKTU NORMAL")]
    for d in definitions:
        name = d.header.nama if len(d.header.nama) <= 60 else d.header.nama[:59] + "…"
        rows.append((d.code, name, str(len(d.steps)), normal_time_text(d)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows
    )


def _wrap(text: str, width: int, lead: str = "", indent: str | None = None) -> list[str]:
    rest = " " * len(lead) if indent is None else indent
    return textwrap.wrap(text, width=width, initial_indent=lead, subsequent_indent=rest) or [lead]


def _items(title: str, items: tuple[str, ...], width: int, numbered: bool = True) -> list[str]:
    if not items:
        return [f"{title}: -"]
    lines = [f"{title}:"]
    for i, item in enumerate(items, start=1):
        lines += _wrap(item, width, f"  {i}. " if numbered else "  - ")
    return lines


def form(defn: SopDefinition, roles: RoleBook, width: int = 100) -> str:
    """The SOP as the paper form lays it out, within ``width`` columns: header block, then one row
    per step with a mark in the actor's lane (■ a task, ◆ a decision) and the baku mutu columns
    (one block per step when the table's columns do not fit)."""
    width = max(width, MIN_WIDTH)
    h = defn.header
    approved = format_long_date(h.tanggal_pengesahan) if h.tanggal_pengesahan else "-"
    lines = [*_wrap(h.instansi.upper(), width), ""]
    for label, value in (
        ("Nomor SOP", h.nomor),
        ("Tanggal Pengesahan", approved),
        ("Disahkan oleh", h.disahkan_oleh),
        ("Nama SOP", h.nama),
    ):
        lines += _wrap(value, width, f"{label:<19}: ")
    lines.append("")
    lines += _items("DASAR HUKUM", h.dasar_hukum, width)
    lines += _items("KUALIFIKASI PELAKSANA", h.kualifikasi_pelaksana, width, numbered=False)
    lines += _items("KETERKAITAN", h.keterkaitan, width)
    lines += _items("PERALATAN/PERLENGKAPAN", h.peralatan, width)
    lines += _items("PERINGATAN", h.peringatan, width, numbered=False)
    lines += _items("PENCATATAN DAN PENDATAAN", h.pencatatan, width, numbered=False)
    if h.evaluasi:
        lines += ["", *_wrap(h.evaluasi, width, "Evaluasi: ")]
    lines.append("")
    table = _table(defn, roles, width)
    lines += table if table is not None else _blocks(defn, roles, width)
    lines += ["", *_wrap(normal_time_text(defn), width, "Waktu normal: ")]
    starters = ", ".join(roles.label(r) for r in defn.starters)
    lines += _wrap(starters, width, "Dimulai oleh: ")
    return "\n".join(lines)


def _marks(defn: SopDefinition, s: Step) -> list[str]:
    """What the actor's lane shows: the symbol, where each negative answer goes, the group."""
    marks = ["■" if s.kind is Kind.TUGAS and s.choices is None else "◆"]
    for c in s.effective_choices:
        if not c.positive:
            marks.append(f"{c.label} → {defn.target(s, c)}")
    if s.announce:
        marks.append("→ grup")
    return marks


def _text_widths(room: int) -> tuple[int, int, int] | None:
    """Kegiatan, kelengkapan and output widths sharing ``room`` columns, or None when too few."""
    if room < TEXT_MIN * len(TEXT_SHARES):
        return None
    extra, total = room - TEXT_MIN * len(TEXT_SHARES), sum(TEXT_SHARES)
    sizes = [min(TEXT_MAX, TEXT_MIN + extra * share // total) for share in TEXT_SHARES]
    return sizes[0], sizes[1], sizes[2]


def _table(defn: SopDefinition, roles: RoleBook, width: int) -> list[str] | None:
    lanes = len(defn.lanes)
    waktu_w = max(len("Waktu"), *(len(waktu_text(s.waktu)) for s in defn.steps))
    columns = 5 + lanes  # no, kegiatan, lanes…, kelengkapan, waktu, output
    room = width - (3 + LANE_W * lanes + waktu_w) - (3 * columns + 1)
    text = _text_widths(room)
    if text is None:
        return None
    kegiatan_w, kelengkapan_w, output_w = text
    sizes = [3, kegiatan_w, *([LANE_W] * lanes), kelengkapan_w, waktu_w, output_w]

    def row(cells: Sequence[list[str]]) -> list[str]:
        height = max(len(c) for c in cells)
        return [
            "| "
            + " | ".join(
                (cell[i] if i < len(cell) else "").ljust(size)
                for cell, size in zip(cells, sizes, strict=True)
            )
            + " |"
            for i in range(height)
        ]

    def cell(text: str, size: int) -> list[str]:
        return textwrap.wrap(text, size, break_long_words=True) or [""]

    lane_heads = [cell(roles.label(r), LANE_W) for r in defn.lanes]
    header = row([["No"], ["Kegiatan"], *lane_heads, ["Kelengkapan"], ["Waktu"], ["Output"]])
    rule = "+" + "+".join("-" * (size + 2) for size in sizes) + "+"
    lines = [rule, *header, rule]
    for s in defn.steps:
        lane_cells = [
            [piece for m in _marks(defn, s) for piece in cell(m, LANE_W)]
            if lane == s.pelaksana
            else [""]
            for lane in defn.lanes
        ]
        lines += row(
            [
                [f"{s.number}."],
                cell(s.kegiatan, kegiatan_w),
                *lane_cells,
                cell(s.kelengkapan or "—", kelengkapan_w),
                [waktu_text(s.waktu)],
                cell(s.output or "—", output_w),
            ]
        )
        lines.append(rule)
    return lines


def _blocks(defn: SopDefinition, roles: RoleBook, width: int) -> list[str]:
    """One block per step, for a terminal too narrow for the table."""
    lines = ["LANGKAH (■ tugas, ◆ keputusan)"]
    for s in defn.steps:
        mark = _marks(defn, s)
        lines += [
            "",
            *_wrap(
                f"{mark[0]} {kind_label(s)}, {roles.label(s.pelaksana)}",
                width,
                f"{s.number}. ",
            ),
        ]
        for label, value in (
            ("Kegiatan", s.kegiatan),
            ("Kelengkapan", s.kelengkapan or "—"),
            ("Waktu", waktu_text(s.waktu)),
            ("Output", s.output or "—"),
        ):
            lines += _wrap(value, width, f"   {label:<12}: ")
        for extra in mark[1:]:
            lines += _wrap(extra, width, "   ")
    return lines
