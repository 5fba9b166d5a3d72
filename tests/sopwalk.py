"""Scripts that walk an SOP through the engine, shared by the engine tests and the channel tests.

A script is the list of answers each SOP's walk gives, chosen so every negative branch is taken at
least once; the channel tests play the same scripts through Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sop.handins import Handin
from sop.models import HandinKind, HandinSpec, SopDefinition


@dataclass(frozen=True)
class Answer:
    step: int
    choice: str
    note: str | None = None


@dataclass(frozen=True)
class Script:
    code: str
    starter_role: str
    answers: tuple[Answer, ...]
    start_handins: tuple[HandinKind, ...] = field(default=())


def a(step: int, choice: str, note: str | None = None) -> Answer:
    return Answer(step, choice, note)


SCRIPTS: dict[str, Script] = {
    "jambi-penurunan-jdih": Script(
        code="jambi-penurunan-jdih",
        starter_role="kabag_teknis_hukum",
        answers=(
            a(1, "selesai"),
            a(2, "selesai"),
            a(3, "selesai"),
            a(4, "ada_koreksi", "Perbaiki dasar hukum pada paragraf kedua."),
            a(3, "selesai"),
            a(4, "tidak_ada_koreksi"),
            a(5, "tidak_setuju", "Tambahkan tenggat perbaikan dokumen."),
            a(4, "tidak_ada_koreksi"),
            a(5, "setuju"),
            a(6, "selesai"),
        ),
    ),
    "jambi-pengunggahan-jdih": Script(
        code="jambi-pengunggahan-jdih",
        starter_role="pemohon",
        answers=(
            a(1, "selesai"),
            a(2, "selesai"),
            a(3, "selesai"),
            a(4, "selesai"),
            a(5, "ada_koreksi", "Halaman 3 salinan digital terpotong."),
            a(3, "selesai"),
            a(4, "selesai"),
            a(5, "tidak_ada_koreksi"),
            a(6, "tidak_setuju", "Lampiran belum disertakan."),
            a(5, "tidak_ada_koreksi"),
            a(6, "setuju"),
            a(7, "selesai"),
        ),
    ),
    "jambi-konten-medsos": Script(
        code="jambi-konten-medsos",
        starter_role="kabag_teknis_hukum",
        answers=(
            a(1, "selesai"),
            a(2, "selesai"),
            a(3, "ada_koreksi", "Judul konten terlalu panjang."),
            a(2, "selesai"),
            a(3, "tidak_ada_koreksi"),
            a(4, "selesai"),
            a(5, "tidak_setuju", "Logo KPU belum sesuai pedoman."),
            a(4, "selesai"),
            a(5, "setuju"),
            a(6, "selesai"),
            a(7, "selesai"),
        ),
    ),
    "kapuas-medsos-jdih": Script(
        code="kapuas-medsos-jdih",
        starter_role="kasubbag_hukum_sdm",
        answers=(
            a(1, "selesai"),
            a(2, "selesai"),
            a(3, "selesai"),
            a(4, "selesai"),
            a(5, "tidak_setuju", "Caption belum menyebut nomor keputusan."),
            a(4, "selesai"),
            a(5, "setuju"),
            a(6, "selesai"),
        ),
    ),
}


def sample_handin(spec: HandinSpec, step: int, round_: int = 0) -> Handin:
    """A valid hand-in for a spec, distinct per step and round."""
    match spec.kind:
        case HandinKind.LINK:
            value = f"https://jdih.kpu.go.id/unggahan/{step}-{round_}"
        case HandinKind.NOMOR:
            value = f"{12 + round_}/HK.03-ND/15/2026"
        case HandinKind.TEXT:
            value = f"Caption langkah {step} #JDIHKPU"
        case HandinKind.ATTACHMENT:
            value = f"file-{step}-{round_}"
    return Handin(kind=spec.kind, label=spec.label, value=value, file_name=f"berkas-{step}.pdf")


def negative_branches(defn: SopDefinition) -> set[tuple[int, str]]:
    """Every (step, choice) that is a negative answer in a definition."""
    return {(s.number, c.id) for s in defn.steps for c in s.effective_choices if not c.positive}
