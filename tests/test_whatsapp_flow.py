"""WhatsApp through the fake Cloud API over real HTTP: signed webhooks, the handshake, media,
templates, statuses and the API's error codes. Every SOP walked by people on WhatsApp; an office
mixing both channels with a document crossing between them; the 24-hour window; forged,
duplicated and retried webhooks; stale buttons; WhatsApp's limits."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fakes.telegram import FakeUser
from fakes.whatsapp import FakeWaUser, Limits
from storage.db import Database
from tests.harness import (
    ADMIN_ID,
    WA_VERIFY,
    Harness,
    is_step,
    offers,
    office_data,
    start_process,
    wa_choose,
    wa_is_step,
    wa_number,
    wa_play,
    wa_start_process,
    wait_text,
)
from tests.sopwalk import SCRIPTS

KAPUAS = ["sekretaris", "kasubbag_hukum_sdm", "staf_subbagian", "pengelola_jdih"]
JAMBI = [p["roles"][0] for p in office_data("jambi")["people"]]
D = "kapuas-medsos-jdih"


def _no_refused_sends(h: Harness) -> None:
    """WhatsApp never refused a message the bot sent: every limit (3 buttons of 20 characters,
    bodies of 1,024, lists of 10 rows, 4,096-character texts) was kept by construction."""
    assert h.wa is not None
    refused = [c for c in h.wa.calls if c.kind == "send_message" and c.status != 200]
    assert refused == [], refused


async def _status(h: Harness, process: int) -> str:
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        row = await tx.processes.get(process)
    assert row is not None
    return row.status


@pytest.mark.parametrize(
    "code", ["jambi-penurunan-jdih", "jambi-pengunggahan-jdih", "jambi-konten-medsos", D]
)
async def test_every_sop_is_walked_by_people_on_whatsapp(hw: Harness, code: str) -> None:
    office, roles = ("kapuas", KAPUAS) if code == D else ("jambi", JAMBI)
    await hw.import_office(office, whatsapp=roles)
    people = await hw.mixed_people(office, roles)
    wa_people = {role: p for role, p in people.items() if isinstance(p, FakeWaUser)}
    assert len(wa_people) == len(roles)
    process = await wa_play(hw, wa_people, code, f"Walk {code}")
    assert await _status(hw, process) == "finished"
    starter = wa_people[SCRIPTS[code].starter_role]
    archive = await starter.wait_for(
        lambda m: m.document is not None and m.document.filename == f"arsip-proses-{process}.pdf"
    )
    assert archive.document is not None
    assert archive.document.content.startswith(b"%PDF-")
    _no_refused_sends(hw)


async def test_a_document_crosses_from_whatsapp_to_telegram_and_back(hw: Harness) -> None:
    on_wa = ["kasubbag_hukum_sdm", "pengelola_jdih"]
    await hw.import_office("kapuas", whatsapp=on_wa)
    people = await hw.mixed_people("kapuas", on_wa)
    budi, ani, joko = (
        people["kasubbag_hukum_sdm"],
        people["staf_subbagian"],
        people["pengelola_jdih"],
    )
    assert isinstance(budi, FakeWaUser)
    assert isinstance(joko, FakeWaUser)
    assert isinstance(ani, FakeUser)
    budi_mark, ani_mark, joko_mark = budi.mark(), ani.mark(), joko.mark()
    await wa_start_process(budi, hw.catalog.definitions[D], "Lintas saluran")
    await budi.press(await budi.wait_for(wa_is_step(1, 6, "Selesai"), since=budi_mark), "Selesai")
    await ani.press(await ani.wait_for(is_step(2, 6), since=ani_mark), "Selesai")
    step3 = await joko.wait_for(wa_is_step(3, 6, "Selesai"), since=joko_mark)
    joko_mark = joko.mark()
    await joko.press(step3, "Selesai")
    await joko.wait_for(lambda m: "Kirim berkas" in m.text, since=joko_mark)
    draft = b"%PDF-1.4 draf dari WhatsApp"
    await joko.send_document("draf-wa.pdf", draft)
    # On Telegram, Ani fetches the WhatsApp document from her step's button.
    step4 = await ani.wait_for(is_step(4, 6), since=ani_mark)
    ani_mark = ani.mark()
    await ani.press(step4, "📎 Draf konten media sosial (langkah 3)")
    got = await ani.wait_for(lambda m: m.document is not None, since=ani_mark)
    assert got.document is not None
    assert got.document.content == draft
    assert got.document.file_name == "draf-wa.pdf"
    # Ani hands hers in on Telegram; Budi, on WhatsApp, gets it from the step's document list.
    ani_mark = ani.mark()
    await ani.press(step4, "Selesai")
    await wait_text(ani, "Kirim berkas", ani_mark)
    edited = b"%PDF-1.4 suntingan dari Telegram"
    await ani.send_document("suntingan-tg.pdf", edited)
    documents = await budi.wait_for(
        lambda m: m.list_button == "Dokumen" and len(m.rows) == 2, since=budi_mark
    )
    mark = budi.mark()
    await wa_choose(budi, documents, "📎 Draf konten hasil suntingan (langkah 4)")
    back = await budi.wait_for(lambda m: m.document is not None, since=mark)
    assert back.document is not None
    assert back.document.content == edited
    assert back.document.filename == "suntingan-tg.pdf"
    _no_refused_sends(hw)


async def _to_step_2(h: Harness) -> tuple[dict[str, FakeWaUser], int]:
    await h.import_office("kapuas", whatsapp=KAPUAS)
    people = {r: p for r, p in (await h.mixed_people("kapuas", KAPUAS)).items()}
    wa = {r: p for r, p in people.items() if isinstance(p, FakeWaUser)}
    budi = wa["kasubbag_hukum_sdm"]
    mark = budi.mark()
    process = await wa_start_process(budi, h.catalog.definitions[D], "Jendela 24 jam")
    await budi.press(await budi.wait_for(wa_is_step(1, 6, "Selesai"), since=mark), "Selesai")
    await wa["staf_subbagian"].wait_for(wa_is_step(2, 6, "Selesai"))
    return wa, process


async def test_outside_the_window_a_reminder_goes_as_a_template_whose_buttons_act(
    hw: Harness,
) -> None:
    hw.approve_templates()
    wa, process = await _to_step_2(hw)
    ani = wa["staf_subbagian"]
    # Step 2's baku mutu is 1 hari; Ani has not written for more than a day.
    hw.clock.advance(timedelta(hours=26))
    assert not ani.window_open
    mark = ani.mark()
    assert hw.bot is not None
    assert hw.bot.scheduler is not None
    await hw.bot.scheduler.tick()
    reminder = await ani.wait_for(lambda m: m.template is not None, since=mark)
    assert reminder.template is not None
    assert reminder.template.name == "sopbot_langkah_tugas"
    assert reminder.template.language == "id"
    assert "pengingat ke-1" in reminder.text
    assert f"Proses #{process}" in reminder.text
    assert reminder.buttons == ["Selesai", "Lihat langkah"]
    # The quick reply acts like the step's own button.
    mark = ani.mark()
    await ani.press(reminder, "Selesai")
    await ani.wait_for(lambda m: m.text.startswith("Tercatat: Selesai"), since=mark)
    joko = wa["pengelola_jdih"]
    await joko.wait_for(wa_is_step(3, 6, "Selesai"))
    _no_refused_sends(hw)


async def test_a_free_message_refused_for_the_window_is_sent_again_as_its_template(
    hw: Harness,
) -> None:
    hw.approve_templates()
    wa, _process = await _to_step_2(hw)
    joko = wa["pengelola_jdih"]
    # Joko wrote long ago, but the bot believes otherwise (its clock of the window is ahead of
    # WhatsApp's): it sends his step freely, WhatsApp fails it with 131047, the bot sends the
    # template.
    hw.clock.advance(timedelta(hours=30))
    assert hw.bot is not None
    assert hw.bot.db is not None
    async with hw.bot.db.transaction() as tx:
        await tx.inbound.heard("whatsapp", joko.wa_id, hw.clock.now())
    ani = wa["staf_subbagian"]
    mark = ani.mark()
    await ani.send("tugas")  # Ani is inside her window again
    tasks = await ani.wait_for(offers("Buka #1 langkah 2: Jendela 24 jam"), since=mark)
    mark = ani.mark()
    await wa_choose(ani, tasks, "Buka #1 langkah 2: Jendela 24 jam")
    step2 = await ani.wait_for(wa_is_step(2, 6, "Selesai"), since=mark)
    jmark = joko.mark()
    await ani.press(step2, "Selesai")
    failed = await joko.wait_for_failed(since=jmark)
    assert failed.errors[0]["code"] == 131047
    again = await joko.wait_for(lambda m: m.template is not None, since=jmark)
    assert again.template is not None
    assert again.template.name == "sopbot_langkah_tugas"
    assert "langkah baru untuk Anda" in again.text


async def test_a_message_without_a_template_waits_for_its_person(hw: Harness) -> None:
    hw.approve_templates()
    wa, process = await _to_step_2(hw)
    budi = wa["kasubbag_hukum_sdm"]
    hw.clock.advance(timedelta(hours=25))
    ani = wa["staf_subbagian"]
    mark = ani.mark()
    await ani.send("halo")  # Ani is back; Budi is not
    await ani.wait_for(since=mark)
    bmark = budi.mark()
    await ani.press(await ani.wait_for(wa_is_step(2, 6, "Selesai")), "Selesai")
    # Budi's progress news has no template: it waits; he gets one nudge to open the chat.
    nudge = await budi.wait_for(lambda m: m.template is not None, since=bmark)
    assert nudge.template is not None
    assert nudge.template.name == "sopbot_kabar"
    assert not any("Selesai oleh Staf Ani" in m.text for m in budi.messages)
    mark = budi.mark()
    await budi.press(nudge, "Buka")
    news = await budi.wait_for(
        lambda m: "Langkah 2" in m.text and "Selesai oleh" in m.text, since=mark
    )
    assert f"Proses #{process}" in news.text


async def test_a_missing_template_keeps_the_message_and_tells_the_admins(hw: Harness) -> None:
    wa, _ = await _to_step_2(hw)  # no template approved
    admin = await hw.person(ADMIN_ID, "Admin Kantor")
    mark = admin.mark()
    hw.clock.advance(timedelta(hours=26))
    assert hw.bot is not None
    assert hw.bot.scheduler is not None
    await hw.bot.scheduler.tick()
    told = await wait_text(admin, "Templat WhatsApp belum siap", mark)
    assert "sopbot_langkah_tugas" in told.text
    assert "sopbot whatsapp templates --kirim" in told.text
    # Approved now: the waiting reminder goes when it is tried again (an hour later).
    hw.approve_templates()
    hw.clock.advance(timedelta(hours=1, minutes=1))
    assert hw.bot.sender is not None
    hw.bot.sender.wake()
    ani = wa["staf_subbagian"]
    got = await ani.wait_for(lambda m: m.template is not None, timeout=10)
    assert got.template is not None
    assert got.template.name == "sopbot_langkah_tugas"


async def test_forged_and_unsigned_webhooks_are_refused_and_change_nothing(
    hw: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await hw.import_office("kapuas", whatsapp=KAPUAS)
    assert hw.wa is not None
    ani = await hw.wa_person(wa_number(1203), "Staf Ani", write=False)
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": hw.wa.waba_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": hw.wa.display_number,
                                "phone_number_id": hw.wa.phone_number_id,
                            },
                            "contacts": [{"profile": {"name": "Staf Ani"}, "wa_id": ani.wa_id}],
                            "messages": [
                                {
                                    "from": ani.wa_id,
                                    "id": "wamid.palsu",
                                    "timestamp": "1763254800",
                                    "type": "text",
                                    "text": {"body": "RAHASIA-ISI-PALSU tugas"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    assert await hw.wa.post_webhook(body, signature=None) == 401
    assert await hw.wa.post_webhook(body, signature="wrong") == 401
    assert await hw.wa.post_webhook(body, signature="sha256=" + "0" * 64) == 401
    await asyncio.sleep(0.3)
    assert ani.messages == []
    assert hw.bot is not None
    assert hw.bot.db is not None
    async with hw.bot.db.read() as tx:
        kept = await tx.offices._scalar("SELECT COUNT(*) FROM inbound")
    assert kept == 0
    refusals = [r for r in caplog.records if "without a valid signature" in r.getMessage()]
    assert len(refusals) == 3
    assert not any("RAHASIA-ISI-PALSU" in r.getMessage() for r in caplog.records)
    # The handshake answers only the verify token.
    assert await hw.wa.configure_webhook(hw.webhook_url, "token-salah") is False
    assert await hw.wa.configure_webhook(hw.webhook_url, WA_VERIFY) is True


async def test_a_webhook_delivered_twice_acts_once(hw: Harness) -> None:
    wa, _ = await _to_step_2(hw)
    ani = wa["staf_subbagian"]
    assert hw.wa is not None
    step2 = await ani.wait_for(wa_is_step(2, 6, "Selesai"))
    mark = ani.mark()
    before = len(hw.wa.events)
    await ani.press(step2, "Selesai")
    await ani.wait_for(lambda m: m.text.startswith("Tercatat"), since=mark)
    press = await hw.wa.wait_for_event(lambda e: e.kind == "message", after=before)
    hw.wa.deliver_again(press)
    await hw.wa.idle()
    await asyncio.sleep(0.3)
    answers = [m for m in ani.messages if m.id and m.text.startswith(("Tercatat", "Sudah"))]
    assert [m.text for m in answers] == ["Tercatat: Selesai"]
    assert hw.bot is not None
    assert hw.bot.db is not None
    async with hw.bot.db.read() as tx:
        closed = await tx.offices._scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'step_closed'"
        )
    assert closed == 2  # steps 1 and 2, once each


async def test_a_stale_button_is_refused_with_a_message(hw: Harness) -> None:
    wa, _ = await _to_step_2(hw)
    ani = wa["staf_subbagian"]
    step2 = await ani.wait_for(wa_is_step(2, 6, "Selesai"))
    mark = ani.mark()
    await ani.press(step2, "Selesai")
    await ani.wait_for(lambda m: m.text.startswith("Tercatat"), since=mark)
    mark = ani.mark()
    await ani.press(step2, "Selesai")
    refused = await ani.wait_for(since=mark)
    assert refused.text == "Sudah diproses."


async def test_webhooks_retried_over_a_restart_lose_nothing(hw: Harness) -> None:
    wa, _ = await _to_step_2(hw)
    ani = wa["staf_subbagian"]
    step2 = await ani.wait_for(wa_is_step(2, 6, "Selesai"))
    await hw.stop()
    # While the bot is down Ani presses and writes; Meta (the fake) retries until it answers.
    await ani.press(step2, "Selesai")
    await ani.send("tugas")
    await asyncio.sleep(0.3)
    mark = ani.mark()
    await hw.start()
    await ani.wait_for(lambda m: m.text.startswith("Tercatat: Selesai"), since=mark, timeout=10)
    await ani.wait_for(lambda m: "langkah" in m.text.lower(), since=mark, timeout=10)
    await wa["pengelola_jdih"].wait_for(wa_is_step(3, 6, "Selesai"), timeout=10)


async def test_a_webhook_kept_before_a_crash_is_handled_after_the_restart(
    hw: Harness,
) -> None:
    await hw.import_office("kapuas", whatsapp=KAPUAS)
    ani = await hw.wa_person(wa_number(1203), "Staf Ani")
    assert hw.bot is not None
    assert hw.bot.db is not None
    await hw.stop()
    # The bot stored the webhook and answered 200, then died before handling it.
    assert hw.wa is not None
    before = len(hw.wa.events)
    await ani.send("tugas")
    event = hw.wa.events[before]
    db = await Database.open(hw.path / "sopbot.db")
    async with db.transaction() as tx:
        await tx.inbound.keep("whatsapp", event.body, hw.clock.now())
    await db.close()
    mark = ani.mark()
    await hw.start()
    answer = await ani.wait_for(lambda m: "langkah" in m.text.lower(), since=mark, timeout=10)
    assert "Tidak ada langkah" in answer.text
    await hw.wa.idle(timeout=10)
    await asyncio.sleep(0.3)
    # The same update, kept and then delivered again by the fake's retry, answered once.
    answers = [m for m in ani.messages if "Tidak ada langkah" in m.text]
    assert len(answers) == 1


async def test_an_announcement_reaches_whatsapp_people_and_the_uploader_can_share_it(
    hw: Harness,
) -> None:
    await hw.import_office("kapuas", whatsapp=KAPUAS)
    people = await hw.mixed_people("kapuas", KAPUAS)
    wa = {r: p for r, p in people.items() if isinstance(p, FakeWaUser)}
    await wa_play(hw, wa, D, "Dibagikan")
    hilda = wa["sekretaris"]
    announcement = await hilda.wait_for(lambda m: "📢" in m.text)
    assert "Konten media sosial telah diunggah" in announcement.text
    assert announcement.url_button is not None
    joko = wa["pengelola_jdih"]
    share = await joko.wait_for(
        lambda m: m.url_button is not None and "Bagikan" in m.url_button.text
    )
    assert share.url_button is not None
    assert share.url_button.text == "Bagikan ke grup"
    assert share.url_button.url.startswith("https://wa.me/?text=")
    assert "Konten%20media%20sosial%20telah%20diunggah" in share.url_button.url


async def test_an_invitation_opens_on_whatsapp(hw: Harness) -> None:
    await hw.import_office("kapuas")
    admin = await hw.person(ADMIN_ID, "Admin Kantor")
    mark = admin.mark()
    await admin.send("/undang")
    menu = await admin.wait_for(lambda m: "Staf Subbagian" in m.button_texts, since=mark)
    mark = admin.mark()
    await admin.press(menu, "Staf Subbagian")
    invite = await admin.wait_for(lambda m: "wa.me" in m.text, since=mark)
    assert "t.me/" in invite.text
    link = next(w for w in invite.text.split() if w.startswith("https://wa.me/"))
    assert hw.wa is not None
    assert link.startswith(f"https://wa.me/{hw.wa.display_number}?text=start%20")
    token = link.split("start%20", 1)[1]
    newcomer = hw.wa.person("6281299990000", "Pegawai Baru")
    wa_mark = newcomer.mark()
    await newcomer.send(f"start {token}")
    welcome = await newcomer.wait_for(lambda m: "Selamat datang" in m.text, since=wa_mark)
    assert "Staf Subbagian" in welcome.text
    wa_mark = newcomer.mark()
    await newcomer.send("tugas")
    await newcomer.wait_for(lambda m: "Tidak ada langkah" in m.text, since=wa_mark)


async def test_proses_shows_whether_the_step_message_was_read(hw: Harness) -> None:
    wa, process = await _to_step_2(hw)
    budi, ani = wa["kasubbag_hukum_sdm"], wa["staf_subbagian"]
    assert hw.wa is not None
    await hw.wa.idle()  # WhatsApp's statuses of Ani's step message have reached the bot
    await asyncio.sleep(0.3)
    mark = budi.mark()
    await budi.send("proses")
    before = await budi.wait_for(lambda m: f"#{process}" in m.text, since=mark)
    assert "Staf Ani, pesan diterima" in before.text
    await ani.read_all()
    await asyncio.sleep(0.3)
    mark = budi.mark()
    await budi.send("/proses")
    after = await budi.wait_for(lambda m: f"#{process}" in m.text, since=mark)
    assert "Staf Ani, pesan dibaca" in after.text
    mark = budi.mark()
    await budi.send(f"riwayat {process}")
    timeline = await budi.wait_for(lambda m: "Status: berjalan" in m.text, since=mark)
    assert "Pesan langkah sekarang untuk Staf Ani: dibaca" in timeline.text


async def test_commands_are_typed_and_the_menu_is_a_list(hw: Harness) -> None:
    await hw.import_office("kapuas", whatsapp=KAPUAS)
    people = await hw.mixed_people("kapuas", KAPUAS)
    budi = people["kasubbag_hukum_sdm"]
    assert isinstance(budi, FakeWaUser)
    mark = budi.mark()
    await budi.send("Bantuan")
    helped = await budi.wait_for(lambda m: "tugas —" in m.text, since=mark)
    assert "/tugas" not in helped.text
    menu = await budi.wait_for(lambda m: m.list_button is not None, since=mark)
    assert len(menu.rows) <= 10
    mark = budi.mark()
    await wa_choose(budi, menu, "Langkah yang menunggu Anda")
    await budi.wait_for(lambda m: "Tidak ada langkah" in m.text, since=mark)
    # While the bot waits for a title, a word that names a command is the answer; "batal" is not.
    defn = hw.catalog.definitions[D]
    mark = budi.mark()
    await budi.send("baru")
    choose = await budi.wait_for(offers(defn.header.singkat or defn.header.nama), since=mark)
    mark = budi.mark()
    await wa_choose(budi, choose, defn.header.singkat or defn.header.nama)
    await budi.wait_for(lambda m: "judul" in m.text.lower(), since=mark)
    mark = budi.mark()
    await budi.send("batal")
    await budi.wait_for(lambda m: "diurungkan" in m.text.lower(), since=mark)


async def test_whatsapp_rate_limits_wait_and_keep_the_order(hw: Harness) -> None:
    await hw.import_office("kapuas", whatsapp=KAPUAS)
    budi = await hw.wa_person(wa_number(1202), "Kasubbag Budi")
    assert hw.wa is not None
    hw.wa.limits = Limits(per_second=80, pair_burst=2, pair_interval=0.3)
    mark = budi.mark()
    for command in ("tugas", "proses", "bantuan"):
        await budi.send(command)
    await budi.wait_for(lambda m: m.list_button is not None, since=mark, timeout=15)
    texts = [m.text for m in budi.messages if m.timestamp >= 0][-4:]
    assert "Tidak ada langkah" in texts[0]
    assert "proses berjalan" in texts[1]
    assert "tugas —" in texts[2]
    assert hw.wa.rate_limited > 0


async def test_admin_commands_reports_and_the_archive_work_from_whatsapp(hw: Harness) -> None:
    hw.settings_overrides = {"admin_whatsapp_numbers": "6281200000001"}
    await hw.restart()
    await hw.import_office("kapuas", whatsapp=KAPUAS)
    admin = await hw.wa_person("6281200000001", "Admin WA")
    # /undang, typed: the office's roles come as a list; the invitation carries both links.
    mark = admin.mark()
    await admin.send("undang")
    roles = await admin.wait_for(offers("Staf Subbagian"), since=mark)
    mark = admin.mark()
    await wa_choose(admin, roles, "Staf Subbagian")
    invite = await admin.wait_for(lambda m: "wa.me/" in m.text, since=mark)
    assert "t.me/" in invite.text
    # /laporan by the Sekretaris: the periods, the summary with its downloads, the chart.
    people = await hw.mixed_people("kapuas", KAPUAS)
    hilda = people["sekretaris"]
    assert isinstance(hilda, FakeWaUser)
    await wa_play(hw, {r: p for r, p in people.items() if isinstance(p, FakeWaUser)}, D, "Lapor")
    mark = hilda.mark()
    await hilda.send("laporan")
    periods = await hilda.wait_for(offers("Bulan ini"), since=mark)
    mark = hilda.mark()
    await wa_choose(hilda, periods, "Bulan ini")
    summary = await hilda.wait_for(offers("Unduh XLSX"), since=mark)
    chart = await hilda.wait_for(lambda m: m.image is not None, since=mark)
    assert chart.image is not None
    assert chart.image.content.startswith(b"\x89PNG")
    mark = hilda.mark()
    await wa_choose(hilda, summary, "Unduh XLSX")
    xlsx = await hilda.wait_for(lambda m: m.document is not None, since=mark)
    assert xlsx.document is not None
    assert xlsx.document.filename is not None
    assert xlsx.document.filename.endswith(".xlsx")
    # /riwayat 1: the timeline, the flowchart, and the archive from its button.
    mark = hilda.mark()
    await hilda.send("riwayat 1")
    await hilda.wait_for(lambda m: "Status: selesai" in m.text, since=mark)
    archive_button = await hilda.wait_for(offers("Arsip (PDF)"), since=mark)
    mark = hilda.mark()
    await wa_choose(hilda, archive_button, "Arsip (PDF)")
    archive = await hilda.wait_for(lambda m: m.document is not None, since=mark)
    assert archive.document is not None
    assert archive.document.content.startswith(b"%PDF-")
    _no_refused_sends(hw)


async def test_a_message_whatsapp_cannot_deliver_is_told_to_the_admins(hw: Harness) -> None:
    """A number without WhatsApp: the step goes as its template, WhatsApp fails it (131026), and
    the admins hear of it with WhatsApp's reason; nothing is dropped silently."""
    hw.approve_templates()
    await hw.import_office("kapuas", whatsapp=["staf_subbagian"])
    people = await hw.office_people_on_telegram("kapuas", skip=["staf_subbagian"])
    admin = await hw.person(ADMIN_ID, "Admin Kantor")
    budi = people["kasubbag_hukum_sdm"]
    mark = admin.mark()
    await start_process(hw, budi, hw.catalog.definitions[D], "Nomor tanpa WhatsApp")
    await budi.press(await budi.wait_for(is_step(1, 6)), "Selesai")
    told = await wait_text(admin, "Pesan tidak terkirim", mark)
    assert "Staf Ani" in told.text
    assert "131026" in told.text


async def test_a_list_longer_than_whatsapp_allows_pages_through_berikutnya(hw: Harness) -> None:
    await hw.import_office("kapuas", whatsapp=KAPUAS)
    budi = await hw.wa_person(wa_number(1202), "Kasubbag Budi")
    assert hw.bot is not None
    assert hw.bot.workflow is not None
    assert hw.bot.db is not None
    async with hw.bot.db.read() as tx:
        office = await tx.offices.by_code("kpu-kapuas")
        user = await tx.offices.user_by_identity("whatsapp", budi.wa_id)
    assert office is not None
    assert user is not None
    for n in range(1, 13):
        await hw.bot.workflow.start(user.id, office.id, D, f"Konten ke-{n}")
    mark = budi.mark()
    await budi.send("tugas")
    first = await budi.wait_for(lambda m: bool(m.rows), since=mark)
    assert len(first.rows) == 10
    assert first.rows[-1].title == "Berikutnya ›"
    assert "Konten ke-1" in (first.rows[0].description or first.rows[0].title)
    mark = budi.mark()
    await budi.choose(first, "Berikutnya ›")
    second = await budi.wait_for(lambda m: bool(m.rows), since=mark)
    assert [r.description or r.title for r in second.rows] == [
        "Buka #10 langkah 1: Konten ke-10",
        "Buka #11 langkah 1: Konten ke-11",
        "Buka #12 langkah 1: Konten ke-12",
    ]
    mark = budi.mark()
    await wa_choose(budi, second, "Buka #12 langkah 1: Konten ke-12")
    await budi.wait_for(
        lambda m: "Konten ke-12" in m.text and "Langkah 1 dari 6" in m.text, since=mark
    )
    # On WhatsApp the office group is Telegram's: /grup says so, and the help leaves it out.
    mark = budi.mark()
    await budi.send("grup")
    told = await budi.wait_for(since=mark)
    assert "lewat Telegram" in told.text
