"""The SOPs through Telegram: real PTB over real HTTP to the fake Bot API, a real SQLite file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from fakes.telegram import Faults
from sop.loader import BUILTIN_DIR
from tests.harness import ADMIN_ID, Harness, is_step, play, start_process, wait_closed, wait_text
from tests.test_telegram_reports import walk


async def test_sop_d_walked_through_telegram_with_its_announcement(h: Harness) -> None:
    await h.import_office("kapuas")
    group = await h.link_group(-100500, "KPU Kapuas", "KPU Kabupaten Kapuas")
    people = await h.office_people("kapuas")
    mark = group.mark()
    process = await play(h, people, "kapuas-medsos-jdih", "Konten Hari Pahlawan")
    news = await group.wait_for(lambda m: "Konten Hari Pahlawan" in m.text, since=mark)
    assert "https://jdih.kpu.go.id/unggahan/6-" in news.text
    assert "Pengelola Joko" in news.text
    assert "Pengelolaan Media Sosial JDIH" in news.text
    assert news.buttons[0][0].url is not None
    starter = people["kasubbag_hukum_sdm"]
    await starter.wait_for(lambda m: f"Proses #{process}" in m.text and "Proses selesai" in m.text)
    # The starter gets the archive record to keep: a PDF with the process and its audit hash.
    archive = await starter.wait_for(
        lambda m: m.document is not None and m.document.file_name == f"arsip-proses-{process}.pdf"
    )
    assert archive.document is not None
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(archive.document.content)).pages
    )
    assert "Konten Hari Pahlawan" in pdf_text
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        head = (await tx.audit.for_process(process))[-1]
    assert head.kind == "process_finished"
    assert head.hash[:16] in pdf_text.replace("\n", "")
    # Every callback query the bot received was answered.
    assert h.api.unanswered_callback_queries() == []


@pytest.mark.parametrize(
    ("code", "announces"),
    [
        ("jambi-penurunan-jdih", False),
        ("jambi-pengunggahan-jdih", True),
        ("jambi-konten-medsos", True),
    ],
)
async def test_jambi_sops_walked_by_their_people_with_every_negative_branch(
    h: Harness, code: str, announces: bool
) -> None:
    await h.import_office("jambi")
    group = await h.link_group(-100600, "KPU Jambi", "KPU Provinsi Jambi")
    people = await h.office_people("jambi")
    mark = group.mark()
    process = await play(h, people, code, f"Uji {code}")
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        row = await tx.processes.get(process)
        runs = await tx.processes.step_runs(process)
        events = await tx.audit.for_process(process)
        report = await tx.audit.verify()
    assert row is not None
    assert row.status == "finished"
    assert all(r.done_at is not None for r in runs)
    negatives = {(r.step, r.outcome) for r in runs if r.outcome in ("ada_koreksi", "tidak_setuju")}
    defn = h.catalog.definitions[code]
    assert negatives == {
        (s.number, c.id) for s in defn.steps for c in s.effective_choices if not c.positive
    }
    assert report.ok
    assert events[0].kind == "process_started"
    assert events[-1].kind == "process_finished"
    if announces:
        news = await group.wait_for(lambda m: f"#{process}" in m.text, since=mark)
        assert "https://jdih.kpu.go.id/unggahan/7-" in news.text
    else:
        assert not any(f"#{process}" in m.text for m in group.messages)


async def test_the_nomor_of_sop_a_is_suggested_from_the_agenda_and_used_once(h: Harness) -> None:
    await h.import_office("jambi")
    people = await h.office_people("jambi")
    await play(h, people, "jambi-penurunan-jdih", "Penurunan pertama")
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        office = await tx.offices.by_code("kpu-jambi")
        assert office is not None
        # The walk pressed the suggestion: the office's first number of the year, in its format.
        assert await tx.processes.agenda_owner(office.id, 2026, 1) == 1
    # A second take-down: typing the used number is refused and the next one is offered.
    kabag, rina, sari, tu = (
        people[r] for r in ("kabag_teknis_hukum", "kasubbag_hukum", "pengelola_jdih", "kasubbag_tu")
    )
    defn = h.catalog.definitions["jambi-penurunan-jdih"]
    marks = {u.id: u.mark() for u in people.values()}
    await start_process(h, kabag, defn, "Penurunan kedua")
    for actor, step, answer in [
        (kabag, 1, "Selesai"),
        (rina, 2, "Selesai"),
        (sari, 3, "Selesai"),
        (rina, 4, "Tidak ada koreksi"),
        (kabag, 5, "Setuju"),
    ]:
        message = await actor.wait_for(is_step(step, 6), since=marks[actor.id])
        marks[actor.id] = actor.mark()
        await actor.press(message, answer)
        if step == 3:
            await wait_text(actor, "Kirim berkas", marks[actor.id])
            await actor.send_document("nota.pdf", b"%PDF nota")
        await wait_closed(actor, message.message_id, marks[actor.id])
    message = await tu.wait_for(is_step(6, 6), since=marks[tu.id])
    mark = tu.mark()
    await tu.press(message, "Selesai")
    await wait_text(tu, "Nomor berikutnya yang masih kosong: 2/HK.03-ND/15/2026", mark)
    mark = tu.mark()
    await tu.send("1/HK.03-ND/15/2026")
    taken = await wait_text(tu, "sudah dipakai", mark)
    assert "Pakai 2/HK.03-ND/15/2026" in taken.button_texts
    mark = tu.mark()
    await tu.send("nomor dua")
    refused = await wait_text(tu, "format agenda", mark)
    assert "⚠️" in refused.text
    mark = tu.mark()
    await tu.press(refused, "Pakai 2/HK.03-ND/15/2026")
    await wait_text(tu, "Tercatat: Selesai", mark)


async def test_an_announcement_waits_for_the_group_and_the_admins_are_told(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await h.person(ADMIN_ID, "Admin Kantor")
    mark = admin.mark()
    process = await play(h, people, "kapuas-medsos-jdih", "Konten tanpa grup")
    told = await admin.wait_for(lambda m: "Pengumuman tertunda" in m.text, since=mark)
    assert f"#{process}" in told.text
    assert "/grup" in told.text
    group = await h.link_group(-100700, "KPU Kapuas", "KPU Kabupaten Kapuas")
    linked = await group.wait_for(lambda m: "Grup terhubung" in m.text)
    assert "1 pengumuman yang tertunda" in linked.text
    news = await group.wait_for(lambda m: "Konten tanpa grup" in m.text)
    assert "https://jdih.kpu.go.id/" in news.text


async def test_the_bot_stopped_mid_process_finishes_it_after_a_restart_and_delivers_what_was_due(
    h: Harness,
) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    defn = h.catalog.definitions["kapuas-medsos-jdih"]
    marks = {u.id: u.mark() for u in people.values()}
    process = await start_process(h, budi, defn, "Konten saat gangguan")
    step1 = await budi.wait_for(is_step(1, 6), since=marks[budi.id])
    # Telegram fails every send: the press commits, the messages it causes wait in the outbox.
    h.api.faults = Faults(share=1.0, kinds=("5xx",), methods=("sendMessage", "editMessageText"))
    await budi.press(step1, "Selesai")
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        pending = await tx.outbox.counts()
        row = await tx.processes.get(process)
    assert pending.get("pending", 0) >= 2
    assert row is not None
    assert row.current_step == 2
    await h.stop()
    h.api.faults = None
    await h.start()
    # After the restart, what was due goes out: Ani's step and Budi's edited step message.
    step2 = await ani.wait_for(is_step(2, 6), since=marks[ani.id])
    await wait_closed(budi, step1.message_id, marks[budi.id])
    mark = ani.mark()
    await ani.press(step2, "Selesai")
    await wait_text(ani, "Tercatat", mark) if False else await wait_closed(
        ani, step2.message_id, mark
    )
    async with h.bot.db.read() as tx:
        row = await tx.processes.get(process)
    assert row is not None
    assert row.current_step == 3


async def test_a_running_process_keeps_the_sop_version_it_started_with(
    tmp_path: Path, h: Harness
) -> None:
    own = tmp_path / "sop-kantor"
    own.mkdir()
    source = yaml.safe_load((BUILTIN_DIR / "kapuas-medsos-jdih.yaml").read_text())
    source["code"] = "kapuas-medsos-uji"
    source["header"]["singkat"] = "Medsos uji"
    (own / "kapuas-medsos-uji.yaml").write_text(yaml.safe_dump(source, allow_unicode=True))
    h.settings_overrides = {"sop_dirs": [own]}
    await h.restart()
    data_sops = ["kapuas-medsos-jdih", "kapuas-medsos-uji"]
    await h.import_office("kapuas", sops=data_sops)
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    marks = {u.id: u.mark() for u in people.values()}
    await start_process(h, budi, h.bot.catalog.definitions["kapuas-medsos-uji"], "Versi lama")  # type: ignore[union-attr]
    step1 = await budi.wait_for(is_step(1, 6), since=marks[budi.id])
    # The office edits its SOP file while the process runs: step 2 gets new wording and time.
    source["steps"][1]["kegiatan"] = "Kegiatan versi baru"
    source["steps"][1]["waktu"] = "2 hari"
    (own / "kapuas-medsos-uji.yaml").write_text(yaml.safe_dump(source, allow_unicode=True))
    await h.restart()
    await budi.press(step1, "Selesai")
    step2 = await ani.wait_for(is_step(2, 6), since=marks[ani.id])
    assert "Menghimpun bahan konten" in step2.text
    assert "Kegiatan versi baru" not in step2.text
    assert "Baku mutu: 1 hari" in step2.text
    # A process started now runs the new version.
    await start_process(h, budi, h.bot.catalog.definitions["kapuas-medsos-uji"], "Versi baru")  # type: ignore[union-attr]


async def test_documents_of_earlier_steps_are_fetched_with_their_buttons(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani, joko = (
        people["kasubbag_hukum_sdm"],
        people["staf_subbagian"],
        people["pengelola_jdih"],
    )
    marks = {u.id: u.mark() for u in people.values()}
    await start_process(h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Dengan berkas")
    await budi.press(await budi.wait_for(is_step(1, 6), since=marks[budi.id]), "Selesai")
    await ani.press(await ani.wait_for(is_step(2, 6), since=marks[ani.id]), "Selesai")
    await joko.press(await joko.wait_for(is_step(3, 6), since=marks[joko.id]), "Selesai")
    await wait_text(joko, "Kirim berkas", marks[joko.id])
    sent = await joko.send_document("draf-konten.pdf", b"%PDF-1.4 isi draf konten")
    step4 = await ani.wait_for(is_step(4, 6), since=marks[ani.id])
    label = "📎 Draf konten media sosial (langkah 3)"
    assert label in step4.button_texts
    mark = ani.mark()
    answer = await ani.press(step4, label)
    assert answer.text == "Berkas dikirim."
    got = await ani.wait_for(lambda m: m.document is not None, since=mark)
    assert got.document is not None
    assert sent.document is not None
    assert got.document.file_id == sent.document.file_id
    assert got.document.content == b"%PDF-1.4 isi draf konten"
    assert "Draf konten media sosial — proses #" in got.text
    # Someone from another office may not fetch it.
    await h.import_office("jambi")
    outsider = (await h.office_people("jambi"))["pengelola_jdih"]
    refused = await outsider.press_data(step4, step4.button(label).callback_data or "")
    assert refused.show_alert
    assert refused.text is not None
    assert "hanya untuk orang di kantor" in refused.text


async def test_the_starter_of_sop_d_gets_the_fewest_messages_that_tell_them_what_they_need(
    h: Harness,
) -> None:
    """Budi starts SOP D and holds steps 1 and 5; every step is answered positively. After
    "Proses dimulai" he gets: his step 1;
    news of steps 2 and 3; his step 5 (which says step 4 was done: no news of it besides); the end,
    and then the archive. Nothing twice, the end before the record."""
    await h.import_office("kapuas")
    await h.link_group(-100500, "KPU Kapuas", "KPU Kabupaten Kapuas")
    people = await h.office_people("kapuas")
    budi = people["kasubbag_hukum_sdm"]
    mark = budi.mark()
    process = await walk(h, people, "Hitung pesan", [0] * 6)
    archive = await budi.wait_for(lambda m: m.document is not None, since=mark)
    assert h.bot is not None
    assert h.bot.sender is not None
    await h.bot.sender.drain()
    started = next(i for i, m in enumerate(budi.bot_messages) if "dimulai" in m.text)
    after = [m for m in budi.bot_messages[started + 1 :] if f"#{process}" in m.text]
    kinds = []
    for m in after:
        if m.document is not None:
            kinds.append("arsip")
        elif "Langkah 1 dari 6" in m.text:
            kinds.append("langkah 1")
        elif "Langkah 5 dari 6" in m.text:
            kinds.append("langkah 5")
        elif "Proses selesai" in m.text:
            kinds.append("selesai")
        elif "Sekarang di langkah" in m.text:
            kinds.append("kabar " + m.text.split("Sekarang di langkah ")[1].split(":")[0])
        else:
            kinds.append(m.text[:40])
    assert kinds == ["langkah 1", "kabar 3", "kabar 4", "langkah 5", "selesai", "arsip"], kinds
    assert archive.message_id == after[-1].message_id
