"""Every bad input gets a clear message and changes nothing: strangers, the wrong person, stale,
doubled and forged presses, and a hand-in of the wrong kind."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from fakes.telegram import FakeMessage, FakeUser
from tests.harness import Harness, is_step, start_process, wait_closed, wait_text


async def _state(h: Harness, process: int) -> tuple[str, int | None, int, int]:
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        row = await tx.processes.get(process)
        events = len(await tx.audit.for_process(process))
    assert row is not None
    return row.status, row.current_step, row.visit, events


async def _kapuas_at_step_1(h: Harness) -> tuple[dict[str, FakeUser], int, FakeMessage]:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi = people["kasubbag_hukum_sdm"]
    mark = budi.mark()
    process = await start_process(
        h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Uji penjagaan"
    )
    step1 = await budi.wait_for(is_step(1, 6), since=mark)
    return people, process, step1


async def test_a_stranger_is_told_politely_with_their_id_and_nothing_else(h: Harness) -> None:
    stranger = h.api.user(5555, "Orang Asing")
    await stranger.send("/start")
    told = await stranger.wait_for()
    assert "belum terdaftar" in told.text
    assert "5555" in told.text
    for command in ("/baru", "/tugas", "/proses", "/riwayat 1", "/undang", "halo"):
        await stranger.send(command)
    # Each is answered, briefly.
    await stranger.wait_for(lambda m: len(stranger.bot_messages) == 7)
    # Ten minutes on, the next message gets the full answer again.
    h.clock.advance(timedelta(minutes=11))
    await stranger.send("halo lagi")
    await stranger.wait_for(
        lambda m: m.message_id != told.message_id and "Maaf, Orang Asing" in m.text
    )
    assert h.bot is not None
    assert h.bot.sender is not None
    await asyncio.wait_for(h.bot.sender.drain(), 5)
    # Every message is answered: in full once in ten minutes, briefly in between; always with
    # the id for the admin and nothing of the office.
    texts = [m.text for m in stranger.bot_messages]
    assert all("belum terdaftar" in t and "5555" in t for t in texts)
    assert len(texts) == 8
    assert [t.startswith("Maaf") for t in texts] == [True, *[False] * 6, True]


async def test_a_stranger_flooding_the_bot_gets_a_bounded_number_of_answers(h: Harness) -> None:
    stranger = h.api.user(5557, "Orang Asing")
    await h.import_office("kapuas")
    sentinel = (await h.office_people("kapuas"))["sekretaris"]
    for i in range(25):
        await stranger.send(f"pesan {i}")
    # Updates are handled in order: once the sentinel's is answered, the flood was handled.
    mark = sentinel.mark()
    await sentinel.send("/bantuan")
    await sentinel.wait_for(lambda m: "/tugas" in m.text, since=mark)
    assert h.bot is not None
    assert h.bot.sender is not None
    await asyncio.wait_for(h.bot.sender.drain(), 5)
    assert len(stranger.bot_messages) == 10
    h.clock.advance(timedelta(minutes=11))
    await stranger.send("sepuluh menit kemudian")
    await stranger.wait_for(lambda m: len(stranger.bot_messages) > 10)
    assert h.bot is not None
    assert h.bot.sender is not None
    await asyncio.wait_for(h.bot.sender.drain(), 5)
    assert len(stranger.bot_messages) == 11  # ten in the first ten minutes, then one


async def test_a_strangers_press_gets_an_alert_and_changes_nothing(h: Harness) -> None:
    _, process, step1 = await _kapuas_at_step_1(h)
    before = await _state(h, process)
    stranger = h.api.user(5556, "Orang Asing", started=True)
    answer = await stranger.press(step1, "Selesai")
    assert answer.show_alert
    assert answer.text is not None
    assert "belum terdaftar" in answer.text
    assert "5556" in answer.text
    assert await _state(h, process) == before


async def test_someone_without_the_role_gets_an_alert_and_changes_nothing(h: Harness) -> None:
    people, process, step1 = await _kapuas_at_step_1(h)
    before = await _state(h, process)
    answer = await people["pengelola_jdih"].press(step1, "Selesai")
    assert answer.show_alert
    assert answer.text is not None
    assert "bukan tugas Anda" in answer.text
    assert "Kasubbag Hukum & SDM" in answer.text
    assert await _state(h, process) == before


async def test_a_doubled_press_makes_one_transition(h: Harness) -> None:
    people, process, step1 = await _kapuas_at_step_1(h)
    budi = people["kasubbag_hukum_sdm"]
    answers = await asyncio.gather(*(budi.press(step1, "Selesai") for _ in range(5)))
    texts = sorted(a.text or "" for a in answers)
    assert texts.count("Tercatat: Selesai") == 1
    assert texts.count("Sudah diproses.") == 4
    status, step, visit, _ = await _state(h, process)
    assert (status, step, visit) == ("running", 2, 2)


async def test_a_stale_press_after_the_step_moved_on(h: Harness) -> None:
    people, process, step1 = await _kapuas_at_step_1(h)
    budi = people["kasubbag_hukum_sdm"]
    data = step1.button("Selesai").callback_data
    assert data is not None
    mark = budi.mark()
    await budi.press(step1, "Selesai")
    await wait_closed(budi, step1.message_id, mark)
    before = await _state(h, process)
    answer = await budi.press_data(step1, data)
    assert answer.text == "Sudah diproses."
    assert await _state(h, process) == before


async def test_forged_callback_data_is_refused(h: Harness) -> None:
    people, process, step1 = await _kapuas_at_step_1(h)
    budi = people["kasubbag_hukum_sdm"]
    before = await _state(h, process)
    for forged in ("selesai", "step:1:selesai", secrets.token_urlsafe(9), "x" * 64, "' OR 1=1 --"):
        answer = await budi.press_data(step1, forged)
        assert answer.text == "Tombol ini tidak berlaku."
        assert answer.show_alert
    assert await _state(h, process) == before


async def test_a_menu_button_of_another_person_is_refused(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    mark = budi.mark()
    await budi.send("/baru")
    menu = await budi.wait_for(lambda m: bool(m.buttons), since=mark)
    answer = await ani.press_data(menu, menu.buttons[0][0].callback_data or "")
    assert answer.text == "Tombol ini untuk orang lain."


async def test_wrong_hand_ins_get_a_clear_message_and_the_step_stays_open(h: Harness) -> None:
    people, process, step1 = await _kapuas_at_step_1(h)
    budi, ani, joko = (
        people["kasubbag_hukum_sdm"],
        people["staf_subbagian"],
        people["pengelola_jdih"],
    )
    marks = {u.id: u.mark() for u in people.values()}
    await budi.press(step1, "Selesai")
    step2 = await ani.wait_for(is_step(2, 6), since=marks[ani.id])
    await ani.press(step2, "Selesai")
    step3 = await joko.wait_for(is_step(3, 6), since=marks[joko.id])
    mark = joko.mark()
    await joko.press(step3, "Selesai")
    await wait_text(joko, "Kirim berkas Draf konten media sosial", mark)
    # Text where a file is asked.
    mark = joko.mark()
    await joko.send("drafnya sudah saya kirim lewat WA")
    refused = await wait_text(joko, "Kirim berkas (dokumen atau foto), bukan teks", mark)
    assert "⚠️" in refused.text
    assert (await _state(h, process))[1] == 3
    # A photo is a file: accepted.
    mark = joko.mark()
    await joko.send_photo(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    await wait_text(joko, "Tercatat: Selesai", mark)
    # On to step 6: a file where a link is asked, then a text that is not a link.
    step4 = await ani.wait_for(is_step(4, 6), since=marks[ani.id])
    mark = ani.mark()
    await ani.press(step4, "Selesai")
    await wait_text(ani, "Kirim berkas", mark)
    await ani.send_document(
        "suntingan.docx",
        b"PK docx",
        mime_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    step5 = await budi.wait_for(is_step(5, 6), since=marks[budi.id])
    await budi.press(step5, "Setuju")
    step6 = await joko.wait_for(is_step(6, 6), since=marks[joko.id])
    mark = joko.mark()
    await joko.press(step6, "Selesai")
    await wait_text(joko, "Kirim tautan", mark)
    for wrong in ("sudah diunggah", "jdih.kpu.go.id/konten/1", "ftp://jdih.kpu.go.id/x"):
        mark = joko.mark()
        await joko.send(wrong)
        await wait_text(joko, "⚠️", mark)
    mark = joko.mark()
    await joko.send_document("tangkapan.pdf", b"%PDF")
    await wait_text(joko, "Itu bukan tautan", mark)
    assert (await _state(h, process))[1] == 6
    mark = joko.mark()
    await joko.send("https://www.instagram.com/p/kpukapuas123/")
    await wait_text(joko, "Tercatat: Selesai", mark)
    assert (await _state(h, process))[0] == "finished"


async def test_a_negative_answer_needs_a_note_and_batal_withdraws_it(h: Harness) -> None:
    people, process, step1 = await _kapuas_at_step_1(h)
    budi, ani, joko = (
        people["kasubbag_hukum_sdm"],
        people["staf_subbagian"],
        people["pengelola_jdih"],
    )
    marks = {u.id: u.mark() for u in people.values()}
    await budi.press(step1, "Selesai")
    await ani.press(await ani.wait_for(is_step(2, 6), since=marks[ani.id]), "Selesai")
    step3 = await joko.wait_for(is_step(3, 6), since=marks[joko.id])
    await joko.press(step3, "Selesai")
    await joko.send_document("draf.pdf", b"%PDF")
    step4 = await ani.wait_for(is_step(4, 6), since=marks[ani.id])
    await ani.press(step4, "Selesai")
    await ani.send_document("suntingan.pdf", b"%PDF")
    step5 = await budi.wait_for(is_step(5, 6), since=marks[budi.id])
    before = await _state(h, process)
    mark = budi.mark()
    answer = await budi.press(step5, "Tidak Setuju")
    assert answer.text is not None
    assert "catatan" in answer.text
    prompt = await budi.wait_for(lambda m: m.force_reply, since=mark)
    assert "Staf Subbagian" in prompt.text
    mark = budi.mark()
    await budi.send("/batal")
    await wait_text(budi, "diurungkan", mark)
    assert await _state(h, process) == before
    # The step message still has its buttons.
    assert [b.text for b in step5.buttons[0]] == ["Setuju", "Tidak Setuju"]


async def test_a_file_or_text_nobody_asked_for_is_answered_kindly(h: Harness) -> None:
    people, _, _ = await _kapuas_at_step_1(h)
    ani = people["staf_subbagian"]
    mark = ani.mark()
    await ani.send("selamat pagi")
    await wait_text(ani, "tidak menunggu pesan", mark)
    mark = ani.mark()
    await ani.send_document("x.pdf", b"%PDF")
    await wait_text(ani, "tidak meminta berkas", mark)


async def test_editing_a_sent_note_is_not_a_second_answer(h: Harness) -> None:
    people, process, step1 = await _kapuas_at_step_1(h)
    budi = people["kasubbag_hukum_sdm"]
    mark = budi.mark()
    await budi.press(step1, "Selesai")
    await wait_closed(budi, step1.message_id, mark)
    # Budi cancels the process with a reason, then fixes a typo in the reason he sent.
    mark = budi.mark()
    await budi.send(f"/batal {process}")
    await budi.wait_for(lambda m: m.force_reply, since=mark)
    reason = await budi.send("Salah pilh SOP")
    cancelled = await wait_text(budi, f"Proses #{process} dibatalkan.", mark)
    before = await _state(h, process)
    mark = budi.mark()
    await budi.edit(reason, "Salah pilih SOP")
    command = await budi.send("/bantuan")
    helped = await wait_text(budi, "/tugas", mark)
    # The first thing the bot said after the edit is the answer to /bantuan: the edit got no
    # reply and changed nothing.
    between = [
        m for m in budi.bot_messages if cancelled.message_id < m.message_id < command.message_id
    ]
    assert between == []
    assert helped.message_id > command.message_id
    assert await _state(h, process) == before


async def test_buttons_of_a_step_forwarded_to_a_group_answer_only_privately(h: Harness) -> None:
    """Ani forwards her step 4 message into another group. A file button pressed there sends
    the document to the presser's private chat only, and only to someone of the process's
    office; a choice pressed there asks for its hand-in privately. The group gets nothing."""
    people, _, step1 = await _kapuas_at_step_1(h)
    await h.import_office("jambi")
    outsider = await h.person(1101, "Khoirul")  # Jambi's Sekretaris
    budi, ani, joko = (
        people["kasubbag_hukum_sdm"],
        people["staf_subbagian"],
        people["pengelola_jdih"],
    )
    marks = {u.id: u.mark() for u in (budi, ani, joko)}
    await budi.press(step1, "Selesai")
    await ani.press(await ani.wait_for(is_step(2, 6), since=marks[ani.id]), "Selesai")
    mark = joko.mark()
    await joko.press(await joko.wait_for(is_step(3, 6), since=marks[joko.id]), "Selesai")
    await wait_text(joko, "Kirim berkas", mark)
    await joko.send_document("draf-rahasia.pdf", b"%PDF-1.4 rahasia")
    step4 = await ani.wait_for(is_step(4, 6), since=marks[ani.id])
    file_label = "📎 Draf konten media sosial (langkah 3)"
    assert file_label in step4.button_texts
    other = h.api.group(-100888, "Grup lain")
    mark = other.mark()
    await other.add_bot(by=ani)
    await other.wait_for(lambda m: "/grup" in m.text, since=mark)  # the bot says hello
    forwarded = await other.forward(ani, step4)

    # Budi, of the office, presses the file button in the group: the file comes to him alone.
    mark = budi.mark()
    answer = await budi.press(forwarded, file_label)
    assert answer.text == "Berkas dikirim. Lihat chat pribadi Anda dengan bot."
    sent = await budi.wait_for(lambda m: m.document is not None, since=mark)
    assert sent.document is not None
    assert sent.document.content == b"%PDF-1.4 rahasia"
    # Someone of another office, and a stranger, get a refusal and nothing else.
    refused = await outsider.press(forwarded, file_label)
    assert refused.show_alert
    stranger = h.api.user(7777, "Orang Asing", started=True)
    unknown = await stranger.press(forwarded, file_label)
    assert unknown.show_alert
    # Ani presses Selesai in the group: the hand-in it needs is asked in her private chat.
    mark = ani.mark()
    await ani.press(forwarded, "Selesai")
    await wait_text(ani, "Kirim berkas", mark)
    assert h.bot is not None
    assert h.bot.sender is not None
    await asyncio.wait_for(h.bot.sender.drain(), 5)
    assert not [m.text for m in other.bot_messages if m.message_id > forwarded.message_id]
    assert not [m for m in outsider.bot_messages if m.document is not None]
    assert not [m for m in stranger.bot_messages if m.document is not None]
