"""Any text a person may send, at any length, breaks nothing downstream: every message that
quotes it fits the channel by construction (cut at a word, with a pointer to the whole text),
the timeline shows the newest events first and pages to older ones, the archive has it whole."""

from __future__ import annotations

import io

from pypdf import PdfReader

from fakes.telegram import FakeMessage, FakeUser
from tests.harness import ADMIN_ID, Harness, is_step, start_process, wait_closed, wait_text
from tests.test_fuzz import errors_logged

SOP = "kapuas-medsos-jdih"
LIMIT = 4096


def long_note(n: int) -> str:
    """A note of exactly 4,096 characters, of words, ending in a marker of its round."""
    tail = f" AKHIR-{n}"
    words = ("Mohon perbaiki bagian berikut sesuai arahan pimpinan. " * 100)[: LIMIT - len(tail)]
    return words + tail


async def _step(user: FakeUser, process: int, step: int, since: object) -> FakeMessage:
    return await user.wait_for(
        lambda m: is_step(step, 6)(m) and f"#{process} " in m.text,
        since=since,  # type: ignore[arg-type]
    )


async def test_notes_of_4096_characters_through_every_message_the_timeline_and_the_archive(
    h: Harness,
) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await h.person(ADMIN_ID, "Admin Bot")
    budi, ani, joko = (
        people["kasubbag_hukum_sdm"],
        people["staf_subbagian"],
        people["pengelola_jdih"],
    )
    with errors_logged() as errors:
        marks = {u.id: u.mark() for u in (budi, ani, joko)}
        process = await start_process(h, budi, h.catalog.definitions[SOP], "Catatan panjang")
        await budi.press(await _step(budi, process, 1, marks[budi.id]), "Selesai")
        await ani.press(await _step(ani, process, 2, marks[ani.id]), "Selesai")
        mark = joko.mark()
        await joko.press(await _step(joko, process, 3, marks[joko.id]), "Selesai")
        await wait_text(joko, "Kirim berkas", mark)
        await joko.send_document("draf.pdf", b"%PDF-1.4 draf")
        for round_ in range(1, 6):
            mark = ani.mark()
            step4 = await _step(ani, process, 4, marks[ani.id])
            marks[ani.id] = ani.mark()
            await ani.press(step4, "Selesai")
            await wait_text(ani, "Kirim berkas", mark)
            await ani.send_document(f"suntingan-{round_}.pdf", b"%PDF-1.4 suntingan")
            step5 = await _step(budi, process, 5, marks[budi.id])
            # Each hand-in again after a send-back is its own version, said on its button.
            version = f", versi {round_}" if round_ > 1 else ""
            latest = f"📎 Draf konten hasil suntingan (langkah 4{version})"
            assert latest in step5.button_texts, step5.button_texts
            assert len(set(step5.button_texts)) == len(step5.button_texts)
            marks[budi.id] = budi.mark()
            await budi.press(step5, "Tidak Setuju")
            await budi.wait_for(lambda m: m.force_reply, since=marks[budi.id])
            await budi.send(long_note(round_))
            closed = await wait_closed(budi, step5.message_id, marks[budi.id])
            assert len(closed.text) <= LIMIT
            # The step sent back quotes the note cut at a word, pointing to the whole of it.
            back = await _step(ani, process, 4, marks[ani.id])
            assert len(back.text) <= LIMIT
            assert f"AKHIR-{round_}" not in back.text
            assert f"(selengkapnya: /riwayat {process})" in back.text
        # /riwayat: the newest events first (the fifth send-back and where the process is now).
        mark = budi.mark()
        await budi.send(f"/riwayat {process}")
        first = await budi.wait_for(lambda m: "Status:" in m.text, since=mark)
        drawn = await budi.wait_for(lambda m: "Arsip (PDF)" in m.button_texts, since=mark)
        assert len(first.text) <= LIMIT
        assert "Langkah 4 untuk Staf Subbagian (dikembalikan dari langkah 5)" in first.text
        assert first.text.rstrip().endswith("…")  # the audit hash closes the page
        assert "AKHIR-5" not in first.text
        assert "(selengkapnya di arsip PDF)" in first.text
        assert "Proses dimulai" not in first.text
        # Older pages, one by one, down to the start.
        page, seen = first, 0
        while "Proses dimulai" not in page.text:
            assert "‹ Lebih lama" in page.button_texts
            mark = budi.mark()
            await budi.press(page, "‹ Lebih lama")
            page = await budi.wait_for(lambda m: "lebih lama" in m.text, since=mark)
            assert len(page.text) <= LIMIT
            seen += 1
        assert seen >= 2
        assert "‹ Lebih lama" not in page.button_texts
        # Cancelled by the admin with a reason as long: the starter's news of it fits.
        mark = admin.mark()
        await admin.send(f"/batal {process}")
        await admin.wait_for(lambda m: m.force_reply, since=mark)
        mark = budi.mark()
        await admin.send(long_note(6))
        news = await budi.wait_for(lambda m: "Proses dibatalkan" in m.text, since=mark)
        assert len(news.text) <= LIMIT
        assert f"(selengkapnya: /riwayat {process})" in news.text
        # The archive has every note whole.
        mark = budi.mark()
        await budi.press(drawn, "Arsip (PDF)")
        archive = await budi.wait_for(lambda m: m.document is not None, since=mark)
        assert archive.document is not None
        pdf = "".join(
            p.extract_text() for p in PdfReader(io.BytesIO(archive.document.content)).pages
        )
        flat = " ".join(pdf.split())
        for round_ in range(1, 7):
            assert f"AKHIR-{round_}" in flat
    # Nobody was told a message could not be delivered, and nothing raised.
    assert not [m.text for m in admin.bot_messages if "tidak terkirim" in m.text.lower()]
    assert not errors.records, [r.getMessage() for r in errors.records]
