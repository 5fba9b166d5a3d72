"""An SOP as plain text: the catalogue rows of ``sopbot sop check`` and the form of ``sop show``."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from bot.words.format import format_long_date, normal_time_text, waktu_text
from sop.models import Kind, RoleBook, SopDefinition


def catalogue(definitions: Iterable[SopDefinition]) -> str:
    rows = [("KODE", "NAMA SOP", "LANGKAH", "WAKTU NORMAL")]
    for d in definitions:
        name = d.header.nama if len(d.header.nama) <= 60 else d.header.nama[:59] + "…"
        rows.append((d.code, name, str(len(d.steps)), normal_time_text(d)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows
    )


def _items(title: str, items: tuple[str, ...], numbered: bool = True) -> list[str]:
    lines = [f"{title}:"]
    if not items:
        return [f"{title}: -"]
    for i, item in enumerate(items, start=1):
        lead = f"  {i}. " if numbered else "  - "
        lines.extend(
            textwrap.wrap(item, width=100, initial_indent=lead, subsequent_indent=" " * len(lead))
        )
    return lines


def form(defn: SopDefinition, roles: RoleBook) -> str:
    """The SOP as the paper form lays it out: header block, then one row per step with a mark in
    the actor's lane (■ a task, ◆ a decision) and the baku mutu columns."""
    h = defn.header
    approved = format_long_date(h.tanggal_pengesahan) if h.tanggal_pengesahan else "-"
    lines = [
        h.instansi.upper(),
        "",
        f"Nomor SOP          : {h.nomor}",
        f"Tanggal Pengesahan : {approved}",
        f"Disahkan oleh      : {h.disahkan_oleh}",
        f"Nama SOP           : {h.nama}",
        "",
    ]
    lines += _items("DASAR HUKUM", h.dasar_hukum)
    lines += _items("KUALIFIKASI PELAKSANA", h.kualifikasi_pelaksana, numbered=False)
    lines += _items("KETERKAITAN", h.keterkaitan)
    lines += _items("PERALATAN/PERLENGKAPAN", h.peralatan)
    lines += _items("PERINGATAN", h.peringatan, numbered=False)
    lines += _items("PENCATATAN DAN PENDATAAN", h.pencatatan, numbered=False)
    if h.evaluasi:
        lines += ["", f"Evaluasi: {h.evaluasi}"]
    lines.append("")
    lines += _table(defn, roles)
    lines += ["", f"Waktu normal: {normal_time_text(defn)}"]
    starters = ", ".join(roles.label(r) for r in defn.starters)
    lines.append(f"Dimulai oleh: {starters}")
    return "\n".join(lines)


def _table(defn: SopDefinition, roles: RoleBook) -> list[str]:
    lane_w = 12
    widths = {"no": 3, "kegiatan": 44, "kelengkapan": 24, "waktu": 10, "output": 26}
    lane_heads = [textwrap.wrap(roles.label(r), lane_w) or [""] for r in defn.lanes]

    def row(cells: list[list[str]]) -> list[str]:
        height = max(len(c) for c in cells)
        sizes = [widths["no"], widths["kegiatan"]] + [lane_w] * len(defn.lanes)
        sizes += [widths["kelengkapan"], widths["waktu"], widths["output"]]
        out = []
        for i in range(height):
            parts = [
                (cell[i] if i < len(cell) else "").ljust(size)
                for cell, size in zip(cells, sizes, strict=True)
            ]
            out.append("| " + " | ".join(parts) + " |")
        return out

    header = row([["No"], ["Kegiatan"], *lane_heads, ["Kelengkapan"], ["Waktu"], ["Output"]])
    rule = "+" + "+".join("-" * (len(p) + 2) for p in header[0][2:-2].split(" | ")) + "+"
    lines = [rule, *header, rule]
    for s in defn.steps:
        kegiatan = textwrap.wrap(s.kegiatan, widths["kegiatan"])
        lanes = []
        for lane in defn.lanes:
            if lane != s.pelaksana:
                lanes.append([""])
                continue
            mark = ["■"] if s.kind is Kind.TUGAS and s.choices is None else ["◆"]
            for c in s.effective_choices:
                target = defn.target(s, c)
                if not c.positive:
                    mark.append(f"{c.label} → {target}")
            if s.announce:
                mark.append("→ grup")
            lanes.append([piece for m in mark for piece in textwrap.wrap(m, lane_w)])
        lines += row(
            [
                [f"{s.number}."],
                kegiatan,
                *lanes,
                textwrap.wrap(s.kelengkapan or "—", widths["kelengkapan"]),
                [waktu_text(s.waktu)],
                textwrap.wrap(s.output or "—", widths["output"]),
            ]
        )
        lines.append(rule)
    return lines
