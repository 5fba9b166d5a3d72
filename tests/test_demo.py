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
