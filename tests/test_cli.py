"""The command line, run as a real process would: ``sopbot sop check``, ``sop show``, ``audit verify``."""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
from bot.cli.parser import MESSAGES
from bot.words.sop_form import MIN_WIDTH
from sop.loader import BUILTIN_DIR
from storage.db import Database
from tests.report_history import png_size

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_sop_check_prints_a_row_per_sop_with_its_normal_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sop", "check"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in out[1:]}
    assert set(rows) == {
        "jambi-penurunan-jdih",
        "jambi-pengunggahan-jdih",
        "jambi-konten-medsos",
        "kapuas-medsos-jdih",
    }
    assert rows["kapuas-medsos-jdih"].endswith("6  1 hari 1 jam 35 menit")
    assert rows["jambi-penurunan-jdih"].endswith("6  2 jam")
    assert rows["jambi-pengunggahan-jdih"].endswith("7  3 jam 5 menit")
    assert rows["jambi-konten-medsos"].endswith("7  3 hari 1 jam 15 menit + 3 langkah tanpa waktu")


def _office_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kantor"
    folder.mkdir()
    return folder


def _own_sop_d() -> str:
    """SOP D's file as an office's own SOP (code kantor-x)."""
    return (
        (BUILTIN_DIR / "kapuas-medsos-jdih.yaml")
        .read_text()
        .replace("code: kapuas-medsos-jdih", "code: kantor-x")
    )


def test_sop_check_of_a_broken_folder_exits_non_zero_with_the_faults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _office_folder(tmp_path)
    broken = _own_sop_d()
    broken = broken.replace("    returns_to: 4", "    returns_to: 40")
    (folder / "kantor-x.yaml").write_text(broken)
    assert main(["sop", "check", str(folder)]) == 1
    err = capsys.readouterr().err
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "returns_to: 40" in t)
    assert f"kantor-x.yaml, baris {line}: langkah 5: returns_to ke langkah 40 yang tidak ada" in err


def test_sop_show_lays_out_the_form(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough for the form's table
    assert main(["sop", "show", "jambi-penurunan-jdih"]) == 0
    out = capsys.readouterr().out
    assert "Nomor SOP          : 13 Tahun 2025" in out
    assert "Tanggal Pengesahan : 10 Januari 2025" in out
    assert "Kasubbag TU" in out
    rows = out.split("+-----+")
    step4 = next(r for r in rows if "| 4.  |" in r)
    step5 = next(r for r in rows if "| 5.  |" in r)
    assert "◆" in step4
    assert "Ada koreksi" in step4
    assert "→ 3" in step4
    assert "Tidak Setuju" in step5
    assert "→ 4" in step5
    assert "Waktu normal: 2 jam" in out


def test_sop_show_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sop", "show", "tidak-ada"]) == 2
    assert "SOP 'tidak-ada' tidak dikenal" in capsys.readouterr().err


async def _db_with_events(path: Path) -> None:
    db = await Database.open(path)
    async with db.transaction() as tx:
        for i in range(3):
            await tx.audit.append("uji", datetime(2026, 11, 16, tzinfo=UTC), data={"i": i})
    await db.close()


def test_audit_verify_names_the_first_broken_event(tmp_path: Path) -> None:
    path = tmp_path / "sopbot.db"
    asyncio.run(_db_with_events(path))
    run = [sys.executable, "-m", "bot", "audit", "verify", "--database", str(path)]
    ok = subprocess.run(run, capture_output=True, text=True, check=False)  # noqa: S603
    assert ok.returncode == 0, ok.stderr
    assert "3 peristiwa diperiksa" in ok.stdout
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET data = '{\"i\":9}' WHERE id = 2")
    bad = subprocess.run(run, capture_output=True, text=True, check=False)  # noqa: S603
    assert bad.returncode == 1
    assert "peristiwa #2" in bad.stderr


def test_console_script_is_installed() -> None:
    exe = shutil.which("sopbot", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run([exe, "sop", "check"], capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0
    assert "kapuas-medsos-jdih" in done.stdout


def test_run_without_a_token_stops_with_one_line_saying_how_to_get_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    for token in ("", "bukan-token"):
        env["TELEGRAM_BOT_TOKEN"] = token
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env=env,
        )
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "@BotFather" in lines[0]
        assert ".env" in lines[0]
        assert "TELEGRAM_BOT_TOKEN" in lines[0]


# --- issue 12: what an admin reads at the command line --------------------------------------------

EXAMPLES = REPO_ROOT / "bot" / "office" / "examples"


def _stderr_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    return capsys.readouterr().err


ENGLISH = (
    "usage:",
    "error:",
    "options:",
    "positional arguments",
    "required",
    "invalid",
    "choose from",
    "unrecognized",
    "expected",
    "show this help",
    "argument ",
)


def _indonesian(text: str) -> None:
    for word in ENGLISH:
        assert word not in text.lower(), (word, text)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "argumen ini wajib diisi: PERINTAH"),
        (["laporan"], "argumen PERINTAH: pilihan 'laporan' tidak dikenal; pilih salah satu:"),
        (["report"], "argumen ini wajib diisi: --office, --from, --to"),
        (
            ["report", "--office", "x", "--from", "a", "--to", "b", "--format", "pdf"],
            "argumen --format: pilihan 'pdf' tidak dikenal; pilih salah satu: 'text', 'csv'",
        ),
        (["sop", "check", "--bogus"], "argumen tidak dikenal: --bogus"),
        (["audit", "verify", "--database"], "argumen --database: perlu satu nilai sesudahnya"),
    ],
)
def test_the_command_lines_own_errors_are_indonesian(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _stderr_of(argv, capsys)
    assert said in err
    assert "Penggunaan: sopbot" in err
    assert ": galat: " in err
    _indonesian(err)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["sop"],
        ["sop", "check"],
        ["sop", "show"],
        ["run"],
        ["demo"],
        ["office", "import"],
        ["audit", "verify"],
        ["audit", "export"],
        ["report"],
        ["whatsapp", "templates"],
    ],
)
def test_every_help_is_indonesian(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("Penggunaan: sopbot")
    assert "tampilkan bantuan ini lalu keluar" in out
    _indonesian(out)


def test_every_message_of_argparse_has_its_indonesian() -> None:
    """argparse's words come through gettext; each id in its source is in the parser's table,
    so a Python that adds or changes one fails here rather than speaking English to an admin."""
    tree = ast.parse(Path(argparse.__file__).read_text())
    ids = {
        arg.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"_", "ngettext"}
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }
    assert len(ids) > 30
    assert ids <= set(MESSAGES), sorted(ids - set(MESSAGES))
    plain = argparse.ArgumentParser(prog="lain")  # other parsers of the process keep theirs
    assert "usage: lain" in plain.format_usage()


def test_report_helps_example_office_is_an_example_office_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    (code,) = re.findall(r"kode kantor, mis\. ([a-z0-9-]+)", out)
    assert (EXAMPLES / f"{code}.yaml").is_file()
    assert yaml.safe_load((EXAMPLES / f"{code}.yaml").read_text())["code"] == code


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["sop", "show", "kapuas-medsos-jdih", "--png", "diagram.jpg"], "--png diagram.jpg"),
        (["sop", "show", "kapuas-medsos-jdih", "--lengkap"], "--lengkap hanya berlaku"),
        (
            [
                "report",
                "--office",
                "x",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
                "--format",
                "csv",
                "--out",
                "laporan.xlsx",
            ],
            "--out laporan.xlsx: nama berkasnya harus berakhiran .csv, misalnya laporan.csv.",
        ),
        (
            [
                "report",
                "--office",
                "x",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
                "--chart",
                "grafik.jpg",
            ],
            "--chart grafik.jpg: nama berkasnya harus berakhiran .png",
        ),
        (["audit", "export", "1", "--out", "arsip.txt"], "harus berakhiran .pdf"),
    ],
)
def test_a_file_is_written_in_the_format_its_name_says_or_refused(
    argv: list[str],
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert said in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


def test_sop_show_png_with_the_forms_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, full = tmp_path / "d.png", tmp_path / "d-lengkap.png"
    assert main(["sop", "show", "kapuas-medsos-jdih", "--png", str(plain)]) == 0
    assert main(["sop", "show", "kapuas-medsos-jdih", "--png", str(full), "--lengkap"]) == 0
    assert full.read_bytes()[:4] == b"\x89PNG"
    assert png_size(full.read_bytes())[0] > png_size(plain.read_bytes())[0]
    assert "Diagram alir SOP kapuas-medsos-jdih ditulis ke" in capsys.readouterr().out


def test_sop_check_of_a_folder_without_sop_files_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _office_folder(tmp_path)
    (folder / "catatan.txt").write_text("bukan SOP")
    assert main(["sop", "check", str(folder)]) == 1
    assert f"Folder {folder} tidak berisi berkas SOP" in capsys.readouterr().err
    assert main(["sop", "check", str(tmp_path / "tidak-ada")]) == 1
    assert "folder SOP tidak ditemukan" in capsys.readouterr().err


def test_sop_check_of_a_folder_lists_its_own_sops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _office_folder(tmp_path)
    own = _own_sop_d()
    (folder / "kantor-x.yaml").write_text(own)
    assert main(["sop", "check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"SOP di {folder}: 1 berkas, semuanya valid.")
    assert "kantor-x" in out
    assert "jambi-penurunan-jdih" not in out
    assert "Diperiksa bersama 4 SOP bawaan" in out


def test_sop_check_tells_every_fault_of_a_file_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _office_folder(tmp_path)
    text = _own_sop_d()
    text = text.replace("tanggal_pengesahan: 2012-02-09", "tanggal_pengesahan: 2012-02-30")
    text = text.replace("pelaksana: pengelola_jdih  # inferred", "pelaksana: humas  # inferred")
    text = text.replace("    returns_to: 4", "    returns_to: 40")
    (folder / "kantor-x.yaml").write_text(text)
    assert main(["sop", "check", str(folder)]) == 1
    err = capsys.readouterr().err
    lines = text.splitlines()
    assert (
        f"kantor-x.yaml, baris {lines.index('  tanggal_pengesahan: 2012-02-30') + 1}: "
        "header.tanggal_pengesahan: tanggal '2012-02-30' tidak valid"
    ) in err
    assert "langkah 3: pelaksana 'humas' tidak dikenal; peran yang ada: admin_medsos" in err
    assert "langkah 5: returns_to ke langkah 40 yang tidak ada" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("width", [40, 60, 75, 90, 100, 120, 160, 220])
def test_sop_show_fits_the_terminal(
    width: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    for code in ("jambi-konten-medsos", "kapuas-medsos-jdih"):
        assert main(["sop", "show", code]) == 0
        out = capsys.readouterr().out
        assert max(len(line) for line in out.splitlines()) <= max(width, MIN_WIDTH)
        if width <= MIN_WIDTH or width >= 200:  # the table when it fits, else a block a step
            assert ("| Kegiatan" in out) == (width >= 200)
        assert "Waktu normal:" in out


def test_office_import_names_a_missing_file_and_warns_of_placeholder_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "sopbot.db")
    assert main(["office", "import", str(tmp_path / "kantor.yaml"), "--database", db]) == 2
    assert "kantor.yaml: tidak ditemukan." in capsys.readouterr().err
    example = str(EXAMPLES / "kpu-kabupaten-kapuas.yaml")
    assert main(["office", "import", example, "--database", db]) == 0
    done = capsys.readouterr()
    assert "dibuat" in done.out
    assert "Peringatan: 4 orang di kpu-kabupaten-kapuas.yaml masih memakai id contoh" in done.err
    assert "Hildayani" in done.err


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "verify"],
        ["audit", "export", "1", "--out", "arsip.pdf"],
        ["report", "--office", "x", "--from", "2026-01-01", "--to", "2026-01-31"],
        ["office", "import", str(EXAMPLES / "kpu-kabupaten-kapuas.yaml")],
    ],
)
def test_a_file_that_is_no_database_is_named_not_opened(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Opening one used to hang the command (or end in a traceback)."""
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "catatan.txt"
    text.write_text("bukan basis data")
    assert main([*argv, "--database", str(text)]) == 2
    assert f"Berkas {text} bukan basis data sopbot (SQLite)." in capsys.readouterr().err
    assert main([*argv, "--database", str(tmp_path)]) == 2
    assert "adalah sebuah folder, bukan berkas" in capsys.readouterr().err
