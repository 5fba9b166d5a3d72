"""``sopbot demo``: the real bot against the project's local fake Bot API, playing a whole Kapuas SOP
(D) among the people of the example office file, with one Tidak Setuju, and printing the
conversation as each person sees it. No token and no network needed."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.app import Options, SopBot
from bot.logs import setup_logging
from bot.office.admin import Admin
from bot.office.files import EXAMPLE_OFFICES, read_office_file
from bot.settings import Settings
from fakes.telegram import FakeBotApi, FakeGroup, FakeMessage, FakeUser

DEMO_TOKEN = "123456789:DEMO-token-for-the-local-fake-api-x"  # noqa: S105 - only the fake knows it
OFFICE_FILE = EXAMPLE_OFFICES / "kpu-kabupaten-kapuas.yaml"
ADMIN_ID = 100000299
WAIT = 10.0


class Transcript:
    """Prints, person by person, what the bot sends and edits in each chat."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.printed: dict[tuple[int, int], int] = {}  # (chat, message) -> versions printed

    def say(self, line: str) -> None:
        self.out(line)

    def show(self, name: str, message: FakeMessage, *, edited: bool) -> None:
        self.out(f"   🤖 → {name}" + (" (pesan diperbarui)" if edited else "") + ":")
        if message.document is not None:
            self.out(f"      [berkas {message.document.file_name}]")
        for line in (message.text or "").splitlines():
            self.out(f"      {line}")
        labels = message.button_texts
        if labels:
            self.out("      " + " ".join(f"[{label}]" for label in labels))
        if message.force_reply:
            self.out("      (menunggu balasan)")

    def flush(self, name: str, chat: FakeUser | FakeGroup) -> None:
        """Print what is new in a chat since the last flush: new messages and new edits."""
        for message in chat.bot_messages:
            key = (message.chat_id, message.message_id)
            versions = 1 + len(message.edit_history)
            if self.printed.get(key, 0) < versions:
                self.show(name, message, edited=key in self.printed)
                self.printed[key] = versions


class Demo:
    def __init__(self, api: FakeBotApi, out: Callable[[str], None]) -> None:
        self.api = api
        self.t = Transcript(out)

    async def act(
        self,
        who: str,
        user: FakeUser,
        what: str,
        do: Callable[[], object],
        watch: list[tuple[str, FakeUser | FakeGroup]],
        until: Callable[[], bool],
    ) -> None:
        """Do one thing as a person, wait until the bot's answer is there, and print it."""
        self.t.say(f"\n══ {who} {what}")
        result = do()
        if asyncio.iscoroutine(result):
            await result
        deadline = asyncio.get_running_loop().time() + WAIT
        while not until():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"the bot did not answer: {who} {what}")
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # let the edits that follow an action arrive too
        for name, chat in watch:
            self.t.flush(name, chat)


def _last(
    chat: FakeUser | FakeGroup, predicate: Callable[[FakeMessage], bool]
) -> FakeMessage | None:
    for message in reversed(chat.messages):
        if message.from_bot and not message.deleted and predicate(message):
            return message
    return None


async def run_demo(out: Callable[[str], None] = print) -> int:
    with tempfile.TemporaryDirectory(prefix="sopbot-demo-") as folder:
        async with FakeBotApi(DEMO_TOKEN, bot_username="sopbot_demo_bot") as api:
            settings = Settings(
                _env_file=None,
                telegram_bot_token=DEMO_TOKEN,
                telegram_api_base_url=api.base_url,
                telegram_api_base_file_url=api.base_file_url,
                database_path=Path(folder) / "demo.db",
                admin_telegram_ids=[ADMIN_ID],
            )
            bot = SopBot(settings, Options(backoff_base=0.05, backoff_max=0.5, poll_timeout=1))
            await bot.start()
            try:
                await _play(bot, api, out)
            finally:
                await bot.stop()
    return 0


def _found(
    chat: FakeUser | FakeGroup, predicate: Callable[[FakeMessage], bool]
) -> Callable[[], bool]:
    return lambda: _last(chat, predicate) is not None


def _need(message: FakeMessage | None) -> FakeMessage:
    if message is None:
        raise RuntimeError("the message the demo expected is not there")
    return message


async def _play(bot: SopBot, api: FakeBotApi, out: Callable[[str], None]) -> None:
    if bot.db is None or bot.catalog is None:
        raise RuntimeError("the bot is not started")
    office = read_office_file(OFFICE_FILE, bot.catalog)
    report = await Admin(bot.db, bot.catalog, bot.clock).import_office(office)
    out("sopbot demo: bot sungguhan melawan server Bot API tiruan di komputer ini.")
    out(f"Kantor dari {OFFICE_FILE.name}: " + " ".join(report.lines()))
    people = {p.roles[0]: p for p in office.people}
    users = {
        role: api.user(p.telegram_id, p.name)
        for role, p in people.items()
        if p.telegram_id is not None
    }
    kasubbag, staf, jdih = (
        users["kasubbag_hukum_sdm"],
        users["staf_subbagian"],
        users["pengelola_jdih"],
    )
    k, s, j = (people[r].name for r in ("kasubbag_hukum_sdm", "staf_subbagian", "pengelola_jdih"))
    admin = api.user(ADMIN_ID, "Admin Kantor")
    group = api.group(-1002000000001, "KPU Kapuas")
    g = "grup KPU Kapuas"
    demo = Demo(api, out)
    everyone: list[tuple[str, FakeUser | FakeGroup]] = [
        (k, kasubbag),
        (s, staf),
        (j, jdih),
        (g, group),
    ]

    async def send(
        name: str, user: FakeUser, text: str, until: Callable[[], bool], what: str | None = None
    ) -> None:
        await demo.act(
            name,
            user,
            what or f"menulis: {text}",
            lambda: user.send(text),
            [*everyone, ("Admin Kantor", admin)],
            until,
        )

    async def press(
        name: str,
        user: FakeUser,
        message: FakeMessage,
        label: str,
        until: Callable[[], bool],
        what: str | None = None,
    ) -> None:
        await demo.act(
            name,
            user,
            what or f"menekan [{label}]",
            lambda: user.press(message, label),
            everyone,
            until,
        )

    async def upload(name: str, user: FakeUser, filename: str, until: Callable[[], bool]) -> None:
        content = b"%PDF-1.4 " + filename.encode()
        await demo.act(
            name,
            user,
            f"mengirim berkas {filename}",
            lambda: user.send_document(filename, content),
            everyone,
            until,
        )

    for name, user in ((k, kasubbag), (s, staf), (j, jdih), ("Admin Kantor", admin)):
        await send(name, user, "/start", lambda u=user: bool(u.bot_messages), "membuka bot: /start")  # type: ignore[misc]
    await demo.act(
        "Admin Kantor",
        admin,
        "menambahkan bot ke grup KPU Kapuas",
        lambda: group.add_bot(by=admin),
        [(g, group)],
        lambda: bool(group.bot_messages),
    )
    await demo.act(
        "Admin Kantor",
        admin,
        "menulis di grup: /grup",
        lambda: group.send(admin, "/grup"),
        [(g, group)],
        _found(group, lambda m: bool(m.buttons)),
    )
    choose = _need(_last(group, lambda m: bool(m.buttons)))
    await press(
        "Admin Kantor",
        admin,
        choose,
        "KPU Kabupaten Kapuas",
        _found(group, lambda m: "Grup terhubung" in m.text),
    )

    await send(k, kasubbag, "/baru", _found(kasubbag, lambda m: "Mulai proses baru" in m.text))
    menu = _need(_last(kasubbag, lambda m: "Pengelolaan Media Sosial JDIH" in m.button_texts))
    await press(
        k,
        kasubbag,
        menu,
        "Pengelolaan Media Sosial JDIH",
        _found(kasubbag, lambda m: m.force_reply),
    )
    await send(
        k,
        kasubbag,
        "Konten Hari Pahlawan 2026",
        _found(kasubbag, lambda m: "▶️ Mulai proses" in m.button_texts),
        "menulis judul: Konten Hari Pahlawan 2026",
    )
    ready = _need(_last(kasubbag, lambda m: "▶️ Mulai proses" in m.button_texts))
    await press(k, kasubbag, ready, "▶️ Mulai proses", lambda: _step(kasubbag, 1) is not None)

    async def step(
        name: str, user: FakeUser, number: int, label: str, until: Callable[[], bool]
    ) -> None:
        await press(
            name,
            user,
            _need(_step(user, number)),
            label,
            until,
            f"menekan [{label}] pada langkah {number}",
        )

    await step(k, kasubbag, 1, "Selesai", lambda: _step(staf, 2) is not None)
    await step(s, staf, 2, "Selesai", lambda: _step(jdih, 3) is not None)
    await step(j, jdih, 3, "Selesai", _found(jdih, lambda m: "Kirim berkas" in m.text))
    await upload(j, jdih, "draf-konten-hari-pahlawan.pdf", lambda: _step(staf, 4) is not None)
    await step(s, staf, 4, "Selesai", _found(staf, lambda m: "Kirim berkas" in m.text))
    await upload(s, staf, "draf-suntingan.pdf", lambda: _step(kasubbag, 5) is not None)
    await step(
        k,
        kasubbag,
        5,
        "Tidak Setuju",
        _found(kasubbag, lambda m: m.force_reply and "alasan" in m.text),
    )
    note = "Caption belum menyebut nomor Keputusan KPU; tambahkan."
    await send(
        k, kasubbag, note, lambda: _step(staf, 4, returned=True) is not None, f"membalas: {note}"
    )
    again = _need(_step(staf, 4, returned=True))
    later = again.message_id
    await press(
        s,
        staf,
        again,
        "Selesai",
        _found(staf, lambda m: "Kirim berkas" in m.text and m.message_id > later),
        "menekan [Selesai] pada langkah 4 (perbaikan)",
    )
    await upload(s, staf, "draf-suntingan-2.pdf", lambda: _step(kasubbag, 5) is not None)
    await step(k, kasubbag, 5, "Setuju", lambda: _step(jdih, 6) is not None)
    await step(j, jdih, 6, "Selesai", _found(jdih, lambda m: "Kirim tautan" in m.text))
    link = "https://www.instagram.com/p/jdihkpukapuas-hari-pahlawan/"
    announced = _found(group, lambda m: "📢" in m.text)
    finished = _found(kasubbag, lambda m: "Proses selesai" in m.text)
    archived = _found(kasubbag, lambda m: m.document is not None)
    await send(
        j, jdih, link, lambda: announced() and finished() and archived(), f"mengirim tautan: {link}"
    )
    out(
        "\nSelesai: proses berjalan dari langkah 1 sampai 6, dengan satu Tidak Setuju, dan tautannya diumumkan di grup."
    )


def _step(user: FakeUser, number: int, *, returned: bool = False) -> FakeMessage | None:
    """The newest step message of that step still waiting for a press."""
    return _last(
        user,
        lambda m: (
            f"Langkah {number} dari" in m.text
            and bool(m.buttons)
            and (not returned or "Dikembalikan" in m.text)
        ),
    )


def main(log_level: str = "WARNING") -> int:
    setup_logging(log_level, [DEMO_TOKEN])
    return asyncio.run(run_demo())
