"""``sopbot demo`` runs without a token or a network and plays a whole Kapuas SOP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fakes.demo import DEMO_TOKEN, WA_SECRET, WA_TOKEN

REPO = Path(__file__).resolve().parent.parent


def test_the_demo_plays_sop_d_with_a_tidak_setuju_and_keeps_the_token_out_of_its_output(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["LOG_LEVEL"] = "DEBUG"  # PTB logs its API URL, token included, at DEBUG
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for expected in (
        "menekan [Tidak Setuju] pada langkah 5",
        "Dikembalikan dari langkah 5",
        "📋 Langkah 6 dari 6",
        "Proses selesai",
        "[berkas arsip-proses-1.pdf]",
        "📢 Konten media sosial telah diunggah",
        "https://www.instagram.com/p/jdihkpukapuas-hari-pahlawan/",
        # People on both channels, each seeing their own channel's shapes.
        "[Telegram]",
        "[WhatsApp]",
        "daftar [Dokumen]:",
        "[Bagikan ke grup] → https://wa.me/?text=",
    ):
        assert expected in out, expected
    for whatsapp_secret in (WA_TOKEN, WA_SECRET):
        assert whatsapp_secret not in out
        assert whatsapp_secret not in done.stderr
    secret = DEMO_TOKEN.split(":")[1]
    assert "DEBUG" in done.stderr  # the logs were written...
    assert secret not in out
    assert secret not in done.stderr  # ...and the token never reached them
    assert "[RAHASIA]" in done.stderr


def test_the_demo_keeps_its_database_when_asked_and_the_printed_commands_work(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}

    def sopbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - the test's own arguments
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    done = sopbot("demo", "--simpan", "data/demo.db")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Basis data demo disimpan di data/demo.db. Coba:" in done.stdout
    commands = [
        line.split(".venv/bin/sopbot ", 1)[1].split()
        for line in done.stdout.splitlines()
        if ".venv/bin/sopbot " in line
    ]
    assert [c[:2] for c in commands] == [
        ["report", "--office"],
        ["report", "--office"],
        ["audit", "export"],
        ["audit", "verify"],
    ]
    for command in commands:
        ran = sopbot(*command)
        assert ran.returncode == 0, (command, ran.stderr)
    assert "Proses: 1 dimulai, 1 selesai" in sopbot(*commands[0]).stdout
    assert (tmp_path / "laporan.xlsx").is_file()
    assert (tmp_path / "grafik.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "arsip-1.pdf").read_bytes()[:5] == b"%PDF-"
    # Asked again, the demo does not write over the database.
    kept = (tmp_path / "data" / "demo.db").stat().st_mtime_ns
    again = sopbot("demo", "--simpan", "data/demo.db")
    assert again.returncode == 2
    assert "data/demo.db sudah ada" in again.stderr
    assert (tmp_path / "data" / "demo.db").stat().st_mtime_ns == kept
