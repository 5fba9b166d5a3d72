"""The command line, run as a real process would: ``sopbot sop check``, ``sop show``, ``audit verify``."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from sop.loader import BUILTIN_DIR
from storage.db import Database


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


def test_sop_check_of_a_broken_folder_exits_non_zero_with_the_faults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "kantor"
    folder.mkdir()
    broken = (
        (BUILTIN_DIR / "kapuas-medsos-jdih.yaml")
        .read_text()
        .replace("code: kapuas-medsos-jdih", "code: kantor-x")
    )
    broken = broken.replace("    returns_to: 4", "    returns_to: 40")
    (folder / "kantor-x.yaml").write_text(broken)
    assert main(["sop", "check", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "kantor-x.yaml: langkah 5: returns_to ke langkah 40 yang tidak ada" in err


def test_sop_show_lays_out_the_form(capsys: pytest.CaptureFixture[str]) -> None:
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
