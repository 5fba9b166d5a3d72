"""The SOP files: the four built-in ones read as sop-reading.md says, and broken ones refused with
messages that name the file, the step and the fault."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.words.format import waktu_text
from sop.durations import Duration, DurationError
from sop.loader import BUILTIN_DIR, SopFileError, load_catalog
from sop.models import HandinKind, Kind

CATALOG = load_catalog()


def test_the_four_builtin_sops_are_there_with_their_steps_and_times() -> None:
    rows = {d.code: (len(d.steps), str(d.normal_time), d.steps_without_time) for d in CATALOG.all()}
    assert rows == {
        "jambi-penurunan-jdih": (6, "120 menit", 0),
        "jambi-pengunggahan-jdih": (7, "185 menit", 0),
        "jambi-konten-medsos": (7, "3 hari 75 menit", 3),
        "kapuas-medsos-jdih": (6, "1 hari 95 menit", 0),
    }


def test_kinds_returns_hand_ins_and_announcements_follow_the_reading() -> None:
    def shape(code: str) -> list[tuple[int, str, str, int | None, tuple[str, ...], bool]]:
        return [
            (
                s.number,
                s.pelaksana,
                s.kind.value,
                s.returns_to,
                tuple(h.kind.value for h in s.handin),
                s.announce,
            )
            for s in CATALOG.definitions[code].steps
        ]

    assert shape("jambi-penurunan-jdih") == [
        (1, "kabag_teknis_hukum", "tugas", None, (), False),
        (2, "kasubbag_hukum", "tugas", None, (), False),
        (3, "pengelola_jdih", "tugas", None, ("attachment",), False),
        (4, "kasubbag_hukum", "koreksi", 3, (), False),
        (5, "kabag_teknis_hukum", "persetujuan", 4, (), False),
        (6, "kasubbag_tu", "tugas", None, ("nomor",), False),
    ]
    assert shape("jambi-pengunggahan-jdih") == [
        (1, "sekretaris", "tugas", None, (), False),
        (2, "kabag_teknis_hukum", "tugas", None, (), False),
        (3, "pengelola_jdih", "tugas", None, ("attachment",), False),
        (4, "pengelola_jdih", "tugas", None, (), False),
        (5, "kasubbag_hukum", "koreksi", 3, (), False),
        (6, "kabag_teknis_hukum", "persetujuan", 5, (), False),
        (7, "pengelola_jdih", "tugas", None, ("link",), True),
    ]
    assert shape("jambi-konten-medsos") == [
        (1, "kabag_teknis_hukum", "tugas", None, (), False),
        (2, "tim_kreatif", "tugas", None, ("attachment",), False),
        (3, "kasubbag_hukum", "koreksi", 2, (), False),
        (4, "tim_desain", "tugas", None, ("attachment", "text"), False),
        (5, "kabag_teknis_hukum", "persetujuan", 4, (), False),
        (6, "kasubbag_hukum", "tugas", None, (), False),
        (7, "admin_medsos", "tugas", None, ("link",), True),
    ]
    assert shape("kapuas-medsos-jdih") == [
        (1, "kasubbag_hukum_sdm", "tugas", None, (), False),
        (2, "staf_subbagian", "tugas", None, (), False),
        (3, "pengelola_jdih", "tugas", None, ("attachment",), False),
        (4, "staf_subbagian", "tugas", None, ("attachment",), False),
        (5, "kasubbag_hukum_sdm", "persetujuan", 4, (), False),
        (6, "pengelola_jdih", "tugas", None, ("link",), True),
    ]
    b = CATALOG.definitions["jambi-pengunggahan-jdih"]
    assert b.starters == ("pemohon",)
    assert [h.kind for h in b.start_handin] == [HandinKind.ATTACHMENT, HandinKind.ATTACHMENT]


def test_headers_carry_the_form() -> None:
    d = CATALOG.definitions["kapuas-medsos-jdih"].header
    assert d.nomor == "3 Tahun 2012"
    assert str(d.tanggal_pengesahan) == "2012-02-09"
    assert "Hildayani" in d.disahkan_oleh
    assert len(d.dasar_hukum) == 6
    assert d.peralatan == (
        "Buku Agenda",
        "Perangkat Komputer",
        "Flashdisk/Hardisk",
        "Scanner dan Printer",
    )
    a = CATALOG.definitions["jambi-penurunan-jdih"].header
    assert a.nomor == "13 Tahun 2025"
    assert a.evaluasi is not None
    assert "2 (dua) kali" in a.evaluasi


def test_every_inferred_cell_is_commented_in_the_files() -> None:
    for path in BUILTIN_DIR.glob("*.yaml"):
        if path.name == "roles.yaml":
            continue
        text = path.read_text()
        assert "# inferred" in text.lower() or "# Inferred" in text, path.name


def test_what_people_read_of_a_step_is_plain_indonesian() -> None:
    """The activity, its Kelengkapan and Output carry no flowchart notation (the buttons carry the
    branches) and one spelling of "draf" (KBBI), the one the hand-in labels use."""
    for defn in load_catalog().all():
        for step in defn.steps:
            for text in (step.kegiatan, step.kelengkapan or "", step.output or ""):
                assert "->" not in text, (defn.code, step.number, text)
                assert not re.search(r"\bdraft\b", text, re.IGNORECASE), (defn.code, step.number)
                assert "pengungkahan" not in text.lower(), (defn.code, step.number)


def test_choice_labels_fit_whatsapp_buttons() -> None:
    for d in CATALOG.all():
        for s in d.steps:
            assert 1 <= len(s.effective_choices) <= 3
            assert all(len(c.label) <= 20 for c in s.effective_choices)
            if s.kind is Kind.TUGAS:
                assert [c.label for c in s.effective_choices] == ["Selesai"]


def test_version_is_a_content_hash() -> None:
    d = CATALOG.definitions["kapuas-medsos-jdih"]
    assert len(d.version) == 64
    again = load_catalog().definitions["kapuas-medsos-jdih"]
    assert again.version == d.version
    changed = d.model_copy(update={"starters": ("staf_subbagian",)})
    assert type(d).model_validate(changed.model_dump()).version != d.version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 menit", Duration(minutes=10)),
        ("10 Menit", Duration(minutes=10)),
        ("1 Jam", Duration(minutes=60)),
        ("2 hari", Duration(days=2)),
        ("1 Hari 95 Menit", Duration(days=1, minutes=95)),
    ],
)
def test_waktu_parses_as_written_in_the_sop(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "sepuluh menit", "10", "10 detik", "0 menit", "-5 menit", "10 menit lagi"]
)
def test_malformed_waktu_is_refused(text: str) -> None:
    with pytest.raises(DurationError):
        Duration.parse(text)


def test_duration_prints_as_the_forms_do() -> None:
    assert str(Duration(days=1, minutes=95)) == "1 hari 95 menit"
    assert str(Duration(minutes=120)) == "120 menit"
    assert waktu_text(Duration(minutes=90)) == "1 jam 30 menit"
    assert waktu_text(Duration(days=2)) == "2 hari"


# --- Broken files ---------------------------------------------------------------------------


@pytest.fixture
def sop_dir(tmp_path: Path) -> Path:
    """A copy of the built-in folder to break."""
    target = tmp_path / "sop"
    shutil.copytree(BUILTIN_DIR, target)
    return target


def _edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _faults(folder: Path) -> list[str]:
    with pytest.raises(SopFileError) as err:
        load_catalog(builtin=folder)
    return err.value.messages


def _unlined(faults: list[str]) -> list[str]:
    """The faults without their line numbers, checked apart (``test_faults_name_their_line``)."""
    return [re.sub(r", baris \d+:", ":", fault, count=1) for fault in faults]


def _step(data: dict[str, Any], number: int) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in data["steps"] if s["number"] == number)
    return step


def test_unknown_role_names_file_and_step(sop_dir: Path) -> None:
    _edit(sop_dir / "kapuas-medsos-jdih.yaml", lambda d: _step(d, 3).update(pelaksana="humas"))
    (fault,) = _unlined(_faults(sop_dir))
    # The fault lists the roles there are, as an unknown SOP lists the codes.
    assert fault.startswith(
        "kapuas-medsos-jdih.yaml: langkah 3: pelaksana 'humas' tidak dikenal; peran yang ada: "
        "admin_medsos, kabag_teknis_hukum,"
    )
    assert "staf_subbagian, tim_desain, tim_kreatif" in fault


def test_return_to_a_missing_step(sop_dir: Path) -> None:
    _edit(sop_dir / "jambi-penurunan-jdih.yaml", lambda d: _step(d, 5).update(returns_to=9))
    assert _unlined(_faults(sop_dir)) == [
        "jambi-penurunan-jdih.yaml: langkah 5: returns_to ke langkah 9 yang tidak ada"
    ]


def test_a_step_no_path_reaches(sop_dir: Path) -> None:
    _edit(sop_dir / "kapuas-medsos-jdih.yaml", lambda d: _step(d, 2).update(next=4))
    assert _unlined(_faults(sop_dir)) == [
        "kapuas-medsos-jdih.yaml: langkah 3: tidak dapat dicapai dari langkah 1"
    ]


def test_a_step_from_which_the_end_is_never_reached(sop_dir: Path) -> None:
    def loop(d: dict[str, Any]) -> None:
        _step(d, 4).update(next=3)  # 3 -> 4 -> 3 forever; 5 and 6 unreachable

    _edit(sop_dir / "kapuas-medsos-jdih.yaml", loop)
    faults = _unlined(_faults(sop_dir))
    assert "kapuas-medsos-jdih.yaml: langkah 5: tidak dapat dicapai dari langkah 1" in faults
    assert (
        "kapuas-medsos-jdih.yaml: langkah 3: dari langkah ini SOP tidak pernah sampai ke langkah akhir"
        in faults
    )
    assert (
        "kapuas-medsos-jdih.yaml: langkah 1: dari langkah ini SOP tidak pernah sampai ke langkah akhir"
        in faults
    )


def test_duplicate_step_number(sop_dir: Path) -> None:
    _edit(sop_dir / "jambi-konten-medsos.yaml", lambda d: _step(d, 6).update(number=5))
    assert _unlined(_faults(sop_dir)) == [
        "jambi-konten-medsos.yaml: langkah 5: nomor langkah ganda"
    ]


def test_malformed_waktu(sop_dir: Path) -> None:
    _edit(sop_dir / "jambi-pengunggahan-jdih.yaml", lambda d: _step(d, 3).update(waktu="dua jam"))
    (fault,) = _unlined(_faults(sop_dir))
    assert fault.startswith(
        "jambi-pengunggahan-jdih.yaml: langkah 3: waktu: waktu 'dua jam' tidak dikenali"
    )


def test_more_than_three_choices(sop_dir: Path) -> None:
    choices = [{"id": f"pilihan_{i}", "label": f"Pilihan {i}"} for i in range(4)]
    _edit(sop_dir / "kapuas-medsos-jdih.yaml", lambda d: _step(d, 2).update(choices=choices))
    assert _unlined(_faults(sop_dir)) == [
        "kapuas-medsos-jdih.yaml: langkah 2: 4 pilihan, paling banyak 3"
    ]


def test_a_label_too_long_for_a_button(sop_dir: Path) -> None:
    choices = [{"id": "ok", "label": "Sudah selesai dikerjakan semua"}]
    _edit(sop_dir / "kapuas-medsos-jdih.yaml", lambda d: _step(d, 2).update(choices=choices))
    assert _unlined(_faults(sop_dir)) == [
        "kapuas-medsos-jdih.yaml: langkah 2: label pilihan 'Sudah selesai dikerjakan semua' lebih dari 20 karakter"
    ]


def test_review_without_a_return_step(sop_dir: Path) -> None:
    _edit(sop_dir / "jambi-penurunan-jdih.yaml", lambda d: _step(d, 4).pop("returns_to"))
    (fault,) = _unlined(_faults(sop_dir))
    assert fault.startswith("jambi-penurunan-jdih.yaml: langkah 4: ")
    assert "returns_to" in fault


def test_every_broken_file_is_reported_not_just_the_first(sop_dir: Path) -> None:
    _edit(sop_dir / "jambi-penurunan-jdih.yaml", lambda d: _step(d, 5).update(returns_to=9))
    _edit(sop_dir / "kapuas-medsos-jdih.yaml", lambda d: _step(d, 3).update(pelaksana="humas"))
    assert len(_faults(sop_dir)) == 2


def test_yaml_syntax_error_names_the_line(sop_dir: Path) -> None:
    (sop_dir / "rusak.yaml").write_text("code: x\nsteps: [\n  - a: b\n")
    (fault,) = _faults(sop_dir)
    assert fault.startswith("rusak.yaml, baris 3: YAML tidak valid: tanda '-' di dalam '[ ... ]'")


def test_missing_field_and_unknown_field(sop_dir: Path) -> None:
    _edit(
        sop_dir / "kapuas-medsos-jdih.yaml",
        lambda d: (_step(d, 2).pop("kegiatan"), _step(d, 3).update(durasi="1 jam")),
    )
    faults = _unlined(_faults(sop_dir))
    # Issue 12: in Indonesian, saying what is expected (pydantic's English before).
    assert "kapuas-medsos-jdih.yaml: langkah 2: kegiatan: wajib diisi" in faults
    assert (
        "kapuas-medsos-jdih.yaml: langkah 3: kunci 'durasi' tidak dikenal; yang dikenal di sini: "
        "number, kegiatan, pelaksana, kelengkapan, waktu, output, kind, returns_to, next, final, "
        "choices, handin, announce, reminder"
    ) in faults


def test_duplicate_sop_code_across_files(sop_dir: Path) -> None:
    shutil.copy(sop_dir / "kapuas-medsos-jdih.yaml", sop_dir / "salinan.yaml")
    assert _unlined(_faults(sop_dir)) == [
        "salinan.yaml: kode SOP 'kapuas-medsos-jdih' sudah dipakai oleh kapuas-medsos-jdih.yaml"
    ]


def test_roles_file_faults(sop_dir: Path) -> None:
    _edit(sop_dir / "roles.yaml", lambda d: d["roles"]["tim_desain"].update(atasan="direktur"))
    (fault,) = _unlined(_faults(sop_dir))
    assert fault.startswith(
        "roles.yaml: peran tim_desain: atasan 'direktur' tidak dikenal; peran yang ada: "
    )


def test_an_office_folder_adds_its_own_sop_and_roles(tmp_path: Path) -> None:
    extra = tmp_path / "kantor"
    extra.mkdir()
    (extra / "roles.yaml").write_text(
        "roles:\n  humas:\n    label: Staf Humas\n    atasan: sekretaris\n"
    )
    source = yaml.safe_load((BUILTIN_DIR / "kapuas-medsos-jdih.yaml").read_text())
    source["code"] = "kantor-humas"
    source["lanes"] = [*source["lanes"], "humas"]
    _step(source, 2)["pelaksana"] = "humas"
    (extra / "kantor-humas.yaml").write_text(yaml.safe_dump(source, allow_unicode=True))
    catalog = load_catalog([extra])
    assert catalog.definitions["kantor-humas"].step(2).pelaksana == "humas"
    assert len(catalog.definitions) == 5
    assert catalog.roles.label("humas") == "Staf Humas"


def test_an_office_folder_may_not_redefine_a_builtin_role(tmp_path: Path) -> None:
    extra = tmp_path / "kantor"
    extra.mkdir()
    (extra / "roles.yaml").write_text("roles:\n  sekretaris:\n    label: Sekretaris Baru\n")
    with pytest.raises(SopFileError) as err:
        load_catalog([extra])
    assert "peran sekretaris sudah dinyatakan" in err.value.messages[0]
