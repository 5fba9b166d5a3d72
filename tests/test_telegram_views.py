"""What people read: /tugas, /proses, /riwayat, /batal, /bantuan; and the bot in webhook mode."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import httpx

from bot.clock import FakeClock
from fakes.telegram import FakeBotApi
from tests.harness import T0, TOKEN, Harness, is_step, start_process, wait_closed, wait_text


async def test_tugas_lists_open_steps_and_reopens_their_message(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi = people["kasubbag_hukum_sdm"]
    mark = budi.mark()
    p1 = await start_process(h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Konten pertama")
    p2 = await start_process(h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Konten kedua")
    h.clock.advance(timedelta(minutes=15))  # both step 1s are past their 10 menit
    mark = budi.mark()
    await budi.send("/tugas")
    listing = await wait_text(budi, "Langkah yang menunggu Anda (2)", mark)
    assert f"#{p1} Konten pertama" in listing.text
    assert f"#{p2} Konten kedua" in listing.text
    assert listing.text.count("TERLAMBAT") == 2
    mark = budi.mark()
    answer = await budi.press(listing, next(t for t in listing.button_texts if f"#{p2}" in t))
    assert answer.text == "Pesan langkah dikirim ulang."
    # The step message again (not a reminder: the clock moved past the deadline, and a late step
    # is reminded with the same buttons).
    again = await budi.wait_for(
        lambda m: is_step(1, 6)(m) and f"#{p2}" in m.text and "Pengingat" not in m.text, since=mark
    )
    mark = budi.mark()
    await budi.press(again, "Selesai")
    # Every copy of the step message shows the outcome: the first, the reopened one, reminders.
    await wait_closed(budi, again.message_id, mark)
    copies = [m for m in budi.bot_messages if f"#{p2}" in m.text and "Langkah 1 dari 6" in m.text]
    assert len(copies) >= 2
    for copy in copies:
        await wait_closed(budi, copy.message_id, mark)
        assert "✅ Selesai — Kasubbag Budi" in copy.text
    mark = budi.mark()
    await budi.send("/tugas")
    listing = await wait_text(budi, "Langkah yang menunggu Anda (1)", mark)
    assert f"#{p2}" not in listing.text


async def test_proses_shows_each_running_process_with_its_step_and_actor(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    mark = budi.mark()
    process = await start_process(
        h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Konten Sumpah Pemuda"
    )
    await budi.press(await budi.wait_for(is_step(1, 6), since=mark), "Selesai")
    mark = ani.mark()
    await ani.send("/proses")
    shown = await wait_text(ani, "KPU Kabupaten Kapuas: 1 proses berjalan", mark)
    assert f"#{process} Konten Sumpah Pemuda" in shown.text
    assert "Langkah 2/6" in shown.text
    assert "Staf Subbagian (Staf Ani)" in shown.text


async def test_riwayat_tells_the_timeline_from_the_audit_log(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi = people["kasubbag_hukum_sdm"]
    mark = budi.mark()
    process = await start_process(
        h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Riwayat uji"
    )
    await budi.press(await budi.wait_for(is_step(1, 6), since=mark), "Selesai")
    mark = budi.mark()
    await budi.send(f"/riwayat {process}")
    timeline = await wait_text(budi, "Status: berjalan", mark)
    lines = timeline.text.splitlines()
    assert any("Proses dimulai oleh Kasubbag Budi" in line for line in lines)
    assert any("Langkah 1: Selesai oleh Kasubbag Budi" in line for line in lines)
    assert any("Langkah 2 untuk Staf Subbagian" in line for line in lines)
    assert "Senin, 16 Nov 2026 08.00 WIB" in timeline.text
    assert "Hash jejak audit terakhir" in timeline.text
    stranger_office = h.api.user(7777, "Kantor Lain")
    del stranger_office
    mark = budi.mark()
    await budi.send("/riwayat 999")
    await wait_text(budi, "Proses #999 tidak ditemukan", mark)
    mark = budi.mark()
    await budi.send("/riwayat dua")
    await wait_text(budi, "misalnya /riwayat 12", mark)


async def test_batal_by_the_starter_with_a_reason_and_refused_to_others(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    marks = {u.id: u.mark() for u in people.values()}
    process = await start_process(
        h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Akan dibatalkan"
    )
    await budi.press(await budi.wait_for(is_step(1, 6), since=marks[budi.id]), "Selesai")
    step2 = await ani.wait_for(is_step(2, 6), since=marks[ani.id])
    mark = ani.mark()
    await ani.send(f"/batal {process}")
    await wait_text(ani, "Hanya pemulai proses atau admin", mark)
    mark = budi.mark()
    await budi.send(f"/batal {process}")
    await budi.wait_for(lambda m: m.force_reply and "alasan pembatalan" in m.text, since=mark)
    mark = budi.mark()
    await budi.send("Materi diganti keputusan pimpinan")
    await wait_text(budi, f"Proses #{process} dibatalkan.", mark)
    # Ani's open step shows the cancellation and loses its buttons.
    await ani.wait_for(
        lambda m: (
            m.message_id == step2.message_id and "⛔ Proses dibatalkan" in m.text and not m.buttons
        )
    )
    answer = await ani.press_data(step2, "x")
    assert answer.text == "Tombol ini tidak berlaku."
    mark = budi.mark()
    await budi.send(f"/batal {process}")
    await wait_text(budi, "sudah tidak berjalan", mark)


async def test_bantuan_lists_the_commands(h: Harness) -> None:
    await h.import_office("kapuas")
    ani = (await h.office_people("kapuas"))["staf_subbagian"]
    mark = ani.mark()
    await ani.send("/bantuan")
    helped = await wait_text(ani, "/tugas", mark)
    assert "/baru" in helped.text
    assert "Perintah admin" not in helped.text
    mark = ani.mark()
    await ani.send("/apaini")
    await wait_text(ani, "Perintah /apaini tidak dikenal", mark)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_checks_the_secret_on_every_request(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    port = _free_port()
    async with FakeBotApi(TOKEN, clock=clock) as api:
        h = Harness(api, tmp_path, clock)
        h.settings_overrides = {
            "webhook_url": f"http://127.0.0.1:{port}/sopbot-hook",
            "webhook_secret": "rahasia-webhook_123",
            "webhook_listen": "127.0.0.1",
            "port": port,
        }
        await h.start()
        try:
            assert api.webhook_url() == f"http://127.0.0.1:{port}/sopbot-hook"
            await h.import_office("kapuas")
            budi = await h.person(1202, "Kasubbag Budi")
            mark = budi.mark()
            await budi.send("/tugas")
            await wait_text(budi, "Tidak ada langkah", mark)
            async with httpx.AsyncClient() as client:
                forged = await client.post(
                    f"http://127.0.0.1:{port}/sopbot-hook",
                    json={
                        "update_id": 999,
                        "message": {
                            "message_id": 1,
                            "date": 0,
                            "chat": {"id": 1202, "type": "private"},
                            "text": "/baru",
                        },
                    },
                    headers={"X-Telegram-Bot-Api-Secret-Token": "salah"},
                )
            assert forged.status_code == 403
        finally:
            await h.stop()
