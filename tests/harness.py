"""The bot as its users meet it, for tests: the real bot (PTB over real HTTP) against the project's
fake Bot API, on a real SQLite file, with a clock the test moves."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import Options, SopBot
from bot.clock import FakeClock
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.settings import Settings
from bot.words.short_forms import FORMS
from fakes.telegram import FakeBotApi, FakeGroup, FakeMessage, FakeUser, Mark
from fakes.whatsapp import FakeWaMessage, FakeWaUser, FakeWhatsAppApi
from handlers.whatsapp.render import TEMPLATE_PREFIX
from sop.handins import Handin
from sop.loader import Catalog, load_catalog
from sop.models import HandinKind, SopDefinition
from tests.sopwalk import SCRIPTS, sample_handin

TOKEN = "123456789:AAH-test-token-for-the-fake-api-only_x"
T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Senin 16 Nov 2026 08.00 WIB
ADMIN_ID = 9001

# One person per role in each office; telegram id = office base + position.
JAMBI_ROLES = [
    ("sekretaris", "Khoirul"),
    ("kabag_teknis_hukum", "Kabag Andi"),
    ("kasubbag_hukum", "Kasubbag Rina"),
    ("kasubbag_tu", "Kasubbag TU Dedi"),
    ("pengelola_jdih", "Pengelola Sari"),
    ("tim_kreatif", "Kreatif Yoga"),
    ("tim_desain", "Desain Lia"),
    ("admin_medsos", "Admin Medsos Tono"),
    ("pemohon", "Pemohon Bagas"),
]
KAPUAS_ROLES = [
    ("sekretaris", "Hildayani"),
    ("kasubbag_hukum_sdm", "Kasubbag Budi"),
    ("staf_subbagian", "Staf Ani"),
    ("pengelola_jdih", "Pengelola Joko"),
]


# WhatsApp: the business number's ids and secrets the fake Cloud API knows, and a person's number
# (office base + position, like the Telegram ids: 62811 + id).
WA_TOKEN = "EAAG-test-access-token-for-the-fake-cloud-api"
WA_SECRET = "app-secret-of-the-fake-cloud-api"
WA_VERIFY = "verify-token-of-the-test-webhook"
WA_PATH = "/whatsapp/webhook"


def wa_number(telegram_id: int) -> str:
    return f"62811{telegram_id:06d}"


def office_data(
    code: str, *, whatsapp: Iterable[str] = (), both: Iterable[str] = ()
) -> dict[str, Any]:
    """A test office file. Roles in ``whatsapp`` are people on WhatsApp only; roles in ``both``
    are on both channels and prefer WhatsApp; the rest are on Telegram."""
    if code == "jambi":
        people, base, sops = (
            JAMBI_ROLES,
            1100,
            ["jambi-penurunan-jdih", "jambi-pengunggahan-jdih", "jambi-konten-medsos"],
        )
        template = "{nomor}/HK.03-ND/15/{tahun}"
    else:
        people, base, sops = KAPUAS_ROLES, 1200, ["kapuas-medsos-jdih"]
        template = "{nomor}/HK.03-ND/6203/{tahun}"
    return {
        "code": f"kpu-{code}",
        "name": f"KPU {'Provinsi Jambi' if code == 'jambi' else 'Kabupaten Kapuas'}",
        "timezone": "Asia/Jakarta",
        "sops": sops,
        "agenda_template": template,
        # As the example office files say: a kabupaten has no Kabag, its Kasubbag reads reports.
        "report_roles": [
            "sekretaris",
            "kabag_teknis_hukum" if code == "jambi" else "kasubbag_hukum_sdm",
        ],
        "calendar": {"always_open": True},
        "people": [
            _person(base + i, name, role, set(whatsapp), set(both))
            for i, (role, name) in enumerate(people, 1)
        ],
    }


def _person(
    telegram_id: int, name: str, role: str, whatsapp: set[str], both: set[str]
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "roles": [role]}
    if role not in whatsapp:
        entry["telegram_id"] = telegram_id
    if role in whatsapp or role in both:
        entry["whatsapp"] = wa_number(telegram_id)
    if role in both:
        entry["preferred_channel"] = "whatsapp"
    return entry


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Harness:
    api: FakeBotApi
    path: Path
    clock: FakeClock
    wa: FakeWhatsAppApi | None = None
    bot: SopBot | None = None
    catalog: Catalog = field(default_factory=load_catalog)
    admin_ids: list[int] = field(default_factory=lambda: [ADMIN_ID])
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    _wa_port: int = field(default_factory=free_port)

    def settings(self) -> Settings:
        whatsapp: dict[str, Any] = {}
        if self.wa is not None:
            whatsapp = {
                "whatsapp_access_token": WA_TOKEN,
                "whatsapp_phone_number_id": self.wa.phone_number_id,
                "whatsapp_business_account_id": self.wa.waba_id,
                "whatsapp_app_secret": WA_SECRET,
                "whatsapp_verify_token": WA_VERIFY,
                "whatsapp_api_base_url": self.wa.base_url,
                "whatsapp_webhook_port": self._wa_port,
                "whatsapp_webhook_path": WA_PATH,
                "whatsapp_pair_interval": 0.0,
            }
        return Settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=self.api.base_url,
            telegram_api_base_file_url=self.api.base_file_url,
            database_path=self.path / "sopbot.db",
            admin_telegram_ids=self.admin_ids,
            # Flows are not made to wait Telegram's second between a chat's messages here; the
            # pacing itself is tested in test_pacing and test_delivery.
            telegram_chat_interval=0.0,
            **(whatsapp | self.settings_overrides),
        )

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self._wa_port}{WA_PATH}"

    async def start(self) -> SopBot:
        self.bot = SopBot(
            self.settings(),
            Options(clock=self.clock, backoff_base=0.02, backoff_max=0.2, poll_timeout=1),
        )
        await self.bot.start()
        if self.wa is not None:
            assert await self.wa.configure_webhook(self.webhook_url, WA_VERIFY)
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    async def restart(self) -> SopBot:
        await self.stop()
        return await self.start()

    async def import_office(
        self,
        code: str,
        *,
        sops: list[str] | None = None,
        calendar: dict[str, Any] | None = None,
        whatsapp: Iterable[str] = (),
        both: Iterable[str] = (),
        agenda_template: str | None = None,
        admins: Iterable[str] = (),
    ) -> None:
        """Import a test office; ``calendar`` replaces the 24/7 calendar most tests use;
        ``whatsapp`` and ``both`` name the roles whose people are on WhatsApp;
        ``agenda_template`` replaces the office's agenda number format; the people of the roles
        in ``admins`` are the office's admins (``admin: true``)."""
        assert self.bot is not None
        assert self.bot.db is not None
        assert self.bot.catalog is not None
        raw = office_data(code, whatsapp=whatsapp, both=both)
        if sops is not None:
            raw["sops"] = sops
        if calendar is not None:
            raw["calendar"] = calendar
        if agenda_template is not None:
            raw["agenda_template"] = agenda_template
        for person in raw["people"]:
            if set(person["roles"]) & set(admins):
                person["admin"] = True
        data = validate_office(raw, f"{code}.yaml", self.bot.catalog)
        await Admin(self.bot.db, self.bot.catalog, self.clock).import_office(data)

    async def person(self, telegram_id: int, name: str) -> FakeUser:
        """A person who has opened the bot (so it may write to them)."""
        user = self.api.user(telegram_id, name)
        if not user.started:
            mark = user.mark()
            await user.send("/start")
            await user.wait_for(since=mark)
        return user

    async def office_people(self, code: str) -> dict[str, FakeUser]:
        data = office_data(code)
        return {
            p["roles"][0]: await self.person(p["telegram_id"], p["name"]) for p in data["people"]
        }

    async def office_people_on_telegram(
        self, code: str, *, skip: Iterable[str] = ()
    ) -> dict[str, FakeUser]:
        """The office's Telegram people (those in ``skip`` are on WhatsApp), each having
        opened the bot."""
        data = office_data(code, whatsapp=skip)
        return {
            p["roles"][0]: await self.person(p["telegram_id"], p["name"])
            for p in data["people"]
            if "telegram_id" in p
        }

    async def wa_person(self, number: str, name: str, *, write: bool = True) -> FakeWaUser:
        """A person on WhatsApp; ``write``: they have written to the bot, so their 24-hour window
        is open (a stranger's first message is answered, and marks nothing else)."""
        assert self.wa is not None
        person = self.wa.person(number, name)
        if write and not person.window_open:
            mark = person.mark()
            await person.send("halo")
            await person.wait_for(since=mark)
        return person

    async def mixed_people(
        self, code: str, whatsapp: Iterable[str]
    ) -> dict[str, FakeUser | FakeWaUser]:
        """The office's people on the channel the office file gives them, each having written."""
        found: dict[str, FakeUser | FakeWaUser] = {}
        for p in office_data(code, whatsapp=whatsapp)["people"]:
            role = p["roles"][0]
            if "whatsapp" in p:
                found[role] = await self.wa_person(p["whatsapp"], p["name"])
            else:
                found[role] = await self.person(p["telegram_id"], p["name"])
        return found

    def approve_templates(self) -> None:
        """Every template the bot needs, approved on the fake Cloud API."""
        assert self.wa is not None
        for form in FORMS.values():
            self.wa.add_template(
                TEMPLATE_PREFIX + form.name, form.body, quick_replies=list(form.buttons)
            )

    async def link_group(self, chat_id: int, title: str, office_name: str) -> FakeGroup:
        """The admin adds the bot to a group and links it to the office with /grup."""
        admin = await self.person(ADMIN_ID, "Admin Kantor")
        group = self.api.group(chat_id, title)
        mark = group.mark()
        await group.add_bot(by=admin)
        await group.wait_for(lambda m: "/grup" in m.text, since=mark)
        mark = group.mark()
        await group.send(admin, "/grup")
        menu = await group.wait_for(lambda m: office_name in m.button_texts, since=mark)
        mark = group.mark()
        await admin.press(menu, office_name)
        await group.wait_for(lambda m: "Grup terhubung" in m.text, since=mark)
        return group


async def wait_text(user: FakeUser, text: str, since: Mark) -> FakeMessage:
    return await user.wait_for(lambda m: text in m.text, since=since)


async def wait_closed(user: FakeUser, message_id: int, since: Mark) -> FakeMessage:
    """The step message edited after its step was done: the outcome written in, no buttons."""
    return await user.wait_for(
        lambda m: m.message_id == message_id and not m.buttons and m.edited, since=since
    )


def is_step(number: int, total: int) -> Callable[[FakeMessage], bool]:
    return lambda m: f"Langkah {number} dari {total}" in m.text and bool(m.buttons)


async def start_process(h: Harness, starter: FakeUser, defn: SopDefinition, title: str) -> int:
    """/baru → choose the SOP → title → start documents → Mulai proses; returns the process number."""
    mark = starter.mark()
    await starter.send("/baru")
    menu = await starter.wait_for(
        lambda m: "Mulai proses baru" in m.text and bool(m.buttons), since=mark
    )
    mark = starter.mark()
    await starter.press(menu, defn.header.singkat or defn.header.nama)
    await starter.wait_for(lambda m: m.force_reply and "judul" in m.text.lower(), since=mark)
    mark = starter.mark()
    await starter.send(title)
    for spec in defn.start_handin:
        await wait_text(starter, spec.label, mark)
        mark = starter.mark()
        await starter.send_document(f"{spec.label}.pdf", b"%PDF-1.4 " + spec.label.encode())
    ready = await starter.wait_for(lambda m: "▶️ Mulai proses" in m.button_texts, since=mark)
    mark = starter.mark()
    answer = await starter.press(ready, "▶️ Mulai proses")
    assert answer.text is not None
    assert "dimulai" in answer.text
    started = await starter.wait_for(lambda m: "dimulai" in m.text, since=mark)
    return int(started.text.split("#")[1].split()[0])


async def hand_in(user: FakeUser, kind: HandinKind, label: str, value: Handin, since: Mark) -> Mark:
    """Answer one hand-in prompt the way a person would."""
    # The prompt names what it asks mid-sentence ("Kirim tautan konten…" for "Tautan konten…").
    prompt = await user.wait_for(lambda m: label.lower() in m.text.lower(), since=since)
    mark = user.mark()
    if kind is HandinKind.ATTACHMENT:
        await user.send_document(
            value.file_name or "berkas.pdf", b"%PDF-1.4 " + value.value.encode()
        )
    elif kind is HandinKind.NOMOR and any(t.startswith("Pakai ") for t in prompt.button_texts):
        await user.press(prompt, next(t for t in prompt.button_texts if t.startswith("Pakai ")))
    else:
        await user.send(value.value)
    return mark


async def play(h: Harness, people: dict[str, FakeUser], code: str, title: str) -> int:
    """Walk a whole SOP script through Telegram: every actor gets their step message, presses its
    button, writes notes and hands in files, links and numbers."""
    script = SCRIPTS[code]
    defn = h.catalog.definitions[code]
    total = len(defn.steps)
    starter = people[script.starter_role]
    marks = {u.id: u.mark() for u in people.values()}
    process = await start_process(h, starter, defn, title)
    for round_, answer in enumerate(script.answers):
        step = defn.step(answer.step)
        actor = people[step.pelaksana]
        message = await actor.wait_for(
            is_step(defn.index(step.number), total), since=marks[actor.id]
        )
        assert f"#{process}" in message.text
        before = marks[actor.id] = actor.mark()
        label = step.choice(answer.choice)
        assert label is not None
        pressed = await actor.press(message, label.label)
        assert pressed.text is not None
        if answer.note:
            await actor.wait_for(lambda m: m.force_reply, since=before)
            mark = actor.mark()
            await actor.send(answer.note)
            await actor.wait_for(lambda m: "Tercatat" in m.text, since=mark)
        elif label.positive and step.handin:
            mark = before
            for spec in step.handin:
                mark = await hand_in(
                    actor, spec.kind, spec.label, sample_handin(spec, step.number, round_), mark
                )
            await actor.wait_for(lambda m: "Tercatat" in m.text, since=mark)
        else:
            assert pressed.text.startswith("Tercatat"), pressed.text
        # The step message itself now shows the outcome and has no buttons.
        await wait_closed(actor, message.message_id, before)
    return process


# --- WhatsApp ------------------------------------------------------------------------------------


async def wa_choose(person: FakeWaUser, message: FakeWaMessage, label: str) -> FakeWaMessage:
    """Tap ``label`` the way WhatsApp shows it: a reply button, or a row of a list (whose title
    is the label cut to 24 characters, the whole label then in its description)."""
    if label in message.buttons:
        return await person.press(message, label)
    for row in message.rows:
        if row.title == label or row.description == label:
            return await person.choose(message, row.title)
    raise LookupError(f"{label!r} is neither a button nor a row of {message!r}")


def mentions(text: str) -> Callable[[FakeWaMessage], bool]:
    """A message naming ``text``, mid-sentence or not ("tautan konten…" names "Tautan konten…")."""
    return lambda m: text.lower() in m.text.lower()


def offers(label: str) -> Callable[[FakeWaMessage], bool]:
    """A message that offers ``label`` as a button or a list row."""
    return lambda m: label in m.buttons or any(label in (r.title, r.description) for r in m.rows)


async def wa_start_process(starter: FakeWaUser, defn: SopDefinition, title: str) -> int:
    """ "baru" → the SOP → title → start documents → Mulai proses, typed and tapped on WhatsApp."""
    label = defn.header.singkat or defn.header.nama
    mark = starter.mark()
    await starter.send("baru")
    menu = await starter.wait_for(offers(label), since=mark)
    mark = starter.mark()
    await wa_choose(starter, menu, label)
    await starter.wait_for(lambda m: "judul" in m.text.lower(), since=mark)
    mark = starter.mark()
    await starter.send(title)
    for spec in defn.start_handin:
        await starter.wait_for(mentions(spec.label), since=mark)
        mark = starter.mark()
        await starter.send_document(f"{spec.label}.pdf", b"%PDF-1.4 " + spec.label.encode())
    ready = await starter.wait_for(offers("▶️ Mulai proses"), since=mark)
    mark = starter.mark()
    await wa_choose(starter, ready, "▶️ Mulai proses")
    started = await starter.wait_for(lambda m: "dimulai" in m.text, since=mark)
    return int(started.text.split("#")[1].split()[0])


def wa_is_step(number: int, total: int, choice: str) -> Callable[[FakeWaMessage], bool]:
    """A step's buttons: the interactive message after the step's text."""
    return lambda m: f"Langkah {number} dari {total}" in m.text and choice in m.buttons


async def wa_play(h: Harness, people: dict[str, FakeWaUser], code: str, title: str) -> int:
    """Walk a whole SOP script through WhatsApp: every actor gets their step's text and buttons,
    taps a button, writes notes and hands in files, links and numbers."""
    script = SCRIPTS[code]
    defn = h.catalog.definitions[code]
    total = len(defn.steps)
    starter = people[script.starter_role]
    marks = {u.wa_id: u.mark() for u in people.values()}
    process = await wa_start_process(starter, defn, title)
    for round_, answer in enumerate(script.answers):
        step = defn.step(answer.step)
        actor = people[step.pelaksana]
        choice = step.choice(answer.choice)
        assert choice is not None
        buttons = await actor.wait_for(
            wa_is_step(defn.index(step.number), total, choice.label), since=marks[actor.wa_id]
        )
        before = marks[actor.wa_id] = actor.mark()
        await actor.press(buttons, choice.label)
        if answer.note:
            await actor.wait_for(lambda m: "Tulis" in m.text, since=before)
            mark = actor.mark()
            await actor.send(answer.note)
            await actor.wait_for(lambda m: "Tercatat" in m.text, since=mark)
        elif choice.positive and step.handin:
            mark = before
            for spec in step.handin:
                await actor.wait_for(mentions(spec.label), since=mark)
                value = sample_handin(spec, step.number, round_)
                mark = actor.mark()
                if spec.kind is HandinKind.ATTACHMENT:
                    await actor.send_document(
                        value.file_name or "berkas.pdf", b"%PDF-1.4 " + value.value.encode()
                    )
                else:
                    await actor.send(value.value)
            await actor.wait_for(lambda m: "Tercatat" in m.text, since=mark)
        else:
            await actor.wait_for(lambda m: m.text.startswith("Tercatat"), since=before)
    return process
