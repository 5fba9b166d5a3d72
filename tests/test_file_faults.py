"""Issue 12: a fault in an SOP file or an office file is told in Indonesian, naming the file, the
entry and the line, with what is expected, and no library's words; every fault of a file at once;
never a traceback (an impossible date used to end in one)."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

from bot.office.files import (
    EXAMPLE_OFFICES,
    OfficeFileError,
    placeholders,
    read_office_file,
    validate_office,
)
from sop.faults import YamlFault, error_text, read_yaml, told
from sop.loader import BUILTIN_DIR, SopFileError, load_catalog
from tests.harness import office_data

CATALOG = load_catalog()

# Words of pydantic's, YAML's or Python's own messages that must never reach an admin.
FOREIGN = (
    "Input should",
    "Field required",
    "Extra inputs",
    "validation error",
    "pydantic",
    "type=",
    "Value error",
    "valid integer",
    "unable to parse",
    "Assertion",
    "dictionary",
    "instance of",
    "while parsing",
    "while scanning",
    "expected",
    "found character",
    "Traceback",
    "datetime.",
    "Errno",
    "No such file",
)


def _clean(messages: list[str]) -> None:
    for message in messages:
        for word in FOREIGN:
            assert word not in message, (word, message)


def _office_faults(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "kantor.yaml"
    path.write_text(text)
    with pytest.raises(OfficeFileError) as refused:
        read_office_file(path, CATALOG)
    _clean(refused.value.messages)
    return refused.value.messages


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- the translation ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", typing.get_args(ErrorType))
def test_every_pydantic_error_type_is_told_in_indonesian(kind: str) -> None:
    err: ErrorDetails = {
        "type": kind,
        "loc": ("code",),
        "msg": "Some English words",
        "input": "nilai",
        "ctx": {
            "min_length": 2,
            "max_length": 5,
            "gt": 1,
            "ge": 1,
            "lt": 9,
            "le": 9,
            "multiple_of": 2,
            "expected": "'a' or 'b'",
            "class_name": "Duration",
            "error": "x",
            "pattern": "^[a-z]+$",
        },
    }
    text = error_text(err)
    assert text.strip()
    if kind not in {"value_error", "assertion_error"}:  # those carry the project's own words
        assert "English" not in text
        _clean([text])


def test_the_projects_own_errors_keep_their_words() -> None:
    custom: ErrorDetails = {
        "type": "kalender",
        "loc": ("hours",),
        "msg": "jam kerja 'x' tidak valid",
        "input": "x",
    }
    assert error_text(custom) == "jam kerja 'x' tidak valid"


# --- office files ---------------------------------------------------------------------------------

BROKEN_OFFICE = """\
code: kpu-uji
name: KPU Uji
timezone: Asia/Jakartaa
sops: [kapuas-medsos-jdih, tidak-ada]
calendar:
  closed_dates: [2026-02-30, 2026-03-18 10:00]
  hours: {senin: "8-16"}
  liburan: ya
reminders:
  min_interval: 10
  escalate_factor: abc
  durasi: 1 jam
agenda_template: "{nomor}"
report_roles: [humas]
people:
  - telegram_id: abc
    name: Ani
    roles: [sekretaris]
  - telegram_id: 1202
    name: Budi
    roles: [humas]
    jabatan: x
  - name: Cici
    whatsapp: "0812 3456 789"
    preferred_channel: sms
"""


def test_every_fault_of_an_office_file_at_once_with_its_line(tmp_path: Path) -> None:
    faults = _office_faults(tmp_path, BROKEN_OFFICE)
    text = BROKEN_OFFICE

    def at(needle: str) -> str:
        return f"kantor.yaml, baris {_line_of(text, needle)}: "

    expected = [
        at("timezone:") + "timezone: zona waktu 'Asia/Jakartaa' tidak dikenal",
        at("sops:") + "sops: SOP 'tidak-ada' tidak dikenal (yang ada: jambi-konten-medsos",
        # The impossible date is told, not a traceback.
        at("closed_dates") + "calendar.closed_dates[1]: tanggal '2026-02-30' tidak ada di kalender",
        at("closed_dates") + "calendar.closed_dates[2]: tanggal '2026-03-18 10:00' tidak valid",
        at("hours:") + "calendar.hours: Senin: jam kerja '8-16' tidak valid",
        at("liburan") + "calendar: kunci 'liburan' tidak dikenal; yang dikenal di sini: hours, "
        "closed_dates, working_dates, national_holidays, always_open",
        at("min_interval") + "reminders.min_interval: waktu harus ditulis seperti '10 menit'",
        at("escalate_factor") + "reminders.escalate_factor: harus bilangan bulat (angka saja), "
        "bukan 'abc'",
        at("durasi") + "reminders: kunci 'durasi' tidak dikenal; yang dikenal di sini: interval,",
        at("agenda_template") + "agenda_template: format nomor agenda harus memuat",
        at("report_roles") + "report_roles: peran 'humas' tidak dikenal; peran yang ada: "
        "admin_medsos,",
        at("telegram_id: abc") + "people[1] (Ani): telegram_id: harus bilangan bulat",
        at("    roles: [humas]") + "people[2] (Budi): peran 'humas' tidak dikenal; peran yang ada:",
        at("jabatan") + "people[2] (Budi): kunci 'jabatan' tidak dikenal; yang dikenal di sini: "
        "telegram_id, whatsapp, preferred_channel, name, roles, admin",
        at("preferred_channel") + "people[3] (Cici): preferred_channel: 'sms' tidak dikenal; "
        "pilih 'telegram' atau 'whatsapp'",
    ]
    assert len(faults) == len(expected), "\n".join(faults)
    for fault, start in zip(faults, expected, strict=True):
        assert fault.startswith(start), (fault, start)
    assert "sop/definitions/roles.yaml" in faults[-3]  # where role keys come from


def test_an_impossible_date_in_an_office_file_is_named_not_a_crash(tmp_path: Path) -> None:
    data = office_data("kapuas")
    data["calendar"] = {"closed_dates": ["2026-02-30"]}
    text = yaml.safe_dump(data, allow_unicode=True).replace("'2026-02-30'", "2026-02-30")
    (fault,) = _office_faults(tmp_path, text)
    assert fault == (
        f"kantor.yaml, baris {_line_of(text, '2026-02-30')}: calendar.closed_dates[1]: tanggal "
        "'2026-02-30' tidak ada di kalender"
    )


def test_calendar_and_reminder_faults_are_indonesian() -> None:
    data = office_data("kapuas")
    data["calendar"] = {"hours": "setiap hari", "national_holidays": "mungkin", "always_open": 3}
    data["reminders"] = {"escalate_factor": 0, "interval": [1]}
    with pytest.raises(OfficeFileError) as refused:
        validate_office(data, "kantor.yaml", CATALOG)
    _clean(refused.value.messages)
    text = "\n".join(refused.value.messages)
    assert "calendar.hours: jam kerja harus berupa daftar hari" in text
    assert (
        "calendar.national_holidays: harus true atau false (ya atau tidak), bukan 'mungkin'" in text
    )
    assert "reminders.escalate_factor: paling kecil 1, bukan 0" in text
    assert "reminders.interval: waktu harus ditulis seperti" in text


def test_a_file_that_is_not_an_office_file(tmp_path: Path) -> None:
    assert _office_faults(tmp_path, "- satu\n- dua\n") == [
        "kantor.yaml, baris 1: berkas kantor harus berisi kunci dan nilainya (code:, name:, "
        "sops:, people:)"
    ]
    (fault,) = _office_faults(tmp_path, "code: x\n  name: y\n")
    assert fault.startswith("kantor.yaml, baris 2: YAML tidak valid: tanda titik dua")
    missing = tmp_path / "tidak-ada.yaml"
    with pytest.raises(OfficeFileError) as refused:
        read_office_file(missing, CATALOG)
    assert refused.value.messages == ["tidak-ada.yaml: tidak ditemukan"]


def test_commented_out_settings_read_as_defaults(tmp_path: Path) -> None:
    data = office_data("kapuas")
    text = yaml.safe_dump({**data, "calendar": None, "reminders": None}, allow_unicode=True)
    path = tmp_path / "kantor.yaml"
    path.write_text(text)
    office = read_office_file(path, CATALOG)
    assert office.calendar == {}
    assert office.reminders == {}


def test_the_example_files_ids_are_placeholders_and_the_tests_are_not() -> None:
    for path in sorted(EXAMPLE_OFFICES.glob("*.yaml")):
        office = read_office_file(path, CATALOG)
        assert placeholders(office) == office.people, path.name
        assert "placeholder" in path.read_text().lower()
    assert placeholders(validate_office(office_data("kapuas"), "k.yaml", CATALOG)) == []


# --- SOP files ------------------------------------------------------------------------------------


def _sop_faults(tmp_path: Path, text: str) -> list[str]:
    folder = tmp_path / "sop"
    folder.mkdir(exist_ok=True)
    for roles in BUILTIN_DIR.glob("roles.yaml"):
        (folder / roles.name).write_text(roles.read_text())
    (folder / "uji.yaml").write_text(text)
    with pytest.raises(SopFileError) as refused:
        load_catalog(builtin=folder)
    _clean(refused.value.messages)
    return refused.value.messages


SOP_D = (BUILTIN_DIR / "kapuas-medsos-jdih.yaml").read_text()


def test_an_impossible_date_in_an_sop_file_is_named_not_a_crash(tmp_path: Path) -> None:
    text = SOP_D.replace("tanggal_pengesahan: 2012-02-09", "tanggal_pengesahan: 2012-02-30")
    assert _sop_faults(tmp_path, text) == [
        f"uji.yaml, baris {_line_of(text, '2012-02-30')}: header.tanggal_pengesahan: tanggal "
        "'2012-02-30' tidak valid; tulis tanggal yang ada di kalender, TTTT-BB-HH, misalnya "
        "2026-03-18"
    ]


def test_wrong_types_everywhere_are_told_in_indonesian(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load(SOP_D)
    data["code"] = "Kode Salah!"
    data["header"]["dasar_hukum"] = "satu teks"
    data["header"]["nama"] = ["daftar"]
    data["lanes"] = []
    step = data["steps"][1]
    step.update(number="dua", kind="tugas_besar", announce="mungkin", handin=[{"kind": "foto"}])
    data["steps"][2]["reminder"] = {"interval": 5}
    faults = _sop_faults(tmp_path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    text = "\n".join(faults)
    assert "code: 'Kode Salah!' tidak sesuai bentuknya: tulis huruf kecil" in text
    assert "header.dasar_hukum: harus berupa daftar" in text
    assert "header.nama: harus teks, bukan sebuah daftar" in text
    assert "lanes: tidak boleh kosong: isi paling sedikit satu" in text
    assert "langkah ke-2: number: harus bilangan bulat (angka saja), bukan 'dua'" in text
    assert "kind: 'tugas_besar' tidak dikenal; pilih 'tugas', 'koreksi' atau 'persetujuan'" in text
    assert "announce: harus true atau false (ya atau tidak), bukan 'mungkin'" in text
    assert "handin[1].kind: 'foto' tidak dikenal; pilih 'attachment', 'link'" in text
    assert "handin[1].label: wajib diisi" in text
    assert "langkah 3: reminder.interval: waktu harus ditulis seperti '10 menit'" in text
    assert all(fault.startswith("uji.yaml, baris ") for fault in faults)


def test_a_sop_files_faults_come_in_the_order_of_its_lines(tmp_path: Path) -> None:
    text = SOP_D.replace("    returns_to: 4", "    returns_to: 40").replace(
        "  nomor: 3 Tahun 2012\n", ""
    )
    faults = _sop_faults(tmp_path, text)
    lines = [int(f.split("baris ")[1].split(":")[0]) for f in faults]
    assert lines == sorted(lines)
    assert len(faults) == 2  # the header's missing nomor and the step's return, in one run


@pytest.mark.parametrize(
    ("text", "line", "said"),
    [
        ("a: [1, 2\nb: 3\n", 1, "daftar yang dibuka dengan '[' tidak ditutup dengan ']'"),
        ("a: {b: 1\n", 1, "isian yang dibuka dengan '{' tidak ditutup dengan '}'"),
        ('a: "abc\n', 2, "tanda kutip tidak ditutup"),
        ("a:\n  b: 1\n c: 2\n", 3, "indentasi tidak rata"),
        ("a:\n\t- b\n", 2, "karakter tab tidak boleh dipakai"),
        ("a: 1\nb: 2\na: 3\n", 3, "kunci 'a' ditulis dua kali (pertama di baris 1)"),
        ("kegiatan: Meneruskan\n  perintah: x\n", 2, "tanda titik dua di tempat yang tidak boleh"),
        ("a: *x\n", 1, "alias"),
    ],
)
def test_yaml_faults_are_indonesian_with_their_line(text: str, line: int, said: str) -> None:
    with pytest.raises(YamlFault) as fault:
        read_yaml(text)
    assert fault.value.line == line
    assert said in fault.value.text
    _clean([fault.value.text])


def test_lines_point_at_the_key_an_error_is_about() -> None:
    text = "code: x\nsteps:\n  - number: 1\n    waktu: dua jam\n  - number: 2\n"
    data, lines = read_yaml(text)
    assert data["steps"][0]["waktu"] == "dua jam"
    assert lines.line(("steps", 0, "waktu")) == 4
    assert lines.line(("steps", 1)) == 5
    assert lines.line(("steps", 1, "kegiatan")) == 5  # missing: the entry's own line
    assert lines.line(("tidak_ada",)) == 1


def test_a_change_made_in_chat_is_told_without_a_file() -> None:
    from bot.office.settings import OfficeSettings

    with pytest.raises(ValidationError) as refused:
        OfficeSettings.model_validate({"calendar": {"closed_dates": ["2026-02-30"], "x": 1}})
    text = told(refused.value, OfficeSettings)
    assert text.splitlines() == [
        "calendar.closed_dates[1]: tanggal '2026-02-30' tidak ada di kalender",
        "calendar: kunci 'x' tidak dikenal",
    ]
    _clean([text])
