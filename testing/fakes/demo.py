"""``sopbot demo``: the real bot against the project's own fakes of the Telegram Bot API and the
WhatsApp Cloud API, playing a whole Kapuas SOP (D) among the people of the example office file,
some on Telegram and some on WhatsApp, with one Tidak Setuju, and printing the conversation as
each person sees it on their channel. No token and no network needed.

``sopbot demo --simpan data/demo.db`` keeps the demo's database (``keep``), so ``sopbot report``,
``audit export`` and ``audit verify`` can be tried on it right after; the demo prints them."""

from __future__ import annotations

import asyncio
import socket
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.app import Options, SopBot
from bot.logs import setup_logging
from bot.office.admin import Admin
from bot.office.files import EXAMPLE_OFFICES, read_office_file
from bot.settings import Settings
from bot.words.short_forms import FORMS
from fakes.telegram import FakeBotApi, FakeGroup, FakeMessage, FakeUser
from fakes.whatsapp import FakeWaMessage, FakeWaUser, FakeWhatsAppApi
from handlers.whatsapp.render import TEMPLATE_PREFIX

DEMO_TOKEN = "123456789:DEMO-token-for-the-local-fake-api-x"  # noqa: S105 - only the fake knows it
WA_TOKEN = "EAAG-DEMO-token-for-the-local-fake-cloud-api"  # noqa: S105 - only the fake knows it
WA_SECRET = "demo-app-secret-of-the-local-fake"  # noqa: S105
WA_VERIFY = "demo-verify-token"
OFFICE_CODE = "kpu-kabupaten-kapuas"
OFFICE_FILE = EXAMPLE_OFFICES / f"{OFFICE_CODE}.yaml"
ADMIN_ID = 100000299
# The people of the example office who use WhatsApp in the demo, and their numbers.
ON_WHATSAPP = {"staf_subbagian": "6281234500002", "pengelola_jdih": "6281234500003"}
WAIT = 10.0


@dataclass
class Chat:
    """A person's (or the group's) chat as the transcript follows it, on its channel."""

    name: str
    telegram: FakeUser | FakeGroup | None = None
    whatsapp: FakeWaUser | None = None
    printed: dict[object, int] = field(default_factory=dict)

    @property
    def channel(self) -> str:
        return "WhatsApp" if self.whatsapp is not None else "Telegram"


class Transcript:
    """Prints, chat by chat, what the bot sends (and on Telegram, edits)."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out

    def flush(self, chat: Chat) -> None:
        if chat.telegram is not None:
            for message in chat.telegram.bot_messages:
                key = (message.chat_id, message.message_id)
                versions = 1 + len(message.edit_history)
                if chat.printed.get(key, 0) < versions:
                    self._telegram(chat, message, edited=key in chat.printed)
                    chat.printed[key] = versions
        if chat.whatsapp is not None:
            for wa in chat.whatsapp.messages:
                if wa.from_business and wa.id not in chat.printed:
                    self._whatsapp(chat, wa)
                    chat.printed[wa.id] = 1

    def _head(self, chat: Chat, note: str = "") -> None:
        self.out(f"   🤖 → {chat.name} [{chat.channel}]{note}:")

    def _lines(self, text: str) -> None:
        for line in text.splitlines():
            self.out(f"      {line}")

    def _telegram(self, chat: Chat, message: FakeMessage, *, edited: bool) -> None:
        self._head(chat, " (pesan diperbarui)" if edited else "")
        if message.document is not None:
            self.out(f"      [berkas {message.document.file_name}]")
        self._lines(message.text or "")
        if message.button_texts:
            self.out("      " + " ".join(f"[{label}]" for label in message.button_texts))
        if message.force_reply:
            self.out("      (menunggu balasan)")

    def _whatsapp(self, chat: Chat, message: FakeWaMessage) -> None:
        kind = f"templat {message.template.name}" if message.template else ""
        self._head(chat, f" ({kind})" if kind else "")
        if message.document is not None:
            self.out(f"      [berkas {message.document.filename}]")
        self._lines(message.text)
        if message.buttons:
            self.out("      " + " ".join(f"[{label}]" for label in message.buttons))
        if message.rows:
            self.out(f"      daftar [{message.list_button}]:")
            for row in message.rows:
                self.out(f"        • {row.description or row.title}")
        if message.url_button is not None:
            self.out(f"      [{message.url_button.text}] → {message.url_button.url[:70]}…")


class Demo:
    def __init__(self, chats: list[Chat], out: Callable[[str], None]) -> None:
        self.chats = chats
        self.t = Transcript(out)

    async def act(
        self, who: str, what: str, do: Callable[[], Awaitable[object]], until: Callable[[], bool]
    ) -> None:
        """Do one thing as a person, wait until the bot's answer is there, and print it."""
        self.t.out(f"\n══ {who} {what}")
        await do()
        deadline = asyncio.get_running_loop().time() + WAIT
        while not until():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"the bot did not answer: {who} {what}")
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.15)  # let the messages that follow an action arrive too
        for chat in self.chats:
            self.t.flush(chat)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_demo(out: Callable[[str], None] = print, keep: Path | None = None) -> int:
    """Play the demo; with ``keep`` (a new file: see ``main``), its database is written there and
    kept."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="sopbot-demo-") as folder:
        database = keep if keep is not None else Path(folder) / "demo.db"
        async with (
            FakeBotApi(DEMO_TOKEN, bot_username="sopbot_demo_bot") as api,
            FakeWhatsAppApi(access_token=WA_TOKEN, app_secret=WA_SECRET) as wa,
        ):
            for form in FORMS.values():
                wa.add_template(
                    TEMPLATE_PREFIX + form.name, form.body, quick_replies=list(form.buttons)
                )
            settings = Settings(
                _env_file=None,
                telegram_bot_token=DEMO_TOKEN,
                telegram_api_base_url=api.base_url,
                telegram_api_base_file_url=api.base_file_url,
                whatsapp_access_token=WA_TOKEN,
                whatsapp_phone_number_id=wa.phone_number_id,
                whatsapp_business_account_id=wa.waba_id,
                whatsapp_app_secret=WA_SECRET,
                whatsapp_verify_token=WA_VERIFY,
                whatsapp_api_base_url=wa.base_url,
                whatsapp_webhook_port=port,
                whatsapp_pair_interval=0.0,
                telegram_chat_interval=0.0,
                database_path=database,
                admin_telegram_ids=[ADMIN_ID],
            )
            bot = SopBot(settings, Options(backoff_base=0.05, backoff_max=0.5, poll_timeout=1))
            await bot.start()
            try:
                url = f"http://127.0.0.1:{port}{settings.whatsapp_webhook_path}"
                if not await wa.configure_webhook(url, WA_VERIFY):
                    raise RuntimeError("the demo's WhatsApp webhook did not answer the handshake")
                await _play(bot, api, wa, out)
            finally:
                await bot.stop()
    if keep is not None:
        _kept(keep, out)
    return 0


def _kept(keep: Path, out: Callable[[str], None]) -> None:
    """Where the database is, and the commands to try on it."""
    year = datetime.now(ZoneInfo("Asia/Jakarta")).year  # the example office's year, today
    db = f"--database {keep}"
    out(f"\nBasis data demo disimpan di {keep}. Coba:")
    for command in (
        f"sopbot report --office {OFFICE_CODE} --from {year}-01-01 --to {year}-12-31 {db}",
        f"sopbot report --office {OFFICE_CODE} --from {year}-01-01 --to {year}-12-31 "
        f"--format xlsx --out laporan.xlsx --chart grafik.png {db}",
        f"sopbot audit export 1 --out arsip-1.pdf {db}",
        f"sopbot audit verify {db}",
    ):
        out(f"   .venv/bin/{command}")


def _last_tg(
    chat: FakeUser | FakeGroup, predicate: Callable[[FakeMessage], bool]
) -> FakeMessage | None:
    for message in reversed(chat.messages):
        if message.from_bot and not message.deleted and predicate(message):
            return message
    return None


def _last_wa(user: FakeWaUser, predicate: Callable[[FakeWaMessage], bool]) -> FakeWaMessage | None:
    for message in reversed(user.messages):
        if message.from_business and predicate(message):
            return message
    return None


M = TypeVar("M")


def _need(message: M | None) -> M:
    if message is None:
        raise RuntimeError("the message the demo expected is not there")
    return message


async def _play(
    bot: SopBot, api: FakeBotApi, wa: FakeWhatsAppApi, out: Callable[[str], None]
) -> None:
    if bot.db is None or bot.catalog is None:
        raise RuntimeError("the bot is not started")
    office = read_office_file(OFFICE_FILE, bot.catalog)
    # Two of the office's people use WhatsApp in the demo.
    people = [
        p.model_copy(update={"whatsapp": ON_WHATSAPP[p.roles[0]], "preferred_channel": "whatsapp"})
        if p.roles and p.roles[0] in ON_WHATSAPP
        else p
        for p in office.people
    ]
    office = office.model_copy(update={"people": people})
    report = await Admin(bot.db, bot.catalog, bot.clock).import_office(office)
    out(
        "sopbot demo: bot sungguhan melawan Telegram Bot API dan WhatsApp Cloud API tiruan di komputer ini."
    )
    out(f"Kantor dari {OFFICE_FILE.name}: " + " ".join(report.lines()))
    by_role = {p.roles[0]: p for p in office.people if p.roles}
    k_entry = by_role["kasubbag_hukum_sdm"]
    assert k_entry.telegram_id is not None  # noqa: S101 - the example file's Kasubbag is on Telegram
    kasubbag = api.user(k_entry.telegram_id, k_entry.name)
    staf = wa.person(ON_WHATSAPP["staf_subbagian"], by_role["staf_subbagian"].name)
    jdih = wa.person(ON_WHATSAPP["pengelola_jdih"], by_role["pengelola_jdih"].name)
    admin = api.user(ADMIN_ID, "Admin Kantor")
    group = api.group(-1002000000001, "KPU Kapuas")
    k, s, j = k_entry.name, staf.name, jdih.name
    chats = [
        Chat(k, telegram=kasubbag),
        Chat(s, whatsapp=staf),
        Chat(j, whatsapp=jdih),
        Chat("grup KPU Kapuas", telegram=group),
        Chat("Admin Kantor", telegram=admin),
    ]
    demo = Demo(chats, out)

    def tg(
        user: FakeUser | FakeGroup, predicate: Callable[[FakeMessage], bool]
    ) -> Callable[[], bool]:
        return lambda: _last_tg(user, predicate) is not None

    def wa_has(user: FakeWaUser, predicate: Callable[[FakeWaMessage], bool]) -> Callable[[], bool]:
        return lambda: _last_wa(user, predicate) is not None

    def wa_step(user: FakeWaUser, number: int, label: str) -> Callable[[FakeWaMessage], bool]:
        return lambda m: f"Langkah {number} dari" in m.text and label in m.buttons

    def tg_step(number: int) -> Callable[[FakeMessage], bool]:
        return lambda m: f"Langkah {number} dari" in m.text and bool(m.buttons)

    await demo.act(
        k,
        "membuka bot di Telegram: /start",
        lambda: kasubbag.send("/start"),
        lambda: bool(kasubbag.bot_messages),
    )
    await demo.act(
        "Admin Kantor",
        "membuka bot di Telegram: /start",
        lambda: admin.send("/start"),
        lambda: bool(admin.bot_messages),
    )
    for name, person in ((s, staf), (j, jdih)):
        await demo.act(
            name,
            "menulis di WhatsApp: menu",
            _sender(person, "menu"),
            wa_has(person, lambda m: bool(m.rows)),
        )
    await demo.act(
        "Admin Kantor",
        "menambahkan bot ke grup Telegram KPU Kapuas",
        lambda: group.add_bot(by=admin),
        lambda: bool(group.bot_messages),
    )
    await demo.act(
        "Admin Kantor",
        "menulis di grup: /grup",
        lambda: group.send(admin, "/grup"),
        tg(group, lambda m: bool(m.buttons)),
    )
    choose = _need(_last_tg(group, lambda m: bool(m.buttons)))
    await demo.act(
        "Admin Kantor",
        "menekan [KPU Kabupaten Kapuas]",
        lambda: admin.press(choose, "KPU Kabupaten Kapuas"),
        tg(group, lambda m: "Grup terhubung" in m.text),
    )

    await demo.act(
        k,
        "menulis: /baru",
        lambda: kasubbag.send("/baru"),
        tg(kasubbag, lambda m: "Mulai proses baru" in m.text),
    )
    menu = _need(_last_tg(kasubbag, lambda m: "Pengelolaan Media Sosial JDIH" in m.button_texts))
    await demo.act(
        k,
        "menekan [Pengelolaan Media Sosial JDIH]",
        lambda: kasubbag.press(menu, "Pengelolaan Media Sosial JDIH"),
        tg(kasubbag, lambda m: m.force_reply),
    )
    await demo.act(
        k,
        "menulis judul: Konten Hari Pahlawan 2026",
        lambda: kasubbag.send("Konten Hari Pahlawan 2026"),
        tg(kasubbag, lambda m: "▶️ Mulai proses" in m.button_texts),
    )
    ready = _need(_last_tg(kasubbag, lambda m: "▶️ Mulai proses" in m.button_texts))
    await demo.act(
        k,
        "menekan [▶️ Mulai proses]",
        lambda: kasubbag.press(ready, "▶️ Mulai proses"),
        tg(kasubbag, tg_step(1)),
    )

    async def tg_press(number: int, label: str, until: Callable[[], bool], what: str = "") -> None:
        message = _need(_last_tg(kasubbag, tg_step(number)))
        await demo.act(
            k,
            what or f"menekan [{label}] pada langkah {number}",
            lambda: kasubbag.press(message, label),
            until,
        )

    async def wa_press(
        name: str,
        user: FakeWaUser,
        number: int,
        label: str,
        until: Callable[[], bool],
        what: str = "",
    ) -> None:
        message = _need(_last_wa(user, wa_step(user, number, label)))
        await demo.act(
            name,
            what or f"menekan [{label}] pada langkah {number} di WhatsApp",
            lambda: user.press(message, label),
            until,
        )

    async def wa_upload(
        name: str, user: FakeWaUser, filename: str, until: Callable[[], bool]
    ) -> None:
        content = b"%PDF-1.4 " + filename.encode()
        await demo.act(
            name,
            f"mengirim berkas {filename} di WhatsApp",
            lambda: user.send_document(filename, content),
            until,
        )

    await tg_press(1, "Selesai", wa_has(staf, wa_step(staf, 2, "Selesai")))
    await wa_press(s, staf, 2, "Selesai", wa_has(jdih, wa_step(jdih, 3, "Selesai")))
    await wa_press(j, jdih, 3, "Selesai", wa_has(jdih, lambda m: "Kirim berkas" in m.text))
    await wa_upload(
        j, jdih, "draf-konten-hari-pahlawan.pdf", wa_has(staf, wa_step(staf, 4, "Selesai"))
    )
    await wa_press(s, staf, 4, "Selesai", wa_has(staf, lambda m: "Kirim berkas" in m.text))
    await wa_upload(s, staf, "draf-suntingan.pdf", tg(kasubbag, tg_step(5)))
    await tg_press(5, "Tidak Setuju", tg(kasubbag, lambda m: m.force_reply and "alasan" in m.text))
    note = "Caption belum menyebut nomor Keputusan KPU; tambahkan."
    await demo.act(
        k,
        f"membalas: {note}",
        lambda: kasubbag.send(note),
        wa_has(staf, lambda m: "Dikembalikan dari langkah 5" in m.text),
    )
    await wa_press(
        s,
        staf,
        4,
        "Selesai",
        lambda: len([m for m in staf.messages if "Kirim berkas" in m.text]) >= 2,
        "menekan [Selesai] pada langkah 4 (perbaikan) di WhatsApp",
    )
    first = _need(_last_tg(kasubbag, lambda m: "Langkah 5 dari" in m.text)).message_id
    await wa_upload(
        s,
        staf,
        "draf-suntingan-2.pdf",
        tg(kasubbag, lambda m: tg_step(5)(m) and m.message_id > first),
    )
    await tg_press(5, "Setuju", wa_has(jdih, wa_step(jdih, 6, "Selesai")))
    await wa_press(j, jdih, 6, "Selesai", wa_has(jdih, lambda m: "Kirim tautan" in m.text))
    link = "https://www.instagram.com/p/jdihkpukapuas-hari-pahlawan/"
    announced = tg(group, lambda m: "📢" in m.text)
    finished = tg(kasubbag, lambda m: "Proses selesai" in m.text)
    archived = tg(kasubbag, lambda m: m.document is not None)
    shared = wa_has(
        jdih, lambda m: m.url_button is not None and m.url_button.text == "Bagikan ke grup"
    )
    await demo.act(
        j,
        f"mengirim tautan di WhatsApp: {link}",
        lambda: jdih.send(link),
        lambda: announced() and finished() and archived() and shared(),
    )
    out(
        "\nSelesai: proses berjalan dari langkah 1 sampai 6 di Telegram dan WhatsApp, dengan satu "
        "Tidak Setuju; tautannya diumumkan di grup Telegram, dikirim ke orang kantor di WhatsApp, "
        "dan pengunggahnya mendapat tombol [Bagikan ke grup] untuk grup WhatsApp kantor."
    )


def _sender(person: FakeWaUser, text: str) -> Callable[[], Awaitable[object]]:
    return lambda: person.send(text)


def main(log_level: str = "WARNING", keep: Path | None = None) -> int:
    """Run the demo; ``keep`` names where to keep its database, a file that must not exist yet
    (the demo never writes over a database)."""
    if keep is not None:
        if keep.exists():
            raise FileExistsError(keep)
        keep.parent.mkdir(parents=True, exist_ok=True)
    setup_logging(log_level, [DEMO_TOKEN, WA_TOKEN, WA_SECRET, WA_VERIFY])
    return asyncio.run(run_demo(keep=keep))
