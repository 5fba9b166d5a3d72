"""A prompt belongs to its process: one person asked on two processes at once gets each answer
where it belongs, by the message it replies to, by the button that carries it, or by asking which;
a stale press changes nothing else."""

from __future__ import annotations

from collections.abc import Callable

from fakes.telegram import FakeMessage, FakeUser
from fakes.whatsapp import FakeWaMessage, FakeWaUser
from tests.harness import Harness, is_step, start_process, wa_is_step, wait_closed, wait_text

PENURUNAN = "jambi-penurunan-jdih"
# The way to each step of a take-down, with its positive answers.
WAY = [
    ("kabag_teknis_hukum", 1, "Selesai"),
    ("kasubbag_hukum", 2, "Selesai"),
    ("pengelola_jdih", 3, "Selesai"),
    ("kasubbag_hukum", 4, "Tidak ada koreksi"),
    ("kabag_teknis_hukum", 5, "Setuju"),
]


async def _take_downs(
    h: Harness, titles: list[str], until: int, agenda_template: str | None = None
) -> tuple[dict[str, FakeUser], list[int]]:
    """Take-downs started by the Kabag and walked to step ``until``, one after another."""
    await h.import_office("jambi", agenda_template=agenda_template)
    people = await h.office_people("jambi")
    defn = h.catalog.definitions[PENURUNAN]
    processes = []
    for title in titles:
        marks = {u.id: u.mark() for u in people.values()}
        process = await start_process(h, people["kabag_teknis_hukum"], defn, title)
        processes.append(process)
        for role, step, answer in WAY[: until - 1]:
            actor = people[role]
            message = await actor.wait_for(of(process, step), since=marks[actor.id])
            marks[actor.id] = actor.mark()
            await actor.press(message, answer)
            if step == 3:
                await wait_text(actor, "Kirim berkas", marks[actor.id])
                await actor.send_document(f"nota-{process}.pdf", b"%PDF nota")
            await wait_closed(actor, message.message_id, marks[actor.id])
    return people, processes


def of(process: int, step: int) -> Callable[[FakeMessage], bool]:
    """Step ``step`` of a take-down's message about ``process``."""
    return lambda m: is_step(step, 6)(m) and f"#{process} " in m.text


def wa_step_of(process: int, step: int) -> Callable[[FakeWaMessage], bool]:
    """On WhatsApp, the buttons of step ``step`` of a take-down about ``process``."""
    return lambda m: wa_is_step(step, 6, "Ada koreksi")(m) and f"#{process} " in m.text


async def _step_message(user: FakeUser, process: int, step: int) -> FakeMessage:
    return await user.wait_for(of(process, step))


async def _state(h: Harness, process: int) -> tuple[str, int | None, int]:
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        row = await tx.processes.get(process)
    assert row is not None
    return row.status, row.current_step, row.visit


async def _notes(h: Harness, process: int) -> list[str]:
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        runs = await tx.processes.step_runs(process)
    return [r.note for r in runs if r.note]


async def test_two_corrections_at_once_each_reach_their_own_process(h: Harness) -> None:
    people, (one, two) = await _take_downs(h, ["Penurunan satu", "Penurunan dua"], until=4)
    rina = people["kasubbag_hukum"]
    mark = rina.mark()
    await rina.press(await _step_message(rina, one, 4), "Ada koreksi")
    ask_one = await rina.wait_for(lambda m: m.force_reply, since=mark)
    mark = rina.mark()
    await rina.press(await _step_message(rina, two, 4), "Ada koreksi")
    ask_two = await rina.wait_for(lambda m: m.force_reply, since=mark)
    # Every prompt names its process, by number and title.
    assert f"#{one} Penurunan satu" in ask_one.text
    assert f"#{two} Penurunan dua" in ask_two.text

    # A reply to the first prompt goes to the first process, though the second was asked last.
    mark = rina.mark()
    await rina.send("Koreksi untuk yang pertama", reply_to=ask_one)
    await wait_text(rina, "Tercatat", mark)
    assert await _notes(h, one) == ["Koreksi untuk yang pertama"]
    assert await _state(h, one) == ("running", 3, 5)
    assert await _notes(h, two) == []
    assert await _state(h, two) == ("running", 4, 4)

    # The second prompt still waits; the next text, the only one that can take it, answers it.
    mark = rina.mark()
    await rina.send("Koreksi untuk yang kedua")
    await wait_text(rina, "Tercatat", mark)
    assert await _notes(h, two) == ["Koreksi untuk yang kedua"]


async def test_an_unaddressed_answer_asks_which_process_it_is_for(h: Harness) -> None:
    people, (one, two) = await _take_downs(h, ["Penurunan satu", "Penurunan dua"], until=4)
    rina = people["kasubbag_hukum"]
    for process in (one, two):
        mark = rina.mark()
        await rina.press(await _step_message(rina, process, 4), "Ada koreksi")
        await rina.wait_for(lambda m: m.force_reply, since=mark)
    mark = rina.mark()
    await rina.send("Tanpa balasan: untuk yang mana?")
    which = await wait_text(rina, "untuk yang mana", mark)
    labels = which.button_texts
    assert any(label.startswith(f"#{one} ") for label in labels), labels
    assert any(label.startswith(f"#{two} ") for label in labels), labels
    # Nothing moved while the bot asked.
    assert await _notes(h, one) == await _notes(h, two) == []
    mark = rina.mark()
    answer = await rina.press(which, next(t for t in labels if t.startswith(f"#{two} ")))
    assert answer.text == "Pesan Anda dipakai."
    await wait_text(rina, "Tercatat", mark)
    assert await _notes(h, two) == ["Tanpa balasan: untuk yang mana?"]
    assert await _notes(h, one) == []
    # The same button again: that question is answered; nothing changes.
    again = await rina.press(which, next(t for t in labels if t.startswith(f"#{two} ")))
    assert again.text is not None
    assert "sudah terjawab" in again.text
    assert await _notes(h, two) == ["Tanpa balasan: untuk yang mana?"]


async def test_a_stale_press_keeps_the_question_being_asked(h: Harness) -> None:
    people, (one, two) = await _take_downs(h, ["Penurunan satu", "Penurunan dua"], until=4)
    rina = people["kasubbag_hukum"]
    first = await _step_message(rina, one, 4)
    old_button = first.button("Tidak ada koreksi").callback_data
    assert old_button is not None
    mark = rina.mark()
    await rina.press(first, "Tidak ada koreksi")
    await wait_closed(rina, first.message_id, mark)
    mark = rina.mark()
    await rina.press(await _step_message(rina, two, 4), "Ada koreksi")
    await rina.wait_for(lambda m: m.force_reply, since=mark)
    # The old, finished button of #1: refused, and the note asked for #2 still waits.
    stale = await rina.press_data(first, old_button)
    assert stale.text == "Sudah diproses."
    mark = rina.mark()
    await rina.send("Koreksi sesudah tombol lama")
    await wait_text(rina, "Tercatat", mark)
    assert await _notes(h, two) == ["Koreksi sesudah tombol lama"]


async def test_a_reply_to_a_step_whose_question_is_closed_changes_nothing(h: Harness) -> None:
    people, (one, two) = await _take_downs(h, ["Penurunan satu", "Penurunan dua"], until=4)
    rina = people["kasubbag_hukum"]
    step_one = await _step_message(rina, one, 4)
    mark = rina.mark()
    await rina.press(await _step_message(rina, two, 4), "Ada koreksi")
    await rina.wait_for(lambda m: m.force_reply, since=mark)
    # A reply to #1's step message is about #1, where nothing is asked: it is not #2's note.
    mark = rina.mark()
    await rina.send("Ini balasan ke pesan langkah #1", reply_to=step_one)
    told = await wait_text(rina, f"proses #{one}", mark)
    assert "tidak dipakai" in told.text
    assert await _notes(h, two) == []
    assert await _state(h, one) == ("running", 4, 4)


async def test_pakai_answers_the_prompt_it_was_offered_under(h: Harness) -> None:
    people, (one, two) = await _take_downs(h, ["Penurunan satu", "Penurunan dua"], until=6)
    tu = people["kasubbag_tu"]
    mark = tu.mark()
    await tu.press(await _step_message(tu, one, 6), "Selesai")
    ask_one = await tu.wait_for(
        lambda m: any(t.startswith("Pakai") for t in m.button_texts), since=mark
    )
    mark = tu.mark()
    await tu.press(await _step_message(tu, two, 6), "Selesai")
    ask_two = await tu.wait_for(
        lambda m: any(t.startswith("Pakai") for t in m.button_texts), since=mark
    )
    assert f"#{one} Penurunan satu" in ask_one.text
    assert f"#{two} Penurunan dua" in ask_two.text
    # "Pakai" under #1's prompt numbers #1, though #2 was asked last.
    pakai = ask_one.button("Pakai 1/HK.03-ND/15/2026").callback_data
    assert pakai is not None
    mark = tu.mark()
    answer = await tu.press(ask_one, "Pakai 1/HK.03-ND/15/2026")
    assert answer.text == "Nomor dipakai."
    await wait_text(tu, "Tercatat", mark)
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        office = await tx.offices.by_code("kpu-jambi")
        assert office is not None
        assert await tx.processes.agenda_owner(office.id, 2026, 1) == one
    assert (await _state(h, one))[0] == "finished"
    # Pressed again, the answered prompt's button is stale: nothing is numbered twice.
    stale = await tu.press_data(ask_one, pakai)
    assert stale.text is not None
    assert "tidak dipakai" in stale.text
    assert (await _state(h, two))[0] == "running"


async def test_an_agenda_number_of_another_year_is_refused_with_the_offices_own_example(
    h: Harness,
) -> None:
    people, (one,) = await _take_downs(
        h, ["Penurunan satu"], until=6, agenda_template="{nomor}/PP.01-ND/1571/{tahun}"
    )
    tu = people["kasubbag_tu"]
    mark = tu.mark()
    await tu.press(await _step_message(tu, one, 6), "Selesai")
    asked = await wait_text(tu, "Nomor berikutnya yang masih kosong", mark)
    # The example is the office's own next number, not another office's sample.
    assert "1/PP.01-ND/1571/2026" in asked.text
    assert "HK.03" not in asked.text
    mark = tu.mark()
    await tu.send("1/PP.01-ND/1571/2019")
    refused = await wait_text(tu, "bertahun 2019", mark)
    assert "tahun 2026" in refused.text
    assert "Pakai 1/PP.01-ND/1571/2026" in refused.button_texts
    assert await _state(h, one) == ("running", 6, 6)
    mark = tu.mark()
    await tu.send("nomor satu")
    refused = await wait_text(tu, "format agenda", mark)
    assert "misalnya 1/PP.01-ND/1571/2026" in refused.text
    assert "HK.03" not in refused.text
    mark = tu.mark()
    await tu.send("1/PP.01-ND/1571/2026")
    await wait_text(tu, "Tercatat", mark)
    assert (await _state(h, one))[0] == "finished"


async def test_on_whatsapp_a_swiped_reply_answers_the_prompt_it_replies_to(hw: Harness) -> None:
    """Rina is on WhatsApp: she asks to correct two take-downs, then swipes to reply to the first
    prompt; the note goes to the first process."""
    await hw.import_office("jambi", whatsapp=["kasubbag_hukum"])
    people = await hw.mixed_people("jambi", whatsapp=["kasubbag_hukum"])
    kabag, sari, rina = (
        people["kabag_teknis_hukum"],
        people["pengelola_jdih"],
        people["kasubbag_hukum"],
    )
    assert isinstance(kabag, FakeUser)
    assert isinstance(sari, FakeUser)
    assert isinstance(rina, FakeWaUser)
    defn = hw.catalog.definitions[PENURUNAN]
    processes = []
    for title in ("Penurunan satu", "Penurunan dua"):
        marks = {"kabag": kabag.mark(), "sari": sari.mark()}
        rina_mark = rina.mark()
        process = await start_process(hw, kabag, defn, title)
        processes.append(process)
        await kabag.press(await kabag.wait_for(of(process, 1), since=marks["kabag"]), "Selesai")
        step2 = await rina.wait_for(wa_is_step(2, 6, "Selesai"), since=rina_mark)
        assert f"#{process} " in step2.text
        await rina.press(step2, "Selesai")
        mark = sari.mark()
        await sari.press(await sari.wait_for(of(process, 3), since=marks["sari"]), "Selesai")
        await wait_text(sari, "Kirim berkas", mark)
        await sari.send_document(f"nota-{process}.pdf", b"%PDF nota")
    one, two = processes
    asks = {}
    for process in processes:
        mark = rina.mark()
        step4 = await rina.wait_for(wa_step_of(process, 4))
        await rina.press(step4, "Ada koreksi")
        asks[process] = await rina.wait_for(lambda m: "Tulis koreksi" in m.text, since=mark)
    assert f"#{one} Penurunan satu" in asks[one].text
    assert f"#{two} Penurunan dua" in asks[two].text
    mark = rina.mark()
    await rina.send("Koreksi lewat WhatsApp untuk yang pertama", reply_to=asks[one])
    await rina.wait_for(lambda m: "Tercatat" in m.text, since=mark)
    assert await _notes(hw, one) == ["Koreksi lewat WhatsApp untuk yang pertama"]
    assert await _notes(hw, two) == []
